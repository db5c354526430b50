"""The education data catalogue (教育数据目录): sources, datasets, fields, classification and reference data."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from edubase.crypto.fields import EncryptedTextField


class SourceKind(models.TextChoices):
    FILE = "file", _("文件（XLSX/CSV/Parquet）")
    POSTGRESQL = "postgresql", _("PostgreSQL")
    MYSQL = "mysql", _("MySQL/MariaDB")
    SQLITE = "sqlite", _("SQLite")


class DataSource(models.Model):
    """A data source (数据源): a file or the database of an existing school or bureau system.

    The password lives only in ``secret`` (SM4-GCM at rest) and is never rendered back:
    pages, API answers, errors and audit events show whether one is set, nothing more.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属单位"))
    org_path = models.CharField(max_length=255, db_index=True)
    name = models.CharField(_("数据源名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=SourceKind.choices)
    system_name = models.CharField(_("来源系统"), max_length=200, blank=True)
    description = models.TextField(_("说明"), blank=True)
    # files and SQLite: a path on the server (a file, or a directory of files)
    location = models.CharField(_("文件路径"), max_length=500, blank=True)
    host = models.CharField(_("主机"), max_length=200, blank=True)
    port = models.PositiveIntegerField(_("端口"), null=True, blank=True)
    database = models.CharField(_("数据库名"), max_length=200, blank=True)
    username = models.CharField(_("用户名"), max_length=100, blank=True)
    secret = EncryptedTextField(_("密码"), null=True, blank=True)
    options = models.JSONField(_("连接选项"), default=dict, blank=True)
    last_scanned_at = models.DateTimeField(_("最近扫描时间"), null=True, blank=True)
    last_scan_summary = models.JSONField(_("最近扫描结果"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("数据源")
        verbose_name_plural = _("数据源")
        ordering = ["org_path", "name"]
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="datagov_source_org_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def has_secret(self) -> bool:
        return bool(self.secret)


class UpdateFrequency(models.TextChoices):
    REALTIME = "realtime", _("实时")
    DAILY = "daily", _("每日")
    WEEKLY = "weekly", _("每周")
    MONTHLY = "monthly", _("每月")
    TERMLY = "termly", _("每学期")
    YEARLY = "yearly", _("每年")
    IRREGULAR = "irregular", _("不定期")


class GradeCategory(models.TextChoices):
    """GB/T 43697-2024 data categories; general data is further split into levels 1–4."""

    CORE = "core", _("核心数据")
    IMPORTANT = "important", _("重要数据")
    GENERAL = "general", _("一般数据")


#: sort order of categories, most protected first (the grade of a dataset is its highest field)
GRADE_RANK = {GradeCategory.CORE: 3, GradeCategory.IMPORTANT: 2, GradeCategory.GENERAL: 1}


class Dataset(models.Model):
    """A dataset (数据集) of the catalogue: one table or file of a source, or a derived collection."""

    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属单位"))
    org_path = models.CharField(max_length=255, db_index=True)
    steward = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("数据管理员"),
    )
    source = models.ForeignKey(
        DataSource,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="datasets",
        verbose_name=_("数据源"),
    )
    source_table = models.CharField(_("源表/文件"), max_length=500, blank=True)
    name = models.CharField(_("数据集名称"), max_length=200)
    description = models.TextField(_("描述"), blank=True)
    tags = models.JSONField(_("标签"), default=list, blank=True)
    update_frequency = models.CharField(
        _("更新频率"), max_length=16, choices=UpdateFrequency.choices, default=UpdateFrequency.IRREGULAR
    )
    derived_from = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="derivatives", verbose_name=_("来源数据集")
    )
    row_count = models.BigIntegerField(_("记录数"), null=True, blank=True)
    # grading (GB/T 43697-2024): the highest grade of its fields, unless raised by hand
    grade_category = models.CharField(
        _("数据级别"), max_length=16, choices=GradeCategory.choices, default=GradeCategory.GENERAL
    )
    # one ordered rank (``grading.FieldGrade.level``): general data 1–4, important 5, core 6
    grade_level = models.PositiveSmallIntegerField(_("级别"), default=1)
    grade_reason = models.CharField(_("定级依据"), max_length=500, blank=True)
    personal = models.BooleanField(_("含个人信息"), default=False)
    sensitive = models.BooleanField(_("含敏感个人信息"), default=False)
    minors_under_14 = models.BooleanField(_("含不满十四周岁未成年人信息"), default=False)
    rule_set_version = models.PositiveIntegerField(_("分级规则版本"), null=True, blank=True)
    published = models.BooleanField(_("已发布"), default=False)
    published_version = models.PositiveIntegerField(_("发布版本"), default=0)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    last_scanned_at = models.DateTimeField(_("最近扫描时间"), null=True, blank=True)
    # name, description, tags and field names with their pinyin initials, for search
    search_text = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("数据集")
        verbose_name_plural = _("数据集")
        ordering = ["org_path", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_table"],
                condition=Q(source__isnull=False),
                name="datagov_dataset_source_table",
            ),
            models.CheckConstraint(
                condition=Q(grade_level__gte=1, grade_level__lte=6), name="datagov_dataset_level_1_6"
            ),
        ]
        indexes = [models.Index(fields=["grade_category", "org_path"], name="datagov_dataset_grade_path")]

    def __str__(self) -> str:
        return self.name


class ReviewState(models.TextChoices):
    AUTO = "auto", _("自动识别")
    NEEDS_REVIEW = "needs_review", _("待复核")
    CONFIRMED = "confirmed", _("已确认")
    CORRECTED = "corrected", _("已更正")


class DataField(models.Model):
    """A field (数据项) of a dataset, with its detected entity, data element and grade.

    ``samples_masked`` holds sample values only after ``masking.mask``: raw sensitive
    samples are never stored.
    """

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="fields")
    position = models.PositiveIntegerField(_("序号"), default=0)
    name = models.CharField(_("字段名"), max_length=200)
    comment = models.CharField(_("字段注释"), max_length=500, blank=True)
    data_type = models.CharField(_("数据类型"), max_length=100, blank=True)
    nullable = models.BooleanField(_("可为空"), default=True)
    sampled = models.PositiveIntegerField(_("抽样数"), default=0)
    hits = models.PositiveIntegerField(_("命中数"), default=0)
    null_count = models.PositiveIntegerField(_("空值数（样本）"), default=0)
    samples_masked = models.JSONField(_("样例（已脱敏）"), default=list, blank=True)
    data_element = models.ForeignKey(
        "DataElement",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="fields",
        verbose_name=_("数据元"),
    )
    detected_entity = models.CharField(_("识别类型"), max_length=50, blank=True)
    confidence = models.FloatField(_("置信度"), default=0.0)
    evidence = models.JSONField(_("识别依据"), default=list, blank=True)
    # the entity in force: the detected one, or the reviewer's correction ("" = not personal/sensitive)
    entity = models.CharField(_("数据类别"), max_length=50, blank=True)
    review_state = models.CharField(
        _("复核状态"), max_length=16, choices=ReviewState.choices, default=ReviewState.AUTO, db_index=True
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    grade_category = models.CharField(
        _("数据级别"), max_length=16, choices=GradeCategory.choices, default=GradeCategory.GENERAL
    )
    # one ordered rank (``grading.FieldGrade.level``): general data 1–4, important 5, core 6
    grade_level = models.PositiveSmallIntegerField(_("级别"), default=1)
    grade_reason = models.CharField(_("定级依据"), max_length=500, blank=True)
    personal = models.BooleanField(_("个人信息"), default=False)
    sensitive = models.BooleanField(_("敏感个人信息"), default=False)

    class Meta:
        verbose_name = _("数据项")
        verbose_name_plural = _("数据项")
        ordering = ["dataset", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["dataset", "name"], name="datagov_field_dataset_name")]

    def __str__(self) -> str:
        return self.name


