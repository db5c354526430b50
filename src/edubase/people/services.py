"""Every write to persons and memberships: keyword-only, audited, Chinese errors.

Audit ``before``/``after`` never hold a full identifier or phone number, nor the birth
date: the masked identifier hides exactly the eight birth-date digits, so showing both
would give the number away.

Transfers (转学) are initiated by the receiving school, as in the national student
registry: the actor needs ``people.change`` on the destination school; the source
school is recorded in the audit events (one at the source, one at the destination).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import ForeignKey, Model

from edubase.core import audit
from edubase.core.errors import DomainError, PermissionDenied, ValidationFailed
from edubase.core.scope import has_anywhere, require, scope_for
from edubase.orgs.models import Org, OrgKind, OrgStatus
from edubase.people import selectors
from edubase.people.models import Employment, Enrolment, Gender, IdKind, Person, PersonEvent
from edubase.people.standards.gb11643 import (
    birth_date_of,
    check_citizen_id,
    check_phone,
    gender_of,
    mask_id_number,
    mask_phone,
    normalize_id_number,
    normalize_phone,
    validate_student_id,
)

NAME_MAX = 50
REVEALABLE = ("id_number", "phone")


class DuplicatePerson(DomainError):
    """The identifier is already registered to a person."""

    code = "duplicate_person"
    message = "该证件号码已登记"
    status = 409


class MembershipConflict(DomainError):
    """An enrolment or employment rule is broken (one open enrolment, transfer, end)."""

    code = "membership_conflict"
    message = "学籍或任职状态不允许此操作"
    status = 409


class MergeRefused(DomainError):
    """Two persons cannot be merged."""

    code = "merge_refused"
    message = "不能合并这两个人员"
    status = 409


# --- snapshots for audit (masked) ---------------------------------------------------------


def person_snapshot(person: Person) -> dict[str, Any]:
    """What the audit log keeps of a person: masked identifiers, no birth date."""
    return {
        "name": person.name,
        "gender": person.gender,
        "id_kind": person.id_kind,
        "id_number": person.id_number_masked,
        "phone": person.phone_masked,
    }


def _enrolment_snapshot(enrolment: Enrolment) -> dict[str, Any]:
    return {
        "person": str(enrolment.person_id),
        "school": enrolment.school.code,
        "school_name": enrolment.school.name,
        "grade": enrolment.grade,
        "class_name": enrolment.class_name,
        "start": enrolment.start,
        "end": enrolment.end,
    }


def _employment_snapshot(employment: Employment) -> dict[str, Any]:
    return {
        "person": str(employment.person_id),
        "org": employment.org.code,
        "org_name": employment.org.name,
        "post": employment.post,
        "staff_number": employment.staff_number,
        "start": employment.start,
        "end": employment.end,
    }


# --- validation shared with imports ---------------------------------------------------------


@dataclass(frozen=True)
class PersonFields:
    """Validated, normalised person fields."""

    name: str
    id_kind: str
    id_number: str
    gender: str
    birth_date: dt.date | None
    phone: str | None


def check_person_fields(
    *,
    name: str,
    id_kind: str,
    id_number: str,
    gender: str | None = None,
    birth_date: dt.date | None = None,
    phone: str | None = None,
) -> tuple[PersonFields | None, list[tuple[str, str]]]:
    """Normalise and check person fields; returns the fields or ``(field, reason)`` problems.

    For G (and J) numbers the gender and birth date come from the number when not given;
    for G, given values that contradict the number are refused."""
    problems: list[tuple[str, str]] = []
    name = (name or "").strip()
    if not name:
        problems.append(("name", "姓名不能为空"))
    elif len(name) > NAME_MAX:
        problems.append(("name", f"姓名不能超过 {NAME_MAX} 个字"))
    kind = (id_kind or "").strip().upper()
    number = normalize_id_number(id_number or "")
    if not number:
        problems.append(("id_number", "证件号码不能为空"))
    else:
        problems += [
            ("id_kind" if r.startswith("证件类型") else "id_number", r) for r in validate_student_id(kind, number)
        ]
    number_ok = not any(field in {"id_kind", "id_number"} for field, _ in problems)
    derived_birth = birth_date_of(number) if number_ok and kind in {"G", "J"} else None
    derived_gender = gender_of(number) if number_ok and kind in {"G", "J"} else None
    if gender and gender not in Gender.values:
        problems.append(("gender", "性别代码无效，应为 1（男）、2（女）、0（未知）或 9（未说明）"))
    elif gender in {Gender.MALE, Gender.FEMALE} and kind == "G" and derived_gender and gender != derived_gender:
        problems.append(("gender", "性别与身份证号码不一致（第 17 位奇数为男、偶数为女）"))
    if birth_date is not None and kind == "G" and derived_birth and birth_date != derived_birth:
        problems.append(("birth_date", "出生日期与身份证号码中的出生日期不一致"))
    if birth_date is not None and birth_date > dt.date.today():
        problems.append(("birth_date", "出生日期晚于今天"))
    clean_phone: str | None = None
    if phone is not None and phone.strip():
        clean_phone = normalize_phone(phone)
        problems += [("phone", r) for r in check_phone(clean_phone)]
    if problems:
        return None, problems
    chosen_gender = gender if gender in {Gender.MALE, Gender.FEMALE} else (derived_gender or gender or "")
    return (
        PersonFields(
            name=name,
            id_kind=kind,
            id_number=number,
            gender=chosen_gender or Gender.UNSPECIFIED,
            birth_date=birth_date or derived_birth,
            phone=clean_phone,
        ),
        [],
    )


def _invalid(problems: list[tuple[str, str]]) -> ValidationFailed:
    return ValidationFailed(
        "；".join(reason for _, reason in problems),
        details=[{"field": field, "reason": reason} for field, reason in problems],
    )


def _duplicate(number: str) -> DuplicatePerson:
    return DuplicatePerson(
        f"证件号码 {mask_id_number(number)} 已登记为另一人员，不能重复登记；"
        "如为同一人请在原记录上办理入学、任职或转学，如为重复记录请合并",
        details={"id_number": mask_id_number(number)},
    )


def _id_taken(number: str, *, exclude: Person | None = None) -> bool:
    found = Person.objects.filter(id_number_bidx=selectors.id_number_digest(number))
    if exclude is not None:
        found = found.exclude(pk=exclude.pk)
    return found.exists()


# --- permission helpers --------------------------------------------------------------------


def _require_on_person(actor: Any, person: Person, permission: str) -> Org | None:
    """The org through which the actor holds ``permission`` on ``person`` (an open membership, or the
    latest one when none is open), else ``PermissionDenied``."""
    org = selectors.covering_org(actor, person, permission, last_known=True)
    if org is None:
        raise PermissionDenied()
    return org


def _require_active(org: Org, *, school: bool) -> None:
    if school and org.kind != OrgKind.SCHOOL:
        raise ValidationFailed(f"「{org.name}」不是学校，学籍只能登记在学校")
    if org.status != OrgStatus.ACTIVE:
        raise ValidationFailed(f"「{org.name}」已撤销，不能登记新的学籍或任职")


def _require_not_merged(person: Person) -> None:
    if person.merged_into_id is not None:
        raise MembershipConflict("该人员记录已合并到另一人员，请在保留的人员记录上操作")


def _require_may_attach(actor: Any, person: Person, org: Org) -> None:
    """The actor may add a membership at ``org`` to ``person``.

    Needs ``people.change`` on ``org``; a person who is an open member of an org outside
    the actor's scope must first be released there (or transferred, for students)."""
    require(actor, "people.change", path=org.path)
    _require_not_merged(person)
    scope = scope_for(actor, "people.change")
    outside = [o for o in selectors.open_membership_orgs(person) if not scope.covers(o.path)]
    if outside:
        raise PermissionDenied(
            "该人员在您管辖范围以外的单位有在读或在职记录：学生请办理转学，教职工请先由原单位办理离职"
        )


