"""The demo province's security picture: a registry with overdue filings and zombies, real scan
imports, notices at every stage on the engine, incidents and a drill — made once, deterministically.

One tiny province (30 schools) is built per module inside a transaction rolled back at the end.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from edubase.accounts.models import User
from edubase.demo import DemoReport, build_demo, plan
from edubase.demo import secops as secops_demo
from edubase.orgs.models import Org, OrgKind
from edubase.secops import dashboard, findings, notices, registry
from edubase.secops.models import (
    Asset,
    Finding,
    Incident,
    InformationSystem,
    Notice,
    ScanImport,
    SecurityRollupRun,
)
from edubase.secops.models.notices import NoticeEscalation

SCALE = 30


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker) -> Iterator[DemoReport]:  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock(), transaction.atomic():
        report = build_demo(scale=SCALE)
        yield report
        transaction.set_rollback(True)


@pytest.fixture
def db_demo(demo: DemoReport, db: None) -> DemoReport:
    return demo


def user(name: str) -> User:
    return User.objects.get(username=name)


def test_every_school_and_bureau_has_its_systems_with_levels_and_dates(db_demo):
    created = db_demo.created
    assert created["secops_systems"] == InformationSystem.objects.count() > SCALE
    assert created["secops_assets"] <= Asset.objects.count()
    levels = set(InformationSystem.objects.values_list("mlps_level", flat=True))
    assert {1, 2, 3, 4} <= levels
    bureaus = Org.objects.filter(kind=OrgKind.BUREAU)
    assert not bureaus.exclude(pk__in=InformationSystem.objects.values("org_id")).exists()
    exam = InformationSystem.objects.get(org__code=plan.DEPARTMENT_CODE, name="招生考试信息系统")
    assert exam.cii and exam.mlps_level == 4
    # derived dates come from the registry's own rules
    for system in InformationSystem.objects.filter(mlps_level__gte=3)[:50]:
        assert system.next_assessment_due == registry.next_assessment_due(
            level=system.mlps_level, last_assessed_on=system.last_assessed_on, graded_on=system.graded_on
        )
    assert InformationSystem.objects.filter(filed_on__isnull=False).exclude(filing_number="").exists()


def test_some_filings_and_assessments_are_overdue_and_the_compliance_chart_shows_it(db_demo):
    rows = dashboard.compliance(user("province_admin"))["rows"]
    assert rows and sum(r["filing_overdue"] for r in rows) > 0
    assert sum(r["assessment_overdue"] for r in rows) > 0
    assert sum(r["filed"] for r in rows) > sum(r["filing_overdue"] for r in rows)


def test_zombies_and_unregistered_hosts_are_listed(db_demo):
    province = user("province_admin")
    zombies = registry.zombies(province)
    assert zombies.filter(registered=False).exists()  # found by the scans
    assert zombies.filter(status="decommissioned").exists()  # decommissioned yet still answering


def test_three_scans_went_through_the_real_import(db_demo):
    scans = list(ScanImport.objects.order_by("uploaded_at", "pk"))
    assert [s.filename for s in scans] == [name for _days, name in secops_demo.SCANS]
    first = scans[0]
    assert first.counts["new"] > 0 and first.counts["unknown_hosts"] > 0
    assert scans[1].counts["seen"] > 0 and scans[1].counts["reopened"] > 0
    assert sum(s.counts["new"] for s in scans) == Finding.objects.count() == db_demo.created["secops_findings"]
    finding = Finding.objects.filter(unknown_asset=False).select_related("org").first()
    assert finding is not None
    assert finding.fingerprint == findings.fingerprint(
        org=finding.org, host=finding.host, port=finding.port, signature=finding.signature or finding.name
    )
    now = timezone.now()
    ages = {(now - f).days for f in Finding.objects.values_list("first_seen", flat=True)}
    assert min(ages) < 7 and max(ages) > 90  # the dashboard's age buckets all have something


def test_notices_stand_at_every_stage_and_late_ones_were_escalated(db_demo):
    statuses = {row["status"]: row["n"] for row in Notice.objects.values("status").annotate(n=Count("pk")).order_by()}
    assert {"issued", "acknowledged", "retest_requested", "closed", "reopened"} <= set(statuses)
    assert not Notice.objects.filter(instance__isnull=True).exists()  # every one runs on the engine
    late = Notice.objects.filter(overdue=True)
    assert late.exists() and NoticeEscalation.objects.filter(notice__in=late).exists()
    closed = Notice.objects.get(status="closed")
    assert closed.evidence.exists() and closed.closed_at is not None


def test_the_school_sees_only_its_own_notices(db_demo):
    school_admin = user("school_admin")
    anchor = Org.objects.get(code=plan.anchor_school_code())
    own = notices.notices_for(school_admin)
    assert own.count() >= 5
    assert set(own.values_list("org_id", flat=True)) == {anchor.pk}
    assert notices.notices_for(user("province_admin")).count() == Notice.objects.count()


def test_two_incidents_and_a_drill(db_demo):
    real = Incident.objects.filter(is_exercise=False)
    assert real.count() == 2 and set(real.values_list("state", flat=True)) == {"responding", "closed"}
    drill = Incident.objects.get(is_exercise=True)
    assert drill.scenario and drill.evaluation_score == 86


def test_the_dashboard_reads_a_fresh_rollup(db_demo):
    assert SecurityRollupRun.objects.exists()
    figures = dashboard.summary(user("security_officer"))
    assert figures["source"] == "rollup"
    assert figures["findings"]["total"] == dashboard.summary(user("security_officer"), live=True)["findings"]["total"]


def test_building_again_adds_nothing(db_demo):
    counts = (InformationSystem.objects.count(), Asset.objects.count(), Finding.objects.count(), Notice.objects.count())
    again = build_demo(scale=SCALE)
    assert not again.created_anything, again.created
    assert (
        InformationSystem.objects.count(),
        Asset.objects.count(),
        Finding.objects.count(),
        Notice.objects.count(),
    ) == counts


def test_the_scan_files_are_deterministic():
    seen = timezone.now() - dt.timedelta(days=3)
    hosts = [(1, "10.0.1.10"), (2, "10.0.2.11"), (3, "10.0.3.12")]
    assert secops_demo._scan_csv(7, 2, seen, hosts) == secops_demo._scan_csv(7, 2, seen, hosts)
    assert secops_demo._scan_csv(7, 2, seen, hosts) != secops_demo._scan_csv(8, 2, seen, hosts)


def test_the_demo_day_of_logs_raises_alerts_through_the_real_pipeline(db_demo):
    """The demo's log traffic goes through parsers, enrichment, the store and the Sigma rules:
    the SSH brute force and the web scan become alerts on the schools they hit, once."""
    from edubase.secops.models import Alert, LogSource

    titles = set(Alert.objects.values_list("rule__title", flat=True))
    assert "SSH 暴力破解" in titles and any("SQL 注入" in t for t in titles)
    assert LogSource.objects.count() == 6
    assert all(a.org_id is not None for a in Alert.objects.all())
    before = Alert.objects.count()
    build_demo(scale=SCALE)  # idempotent
    assert Alert.objects.count() == before
