"""Log sources, Sigma detection rules (with per-scope switches and exceptions) and alerts (issue 6)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SourceFormat(models.TextChoices):
    AUTO = "auto", _("自动识别")
    NGINX = "nginx", _("Nginx 访问日志")
    APACHE = "apache", _("Apache 访问日志")
    SSHD = "sshd", _("OpenSSH / PAM 认证日志")
    SYSLOG = "syslog", _("Linux 系统日志")
    FIREWALL = "firewall", _("iptables / nftables")
    WINDOWS = "windows", _("Windows 安全日志（JSON）")
    JSON = "json", _("通用 JSON")


class LogSource(models.Model):
    """A registered sender of logs (a school's server, a bureau's firewall…).

    HTTP and ``_bulk`` senders authenticate with the ingest token (only its SM3 digest is kept);
    syslog senders, which carry no token, are recognised by their address (``sender_ips``).
    Events from an unknown sender are refused and counted in ``IngestRejection``.
    """

    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属单位"))
    org_path = models.CharField(max_length=255, db_index=True)
    name = models.CharField(_("日志源名称"), max_length=200)
    format = models.CharField(_("日志格式"), max_length=16, choices=SourceFormat.choices, default=SourceFormat.AUTO)
    token_prefix = models.CharField(max_length=12, unique=True)
    token_digest = models.CharField(max_length=64)
    sender_ips = models.JSONField(_("发送端地址"), default=list, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_event_at = models.DateTimeField(_("最近接收"), null=True, blank=True)
    accepted = models.BigIntegerField(_("已接收"), default=0)
    unparsed = models.BigIntegerField(_("未解析"), default=0)

    class Meta:
        verbose_name = _("日志源")
        verbose_name_plural = _("日志源")
        ordering = ["org_path", "name"]
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="secops_logsource_org_name")]

    def __str__(self) -> str:
        return self.name


class IngestRejection(models.Model):
    """Events refused at the door, counted by sender and reason (unknown source, bad token …)."""

    peer = models.CharField(max_length=64)
    reason = models.CharField(max_length=32)
    count = models.BigIntegerField(default=0)
    first_at = models.DateTimeField(auto_now_add=True)
    last_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["peer", "reason"], name="secops_rejection_peer_reason")]

    def __str__(self) -> str:
        return f"{self.peer} {self.reason} ×{self.count}"


class RuleLevel(models.TextChoices):
    INFORMATIONAL = "informational", _("提示")
    LOW = "low", _("低")
    MEDIUM = "medium", _("中")
    HIGH = "high", _("高")
    CRITICAL = "critical", _("严重")


class DetectionRule(models.Model):
    """One Sigma rule (atomic or correlation), as imported; ``error`` says why it cannot run."""

    rule_id = models.CharField(_("规则 ID"), max_length=64, unique=True)  # the Sigma ``id`` (or a name)
    title = models.CharField(_("规则名称"), max_length=300)
    description = models.TextField(_("说明"), blank=True)
    level = models.CharField(_("级别"), max_length=16, choices=RuleLevel.choices, default=RuleLevel.MEDIUM)
    kind = models.CharField(max_length=16, default="atomic")  # atomic | correlation
    status = models.CharField(max_length=16, blank=True)  # the Sigma status: stable, test, experimental …
    tags = models.JSONField(default=list, blank=True)  # attack.t1110 … as written in the rule
    pack = models.CharField(_("规则包"), max_length=100, blank=True)
    yaml = models.TextField()
    enabled = models.BooleanField(_("全省启用"), default=True)
    error = models.TextField(_("不支持的原因"), blank=True)
    compiled = models.JSONField(default=dict, blank=True)  # {"duckdb": sql, "clickhouse": sql}
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("检测规则")
        verbose_name_plural = _("检测规则")
        ordering = ["pack", "title"]

    def __str__(self) -> str:
        return self.title


class RuleScope(models.Model):
    """A rule switched on or off for one org's subtree (the deepest setting wins)."""

    rule = models.ForeignKey(DetectionRule, on_delete=models.CASCADE, related_name="scopes")
    org = models.ForeignKey("orgs.Org", on_delete=models.CASCADE, related_name="+")
    org_path = models.CharField(max_length=255, db_index=True)
    enabled = models.BooleanField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "org"], name="secops_rulescope_rule_org")]

    def __str__(self) -> str:
        return f"{self.rule_id}@{self.org_id}={self.enabled}"


class RuleException(models.Model):
    """Suppress a rule's alerts in one org's subtree when ``field`` has one of ``values``."""

    rule = models.ForeignKey(DetectionRule, on_delete=models.CASCADE, related_name="exceptions")
    org = models.ForeignKey("orgs.Org", on_delete=models.CASCADE, related_name="+")
    org_path = models.CharField(max_length=255, db_index=True)
    field = models.CharField(max_length=100)
    values = models.JSONField(default=list)
    reason = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.rule_id}: {self.field} in {self.values}"


class AlertStatus(models.TextChoices):
    NEW = "new", _("新告警")
    TRIAGING = "triaging", _("研判中")
    CONFIRMED = "confirmed", _("已确认")
    FALSE_POSITIVE = "false_positive", _("误报")
    CLOSED = "closed", _("已关闭")


class Alert(models.Model):
    """One alert: a rule matched for one group key in one time window (deduplicated by ``dedup_key``)."""

    rule = models.ForeignKey(DetectionRule, on_delete=models.PROTECT, related_name="alerts")
    dedup_key = models.CharField(max_length=64, unique=True)  # SM3(rule | group key | window start)
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    org_path = models.CharField(max_length=255, db_index=True, blank=True)
    asset = models.ForeignKey("secops.Asset", on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts")
    severity = models.CharField(_("级别"), max_length=16, choices=RuleLevel.choices)
    group_key = models.JSONField(default=dict, blank=True)  # e.g. {"source.ip": "203.0.113.9"}
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    first_seen = models.DateTimeField(_("首次"))
    last_seen = models.DateTimeField(_("最近"), db_index=True)
    event_count = models.PositiveIntegerField(_("事件数"), default=0)
    event_ids = models.JSONField(default=list, blank=True)  # up to 100 linked events
    #: events per tumbling window merged into this alert ({window start ISO: count}); event_count is their sum
    window_counts = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.NEW, db_index=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    finding = models.ForeignKey("secops.Finding", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    notice = models.ForeignKey("secops.Notice", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    incident = models.ForeignKey("secops.Incident", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("告警")
        verbose_name_plural = _("告警")
        ordering = ["-last_seen", "-pk"]
        indexes = [models.Index(fields=["status", "severity", "org_path"], name="secops_alert_status_sev")]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.group_key}"
