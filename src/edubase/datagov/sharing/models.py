"""Data permissions and sharing (数据共享) and the data life cycle (数据生命周期)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from edubase.datagov.sharing.policy import PURPOSES


class AccessPolicy(models.Model):
    """A version of the access policy (访问策略) rules (``policy.DEFAULT_RULES`` is version 1)."""

    version = models.PositiveIntegerField(_("版本"), unique=True)
    rules = models.JSONField(_("规则"))
    note = models.CharField(_("修订说明"), max_length=500, blank=True)
    active = models.BooleanField(_("生效"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("访问策略")
        verbose_name_plural = _("访问策略")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["active"], condition=Q(active=True), name="dgshare_policy_one_active")
        ]

    def __str__(self) -> str:
        return f"v{self.version}"


class ShareStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    IN_REVIEW = "in_review", _("审批中")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("未批准")
    WITHDRAWN = "withdrawn", _("已撤回")


SHARE_FINAL = (ShareStatus.APPROVED, ShareStatus.REJECTED, ShareStatus.WITHDRAWN)


class Delivery(models.TextChoices):
    EXTRACT = "extract", _("脱敏数据文件（XLSX/CSV）")
    API = "api", _("接口令牌读取")


class ShareRequest(models.Model):
    """Share request (共享申请): one org asks for fields of another org's dataset, for a purpose and a period.

    ``org``/``org_path`` are the dataset owner's (its approvers act there); ``requester_path`` is
    the requesting org's. ``decisions`` keeps the policy verdicts at submission, field by field.
    """

    number = models.CharField(_("申请编号"), max_length=40, unique=True, null=True, blank=True)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requester_org = models.ForeignKey(
        "orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("申请单位")
    )
    requester_path = models.CharField(max_length=255, db_index=True)
    dataset = models.ForeignKey(
        "datagov.Dataset", on_delete=models.PROTECT, related_name="share_requests", verbose_name=_("数据集")
    )
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("数据提供单位"))
    org_path = models.CharField(max_length=255, db_index=True)
    fields = models.JSONField(_("申请字段"), default=list)
    purpose = models.CharField(_("用途"), max_length=32, choices=list(PURPOSES.items()))
    purpose_detail = models.TextField(_("用途说明"), blank=True)
    period_start = models.DateField(_("使用期限起"))
    period_end = models.DateField(_("使用期限止"))
    delivery = models.CharField(_("交付方式"), max_length=16, choices=Delivery.choices, default=Delivery.EXTRACT)
    row_org = models.ForeignKey(
        "orgs.Org", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("数据范围")
    )
    grade_category = models.CharField(_("数据级别"), max_length=16)
    approval_levels = models.JSONField(_("审批层级"), default=list)
    policy_version = models.PositiveIntegerField(_("策略版本"), default=0)
    decisions = models.JSONField(_("策略判定"), default=list)
    status = models.CharField(_("状态"), max_length=16, choices=ShareStatus.choices, default=ShareStatus.SUBMITTED)
    instance = models.ForeignKey(
        "workflow.ProcessInstance", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_reason = models.TextField(_("审批意见"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("共享申请")
        verbose_name_plural = _("共享申请")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="dgshare_period")
        ]

    def __str__(self) -> str:
        return self.number or f"共享申请 {self.pk}"


class ShareGrant(models.Model):
    """Share grant (共享授权): what an approved request lets its recipient read, until when.

    ``effects`` maps each granted field to allow / pseudonym / mask; ``row_codes`` (None: every
    row) limits rows by ``row_column``. ``watermark_salt`` makes the grant's watermark key.
    """

    request = models.OneToOneField(ShareRequest, on_delete=models.PROTECT, related_name="grant")
    dataset = models.ForeignKey("datagov.Dataset", on_delete=models.PROTECT, related_name="share_grants")
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("数据提供单位"))
    org_path = models.CharField(max_length=255, db_index=True)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recipient_org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    recipient_path = models.CharField(max_length=255, db_index=True)
    effects = models.JSONField(_("字段授权"), default=dict)
    row_column = models.CharField(_("行筛选列"), max_length=200, blank=True)
    row_codes = models.JSONField(_("行筛选代码"), null=True, blank=True)
    row_scope = models.CharField(_("行范围说明"), max_length=300, blank=True)
    valid_from = models.DateTimeField(_("生效时间"))
    expires_at = models.DateTimeField(_("到期时间"), db_index=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoke_reason = models.CharField(_("撤销原因"), max_length=300, blank=True)
    watermark_salt = models.CharField(max_length=64)
    reads = models.PositiveIntegerField(_("读取次数"), default=0)
    last_read_at = models.DateTimeField(_("最近读取"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("共享授权")
        verbose_name_plural = _("共享授权")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.request} → {self.recipient_org_id}"

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        now = timezone.now()
        if now >= self.expires_at:
            return "expired"
        if now < self.valid_from:
            return "pending"
        return "active"

    @property
    def state_label(self) -> str:
        return {"revoked": "已撤销", "expired": "已到期", "pending": "未生效", "active": "有效"}[self.state]


class ShareToken(models.Model):
    """Share token (共享接口令牌): reads one grant's masked rows through the API; stored as an HMAC digest."""

    grant = models.ForeignKey(ShareGrant, on_delete=models.CASCADE, related_name="tokens")
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("共享接口令牌")
        verbose_name_plural = _("共享接口令牌")

    def __str__(self) -> str:
        return f"{self.prefix}…"


