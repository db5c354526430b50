"""Provincial roster pool (省级汇聚库): submissions, pool rows, golden records, quality runs."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from edubase.crypto.fields import BlindIndexField, EncryptedTextField
from edubase.orgs.models import Org


class SubmissionStatus(models.TextChoices):
    ACCEPTED = "accepted", _("已接收")
    REJECTED = "rejected", _("已退回")


class Submission(models.Model):
    """Roster submission (花名册报送): one file or API batch from one school, accepted whole or refused whole."""

    school = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="roster_submissions", verbose_name=_("学校"))
    org_path = models.CharField(_("机构路径"), max_length=255, db_index=True)
    channel = models.CharField(_("方式"), max_length=8)  # xlsx | csv | api
    filename = models.CharField(_("文件名"), max_length=255, blank=True)
    encoding = models.CharField(_("编码"), max_length=20, blank=True)
    digest = models.CharField(_("SM3 摘要"), max_length=64, db_index=True)
    contract_version = models.CharField(_("模板版本"), max_length=10)
    status = models.CharField(_("状态"), max_length=10, choices=SubmissionStatus.choices)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    created = models.PositiveIntegerField(_("新增"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    unchanged = models.PositiveIntegerField(_("未变化"), default=0)
    errors = models.JSONField(_("问题"), default=list)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("提交人")
    )
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("花名册报送")
        verbose_name_plural = _("花名册报送")
        ordering = ["-submitted_at", "-pk"]
        indexes = [models.Index(fields=["school", "digest"], name="pool_sub_school_digest")]

    def __str__(self) -> str:
        return f"{self.school_id} {self.submitted_at:%Y-%m-%d %H:%M} {self.status}"


class GoldenRecord(models.Model):
    """Golden record (一人一档): the one merged record of a pupil across every school's roster."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    identifier_bidx = models.CharField(_("证件号盲索引"), max_length=64, null=True, blank=True, unique=True)
    name = models.CharField(_("姓名"), max_length=50)
    sex = models.CharField(_("性别码"), max_length=1)
    birth_date = models.DateField(_("出生日期"), db_index=True)
    number_masked = models.CharField(_("学籍号（脱敏）"), max_length=19)
    sources = models.PositiveIntegerField(_("来源记录数"), default=1)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("黄金记录")
        verbose_name_plural = _("黄金记录")

    def __str__(self) -> str:
        return f"{self.name} {self.number_masked}"


