"""Risk scores (风险评分) 0–100 per asset, school, county and city.

The formula (also shown on the risk page, ``FORMULA``), for one school (or directly administered
unit) — each component is capped, the total is their sum (so at most 100):

====================  ==========================================================================  ====
component             points                                                                      cap
====================  ==========================================================================  ====
告警 alerts           Σ weight(level) × 0.5^(age / 7 days) over the alerts of the last 90 days     50
                      that are not false positives (age = now − last seen; weight: 严重 40,
                      高 20, 中 8, 低 3, 提示 1) — half-life 7 days
漏洞 findings         Σ open findings (待处置/整改中) × weight (严重 10, 高危 5, 中危 2, 低危 0.5)     25
通报 notices          5 per notice past its deadline (not closed or cancelled)                     10
等保 MLPS gaps        3 per system (level ≥ 2, in service) whose filing or assessment is overdue   10
                      (a system overdue in both counts twice)
暴露面 exposure       1 per internet-exposed asset or internet-facing system (in service)           5
====================  ==========================================================================  ====

An asset's score uses the same alert and finding components of that asset, plus 5 exposure points
when it is internet-exposed (notices and MLPS gaps belong to the school).

A county's or city's score comes from its schools: ``0.5 × max + 0.5 × mean of the top 10``
(the worst school matters, and so does a region where many schools are in trouble).

Every component is aggregated in SQL: one ``GROUP BY org_path`` per source table (alerts, findings,
notices, systems, assets), the alert decay computed by the database (``POWER(0.5, age / 7)``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Case, Count, F, FloatField, Func, Q, Sum, Value, When
from django.db.models.functions import Greatest, Power
from django.utils import timezone

from edubase.core.scope import scope_for
from edubase.orgs.models import Org, OrgKind
from edubase.secops.models import Asset, Finding, InformationSystem
from edubase.secops.models import notices as notice_models
from edubase.secops.models.assets import SystemStatus
from edubase.secops.models.detection import Alert, AlertStatus

VIEW = "secops.view"

HALF_LIFE_DAYS = 7.0
ALERT_HORIZON_DAYS = 90
ALERT_WEIGHT = {"critical": 40.0, "high": 20.0, "medium": 8.0, "low": 3.0, "informational": 1.0}
FINDING_WEIGHT = {"critical": 10.0, "high": 5.0, "medium": 2.0, "low": 0.5}
NOTICE_POINTS = 5.0
GAP_POINTS = 3.0
EXPOSURE_POINTS = 1.0
ASSET_EXPOSURE_POINTS = 5.0
CAPS = {"alerts": 50.0, "findings": 25.0, "notices": 10.0, "compliance": 10.0, "exposure": 5.0}
LABELS = {
    "alerts": "告警",
    "findings": "未处置漏洞",
    "notices": "超期通报",
    "compliance": "等保合规缺口",
    "exposure": "互联网暴露面",
}
TOP_N = 10
UNIT_KINDS = (OrgKind.SCHOOL, OrgKind.UNIT)
_STEP = Org.steplen

FORMULA: list[tuple[str, str, float]] = [
    (
        "告警",
        "近 90 天非误报告警：Σ 级别权重 × 0.5^(距最近发生天数 / 7)；"
        "权重 严重 40、高 20、中 8、低 3、提示 1（半衰期 7 天）",
        CAPS["alerts"],
    ),
    ("未处置漏洞", "待处置/整改中漏洞：严重 10、高危 5、中危 2、低危 0.5 分/个", CAPS["findings"]),
    ("超期通报", "超过整改期限且未销号的通报：5 分/份", CAPS["notices"]),
    ("等保合规缺口", "二级及以上在用系统备案超期或测评超期：3 分/项", CAPS["compliance"]),
    ("互联网暴露面", "在用的互联网暴露资产、面向互联网的信息系统：1 分/个", CAPS["exposure"]),
]
REGION_RULE = "县区、地市得分 = 0.5 × 辖内学校最高分 + 0.5 × 得分最高的 10 所学校的平均分"
ASSET_RULE = "资产得分 = 该资产的告警分（上限 50）+ 未处置漏洞分（上限 25）+ 互联网暴露 5 分"


class _EpochDays(Func):
    """Days since 1970-01-01 of a timestamp, as a float (PostgreSQL and SQLite)."""

    output_field = FloatField()
    template = "(EXTRACT(EPOCH FROM %(expressions)s) / 86400.0)"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="(julianday(%(expressions)s) - 2440587.5)", **extra)


def _epoch_days(moment: dt.datetime) -> float:
    return moment.timestamp() / 86400.0


def _alert_points(now: dt.datetime) -> Sum:
    """``Σ weight × 0.5^(age/half-life)`` over the rows of a grouped alert query."""
    weight = Case(
        *(When(severity=level, then=Value(w)) for level, w in ALERT_WEIGHT.items()),
        default=Value(0.0),
        output_field=FloatField(),
    )
    age = Greatest(Value(_epoch_days(now)) - _EpochDays(F("last_seen")), Value(0.0), output_field=FloatField())
    decay = Power(Value(0.5), age / Value(HALF_LIFE_DAYS), output_field=FloatField())
    return Sum(weight * decay, output_field=FloatField())


def _alerts(scope_q: Q, now: dt.datetime, key: str) -> QuerySetLike:
    return (
        Alert.objects.filter(scope_q, last_seen__gte=now - dt.timedelta(days=ALERT_HORIZON_DAYS))
        .exclude(status=AlertStatus.FALSE_POSITIVE)
        .values(key)
        .annotate(points=_alert_points(now), n=Count("pk"))
        .order_by()
    )


QuerySetLike = Any


def _finding_counts(scope_q: Q, key: str) -> QuerySetLike:
    return (
        Finding.objects.filter(scope_q, status__in=("open", "fixing"))
        .values(key)
        .annotate(**{s: Count("pk", filter=Q(severity=s)) for s in FINDING_WEIGHT})
        .order_by()
    )


def _finding_points(row: dict[str, Any]) -> tuple[float, str]:
    points = sum(row.get(s, 0) * w for s, w in FINDING_WEIGHT.items())
    labels = {"critical": "严重", "high": "高危", "medium": "中危", "low": "低危"}
    detail = "、".join(f"{labels[s]} {row[s]}" for s in FINDING_WEIGHT if row.get(s)) or "无"
    return points, detail


def _component(key: str, points: float, detail: str) -> dict[str, Any]:
    capped = round(min(points, CAPS[key]), 1)
    return {
        "key": key,
        "label": LABELS[key],
        "points": capped,
        "raw": round(points, 1),
        "cap": CAPS[key],
        "detail": detail,
    }


def _total(components: Iterable[dict[str, Any]]) -> float:
    return round(min(100.0, sum(c["points"] for c in components)), 1)


def _unit_for(path: str, units: dict[str, Org]) -> Org | None:
    """The school/unit whose subtree holds ``path`` (the deepest one)."""
    for end in range(len(path), 0, -_STEP):
        org = units.get(path[:end])
        if org is not None:
            return org
    return None


def school_scores(actor: Any, *, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Scores of every school (and directly administered unit) in the actor's scope, worst first."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    scope = scope_for(actor, VIEW)
    units = {
        o.path: o
        for o in Org.objects.filter(scope.q("path"), kind__in=UNIT_KINDS).only("pk", "path", "name", "code", "kind")
    }
    if not units:
        return []
    raw: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(float))

    def add(path: str, field: str, value: float) -> None:
        unit = _unit_for(path or "", units)
        if unit is not None:
            raw[unit.path][field] += value or 0

    q = scope.q("org_path")
    for row in _alerts(q, now, "org_path"):
        add(row["org_path"], "alert_points", row["points"])
        add(row["org_path"], "alerts", row["n"])
    for row in _finding_counts(q, "org_path"):
        for s in FINDING_WEIGHT:
            add(row["org_path"], s, row[s])
    done = (notice_models.NoticeStatus.CLOSED, notice_models.NoticeStatus.CANCELLED)
    notices = (
        notice_models.Notice.objects.filter(q)
        .exclude(status__in=done)
        .filter(Q(overdue=True) | Q(deadline__lt=now))
        .values("org_path")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in notices:
        add(row["org_path"], "notices", row["n"])
    active = ~Q(status=SystemStatus.DECOMMISSIONED)
    systems = (
        InformationSystem.objects.filter(q)
        .filter(active)
        .values("org_path")
        .annotate(
            filing=Count("pk", filter=Q(mlps_level__gte=2, filing_due__lt=today, filed_on__isnull=True)),
            assessment=Count("pk", filter=Q(mlps_level__gte=2, next_assessment_due__lt=today)),
            facing=Count("pk", filter=Q(internet_facing=True)),
        )
        .order_by()
    )
    for row in systems:
        add(row["org_path"], "filing", row["filing"])
        add(row["org_path"], "assessment", row["assessment"])
        add(row["org_path"], "exposed", row["facing"])
    exposed = (
        Asset.objects.filter(q, internet_exposed=True)
        .filter(active)
        .values("org_path")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in exposed:
        add(row["org_path"], "exposed", row["n"])

    out = []
    for path, unit in units.items():
        r = raw.get(path, {})
        finding_points, finding_detail = _finding_points({s: int(r.get(s, 0)) for s in FINDING_WEIGHT})
        gaps = int(r.get("filing", 0)) + int(r.get("assessment", 0))
        components = [
            _component("alerts", r.get("alert_points", 0.0), f"告警 {int(r.get('alerts', 0))} 条（近 90 天）"),
            _component("findings", finding_points, finding_detail),
            _component("notices", NOTICE_POINTS * r.get("notices", 0), f"超期通报 {int(r.get('notices', 0))} 份"),
            _component(
                "compliance",
                GAP_POINTS * gaps,
                f"备案超期 {int(r.get('filing', 0))}、测评超期 {int(r.get('assessment', 0))}",
            ),
            _component(
                "exposure", EXPOSURE_POINTS * r.get("exposed", 0), f"暴露资产/系统 {int(r.get('exposed', 0))} 个"
            ),
        ]
        out.append(
            {
                "id": unit.pk,
                "path": unit.path,
                "code": unit.code,
                "name": unit.name,
                "kind": unit.kind,
                "score": _total(components),
                "components": components,
            }
        )
    out.sort(key=lambda s: (-s["score"], s["path"]))
    return out


def region_score(scores: list[float]) -> float:
    """``0.5 × max + 0.5 × mean of the top 10`` of the school scores (0 without schools)."""
    if not scores:
        return 0.0
    top = sorted(scores, reverse=True)[:TOP_N]
    return round(0.5 * top[0] + 0.5 * sum(top) / len(top), 1)


def region_scores(
    actor: Any, *, level: str = "city", now: dt.datetime | None = None, schools: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Scores of the counties (``level="county"``) or cities (``"city"``) in scope, from their schools."""
    kind = OrgKind.PREFECTURE if level == "city" else OrgKind.COUNTY
    schools = school_scores(actor, now=now) if schools is None else schools
    scope = scope_for(actor, VIEW)
    regions = {o.path: o for o in Org.objects.filter(kind=kind).only("pk", "path", "name", "code")}
    width = 2 * _STEP if level == "city" else 3 * _STEP
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for school in schools:
        region = regions.get(school["path"][:width])
        if region is not None:
            grouped[region.path].append(school)
    out = []
    for path, members in grouped.items():
        region = regions[path]
        if not (scope.covers(path) or any(scope.covers(m["path"]) for m in members)):
            continue
        values = [m["score"] for m in members]
        sums = {
            key: round(sum(next(c["points"] for c in m["components"] if c["key"] == key) for m in members), 1)
            for key in CAPS
        }
        top = sorted(members, key=lambda m: -m["score"])[:TOP_N]
        out.append(
            {
                "id": region.pk,
                "path": path,
                "code": region.code,
                "name": region.name,
                "kind": region.kind,
                "score": region_score(values),
                "max": max(values),
                "top_mean": round(sum(m["score"] for m in top) / len(top), 1),
                "schools": len(members),
                "at_risk": sum(1 for v in values if v >= 60),
                "worst": {"id": top[0]["id"], "name": top[0]["name"], "score": top[0]["score"]},
                "component_sums": [{"key": k, "label": LABELS[k], "points": v} for k, v in sums.items()],
            }
        )
    out.sort(key=lambda s: (-s["score"], s["path"]))
    return out


