"""The security dashboard: each figure of a scope, its link, drills left out, other cities left out."""

from __future__ import annotations

import datetime as dt
from itertools import count
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from edubase.orgs.models import Org
from edubase.secops import dashboard
from edubase.secops.models import (
    Asset,
    AssetKind,
    Finding,
    Incident,
    IncidentState,
    InformationSystem,
)
from edubase.secops.models.notices import Notice, NoticeStatus
from tests.factories import World

pytestmark = pytest.mark.django_db

NOW = timezone.now()
TODAY = timezone.localdate(NOW)
_seq = count(1)


def system(org: Org, name: str, level: int, **fields: Any) -> InformationSystem:
    return InformationSystem.objects.create(org=org, org_path=org.path, name=name, mlps_level=level, **fields)


def finding(org: Org, severity: str, age_days: int, status: str = "open") -> Finding:
    n = next(_seq)
    seen = NOW - dt.timedelta(days=age_days)
    return Finding.objects.create(
        org=org,
        org_path=org.path,
        fingerprint=f"fp{n:062d}",
        host=f"10.0.0.{n}",
        name=f"漏洞 {n}",
        severity=severity,
        status=status,
        first_seen=seen,
        last_seen=NOW,
    )


def notice(world: World, org: Org, *, days_left: int, status: str = NoticeStatus.ISSUED) -> Notice:
    n = next(_seq)
    return Notice.objects.create(
        number=f"TB-{n}",
        year=NOW.year,
        sequence=n,
        issuer_org=world.province,
        issuer_path=world.province.path,
        org=org,
        org_path=org.path,
        title="整改通报",
        severity="high",
        required_actions="修补漏洞",
        deadline=NOW + dt.timedelta(days=days_left),
        status=status,
        handler_role="school_admin",
        verify_level="city",
        issued_by=world.province_admin,
        issued_at=NOW - dt.timedelta(days=10),
    )


def incident(world: World, org: Org, grade: str, **fields: Any) -> Incident:
    return Incident.objects.create(
        org=org,
        org_path=org.path,
        title=f"事件 {next(_seq)}",
        grade=grade,
        category="attack",
        discovered_at=NOW - dt.timedelta(hours=6),
        report_deadline=NOW - dt.timedelta(hours=2),
        created_by=world.province_admin,
        **fields,
    )


@pytest.fixture
def province(world: World) -> World:
    """Systems, assets, findings, notices and incidents in both cities."""
    past, future = TODAY - dt.timedelta(days=10), TODAY + dt.timedelta(days=100)
    a3 = system(world.school_a, "A 教务系统", 3, filed_on=past, next_assessment_due=future)
    system(world.school_a, "A 门户网站", 2, filing_due=past)
    system(world.school_b, "B 一卡通", 3, filed_on=past, next_assessment_due=past)
    system(world.school_c, "C 门户网站", 2, filed_on=past)
    Asset.objects.create(org=world.school_a, org_path=world.school_a.path, kind=AssetKind.SERVER, name="A-1", system=a3)
    Asset.objects.create(org=world.school_b, org_path=world.school_b.path, kind=AssetKind.SERVER, name="B-1")
    Asset.objects.create(org=world.school_c, org_path=world.school_c.path, kind=AssetKind.SERVER, name="C-1")
    finding(world.school_a, "critical", 3)
    finding(world.school_a, "high", 45)
    finding(world.school_b, "medium", 100, status="fixing")
    finding(world.school_a, "low", 1, status="fixed")
    finding(world.school_c, "critical", 2)
    notice(world, world.school_a, days_left=-1)
    notice(world, world.school_a, days_left=5)
    notice(world, world.school_b, days_left=-3, status=NoticeStatus.CLOSED)
    notice(world, world.school_c, days_left=-1)
    incident(world, world.school_a, "general", escalated_at=NOW)
    incident(world, world.school_a, "major", is_exercise=True, scenario="演练")
    incident(world, world.school_b, "major", state=IncidentState.CLOSED)
    incident(world, world.school_c, "major")
    return world