class Extract(models.Model):
    """One delivered extract file (共享数据文件): its digest and the watermark markers it carries."""

    grant = models.ForeignKey(ShareGrant, on_delete=models.CASCADE, related_name="extracts")
    format = models.CharField(_("格式"), max_length=8)
    rows = models.PositiveIntegerField(_("数据行数"))
    markers = models.JSONField(_("标记行摘要"), default=list)
    digest_sm3 = models.CharField(_("SM3 摘要"), max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("共享数据文件")
        verbose_name_plural = _("共享数据文件")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.grant_id}:{self.format}:{self.pk}"


class LeakTrace(models.Model):
    """A leak tracing (泄露溯源) run: an uploaded file and the grant it was traced to, if any."""

    filename = models.CharField(_("文件名"), max_length=255)
    digest_sm3 = models.CharField(_("SM3 摘要"), max_length=64)
    grant = models.ForeignKey(ShareGrant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    method = models.CharField(_("识别方式"), max_length=20, blank=True)
    matched_rows = models.PositiveIntegerField(default=0)
    checked_rows = models.PositiveIntegerField(default=0)
    traced_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, db_index=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("泄露溯源")
        verbose_name_plural = _("泄露溯源")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return self.filename


class LifecycleState(models.TextChoices):
    ACTIVE = "active", _("在用")
    ARCHIVED = "archived", _("已归档")
    DELETED = "deleted", _("已删除")


class ExpiryAction(models.TextChoices):
    ARCHIVE = "archive", _("到期归档")
    DELETE = "delete", _("到期删除（须人工确认并出具删除证明）")


class RetentionRule(models.Model):
    """Retention rule (保存期限规则) and life-cycle state of one dataset, with its legal hold (法律保全)."""

    dataset = models.OneToOneField("datagov.Dataset", on_delete=models.PROTECT, related_name="retention")
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, db_index=True)
    retain_days = models.PositiveIntegerField(_("保存期限（天）"))
    starts_on = models.DateField(_("起算日期"))
    on_expiry = models.CharField(_("到期处置"), max_length=16, choices=ExpiryAction.choices)
    basis = models.CharField(_("依据"), max_length=300, blank=True)
    state = models.CharField(_("状态"), max_length=16, choices=LifecycleState.choices, default=LifecycleState.ACTIVE)
    archived_at = models.DateTimeField(_("归档时间"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("删除时间"), null=True, blank=True)
    legal_hold = models.BooleanField(_("法律保全"), default=False)
    hold_reason = models.CharField(_("保全事由"), max_length=300, blank=True)
    hold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hold_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("保存期限规则")
        verbose_name_plural = _("保存期限规则")
        ordering = ["org_path", "dataset_id"]

    def __str__(self) -> str:
        return f"{self.dataset_id}: {self.retain_days}d"

    @property
    def due_on(self) -> object:
        import datetime as dt

        return self.starts_on + dt.timedelta(days=self.retain_days)


class DeletionCertificate(models.Model):
    """Deletion certificate (删除证明): what was deleted, when, by whom — SM2-signed by the province node.

    ``payload`` is the exact UTF-8 JSON text that was signed; ``signature`` is DER, hex.
    """

    number = models.CharField(_("证明编号"), max_length=40, unique=True)
    dataset = models.ForeignKey("datagov.Dataset", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    dataset_name = models.CharField(_("数据集"), max_length=200)
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, db_index=True)
    payload = models.TextField(_("证明内容"))
    signature = models.TextField(_("SM2 签名"))
    signer_node = models.CharField(_("签名节点"), max_length=50)
    key_version = models.PositiveIntegerField(_("密钥版本"))
    key_fingerprint = models.CharField(_("公钥指纹"), max_length=64)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("出具时间"))

    class Meta:
        verbose_name = _("删除证明")
        verbose_name_plural = _("删除证明")
        ordering = ["-issued_at", "-pk"]

    def __str__(self) -> str:
        return self.number
