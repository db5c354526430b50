"""Detection runtime: micro-batches → deduplicated alerts, switches per scope, exceptions, hunts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from edubase.secops.logs import detect
from edubase.secops.logs.schema import empty
from edubase.secops.models.detection import Alert, DetectionRule, RuleException, RuleScope

BRUTE = "6f1b7a52-5d0c-4e57-9a55-1a0e3c9b0a02"  # SSH 暴力破解 (bundled, event_count ≥ 10 in 5 min)
FAILED = "6f1b7a52-5d0c-4e57-9a55-1a0e3c9b0a01"  # SSH 失败口令登录 (its base rule)
T0 = dt.datetime(2025, 3, 3, 2, 0, 10, tzinfo=dt.UTC)  # 10 s after a 5-minute boundary


def ssh_failures(
    n: int,
    *,
    ip: str = "203.0.113.9",
    org_path: str = "",
    start: dt.datetime = T0,
    span_s: float = 120.0,
    prefix: str = "e",
    user: str = "root",
    asset_id: int | None = None,
) -> list[dict[str, Any]]:
    """``n`` sshd password failures from ``ip`` spread over ``span_s`` seconds."""
    events = []
    for i in range(n):
        e = empty()
        at = start + dt.timedelta(seconds=span_s * i / max(n, 1))
        e.update(
            {
                "@timestamp": at,
                "event.id": f"{prefix}{i:06d}",
                "event.ingested": at,
                "event.dataset": "sshd",
                "event.category": "authentication",
                "event.action": "ssh_login",
                "event.outcome": "failure",
                "message": f"Failed password for {user} from {ip} port {40000 + i} ssh2",
                "log.original": f"sshd[1]: Failed password for {user} from {ip} port {40000 + i} ssh2",
                "host.name": "web01",
                "source.ip": ip,
                "user.name": user,
                "process.name": "sshd",
                "edubase.org_path": org_path or None,
                "edubase.asset_id": asset_id,
                "edubase.parsed": True,
            }
        )
        events.append(e)
    return events


@pytest.fixture
def store(tmp_path: Any) -> Iterator[Any]:
    from edubase.secops.logs.store import DuckDBStore

    s = DuckDBStore(tmp_path / "events")
    yield s
    s.close()


@pytest.fixture
def bundled(db: Any) -> dict[str, DetectionRule]:
    from edubase.secops.logs.sigma import packs

    packs.import_bundled()
    detect.CACHE.invalidate()
    return {r.rule_id: r for r in DetectionRule.objects.all()}


def run(events: list[dict[str, Any]], store: Any, batch: int = 100) -> list[Alert]:
    """Feed ``events`` as the pipeline does: write each micro-batch, then evaluate it."""
    touched: list[Alert] = []
    for i in range(0, len(events), batch):
        chunk = events[i : i + batch]
        store.write(chunk)
        touched += detect.evaluate_batch(chunk, store)
    detect.CACHE.invalidate()
    return touched


def test_ssh_brute_force_of_500_failures_is_one_alert(world: Any, bundled: Any, store: Any) -> None:
    events = ssh_failures(500, org_path=world.school_a.path)
    run(events, store, batch=50)
    alerts = list(Alert.objects.filter(rule__rule_id=BRUTE))
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.event_count == 500
    assert alert.group_key == {"source.ip": "203.0.113.9"}
    assert alert.org_id == world.school_a.pk and alert.org_path == world.school_a.path
    assert alert.severity == "high"
    assert len(alert.event_ids) == 100 and alert.event_ids[0] == "e000000"
    assert alert.first_seen == T0
    # the base rule of the correlation raises no alerts of its own (Sigma: generate defaults to false)
    assert not Alert.objects.filter(rule__rule_id=FAILED).exists()
    assert Alert.objects.count() == 1, [(a.rule.title, a.event_count) for a in Alert.objects.all()]


def test_brute_force_straddling_a_window_boundary_stays_one_alert(world: Any, bundled: Any, store: Any) -> None:
    start = dt.datetime(2025, 3, 3, 2, 3, 0, tzinfo=dt.UTC)  # 2 minutes over the 02:05 boundary
    run(ssh_failures(120, org_path=world.school_a.path, start=start, span_s=240), store, batch=30)
    alerts = list(Alert.objects.filter(rule__rule_id=BRUTE))
    assert len(alerts) == 1
    assert alerts[0].event_count == 120
    assert len(alerts[0].window_counts) == 2
    assert alerts[0].window_start == dt.datetime(2025, 3, 3, 2, 0, tzinfo=dt.UTC)
    assert alerts[0].window_end == dt.datetime(2025, 3, 3, 2, 10, tzinfo=dt.UTC)


def test_dedup_key_is_sm3_of_rule_group_and_window(world: Any, bundled: Any, store: Any) -> None:
    run(ssh_failures(20, org_path=world.school_a.path), store)
    alert = Alert.objects.get(rule__rule_id=BRUTE)
    window = dt.datetime(2025, 3, 3, 2, 0, tzinfo=dt.UTC)
    assert alert.dedup_key == detect.dedup_key(BRUTE, {"source.ip": "203.0.113.9"}, window)
    assert len(alert.dedup_key) == 64


def test_replaying_the_same_window_does_not_duplicate_or_inflate(world: Any, bundled: Any, store: Any) -> None:
    events = ssh_failures(30, org_path=world.school_a.path)
    run(events, store)
    run(events, store)  # a replay: the store skips known ids, the window count is replaced, not added
    alert = Alert.objects.get(rule__rule_id=BRUTE)
    assert alert.event_count == 30
    assert len(alert.event_ids) == 30


def test_below_threshold_raises_nothing(world: Any, bundled: Any, store: Any) -> None:
    run(ssh_failures(9, org_path=world.school_a.path), store)
    assert not Alert.objects.exists()


def test_two_attackers_two_alerts_each_with_its_school(world: Any, bundled: Any, store: Any) -> None:
    a = ssh_failures(15, ip="203.0.113.9", org_path=world.school_a.path, prefix="a")
    c = ssh_failures(15, ip="198.51.100.77", org_path=world.school_c.path, prefix="c")
    run(a + c, store)
    orgs = {a.group_key["source.ip"]: a.org_id for a in Alert.objects.all()}
    assert orgs == {"203.0.113.9": world.school_a.pk, "198.51.100.77": world.school_c.pk}


def test_attack_on_two_schools_goes_to_their_common_county_or_above(world: Any, bundled: Any, store: Any) -> None:
    a = ssh_failures(8, org_path=world.school_a.path, prefix="a")
    b = ssh_failures(8, org_path=world.school_b.path, prefix="b", start=T0 + dt.timedelta(seconds=1))
    run(a + b, store)
    alert = Alert.objects.get(rule__rule_id=BRUTE)
    assert alert.org_id == world.zhengzhou.pk  # 中原区 and 金水区 meet at 郑州市


def test_rule_disabled_province_wide_but_enabled_for_one_county(world: Any, bundled: Any, store: Any) -> None:
    rule = bundled[BRUTE]
    rule.enabled = False
    rule.save()
    RuleScope.objects.create(rule=rule, org=world.zhongyuan, org_path=world.zhongyuan.path, enabled=True)
    detect.CACHE.invalidate()
    run(ssh_failures(20, org_path=world.school_a.path, prefix="a"), store)  # 中原区: on
    run(ssh_failures(20, ip="198.51.100.5", org_path=world.school_c.path, prefix="c"), store)  # 洛阳: off
    assert [a.org_id for a in Alert.objects.all()] == [world.school_a.pk]


def test_deepest_scope_wins(world: Any, bundled: Any, store: Any) -> None:
    rule = bundled[BRUTE]
    RuleScope.objects.create(rule=rule, org=world.zhengzhou, org_path=world.zhengzhou.path, enabled=False)
    RuleScope.objects.create(rule=rule, org=world.school_b, org_path=world.school_b.path, enabled=True)
    detect.CACHE.invalidate()
    run(ssh_failures(20, org_path=world.school_a.path, prefix="a"), store)  # 郑州 off
    run(ssh_failures(20, ip="198.51.100.6", org_path=world.school_b.path, prefix="b"), store)  # school B on
    assert [a.org_id for a in Alert.objects.all()] == [world.school_b.pk]


def test_exception_suppresses_in_its_subtree_only(world: Any, bundled: Any, store: Any) -> None:
    rule = bundled[BRUTE]
    RuleException.objects.create(
        rule=rule,
        org=world.zhongyuan,
        org_path=world.zhongyuan.path,
        field="source.ip",
        values=["203.0.113.9"],
        reason="学校自己的漏洞扫描器",
        created_by=world.province_admin,
    )
    detect.CACHE.invalidate()
    run(ssh_failures(20, org_path=world.school_a.path, prefix="a"), store)  # excepted
    run(ssh_failures(20, org_path=world.school_c.path, prefix="c", start=T0 + dt.timedelta(minutes=10)), store)
    assert [a.org_id for a in Alert.objects.all()] == [world.school_c.pk]


def test_exception_on_a_field_outside_the_group_key_uses_the_events(world: Any, bundled: Any, store: Any) -> None:
    rule = bundled[BRUTE]
    RuleException.objects.create(
        rule=rule,
        org=world.school_a,
        org_path=world.school_a.path,
        field="user.name",
        values=["backup"],
        reason="备份账号的已知故障",
        created_by=world.province_admin,
    )
    detect.CACHE.invalidate()
    run(ssh_failures(20, org_path=world.school_a.path, prefix="a", user="backup"), store)
    assert not Alert.objects.exists()
    run(ssh_failures(20, ip="198.51.100.9", org_path=world.school_a.path, prefix="r", user="root"), store)
    assert Alert.objects.count() == 1


def test_rule_cache_reloads_when_a_rule_changes(world: Any, bundled: Any, store: Any) -> None:
    before = detect.CACHE.rules()
    assert any(r.rule_id == BRUTE and r.enabled for r in before)
    DetectionRule.objects.filter(rule_id=BRUTE).update(enabled=False)
    rule = DetectionRule.objects.get(rule_id=BRUTE)
    rule.save(update_fields=["updated_at"])
    detect.CACHE._checked = 0.0  # past the check interval
    assert any(r.rule_id == BRUTE and not r.enabled for r in detect.CACHE.rules())


def test_atomic_rule_alerts_from_the_batch(world: Any, bundled: Any, store: Any) -> None:
    events = []
    for i in range(3):
        e = empty()
        e.update(
            {
                "@timestamp": T0 + dt.timedelta(seconds=i),
                "event.id": f"w{i}",
                "event.dataset": "nginx.access",
                "event.category": "web",
                "source.ip": "203.0.113.50",
                "host.name": "www.school-a.edu.cn",
                "url.original": "/news.php?id=1%27%20union%20select%20password%20from%20users--",
                "url.path": "/news.php",
                "url.query": "id=1%27%20union%20select%20password%20from%20users--",
                "http.request.method": "GET",
                "http.response.status_code": 200,
                "user_agent.original": "Mozilla/5.0",
                "edubase.org_path": world.school_a.path,
                "edubase.parsed": True,
            }
        )
        events.append(e)
    run(events, store)
    alerts = list(Alert.objects.all())
    assert alerts, "the SQL injection rule should fire on the batch"
    assert {a.org_id for a in alerts} == {world.school_a.pk}
    assert all(a.event_count == 3 for a in alerts)


def test_hunt_runs_a_rule_over_history(world: Any, bundled: Any, store: Any) -> None:
    events = ssh_failures(40, org_path=world.school_a.path)
    store.write(events)  # stored without live detection (e.g. detection was down)
    rule = bundled[BRUTE]
    touched = detect.hunt(rule, T0 - dt.timedelta(hours=1), T0 + dt.timedelta(hours=1), store=store)
    assert len(touched) == 1 and touched[0].event_count == 40
    # running it again finds the same alert, not a new one
    detect.hunt(rule, T0 - dt.timedelta(hours=1), T0 + dt.timedelta(hours=1), store=store)
    assert Alert.objects.count() == 1


def test_hunt_due_covers_the_last_day(world: Any, bundled: Any, store: Any) -> None:
    store.write(ssh_failures(40, org_path=world.school_a.path))
    assert detect.hunt_due(T0 + dt.timedelta(hours=3), store=store) == 1
    assert detect.hunt_due(T0 + dt.timedelta(days=2), store=store) == 0
    assert Alert.objects.count() == 1


def test_common_org_path() -> None:
    assert detect.common_org_path(["00010001000100010001", "00010001000100020001"]) == "000100010001"
    assert detect.common_org_path(["0001", ""]) == "0001"
    assert detect.common_org_path([]) == ""