# --- persons ----------------------------------------------------------------------------------


@transaction.atomic
def register_person(
    *,
    actor: Any,
    name: str,
    id_kind: str,
    id_number: str,
    gender: str | None = None,
    birth_date: dt.date | None = None,
    phone: str | None = None,
    org: Org | None = None,
) -> Person:
    """Register a person (一人一号) after validating the identifier; refuses a registered identifier.

    ``org`` (where the person is about to be enrolled or employed) is checked for
    ``people.change`` and names the org in the audit event; without it the actor needs
    ``people.change`` somewhere."""
    if org is not None:
        require(actor, "people.change", path=org.path)
    elif not has_anywhere(actor, "people.change"):
        raise PermissionDenied()
    fields, problems = check_person_fields(
        name=name, id_kind=id_kind, id_number=id_number, gender=gender, birth_date=birth_date, phone=phone
    )
    if fields is None:
        raise _invalid(problems)
    if _id_taken(fields.id_number):
        raise _duplicate(fields.id_number)
    person = Person(
        name=fields.name,
        gender=fields.gender,
        birth_date=fields.birth_date,
        id_kind=fields.id_kind,
        id_number=fields.id_number,
        id_number_masked=mask_id_number(fields.id_number),
        phone=fields.phone,
        phone_masked=mask_phone(fields.phone) if fields.phone else "",
    )
    try:
        with transaction.atomic():
            person.save(force_insert=True)
    except IntegrityError as exc:  # registered concurrently
        raise _duplicate(fields.id_number) from exc
    PersonEvent.objects.create(
        person=person, kind="created", detail={"id_kind": person.id_kind, "id_number": person.id_number_masked}
    )
    audit.record(actor=actor, action="people.person.create", obj=person, org=org, after=person_snapshot(person))
    return person


