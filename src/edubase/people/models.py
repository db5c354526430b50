"""Persons, their identifiers and memberships."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from edubase.crypto.fields import BlindIndexField, EncryptedTextField
from edubase.orgs.models import Org


class IdKind(models.TextChoices):
    CITIZEN = "G", _("居民身份证（G）")
    OTHER_NATIONAL = "J", _("其他证件（J）")
    TEMPORARY = "L", _("临时编号（L）")


class Gender(models.TextChoices):
    """GB/T 2261.1-2003 sex codes."""

    UNKNOWN = "0", _("未知的性别")
    MALE = "1", _("男")
    FEMALE = "2", _("女")
    UNSPECIFIED = "9", _("未说明的性别")


class Person(models.Model):
    """Person (人员): one lifelong internal ID (``id``) across schools, roles and cities.

    The national identifier is ``id_kind`` + 18 characters (学籍号/教育 ID style: G = citizen ID,
    J = other documents, same MOD 11-2 check; L = temporary, no check). Citizen ID and
    phone are stored only SM4-GCM encrypted with a blind index; the masked forms are kept
    in clear for lists.
    """

    id = models.UUIDField(_("人员编号"), primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices, default=Gender.UNSPECIFIED)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    id_kind = models.CharField(_("证件类别"), max_length=1, choices=IdKind.choices)
    id_number = EncryptedTextField(_("证件号码"))
    id_number_bidx = BlindIndexField(source="id_number", unique=True)
    id_number_masked = models.CharField(_("证件号码（脱敏）"), max_length=18)
    phone = EncryptedTextField(_("手机号码"), null=True, blank=True)
    phone_bidx = BlindIndexField(source="phone")
    phone_masked = models.CharField(_("手机号码（脱敏）"), max_length=11, blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
        verbose_name=_("已合并到"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")

    def __str__(self) -> str:
        return self.name


class PersonEvent(models.Model):
    """Identity history of a person (人员变更记录): creation, L→G promotion, merge, corrections."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="events", verbose_name=_("人员"))
    kind = models.CharField(_("类型"), max_length=20)
    detail = models.JSONField(_("详情"), default=dict)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("人员变更记录")
        verbose_name_plural = _("人员变更记录")
        ordering = ["person", "at"]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind}"


class Enrolment(models.Model):
    """Enrolment (学籍): a student at a school, grade and class, for a period."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("学生"))
    school = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("学校"))
    grade = models.CharField(_("年级"), max_length=20, blank=True)
    class_name = models.CharField(_("班级"), max_length=50, blank=True)
    start = models.DateField(_("入学日期"))
    end = models.DateField(_("离校日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("学籍")
        verbose_name_plural = _("学籍")
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(end__isnull=True), name="people_one_open_enrolment"
            ),
        ]
        indexes = [
            models.Index(fields=["school", "end"], name="people_enrol_school_end"),
            # open members of an org, read from the index alone (scope filters in people.selectors)
            models.Index(
                fields=["school", "person"], condition=models.Q(end__isnull=True), name="people_enrol_open_school"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.school_id}"


class Employment(models.Model):
    """Employment (任职): a staff member at an org in a post, for a period."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="employments", verbose_name=_("教职工"))
    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="employments", verbose_name=_("单位"))
    post = models.CharField(_("岗位"), max_length=50, blank=True)
    staff_number = models.CharField(_("教职工号"), max_length=50, blank=True)
    start = models.DateField(_("入职日期"))
    end = models.DateField(_("离职日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("任职")
        verbose_name_plural = _("任职")
        indexes = [
            models.Index(fields=["org", "end"], name="people_employ_org_end"),
            models.Index(fields=["org", "person"], condition=models.Q(end__isnull=True), name="people_employ_open_org"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.org_id}"
