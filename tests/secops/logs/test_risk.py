"""Risk scores (documented formula, each component) and the scoped situational dashboard."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from edubase.secops.logs import risk
from edubase.secops.models import Asset, Finding, InformationSystem
from edubase.secops.models.detection import Alert
from tests.secops.logs.test_alerts import make_alert, make_rule

NOW = dt.datetime(2025, 6, 1, 4, 0, tzinfo=dt.UTC)


def _finding(org: Any, severity: str, n: int, status: str = "open", asset: Asset | None = None) -> None:
    for i in range(n):
        Finding.objects.create(
            org=org,
            org_path=org.path,
            asset=asset,
            fingerprint=f"{org.pk}-{severity}-{status}-{i}-{asset.pk if asset else 0}",
            host=f"10.0.0.{i}",
            name="测试漏洞",
            severity=severity,
            status=status,
            first_seen=NOW,
            last_seen=NOW,
        )


def _components(row: dict[str, Any]) -> dict[str, float]:
    return {c["key"]: c["points"] for c in row["components"]}


def test_alert_points_decay_with_a_seven_day_half_life(world: Any) -> None:
    high = make_rule("r-high", level="high")
    make_alert(world.school_a, high, last_seen=NOW)  # 20
    make_alert(world.school_a, high, ip="192.0.2.2", last_seen=NOW - dt.timedelta(days=7))  # 10
    make_alert(world.school_a, high, ip="192.0.2.3", last_seen=NOW - dt.timedelta(days=14))  # 5
    make_alert(world.school_a, high, ip="192.0.2.4", last_seen=NOW, status="false_positive")  # not counted
    make_alert(world.school_a, high, ip="192.0.2.5", last_seen=NOW - dt.timedelta(days=91))  # too old
    rows = {r["id"]: r for r in risk.school_scores(world.province_admin, now=NOW)}
    assert _components(rows[world.school_a.pk])["alerts"] == pytest.approx(35.0, abs=0.1)
    assert rows[world.school_a.pk]["score"] == pytest.approx(35.0, abs=0.1)
    assert rows[world.school_b.pk]["score"] == 0


def test_each_component_and_the_caps(world: Any) -> None:
    today = timezone.localdate(NOW)
    crit = make_rule("r-crit", level="critical")
    for i in range(3):
        make_alert(world.school_a, crit, ip=f"192.0.2.{i}", last_seen=NOW)  # 3 × 40 → capped at 50
    _finding(world.school_b, "critical", 1)  # 10
    _finding(world.school_b, "high", 2)  # 10
    _finding(world.school_b, "low", 3)  # 1.5
    _finding(world.school_b, "critical", 5, status="fixed")  # not open
    InformationSystem.objects.create(
        org=world.school_b,
        org_path=world.school_b.path,
        name="教务系统",
        mlps_level=2,
        filing_due=today - dt.timedelta(days=1),
        next_assessment_due=today - dt.timedelta(days=1),
        internet_facing=True,
    )  # filing + assessment overdue: 6; internet-facing: 1
    Asset.objects.create(
        org=world.school_b, org_path=world.school_b.path, kind="server", name="门户", internet_exposed=True
    )  # 1
    rows = {r["id"]: r for r in risk.school_scores(world.province_admin, now=NOW)}
    a, b = _components(rows[world.school_a.pk]), _components(rows[world.school_b.pk])
    assert a["alerts"] == 50.0 and rows[world.school_a.pk]["score"] == 50.0
    raw_a = {c["key"]: c["raw"] for c in rows[world.school_a.pk]["components"]}
    assert raw_a["alerts"] == 120.0
    assert b == {"alerts": 0.0, "findings": 21.5, "notices": 0.0, "compliance": 6.0, "exposure": 2.0}
    assert rows[world.school_b.pk]["score"] == 29.5
    assert [r["id"] for r in risk.school_scores(world.province_admin, now=NOW)][:2] == [
        world.school_a.pk,
        world.school_b.pk,
    ]


def test_overdue_notices_count(world: Any) -> None:
    from edubase.secops.models import Notice

    Notice.objects.create(
        number="豫教网通〔2025〕1号",
        year=2025,
        sequence=1,
        issuer_org=world.province,
        issuer_path=world.province.path,
        org=world.school_c,
        org_path=world.school_c.path,
        title="t",
        severity="high",
        required_actions="r",
        deadline=NOW - dt.timedelta(days=1),
        handler_role="school_admin",
        verify_level="province",
        issued_by=world.province_admin,
        issued_at=NOW - dt.timedelta(days=10),
    )
    rows = {r["id"]: r for r in risk.school_scores(world.province_admin, now=NOW)}
    assert _components(rows[world.school_c.pk])["notices"] == 5.0


def test_region_scores_are_half_max_half_top10_mean(world: Any) -> None:
    high = make_rule("r-high", level="high")
    make_alert(world.school_a, high, last_seen=NOW)  # 20
    make_alert(world.school_b, high, ip="192.0.2.9", last_seen=NOW - dt.timedelta(days=7))  # 10
    cities = {r["id"]: r for r in risk.region_scores(world.province_admin, level="city", now=NOW)}
    zz = cities[world.zhengzhou.pk]
    assert zz["max"] == 20.0 and zz["top_mean"] == 15.0
    assert zz["score"] == 17.5 == risk.region_score([20.0, 10.0])
    assert cities[world.luoyang.pk]["score"] == 0.0
    counties = {r["id"]: r["score"] for r in risk.region_scores(world.province_admin, level="county", now=NOW)}
    assert counties[world.zhongyuan.pk] == 20.0 and counties[world.jinshui.pk] == 10.0


def test_scores_are_scoped(world: Any) -> None:
    make_alert(world.school_c, make_rule(), last_seen=NOW)
    assert {r["id"] for r in risk.school_scores(world.city_admin, now=NOW)} == {world.school_a.pk, world.school_b.pk}
    assert {r["id"] for r in risk.region_scores(world.city_admin, level="city", now=NOW)} == {world.zhengzhou.pk}
    assert risk.school_scores(world.teacher, now=NOW) == []


def test_asset_scores(world: Any) -> None:
    asset = Asset.objects.create(
        org=world.school_a, org_path=world.school_a.path, kind="server", name="SSH 跳板机", internet_exposed=True
    )
    make_alert(world.school_a, make_rule(), last_seen=NOW, asset=asset)
    _finding(world.school_a, "high", 1, asset=asset)
    rows = risk.asset_scores(world.province_admin, now=NOW)
    assert [r["id"] for r in rows] == [asset.pk]
    assert _components(rows[0]) == {"alerts": 20.0, "findings": 5.0, "exposure": 5.0}
    assert rows[0]["score"] == 30.0
    assert risk.asset_scores(world.county_admin.__class__.objects.get(username="outsider"), now=NOW) == []


def test_formula_is_documented(world: Any) -> None:
    formula = risk.formula()
    assert sum(c["cap"] for c in formula["components"]) == 100
    assert "0.5 × 辖内学校最高分" in formula["region"]
    assert "半衰期 7 天" in formula["components"][0]["rule"]


def test_situation_is_scoped_a_city_sees_only_its_schools(world: Any, monkeypatch: Any) -> None:
    now = timezone.now()
    rule = make_rule()
    make_alert(world.school_a, rule, last_seen=now)
    make_alert(world.school_c, rule, ip="198.51.100.1", last_seen=now)
    calls: list[Any] = []

    class FakeStore:
        def timeline(self, bucket: Any, since: Any, until: Any, org_path_prefix: Any) -> list[Any]:
            calls.append(org_path_prefix)
            return [(since, 50), (until, 100)]

        def top(self, field: str, n: int, since: Any, org_path_prefix: Any, until: Any) -> list[Any]:
            calls.append(org_path_prefix)
            return [("203.0.113.9", 7)] if field == "source.ip" else [("US", 7)]

    import edubase.secops.logs.store as store_module

    monkeypatch.setattr(store_module, "get_store", lambda: FakeStore())
    city = risk.situation(world.city_admin)
    assert [s["id"] for s in city["top_schools"]] == [world.school_a.pk]
    assert city["totals"]["total"] == 1
    assert city["heat"]["cities"] == ["郑州市"]
    assert {s["id"] for s in city["risk_schools"]} == {world.school_a.pk, world.school_b.pk}
    assert world.school_c.name not in str(city)
    assert calls and all(c == (world.zhengzhou.path,) for c in calls)  # the store is asked for 郑州 only
    assert city["top_ips"] == [{"name": "203.0.113.9", "value": 7}]
    province = risk.situation(world.province_admin)
    assert province["totals"]["total"] == 2
    assert province["heat"]["cities"] == ["郑州市", "洛阳市"]
    assert sum(p[2] for p in province["heat"]["data"]) == 2
    assert calls[-1] == (world.province.path,)


def test_situation_without_a_store_still_answers(world: Any, monkeypatch: Any) -> None:
    import edubase.secops.logs.store as store_module

    def broken() -> Any:
        raise RuntimeError("locked")

    monkeypatch.setattr(store_module, "get_store", broken)
    data = risk.situation(world.province_admin)
    assert data["store"] == "unavailable" and data["eps"] == []
    assert Alert.objects.count() == 0


def test_attack_sources_leave_out_campus_addresses() -> None:
    assert risk._public("45.155.205.10") and risk._public("203.0.113.9") and risk._public("2001:db8::1")
    for internal in ("10.8.1.2", "172.16.0.9", "192.168.1.1", "100.64.0.1", "127.0.0.1", "fd00::1", "fe80::1", "x"):
        assert not risk._public(internal), internal


def test_the_heat_grid_has_a_row_for_units_directly_under_the_province(world: Any, monkeypatch: Any) -> None:
    from tests.factories import make_org

    university = make_org(world.province, kind="unit", name="河南省直属测试大学", code="4199000001", region="410000")
    rule = make_rule()
    make_alert(university, rule, last_seen=timezone.now())
    make_alert(world.school_a, rule, ip="198.51.100.1", last_seen=timezone.now())
    import edubase.secops.logs.store as store_module

    def broken() -> Any:
        raise RuntimeError("no store in this test")

    monkeypatch.setattr(store_module, "get_store", broken)
    province = risk.situation(world.province_admin)
    cities = province["heat"]["cities"]
    assert cities[-1] == "省直属单位"
    direct_row = len(cities) - 1
    assert sum(v for _x, y, v in province["heat"]["data"] if y == direct_row) == 1
    assert sum(v for _x, _y, v in province["heat"]["data"]) == 2
    assert "省直属单位" not in risk.situation(world.city_admin)["heat"]["cities"]