@transaction.atomic
def promote_temporary_id(*, actor: Any, person: Person, id_number: str) -> Person:
    """Replace a temporary (L) number by the citizen ID (G), keeping the same person and history."""
    org = _require_on_person(actor, person, "people.change")
    _require_not_merged(person)
    if person.id_kind != IdKind.TEMPORARY:
        raise MembershipConflict("只有使用临时编号（L）的人员才能升级为居民身份证号（G）", code="not_temporary")
    number = normalize_id_number(id_number)
    reasons = check_citizen_id(number)
    if reasons:
        raise ValidationFailed("；".join(reasons), details=[{"field": "id_number", "reason": r} for r in reasons])
    if _id_taken(number, exclude=person):
        raise DuplicatePerson(
            f"身份证号 {mask_id_number(number)} 已登记为另一人员；如为同一人，请将两条记录合并",
            details={"id_number": mask_id_number(number)},
        )
    before = person_snapshot(person)
    old_masked = person.id_number_masked
    person.id_kind = IdKind.CITIZEN
    person.id_number = number
    person.id_number_masked = mask_id_number(number)
    person.birth_date = birth_date_of(number)
    person.gender = gender_of(number) or person.gender
    person.save()
    PersonEvent.objects.create(
        person=person,
        kind="promoted",
        detail={"from_kind": "L", "from": old_masked, "to_kind": "G", "to": person.id_number_masked},
    )
    audit.record(
        actor=actor,
        action="people.person.promote",
        obj=person,
        org=org,
        before=before,
        after=person_snapshot(person),
    )
    return person


def _valid_citizen(person: Person) -> bool:
    return person.id_kind == IdKind.CITIZEN and not check_citizen_id(person.id_number)


def _person_relations() -> list[ForeignKey[Any, Any]]:
    """Foreign keys to Person that a merge moves (every app's, except the identity history)."""
    fields = []
    for relation in Person._meta.related_objects:
        if relation.one_to_many and relation.related_model is not PersonEvent:
            fields.append(relation.field)
    return fields  # type: ignore[return-value]