def values(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {r["key"]: r["value"] for r in rows}


def test_a_city_sees_compliance_per_county_and_nothing_of_another_city(province):
    figures = dashboard.summary(province.city_admin, now=NOW)
    comp = figures["compliance"]
    assert comp["level"] == "county"
    rows = {r["name"]: r for r in comp["rows"]}
    assert set(rows) == {"中原区", "金水区"}
    assert (rows["中原区"]["systems"], rows["中原区"]["filed"], rows["中原区"]["filing_overdue"]) == (2, 1, 1)
    assert (rows["金水区"]["assessment_due"], rows["金水区"]["assessment_overdue"]) == (1, 1)


def test_the_province_sees_compliance_per_city(province):
    rows = dashboard.summary(province.province_admin, now=NOW)["compliance"]["rows"]
    assert {r["name"]: r["systems"] for r in rows} == {"郑州市": 3, "洛阳市": 1}


def test_open_findings_by_severity_and_age_exclude_other_cities_and_fixed_ones(province):
    found = dashboard.summary(province.city_admin, now=NOW)["findings"]
    assert found["total"] == 3
    assert values(found["by_severity"]) == {"critical": 1, "high": 1, "medium": 1, "low": 0, "info": 0}
    assert values(found["by_age"]) == {"lt7": 1, "7to30": 0, "30to90": 1, "gt90": 1}
    assert dashboard.summary(province.province_admin, now=NOW)["findings"]["total"] == 4


def test_overdue_notices_count_only_open_ones_in_scope(province):
    assert dashboard.summary(province.city_admin, now=NOW)["notices"] == {
        "open": 2,
        "overdue": 1,
        "open_url": dashboard._link("secops:notice_list", "/notices"),
        "overdue_url": dashboard._link("secops:notice_list", "/notices", overdue="1"),
    }
    assert dashboard.summary(province.province_admin, now=NOW)["notices"]["overdue"] == 2


def test_open_incidents_by_grade_leave_out_drills_closed_ones_and_other_cities(province):
    shown = dashboard.summary(province.city_admin, now=NOW)["incidents"]
    assert shown["total"] == 1 and shown["escalated"] == 1
    assert values(shown["by_grade"]) == {"especially_major": 0, "major": 0, "relatively_major": 0, "general": 1}
    assert values(dashboard.summary(province.province_admin, now=NOW)["incidents"]["by_grade"])["major"] == 1


def test_a_school_sees_its_own_figures_only(province):
    figures = dashboard.summary(province.school_admin, now=NOW)
    assert figures["findings"]["total"] == 2
    assert sum(r["value"] for r in figures["systems_by_level"]) == 2
    assert sum(r["value"] for r in figures["assets_by_level"]) == 1


def test_each_number_links_to_its_filtered_list(province):
    figures = dashboard.summary(province.city_admin, now=NOW)
    general = next(r for r in figures["incidents"]["by_grade"] if r["key"] == "general")
    assert general["url"] == reverse("secops:incident_list") + "?grade=general&open=1&exercise=0"
    critical = next(r for r in figures["findings"]["by_severity"] if r["key"] == "critical")
    assert "severity=critical" in critical["url"] and "status=open" in critical["url"]
    county = figures["compliance"]["rows"][0]
    assert f"org={county['org_id']}" in county["filing_url"] and "overdue=filing" in county["filing_url"]


def test_the_figures_take_a_fixed_number_of_queries(province, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        dashboard.summary(province.province_admin, now=NOW)


def test_the_dashboard_page_and_its_json(province):
    client = Client()
    client.force_login(province.city_admin)
    page = client.get(reverse("secops:dashboard"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "中原区" in text and "洛阳" not in text and "echarts.min.js" in text
    data = client.get("/api/v1/secops/incidents/dashboard").json()
    assert data["findings"]["total"] == 3 and data["compliance"]["level"] == "county"


def test_a_teacher_has_no_dashboard(province):
    client = Client()
    client.force_login(province.teacher)
    assert client.get(reverse("secops:dashboard")).status_code == 403
    assert client.get("/api/v1/secops/incidents/dashboard").status_code == 403