def asset_scores(actor: Any, *, now: dt.datetime | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """The ``limit`` riskiest assets in scope (only assets with alerts or open findings are scored)."""
    now = now or timezone.now()
    scope = scope_for(actor, VIEW)
    q = scope.q("org_path") & Q(asset__isnull=False)
    alerts = {r["asset_id"]: r for r in _alerts(q, now, "asset_id")}
    found = {r["asset_id"]: r for r in _finding_counts(q, "asset_id")}
    ids = set(alerts) | set(found)
    assets = Asset.objects.filter(pk__in=ids).filter(scope.q("org_path")).select_related("org")
    out: list[dict[str, Any]] = []
    for asset in assets:
        a = alerts.get(asset.pk, {})
        finding_points, finding_detail = _finding_points(found.get(asset.pk, {}))
        components = [
            _component("alerts", a.get("points") or 0.0, f"告警 {a.get('n', 0)} 条（近 90 天）"),
            _component("findings", finding_points, finding_detail),
            _component(
                "exposure",
                ASSET_EXPOSURE_POINTS if asset.internet_exposed else 0.0,
                "互联网暴露" if asset.internet_exposed else "未暴露",
            ),
        ]
        out.append(
            {
                "id": asset.pk,
                "name": asset.name,
                "ip": asset.ip or asset.domain or "",
                "org_id": asset.org_id,
                "org_name": asset.org.name,
                "path": asset.org_path,
                "score": _total(components),
                "components": components,
            }
        )
    out.sort(key=lambda s: (-float(s["score"]), int(s["id"])))
    return out[:limit]


def formula() -> dict[str, Any]:
    """The documented formula, as shown on every score page and returned by the API."""
    return {
        "components": [{"label": label, "rule": rule, "cap": cap} for label, rule, cap in FORMULA],
        "total": "各项得分（按上限截断）之和，满分 100",
        "region": REGION_RULE,
        "asset": ASSET_RULE,
        "half_life_days": HALF_LIFE_DAYS,
    }


def summary(actor: Any, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Schools, counties and cities in scope, with the formula (one computation of the school scores)."""
    schools = school_scores(actor, now=now)
    return {
        "schools": schools,
        "counties": region_scores(actor, level="county", now=now, schools=schools),
        "cities": region_scores(actor, level="city", now=now, schools=schools),
        "formula": formula(),
    }


# --- situational awareness (态势) --------------------------------------------------------------

SITUATION_HOURS = 24
EPS_MINUTES = 10
EPS_BUCKET_S = 10


def _store_prefixes(actor: Any) -> tuple[str, ...] | None:
    scope = scope_for(actor, VIEW)
    return None if scope.everything else scope.paths


DIRECT_UNITS = "~direct"  # the heat grid's row for units directly under the province (厅直属、委管高校)


_INTERNAL = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)


def _public(value: Any) -> bool:
    """Not a campus-internal address (RFC 1918, carrier-grade NAT, unique local, loopback, link-local)."""
    try:
        address = ipaddress.ip_address(str(value))
    except ValueError:
        return False
    if address.is_loopback or address.is_link_local:
        return False
    return not any(address.version == net.version and address in net for net in _INTERNAL)


def _store_figures(actor: Any, now: dt.datetime) -> dict[str, Any]:
    """Events per second and top sources from the event store (empty, with a note, when it is unreachable)."""
    prefixes = _store_prefixes(actor)
    empty: dict[str, Any] = {"eps": [], "eps_now": 0.0, "top_ips": [], "top_countries": [], "store": "unavailable"}
    if prefixes == ():
        return {**empty, "store": "ok"}
    try:
        from edubase.secops.logs.store import get_store

        store = get_store()
        since = now - dt.timedelta(minutes=EPS_MINUTES)
        timeline = store.timeline(EPS_BUCKET_S, since=since, until=now, org_path_prefix=prefixes)
        day = now - dt.timedelta(hours=SITUATION_HOURS)
        # attack sources: public addresses (a campus's own hosts are not "sources of attacks")
        top_ips = [
            (ip, n)
            for ip, n in store.top("source.ip", 50, since=day, org_path_prefix=prefixes, until=now)
            if _public(ip)
        ][:10]
        countries = store.top("source.geo.country_iso_code", 10, since=day, org_path_prefix=prefixes, until=now)
    except Exception:
        import logging

        logging.getLogger(__name__).warning("event store unavailable for the dashboard", exc_info=True)
        return empty
    rates = [round(n / EPS_BUCKET_S, 2) for _t, n in timeline]
    eps = [{"t": t.isoformat(), "v": v} for (t, _n), v in zip(timeline, rates, strict=True)]
    recent = rates[-7:-1] or [0.0]
    return {
        "eps": eps,
        "eps_now": round(sum(recent) / len(recent), 2),
        "top_ips": [{"name": str(v), "value": n} for v, n in top_ips],
        "top_countries": [{"name": str(v), "value": n} for v, n in countries],
        "store": "ok",
    }


def situation(actor: Any, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Every figure of the situational dashboards and the big screen, for the actor's scope."""
    from django.db.models.functions import Substr, TruncHour

    from edubase.secops.logs.alerts import LEVEL_ORDER

    now = now or timezone.now()
    scope = scope_for(actor, VIEW)
    day = now - dt.timedelta(hours=SITUATION_HOURS)
    recent = Alert.objects.filter(scope.q("org_path"), last_seen__gte=day)
    levels = [str(v) for v in LEVEL_ORDER]
    level_names = {"critical": "严重", "high": "高", "medium": "中", "low": "低", "informational": "提示"}
    # alerts over time by severity (hourly)
    start = now.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=SITUATION_HOURS - 1)
    hours = [start + dt.timedelta(hours=i) for i in range(SITUATION_HOURS)]
    per_hour: dict[tuple[str, str], int] = {}
    rows = (
        recent.annotate(hour=TruncHour("last_seen", tzinfo=dt.UTC)).values("hour", "severity").annotate(n=Count("pk"))
    )
    for row in rows.order_by():
        hour = row["hour"]
        if hour is not None:
            per_hour[(_aware_utc(hour).isoformat(), row["severity"])] = row["n"]
    over_time = {
        "hours": [timezone.localtime(h).strftime("%H:00") for h in hours],
        "series": [
            {"key": lv, "name": level_names[lv], "data": [per_hour.get((h.isoformat(), lv), 0) for h in hours]}
            for lv in levels
        ],
    }
    # top attacked schools and systems
    schools = list(
        recent.exclude(org__isnull=True).values("org_id", "org__name").annotate(n=Count("pk")).order_by("-n")[:10]
    )
    systems = list(
        recent.exclude(asset__isnull=True)
        .values("asset_id", "asset__name", "asset__org__name")
        .annotate(n=Count("pk"))
        .order_by("-n")[:10]
    )
    # the heat grid: prefecture-level units × severity
    cities = list(
        Org.objects.filter(kind=OrgKind.PREFECTURE)
        .filter(Q(scope.q("path")) | Q(path__in=[p[: 2 * _STEP] for p in scope.paths]))
        .order_by("code")
        .values("pk", "path", "name")
    )
    if not scope.everything:
        cities = [c for c in cities if any(c["path"].startswith(p) or p.startswith(c["path"]) for p in scope.paths)]
    grid_rows = (
        recent.annotate(city=Substr("org_path", 1, 2 * _STEP)).values("city", "severity").annotate(n=Count("pk"))
    )
    grid: dict[tuple[str, str], int] = {}
    city_paths = {c["path"] for c in cities}
    direct = False
    for r in grid_rows.order_by():
        key = r["city"] if r["city"] in city_paths else DIRECT_UNITS  # units under the province itself
        direct = direct or key == DIRECT_UNITS
        grid[(key, r["severity"])] = grid.get((key, r["severity"]), 0) + r["n"]
    if direct:
        cities = [*cities, {"pk": None, "path": DIRECT_UNITS, "name": "省直属单位"}]
    heat = [[x, y, grid.get((city["path"], lv), 0)] for y, city in enumerate(cities) for x, lv in enumerate(levels)]
    totals = recent.aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(status__in=("new", "triaging", "confirmed"))),
        critical=Count("pk", filter=Q(severity__in=("critical", "high"))),
    )
    risks = summary(actor, now=now)
    return {
        "as_of": now.isoformat(),
        "totals": totals,
        "alerts_over_time": over_time,
        "top_schools": [{"id": r["org_id"], "name": r["org__name"], "value": r["n"]} for r in schools],
        "top_systems": [
            {"id": r["asset_id"], "name": f"{r['asset__name']}（{r['asset__org__name']}）", "value": r["n"]}
            for r in systems
        ],
        "heat": {
            "cities": [c["name"] for c in cities],
            "levels": [level_names[lv] for lv in levels],
            "data": heat,
        },
        "risk_schools": [{"id": s["id"], "name": s["name"], "score": s["score"]} for s in risks["schools"][:10]],
        "risk_cities": [{"id": s["id"], "name": s["name"], "score": s["score"]} for s in risks["cities"][:18]],
        **_store_figures(actor, now),
    }


def _aware_utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
