"""The security rollup (安全态势汇总): the dashboard's large counts, per county-level subtree.

``refresh`` (the ``secops.rollup`` job, every minute) counts open findings by (path prefix,
severity, age bucket) and registered assets by (path prefix, MLPS level of their system), where
the prefix is the first ``PREFIX`` characters of the org path (county level; an org above county
keeps its own shorter path), and replaces the whole table in one transaction.

A scope whose every path is at most ``PREFIX`` long (province, city, county, and the bureaus and
city-run schools at that depth) is a union of whole prefixes, so its figures are the sum of the
rollup rows under it — exactly the live figures as of the refresh. Narrower scopes (a school
below a county), an empty rollup, or one older than ``STALE_AFTER`` are computed live.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from edubase.core.scope import Scope
from edubase.orgs.models import Org
from edubase.secops.models import Asset, Finding, FindingStatus, RollupKind, SecurityRollup, SecurityRollupRun

#: county level: province, city and county steps of the materialised path
PREFIX = 3 * Org.steplen
#: a rollup older than this is not used (the dashboard computes live and says so)
STALE_AFTER = dt.timedelta(minutes=5)
#: open findings: not yet fixed, accepted or dismissed
OPEN_FINDINGS = (FindingStatus.OPEN, FindingStatus.FIXING)
#: age buckets of open findings (days since first seen): key, label, lower bound, upper bound
AGE_BUCKETS: tuple[tuple[str, str, int, int | None], ...] = (
    ("lt7", "7 天以内", 0, 7),
    ("7to30", "7–30 天", 7, 30),
    ("30to90", "30–90 天", 30, 90),
    ("gt90", "90 天以上", 90, None),
)
_RUN_PK = 1
_BATCH = 2000


def age_counts(now: dt.datetime) -> dict[str, Count]:
    """One filtered count per age bucket (a single pass; no per-row CASE to group by)."""
    counts = {}
    for key, _label, lower, upper in AGE_BUCKETS:
        window = Q(first_seen__lte=now - dt.timedelta(days=lower))
        if upper is not None:
            window &= Q(first_seen__gt=now - dt.timedelta(days=upper))
        counts[f"age_{key}"] = Count("pk", filter=window)
    return counts


def _finding_rows(now: dt.datetime) -> list[SecurityRollup]:
    grouped = (
        Finding.objects.filter(status__in=OPEN_FINDINGS)
        .annotate(prefix=Substr("org_path", 1, PREFIX))
        .values("prefix", "severity")
        .annotate(**age_counts(now))
        .order_by()
    )
    rows = []
    for group in grouped:
        counted: dict[str, Any] = dict(group)
        for key, _label, _lower, _upper in AGE_BUCKETS:
            if counted[f"age_{key}"]:
                rows.append(
                    SecurityRollup(
                        kind=RollupKind.FINDINGS,
                        path=counted["prefix"],
                        severity=counted["severity"],
                        age=key,
                        count=counted[f"age_{key}"],
                    )
                )
    return rows


def _asset_rows() -> list[SecurityRollup]:
    grouped = (
        Asset.objects.filter(registered=True)
        .annotate(prefix=Substr("org_path", 1, PREFIX))
        .values("prefix", "system__mlps_level")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        SecurityRollup(kind=RollupKind.ASSETS, path=g["prefix"], level=g["system__mlps_level"], count=g["n"])
        for g in grouped
    ]


def refresh(now: dt.datetime | None = None) -> int:
    """Recount the rollup and replace it in one transaction; returns the number of rows written.

    The counting reads outside the transaction (no lock held while a million rows are read); the
    swap locks the run row first, so two workers refreshing at once write one after the other.
    """
    now = now or timezone.now()
    started = time.perf_counter()
    rows = _finding_rows(now) + _asset_rows()
    with transaction.atomic():
        run = SecurityRollupRun.objects.select_for_update().filter(pk=_RUN_PK).first()
        if run is None:
            run = SecurityRollupRun.objects.create(pk=_RUN_PK, refreshed_at=now)
        SecurityRollup.objects.all().delete()
        SecurityRollup.objects.bulk_create(rows, batch_size=_BATCH)
        run.refreshed_at = now
        run.rows = len(rows)
        run.seconds = time.perf_counter() - started
        run.save()
    return len(rows)


@dataclass(frozen=True)
class Basis:
    """Where the large figures of a dashboard come from, and as of when."""

    source: str  # "rollup" | "live"
    as_of: dt.datetime
    note: str = ""


def covers_scope(scope: Scope) -> bool:
    """Whether the scope is a union of whole rollup prefixes (every path at county level or above)."""
    return scope.everything or (bool(scope.paths) and all(len(p) <= PREFIX for p in scope.paths))


def basis(scope: Scope, now: dt.datetime) -> Basis:
    """Read the rollup for the scope when it can answer and is fresh, else count live (and say why)."""
    if not covers_scope(scope):
        return Basis("live", now)
    run = SecurityRollupRun.objects.filter(pk=_RUN_PK).first()
    if run is None:
        return Basis("live", now, "安全态势汇总尚未生成，以下为实时统计")
    if now - run.refreshed_at > STALE_AFTER:
        stamp = f"{timezone.localtime(run.refreshed_at):%Y-%m-%d %H:%M}"
        minutes = int(STALE_AFTER.total_seconds() // 60)
        return Basis("live", now, f"安全态势汇总已超过 {minutes} 分钟未刷新（上次 {stamp}），以下为实时统计")
    return Basis("rollup", run.refreshed_at)


def open_findings(scope: Scope) -> dict[tuple[str, str], int]:
    """Open findings in the scope by (severity, age bucket key), from the rollup."""
    rows = (
        SecurityRollup.objects.filter(scope.q("path"), kind=RollupKind.FINDINGS)
        .values("severity", "age")
        .annotate(n=Sum("count"))
        .order_by()
    )
    return {(r["severity"], r["age"]): r["n"] for r in rows}


def assets_by_level(scope: Scope) -> dict[int | None, int]:
    """Registered assets in the scope by the MLPS level of their system, from the rollup."""
    rows = (
        SecurityRollup.objects.filter(scope.q("path"), kind=RollupKind.ASSETS)
        .values("level")
        .annotate(n=Sum("count"))
        .order_by("level")
    )
    return {r["level"]: r["n"] for r in rows}
