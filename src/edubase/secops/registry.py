"""The information-asset registry: writes (services) and scoped reads (selectors) of systems,
assets and MLPS assessments, and the MLPS (等保 2.0) date rules.

MLPS rules kept here (GB/T 22239-2019 and the filing practice of the public-security organs):

- a system is graded at level 1–5; anything else is refused;
- level ≥ 2 must be filed (备案) within 30 days of grading or going live, whichever is later:
  ``filing_due = max(graded_on, went_live_on) + 30 days``; overdue while not filed after it;
- assessments (等级测评): level 3 yearly, levels 4 and 5 every six months, counted from the
  last assessment (before the first one, from the grading date); levels 1–2 have none.

The computed dates (``filing_due``, ``next_assessment_due``) are stored on the system so that
lists and the dashboard filter them from an index; every write path recomputes them.

Every change is written twice: a ``RegistryChange`` row (``{field: [before, after]}``, the
object's history page) and an audit event. Phones are encrypted; history and audit hold
only their masked form.
"""

from __future__ import annotations

import calendar
import datetime as dt
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from edubase.core import audit
from edubase.core.errors import NotFound, PermissionDenied, ValidationFailed
from edubase.core.scope import require, scope_for, subtree_q
from edubase.orgs.models import Org
from edubase.secops.models import (
    Assessment,
    AssessmentConclusion,
    Asset,
    AssetKind,
    InformationSystem,
    RegistryChange,
    SystemStatus,
)

VIEW = "secops.view"
CHANGE = "secops.change"

#: days allowed between grading / going live and filing (level ≥ 2)
FILING_DAYS = 30
#: months between assessments, by level (levels 1–2: no periodic assessment)
ASSESSMENT_MONTHS = {3: 12, 4: 6, 5: 6}
#: org path step of the tree (treebeard ``steplen``): province 4, prefecture 8, county 12
STEP = Org.steplen


# --- value parsing (shared by the API, the console and the spreadsheet import) ---------------


class FieldError(ValueError):
    """A single field value was refused; the message is the Chinese reason."""


_DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]00:00(?::00)?)?$")
_LEVEL_WORDS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
_TRUE = {"是", "y", "yes", "true", "1", "√", "有"}
_FALSE = {"否", "n", "no", "false", "0", "×", "无", ""}
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(?:-\d{1,6})?$")
_MASKED = re.compile(r"^[\d-]*\*+[\d-]*$")


def parse_date(value: Any) -> dt.date | None:
    """``2024-03-01`` (also ``/``, ``.``, ``年月日``, an Excel date) → date; blank → None."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    match = _DATE_RE.match(text)
    if not match:
        raise FieldError(f"日期格式应为 YYYY-MM-DD（当前为“{text}”）")
    year, month, day = (int(g) for g in match.groups())
    try:
        parsed = dt.date(year, month, day)
    except ValueError as exc:
        raise FieldError(f"不存在的日期“{text}”") from exc
    if not 1990 <= year <= 2100:
        raise FieldError(f"日期“{text}”超出合理范围（1990–2100 年）")
    return parsed


def parse_level(value: Any) -> int | None:
    """MLPS level 1–5 from ``3``, ``3级``, ``三级``, ``第三级``; blank → None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise FieldError("等保级别应为 1–5 级")
    if isinstance(value, int):
        level = value
    else:
        text = str(value).strip().removeprefix("第").removesuffix("级")
        level = _LEVEL_WORDS.get(text, 0) or (int(text) if text.isdigit() else 0)
    if not 1 <= level <= 5:
        raise FieldError(f"等保级别应为 1–5 级（当前为“{value}”）")
    return level


def parse_bool(value: Any) -> bool:
    """是/否, Y/N, true/false, 1/0; blank → False."""
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise FieldError(f"应填“是”或“否”（当前为“{value}”）")


def _choice(value: Any, choices: Any, what: str, aliases: Mapping[str, str]) -> str:
    text = "" if value is None else str(value).strip()
    for code, label in choices.choices:
        if text in (code, str(label)):
            return str(code)
    if text in aliases:
        return aliases[text]
    labels = "、".join(str(label) for _, label in choices.choices)
    raise FieldError(f"无法识别的{what}“{text}”（可填：{labels}）")


_STATUS_ALIASES = {"规划": "planned", "建设中": "planned", "上线": "online", "运行": "online", "下线": "decommissioned"}
_KIND_ALIASES = {
    "网站": "domain",
    "域名": "domain",
    "IP地址": "ip",
    "IP": "ip",
    "IP地址段": "ip_range",
    "IP段": "ip_range",
    "网段": "ip_range",
    "主机": "server",
    "云主机": "cloud",
    "应用系统": "application",
}


def parse_status(value: Any) -> str:
    return _choice(value, SystemStatus, "状态", _STATUS_ALIASES)


