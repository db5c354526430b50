"""The security dashboard (安全态势): the figures of one actor's scope, each from one aggregate query.

Every figure is a ``GROUP BY`` (or a filtered ``COUNT``) over an indexed column, never a loop
over rows, so that the page stays fast at province scale (200,000 assets, 1,000,000 findings).
Each figure carries the link of the list it counts, with the matching filter.

The two large aggregates — open findings by severity and age, registered assets by MLPS level —
come from the rollup (``secops.rollup``, refreshed every minute by the worker) for scopes at
county level or above: a province reads a few hundred rows instead of most of a million. A
school's scope, an empty rollup, or one more than five minutes old is counted live, and the
figures say which (``source``, ``note``) and as of when (``as_of``: the rollup's time).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from edubase.core.scope import scope_for
from edubase.secops import registry, rollup
from edubase.secops.models import (
    Asset,
    Finding,
    Incident,
    IncidentGrade,
    IncidentState,
    InformationSystem,
    Severity,
)
from edubase.secops.models import notices as notice_models

VIEW = "secops.view"
API = "/api/v1/secops"
#: open findings: not yet fixed, accepted or dismissed
OPEN_FINDINGS = rollup.OPEN_FINDINGS
_OPEN_PARAM = ",".join(OPEN_FINDINGS)
#: age buckets of open findings (days since first seen): key, label, lower bound, upper bound
AGE_BUCKETS = rollup.AGE_BUCKETS
_NOTICE_DONE = (notice_models.NoticeStatus.CLOSED, notice_models.NoticeStatus.CANCELLED)


def _link(page: str, api_path: str, **query: Any) -> str:
    """The console list page with ``query`` when that page exists, else the API list (JSON)."""
    clean = {k: v for k, v in query.items() if v is not None and v != ""}
    suffix = f"?{urlencode(clean)}" if clean else ""
    try:
        return reverse(page) + suffix
    except NoReverseMatch:
        return f"{API}{api_path}{suffix}"


def _region_level(actor: Any) -> str:
    """Compliance per city for the province (or everything), per county below it."""
    scope = scope_for(actor, VIEW)
    if scope.everything:
        return "city"
    shallowest = min((len(p) for p in scope.paths), default=0) // registry.STEP
    return "city" if shallowest <= 1 else "county"


def systems_by_level(actor: Any) -> list[dict[str, Any]]:
    """Information systems (not decommissioned) per MLPS level, ungraded as level None."""
    rows = (
        InformationSystem.objects.filter(scope_for(actor, VIEW).q("org_path"))
        .exclude(status="decommissioned")
        .values("mlps_level")
        .annotate(n=Count("pk"))
        .order_by("mlps_level")
    )
    return [
        {
            "level": r["mlps_level"],
            "name": f"第{r['mlps_level']}级" if r["mlps_level"] else "未定级",
            "value": r["n"],
            "url": _link("secops:system_list", "/systems", level=r["mlps_level"]),
        }
        for r in rows
    ]


def _level_order(level: int | None) -> int:
    return level if level is not None else 99  # ungraded / no system last, on both databases


def assets_by_level(actor: Any, *, basis: rollup.Basis | None = None) -> list[dict[str, Any]]:
    """Registered assets per MLPS level of their system (no system: 未关联系统)."""
    scope = scope_for(actor, VIEW)
    if basis is not None and basis.source == "rollup":
        counts = rollup.assets_by_level(scope)
    else:
        rows = (
            Asset.objects.filter(scope.q("org_path"), registered=True)
            .values("system__mlps_level")
            .annotate(n=Count("pk"))
            .order_by()
        )
        counts = {r["system__mlps_level"]: r["n"] for r in rows}
    return [
        {
            "level": level,
            "name": f"第{level}级" if level else "未定级/未关联系统",
            "value": counts[level],
            "url": _link("secops:asset_list", "/assets"),
        }
        for level in sorted(counts, key=_level_order)
    ]


def compliance(actor: Any, *, today: dt.date | None = None) -> dict[str, Any]:
    """Filing and assessment compliance per city (province actor) or county (below), from the registry."""
    level = _region_level(actor)
    rows = registry.compliance_by_region(actor, level=level, today=today)
    for row in rows:
        row["filing_url"] = _link("secops:system_list", "/systems", org=row["org_id"], overdue="filing")
        row["assessment_url"] = _link("secops:system_list", "/systems", org=row["org_id"], overdue="assessment")
    return {"level": level, "label": "地市" if level == "city" else "县区", "rows": rows}


def _live_open_findings(scope: Any, now: dt.datetime) -> dict[tuple[str, str], int]:
    """Open findings by (severity, age bucket), from one ``GROUP BY severity`` with filtered counts."""
    rows = (
        Finding.objects.filter(scope.q("org_path"), status__in=OPEN_FINDINGS)
        .values("severity")
        .annotate(**rollup.age_counts(now))
        .order_by()
    )
    counts: dict[tuple[str, str], int] = {}
    for row in rows:  # one row per severity (at most 5)
        counted: dict[str, Any] = dict(row)
        for key, _label, _lower, _upper in AGE_BUCKETS:
            counts[counted["severity"], key] = counted[f"age_{key}"]
    return counts


def findings(actor: Any, *, now: dt.datetime | None = None, basis: rollup.Basis | None = None) -> dict[str, Any]:
    """Open findings by severity and by age: from the rollup when ``basis`` says so, else live."""
    now = now or timezone.now()
    scope = scope_for(actor, VIEW)
    if basis is not None and basis.source == "rollup":
        counts = rollup.open_findings(scope)
    else:
        counts = _live_open_findings(scope, now)
    by_severity: dict[str, int] = {s: 0 for s in Severity.values}
    by_age = {key: 0 for key, _label, _lower, _upper in AGE_BUCKETS}
    for (severity, age), n in counts.items():
        by_severity[severity] = by_severity.get(severity, 0) + n
        by_age[age] = by_age.get(age, 0) + n
    return {
        "total": sum(by_age.values()),
        "by_severity": [
            {
                "key": value,
                "name": str(label),
                "value": by_severity.get(value, 0),
                "url": _link("secops:findings_list", "/findings", severity=value, status=_OPEN_PARAM),
            }
            for value, label in Severity.choices
        ],
        "by_age": [
            {
                "key": key,
                "name": label,
                "value": by_age[key],
                "url": _link("secops:findings_list", "/findings", status=_OPEN_PARAM, age=lower or None),
            }
            for key, label, lower, _upper in AGE_BUCKETS
        ],
        "url": _link("secops:findings_list", "/findings", status=_OPEN_PARAM),
    }


def notices(actor: Any, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Open notices and those past their deadline (or marked overdue by the escalation sweep)."""
    now = now or timezone.now()
    figures = (
        notice_models.Notice.objects.filter(scope_for(actor, VIEW).q("org_path"))
        .exclude(status__in=_NOTICE_DONE)
        .aggregate(
            open=Count("pk"),
            overdue=Count("pk", filter=Q(overdue=True) | Q(deadline__lt=now)),
        )
    )
    return {
        "open": figures["open"],
        "overdue": figures["overdue"],
        "open_url": _link("secops:notice_list", "/notices"),
        "overdue_url": _link("secops:notice_list", "/notices", overdue="1"),
    }


