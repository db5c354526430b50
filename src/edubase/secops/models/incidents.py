"""Security incidents (网络安全事件) and emergency drills (应急演练), their timeline, evidence and tasks.

Grading follows the four levels of the national emergency plan for cyber-security incidents
(《国家网络安全事件应急预案》: 特别重大/重大/较大/一般); categories are the top-level classes
of GB/T 20986-2023 《信息安全技术 网络安全事件分类分级指南》.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def evidence_storage() -> FileSystemStorage:
    """Evidence files live under ``var/secops/`` (outside the web root)."""
    return FileSystemStorage(location=settings.VAR_DIR / "secops")


class IncidentGrade(models.TextChoices):
    """The four levels (Ⅰ–Ⅳ级) of the national emergency plan."""

    ESPECIALLY_MAJOR = "especially_major", _("特别重大")
    MAJOR = "major", _("重大")
    RELATIVELY_MAJOR = "relatively_major", _("较大")
    GENERAL = "general", _("一般")


class IncidentCategory(models.TextChoices):
    """Top-level classes of GB/T 20986-2023."""

    MALWARE = "malware", _("恶意程序事件")
    ATTACK = "attack", _("网络攻击事件")
    DATA_SECURITY = "data_security", _("数据安全事件")
    CONTENT_SECURITY = "content_security", _("信息内容安全事件")
    FACILITY_FAILURE = "facility_failure", _("设备设施故障")
    VIOLATION = "violation", _("违规操作")
    HIDDEN_DANGER = "hidden_danger", _("安全隐患")
    ANOMALOUS_BEHAVIOUR = "anomalous_behaviour", _("异常行为")
    FORCE_MAJEURE = "force_majeure", _("不可抗力")
    OTHER = "other", _("其他")


class IncidentState(models.TextChoices):
    """discovered → reported → responding → recovered → closed."""

    DISCOVERED = "discovered", _("待上报")
    REPORTED = "reported", _("已上报")
    RESPONDING = "responding", _("处置中")
    RECOVERED = "recovered", _("已恢复")
    CLOSED = "closed", _("已结案")


class Incident(models.Model):
    """A security incident (网络安全事件) of an org, or a drill (应急演练) when ``is_exercise``.

    ``report_deadline`` is computed from ``discovered_at`` by grade and CII involvement;
    ``escalated_at`` is the marker that the overdue report was escalated to ``escalated_to``
    (the next level up), set exactly once by ``incidents.escalate_overdue``.
    """

    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("发生单位"))
    org_path = models.CharField(max_length=255, db_index=True)
    number = models.CharField(_("事件编号"), max_length=40, unique=True, null=True, blank=True)
    title = models.CharField(_("事件名称"), max_length=200)
    description = models.TextField(_("事件描述"), blank=True)
    grade = models.CharField(_("事件分级"), max_length=20, choices=IncidentGrade.choices)
    category = models.CharField(_("事件分类"), max_length=24, choices=IncidentCategory.choices)
    cii = models.BooleanField(_("涉及关键信息基础设施"), default=False)
    assets = models.ManyToManyField("secops.Asset", blank=True, related_name="incidents", verbose_name=_("受影响资产"))
    systems = models.ManyToManyField(
        "secops.InformationSystem", blank=True, related_name="incidents", verbose_name=_("受影响信息系统")
    )
    state = models.CharField(
        _("状态"), max_length=12, choices=IncidentState.choices, default=IncidentState.DISCOVERED, db_index=True
    )
    playbook = models.CharField(_("处置预案"), max_length=40, blank=True)
    discovered_at = models.DateTimeField(_("发现时间"))
    report_deadline = models.DateTimeField(_("上报时限"))
    reported_at = models.DateTimeField(_("上报时间"), null=True, blank=True)
    reported_late = models.BooleanField(_("迟报"), default=False)
    escalated_at = models.DateTimeField(_("升级时间"), null=True, blank=True)
    escalated_to = models.ForeignKey(
        "orgs.Org", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("升级至")
    )
    responding_at = models.DateTimeField(_("开始处置时间"), null=True, blank=True)
    recovered_at = models.DateTimeField(_("恢复时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    root_cause = models.TextField(_("原因分析"), blank=True)
    lessons = models.TextField(_("经验教训"), blank=True)
    post_report = models.TextField(_("事件总结报告"), blank=True)
    # drills (应急演练)
    is_exercise = models.BooleanField(_("应急演练"), default=False)
    scenario = models.TextField(_("演练场景"), blank=True)
    evaluation_score = models.PositiveSmallIntegerField(_("演练评分"), null=True, blank=True)
    evaluation = models.TextField(_("演练评估"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("网络安全事件")
        verbose_name_plural = _("网络安全事件")
        ordering = ["-discovered_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(evaluation_score__isnull=True) | Q(evaluation_score__lte=100),
                name="secops_incident_score_0_100",
            ),
        ]
        indexes = [
            models.Index(fields=["is_exercise", "state", "grade", "org_path"], name="secops_incident_stats"),
            models.Index(fields=["escalated_at", "report_deadline"], name="secops_incident_sweep"),
        ]

    def __str__(self) -> str:
        return f"{self.number or self.pk} {self.title}"


class IncidentAction(models.Model):
    """One entry of an incident's timeline (处置记录): who did what, when."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="actions")
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=16)  # created|reported|state|action|task|escalated|evaluated
    text = models.TextField(_("内容"))
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["incident", "kind"], name="secops_incident_action_kind")]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.kind}"


class IncidentEvidence(models.Model):
    """An evidence file (证据) attached to a timeline action, stored with its SM3 digest."""

    action = models.ForeignKey(IncidentAction, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("文件"), storage=evidence_storage, upload_to="evidence/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=255)
    kind = models.CharField(_("文件类型"), max_length=8)
    size = models.PositiveIntegerField(_("大小（字节）"))
    digest_sm3 = models.CharField(_("SM3 摘要"), max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name


class IncidentTask(models.Model):
    """One checklist step (处置任务) of an incident, from its playbook or added by hand."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="tasks")
    position = models.PositiveSmallIntegerField(_("序号"))
    title = models.CharField(_("任务"), max_length=200)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("负责人"),
    )
    done = models.BooleanField(_("已完成"), default=False)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["incident", "position"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "position"], name="secops_incident_task_position"),
        ]

    def __str__(self) -> str:
        return self.title
