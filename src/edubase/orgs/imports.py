"""Import and export of schools as the spreadsheets officials use (XLSX, CSV in UTF-8 or GBK).

Columns (Chinese, as in the forms officials fill in): 学校标识码 (blank → a code is
issued), 学校名称, 学校类别 (code such as 21 or label such as 小学), 所在县区代码 (GB/T 2260;
the county node must exist; a prefecture-level code places a school the city runs
directly (市直学校), and is how schools of 济源 419001, which has no counties, are given),
地址. Export adds 所属地市 and 状态; import accepts and ignores them, so an exported file
imports back without changes.

All-or-nothing: every row is checked first and every problem is reported with its row,
column and a Chinese reason (``ImportRejected``); only a clean file is written, each row
through the services (so each write is scoped, history-kept and audited).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from edubase.core import audit
from edubase.core.errors import DomainError, PermissionDenied
from edubase.core.scope import has_anywhere, scope_for
from edubase.core.tabular import ImportRejected, Problem, read_table, write_xlsx
from edubase.orgs import services
from edubase.orgs.models import Org, OrgKind, OrgStatus, SchoolCode
from edubase.orgs.selectors import schools_for
from edubase.orgs.standards import gb2260
from edubase.orgs.standards.school_categories import category_label, parse_category, validate_school_code

COL_CODE = "学校标识码"
COL_NAME = "学校名称"
COL_CATEGORY = "学校类别"
COL_COUNTY = "所在县区代码"
COL_ADDRESS = "地址"
COL_PREFECTURE = "所属地市"
COL_STATUS = "状态"

REQUIRED_COLUMNS = (COL_NAME, COL_CATEGORY, COL_COUNTY)
OPTIONAL_COLUMNS = (COL_CODE, COL_ADDRESS, COL_PREFECTURE, COL_STATUS)
EXPORT_COLUMNS = (COL_CODE, COL_NAME, COL_CATEGORY, COL_COUNTY, COL_ADDRESS, COL_PREFECTURE, COL_STATUS)

_PLACEMENT_KINDS = (OrgKind.COUNTY, OrgKind.PREFECTURE)
_STATUS_LABELS = {OrgStatus.ACTIVE.value: "正常", OrgStatus.CLOSED.value: "已撤销"}


@dataclass(frozen=True)
class ImportReport:
    """What an accepted import wrote."""

    created: int
    updated: int
    unchanged: int = 0
    encoding: str = ""
    codes: list[str] = field(default_factory=list)  # codes of created schools, in file order


@dataclass
class _Row:
    row: int
    name: str
    category: str
    county: Org
    address: str | None  # None: the file has no 地址 column, keep what is stored
    code: str = ""
    existing: Org | None = None


def _placement_code(school: Org, parent: Org | None) -> str:
    """What the 所在县区代码 column says for a school (its county, or its region when it sits elsewhere)."""
    if parent is not None and parent.kind in _PLACEMENT_KINDS:
        return parent.code
    return school.region_code


def _parents(schools: Iterable[Org]) -> dict[str, Org]:
    paths = {s.path[: -Org.steplen] for s in schools}
    return {o.path: o for o in Org.objects.filter(path__in=list(paths))}


def _check_rows(actor: Any, rows: list[tuple[int, dict[str, str]]]) -> tuple[list[_Row], list[Problem]]:
    problems: list[Problem] = []
    change_scope = scope_for(actor, "orgs.change")
    county_codes = {r[COL_COUNTY] for _, r in rows if r.get(COL_COUNTY)}
    counties = {o.code: o for o in Org.objects.filter(code__in=county_codes, kind__in=_PLACEMENT_KINDS)}
    codes = {r[COL_CODE] for _, r in rows if r.get(COL_CODE)}
    issued = {c.code: c for c in SchoolCode.objects.filter(code__in=codes).select_related("org")}
    holders = {o.code: o for o in Org.objects.filter(code__in=codes)}
    holder_parents = _parents(o for o in holders.values() if o.kind == OrgKind.SCHOOL)
    names = {r[COL_NAME] for _, r in rows if r.get(COL_NAME)}
    same_name: dict[tuple[str, str], Org] = {}
    for school in Org.objects.filter(kind=OrgKind.SCHOOL, status=OrgStatus.ACTIVE, name__in=names):
        same_name[(school.path[: -Org.steplen], school.name)] = school
    seen_codes: dict[str, int] = {}
    seen_names: dict[tuple[str, str], int] = {}
    planned: list[_Row] = []

    for row_no, values in rows:
        before = len(problems)

        def problem(column: str, reason: str, row_no: int = row_no) -> None:
            problems.append(Problem(row_no, column, reason))

        name = " ".join(values.get(COL_NAME, "").split())
        if not name:
            problem(COL_NAME, "学校名称不能为空")
        elif len(name) > 100:
            problem(COL_NAME, "学校名称不能超过 100 个字")

        raw_category = values.get(COL_CATEGORY, "")
        category = parse_category(raw_category) if raw_category else None
        if not raw_category:
            problem(COL_CATEGORY, "学校类别不能为空")
        elif category is None:
            problem(COL_CATEGORY, f"无法识别的学校类别“{raw_category}”（应填类别码如 21，或类别名称如 小学）")

        county_code = values.get(COL_COUNTY, "")
        county = counties.get(county_code)
        if not county_code:
            problem(COL_COUNTY, "所在县区代码不能为空")
        elif len(county_code) != 6 or not county_code.isdigit():
            problem(COL_COUNTY, f"所在县区代码应为 6 位数字的 GB/T 2260 行政区划代码（当前为“{county_code}”）")
        elif county is None:
            if gb2260.region_known(county_code):
                problem(COL_COUNTY, f"系统中还没有代码为 {county_code} 的县区机构，请先建立该县区")
            else:
                problem(COL_COUNTY, f"“{county_code}”不是 GB/T 2260 中的行政区划代码")
        elif not change_scope.covers(county.path):
            problem(COL_COUNTY, f"您无权维护“{county.name}”的学校")
            county = None
        elif county.status != OrgStatus.ACTIVE:
            problem(COL_COUNTY, f"“{county.name}”已撤销，不能在其下维护学校")
            county = None

        address: str | None = values.get(COL_ADDRESS) if COL_ADDRESS in values else None
        if address is not None and len(address) > 200:
            problem(COL_ADDRESS, "地址不能超过 200 个字")

        code = values.get(COL_CODE, "")
        existing: Org | None = None
        if code:
            reasons = validate_school_code(code)
            for reason in reasons:
                problem(COL_CODE, reason)
            if not reasons:
                if category is not None and code[:2] != category:
                    problem(
                        COL_CODE,
                        f"学校标识码类别码“{code[:2]}”（{category_label(code[:2])}）"
                        f"与学校类别“{category_label(category)}”不一致；已有学校变更类别会重新赋码，请在学校详情中办理",
                    )
                if county_code[:2].isdigit() and len(county_code) == 6 and code[2:4] != county_code[:2]:
                    problem(COL_CODE, f"学校标识码第 3–4 位“{code[2:4]}”与所在县区的省级代码“{county_code[:2]}”不一致")
            if code in seen_codes:
                problem(COL_CODE, f"与第 {seen_codes[code]} 行的学校标识码重复")
            else:
                seen_codes[code] = row_no
            sc, holder = issued.get(code), holders.get(code)
            if sc is not None and (sc.retired_at is not None or holder is None or holder.pk != sc.org_id):
                problem(COL_CODE, services.code_taken_reason(code) or f"学校标识码 {code} 已停用")
            elif holder is not None and holder.kind != OrgKind.SCHOOL:
                problem(COL_CODE, f"代码 {code} 已被“{holder.name}”使用")
            elif holder is not None:
                parent = holder_parents.get(holder.path[: -Org.steplen])
                placed = _placement_code(holder, parent)
                if county_code and placed != county_code:
                    where = parent.name if parent is not None else placed
                    problem(
                        COL_CODE,
                        f"学校标识码 {code} 已被“{holder.name}”（{where}）使用；"
                        "如需变更学校隶属关系，请在学校详情中办理迁移",
                    )
                elif not change_scope.covers(holder.path):
                    problem(COL_CODE, f"您无权维护学校“{holder.name}”")
                existing = holder

        if name and county_code:
            key = (county_code, name)
            if key in seen_names:
                problem(COL_NAME, f"与第 {seen_names[key]} 行的学校名称重复（同一县区）")
            else:
                seen_names[key] = row_no
        if name and county is not None:
            clash = same_name.get((county.path, name))
            if clash is not None and (existing is None or clash.pk != existing.pk):
                if existing is None:
                    reason = f"“{county.name}”已有同名学校（学校标识码 {clash.code}）；更新该校请填写其学校标识码"
                else:
                    reason = f"“{county.name}”已有同名学校（学校标识码 {clash.code}）"
                problem(COL_NAME, reason)

        if len(problems) == before and county is not None and category is not None:
            planned.append(_Row(row_no, name, category, county, address, code, existing))
    return planned, problems


def import_schools(*, actor: Any, data: bytes, filename: str) -> ImportReport:
    """Check every row of a schools file, then create or update all of them, or write nothing."""
    if not has_anywhere(actor, "orgs.change"):
        raise PermissionDenied("您没有维护学校的权限，不能导入学校")
    table = read_table(data, filename=filename, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)
    planned, problems = _check_rows(actor, table.rows)
    if problems:
        raise ImportRejected(problems)
    created: list[str] = []
    updated = unchanged = 0
    with transaction.atomic():
        for row in planned:
            try:
                if row.existing is None:
                    school = services.create_school(
                        actor=actor,
                        parent=row.county,
                        name=row.name,
                        category=row.category,
                        address=row.address or "",
                        code=row.code or None,
                    )
                    created.append(school.code)
                    continue
                school = row.existing
                changed = False
                if row.name != school.name:
                    school = services.rename_org(actor=actor, org=school, name=row.name)
                    changed = True
                if row.address is not None and row.address != school.address:
                    school = services.set_address(actor=actor, org=school, address=row.address)
                    changed = True
                updated += changed
                unchanged += not changed
            except DomainError as exc:  # a rule the pre-check could not see: undo the whole file
                raise ImportRejected([Problem(row.row, "", exc.message)]) from exc
        audit.record(
            actor=actor,
            action="orgs.school.import",
            object_type="orgs.import",
            object_repr=filename[:200],
            after={"file": filename, "created": len(created), "updated": updated, "unchanged": unchanged},
        )
    return ImportReport(len(created), updated, unchanged, table.encoding, created)


def export_schools(*, actor: Any, **filters: Any) -> bytes:
    """The schools in the actor's scope (``schools_for`` filters) as an XLSX file in the import format."""
    schools = list(schools_for(actor, **filters).order_by("code"))
    containers = {
        o.path: o
        for o in Org.objects.exclude(kind=OrgKind.SCHOOL).only("path", "code", "name", "kind", "depth", "region_code")
    }

    def prefecture_of(school: Org) -> str:
        for depth in range(1, school.depth):
            node = containers.get(school.path[: depth * Org.steplen])
            if node is not None and node.kind == OrgKind.PREFECTURE:
                return node.name
        return ""

    rows = (
        (
            s.code,
            s.name,
            category_label(s.school_category),
            _placement_code(s, containers.get(s.path[: -Org.steplen])),
            s.address,
            prefecture_of(s),
            _STATUS_LABELS.get(s.status, s.status),
        )
        for s in schools
    )
    return write_xlsx(EXPORT_COLUMNS, rows, sheet="学校")
