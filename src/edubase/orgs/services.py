"""Writes to the org tree and school codes (一校一码): every one checked against scope and audited.

School codes are issued as category (2) + province (2) + the next 6-digit sequence of
that (category, province) pair. ``SchoolCode`` rows are never deleted, so "the highest
code ever issued, plus one" never hands out a code twice, even one retired by a
category change. Two writers racing for the same number collide on the primary key
of ``SchoolCode`` (or the unique ``Org.code``); the loser retries with the next number
inside a savepoint.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone
from treebeard.exceptions import InvalidMoveToDescendant

from edubase.core import audit
from edubase.core.errors import DomainError, ValidationFailed
from edubase.core.scope import require
from edubase.orgs.models import Org, OrgHistory, OrgKind, OrgStatus, SchoolCode
from edubase.orgs.selectors import CONTAINER_KINDS, parent_of
from edubase.orgs.standards import gb2260
from edubase.orgs.standards.school_categories import SCHOOL_CATEGORIES, category_label, validate_school_code

T = TypeVar("T")

_ALLOCATION_ATTEMPTS = 20
_SEQUENCE_MAX = 999_999
_NAME_MAX = 100
_ADDRESS_MAX = 200


class CodeSpaceExhausted(DomainError):
    """No sequence number left for a (category, province) pair."""

    code = "school_code_exhausted"
    message = "该类别学校标识码顺序号已用尽，请联系省级管理员"
    status = 409


class CodeAllocationConflict(DomainError):
    """Concurrent writers kept taking the same numbers."""

    code = "school_code_conflict"
    message = "分配学校标识码时发生并发冲突，请稍后重试"
    status = 409


# ---------------------------------------------------------------- helpers


def snapshot(org: Org) -> dict[str, Any]:
    """The fields of an org as recorded in audit before/after."""
    return {
        "kind": org.kind,
        "name": org.name,
        "code": org.code,
        "region_code": org.region_code,
        "school_category": org.school_category,
        "status": org.status,
        "address": org.address,
        "path": org.path,
    }


def _clean_name(name: str) -> str:
    text = " ".join((name or "").split())
    if not text:
        raise ValidationFailed("名称不能为空", details=[{"field": "name", "reason": "名称不能为空"}])
    if len(text) > _NAME_MAX:
        reason = f"名称不能超过 {_NAME_MAX} 个字"
        raise ValidationFailed(reason, details=[{"field": "name", "reason": reason}])
    return text


def _clean_address(address: str) -> str:
    text = (address or "").strip()
    if len(text) > _ADDRESS_MAX:
        reason = f"地址不能超过 {_ADDRESS_MAX} 个字"
        raise ValidationFailed(reason, details=[{"field": "address", "reason": reason}])
    return text


def _check_category(category: str) -> str:
    if category not in SCHOOL_CATEGORIES:
        reason = f"学校类别码“{category}”不在教育部学校类别代码表中"
        raise ValidationFailed(reason, details=[{"field": "category", "reason": reason}])
    return category


def _check_container(parent: Org) -> None:
    if parent.kind not in CONTAINER_KINDS:
        reason = "上级机构必须是省、地市、县区、教育行政部门或直属单位，学校下不能再设学校"
        raise ValidationFailed(reason, details=[{"field": "parent", "reason": reason}])
    if parent.status != OrgStatus.ACTIVE:
        reason = f"上级机构“{parent.name}”已撤销"
        raise ValidationFailed(reason, details=[{"field": "parent", "reason": reason}])


def _check_unique_school_name(parent: Org, name: str, *, exclude: Org | None = None) -> None:
    clash = Org.objects.filter(
        path__startswith=parent.path,
        depth=parent.depth + 1,
        kind=OrgKind.SCHOOL,
        status=OrgStatus.ACTIVE,
        name=name,
    )
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    other = clash.first()
    if other is not None:
        reason = f"“{parent.name}”下已有同名学校“{name}”（学校标识码 {other.code}）"
        raise ValidationFailed(reason, details=[{"field": "name", "reason": reason}])


def code_taken_reason(code: str) -> str | None:
    """Why ``code`` cannot be issued again (``None`` if it never was)."""
    issued = SchoolCode.objects.filter(code=code).select_related("org", "successor").first()
    if issued is not None:
        if issued.retired_at is not None:
            successor = f"，已由 {issued.successor_id} 接替" if issued.successor_id else ""
            return f"学校标识码 {code} 已停用{successor}，停用的代码不得再次使用"
        return f"学校标识码 {code} 已被“{issued.org.name}”使用"
    holder = Org.objects.filter(code=code).first()
    if holder is not None:
        return f"代码 {code} 已被“{holder.name}”使用"
    return None


def _next_sequence(prefix: str) -> int:
    low, high = prefix + "000000", prefix + "999999"
    issued = (
        SchoolCode.objects.filter(code__gte=low, code__lte=high)
        .order_by("-code")
        .values_list("code", flat=True)
        .first()
    )
    held = (
        Org.objects.filter(kind=OrgKind.SCHOOL, code__gte=low, code__lte=high)
        .order_by("-code")
        .values_list("code", flat=True)
        .first()
    )
    last = max((int(c[4:]) for c in (issued, held) if c and len(c) == 10 and c.isdigit()), default=0)
    return last + 1


def _allocate(*, category: str, province: str, create: Callable[[str], T]) -> T:
    """Call ``create(code)`` with the next free code of (category, province); retry on collisions."""
    prefix = category + province
    for _ in range(_ALLOCATION_ATTEMPTS):
        sequence = _next_sequence(prefix)
        if sequence > _SEQUENCE_MAX:
            raise CodeSpaceExhausted()
        try:
            with transaction.atomic():
                return create(f"{prefix}{sequence:06d}")
        except IntegrityError:
            continue
    raise CodeAllocationConflict()


@dataclass(frozen=True)
class _Period:
    name: str
    code: str
    parent: Org | None


def _period_of(org: Org) -> _Period:
    return _Period(org.name, org.code, parent_of(org))


def _record_period(org: Org, *, change: str, previous: _Period | None, at: dt.datetime) -> None:
    """Close the open history period of ``org`` and open a new one with its current state."""
    current = OrgHistory.objects.filter(org=org, valid_to__isnull=True).order_by("-valid_from", "-pk").first()
    if current is not None:
        current.valid_to = at
        current.save(update_fields=["valid_to"])
    elif previous is not None:
        # an org created before history was kept (or by a bulk load): keep its first period too
        OrgHistory.objects.create(
            org=org,
            name=previous.name,
            code=previous.code,
            parent=previous.parent,
            change="created",
            valid_from=org.created_at or at,
            valid_to=at,
        )
    OrgHistory.objects.create(
        org=org, name=org.name, code=org.code, parent=parent_of(org), change=change, valid_from=at
    )


def _reload(org: Org) -> Org:
    return Org.objects.get(pk=org.pk)


# ---------------------------------------------------------------- services


def create_school(
    *,
    actor: Any,
    parent: Org,
    name: str,
    category: str,
    region_code: str | None = None,
    address: str = "",
    code: str | None = None,
) -> Org:
    """Create a school under ``parent`` and issue its code (or take ``code`` if given and never issued)."""
    require(actor, "orgs.change", path=parent.path)
    _check_container(parent)
    name = _clean_name(name)
    category = _check_category(category)
    address = _clean_address(address)
    region = region_code or parent.region_code
    if not gb2260.region_known(region):
        reason = f"行政区划代码“{region}”不在 GB/T 2260 中"
        raise ValidationFailed(reason, details=[{"field": "region_code", "reason": reason}])
    _check_unique_school_name(parent, name)
    province = region[:2]

    def build(school_code: str) -> Org:
        school = Org.objects.add_child(
            parent,
            {
                "kind": OrgKind.SCHOOL,
                "name": name,
                "code": school_code,
                "region_code": region,
                "school_category": category,
                "address": address,
            },
        )
        SchoolCode.objects.create(code=school_code, org=school, category=category)
        return school

    if code:
        reasons = validate_school_code(code)
        if not reasons and code[:2] != category:
            reasons.append(f"学校标识码类别码“{code[:2]}”与学校类别“{category_label(category)}”不一致")
        if not reasons and code[2:4] != province:
            reasons.append(f"学校标识码第 3–4 位应为所在省代码“{province}”")
        taken = None if reasons else code_taken_reason(code)
        if taken:
            reasons.append(taken)
        if reasons:
            raise ValidationFailed("；".join(reasons), details=[{"field": "code", "reason": r} for r in reasons])
        school = build(code)
    else:
        school = _allocate(category=category, province=province, create=build)
    now = timezone.now()
    _record_period(school, change="created", previous=None, at=now)
    audit.record(actor=actor, action="orgs.school.create", obj=school, org=school, before=None, after=snapshot(school))
    return school


def rename_org(*, actor: Any, org: Org, name: str) -> Org:
    """Rename an org; a school keeps its code. The old name stays in the history."""
    require(actor, "orgs.change", path=org.path)
    name = _clean_name(name)
    if name == org.name:
        return org
    parent = parent_of(org)
    if org.kind == OrgKind.SCHOOL and parent is not None:
        _check_unique_school_name(parent, name, exclude=org)
    before, previous = snapshot(org), _period_of(org)
    org.name = name
    org.save(update_fields=["name", "updated_at"])
    _record_period(org, change="renamed", previous=previous, at=timezone.now())
    audit.record(actor=actor, action="orgs.org.rename", obj=org, org=org, before=before, after=snapshot(org))
    return org


def move_org(*, actor: Any, org: Org, new_parent: Org) -> Org:
    """Move an org (and everything below it) under ``new_parent``; the old parent stays in the history."""
    require(actor, "orgs.change", path=org.path)
    require(actor, "orgs.change", path=new_parent.path)
    _check_container(new_parent)
    old_parent = parent_of(org)
    if old_parent is None:
        raise ValidationFailed("顶级机构不能迁移")
    if old_parent.pk == new_parent.pk:
        return org
    if new_parent.path.startswith(org.path):
        raise ValidationFailed("不能把机构迁移到它自己或它的下级机构之下")
    if org.kind == OrgKind.SCHOOL:
        _check_unique_school_name(new_parent, org.name)
    before, previous = snapshot(org), _period_of(org)
    try:
        Org.objects.move(org, new_parent, "sorted-child")
    except InvalidMoveToDescendant as exc:
        raise ValidationFailed("不能把机构迁移到它自己或它的下级机构之下") from exc
    org = _reload(org)
    if org.kind == OrgKind.SCHOOL and new_parent.kind in (OrgKind.COUNTY, OrgKind.PREFECTURE):
        org.region_code = new_parent.region_code
        org.save(update_fields=["region_code", "updated_at"])
    _record_period(org, change="moved", previous=previous, at=timezone.now())
    audit.record(actor=actor, action="orgs.org.move", obj=org, org=org, before=before, after=snapshot(org))
    return org


def change_school_category(*, actor: Any, school: Org, category: str) -> Org:
    """Change a school's category: retire its code and issue a new one linked to it."""
    require(actor, "orgs.change", path=school.path)
    if school.kind != OrgKind.SCHOOL:
        raise ValidationFailed("只有学校才有学校类别")
    category = _check_category(category)
    if category == school.school_category:
        return school
    if school.status != OrgStatus.ACTIVE:
        raise ValidationFailed("已撤销的学校不能变更类别")
    before, previous = snapshot(school), _period_of(school)
    old_code = school.code
    province = old_code[2:4] if len(old_code) == 10 and old_code.isdigit() else school.region_code[:2]
    now = timezone.now()

    def issue(new_code: str) -> SchoolCode:
        issued = SchoolCode.objects.create(code=new_code, org=school, category=category)
        Org.objects.filter(pk=school.pk).update(code=new_code, school_category=category, updated_at=now)
        return issued

    new = _allocate(category=category, province=province, create=issue)
    old, _ = SchoolCode.objects.get_or_create(
        code=old_code, defaults={"org": school, "category": before["school_category"]}
    )
    old.retired_at = now
    old.successor = new
    old.save(update_fields=["retired_at", "successor"])
    school = _reload(school)
    parent = parent_of(school)
    if parent is not None:
        Org.objects.move(school, parent, "sorted-child")  # siblings are ordered by code
        school = _reload(school)
    _record_period(school, change="recoded", previous=previous, at=now)
    audit.record(
        actor=actor,
        action="orgs.school.change_category",
        obj=school,
        org=school,
        before=before,
        after={**snapshot(school), "retired_code": old_code},
    )
    return school


