"""The security dashboard (安全态势): the figures of one actor's scope, each from one aggregate query.

Every figure is a ``GROUP BY`` (or a filtered ``COUNT``) over an indexed column, never a loop
over rows, so that the page stays fast at province scale (200,000 assets, 1,000,000 findings).
Each figure carries the link of the list it counts, with the matching filter.

At province scope the open-findings aggregate still reads most of a million rows (a few hundred
milliseconds on a small machine), so the page and the API serve ``cached_summary``: the figures of
one scope, kept ``DASHBOARD_TTL`` seconds (the same subtrees give the same numbers, whoever asks)
and shown with their time — as the console's home dashboard does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from edubase.core.scope import scope_for
from edubase.secops import registry
from edubase.secops.models import (
    Asset,
    Finding,
    FindingStatus,
    Incident,
    IncidentGrade,
    IncidentState,
    InformationSystem,
    Severity,
)
from edubase.secops.models import notices as notice_models

VIEW = "secops.view"
API = "/api/v1/secops"
DASHBOARD_TTL = 60

#: open findings: not yet fixed, accepted or dismissed
OPEN_FINDINGS = (FindingStatus.OPEN, FindingStatus.FIXING)
_OPEN_PARAM = ",".join(OPEN_FINDINGS)
#: age buckets of open findings (days since first seen): label, lower bound, upper bound
AGE_BUCKETS: tuple[tuple[str, str, int, int | None], ...] = (
    ("lt7", "7 天以内", 0, 7),
    ("7to30", "7–30 天", 7, 30),
    ("30to90", "30–90 天", 30, 90),
    ("gt90", "90 天以上", 90, None),
)
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


def assets_by_level(actor: Any) -> list[dict[str, Any]]:
    """Registered assets per MLPS level of their system (no system: 未关联系统)."""
    rows = (
        Asset.objects.filter(scope_for(actor, VIEW).q("org_path"), registered=True)
        .values("system__mlps_level")
        .annotate(n=Count("pk"))
        .order_by("system__mlps_level")
    )
    return [
        {
            "level": r["system__mlps_level"],
            "name": f"第{r['system__mlps_level']}级" if r["system__mlps_level"] else "未定级/未关联系统",
            "value": r["n"],
            "url": _link("secops:asset_list", "/assets"),
        }
        for r in rows
    ]


def compliance(actor: Any, *, today: dt.date | None = None) -> dict[str, Any]:
    """Filing and assessment compliance per city (province actor) or county (below), from the registry."""
    level = _region_level(actor)
    rows = registry.compliance_by_region(actor, level=level, today=today)
    for row in rows:
        row["filing_url"] = _link("secops:system_list", "/systems", org=row["org_id"], overdue="filing")
        row["assessment_url"] = _link("secops:system_list", "/systems", org=row["org_id"], overdue="assessment")
    return {"level": level, "label": "地市" if level == "city" else "县区", "rows": rows}


def _age_counts(now: dt.datetime) -> dict[str, Count]:
    """One filtered count per age bucket (a single pass; no per-row CASE to group by)."""
    counts = {}
    for key, _label, lower, upper in AGE_BUCKETS:
        window = Q(first_seen__lte=now - dt.timedelta(days=lower))
        if upper is not None:
            window &= Q(first_seen__gt=now - dt.timedelta(days=upper))
        counts[f"age_{key}"] = Count("pk", filter=window)
    return counts


def findings(actor: Any, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Open findings by severity and by age, from one ``GROUP BY severity`` with filtered counts."""
    now = now or timezone.now()
    rows = (
        Finding.objects.filter(scope_for(actor, VIEW).q("org_path"), status__in=OPEN_FINDINGS)
        .values("severity")
        .annotate(**_age_counts(now))
        .order_by()
    )
    by_severity: dict[str, int] = {s: 0 for s in Severity.values}
    by_age = [0] * len(AGE_BUCKETS)
    for row in rows:  # one row per severity (at most 5)
        counted: dict[str, Any] = dict(row)
        for i, (key, _label, _lower, _upper) in enumerate(AGE_BUCKETS):
            by_age[i] += counted[f"age_{key}"]
            by_severity[counted["severity"]] = by_severity.get(counted["severity"], 0) + counted[f"age_{key}"]
    return {
        "total": sum(by_age),
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
                "value": by_age[i],
                "url": _link("secops:findings_list", "/findings", status=_OPEN_PARAM, age=lower or None),
            }
            for i, (key, label, lower, _upper) in enumerate(AGE_BUCKETS)
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


def summary(actor: Any, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Every figure of the dashboard for the actor's scope."""
    now = now or timezone.now()
    return {
        "as_of": now,
        "systems_by_level": systems_by_level(actor),
        "assets_by_level": assets_by_level(actor),
        "compliance": compliance(actor, today=timezone.localdate(now)),
        "findings": findings(actor, now=now),
        "notices": notices(actor, now=now),
        "incidents": incidents(actor),
    }


def cached_summary(actor: Any) -> dict[str, Any]:
    """``summary`` for the actor's scope, at most ``DASHBOARD_TTL`` seconds old."""
    scope = scope_for(actor, VIEW)
    key = (
        "secops-dashboard:" + hashlib.sha256(("*" if scope.everything else "|".join(scope.paths)).encode()).hexdigest()
    )
    figures: dict[str, Any] | None = cache.get(key)
    if figures is None:
        figures = summary(actor)
        cache.set(key, figures, DASHBOARD_TTL)
    return figures
