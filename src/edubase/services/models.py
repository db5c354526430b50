"""Government services (政务服务): the item catalogue (事项清单), applications, materials, ratings."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.translation import gettext_lazy as _


def material_storage() -> FileSystemStorage:
    """Uploaded materials live under ``var/services/`` (outside the web root)."""
    return FileSystemStorage(location=settings.VAR_DIR / "services")


class HandlingLevel(models.TextChoices):
    PROVINCE = "province", _("省级")
    CITY = "city", _("市级")
    COUNTY = "county", _("县级")
    SCHOOL = "school", _("学校")


class ServiceItem(models.Model):
    """Service item (事项): what can be applied for, where, in how long, with which materials.

    ``materials`` is a list of ``{"name", "required", "types": ["pdf", …], "max_mb", "template"}``;
    ``channels`` a list of channel names (网上办理、窗口办理…); ``faq`` a list of ``{"q", "a"}``.
    """

    code = models.CharField(_("事项编码"), max_length=50, unique=True)
    name = models.CharField(_("事项名称"), max_length=200)
    legal_basis = models.TextField(_("设定依据"), blank=True)
    handling_level = models.CharField(_("办理层级"), max_length=16, choices=HandlingLevel.choices)
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("实施机构"))
    promised_days = models.PositiveIntegerField(_("承诺办结时限（工作日）"))
    legal_days = models.PositiveIntegerField(_("法定办结时限（工作日）"))
    materials = models.JSONField(_("申请材料"), default=list, blank=True)
    fees = models.TextField(_("收费标准"), blank=True, default="不收费")
    process_key = models.CharField(_("办理流程"), max_length=100)
    channels = models.JSONField(_("办理渠道"), default=list, blank=True)
    faq = models.JSONField(_("常见问题"), default=list, blank=True)
    published = models.BooleanField(_("已发布"), default=False)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def material_spec(self, name: str) -> dict[str, object] | None:
        return next((m for m in self.materials if m.get("name") == name), None)


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    IN_REVIEW = "in_review", _("审核中")
    RETURNED = "returned", _("退回补正")
    APPROVED = "approved", _("准予")
    REJECTED = "rejected", _("不予")
    WITHDRAWN = "withdrawn", _("已撤回")


FINAL = (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN)


class Application(models.Model):
    """Application (办件): one applicant's request for one item, handled by the item's process."""

    number = models.CharField(_("申请编号"), max_length=40, unique=True, null=True, blank=True)
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    applicant_person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    applicant_org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("实施机构"))
    org_path = models.CharField(max_length=255, db_index=True)
    form_data = models.JSONField(_("申请表"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT
    )
    instance = models.ForeignKey(
        "workflow.ProcessInstance", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    deadline = models.DateTimeField(_("承诺办结期限"), null=True, blank=True)
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    result_number = models.CharField(_("决定文书编号"), max_length=50, blank=True)
    decision_reason = models.TextField(_("办理意见"), blank=True)
    corrections = models.PositiveIntegerField(_("补正次数"), default=0)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return f"{self.item.name} {self.number or self.pk}"


class Material(models.Model):
    """One uploaded material (申请材料), its type checked by content, stored with its SM3 digest."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="material_files")
    name = models.CharField(_("材料名称"), max_length=200)
    file = models.FileField(_("文件"), storage=material_storage, upload_to="materials/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=255)
    kind = models.CharField(_("文件类型"), max_length=8)
    size = models.PositiveIntegerField(_("大小（字节）"))
    digest_sm3 = models.CharField(_("SM3 摘要"), max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class RatingLevel(models.IntegerChoices):
    """好差评 five levels (GB/T 39735—2020)."""

    VERY_SATISFIED = 5, _("非常满意")
    SATISFIED = 4, _("满意")
    BASICALLY = 3, _("基本满意")
    DISSATISFIED = 2, _("不满意")
    VERY_DISSATISFIED = 1, _("非常不满意")


class Rating(models.Model):
    """The applicant's rating (好差评) of one completed application."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="rating")
    level = models.PositiveSmallIntegerField(_("评价"), choices=RatingLevel.choices)
    comment = models.TextField(_("评价内容"), blank=True)
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.application_id}: {self.level}"
