"""The information-asset registry (信息资产) and graded protection (等保 2.0, GB/T 22239-2019)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from edubase.crypto.fields import EncryptedTextField


class SystemStatus(models.TextChoices):
    PLANNED = "planned", _("规划建设")
    ONLINE = "online", _("在用")
    OFFLINE = "offline", _("停用")
    DECOMMISSIONED = "decommissioned", _("已下线")


class InformationSystem(models.Model):
    """An information system (信息系统) of a school or bureau, the unit of MLPS grading and filing."""

    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属单位"))
    org_path = models.CharField(max_length=255, db_index=True)
    name = models.CharField(_("系统名称"), max_length=200)
    description = models.TextField(_("用途说明"), blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=SystemStatus.choices, default=SystemStatus.ONLINE)
    internet_facing = models.BooleanField(_("互联网暴露"), default=False)
    responsible_name = models.CharField(_("责任人"), max_length=50, blank=True)
    responsible_phone = EncryptedTextField(_("责任人联系电话"), null=True, blank=True)
    responsible_phone_masked = models.CharField(_("责任人联系电话（脱敏）"), max_length=20, blank=True)
    data_held = models.TextField(_("承载数据"), blank=True)
    went_live_on = models.DateField(_("上线日期"), null=True, blank=True)
    # MLPS 2.0
    mlps_level = models.PositiveSmallIntegerField(_("等保级别"), null=True, blank=True)
    graded_on = models.DateField(_("定级日期"), null=True, blank=True)
    filing_number = models.CharField(_("备案编号"), max_length=50, blank=True)
    filed_on = models.DateField(_("备案日期"), null=True, blank=True)
    cii = models.BooleanField(_("关键信息基础设施"), default=False)
    last_assessed_on = models.DateField(_("最近测评日期"), null=True, blank=True)
    next_assessment_due = models.DateField(_("下次测评截止"), null=True, blank=True, db_index=True)
    filing_due = models.DateField(_("备案截止"), null=True, blank=True, db_index=True)
    last_seen_at = models.DateTimeField(_("最近发现时间"), null=True, blank=True)
    decommissioned_at = models.DateTimeField(_("下线时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("信息系统")
        verbose_name_plural = _("信息系统")
        ordering = ["org_path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="secops_system_org_name"),
            models.CheckConstraint(
                condition=Q(mlps_level__isnull=True) | Q(mlps_level__gte=1, mlps_level__lte=5),
                name="secops_system_mlps_level_1_5",
            ),
        ]
        indexes = [
            models.Index(fields=["mlps_level", "org_path"], name="secops_system_level_path"),
            models.Index(fields=["status", "org_path"], name="secops_system_status_path"),
        ]

    def __str__(self) -> str:
        return self.name


class AssetKind(models.TextChoices):
    DOMAIN = "domain", _("网站/域名")
    IP = "ip", _("IP 地址")
    IP_RANGE = "ip_range", _("IP 地址段")
    SERVER = "server", _("服务器")
    DATABASE = "database", _("数据库")
    APPLICATION = "application", _("应用")
    CLOUD = "cloud", _("云资源")


class Asset(models.Model):
    """A part of an information system, or a thing seen on the network that nobody registered.

    ``registered=False`` marks an asset discovered by a scan or in logs (未登记资产); together
    with decommissioned assets still answering, these are the "zombie" list (僵尸/双非).
    """

    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属单位"))
    org_path = models.CharField(max_length=255, db_index=True)
    system = models.ForeignKey(
        InformationSystem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assets",
        verbose_name=_("所属信息系统"),
    )
    kind = models.CharField(_("资产类型"), max_length=16, choices=AssetKind.choices)
    name = models.CharField(_("资产名称"), max_length=200)
    domain = models.CharField(_("域名"), max_length=253, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True, db_index=True)
    ip_range = models.CharField(_("IP 地址段"), max_length=64, blank=True)
    detail = models.CharField(_("型号/版本/位置"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=SystemStatus.choices, default=SystemStatus.ONLINE)
    internet_exposed = models.BooleanField(_("互联网暴露"), default=False)
    registered = models.BooleanField(_("已登记"), default=True, db_index=True)
    last_seen_at = models.DateTimeField(_("最近发现时间"), null=True, blank=True)
    decommissioned_at = models.DateTimeField(_("下线时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("资产")
        verbose_name_plural = _("资产")
        ordering = ["org_path", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["org", "domain"], condition=~Q(domain=""), name="secops_asset_org_domain"),
            models.UniqueConstraint(fields=["org", "ip"], condition=Q(ip__isnull=False), name="secops_asset_org_ip"),
        ]
        indexes = [models.Index(fields=["registered", "status", "org_path"], name="secops_asset_reg_status")]

    def __str__(self) -> str:
        return self.name


class AssessmentConclusion(models.TextChoices):
    PASS = "pass", _("符合")
    BASIC = "basic", _("基本符合")
    FAIL = "fail", _("不符合")


class Assessment(models.Model):
    """One MLPS assessment (等级测评) of a system."""

    system = models.ForeignKey(InformationSystem, on_delete=models.CASCADE, related_name="assessments")
    assessed_on = models.DateField(_("测评日期"))
    agency = models.CharField(_("测评机构"), max_length=200, blank=True)
    report_number = models.CharField(_("报告编号"), max_length=80, blank=True)
    conclusion = models.CharField(_("测评结论"), max_length=8, choices=AssessmentConclusion.choices)
    score = models.DecimalField(_("综合得分"), max_digits=5, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("等级测评")
        verbose_name_plural = _("等级测评")
        ordering = ["-assessed_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.system} {self.assessed_on}"


class RegistryChange(models.Model):
    """History of every change to a system or an asset (who, when, before → after)."""

    org_path = models.CharField(max_length=255, db_index=True)
    target_type = models.CharField(max_length=16)  # "system" | "asset"
    target_id = models.BigIntegerField()
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=16)  # create | update | delete | import
    changes = models.JSONField(default=dict)  # {field: [before, after]}

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["target_type", "target_id", "at"], name="secops_change_target")]

    def __str__(self) -> str:
        return f"{self.target_type}#{self.target_id} {self.action}"
