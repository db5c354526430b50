"""Education e-certificates (教育电子证照): templates, issuers and keys, certificates, status lists,
issuance batches, share links, verification records and holder notices."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CertificateKind(models.TextChoices):
    GRADUATION = "graduation", _("毕业证书")
    DEGREE = "degree", _("学位证书")
    TRANSCRIPT = "transcript", _("成绩单")
    TEACHER_QUALIFICATION = "teacher_qualification", _("教师资格证书")
    TRAINING = "training", _("培训合格证书")


class CertificateTemplate(models.Model):
    """Certificate template (证照模板): one version of a certificate type's fields, rules, issuer kinds
    and print layout. A certificate keeps the version it was issued under; edits add a version.

    ``fields``: ``[{"key", "label", "type": "text|date|number|courses", "required"}]``;
    ``rules``: ``{"validity_years": int|None, "min_courses": int, ...}``;
    ``issuer_kinds``: org kinds that may issue it; ``layout``: ``{"title", "order": [keys], "footer"}``.
    """

    code = models.CharField(_("模板代码"), max_length=40)
    version = models.PositiveIntegerField(_("版本"), default=1)
    kind = models.CharField(_("证照类型"), max_length=32, choices=CertificateKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    type_code = models.CharField(_("证照类型代码"), max_length=32, help_text=_("定义机构统一社会信用代码 + 类型后缀"))
    fields = models.JSONField(_("字段"), default=list)
    rules = models.JSONField(_("规则"), default=dict, blank=True)
    issuer_kinds = models.JSONField(_("可签发机构类型"), default=list)
    layout = models.JSONField(_("打印版式"), default=dict, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("证照模板")
        verbose_name_plural = _("证照模板")
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="credentials_template_code_version")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Issuer(models.Model):
    """Issuer (发证机构): an org with its 18-character unified social credit code (统一社会信用代码), its
    school code, and its signing node in the "1+M+N" key hierarchy."""

    org = models.OneToOneField("orgs.Org", on_delete=models.PROTECT, related_name="credential_issuer")
    org_path = models.CharField(max_length=255, db_index=True)
    name = models.CharField(_("名称"), max_length=100)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    school_code = models.CharField(_("学校标识码"), max_length=10, blank=True)
    key_node = models.CharField(_("密钥节点"), max_length=64)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("发证机构")
        verbose_name_plural = _("发证机构")
        ordering = ["org_path"]

    def __str__(self) -> str:
        return self.name


class IssuerKey(models.Model):
    """Issuer key (发证机构密钥): every public key an issuer ever signed with, with its validity, published
    so that certificates signed before a rotation still verify."""

    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="keys")
    kid = models.CharField(_("密钥标识"), max_length=255, unique=True)
    alg = models.CharField(_("算法"), max_length=16, default="SM2")
    key_version = models.PositiveIntegerField(_("密钥版本"))
    public_pem = models.TextField(_("公钥"))
    valid_from = models.DateTimeField(_("启用时间"))
    valid_until = models.DateTimeField(_("停用时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("发证机构密钥")
        verbose_name_plural = _("发证机构密钥")
        ordering = ["issuer", "key_version"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "alg", "key_version"], name="credentials_issuerkey_version")
        ]

    def __str__(self) -> str:
        return self.kid


class StatusPurpose(models.TextChoices):
    REVOCATION = "revocation", _("撤销")
    SUSPENSION = "suspension", _("暂扣")


class StatusList(models.Model):
    """Status list (状态列表): one W3C Bitstring Status List of an issuer; indices are handed out at random
    up to ``capacity`` (half the bits, so random picks stay cheap); the signed list is published."""

    list_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="status_lists")
    purpose = models.CharField(_("用途"), max_length=16, choices=StatusPurpose.choices)
    size = models.PositiveIntegerField(_("位数"), default=131072)
    capacity = models.PositiveIntegerField(_("可分配数"), default=65536)
    allocated = models.PositiveIntegerField(_("已分配"), default=0)
    signed_jws = models.TextField(_("已签名状态列表"), blank=True)
    dirty = models.BooleanField(_("待发布"), default=True)
    revision = models.PositiveIntegerField(_("发布次数"), default=0)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("状态列表")
        verbose_name_plural = _("状态列表")
        ordering = ["issuer", "purpose", "pk"]

    def __str__(self) -> str:
        return f"{self.issuer_id}/{self.purpose}/{self.list_id}"


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("有效")
    SUSPENDED = "suspended", _("暂扣")
    REVOKED = "revoked", _("撤销")
    CANCELLED = "cancelled", _("注销")
    EXPIRED = "expired", _("失效")
    AMENDED = "amended", _("变更")


#: statuses that set the certificate's revocation bit (terminal: never reinstated)
REVOKED_LIKE = (CertificateStatus.REVOKED, CertificateStatus.CANCELLED, CertificateStatus.AMENDED)


class Certificate(models.Model):
    """Certificate (电子证照): one signed W3C VC 2.0 with its GB/T 36904 identifier and GB/T 36903
    metadata; an amended one (变更) links to its successor (the reissued version)."""

    identifier = models.CharField(_("证照标识"), max_length=96, unique=True)
    serial = models.CharField(_("序号"), max_length=32)
    version = models.PositiveIntegerField(_("版本"), default=1)
    template = models.ForeignKey(CertificateTemplate, on_delete=models.PROTECT, related_name="+")
    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="certificates")
    org_path = models.CharField(max_length=255)
    holder = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="certificates")
    holder_name = models.CharField(_("持证人"), max_length=50)
    subject = models.JSONField(_("证照内容"), default=dict)
    jws = models.TextField(_("签名凭证"))
    digest = models.CharField(_("SM3 摘要"), max_length=64, db_index=True)
    kid = models.CharField(_("签名密钥"), max_length=255)
    status = models.CharField(
        _("状态"), max_length=16, choices=CertificateStatus.choices, default=CertificateStatus.VALID
    )
    status_reason = models.TextField(_("状态变更原因"), blank=True)
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    successor = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="predecessor", verbose_name=_("换发后")
    )
    revocation_list = models.ForeignKey(StatusList, on_delete=models.PROTECT, related_name="+")
    revocation_index = models.PositiveIntegerField()
    suspension_list = models.ForeignKey(StatusList, on_delete=models.PROTECT, related_name="+")
    suspension_index = models.PositiveIntegerField()
    batch = models.ForeignKey("IssuanceBatch", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    issued_at = models.DateTimeField(_("签发时间"))
    valid_from = models.DateTimeField(_("生效时间"))
    valid_until = models.DateTimeField(_("有效期至"), null=True, blank=True)

    class Meta:
        verbose_name = _("电子证照")
        verbose_name_plural = _("电子证照")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "serial", "version"], name="credentials_cert_serial_version"),
            models.UniqueConstraint(fields=["revocation_list", "revocation_index"], name="credentials_cert_rev_idx"),
            models.UniqueConstraint(fields=["suspension_list", "suspension_index"], name="credentials_cert_sus_idx"),
        ]
        indexes = [
            models.Index(fields=["org_path", "issued_at"], name="credentials_cert_path_issued"),
            models.Index(fields=["holder", "issued_at"], name="credentials_cert_holder"),
        ]

    def __str__(self) -> str:
        return self.identifier


class BatchStatus(models.TextChoices):
    DRAFT = "draft", _("待提交")
    PENDING = "pending", _("审批中")
    APPROVED = "approved", _("已批准，待签发")
    SIGNING = "signing", _("签发中")
    PUBLISHED = "published", _("已发布")
    REJECTED = "rejected", _("未批准")
    CANCELLED = "cancelled", _("已撤回")


class IssuanceBatch(models.Model):
    """Issuance batch (批量签发): a cohort previewed from XLSX or the people registry, approved through the
    workflow engine, then signed item by item (resumable: each item records its own state)."""

    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="batches")
    org_path = models.CharField(max_length=255, db_index=True)
    template = models.ForeignKey(CertificateTemplate, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("批次名称"), max_length=200)
    source = models.CharField(_("来源"), max_length=16)  # xlsx | registry | reissue
    status = models.CharField(_("状态"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    instance = models.ForeignKey(
        "workflow.ProcessInstance", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    total = models.PositiveIntegerField(_("人数"), default=0)
    issued = models.PositiveIntegerField(_("已签发"), default=0)
    failed = models.PositiveIntegerField(_("失败"), default=0)
    decision_reason = models.TextField(_("审批意见"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("签发批次")
        verbose_name_plural = _("签发批次")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class ItemState(models.TextChoices):
    PENDING = "pending", _("待签发")
    ISSUED = "issued", _("已签发")
    FAILED = "failed", _("失败")


class IssuanceItem(models.Model):
    """One holder of a batch (签发明细) with the content previewed; signing fills ``certificate``."""

    batch = models.ForeignKey(IssuanceBatch, on_delete=models.CASCADE, related_name="items")
    row = models.PositiveIntegerField(_("行号"))
    holder = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    subject = models.JSONField(_("证照内容"), default=dict)
    state = models.CharField(_("状态"), max_length=16, choices=ItemState.choices, default=ItemState.PENDING)
    error = models.TextField(_("错误"), blank=True)
    certificate = models.OneToOneField(
        Certificate, on_delete=models.PROTECT, null=True, blank=True, related_name="issuance_item"
    )
    predecessor = models.ForeignKey(Certificate, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("签发明细")
        verbose_name_plural = _("签发明细")
        ordering = ["batch", "row"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "row"], name="credentials_item_row"),
            models.UniqueConstraint(fields=["batch", "holder"], name="credentials_item_holder"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}#{self.row}"


class ShareLink(models.Model):
    """Share link (分享链接): a holder's time-limited link (30–180 days) to a certificate and its check."""

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="share_links")
    token = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("有效期至"))
    revoked_at = models.DateTimeField(_("停止分享时间"), null=True, blank=True)
    views = models.PositiveIntegerField(_("访问次数"), default=0)

    class Meta:
        verbose_name = _("分享链接")
        verbose_name_plural = _("分享链接")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.certificate_id}:{self.token[:6]}"


