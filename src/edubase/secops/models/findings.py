"""Vulnerability findings (漏洞) imported from scanners (Greenbone/OpenVAS XML, generic CSV/XLSX)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Severity(models.TextChoices):
    """CVSS v3 base score bands: 9.0–10 严重, 7.0–8.9 高危, 4.0–6.9 中危, 0.1–3.9 低危, 0 信息."""

    CRITICAL = "critical", _("严重")
    HIGH = "high", _("高危")
    MEDIUM = "medium", _("中危")
    LOW = "low", _("低危")
    INFO = "info", _("信息")


class FindingStatus(models.TextChoices):
    OPEN = "open", _("待处置")
    FIXING = "fixing", _("整改中")
    FIXED = "fixed", _("已修复")
    ACCEPTED = "accepted", _("风险接受")
    FALSE_POSITIVE = "false_positive", _("误报")


class ScanImport(models.Model):
    """One uploaded scanner report (扫描结果导入) and what its import did."""

    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("扫描范围"))
    org_path = models.CharField(max_length=255, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    filename = models.CharField(_("文件名"), max_length=255)
    format = models.CharField(_("格式"), max_length=16)  # openvas | csv | xlsx
    digest_sm3 = models.CharField(_("文件 SM3 摘要"), max_length=64)
    scanned_at = models.DateTimeField(_("扫描时间"), null=True, blank=True)
    #: {"rows", "hosts", "new", "seen", "reopened", "unmatched", "unknown_hosts", "not_seen", "duplicates"}
    counts = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("扫描结果导入")
        verbose_name_plural = _("扫描结果导入")
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return self.filename


class Finding(models.Model):
    """One vulnerability on one host/port, identified by a fingerprint across scans."""

    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属单位"))
    org_path = models.CharField(max_length=255, db_index=True)
    asset = models.ForeignKey("secops.Asset", on_delete=models.SET_NULL, null=True, blank=True, related_name="findings")
    fingerprint = models.CharField(max_length=64, unique=True)  # SM3(org|host|port|signature)
    host = models.CharField(_("主机"), max_length=253, db_index=True)
    hostname = models.CharField(_("主机名"), max_length=253, blank=True)
    port = models.CharField(_("端口"), max_length=32, blank=True)
    name = models.CharField(_("漏洞名称"), max_length=500)
    signature = models.CharField(_("检测项标识"), max_length=200, blank=True)  # NVT OID / plugin id
    cves = models.JSONField(_("CVE 编号"), default=list, blank=True)
    cvss = models.DecimalField(_("CVSS 基础分"), max_digits=3, decimal_places=1, null=True, blank=True)
    severity = models.CharField(_("危险等级"), max_length=8, choices=Severity.choices, db_index=True)
    description = models.TextField(_("描述"), blank=True)
    solution = models.TextField(_("解决方案"), blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=FindingStatus.choices, default=FindingStatus.OPEN, db_index=True
    )
    status_reason = models.CharField(_("处置说明"), max_length=500, blank=True)
    unknown_asset = models.BooleanField(_("未登记资产"), default=False)
    first_seen = models.DateTimeField(_("首次发现"))
    last_seen = models.DateTimeField(_("最近发现"))
    reopened_count = models.PositiveIntegerField(_("复现次数"), default=0)
    fixed_at = models.DateTimeField(_("修复时间"), null=True, blank=True)
    last_import = models.ForeignKey(ScanImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("漏洞")
        verbose_name_plural = _("漏洞")
        ordering = ["-last_seen", "-pk"]
        indexes = [
            models.Index(fields=["status", "severity", "org_path"], name="secops_finding_status_sev"),
            models.Index(fields=["org_path", "status", "first_seen"], name="secops_finding_path_age"),
        ]

    def __str__(self) -> str:
        return f"{self.host} {self.name}"


class FindingChange(models.Model):
    """History of a finding's status (处置记录): who changed it, when, from what, to what, and why."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    from_status = models.CharField(_("原状态"), max_length=16, choices=FindingStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, choices=FindingStatus.choices)
    reason = models.CharField(_("说明"), max_length=500, blank=True)
    scan_import = models.ForeignKey(ScanImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("漏洞处置记录")
        verbose_name_plural = _("漏洞处置记录")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.finding_id} {self.from_status}→{self.to_status}"
