"""Import and export of the information-asset register (信息资产台账) as XLSX or CSV.

One row is either a system (系统名称 filled, no asset columns) or an asset (资产类型, 资产名称,
域名, IP地址, IP地址段 or 型号/版本/位置 filled), optionally a part of the system named in
系统名称. System columns on an asset row also describe that system (registers that repeat the
system on every asset row import as they are); two rows that say different things about one
system are a problem. 状态 and 互联网暴露 describe the row's asset, or the system on a
system row. Columns (Chinese; English aliases in brackets):

单位代码 [学校标识码, org_code] (required: the code of the owning school or bureau),
系统名称 [system_name], 等保级别 [mlps_level], 定级日期 [graded_on], 备案编号 [filing_number],
备案日期 [filed_on], 上线日期 [went_live_on], 关键信息基础设施 [cii], 责任人 [responsible_name],
联系电话 [responsible_phone], 承载数据 [data_held], 用途说明 [description], 资产类型 [asset_kind],
资产名称 [asset_name], 域名 [domain], IP地址 [ip], IP地址段 [ip_range], 型号/版本/位置 [detail],
状态 [status], 互联网暴露 [internet_exposed].

Dedup within an org: a system by its name; an asset by its domain, else its IP address, else
its type and name. A match is updated, never duplicated. A blank cell leaves the stored value as
it is. The export writes the same columns (phones masked: a masked phone that matches the stored
one is "unchanged"), so an exported file imports back with no change.

All-or-nothing: every row is checked first; every problem is reported with its row, column and a
Chinese reason (``ImportRejected``); only a clean file is written, each object through the
registry services (scoped, history-kept, audited).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q

from edubase.core import audit
from edubase.core.errors import DomainError, PermissionDenied
from edubase.core.scope import has_anywhere, scope_for
from edubase.core.tabular import ImportRejected, Problem, read_table, write_xlsx
from edubase.orgs.models import Org
from edubase.secops import registry
from edubase.secops.models import Asset, AssetKind, InformationSystem, SystemStatus

#: (key, Chinese header, aliases)
COLUMNS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("org_code", "单位代码", ("学校标识码", "单位标识码", "org_code")),
    ("system_name", "系统名称", ("信息系统名称", "system_name", "system")),
    ("mlps_level", "等保级别", ("安全保护等级", "mlps_level", "level")),
    ("graded_on", "定级日期", ("graded_on",)),
    ("filing_number", "备案编号", ("备案证明编号", "filing_number")),
    ("filed_on", "备案日期", ("filed_on",)),
    ("went_live_on", "上线日期", ("went_live_on",)),
    ("cii", "关键信息基础设施", ("cii",)),
    ("responsible_name", "责任人", ("responsible_name", "responsible")),
    ("responsible_phone", "联系电话", ("责任人联系电话", "responsible_phone", "phone")),
    ("data_held", "承载数据", ("data_held",)),
    ("description", "用途说明", ("description",)),
    ("kind", "资产类型", ("asset_kind", "kind")),
    ("asset_name", "资产名称", ("asset_name",)),
    ("domain", "域名", ("网站域名", "domain")),
    ("ip", "IP地址", ("IP 地址", "ip")),
    ("ip_range", "IP地址段", ("IP 地址段", "ip_range")),
    ("detail", "型号/版本/位置", ("detail",)),
    ("status", "状态", ("status",)),
    ("internet", "互联网暴露", ("internet_exposed", "internet_facing")),
)
HEADERS = tuple(header for _key, header, _aliases in COLUMNS)
_KEY_OF = {name: key for key, header, aliases in COLUMNS for name in (header, *aliases)}

_SYSTEM_COLUMNS = (
    "mlps_level",
    "graded_on",
    "filing_number",
    "filed_on",
    "went_live_on",
    "cii",
    "responsible_name",
    "responsible_phone",
    "data_held",
    "description",
)
_ASSET_COLUMNS = ("kind", "asset_name", "domain", "ip", "ip_range", "detail")
_ASSET_FIELD_OF = {
    "kind": "kind",
    "asset_name": "name",
    "domain": "domain",
    "ip": "ip",
    "ip_range": "ip_range",
    "detail": "detail",
}


@dataclass
class ImportReport:
    """What an import did."""

    systems_created: int = 0
    systems_updated: int = 0
    systems_unchanged: int = 0
    assets_created: int = 0
    assets_updated: int = 0
    assets_unchanged: int = 0
    encoding: str = ""


@dataclass
class _SystemPlan:
    org: Org
    name: str
    first_row: int
    data: dict[str, Any] = field(default_factory=dict)
    rows_of: dict[str, int] = field(default_factory=dict)  # field -> row that set it
    existing: InformationSystem | None = None


@dataclass
class _AssetPlan:
    row: int
    org: Org
    system_key: tuple[int, str] | None
    data: dict[str, Any]
    existing: Asset | None = None


def _header_problems(header_keys: Mapping[str, str]) -> list[Problem]:
    problems = []
    seen: dict[str, str] = {}
    for header, key in header_keys.items():
        if key in seen:
            problems.append(Problem(1, header, f"与「{seen[key]}」列含义相同，请只保留一列"))
        else:
            seen[key] = header
    if "org_code" not in seen:
        problems.append(Problem(1, "单位代码", "缺少必需的列"))
    return problems


def _asset_key(org_id: int, data: Mapping[str, Any]) -> tuple[Any, ...]:
    if data.get("domain"):
        return (org_id, "domain", data["domain"])
    if data.get("ip"):
        return (org_id, "ip", data["ip"])
    return (org_id, "name", data.get("kind"), data.get("name"))


def _check(
    actor: Any, rows: list[tuple[int, dict[str, str]]]
) -> tuple[dict[tuple[int, str], _SystemPlan], list[_AssetPlan], list[Problem]]:
    problems: list[Problem] = []
    change_scope = scope_for(actor, registry.CHANGE)
    codes = {r.get("org_code", "") for _, r in rows} - {""}
    orgs = {o.code: o for o in Org.objects.filter(code__in=codes)}
    names = {r.get("system_name", "") for _, r in rows} - {""}
    known_systems = {
        (s.org_id, s.name): s
        for s in InformationSystem.objects.filter(org__in=list(orgs.values()), name__in=names).select_related("org")
    }
    systems: dict[tuple[int, str], _SystemPlan] = {}
    assets: list[_AssetPlan] = []
    headers: dict[str, str] = {}

    for row_no, values in rows:
        before = len(problems)

        def problem(key: str, reason: str, row_no: int = row_no) -> None:
            problems.append(Problem(row_no, headers.get(key, key), reason))

        code = values.get("org_code", "")
        org = orgs.get(code)
        if not code:
            problem("org_code", "单位代码不能为空")
        elif org is None:
            problem("org_code", f"单位代码“{code}”不存在")
        elif not change_scope.covers(org.path):
            problem("org_code", f"您无权维护“{org.name}”的信息资产")
            org = None

        system_name = " ".join(values.get("system_name", "").split())
        is_asset = any(values.get(key) for key in _ASSET_COLUMNS)
        if not system_name and not is_asset:
            problem("system_name", "该行既没有系统名称，也没有资产信息")
            continue

        # the system's columns (state and exposure belong to the row's asset on an asset row)
        system_cells = {k: values[k] for k in _SYSTEM_COLUMNS if values.get(k)}
        if not is_asset:
            for key, target in (("status", "status"), ("internet", "internet_facing")):
                if values.get(key):
                    system_cells[target] = values[key]
        existing_system = known_systems.get((org.pk, system_name)) if org is not None and system_name else None
        phone = system_cells.get("responsible_phone")
        if phone and registry.is_masked(phone):
            if existing_system is not None and existing_system.responsible_phone_masked == phone.strip():
                del system_cells["responsible_phone"]  # the export's masked form: unchanged
            else:
                problem("responsible_phone", "联系电话为脱敏号码且与已登记的不一致，请填写完整号码")
                del system_cells["responsible_phone"]
        if system_cells and not system_name:
            problem("system_name", "填写了信息系统的列（如等保级别），但没有填写系统名称")
        clean, field_problems = registry.clean_fields(registry.SYSTEM_FIELDS, system_cells)
        for key, reason in field_problems.items():
            problem({"internet_facing": "internet"}.get(key, key), reason)
        if system_name and len(system_name) > 200:
            problem("system_name", "系统名称不能超过 200 个字")

        asset_data: dict[str, Any] = {}
        if is_asset:
            cells = {_ASSET_FIELD_OF[k]: values[k] for k in _ASSET_COLUMNS if values.get(k)}
            if values.get("status"):
                cells["status"] = values["status"]
            if values.get("internet"):
                cells["internet_exposed"] = values["internet"]
            asset_data, asset_problems = registry.clean_fields(registry.ASSET_FIELDS, cells)
            back = {"name": "asset_name", "internet_exposed": "internet"}
            for key, reason in asset_problems.items():
                problem(back.get(key, key), reason)
            if "kind" not in asset_data and "kind" not in asset_problems:
                inferred = next(
                    (kind for kind in (AssetKind.DOMAIN, AssetKind.IP, AssetKind.IP_RANGE) if asset_data.get(kind)),
                    None,
                )
                if inferred is None:
                    problem("kind", "资产类型不能为空")
                else:
                    asset_data["kind"] = str(inferred)

        if len(problems) != before or org is None:
            continue
        if system_name:
            system_key = (org.pk, system_name)
            plan = systems.get(system_key)
            if plan is None:
                plan = systems[system_key] = _SystemPlan(org, system_name, row_no, existing=existing_system)
            for name, value in clean.items():
                if name in plan.data and plan.data[name] != value:
                    label = registry.SYSTEM_FIELDS[name][0]
                    problem(
                        {"internet_facing": "internet"}.get(name, name),
                        f"与第 {plan.rows_of[name]} 行填写的同一系统的{label}不一致",
                    )
                elif name not in plan.data:
                    plan.data[name] = value
                    plan.rows_of[name] = row_no
        if is_asset:
            assets.append(_AssetPlan(row_no, org, (org.pk, system_name) if system_name else None, asset_data))

    headers_for_rules = {"internet_facing": "internet"}
    for plan in systems.values():
        base = registry._system_state(plan.existing) if plan.existing is not None else {}
        rules = registry._system_rules(base | plan.data)
        for name, reason in rules.items():
            key = headers_for_rules.get(name, name)
            problems.append(Problem(plan.rows_of.get(name, plan.first_row), headers.get(key, key), reason))

    _match_assets(assets, problems, headers)
    return systems, assets, problems


def _match_assets(assets: list[_AssetPlan], problems: list[Problem], headers: Mapping[str, str]) -> None:
    org_ids = {a.org.pk for a in assets}
    domains = {a.data["domain"] for a in assets if a.data.get("domain")}
    ips = {a.data["ip"] for a in assets if a.data.get("ip")}
    names = {a.data["name"] for a in assets if a.data.get("name")}
    stored = Asset.objects.filter(org_id__in=org_ids)
    by_domain: dict[tuple[int, str], Asset] = {}
    by_ip: dict[tuple[int, str], Asset] = {}
    by_name: dict[tuple[int, str, str], Asset] = {}
    for asset in stored.filter(Q(domain__in=domains) | Q(ip__in=ips) | Q(name__in=names)):
        if asset.domain:
            by_domain[(asset.org_id, asset.domain)] = asset
        if asset.ip:
            by_ip[(asset.org_id, asset.ip)] = asset
        by_name[(asset.org_id, asset.kind, asset.name)] = asset
    seen: dict[tuple[Any, ...], int] = {}
    claimed_ips: dict[tuple[int, str], int] = {}
    for plan in assets:
        data, org_id = plan.data, plan.org.pk
        key = _asset_key(org_id, data)
        if key in seen:
            column = {"domain": "domain", "ip": "ip"}.get(key[1], "asset_name")
            problems.append(Problem(plan.row, headers.get(column, column), f"与第 {seen[key]} 行是同一资产（重复）"))
            continue
        seen[key] = plan.row
        if data.get("domain"):
            plan.existing = by_domain.get((org_id, data["domain"]))
        elif data.get("ip"):
            plan.existing = by_ip.get((org_id, data["ip"]))
        else:
            plan.existing = by_name.get((org_id, str(data.get("kind")), str(data.get("name"))))
        if data.get("ip"):
            holder = by_ip.get((org_id, data["ip"]))
            if holder is not None and (plan.existing is None or holder.pk != plan.existing.pk):
                problems.append(Problem(plan.row, "IP地址", f"IP 地址 {data['ip']} 已登记为资产“{holder.name}”"))
            elif (org_id, data["ip"]) in claimed_ips:
                row = claimed_ips[(org_id, data["ip"])]
                problems.append(Problem(plan.row, "IP地址", f"与第 {row} 行的 IP 地址重复"))
            claimed_ips[(org_id, data["ip"])] = plan.row
        base = {f: getattr(plan.existing, f) for f in registry.ASSET_FIELDS} if plan.existing else {}
        merged = base | data
        if "name" not in merged or not merged["name"]:
            merged["name"] = registry._default_name(merged)
        for name, reason in registry._asset_rules(merged).items():
            problems.append(Problem(plan.row, registry.ASSET_FIELDS.get(name, (name,))[0], reason))


def import_registry(*, actor: Any, data: bytes, filename: str) -> ImportReport:
    """Check every row of an asset register, then create or update all of it, or write nothing."""
    if not has_anywhere(actor, registry.CHANGE):
        raise PermissionDenied("您没有维护信息资产的权限，不能导入")
    accepted = list(_KEY_OF)
    table = read_table(data, filename=filename, required=(), optional=accepted)
    header_keys = {name: _KEY_OF[name] for name in table.rows[0][1]} if table.rows else {}
    header_problems = _header_problems(header_keys)
    if header_problems:
        raise ImportRejected(header_problems)
    rows = [(row_no, {_KEY_OF[name]: value for name, value in values.items()}) for row_no, values in table.rows]
    systems, assets, problems = _check(actor, rows)
    if problems:
        in_file = {key: name for name, key in header_keys.items()}
        canonical = {key: header for key, header, _aliases in COLUMNS}

        def column(name: str) -> str:
            key = _KEY_OF.get(name, name)
            return in_file.get(key) or canonical.get(key, name)

        fixed = [Problem(p.row, column(p.column), p.reason) for p in problems]
        raise ImportRejected(sorted(fixed, key=lambda p: (p.row, p.column)))
    report = ImportReport(encoding=table.encoding)
    saved: dict[tuple[int, str], InformationSystem] = {}
    with transaction.atomic():
        for key, plan in systems.items():
            try:
                if plan.existing is None:
                    saved[key] = registry.create_system(
                        actor=actor, org=plan.org, data={"name": plan.name, **plan.data}, action="import"
                    )
                    report.systems_created += 1
                else:
                    after = registry.update_system(actor=actor, system=plan.existing, data=plan.data, action="import")
                    changed = after.updated_at != plan.existing.updated_at
                    report.systems_updated += changed
                    report.systems_unchanged += not changed
                    saved[key] = after
            except DomainError as exc:  # a rule the pre-check could not see: undo the whole file
                raise ImportRejected([Problem(plan.first_row, "", exc.message)]) from exc
        for asset_plan in assets:
            system = saved.get(asset_plan.system_key) if asset_plan.system_key else None
            try:
                if asset_plan.existing is None:
                    registry.create_asset(
                        actor=actor, org=asset_plan.org, data=asset_plan.data, system=system, action="import"
                    )
                    report.assets_created += 1
                else:
                    after_asset = registry.update_asset(
                        actor=actor,
                        asset=asset_plan.existing,
                        data=asset_plan.data,
                        system=system if asset_plan.system_key else False,
                        action="import",
                    )
                    changed = after_asset.updated_at != asset_plan.existing.updated_at
                    report.assets_updated += changed
                    report.assets_unchanged += not changed
            except DomainError as exc:
                raise ImportRejected([Problem(asset_plan.row, "", exc.message)]) from exc
        audit.record(
            actor=actor,
            action="secops.registry.import",
            object_type="secops.import",
            object_repr=filename[:200],
            after={"file": filename, **{k: v for k, v in report.__dict__.items() if k != "encoding"}},
        )
    return report


def _yes(value: bool) -> str:
    return "是" if value else "否"


def _day(value: Any) -> str:
    return value.isoformat() if value else ""


def _system_row(system: InformationSystem) -> list[Any]:
    return [
        system.org.code,
        system.name,
        system.mlps_level or "",
        _day(system.graded_on),
        system.filing_number,
        _day(system.filed_on),
        _day(system.went_live_on),
        _yes(system.cii),
        system.responsible_name,
        system.responsible_phone_masked,
        system.data_held,
        system.description,
        "",
        "",
        "",
        "",
        "",
        "",
        system.get_status_display(),
        _yes(system.internet_facing),
    ]


def _asset_row(asset: Asset, system_name: str) -> list[Any]:
    return [
        asset.org.code,
        system_name,
        *[""] * 10,
        asset.get_kind_display(),
        asset.name,
        asset.domain,
        asset.ip or "",
        asset.ip_range,
        asset.detail,
        asset.get_status_display(),
        _yes(asset.internet_exposed),
    ]


def export_rows(actor: Any, **filters: Any) -> Iterator[list[Any]]:
    """Rows of the register in scope: each system, then its assets; then assets of no system."""
    systems = registry.systems_for(actor, **filters).order_by("org_path", "name")
    assets = registry.assets_for(actor, org_id=filters.get("org_id")).filter(registered=True)
    by_system: dict[int | None, list[Asset]] = {}
    for asset in assets.order_by("org_path", "kind", "name", "pk"):
        by_system.setdefault(asset.system_id, []).append(asset)
    for system in systems.iterator(chunk_size=2000):
        yield _system_row(system)
        for asset in by_system.pop(system.pk, []):
            yield _asset_row(asset, system.name)
    if not any(v for k, v in filters.items() if k != "org_id" and v not in (None, "")):
        for asset in by_system.get(None, []):
            yield _asset_row(asset, "")


def export_registry(*, actor: Any, **filters: Any) -> bytes:
    """The register in scope as an XLSX file in the import format (phones masked)."""
    return write_xlsx(HEADERS, export_rows(actor, **filters), sheet="信息资产")


def template() -> bytes:
    """An empty register with the import headers and two example rows."""
    rows: list[list[Any]] = [
        ["2141000099", "学校门户网站", 2, "2024-03-01", "41010099001-24001", "2024-03-20", "2023-09-01", "否",
         "张老师", "13800000000", "学校新闻与通知", "对外宣传", "", "", "", "", "", "", "在用", "是"],
        ["2141000099", "学校门户网站", "", "", "", "", "", "", "", "", "", "", "网站/域名", "门户网站",
         "www.example.edu.cn", "", "", "", "在用", "是"],
    ]  # fmt: skip
    return write_xlsx(HEADERS, rows, sheet="信息资产")


__all__ = ["COLUMNS", "HEADERS", "ImportReport", "SystemStatus", "export_registry", "import_registry", "template"]