def incidents(actor: Any) -> dict[str, Any]:
    """Open real incidents (drills excluded) by grade, and how many were escalated for a late report."""
    base = Incident.objects.filter(scope_for(actor, VIEW).q("org_path"), is_exercise=False).exclude(
        state=IncidentState.CLOSED
    )
    counts: Mapping[str, int] = {r["grade"]: r["n"] for r in base.values("grade").annotate(n=Count("pk")).order_by()}
    escalated = base.filter(escalated_at__isnull=False).count()
    return {
        "total": sum(counts.values()),
        "escalated": escalated,
        "by_grade": [
            {
                "key": value,
                "name": str(label),
                "value": counts.get(value, 0),
                "url": _link("secops:incident_list", "/incidents", grade=value, open="1", exercise="0"),
            }
            for value, label in IncidentGrade.choices
        ],
        "url": _link("secops:incident_list", "/incidents", open="1", exercise="0"),
        "escalated_url": _link("secops:incident_list", "/incidents", open="1", exercise="0", escalated="1"),
    }


def summary(actor: Any, *, now: dt.datetime | None = None, live: bool = False) -> dict[str, Any]:
    """Every figure of the dashboard for the actor's scope (``live``: count everything now, the
    benchmark's peer).

    ``as_of`` is the time of the oldest figure (the rollup's refresh when it was read), ``source``
    says where the large counts came from (``rollup`` | ``live``) and ``note`` why they are live
    when the rollup should have answered (empty or stale)."""
    now = now or timezone.now()
    basis = rollup.Basis("live", now) if live else rollup.basis(scope_for(actor, VIEW), now)
    return {
        "as_of": basis.as_of,
        "source": basis.source,
        "note": basis.note,
        "systems_by_level": systems_by_level(actor),
        "assets_by_level": assets_by_level(actor, basis=basis),
        "compliance": compliance(actor, today=timezone.localdate(now)),
        "findings": findings(actor, now=now, basis=basis),
        "notices": notices(actor, now=now),
        "incidents": incidents(actor),
    }


def cached_summary(actor: Any) -> dict[str, Any]:
    """``summary`` now: the rollup keeps the large counts cheap, so nothing is cached per scope any more
    (the name stays for the page and the API)."""
    return summary(actor)
