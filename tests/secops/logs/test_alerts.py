"""Alerts: scoped reads, triage, one-click finding / notice / incident, rule management."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

import pytest
from django.utils import timezone

from edubase.core.errors import NotFound, PermissionDenied, ValidationFailed
from edubase.core.models import AuditEvent
from edubase.secops import notices
from edubase.secops.logs import alerts
from edubase.secops.models import Finding, Incident, Notice
from edubase.secops.models.detection import Alert, DetectionRule, RuleException, RuleScope
from tests.factories import make_user


def make_rule(rule_id: str = "r-brute", **fields: Any) -> DetectionRule:
    values = {"title": "SSH 暴力破解", "level": "high", "kind": "correlation", "yaml": "title: x", "tags": []}
    values.update(fields)
    return DetectionRule.objects.create(rule_id=rule_id, **values)


def make_alert(org: Any, rule: DetectionRule | None = None, *, ip: str = "203.0.113.9", **fields: Any) -> Alert:
    rule = rule or DetectionRule.objects.filter(rule_id="r-brute").first() or make_rule()
    now = timezone.now()
    values = {
        "rule": rule,
        "dedup_key": f"{rule.pk}-{org.pk}-{ip}-{Alert.objects.count()}",
        "org": org,
        "org_path": org.path,
        "severity": rule.level,
        "group_key": {"source.ip": ip},
        "window_start": now - dt.timedelta(minutes=5),
        "window_end": now,
        "first_seen": now - dt.timedelta(minutes=4),
        "last_seen": now - dt.timedelta(minutes=1),
        "event_count": 500,
        "event_ids": ["e1", "e2"],
    }
    values.update(fields)
    return Alert.objects.create(**values)


@pytest.fixture
def two(world: Any) -> tuple[Alert, Alert]:
    return make_alert(world.school_a), make_alert(world.school_c, ip="198.51.100.1")


# --- reads -----------------------------------------------------------------------------------


def test_each_persona_sees_the_alerts_of_its_scope(world: Any, two: tuple[Alert, Alert]) -> None:
    a, c = two
    assert set(alerts.alerts_for(world.province_admin)) == {a, c}
    assert set(alerts.alerts_for(world.city_admin)) == {a}
    assert set(alerts.alerts_for(world.county_admin)) == {a}
    assert set(alerts.alerts_for(world.school_admin)) == {a}
    assert set(alerts.alerts_for(world.teacher)) == set()
    with pytest.raises(NotFound):
        alerts.get_alert(world.school_admin, pk=c.pk)


def test_filters_and_counts(world: Any, two: tuple[Alert, Alert]) -> None:
    a, _c = two
    low = make_alert(world.school_a, make_rule("r-low", level="low"), ip="192.0.2.1")
    rows = alerts.alerts_for(world.province_admin, severity="high")
    assert low not in rows and a in rows
    counts = alerts.counts(alerts.alerts_for(world.city_admin))
    assert counts["total"] == 2
    assert {s["key"]: s["value"] for s in counts["by_severity"]}["high"] == 1
    assert set(alerts.alerts_for(world.province_admin, rule="r-low")) == {low}
    assert set(alerts.alerts_for(world.province_admin, org_id=world.school_c.pk)) == {_c}
    with pytest.raises(NotFound):
        alerts.alerts_for(world.city_admin, org_id=world.school_c.pk)


# --- triage ----------------------------------------------------------------------------------


def test_triage_walks_the_states_with_notes_and_audit(world: Any, two: tuple[Alert, Alert]) -> None:
    a, _c = two
    a = alerts.triage(actor=world.school_admin, alert=a, to="triaging")
    assert a.status == "triaging" and a.assignee == world.school_admin
    with pytest.raises(ValidationFailed, match="研判说明"):
        alerts.triage(actor=world.school_admin, alert=a, to="confirmed", note=" ")
    a = alerts.triage(actor=world.school_admin, alert=a, to="confirmed", note="日志核实为外部爆破")
    a = alerts.triage(actor=world.school_admin, alert=a, to="closed", note="已封禁来源地址")
    assert a.status == "closed"
    assert "已封禁来源地址" in a.note and "外部爆破" in a.note
    assert AuditEvent.objects.filter(action="secops.alert.triage", object_id=str(a.pk)).count() == 3


def test_triage_refuses_a_skipped_step(world: Any, two: tuple[Alert, Alert]) -> None:
    a, _c = two
    with pytest.raises(alerts.AlertStateError, match="不能改为“已关闭”"):
        alerts.triage(actor=world.school_admin, alert=a, to="closed", note="x")
    with pytest.raises(ValidationFailed, match="无效"):
        alerts.triage(actor=world.school_admin, alert=a, to="done")
    a.refresh_from_db()
    assert a.status == "new" and a.note == ""


def test_wrong_persona_cannot_triage(world: Any, two: tuple[Alert, Alert]) -> None:
    a, c = two
    with pytest.raises(PermissionDenied):
        alerts.triage(actor=world.teacher, alert=a, to="triaging")
    with pytest.raises(PermissionDenied):
        alerts.triage(actor=world.city_admin, alert=c, to="triaging")  # 洛阳's alert
    c.refresh_from_db()
    assert c.status == "new"


def test_assign_only_to_someone_who_can_see_it(world: Any, two: tuple[Alert, Alert]) -> None:
    a, _c = two
    alerts.assign(actor=world.county_admin, alert=a, assignee=world.school_admin.username)
    a.refresh_from_db()
    assert a.assignee == world.school_admin
    ly = make_user("ly_officer", role="security_officer", org=world.luoyang)
    with pytest.raises(ValidationFailed, match="无权查看"):
        alerts.assign(actor=world.county_admin, alert=a, assignee=ly.username)


# --- one-click -------------------------------------------------------------------------------


def test_one_click_finding(world: Any, two: tuple[Alert, Alert]) -> None:
    a, _c = two
    finding = alerts.open_finding(actor=world.school_admin, alert=a)
    assert finding.name == "SSH 暴力破解" and finding.severity == "high"
    assert finding.org == world.school_a and finding.host == "203.0.113.9"
    a.refresh_from_db()
    assert a.finding == finding
    with pytest.raises(alerts.AlertStateError):
        alerts.open_finding(actor=world.school_admin, alert=a)
    assert Finding.objects.count() == 1


def test_one_click_notice_goes_to_the_alerts_school(world: Any, two: tuple[Alert, Alert]) -> None:
    notices.publish_process(actor=None)
    a, _c = two
    alerts.open_finding(actor=world.province_admin, alert=a)
    a.refresh_from_db()
    notice = alerts.open_notice(actor=world.province_admin, alert=a)
    assert notice.org == world.school_a
    assert "SSH 暴力破解" in notice.title and notice.severity == "high"
    assert list(notice.findings.all()) == [a.finding]
    assert "203.0.113.9" in notice.issue_text
    a.refresh_from_db()
    assert a.notice == notice
    assert AuditEvent.objects.filter(action="secops.alert.notice", object_id=str(a.pk)).exists()


def test_notice_needs_manage_and_writes_nothing_otherwise(world: Any, two: tuple[Alert, Alert]) -> None:
    notices.publish_process(actor=None)
    a, _c = two
    with pytest.raises(PermissionDenied):
        alerts.open_notice(actor=world.school_admin, alert=a)
    with pytest.raises(ValidationFailed, match="整改期限"):
        alerts.open_notice(actor=world.province_admin, alert=a, deadline=timezone.now() - dt.timedelta(days=1))
    assert not Notice.objects.exists()
    a.refresh_from_db()
    assert a.notice_id is None


def test_one_click_incident(world: Any, two: tuple[Alert, Alert]) -> None:
    a, _c = two
    incident = alerts.open_incident(actor=world.school_admin, alert=a)
    assert incident.org == world.school_a and incident.category == "attack" and incident.grade == "general"
    assert "SSH 暴力破解" in incident.title
    a.refresh_from_db()
    assert a.incident == incident
    with pytest.raises(PermissionDenied):
        alerts.open_incident(actor=world.teacher, alert=_c)
    assert Incident.objects.count() == 1


def test_alert_without_org_cannot_become_a_notice(world: Any) -> None:
    rule = make_rule()
    orphan = make_alert(world.school_a, rule)
    Alert.objects.filter(pk=orphan.pk).update(org=None, org_path="")
    orphan.refresh_from_db()
    with pytest.raises(ValidationFailed, match="未关联到任何单位"):
        alerts.open_finding(actor=world.province_admin, alert=orphan)


# --- rules -----------------------------------------------------------------------------------


def test_rule_toggle_needs_province_manage(world: Any) -> None:
    rule = make_rule(tags=["attack.credential-access", "attack.t1110.001"])
    assert alerts.attack_tags(rule) == ["T1110.001"]
    with pytest.raises(PermissionDenied):
        alerts.set_enabled(actor=world.city_admin, rule=rule, enabled=False)
    alerts.set_enabled(actor=world.province_admin, rule=rule, enabled=False)
    rule.refresh_from_db()
    assert rule.enabled is False
    broken = make_rule("r-broken", error="不支持的日志源", enabled=False)
    with pytest.raises(ValidationFailed, match="无法运行"):
        alerts.set_enabled(actor=world.province_admin, rule=broken, enabled=True)


def test_scope_and_exception_services(world: Any) -> None:
    rule = make_rule()
    officer = make_user("zz_officer", role="security_officer", org=world.zhengzhou)
    alerts.set_scope(actor=officer, rule=rule, org_id=world.zhongyuan.pk, enabled=False)
    assert RuleScope.objects.get(rule=rule, org=world.zhongyuan).enabled is False
    alerts.set_scope(actor=officer, rule=rule, org_id=world.zhongyuan.pk, enabled=None)
    assert not RuleScope.objects.exists()
    with pytest.raises(NotFound):
        alerts.set_scope(actor=officer, rule=rule, org_id=world.luoyang.pk, enabled=False)
    with pytest.raises(PermissionDenied):
        alerts.set_scope(actor=world.city_admin, rule=rule, org_id=world.zhongyuan.pk, enabled=False)
    with pytest.raises(ValidationFailed, match="不是规范化事件的字段"):
        alerts.add_exception(actor=officer, rule=rule, org_id=world.school_a.pk, field="ip", values=["1"], reason="x")
    with pytest.raises(ValidationFailed, match="例外原因"):
        alerts.add_exception(
            actor=officer, rule=rule, org_id=world.school_a.pk, field="source.ip", values=["1.1.1.1"], reason=""
        )
    assert not RuleException.objects.exists()
    exc = alerts.add_exception(
        actor=officer, rule=rule, org_id=world.school_a.pk, field="source.ip", values=["10.0.0.5", " "], reason="扫描器"
    )
    assert exc.values == ["10.0.0.5"]
    alerts.remove_exception(actor=officer, rule=rule, exception_id=exc.pk)
    assert not RuleException.objects.exists()
    assert AuditEvent.objects.filter(action__startswith="secops.rule.").count() == 4


def test_import_pack_yaml_and_errors(world: Any) -> None:
    yml = (
        "title: 测试规则\nid: 11111111-2222-3333-4444-555555555555\nlogsource:\n  product: linux\n  service: sshd\n"
        "detection:\n  keywords:\n    - 'Invalid user '\n  condition: keywords\nlevel: low\n"
    )
    with pytest.raises(PermissionDenied):
        alerts.import_pack(actor=world.city_admin, filename="a.yml", data=yml.encode())
    with pytest.raises(ValidationFailed, match="不是规则包"):
        alerts.import_pack(actor=world.province_admin, filename="a.txt", data=b"x")
    report = alerts.import_pack(actor=world.province_admin, filename="mine.yml", data=yml.encode())
    assert report["imported"] == 1
    rule = DetectionRule.objects.get(rule_id="11111111-2222-3333-4444-555555555555")
    assert rule.pack == "mine" and rule.level == "low"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(
            "rules/bad.yml",
            "title: 坏规则\nlogsource:\n  product: windows\n  category: process_creation\n"
            "detection:\n  sel:\n    Image|endswith: '\\\\cmd.exe'\n  condition: sel\n",
        )
    report = alerts.import_pack(actor=world.province_admin, filename="pack.zip", data=buffer.getvalue(), pack="P")
    assert report["total"] == 1 and (report["unsupported"] == 1 or report["failed"])


def test_console_one_click_notice_and_big_screen_json(world: Any, client: Any) -> None:
    from django.urls import reverse

    notices.publish_process(actor=None)
    a = make_alert(world.school_a)
    make_alert(world.school_c, ip="198.51.100.1")
    client.force_login(world.province_admin)
    page = client.get(reverse("secops:alert_detail", kwargs={"pk": a.pk}))
    assert page.status_code == 200 and "向郑州市中原区第一小学下发通报" in page.content.decode()
    response = client.post(reverse("secops:alert_notice", kwargs={"pk": a.pk}), {"title": ""})
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.notice is not None and a.notice.org == world.school_a
    client.force_login(world.city_admin)
    data = client.get(reverse("secops:screen_data")).json()
    assert [s["id"] for s in data["top_schools"]] == [world.school_a.pk]
    assert "洛阳" not in str(data)
    screen = client.get(reverse("secops:screen_bigscreen")).content.decode()
    assert "态势" in screen and "setInterval(refresh, 10000)" in screen


def test_the_alert_list_never_names_an_org_outside_the_scope(world: Any) -> None:
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(world.school_admin)
    outside = client.get(reverse("secops:alert_list"), {"org": world.school_c.pk})
    assert outside.status_code == 404 and world.school_c.name not in outside.content.decode()
    inside = client.get(reverse("secops:alert_list"), {"org": world.school_a.pk})
    assert world.school_a.name in inside.content.decode()


# --- creation in bulk --------------------------------------------------------------------------


def _candidate(rule: DetectionRule, org: Any, ip: str, start: dt.datetime, count: int) -> Any:
    from edubase.secops.logs import detect

    return detect.Candidate(
        rule=type("R", (), {"pk": rule.pk, "rule_id": rule.rule_id, "level": rule.level})(),  # type: ignore[arg-type]
        group={"source.ip": ip},
        window_start=start,
        window_end=start + dt.timedelta(minutes=5),
        first_seen=start,
        last_seen=start + dt.timedelta(minutes=1),
        count=count,
        ids=[f"{ip}-{count}"],
        org_path=org.path,
        asset_id=None,
    )


def test_a_batch_creates_its_alerts_together_and_merges_within_the_batch(world: Any) -> None:
    from edubase.secops.logs import detect

    rule = make_rule()
    start = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=30)
    batch = [
        _candidate(rule, world.school_a, "203.0.113.1", start, 10),
        _candidate(rule, world.school_a, "203.0.113.2", start, 20),
        # the same group in the next window: folded into the alert created by the first candidate
        _candidate(rule, world.school_a, "203.0.113.1", start + dt.timedelta(minutes=5), 7),
    ]
    touched = detect.upsert(batch, additive=True)
    assert Alert.objects.count() == 2 and len(touched) == 2
    one = Alert.objects.get(group_key={"source.ip": "203.0.113.1"})
    assert one.event_count == 17 and len(one.window_counts) == 2 and one.org == world.school_a
    # the next batch extends the stored alerts (bulk UPDATE) instead of creating new ones
    detect.upsert([_candidate(rule, world.school_a, "203.0.113.2", start, 5)], additive=True)
    assert Alert.objects.count() == 2
    assert Alert.objects.get(group_key={"source.ip": "203.0.113.2"}).event_count == 25


def test_a_dedup_key_taken_meanwhile_extends_the_other_detectors_alert(world: Any) -> None:
    from edubase.secops.logs import detect

    rule = make_rule()
    start = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=30)
    mine = _candidate(rule, world.school_a, "203.0.113.7", start, 4)
    other = _candidate(rule, world.school_a, "203.0.113.8", start, 3)
    # another detector stored the same window after our lookup: the bulk INSERT hits the unique key
    theirs = detect._new(mine, {world.school_a.path: world.school_a})
    theirs.save()
    fresh = [detect._new(mine, {}), detect._new(other, {})]
    merged = {id(fresh[0]): [mine], id(fresh[1]): [other]}
    saved = detect._insert(fresh, merged, additive=True)
    assert Alert.objects.count() == 2
    theirs.refresh_from_db()
    assert theirs.event_count == 8 and saved[0].pk == theirs.pk and saved[1].pk is not None
