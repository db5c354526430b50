"""The security rollup: its sums equal the live counts for every scope at county level or above;
narrow, empty or stale rollups fall back to live counting and say so."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.utils import timezone

from edubase.core import jobs
from edubase.orgs.models import Org, OrgKind
from edubase.secops import dashboard, rollup
from edubase.secops.models import (
    Asset,
    AssetKind,
    Finding,
    InformationSystem,
    RollupKind,
    SecurityRollup,
    SecurityRollupRun,
)
from tests.factories import World, make_user

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
SEVERITIES = ("critical", "high", "medium", "low", "info")
STATUSES = ("open", "open", "fixing", "fixed", "accepted", "false_positive")


def _finding(org: Org, n: int, *, severity: str, status: str, age_days: float) -> Finding:
    return Finding(
        org=org,
        org_path=org.path,
        fingerprint=f"{n:064d}",
        host=f"10.9.{n // 250}.{n % 250 + 1}",
        name=f"漏洞 {n}",
        severity=severity,
        status=status,
        first_seen=NOW - dt.timedelta(days=age_days),
        last_seen=NOW,
    )


@pytest.fixture
def spread(world: World) -> dict[str, Any]:
    """Findings and assets at every depth: schools below counties, a county bureau-level org, a city,
    a school run by the city itself (a path as short as a county's), and the province."""
    # a school run by the city itself: its path is as short as a county's (written directly, as
    # the demo builder does; the test world's tree counters are not kept for add_child)
    city_school = Org.objects.create(
        path=world.zhengzhou.path + "00Z1",
        depth=3,
        kind=OrgKind.SCHOOL,
        name="郑州市直属中学",
        code="3441801001",
        region_code="410100",
        school_category="34",
    )
    orgs = [
        world.school_a,
        world.school_b,
        world.school_c,
        world.zhongyuan,
        world.zhengzhou,
        city_school,
        world.province,
    ]
    rng = random.Random(5)
    systems = []
    for i, org in enumerate(orgs):
        for level in (None, 2, 3):
            systems.append(
                InformationSystem.objects.create(org=org, org_path=org.path, name=f"系统{i}-{level}", mlps_level=level)
            )
    assets = []
    for n in range(120):
        org = rng.choice(orgs)
        own = [s for s in systems if s.org_id == org.pk]
        assets.append(
            Asset(
                org=org,
                org_path=org.path,
                kind=AssetKind.SERVER,
                name=f"服务器 {n}",
                system=rng.choice([None, *own]),
                registered=rng.random() > 0.1,
            )
        )
    Asset.objects.bulk_create(assets)
    found = []
    for n in range(400):
        found.append(
            _finding(
                rng.choice(orgs),
                n,
                severity=rng.choice(SEVERITIES),
                status=rng.choice(STATUSES),
                age_days=rng.choice((0.5, 3, 6.9, 7.1, 20, 29.9, 45, 89, 91, 400)),
            )
        )
    Finding.objects.bulk_create(found)
    officer = make_user("city_school_officer", role="security_officer", org=city_school)
    return {"city_school": city_school, "officer": officer}


def _large_figures(actor: Any, basis: rollup.Basis | None) -> tuple[Any, Any]:
    found = dashboard.findings(actor, now=NOW, basis=basis)
    assets = dashboard.assets_by_level(actor, basis=basis)
    return (
        (found["total"], found["by_severity"], found["by_age"]),
        [(r["level"], r["value"]) for r in assets],
    )


def test_the_rollup_sums_equal_the_live_counts_for_province_city_county_and_a_city_run_school(world, spread):
    written = rollup.refresh(now=NOW)
    assert written == SecurityRollup.objects.count() > 0
    rolled = rollup.Basis("rollup", NOW)
    for actor in (world.province_admin, world.city_admin, world.county_admin, spread["officer"]):
        live = _large_figures(actor, None)
        assert _large_figures(actor, rolled) == live, actor.username
        assert live[0][0] > 0
    # the scopes differ, so the comparison means something
    province, city = (_large_figures(a, None)[0][0] for a in (world.province_admin, world.city_admin))
    assert province > city


def test_the_dashboard_reads_a_fresh_rollup_for_wide_scopes(world, spread):
    rollup.refresh(now=NOW)
    # a finding added after the refresh: not in the rollup's figures until the next refresh
    Finding.objects.create(
        **{
            f: getattr(_finding(world.school_a, 9999, severity="critical", status="open", age_days=1), f)
            for f in ("org", "org_path", "fingerprint", "host", "name", "severity", "status", "first_seen", "last_seen")
        }
    )
    later = NOW + dt.timedelta(minutes=2)
    figures = dashboard.summary(world.city_admin, now=later)
    assert (figures["source"], figures["note"], figures["as_of"]) == ("rollup", "", NOW)
    live_total = dashboard.findings(world.city_admin, now=later)["total"]
    assert figures["findings"]["total"] == live_total - 1
    rollup.refresh(now=later)
    assert dashboard.summary(world.city_admin, now=later)["findings"]["total"] == live_total


def test_a_stale_rollup_falls_back_to_live_and_says_so(world, spread):
    rollup.refresh(now=NOW - dt.timedelta(minutes=6))
    Finding.objects.filter(status="open").delete()  # the live figures now differ from the rollup's
    figures = dashboard.summary(world.province_admin, now=NOW)
    assert figures["source"] == "live" and figures["as_of"] == NOW
    assert "超过 5 分钟未刷新" in figures["note"]
    assert figures["findings"]["total"] == dashboard.findings(world.province_admin, now=NOW)["total"]
    assert figures["findings"]["total"] == Finding.objects.filter(status="fixing").count()


def test_an_empty_rollup_counts_live_and_says_so(world, spread):
    figures = dashboard.summary(world.county_admin, now=NOW)
    assert figures["source"] == "live" and "尚未生成" in figures["note"]


def test_a_school_below_a_county_is_always_counted_live(world, spread):
    rollup.refresh(now=NOW)
    SecurityRollup.objects.filter(kind=RollupKind.FINDINGS).update(count=1000)  # would show if it were read
    figures = dashboard.summary(world.school_admin, now=NOW)
    assert (figures["source"], figures["note"]) == ("live", "")
    expected = Finding.objects.filter(org=world.school_a, status__in=["open", "fixing"]).count()
    assert figures["findings"]["total"] == expected


def test_refreshing_replaces_the_rows_and_records_the_run(world, spread):
    first = rollup.refresh(now=NOW)
    second = rollup.refresh(now=NOW + dt.timedelta(minutes=1))
    assert first == second == SecurityRollup.objects.count()
    run = SecurityRollupRun.objects.get()
    assert run.refreshed_at == NOW + dt.timedelta(minutes=1) and run.rows == second
    assert all(len(r.path) <= rollup.PREFIX for r in SecurityRollup.objects.all())


def test_the_province_dashboard_from_the_rollup_takes_a_fixed_number_of_queries(
    world, spread, django_assert_max_num_queries
):
    rollup.refresh(now=NOW)
    with django_assert_max_num_queries(11):
        assert dashboard.summary(world.province_admin, now=NOW)["source"] == "rollup"


def test_the_worker_runs_the_rollup_every_minute():
    job = next(j for j in jobs.registered() if j.name == "secops.rollup")
    assert job.every_s == 60 and job.run is rollup.refresh