@transaction.atomic
def merge_persons(*, actor: Any, keep: Person, duplicate: Person) -> Person:
    """Merge ``duplicate`` into ``keep``: memberships, users and every other reference move to
    ``keep``; ``duplicate`` stays (for history) with ``merged_into`` set."""
    if keep.pk == duplicate.pk:
        raise MergeRefused("不能将人员与其自身合并")
    for person in (keep, duplicate):
        if person.merged_into_id is not None:
            raise MergeRefused(f"人员「{person.name}」已合并到其他人员，不能再次合并")
    org = _require_on_person(actor, keep, "people.change")
    _require_on_person(actor, duplicate, "people.change")
    if _valid_citizen(keep) and _valid_citizen(duplicate):
        raise MergeRefused(
            f"两人的居民身份证号不同（{keep.id_number_masked}、{duplicate.id_number_masked}），不是同一人，不能合并"
        )
    if _valid_citizen(duplicate) and not _valid_citizen(keep):
        raise MergeRefused("被合并的人员持有居民身份证号：请以该人员为保留对象，将另一条记录合并进来")
    open_enrolments = Enrolment.objects.filter(person__in=[keep, duplicate], end__isnull=True).count()
    if open_enrolments > 1:
        raise MergeRefused("两人均有在读学籍：请先结束其中一条学籍，再合并")
    before = {"keep": person_snapshot(keep), "duplicate": person_snapshot(duplicate)}
    moved: dict[str, int] = {}
    for field in _person_relations():
        model = field.model
        count = model._base_manager.filter(**{field.name: duplicate}).update(**{field.name: keep})
        if count:
            moved[f"{model._meta.label_lower}.{field.name}"] = count
    duplicate.merged_into = keep
    duplicate.save(update_fields=["merged_into", "updated_at"])
    PersonEvent.objects.create(
        person=keep,
        kind="merged",
        detail={"duplicate": str(duplicate.pk), "duplicate_id_number": duplicate.id_number_masked, "moved": moved},
    )
    PersonEvent.objects.create(
        person=duplicate,
        kind="merged_into",
        detail={"into": str(keep.pk), "into_id_number": keep.id_number_masked},
    )
    audit.record(
        actor=actor,
        action="people.person.merge",
        obj=keep,
        org=org,
        before=before,
        after={"keep": str(keep.pk), "duplicate": str(duplicate.pk), "moved": moved},
    )
    return keep


@transaction.atomic
def reveal_identifier(*, actor: Any, person: Person, field: str) -> str:
    """The full citizen ID or phone number; needs ``people.reveal`` on an org where the person is
    an open member. Audited (who saw which field of whom), never the value itself."""
    if field not in REVEALABLE:
        raise ValidationFailed("只能查看证件号码（id_number）或手机号码（phone）")
    org = selectors.covering_org(actor, person, "people.reveal")
    if org is None:
        raise PermissionDenied("您没有查看该人员完整证件号码或手机号码的权限")
    value = person.id_number if field == "id_number" else person.phone
    if not value:
        raise DomainError("该人员未登记手机号码", code="not_recorded", details={"field": field})
    audit.record(actor=actor, action="people.person.reveal", obj=person, org=org, after={"field": field})
    return str(value)


# --- memberships --------------------------------------------------------------------------------


