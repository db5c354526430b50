"""Workflow models: BPMN definitions (流程定义), cases (流程实例), work tasks (待办), durable timers, case history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ProcessDefinition(models.Model):
    """Process definition (流程定义): one published version of a BPMN 2.0 file."""

    key = models.CharField(_("流程标识"), max_length=100)
    version = models.PositiveIntegerField(_("版本"))
    name = models.CharField(_("名称"), max_length=200)
    bpmn_xml = models.TextField(_("BPMN 文件"))
    digest_sm3 = models.CharField(_("SM3 摘要"), max_length=64)
    published_at = models.DateTimeField(_("发布时间"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "version"], name="workflow_definition_key_version")]
        ordering = ["key", "-version"]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class InstanceState(models.TextChoices):
    RUNNING = "running", _("办理中")
    COMPLETED = "completed", _("已办结")
    CANCELLED = "cancelled", _("已撤销")


class ProcessInstance(models.Model):
    """Process instance (流程实例 / 案件): one case, pinned to the definition version it started on."""

    definition = models.ForeignKey(ProcessDefinition, on_delete=models.PROTECT, related_name="instances")
    subject_type = models.CharField(_("办理对象类型"), max_length=100, blank=True)
    subject_id = models.CharField(_("办理对象编号"), max_length=64, blank=True)
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, db_index=True)
    state = models.CharField(_("状态"), max_length=16, choices=InstanceState.choices, default=InstanceState.RUNNING)
    outcome = models.CharField(_("办理结果"), max_length=100, blank=True)
    #: SpiffWorkflow's serialized state, kept as the serializer's exact text: a jsonb column would
    #: re-order its keys, and SpiffWorkflow rebuilds task data from deltas in stored order
    serialized = models.TextField(_("流程状态"), default="{}")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self) -> str:
        return f"{self.definition.name} #{self.pk}"


class TaskStatus(models.TextChoices):
    OPEN = "open", _("待办")
    CLAIMED = "claimed", _("已签收")
    COMPLETED = "completed", _("已办")
    CANCELLED = "cancelled", _("已取消")
    RETURNED = "returned", _("已退回")


class WorkTask(models.Model):
    """Work task (待办事项): one user task of a case, offered to a role on an org subtree or to one user.

    Candidates are users holding ``role_code`` on ``candidate_org`` or an org above it; ``assignee``,
    when set (the applicant's own steps, delegation), narrows the candidates to that one user.
    """

    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="tasks")
    spiff_task_id = models.CharField(max_length=36)
    element_id = models.CharField(_("步骤标识"), max_length=100)
    title = models.CharField(_("步骤"), max_length=200)
    role_code = models.CharField(_("办理角色"), max_length=50, blank=True)
    candidate_org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    candidate_path = models.CharField(max_length=255)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    sign_group = models.CharField(_("会签/或签"), max_length=8, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    due_at = models.DateTimeField(_("办理时限"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    form_data = models.JSONField(default=dict)
    comment = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "role_code", "candidate_path"], name="workflow_task_inbox"),
            models.Index(fields=["status", "assignee"], name="workflow_task_assignee"),
            models.Index(fields=["status", "claimed_by"], name="workflow_task_claimed"),
        ]
        ordering = ["due_at", "pk"]

    def __str__(self) -> str:
        return f"{self.title} #{self.pk}"


class TimerKind(models.TextChoices):
    DEADLINE = "deadline", _("到期")
    REMINDER = "reminder", _("催办")
    ESCALATION = "escalation", _("超期升级")
    BPMN_TIMER = "bpmn-timer", _("流程定时事件")


class Timer(models.Model):
    """Durable timer (定时器): fired exactly once by ``timers.fire_due_timers``, surviving restarts."""

    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="timers")
    task = models.ForeignKey(WorkTask, on_delete=models.CASCADE, null=True, blank=True, related_name="timers")
    kind = models.CharField(max_length=16, choices=TimerKind.choices)
    fire_at = models.DateTimeField()
    fired_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["fired_at", "fire_at"], name="workflow_timer_due")]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.fire_at:%Y-%m-%d %H:%M}"


class CaseEvent(models.Model):
    """Case history entry (办理记录): who did what when, with the comment and form data."""

    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=50)
    task = models.ForeignKey(WorkTask, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    comment = models.TextField(blank=True)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} @ {self.at:%Y-%m-%d %H:%M}"


# --- connectors: outbox of case events, webhook subscriptions, inbound cases -----------------

import uuid  # noqa: E402

from edubase.crypto.fields import EncryptedTextField  # noqa: E402


class OutboxEvent(models.Model):
    """Outbox entry (事件发件箱): one case event for other systems, written with the change itself."""

    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="outbox_events")
    event_type = models.CharField(_("事件类型"), max_length=50)
    payload = models.JSONField(_("事件内容"), default=dict)
    created_at = models.DateTimeField(_("发生时间"), db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.pk}"


class WebhookSubscription(models.Model):
    """Webhook subscription (事件订阅): an external system told of case events under one org."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("订阅名称"), max_length=100)
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, db_index=True)
    url = models.URLField(_("回调地址"), max_length=500)
    event_types = models.JSONField(_("事件类型"), default=list, blank=True)
    secret = EncryptedTextField(_("签名密钥"))
    active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One event for one subscription: attempts with exponential backoff until delivered or given up."""

    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status = models.IntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    gave_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["delivered_at", "next_attempt_at"], name="workflow_delivery_due")]
        constraints = [
            models.UniqueConstraint(fields=["event", "subscription"], name="workflow_delivery_event_subscription")
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription}"


class InboundCase(models.Model):
    """A case created by another system (外部系统创建的案件), keyed by that system's ``external_id``."""

    source = models.CharField(_("来源系统"), max_length=100)
    external_id = models.CharField(_("外部编号"), max_length=100)
    instance = models.OneToOneField(ProcessInstance, on_delete=models.CASCADE, related_name="inbound")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="workflow_inbound_external")]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"


# the outbox writes its rows from CaseEvent's post_save: connect the receiver with the models
from edubase.workflow import outbox as _outbox  # noqa: E402,F401
