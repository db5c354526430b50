"""The security rollup (安全态势汇总): counts per county-level subtree, refreshed by a periodic job.

The dashboard's two large aggregates — open findings by severity and age (a million rows at
province scale) and registered assets by MLPS level (two hundred thousand) — are counted once a
minute per county-level path prefix (the first three path steps; an org above county level keeps
its own, shorter path), so that a province, city or county dashboard sums a few hundred rows.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RollupKind(models.TextChoices):
    FINDINGS = "findings", _("待处置漏洞")
    ASSETS = "assets", _("已登记资产")


class SecurityRollup(models.Model):
    """One count: open findings of (path prefix, severity, age bucket), or assets of (prefix, MLPS level)."""

    kind = models.CharField(max_length=16, choices=RollupKind.choices)
    #: the first three steps of the org path (county level), or the whole path of an org above it
    path = models.CharField(max_length=255)
    severity = models.CharField(max_length=8, blank=True)
    age = models.CharField(max_length=8, blank=True)  # dashboard.AGE_BUCKETS key
    level = models.PositiveSmallIntegerField(null=True, blank=True)  # MLPS level of the asset's system
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("安全态势汇总")
        verbose_name_plural = _("安全态势汇总")
        indexes = [models.Index(fields=["kind", "path"], name="secops_rollup_kind_path")]

    def __str__(self) -> str:
        return f"{self.kind} {self.path} {self.severity or self.level} {self.count}"


class SecurityRollupRun(models.Model):
    """When the rollup was last refreshed (one row, pk 1)."""

    refreshed_at = models.DateTimeField(_("汇总时间"))
    seconds = models.FloatField(_("耗时（秒）"), default=0.0)
    rows = models.PositiveIntegerField(_("汇总行数"), default=0)

    class Meta:
        verbose_name = _("安全态势汇总批次")
        verbose_name_plural = _("安全态势汇总批次")

    def __str__(self) -> str:
        return f"{self.refreshed_at:%Y-%m-%d %H:%M:%S}"