class VerificationEvent(models.Model):
    """Verification record (核验记录): who checked which certificate, when, how, with what result."""

    certificate = models.ForeignKey(
        Certificate, on_delete=models.SET_NULL, null=True, blank=True, related_name="verifications"
    )
    identifier = models.CharField(_("证照标识"), max_length=96, blank=True)
    org_path = models.CharField(max_length=255, blank=True, db_index=True)
    at = models.DateTimeField(_("核验时间"), auto_now_add=True)
    channel = models.CharField(_("渠道"), max_length=16)  # api | web | qr | share | cli | upload
    valid = models.BooleanField(_("结果"))
    failed_check = models.CharField(_("未通过的检查"), max_length=32, blank=True)
    verifier = models.CharField(_("核验方"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    share_link = models.ForeignKey(ShareLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("核验记录")
        verbose_name_plural = _("核验记录")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["certificate", "at"], name="credentials_verif_cert_at")]

    def __str__(self) -> str:
        return f"{self.identifier} {self.at:%Y-%m-%d %H:%M}"


class HolderNotice(models.Model):
    """Holder notice (持证人通知): what happened to a holder's certificate (revoked, suspended, reissued)."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(_("类型"), max_length=16)
    message = models.TextField(_("内容"))
    at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("持证人通知")
        verbose_name_plural = _("持证人通知")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.kind}"