def set_address(*, actor: Any, org: Org, address: str) -> Org:
    """Change the postal address of an org."""
    require(actor, "orgs.change", path=org.path)
    address = _clean_address(address)
    if address == org.address:
        return org
    before = snapshot(org)
    org.address = address
    org.save(update_fields=["address", "updated_at"])
    audit.record(actor=actor, action="orgs.org.update", obj=org, org=org, before=before, after=snapshot(org))
    return org


def close_org(*, actor: Any, org: Org) -> Org:
    """Close (撤销) an org; its code stays issued and is never reused."""
    require(actor, "orgs.change", path=org.path)
    if org.status == OrgStatus.CLOSED:
        raise ValidationFailed(f"“{org.name}”已经撤销")
    open_below = (
        Org.objects.filter(path__startswith=org.path, depth__gt=org.depth, status=OrgStatus.ACTIVE)
        .exclude(pk=org.pk)
        .count()
    )
    if open_below:
        raise ValidationFailed(f"“{org.name}”下仍有 {open_below} 个未撤销的机构，请先撤销或迁移")
    before, previous = snapshot(org), _period_of(org)
    org.status = OrgStatus.CLOSED
    org.save(update_fields=["status", "updated_at"])
    _record_period(org, change="closed", previous=previous, at=timezone.now())
    audit.record(actor=actor, action="orgs.org.close", obj=org, org=org, before=before, after=snapshot(org))
    return org
