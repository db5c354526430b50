"""Scoped reads of the org tree and schools: every query starts from ``core.scope``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from edubase.core.errors import NotFound
from edubase.core.scope import scope_for, subtree_q
from edubase.orgs.models import Org, OrgHistory, OrgKind, OrgStatus, SchoolCode
from edubase.orgs.standards import gb2260
from edubase.orgs.standards.school_categories import category_label

#: kinds that can hold schools (a school never sits below another school)
CONTAINER_KINDS = (OrgKind.PROVINCE, OrgKind.PREFECTURE, OrgKind.COUNTY, OrgKind.BUREAU, OrgKind.UNIT)


def orgs_for(actor: Any, *, permission: str = "orgs.view") -> QuerySet[Org]:
    """Every org node the actor holds ``permission`` on."""
    return Org.objects.filter(scope_for(actor, permission).q("path"))


def _subtree_of_code(code: str) -> Q:
    """Nodes at or below the org whose code is ``code`` (nothing if there is none)."""
    path = Org.objects.filter(code=code).values_list("path", flat=True).first()
    return subtree_q(path) if path else Q(pk__in=[])


def schools_for(
    actor: Any,
    *,
    prefecture: str | None = None,
    county: str | None = None,
    category: str | None = None,
    q: str | None = None,
) -> QuerySet[Org]:
    """Schools in the actor's ``orgs.view`` scope, filtered by GB/T 2260 prefecture/county
    code (the subtree of that node), category code, and ``q`` (name contains or code starts with)."""
    schools = orgs_for(actor).filter(kind=OrgKind.SCHOOL)
    if prefecture:
        schools = schools.filter(_subtree_of_code(prefecture))
    if county:
        schools = schools.filter(_subtree_of_code(county))
    if category:
        schools = schools.filter(school_category=category)
    if q:
        text = q.strip()
        schools = schools.filter(Q(name__icontains=text) | Q(code__startswith=text))
    return schools.order_by("path")


def children_of(actor: Any, parent: Org | None) -> QuerySet[Org]:
    """Children of ``parent`` that the actor may see; ``None`` gives the top nodes of the actor's scope."""
    scope = scope_for(actor, "orgs.view")
    if parent is None:
        if scope.everything:
            return Org.objects.filter(depth=1).order_by("path")
        return Org.objects.filter(path__in=scope.paths).order_by("path")
    return Org.objects.filter(scope.q("path"), subtree_q(parent.path), depth=parent.depth + 1).order_by("path")


def get_org(actor: Any, *, pk: int, permission: str = "orgs.view") -> Org:
    """The org ``pk``; ``NotFound`` when it is missing or outside the actor's scope."""
    org = orgs_for(actor, permission=permission).filter(pk=pk).first()
    if org is None:
        raise NotFound()
    return org


def get_school(actor: Any, *, pk: int, permission: str = "orgs.view") -> Org:
    """The school ``pk``; ``NotFound`` when it is missing, not a school, or out of scope."""
    org = get_org(actor, pk=pk, permission=permission)
    if org.kind != OrgKind.SCHOOL:
        raise NotFound("该机构不是学校")
    return org


def parent_of(org: Org) -> Org | None:
    """The parent node (no scope check: the caller already holds ``org``)."""
    if org.depth <= 1:
        return None
    return Org.objects.filter(path=org.path[: -Org.steplen]).first()


def school_codes_of(actor: Any, school: Org) -> list[SchoolCode]:
    """Every school code ever issued to ``school`` (retired ones too), oldest first."""
    get_school(actor, pk=school.pk)
    return list(SchoolCode.objects.filter(org=school).order_by("issued_at", "code"))


def history_of(actor: Any, org: Org) -> list[OrgHistory]:
    """The periods of names, codes and parents of ``org`` (机构沿革), oldest first."""
    get_org(actor, pk=org.pk)
    return list(OrgHistory.objects.filter(org=org).select_related("parent").order_by("valid_from", "pk"))


@dataclass(frozen=True)
class SchoolDetail:
    """A school with where it sits, every code it was issued and its history."""

    school: Org
    parent: Org | None
    prefecture: Org | None
    codes: list[SchoolCode]
    history: list[OrgHistory]


def school_detail(actor: Any, *, pk: int) -> SchoolDetail:
    """One school in the actor's scope, with its codes and history (``NotFound`` otherwise)."""
    school = get_school(actor, pk=pk)
    prefixes = [school.path[: depth * Org.steplen] for depth in range(1, school.depth)]
    ancestors = {o.path: o for o in Org.objects.filter(path__in=prefixes)}
    prefecture = next((o for o in ancestors.values() if o.kind == OrgKind.PREFECTURE), None)
    return SchoolDetail(
        school=school,
        parent=ancestors.get(school.path[: -Org.steplen]),
        prefecture=prefecture,
        codes=list(SchoolCode.objects.filter(org=school).order_by("issued_at", "code")),
        history=list(OrgHistory.objects.filter(org=school).select_related("parent").order_by("valid_from", "pk")),
    )


def prefecture_code_of(region_code: str) -> str:
    """The prefecture-level unit of a GB/T 2260 code: ``410102`` → ``410100``; a directly administered
    county-level city such as 济源 ``419001`` is its own unit; a province code stays as it is."""
    if region_code[2:4] == "90" or region_code.endswith("0000"):
        return region_code
    return region_code[:4] + "00"


def dashboard_counts(actor: Any) -> dict[str, Any]:
    """Active schools in scope, by prefecture-level unit and by category.

    Person counts are not here (orgs sits below people): the console adds
    ``students``/``staff`` from ``people.selectors``. One GROUP BY on the indexed
    ``region_code`` and ``school_category`` columns (a few thousand groups at province
    scale), folded into prefectures in Python.
    """
    rows = (
        orgs_for(actor)
        .filter(kind=OrgKind.SCHOOL, status=OrgStatus.ACTIVE)
        .values("region_code", "school_category")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_unit: dict[str, int] = {}
    by_category: dict[str, int] = {}
    total = 0
    for row in rows:
        unit = prefecture_code_of(row["region_code"])
        by_unit[unit] = by_unit.get(unit, 0) + row["n"]
        by_category[row["school_category"]] = by_category.get(row["school_category"], 0) + row["n"]
        total += row["n"]
    names = dict(Org.objects.filter(code__in=list(by_unit)).exclude(kind=OrgKind.SCHOOL).values_list("code", "name"))
    return {
        "by_prefecture": [
            {"code": code, "name": names.get(code) or gb2260.name_of(code) or code, "schools": n}
            for code, n in sorted(by_unit.items())
        ],
        "by_category": [
            {"code": code, "label": category_label(code), "schools": n} for code, n in sorted(by_category.items())
        ],
        "schools": total,
    }
