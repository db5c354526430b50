"""Security notices and rectification (通报—整改): a notice to a school, its evidence and escalations."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.translation import gettext_lazy as _

from edubase.secops.models.findings import Severity


def evidence_storage() -> FileSystemStorage:
    """Rectification evidence lives under ``var/secops/`` (outside the web root)."""
    return FileSystemStorage(location=settings.VAR_DIR / "secops")


class NoticeStatus(models.TextChoices):
    ISSUED = "issued", _("已下发")
    ACKNOWLEDGED = "acknowledged", _("已签收")
    FIXING = "fixing", _("整改中")
    RETEST_REQUESTED = "retest_requested", _("申请复测")
    REOPENED = "reopened", _("退回整改")
    CLOSED = "closed", _("已销号")
    CANCELLED = "cancelled", _("已撤销")


#: statuses in which the school still owes an answer (a deadline can be missed)
NOTICE_OPEN = (
    NoticeStatus.ISSUED,
    NoticeStatus.ACKNOWLEDGED,
    NoticeStatus.FIXING,
    NoticeStatus.RETEST_REQUESTED,
    NoticeStatus.REOPENED,
)


class NoticeSequence(models.Model):
    """The last notice number an org issued in a year (allocated under a row lock)."""

    org = models.ForeignKey("orgs.Org", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "year"], name="secops_notice_seq_org_year")]

    def __str__(self) -> str:
        return f"{self.org_id}/{self.year}: {self.last}"


class Notice(models.Model):
    """Security notice (通报): an issuing bureau tells a school (or bureau) to rectify findings by a deadline.

    ``org``/``org_path`` are the target's (scope follows the target); the issuer is ``issuer_org``.
    The rectification runs as a workflow case (``instance``); ``status`` follows it.
    """

    number = models.CharField(_("通报编号"), max_length=60, unique=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    sequence = models.PositiveIntegerField(_("序号"))
    issuer_org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("通报单位"))
    issuer_path = models.CharField(max_length=255)
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("被通报单位"))
    org_path = models.CharField(max_length=255, db_index=True)
    title = models.CharField(_("标题"), max_length=200)
    severity = models.CharField(_("危险等级"), max_length=8, choices=Severity.choices)
    issue_text = models.TextField(_("问题描述"), blank=True)
    required_actions = models.TextField(_("整改要求"))
    deadline = models.DateTimeField(_("整改期限"), db_index=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=NoticeStatus.choices, default=NoticeStatus.ISSUED, db_index=True
    )
    overdue = models.BooleanField(_("已超期"), default=False, db_index=True)
    escalation_level = models.PositiveSmallIntegerField(_("升级次数"), default=0)
    #: when the sweep must look at this notice next (the deadline, then each escalation level); null: never
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.ForeignKey(
        "orgs.Org", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("已升级至")
    )
    handler_role = models.CharField(_("整改办理角色"), max_length=40)
    verify_level = models.CharField(_("核验层级"), max_length=16)
    findings = models.ManyToManyField("secops.Finding", blank=True, related_name="notices", verbose_name=_("漏洞"))
    incidents = models.ManyToManyField(
        "secops.Incident", blank=True, related_name="notices", verbose_name=_("安全事件")
    )
    instance = models.ForeignKey(
        "workflow.ProcessInstance", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("下发时间"))
    acknowledged_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    retest_requested_at = models.DateTimeField(_("申请复测时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    fix_summary = models.TextField(_("整改情况"), blank=True)
    verification_comment = models.TextField(_("核验意见"), blank=True)
    reopen_count = models.PositiveIntegerField(_("退回次数"), default=0)
    last_reopen_reason = models.TextField(_("最近退回理由"), blank=True)

    class Meta:
        verbose_name = _("安全通报")
        verbose_name_plural = _("安全通报")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["issuer_org", "year", "sequence"], name="secops_notice_issuer_year_seq"),
        ]
        indexes = [
            models.Index(fields=["status", "next_escalation_at"], name="secops_notice_sweep"),
            models.Index(fields=["org_path", "status"], name="secops_notice_path_status"),
        ]

    def __str__(self) -> str:
        return self.number


class NoticeEvidence(models.Model):
    """One rectification evidence file (整改佐证), its type checked by content, with its SM3 digest."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("文件"), storage=evidence_storage, upload_to="notices/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=255)
    kind = models.CharField(_("文件类型"), max_length=8)
    size = models.PositiveIntegerField(_("大小（字节）"))
    digest_sm3 = models.CharField(_("SM3 摘要"), max_length=64)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["notice", "digest_sm3"], name="secops_evidence_notice_digest")]

    def __str__(self) -> str:
        return self.original_name


class NoticeEscalation(models.Model):
    """An overdue notice escalated (升级督办) one level up: which org is now notified, once per level."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="escalations")
    level = models.PositiveSmallIntegerField(_("升级级次"))
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("督办单位"))
    at = models.DateTimeField(_("升级时间"))

    class Meta:
        ordering = ["notice_id", "level"]
        constraints = [models.UniqueConstraint(fields=["notice", "level"], name="secops_notice_escalation_once")]

    def __str__(self) -> str:
        return f"{self.notice_id} → {self.org_id} ({self.level})"