def parse_kind(value: Any) -> str:
    return _choice(value, AssetKind, "资产类型", _KIND_ALIASES)


def parse_conclusion(value: Any) -> str:
    return _choice(value, AssessmentConclusion, "测评结论", {})


def clean_domain(value: Any) -> str:
    """A host name (a URL is cut to its host); lower case, IDN to punycode; blank → ''."""
    text = "" if value is None else str(value).strip().lower()
    if not text:
        return ""
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text).split("/", 1)[0].split(":", 1)[0].rstrip(".")
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise FieldError(f"“{text}”不是有效的域名") from exc
    labels = ascii_host.split(".")
    if (
        len(ascii_host) > 253
        or len(labels) < 2
        or not all(_DOMAIN_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise FieldError(f"“{text}”不是有效的域名")
    return ascii_host


def clean_ip(value: Any) -> str | None:
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    try:
        return str(ipaddress.ip_address(text))
    except ValueError as exc:
        raise FieldError(f"“{text}”不是有效的 IP 地址") from exc


def clean_ip_range(value: Any) -> str:
    """``10.1.0.0/16`` or ``10.1.0.1-10.1.0.99``; blank → ''."""
    text = "" if value is None else str(value).strip().replace(" ", "")
    if not text:
        return ""
    try:
        if "-" in text:
            first, last = (ipaddress.ip_address(part) for part in text.split("-", 1))
            if first.version != last.version or int(first) > int(last):
                raise ValueError(text)
            return f"{first}-{last}"
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError as exc:
        raise FieldError(f"“{text}”不是有效的 IP 地址段（如 10.1.0.0/16 或 10.1.0.1-10.1.0.99）") from exc


def clean_phone(value: Any) -> str | None:
    """A mainland mobile (11 digits) or landline (0371-12345678); blank → None."""
    text = "" if value is None else re.sub(r"[\s()（）]", "", str(value))
    if not text:
        return None
    if _MOBILE.match(text) or _LANDLINE.match(text):
        return text
    raise FieldError(f"联系电话应为 11 位手机号或带区号的固定电话（当前为“{value}”）")


def mask_phone(phone: str | None) -> str:
    """``13812341234`` → ``138****1234``; ``0371-12345678`` → ``0371****5678``."""
    if not phone:
        return ""
    if len(phone) < 8:
        return "*" * len(phone)
    return phone[: 4 if phone.startswith("0") else 3] + "****" + phone[-4:]


def is_masked(value: Any) -> bool:
    return bool(value) and bool(_MASKED.match(str(value).strip()))


def _text(limit: int, what: str) -> Callable[[Any], str]:
    def clean(value: Any) -> str:
        text = "" if value is None else " ".join(str(value).split())
        if len(text) > limit:
            raise FieldError(f"{what}不能超过 {limit} 个字")
        return text

    return clean


def _long_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _required_text(limit: int, what: str) -> Callable[[Any], str]:
    inner = _text(limit, what)

    def clean(value: Any) -> str:
        text = inner(value)
        if not text:
            raise FieldError(f"{what}不能为空")
        return text

    return clean


#: field → (Chinese label, parser) of a system
SYSTEM_FIELDS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "name": ("系统名称", _required_text(200, "系统名称")),
    "description": ("用途说明", _long_text),
    "status": ("状态", parse_status),
    "internet_facing": ("互联网暴露", parse_bool),
    "responsible_name": ("责任人", _text(50, "责任人")),
    "responsible_phone": ("联系电话", clean_phone),
    "data_held": ("承载数据", _long_text),
    "went_live_on": ("上线日期", parse_date),
    "mlps_level": ("等保级别", parse_level),
    "graded_on": ("定级日期", parse_date),
    "filing_number": ("备案编号", _text(50, "备案编号")),
    "filed_on": ("备案日期", parse_date),
    "cii": ("关键信息基础设施", parse_bool),
}

#: field → (Chinese label, parser) of an asset (``system`` is resolved separately)
ASSET_FIELDS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "kind": ("资产类型", parse_kind),
    "name": ("资产名称", _text(200, "资产名称")),
    "domain": ("域名", clean_domain),
    "ip": ("IP地址", clean_ip),
    "ip_range": ("IP地址段", clean_ip_range),
    "detail": ("型号/版本/位置", _text(200, "型号/版本/位置")),
    "status": ("状态", parse_status),
    "internet_exposed": ("互联网暴露", parse_bool),
}