class ClassificationCorrection(models.Model):
    """A reviewer's decision on a column (分类更正), remembered per dataset and fed to the next scan."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="corrections")
    column_key = models.CharField(_("字段键"), max_length=200)
    # "" records "this column holds nothing personal or sensitive"
    entity = models.CharField(_("数据类别"), max_length=50, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    corrected_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("分类更正")
        verbose_name_plural = _("分类更正")
        constraints = [
            models.UniqueConstraint(fields=["dataset", "column_key"], name="datagov_correction_dataset_column")
        ]

    def __str__(self) -> str:
        return f"{self.dataset_id}:{self.column_key}→{self.entity or '-'}"


class GradingRuleSet(models.Model):
    """A version of the grading rules (分级规则), as JSON data; exactly one version is active."""

    version = models.PositiveIntegerField(_("版本"), unique=True)
    rules = models.JSONField(_("规则"))
    note = models.CharField(_("修订说明"), max_length=500, blank=True)
    active = models.BooleanField(_("生效"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("分级规则")
        verbose_name_plural = _("分级规则")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["active"], condition=Q(active=True), name="datagov_ruleset_one_active")
        ]

    def __str__(self) -> str:
        return f"v{self.version}"


class CodeTable(models.Model):
    """A code table (代码表) of a national standard, e.g. GB/T 2261.1 sex codes."""

    slug = models.SlugField(_("标识"), max_length=50, unique=True)
    standard = models.CharField(_("标准号"), max_length=100)
    name = models.CharField(_("名称"), max_length=200)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("代码表")
        verbose_name_plural = _("代码表")
        ordering = ["standard", "slug"]

    def __str__(self) -> str:
        return f"{self.standard} {self.name}"


class CodeTableVersion(models.Model):
    """One loaded version (版本) of a code table, with the source it was taken from."""

    table = models.ForeignKey(CodeTable, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(_("版本"), max_length=50)
    source = models.CharField(_("数据来源"), max_length=500)
    checksum = models.CharField(_("内容摘要"), max_length=64)
    current = models.BooleanField(_("当前版本"), default=True)
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("代码表版本")
        verbose_name_plural = _("代码表版本")
        ordering = ["table", "-loaded_at"]
        constraints = [
            models.UniqueConstraint(fields=["table", "version"], name="datagov_codetable_version"),
            models.UniqueConstraint(fields=["table"], condition=Q(current=True), name="datagov_codetable_one_current"),
        ]

    def __str__(self) -> str:
        return f"{self.table.slug}@{self.version}"


class CodeItem(models.Model):
    """One code (代码项) of a code table version; regions carry the years they were in use."""

    version = models.ForeignKey(CodeTableVersion, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("代码"), max_length=20)
    name = models.CharField(_("名称"), max_length=200)
    parent_code = models.CharField(_("上级代码"), max_length=20, blank=True)
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("代码项")
        verbose_name_plural = _("代码项")
        ordering = ["version", "code"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="datagov_codeitem_version_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class DataElement(models.Model):
    """A data element (数据元) of the education management information standards JY/T 1001–1006."""

    code = models.CharField(_("数据元标识"), max_length=20, unique=True)
    name = models.CharField(_("中文名称"), max_length=100)
    standard = models.CharField(_("标准号"), max_length=50)
    data_type = models.CharField(_("数据类型"), max_length=20, blank=True)
    length = models.CharField(_("长度"), max_length=20, blank=True)
    description = models.TextField(_("说明"), blank=True)
    code_table = models.ForeignKey(CodeTable, on_delete=models.SET_NULL, null=True, blank=True, related_name="elements")
    # the classification entity (``classify.ENTITIES``) whose columns map to this element
    entity = models.CharField(_("对应识别类型"), max_length=50, blank=True, db_index=True)

    class Meta:
        verbose_name = _("数据元")
        verbose_name_plural = _("数据元")
        ordering = ["standard", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class DatasetRelease(models.Model):
    """A published version (发布版本) of a dataset's catalogue entry, frozen as it was published."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="releases")
    version = models.PositiveIntegerField(_("版本"))
    snapshot = models.JSONField(_("目录内容"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField()

    class Meta:
        verbose_name = _("数据集发布版本")
        verbose_name_plural = _("数据集发布版本")
        ordering = ["dataset", "-version"]
        constraints = [models.UniqueConstraint(fields=["dataset", "version"], name="datagov_release_version")]

    def __str__(self) -> str:
        return f"{self.dataset_id} v{self.version}"