def _clean(obj: Model, *, exclude: list[str]) -> None:
    """Model field checks (lengths) as a ``ValidationFailed`` with Chinese reasons."""
    try:
        obj.full_clean(exclude=exclude)
    except DjangoValidationError as exc:
        problems = [
            (field, f"{getattr(obj._meta.get_field(field), 'verbose_name', field)}：{message}")
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
        raise _invalid(problems) from exc


def _require_date(value: Any, label: str) -> dt.date:
    if not isinstance(value, dt.date):
        raise ValidationFailed(f"{label}不能为空")
    return value


@transaction.atomic
def enrol(
    *, actor: Any, person: Person, school: Org, grade: str = "", class_name: str = "", start: dt.date
) -> Enrolment:
    """Open an enrolment (学籍) at ``school``; a student has at most one open enrolment."""
    _require_may_attach(actor, person, school)
    _require_active(school, school=True)
    start = _require_date(start, "入学日期")
    if Enrolment.objects.filter(person=person, end__isnull=True).exists():
        raise MembershipConflict("该学生已有在读学籍，不能重复入学；转校请办理转学")
    enrolment = Enrolment(person=person, school=school, grade=grade.strip(), class_name=class_name.strip(), start=start)
    _clean(enrolment, exclude=["person", "school"])
    try:
        with transaction.atomic():
            enrolment.save()
    except IntegrityError as exc:
        raise MembershipConflict("该学生已有在读学籍，不能重复入学；转校请办理转学") from exc
    audit.record(
        actor=actor, action="people.enrolment.create", obj=enrolment, org=school, after=_enrolment_snapshot(enrolment)
    )
    return enrolment


@transaction.atomic
def employ(
    *, actor: Any, person: Person, org: Org, post: str = "", staff_number: str = "", start: dt.date
) -> Employment:
    """Open an employment (任职) at ``org``; staff numbers are opaque strings."""
    _require_may_attach(actor, person, org)
    _require_active(org, school=False)
    start = _require_date(start, "入职日期")
    if Employment.objects.filter(person=person, org=org, end__isnull=True).exists():
        raise MembershipConflict(f"该人员已在「{org.name}」任职")
    employment = Employment(person=person, org=org, post=post.strip(), staff_number=staff_number.strip(), start=start)
    _clean(employment, exclude=["person", "org"])
    employment.save()
    audit.record(
        actor=actor, action="people.employment.create", obj=employment, org=org, after=_employment_snapshot(employment)
    )
    return employment


@transaction.atomic
def transfer_student(
    *,
    actor: Any,
    person: Person,
    to_school: Org,
    start: dt.date,
    grade: str | None = None,
    class_name: str | None = None,
) -> Enrolment:
    """Transfer (转学): end the open enrolment the day before ``start`` and open one at ``to_school``.

    Needs ``people.change`` on BOTH schools, so the move is done by an administrator whose
    scope holds both (the county for a move within a county, the city or province above
    that). A receiving school cannot pull another school's student record on its own;
    school-to-school requests with approval by the sending side come with the workflow
    engine (issue #4)."""
    require(actor, "people.change", path=to_school.path)
    _require_not_merged(person)
    _require_active(to_school, school=True)
    start = _require_date(start, "转入日期")
    current = (
        Enrolment.objects.select_for_update().select_related("school").filter(person=person, end__isnull=True).first()
    )
    if current is None:
        raise MembershipConflict("该学生没有在读学籍，请直接办理入学", code="no_open_enrolment")
    if not scope_for(actor, "people.change").covers(current.school.path):
        raise PermissionDenied("转学需由同时管辖转出学校和转入学校的教育行政部门办理（例如县区或地市管理员）")
    if current.school_id == to_school.pk:
        raise MembershipConflict("转入学校与当前就读学校相同")
    if start <= current.start:
        raise ValidationFailed(f"转入日期应晚于原学籍的入学日期（{current.start:%Y-%m-%d}）")
    before = _enrolment_snapshot(current)
    current.end = start - dt.timedelta(days=1)
    current.save(update_fields=["end"])
    new = Enrolment(
        person=person,
        school=to_school,
        grade=(current.grade if grade is None else grade).strip(),
        class_name=(current.class_name if class_name is None else class_name).strip(),
        start=start,
    )
    _clean(new, exclude=["person", "school"])
    new.save()
    audit.record(
        actor=actor,
        action="people.enrolment.transfer_out",
        obj=current,
        org=current.school,
        before=before,
        after={**_enrolment_snapshot(current), "to_school": to_school.code, "to_school_name": to_school.name},
    )
    audit.record(
        actor=actor,
        action="people.enrolment.transfer_in",
        obj=new,
        org=to_school,
        before={"from_school": current.school.code, "from_school_name": current.school.name},
        after=_enrolment_snapshot(new),
    )
    return new


@transaction.atomic
def end_membership(*, actor: Any, membership: Enrolment | Employment, end: dt.date) -> Enrolment | Employment:
    """End an open enrolment (离校) or employment (离职) on ``end``; needs ``people.change`` on its org."""
    org = membership.school if isinstance(membership, Enrolment) else membership.org
    require(actor, "people.change", path=org.path)
    end = _require_date(end, "结束日期")
    if membership.end is not None:
        raise MembershipConflict(f"该记录已于 {membership.end:%Y-%m-%d} 结束")
    if end < membership.start:
        raise ValidationFailed(f"结束日期不能早于开始日期（{membership.start:%Y-%m-%d}）")
    snapshot = _enrolment_snapshot if isinstance(membership, Enrolment) else _employment_snapshot
    before = snapshot(membership)  # type: ignore[arg-type]
    membership.end = end
    membership.save(update_fields=["end"])
    kind = "enrolment" if isinstance(membership, Enrolment) else "employment"
    audit.record(
        actor=actor,
        action=f"people.{kind}.end",
        obj=membership,
        org=org,
        before=before,
        after=snapshot(membership),  # type: ignore[arg-type]
    )
    return membership