class RosterRecord(models.Model):
    """Pool row (汇聚库花名册记录): a pupil as last reported by one school; key = (school, 学籍号)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="roster_records", verbose_name=_("学校"))
    org_path = models.CharField(_("机构路径"), max_length=255, db_index=True)
    id_kind = models.CharField(_("证件类型"), max_length=1)
    student_number = EncryptedTextField(_("学籍号"))
    student_number_bidx = BlindIndexField(source="student_number")
    number_masked = models.CharField(_("学籍号（脱敏）"), max_length=19)
    name = models.CharField(_("姓名"), max_length=50)
    sex = models.CharField(_("性别码"), max_length=1)
    birth_date = models.DateField(_("出生日期"))
    ethnicity = models.CharField(_("民族码"), max_length=2, blank=True)
    grade = models.CharField(_("年级码"), max_length=2)
    class_name = models.CharField(_("班级"), max_length=30, blank=True)
    guardian_name = models.CharField(_("监护人姓名"), max_length=50, blank=True)
    guardian_phone = EncryptedTextField(_("监护人手机号"), null=True, blank=True)
    guardian_phone_bidx = BlindIndexField(source="guardian_phone")
    guardian_phone_masked = models.CharField(_("监护人手机号（脱敏）"), max_length=11, blank=True)
    enrol_date = models.DateField(_("入学日期"), null=True, blank=True)
    row_digest = models.CharField(_("行摘要"), max_length=64)
    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="records", verbose_name=_("最近报送")
    )
    golden = models.ForeignKey(
        GoldenRecord,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="records",
        verbose_name=_("黄金记录"),
    )
    #: last time a school's roster included this row, changed or not (timeliness is measured from it)
    confirmed_at = models.DateTimeField(_("最近确认时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("汇聚库花名册记录")
        verbose_name_plural = _("汇聚库花名册记录")
        constraints = [
            models.UniqueConstraint(fields=["school", "student_number_bidx"], name="pool_record_school_student"),
        ]
        indexes = [models.Index(fields=["birth_date", "sex"], name="pool_record_birth_sex")]

    def __str__(self) -> str:
        return f"{self.name} {self.number_masked}"


class ReviewStatus(models.TextChoices):
    OPEN = "open", _("待审核")
    MERGED = "merged", _("已合并")
    DISTINCT = "distinct", _("判定为不同人")


class MatchReview(models.Model):
    """Match review (疑似重复人工审核): a pool row that may be an existing golden record, scored but uncertain."""

    record = models.ForeignKey(RosterRecord, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("记录"))
    candidate = models.ForeignKey(
        GoldenRecord, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("候选黄金记录")
    )
    org_path = models.CharField(_("机构路径"), max_length=255, db_index=True)
    score = models.FloatField(_("相似度"))
    evidence = models.JSONField(_("依据"), default=dict)
    status = models.CharField(_("状态"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("疑似重复审核")
        verbose_name_plural = _("疑似重复审核")
        ordering = ["-score", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["record", "candidate"], name="pool_review_record_candidate"),
        ]

    def __str__(self) -> str:
        return f"{self.record_id}~{self.candidate_id} {self.score:.2f}"


class ConflictKind(models.TextChoices):
    DUAL_ENROLMENT = "dual_enrolment", _("同一学生在两所学校在籍")
    ATTRIBUTE_MISMATCH = "attribute_mismatch", _("同一证件号的姓名或出生日期不一致")


class MatchConflict(models.Model):
    """Conflict report (冲突通报): two schools' rows for one pupil disagree; each school sees its side."""

    golden = models.ForeignKey(GoldenRecord, on_delete=models.CASCADE, related_name="conflicts")
    kind = models.CharField(_("类型"), max_length=20, choices=ConflictKind.choices)
    record = models.ForeignKey(RosterRecord, on_delete=models.CASCADE, related_name="conflicts", verbose_name=_("记录"))
    other = models.ForeignKey(RosterRecord, on_delete=models.CASCADE, related_name="+", verbose_name=_("对方记录"))
    org_path = models.CharField(_("机构路径"), max_length=255, db_index=True)  # of ``record``'s school
    detail = models.JSONField(_("详情"), default=dict)
    resolved = models.BooleanField(_("已处理"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("冲突通报")
        verbose_name_plural = _("冲突通报")
        ordering = ["-created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["record", "other", "kind"], name="pool_conflict_pair_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.record_id}/{self.other_id}"


class QualityRun(models.Model):
    """Quality run (数据质量评估): one pass of every rule over the whole pool on DuckDB."""

    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    seconds = models.FloatField(_("耗时（秒）"), default=0.0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("数据质量评估")
        verbose_name_plural = _("数据质量评估")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} ({self.rows})"


class QualityScore(models.Model):
    """Quality score (质量得分) of one org (school, county, city, province) in one run, per dimension."""

    run = models.ForeignKey(QualityRun, on_delete=models.CASCADE, related_name="scores")
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+", verbose_name=_("机构"))
    org_path = models.CharField(_("机构路径"), max_length=255, db_index=True)
    level = models.CharField(_("层级"), max_length=12)  # the org's kind
    rows = models.PositiveIntegerField(_("行数"))
    score = models.FloatField(_("综合得分"))
    dimensions = models.JSONField(_("分项得分"), default=dict)  # dimension → score 0–100
    failures = models.JSONField(_("未通过规则"), default=dict)  # rule → failing rows

    class Meta:
        verbose_name = _("质量得分")
        verbose_name_plural = _("质量得分")
        constraints = [models.UniqueConstraint(fields=["run", "org"], name="pool_score_run_org")]

    def __str__(self) -> str:
        return f"{self.org_id} {self.score:.1f}"
