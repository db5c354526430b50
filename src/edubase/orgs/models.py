"""Organisations and school identification codes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node


class OrgKind(models.TextChoices):
    PROVINCE = "province", _("省")
    PREFECTURE = "prefecture", _("地市")
    COUNTY = "county", _("县区")
    BUREAU = "bureau", _("教育行政部门")
    UNIT = "unit", _("直属单位")
    SCHOOL = "school", _("学校")


class OrgStatus(models.TextChoices):
    ACTIVE = "active", _("正常")
    CLOSED = "closed", _("已撤销")


class Org(MP_Node):
    """Organisation (机构): a node of the tree — province, prefecture-level unit, county,
    education bureau, directly administered unit (厅直属单位/委管学校) or school.

    ``path`` (materialised path) makes "this node and everything below it" one indexed
    prefix query; scope (``core.scope``) is expressed in paths.
    """

    steplen = 4
    node_order_by = ["code"]

    kind = models.CharField(_("类型"), max_length=12, choices=OrgKind.choices, db_index=True)
    name = models.CharField(_("名称"), max_length=100, db_index=True)
    code = models.CharField(
        _("代码"),
        max_length=20,
        unique=True,
        help_text=_("行政区划代码（GB/T 2260）、学校标识码（10 位）或单位内部代码"),
    )
    region_code = models.CharField(_("所在行政区划代码"), max_length=6, db_index=True)
    school_category = models.CharField(_("学校类别码"), max_length=2, blank=True, db_index=True)
    status = models.CharField(_("状态"), max_length=8, choices=OrgStatus.choices, default=OrgStatus.ACTIVE)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("机构")
        verbose_name_plural = _("机构")
        indexes = [
            models.Index(fields=["kind", "path"], name="orgs_org_kind_path"),
            # covers the dashboard's GROUP BY (SQLite answers it from the index alone)
            models.Index(fields=["kind", "status", "region_code", "school_category"], name="orgs_org_dashboard"),
            # the tops of the tree (depth 1) are read on every scoped person query
            models.Index(fields=["depth", "path"], name="orgs_org_depth_path"),
        ]

    def __str__(self) -> str:
        return self.name


class SchoolCode(models.Model):
    """School identification code (学校标识码) ``AABBCCCCCC``: category, province, sequence.

    Never deleted and never reused; kept on rename; a category change retires the old
    code and issues a new one linked through ``successor``.
    """

    code = models.CharField(_("学校标识码"), max_length=10, primary_key=True)
    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="school_codes", verbose_name=_("学校"))
    category = models.CharField(_("类别码"), max_length=2)
    issued_at = models.DateTimeField(_("赋码时间"), auto_now_add=True)
    retired_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    successor = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="predecessor",
        verbose_name=_("新代码"),
    )

    class Meta:
        verbose_name = _("学校标识码")
        verbose_name_plural = _("学校标识码")

    def __str__(self) -> str:
        return self.code


class OrgHistory(models.Model):
    """One period of an org's name, code and parent (机构沿革)."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="history", verbose_name=_("机构"))
    name = models.CharField(_("名称"), max_length=100)
    code = models.CharField(_("代码"), max_length=20)
    parent = models.ForeignKey(
        Org, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("上级")
    )
    change = models.CharField(_("变更"), max_length=20)
    valid_from = models.DateTimeField(_("起"))
    valid_to = models.DateTimeField(_("止"), null=True, blank=True)

    class Meta:
        verbose_name = _("机构沿革")
        verbose_name_plural = _("机构沿革")
        ordering = ["org", "valid_from"]

    def __str__(self) -> str:
        return f"{self.name} ({self.valid_from:%Y-%m-%d})"