def clean_fields(
    spec: Mapping[str, tuple[str, Callable[[Any], Any]]], data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse every given field; returns (clean values, {field: Chinese reason})."""
    clean: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, value in data.items():
        if name not in spec:
            problems[name] = f"无法识别的字段“{name}”"
            continue
        _label, parser = spec[name]
        try:
            clean[name] = parser(value)
        except FieldError as exc:
            problems[name] = str(exc)
    return clean, problems


def _refuse(problems: Mapping[str, str], spec: Mapping[str, tuple[str, Any]]) -> None:
    if problems:
        details = [{"field": f, "column": spec[f][0] if f in spec else f, "reason": r} for f, r in problems.items()]
        first = next(iter(problems.values()))
        raise ValidationFailed(f"输入数据校验未通过：{first}", details=details)


# --- MLPS date rules -------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months, clamped to the month's end (2024-02-29 + 12 → 2025-02-28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def filing_due(*, level: int | None, graded_on: dt.date | None, went_live_on: dt.date | None) -> dt.date | None:
    """When a system must be filed: level ≥ 2, 30 days after grading or going live (the later)."""
    if level is None or level < 2:
        return None
    dates = [d for d in (graded_on, went_live_on) if d is not None]
    return max(dates) + dt.timedelta(days=FILING_DAYS) if dates else None


def next_assessment_due(
    *, level: int | None, last_assessed_on: dt.date | None, graded_on: dt.date | None
) -> dt.date | None:
    """Level 3: a year after the last assessment; 4–5: six months; before any, from grading."""
    months = ASSESSMENT_MONTHS.get(level or 0)
    base = last_assessed_on or graded_on
    if months is None or base is None:
        return None
    return add_months(base, months)


def _recompute(system: InformationSystem) -> None:
    system.filing_due = filing_due(
        level=system.mlps_level, graded_on=system.graded_on, went_live_on=system.went_live_on
    )
    system.next_assessment_due = next_assessment_due(
        level=system.mlps_level, last_assessed_on=system.last_assessed_on, graded_on=system.graded_on
    )


def filing_overdue(system: InformationSystem, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return system.filed_on is None and system.filing_due is not None and system.filing_due < today


def assessment_overdue(system: InformationSystem, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return system.next_assessment_due is not None and system.next_assessment_due < today


def _active() -> Q:
    return ~Q(status=SystemStatus.DECOMMISSIONED)


def _filing_overdue_q(today: dt.date) -> Q:
    return Q(filing_due__lt=today, filed_on__isnull=True) & _active()


def _assessment_overdue_q(today: dt.date) -> Q:
    return Q(next_assessment_due__lt=today) & _active()


# --- selectors -------------------------------------------------------------------------------


def _org_in_scope(actor: Any, org_id: int | None, permission: str = VIEW) -> Org | None:
    if org_id is None:
        return None
    org = Org.objects.filter(pk=org_id).first()
    if org is None or not scope_for(actor, permission).covers(org.path):
        raise NotFound("单位不存在或不在您的管辖范围内")
    return org


def org_for(actor: Any, *, pk: int) -> Org:
    """An org in the actor's secops.view scope (where a new system or asset may be registered)."""
    org = _org_in_scope(actor, pk)
    assert org is not None
    return org


def org_by_code(actor: Any, *, code: str) -> Org:
    """The org with ``code`` (学校标识码 or 区划代码) where the actor may change the registry."""
    if not code:
        raise ValidationFailed(
            "请填写所属单位代码（学校标识码或行政区划代码）", details=[{"field": "org_code", "reason": "必填"}]
        )
    org = Org.objects.filter(code=code).first()
    if org is None or not scope_for(actor, CHANGE).covers(org.path):
        raise ValidationFailed(
            f"单位代码“{code}”不存在或不在您的管辖范围内",
            details=[{"field": "org_code", "reason": "不存在或不在管辖范围内"}],
        )
    return org


def systems_for(
    actor: Any,
    *,
    org_id: int | None = None,
    level: int | None = None,
    status: str | None = None,
    overdue: str | None = None,
    cii: bool | None = None,
    q: str | None = None,
    today: dt.date | None = None,
) -> QuerySet[InformationSystem]:
    """Systems in the actor's secops.view scope; ``overdue``: filing | assessment | any."""
    today = today or timezone.localdate()
    systems = InformationSystem.objects.filter(scope_for(actor, VIEW).q("org_path")).select_related("org")
    org = _org_in_scope(actor, org_id)
    if org is not None:
        systems = systems.filter(subtree_q(org.path, "org_path"))
    if level is not None:
        systems = systems.filter(mlps_level=level)
    if status:
        systems = systems.filter(status=status)
    if cii is not None:
        systems = systems.filter(cii=cii)
    if overdue == "filing":
        systems = systems.filter(_filing_overdue_q(today))
    elif overdue == "assessment":
        systems = systems.filter(_assessment_overdue_q(today))
    elif overdue == "any":
        systems = systems.filter(_filing_overdue_q(today) | _assessment_overdue_q(today))
    elif overdue:
        raise ValidationFailed(f"无法识别的超期类型“{overdue}”（可填 filing、assessment、any）")
    if q:
        systems = systems.filter(Q(name__icontains=q) | Q(filing_number__icontains=q))
    return systems


def assets_for(
    actor: Any,
    *,
    org_id: int | None = None,
    kind: str | None = None,
    status: str | None = None,
    system_id: int | None = None,
    registered: bool | None = None,
    q: str | None = None,
) -> QuerySet[Asset]:
    """Assets in the actor's secops.view scope."""
    assets = Asset.objects.filter(scope_for(actor, VIEW).q("org_path")).select_related("org", "system")
    org = _org_in_scope(actor, org_id)
    if org is not None:
        assets = assets.filter(subtree_q(org.path, "org_path"))
    if kind:
        assets = assets.filter(kind=kind)
    if status:
        assets = assets.filter(status=status)
    if system_id is not None:
        assets = assets.filter(system_id=system_id)
    if registered is not None:
        assets = assets.filter(registered=registered)
    if q:
        text = q.strip()
        try:
            # an address is looked up exactly (indexed), not as text inside names and domains
            assets = assets.filter(ip=str(ipaddress.ip_address(text)))
        except ValueError:
            assets = assets.filter(Q(name__icontains=text) | Q(domain__icontains=text.lower()))
    return assets


def get_system(actor: Any, *, pk: int) -> InformationSystem:
    system = systems_for(actor).filter(pk=pk).first()
    if system is None:
        raise NotFound("信息系统不存在或不在您的管辖范围内")
    return system


def get_asset(actor: Any, *, pk: int) -> Asset:
    asset = assets_for(actor).filter(pk=pk).first()
    if asset is None:
        raise NotFound("资产不存在或不在您的管辖范围内")
    return asset


def assessments_of(actor: Any, *, system: InformationSystem) -> QuerySet[Assessment]:
    return Assessment.objects.filter(system=get_system(actor, pk=system.pk))


def history_of(actor: Any, *, target: InformationSystem | Asset) -> QuerySet[RegistryChange]:
    """The change history of a system or an asset the actor may see."""
    kind = "system" if isinstance(target, InformationSystem) else "asset"
    (get_system if kind == "system" else get_asset)(actor, pk=target.pk)
    return RegistryChange.objects.filter(target_type=kind, target_id=target.pk).select_related("actor")


def zombies(actor: Any) -> QuerySet[Asset]:
    """Assets to follow up (僵尸/双非): seen but never registered, or decommissioned (itself or its
    system) yet seen after that."""
    seen_after_own = Q(status=SystemStatus.DECOMMISSIONED, last_seen_at__gt=F("decommissioned_at"))
    seen_after_system = Q(system__status=SystemStatus.DECOMMISSIONED, last_seen_at__gt=F("system__decommissioned_at"))
    return (
        Asset.objects.filter(scope_for(actor, VIEW).q("org_path"))
        .filter(Q(registered=False) | seen_after_own | seen_after_system)
        .select_related("org", "system")
    )


def zombie_systems(actor: Any) -> QuerySet[InformationSystem]:
    """Decommissioned systems seen after their decommission date."""
    return InformationSystem.objects.filter(
        scope_for(actor, VIEW).q("org_path"),
        status=SystemStatus.DECOMMISSIONED,
        last_seen_at__gt=F("decommissioned_at"),
    ).select_related("org")


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def compliance_by_region(actor: Any, level: str = "city", today: dt.date | None = None) -> list[dict[str, Any]]:
    """Filing and assessment compliance of level ≥ 2 systems (not decommissioned) in scope,
    per prefecture (``level="city"``) or county (``"county"``), aggregated in SQL.

    Each row: ``path``, ``org_id``, ``code``, ``name``, ``systems`` (level ≥ 2), ``filed``,
    ``filing_overdue``, ``filing_rate`` (filed / systems), ``assessment_due`` (systems with an
    assessment cycle, levels 3–5), ``assessment_overdue``, ``assessment_rate`` (on time / due);
    a rate is None when its denominator is 0. Sorted by path.
    """
    if level not in ("city", "county"):
        raise ValidationFailed(f"无法识别的统计层级“{level}”（可填 city 或 county）")
    today = today or timezone.localdate()
    width = 2 * STEP if level == "city" else 3 * STEP
    rows = (
        InformationSystem.objects.filter(scope_for(actor, VIEW).q("org_path"), mlps_level__gte=2)
        .filter(_active())
        .annotate(region=Substr("org_path", 1, width))
        .values("region")
        .annotate(
            systems=Count("pk"),
            filed=Count("pk", filter=Q(filed_on__isnull=False)),
            filing_overdue=Count("pk", filter=Q(filing_due__lt=today, filed_on__isnull=True)),
            assessment_due=Count("pk", filter=Q(next_assessment_due__isnull=False)),
            assessment_overdue=Count("pk", filter=Q(next_assessment_due__lt=today)),
        )
        .order_by("region")
    )
    result = list(rows)
    orgs = {o.path: o for o in Org.objects.filter(path__in=[r["region"] for r in result])}
    out = []
    for row in result:
        org = orgs.get(row["region"])
        due = row["assessment_due"]
        out.append(
            {
                "path": row["region"],
                "org_id": org.pk if org else None,
                "code": org.code if org else "",
                "name": org.name if org else "",
                "systems": row["systems"],
                "filed": row["filed"],
                "filing_overdue": row["filing_overdue"],
                "filing_rate": _rate(row["filed"], row["systems"]),
                "assessment_due": due,
                "assessment_overdue": row["assessment_overdue"],
                "assessment_rate": _rate(due - row["assessment_overdue"], due),
            }
        )
    return out


# --- services --------------------------------------------------------------------------------


def _plain(field: str, value: Any) -> Any:
    if field == "responsible_phone":
        return mask_phone(value) or None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _record(
    actor: Any, target: InformationSystem | Asset, action: str, changes: Mapping[str, Sequence[Any]]
) -> RegistryChange:
    kind = "system" if isinstance(target, InformationSystem) else "asset"
    entry = RegistryChange.objects.create(
        org_path=target.org_path,
        target_type=kind,
        target_id=target.pk,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        changes={f: [_plain(f, b), _plain(f, a)] for f, (b, a) in changes.items()},
    )
    audit.record(
        actor=actor,
        action=f"secops.{kind}.{action}",
        obj=target,
        org=target.org,
        before={f: _plain(f, b) for f, (b, _a) in changes.items()} if action != "create" else None,
        after={f: _plain(f, a) for f, (_b, a) in changes.items()},
    )
    return entry


def _check_org(actor: Any, org: Org) -> None:
    require(actor, CHANGE, path=org.path)


def _system_rules(values: Mapping[str, Any]) -> dict[str, str]:
    """Cross-field rules of a system (``values``: the full state after the change)."""
    problems: dict[str, str] = {}
    if bool(values.get("filing_number")) != bool(values.get("filed_on")):
        field = "filed_on" if values.get("filing_number") else "filing_number"
        problems[field] = "备案编号与备案日期应同时填写"
    if values.get("filed_on") and not values.get("mlps_level"):
        problems["mlps_level"] = "已备案的系统应填写等保级别"
    graded, filed = values.get("graded_on"), values.get("filed_on")
    if graded and filed and filed < graded:
        problems["filed_on"] = "备案日期不能早于定级日期"
    if values.get("graded_on") and not values.get("mlps_level"):
        problems["mlps_level"] = "已定级的系统应填写等保级别"
    return problems


_SYSTEM_STATE = [f for f in SYSTEM_FIELDS if f != "responsible_phone"]


def _system_state(system: InformationSystem) -> dict[str, Any]:
    return {f: getattr(system, f) for f in _SYSTEM_STATE}


def _name_clash(org: Org, name: str, exclude: int | None = None) -> bool:
    others = InformationSystem.objects.filter(org=org, name=name)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    return others.exists()


def _apply_status(obj: InformationSystem | Asset, status: str, at: dt.datetime | None = None) -> None:
    if status == SystemStatus.DECOMMISSIONED and obj.status != SystemStatus.DECOMMISSIONED:
        obj.decommissioned_at = at or timezone.now()
    elif status != SystemStatus.DECOMMISSIONED:
        obj.decommissioned_at = None
    obj.status = status


def _set_phone(system: InformationSystem, phone: str | None) -> None:
    system.responsible_phone = phone
    system.responsible_phone_masked = mask_phone(phone)


def create_system(*, actor: Any, org: Org, data: Mapping[str, Any], action: str = "create") -> InformationSystem:
    """Register an information system of ``org`` (secops.change there)."""
    _check_org(actor, org)
    clean, problems = clean_fields(SYSTEM_FIELDS, data)
    if "name" not in data:
        problems["name"] = "系统名称不能为空"
    problems.update({k: v for k, v in _system_rules(clean).items() if k not in problems})
    if not problems and _name_clash(org, clean["name"]):
        problems["name"] = f"本单位已有名为“{clean['name']}”的信息系统"
    _refuse(problems, SYSTEM_FIELDS)
    phone = clean.pop("responsible_phone", None)
    status = clean.pop("status", SystemStatus.ONLINE)
    with transaction.atomic():
        system = InformationSystem(org=org, org_path=org.path, **clean)
        _apply_status(system, status)
        _recompute(system)
        system.save()
        if phone:
            _set_phone(system, phone)  # the encrypted field binds to the primary key: set after the insert
            system.save(update_fields=["responsible_phone", "responsible_phone_masked"])
        state = _system_state(system) | {"responsible_phone": phone}
        _record(actor, system, action, {f: [None, v] for f, v in state.items() if v not in (None, "", False)})
    return system


def update_system(
    *, actor: Any, system: InformationSystem, data: Mapping[str, Any], action: str = "update"
) -> InformationSystem:
    """Change the given fields of a system (all or none); records what changed."""
    _check_org(actor, system.org)
    clean, problems = clean_fields(SYSTEM_FIELDS, data)
    merged = _system_state(system) | clean
    problems.update({k: v for k, v in _system_rules(merged).items() if k not in problems})
    if "name" in clean and not problems and _name_clash(system.org, clean["name"], exclude=system.pk):
        problems["name"] = f"本单位已有名为“{clean['name']}”的信息系统"
    _refuse(problems, SYSTEM_FIELDS)
    with transaction.atomic():
        locked = InformationSystem.objects.select_for_update().select_related("org").get(pk=system.pk)
        changes: dict[str, list[Any]] = {}
        for field, value in clean.items():
            before = getattr(locked, field)
            if before == value or (field == "responsible_phone" and (before or None) == value):
                continue
            changes[field] = [before, value]
            if field == "status":
                _apply_status(locked, value)
            elif field == "responsible_phone":
                _set_phone(locked, value)
            else:
                setattr(locked, field, value)
        if changes:
            _recompute(locked)
            locked.save()
            _record(actor, locked, action, changes)
            if changes.get("status", [None, None])[1] == SystemStatus.DECOMMISSIONED:
                _decommission_parts(actor, locked)
    return locked


def _decommission_parts(actor: Any, system: InformationSystem) -> None:
    for asset in Asset.objects.filter(system=system).exclude(status=SystemStatus.DECOMMISSIONED).select_related("org"):
        before = asset.status
        _apply_status(asset, SystemStatus.DECOMMISSIONED, system.decommissioned_at)
        asset.save(update_fields=["status", "decommissioned_at", "updated_at"])
        _record(actor, asset, "update", {"status": [before, asset.status]})


def decommission_system(*, actor: Any, system: InformationSystem) -> InformationSystem:
    """Take a system out of service (已下线) with its parts; seen after this, it is a zombie."""
    return update_system(actor=actor, system=system, data={"status": SystemStatus.DECOMMISSIONED})


_ASSET_STATE = [*ASSET_FIELDS, "system_id"]


def _asset_rules(values: Mapping[str, Any]) -> dict[str, str]:
    problems: dict[str, str] = {}
    kind = values.get("kind")
    if kind == AssetKind.DOMAIN and not values.get("domain"):
        problems["domain"] = "网站/域名类资产应填写域名"
    if kind == AssetKind.IP and not values.get("ip"):
        problems["ip"] = "IP 地址类资产应填写 IP 地址"
    if kind == AssetKind.IP_RANGE and not values.get("ip_range"):
        problems["ip_range"] = "IP 地址段类资产应填写 IP 地址段"
    if not values.get("name") and not (values.get("domain") or values.get("ip") or values.get("ip_range")):
        problems["name"] = "资产名称不能为空"
    return problems


def _asset_clash(org: Org, values: Mapping[str, Any], exclude: int | None = None) -> dict[str, str]:
    problems: dict[str, str] = {}
    others = Asset.objects.filter(org=org)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    if values.get("domain") and others.filter(domain=values["domain"]).exists():
        problems["domain"] = f"本单位已登记域名 {values['domain']}"
    if values.get("ip") and others.filter(ip=values["ip"]).exists():
        problems["ip"] = f"本单位已登记 IP 地址 {values['ip']}"
    return problems


def _system_of(actor: Any, org: Org, system_id: Any) -> InformationSystem | None:
    if system_id in (None, ""):
        return None
    system = InformationSystem.objects.filter(pk=system_id).select_related("org").first()
    if system is None or not scope_for(actor, VIEW).covers(system.org_path):
        raise NotFound("所属信息系统不存在或不在您的管辖范围内")
    if system.org_id != org.pk:
        raise ValidationFailed("资产只能归属本单位的信息系统", details=[{"field": "system_id", "reason": "单位不一致"}])
    return system


def _default_name(values: Mapping[str, Any]) -> str:
    return str(values.get("name") or values.get("domain") or values.get("ip") or values.get("ip_range") or "")


def create_asset(
    *,
    actor: Any,
    org: Org,
    data: Mapping[str, Any],
    system: InformationSystem | None = None,
    action: str = "create",
) -> Asset:
    """Register an asset of ``org`` (optionally a part of one of its systems)."""
    _check_org(actor, org)
    if system is not None and system.org_id != org.pk:
        raise ValidationFailed("资产只能归属本单位的信息系统")
    clean, problems = clean_fields(ASSET_FIELDS, data)
    if "kind" not in clean and "kind" not in problems:
        problems["kind"] = "资产类型不能为空"
    problems.update({k: v for k, v in _asset_rules(clean).items() if k not in problems})
    if not problems:
        problems.update(_asset_clash(org, clean))
    _refuse(problems, ASSET_FIELDS)
    status = clean.pop("status", SystemStatus.ONLINE)
    clean["name"] = _default_name(clean)
    with transaction.atomic():
        asset = Asset(org=org, org_path=org.path, system=system, **clean)
        _apply_status(asset, status)
        asset.save()
        state = {f: getattr(asset, f) for f in _ASSET_STATE}
        _record(actor, asset, action, {f: [None, v] for f, v in state.items() if v not in (None, "", False)})
    return asset


def update_asset(
    *,
    actor: Any,
    asset: Asset,
    data: Mapping[str, Any],
    system: InformationSystem | bool | None = False,
    action: str = "update",
) -> Asset:
    """Change the given fields of an asset; ``system``: a system of its org, None to detach,
    False to leave as is."""
    _check_org(actor, asset.org)
    clean, problems = clean_fields(ASSET_FIELDS, data)
    merged = {f: getattr(asset, f) for f in ASSET_FIELDS} | clean
    problems.update({k: v for k, v in _asset_rules(merged).items() if k not in problems})
    if not problems:
        problems.update(_asset_clash(asset.org, {k: v for k, v in clean.items() if k in ("domain", "ip")}, asset.pk))
    if isinstance(system, InformationSystem) and system.org_id != asset.org_id:
        problems["system_id"] = "资产只能归属本单位的信息系统"
    _refuse(problems, ASSET_FIELDS)
    with transaction.atomic():
        locked = Asset.objects.select_for_update().select_related("org").get(pk=asset.pk)
        changes: dict[str, list[Any]] = {}
        if system is not False:
            new_id = system.pk if isinstance(system, InformationSystem) else None
            if new_id != locked.system_id:
                changes["system_id"] = [locked.system_id, new_id]
                locked.system_id = new_id
        for field, value in clean.items():
            before = getattr(locked, field)
            if before == value:
                continue
            changes[field] = [before, value]
            if field == "status":
                _apply_status(locked, value)
            else:
                setattr(locked, field, value)
        if changes:
            if not locked.registered and action in ("update", "import"):
                changes["registered"] = [False, True]  # maintained by its owner: now registered
                locked.registered = True
            locked.save()
            _record(actor, locked, action, changes)
    return locked


def decommission_asset(*, actor: Any, asset: Asset) -> Asset:
    return update_asset(actor=actor, asset=asset, data={"status": SystemStatus.DECOMMISSIONED})


BULK_FIELDS = {"status", "responsible_name", "responsible_phone", "system_id"}


@dataclass(frozen=True)
class BulkResult:
    changed: int
    unchanged: int


def bulk_edit(
    *,
    actor: Any,
    target: str,
    ids: Iterable[int],
    status: str | None = None,
    responsible_name: str | None = None,
    responsible_phone: str | None = None,
    system_id: int | None = None,
) -> BulkResult:
    """Set status / responsible person (systems) / system (assets) on many objects, all or none."""
    wanted = sorted(set(ids))
    if target not in ("system", "asset"):
        raise ValidationFailed(f"无法识别的对象类型“{target}”（可填 system 或 asset）")
    if not wanted:
        raise ValidationFailed("请至少选择一个对象")
    if len(wanted) > 1000:
        raise ValidationFailed("一次批量修改最多 1000 个对象")
    data: dict[str, Any] = {}
    if status is not None:
        data["status"] = status
    if target == "system":
        if system_id is not None:
            raise ValidationFailed("信息系统不能设置所属信息系统")
        if responsible_name is not None:
            data["responsible_name"] = responsible_name
        if responsible_phone is not None:
            data["responsible_phone"] = responsible_phone
    elif responsible_name is not None or responsible_phone is not None:
        raise ValidationFailed("资产没有责任人字段，请在所属信息系统上修改")
    if not data and system_id is None:
        raise ValidationFailed("请至少指定一项要修改的内容")
    spec = SYSTEM_FIELDS if target == "system" else ASSET_FIELDS
    _clean, problems = clean_fields(spec, data)
    _refuse(problems, spec)
    found: list[Any] = list(
        (systems_for(actor) if target == "system" else assets_for(actor)).filter(pk__in=wanted).order_by("pk")
    )
    missing = sorted(set(wanted) - {o.pk for o in found})
    if missing:
        raise NotFound(f"以下对象不存在或不在您的管辖范围内：{'、'.join(map(str, missing))}", details=missing)
    change_scope = scope_for(actor, CHANGE)
    refused = [o.pk for o in found if not change_scope.covers(o.org_path)]
    if refused:
        raise PermissionDenied(f"您无权修改以下对象：{'、'.join(map(str, refused))}", details=refused)
    system = None
    if system_id is not None:
        system = InformationSystem.objects.filter(pk=system_id).first()
        if system is None or not scope_for(actor, VIEW).covers(system.org_path):
            raise NotFound("所属信息系统不存在或不在您的管辖范围内")
        others = [o.pk for o in found if o.org_id != system.org_id]
        if others:
            raise ValidationFailed(f"以下资产与信息系统“{system.name}”不属于同一单位：{'、'.join(map(str, others))}")
    changed = 0
    with transaction.atomic():
        for obj in found:
            if target == "system":
                changed += update_system(actor=actor, system=obj, data=data).updated_at != obj.updated_at
            else:
                moved = system if system_id is not None else False
                changed += update_asset(actor=actor, asset=obj, data=data, system=moved).updated_at != obj.updated_at
    return BulkResult(changed, len(found) - changed)


def add_assessment(
    *,
    actor: Any,
    system: InformationSystem,
    assessed_on: Any,
    conclusion: Any,
    agency: str = "",
    report_number: str = "",
    score: Any = None,
) -> Assessment:
    """Record an MLPS assessment (等级测评); moves the system's next due date."""
    _check_org(actor, system.org)
    problems: dict[str, str] = {}
    day = None
    try:
        day = parse_date(assessed_on)
        if day is None:
            problems["assessed_on"] = "测评日期不能为空"
        elif day > timezone.localdate():
            problems["assessed_on"] = "测评日期不能晚于今天"
    except FieldError as exc:
        problems["assessed_on"] = str(exc)
    try:
        verdict = parse_conclusion(conclusion)
    except FieldError as exc:
        problems["conclusion"] = str(exc)
    value = None
    if score not in (None, ""):
        try:
            value = Decimal(str(score))
            if not Decimal(0) <= value <= Decimal(100):
                raise InvalidOperation
        except InvalidOperation:
            problems["score"] = f"综合得分应为 0–100 之间的数（当前为“{score}”）"
    if not system.mlps_level:
        problems["system"] = "系统尚未定级，不能登记等级测评"
    if len(agency) > 200:
        problems["agency"] = "测评机构不能超过 200 个字"
    if len(report_number) > 80:
        problems["report_number"] = "报告编号不能超过 80 个字"
    labels = {"assessed_on": ("测评日期", None), "conclusion": ("测评结论", None), "score": ("综合得分", None)}
    _refuse(problems, labels)
    assert day is not None
    with transaction.atomic():
        locked = InformationSystem.objects.select_for_update().select_related("org").get(pk=system.pk)
        assessment = Assessment.objects.create(
            system=locked,
            assessed_on=day,
            agency=agency,
            report_number=report_number,
            conclusion=verdict,
            score=value,
        )
        before = (locked.last_assessed_on, locked.next_assessment_due)
        if locked.last_assessed_on is None or day > locked.last_assessed_on:
            locked.last_assessed_on = day
        _recompute(locked)
        locked.save(update_fields=["last_assessed_on", "next_assessment_due", "updated_at"])
        _record(
            actor,
            locked,
            "assess",
            {
                "assessment": [
                    None,
                    f"{day.isoformat()} {assessment.get_conclusion_display()} {report_number}".strip(),
                ],
                "last_assessed_on": [before[0], locked.last_assessed_on],
                "next_assessment_due": [before[1], locked.next_assessment_due],
            },
        )
    return assessment


def note_seen(*, org: Org, host: str, seen_at: dt.datetime | None = None, source: str = "scan") -> Asset:
    """A host of ``org`` was seen (scan, logs): update its asset's last-seen time, or register it
    as an unregistered asset (未登记) for follow-up. For the scanner and log importers."""
    seen_at = seen_at or timezone.now()
    try:
        ip = clean_ip(host)
        domain = ""
    except FieldError:
        ip, domain = None, clean_domain(host)
    match = Q(ip=ip) if ip else Q(domain=domain)
    with transaction.atomic():
        asset = Asset.objects.select_for_update().filter(match, org=org).first()
        if asset is not None:
            if asset.last_seen_at is None or seen_at > asset.last_seen_at:
                asset.last_seen_at = seen_at
                asset.save(update_fields=["last_seen_at"])
            return asset
        asset = Asset.objects.create(
            org=org,
            org_path=org.path,
            kind=AssetKind.IP if ip else AssetKind.DOMAIN,
            name=host,
            ip=ip,
            domain=domain,
            registered=False,
            last_seen_at=seen_at,
        )
        _record("system", asset, "discover", {"name": [None, host], "source": [None, source]})
    return asset
