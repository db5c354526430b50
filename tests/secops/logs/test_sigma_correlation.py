"""Correlation rules (event_count, value_count, temporal, temporal_ordered) on DuckDB and chDB, and the
sshd brute-force / spraying measurement: generated logs, known attacks mixed into benign traffic."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from edubase.secops.logs.sigma.compiler import compile_documents
from edubase.secops.logs.sigma.ruletest import RULES_DIR, ClickHouseEvents, DuckDBEvents, load_rules

T0 = dt.datetime(2025, 3, 1, 2, 0, tzinfo=dt.UTC)
CORR = "title: c\nname: c\ncorrelation: "
ATOMS = """
title: fail
name: fail
logsource: {product: linux, service: sshd}
detection:
  k: ['Failed password']
  condition: k
---
title: ok
name: ok
logsource: {product: linux, service: sshd}
detection:
  k: ['Accepted password']
  condition: k
"""


@pytest.fixture(params=["duckdb", "clickhouse"])
def engine(request):  # type: ignore[no-untyped-def]
    db = DuckDBEvents() if request.param == "duckdb" else ClickHouseEvents()
    yield db
    db.close()


def ssh(i: int, ip: str, user: str, *, ok: bool = False, at: float = 0.0) -> dict[str, object]:
    verb = "Accepted" if ok else "Failed"
    return {
        "event.id": f"e{i}",
        "event.dataset": "sshd",
        "@timestamp": T0 + dt.timedelta(seconds=at),
        "source.ip": ip,
        "user.name": user,
        "message": f"{verb} password for {user} from {ip} port 4000 ssh2",
    }


def run(db, corr: str, events: list[dict[str, object]], name: str = "c") -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    rules, failures = compile_documents([("r.yml", ATOMS + "---\n" + corr)])
    assert not failures, failures
    rule = next(r for r in rules if r.name == name)
    db.load(events)
    return db.query(rule.compiled[db.dialect])  # type: ignore[no-any-return]


def test_event_count_one_row_per_group_and_window(engine) -> None:  # type: ignore[no-untyped-def]
    corr = CORR + "{type: event_count, rules: [fail], group-by: [source.ip], timespan: 5m, condition: {gte: 10}}\n"
    events = [ssh(i, "203.0.113.9", "root", at=i * 2) for i in range(40)]  # 40 failures in 80 s
    events += [ssh(100 + i, "198.51.100.1", "alice", at=i * 30) for i in range(3)]
    rows = run(engine, corr, events)
    assert len(rows) == 1  # not 40, not 31: one alert row per (rule, group, window)
    row = rows[0]
    assert row["source.ip"] == "203.0.113.9" and row["event_count"] == 40
    assert len(row["event_ids"]) == 40 and row["event_ids"][0] == "e0"
    assert str(row["window_start"]).startswith("2025-03-01") and "02:00:00" in str(row["window_start"])


def test_value_count_and_range_condition(engine) -> None:  # type: ignore[no-untyped-def]
    corr = (
        "title: c\nname: c\ncorrelation:\n  type: value_count\n  rules: [fail]\n  group-by: [source.ip]\n"
        "  timespan: 10m\n  condition: {gte: 3, lte: 5, field: user.name}\n"
    )
    events = [ssh(i, "203.0.113.1", f"u{i}", at=i) for i in range(4)]  # 4 users: in range
    events += [ssh(10 + i, "203.0.113.2", f"u{i}", at=i) for i in range(8)]  # 8 users: above range
    events += [ssh(20 + i, "203.0.113.3", "root", at=i) for i in range(9)]  # one user
    rows = run(engine, corr, events)
    assert [(r["source.ip"], r["value_count"]) for r in rows] == [("203.0.113.1", 4)]


def test_temporal_unordered_and_ordered(engine) -> None:  # type: ignore[no-untyped-def]
    unordered = CORR + "{type: temporal, rules: [fail, ok], group-by: [source.ip], timespan: 10m}\n"
    ordered = CORR + "{type: temporal_ordered, rules: [fail, ok], group-by: [source.ip], timespan: 10m}\n"
    events = [ssh(0, "203.0.113.5", "root", at=0), ssh(1, "203.0.113.5", "root", ok=True, at=30)]
    events += [ssh(2, "203.0.113.6", "bob", ok=True, at=0), ssh(3, "203.0.113.6", "bob", at=30)]  # reversed
    events += [ssh(4, "203.0.113.7", "eve", at=0)]  # only one of the two
    assert sorted(r["source.ip"] for r in run(engine, unordered, events)) == ["203.0.113.5", "203.0.113.6"]
    assert [r["source.ip"] for r in run(engine, ordered, events)] == ["203.0.113.5"]


def test_aliases_map_different_fields(engine) -> None:  # type: ignore[no-untyped-def]
    corr = (
        "title: c\nname: c\ncorrelation:\n  type: temporal\n  rules: [fail, ok]\n  group-by: [who]\n  timespan: 5m\n"
        "  aliases:\n    who: {fail: user.name, ok: user.name}\n"
    )
    events = [ssh(0, "1.1.1.1", "root", at=0), ssh(1, "2.2.2.2", "root", ok=True, at=10)]
    rows = run(engine, corr, events)
    assert [r["user.name"] for r in rows] == ["root"]


def test_unsupported_correlations_are_reported() -> None:
    bad = [
        CORR + "{type: value_sum, rules: [fail], group-by: [source.ip], timespan: 5m,"
        " condition: {gte: 1, field: source.port}}\n",
        CORR + "{type: event_count, rules: [nope], group-by: [source.ip], timespan: 5m, condition: {gte: 1}}\n",
        CORR + "{type: event_count, rules: [fail], group-by: [CommandLine], timespan: 5m, condition: {gte: 1}}\n",
    ]
    for text in bad:
        rules, failures = compile_documents([("r.yml", ATOMS + "---\n" + text)])
        assert [f for f in failures if f[1] == "c"], text
        assert all(not r.error for r in rules if r.name in ("fail", "ok"))


# --- measured: generated sshd logs, known attacks inside benign traffic ---------------------------


def sshd_line(when: dt.datetime, host: str, msg: str) -> str:
    return f"{when.strftime('%b %e %H:%M:%S')} {host} sshd[{random.randrange(1000, 9999)}]: {msg}"


def generated_auth_log(seed: int = 6) -> tuple[list[str], dict[str, set[str]]]:
    """~2 hours of sshd logs on 5 servers: benign users (a few typos, then success) and known attacks."""
    rng = random.Random(seed)
    lines: list[tuple[dt.datetime, str]] = []
    hosts = [f"srv{i}" for i in range(5)]
    # benign: 60 staff, each logs in 1–6 times, sometimes after 1–3 typos
    for n in range(60):
        ip, user = f"10.{n // 20}.{n % 20}.{rng.randrange(2, 250)}", f"staff{n:02d}"
        for _ in range(rng.randrange(1, 7)):
            t = T0 + dt.timedelta(seconds=rng.randrange(0, 7200))
            host = rng.choice(hosts)
            for _typo in range(rng.choice([0, 0, 0, 1, 2, 3])):
                lines.append(
                    (
                        t,
                        sshd_line(
                            t, host, f"Failed password for {user} from {ip} port {rng.randrange(30000, 60000)} ssh2"
                        ),
                    )
                )
                t += dt.timedelta(seconds=rng.randrange(3, 20))
            lines.append(
                (
                    t,
                    sshd_line(
                        t, host, f"Accepted password for {user} from {ip} port {rng.randrange(30000, 60000)} ssh2"
                    ),
                )
            )
    attacks: dict[str, set[str]] = {"bruteforce": set(), "spraying": set(), "success": set()}
    # brute force: 3 attackers, 30–80 attempts on root/admin within 1–3 minutes
    for k in range(3):
        ip, t = f"203.0.113.{10 + k}", T0 + dt.timedelta(seconds=rng.randrange(0, 6000))
        for _ in range(rng.randrange(30, 80)):
            user = rng.choice(["root", "admin"])
            lines.append(
                (
                    t,
                    sshd_line(
                        t,
                        rng.choice(hosts),
                        f"Failed password for {user} from {ip} port {rng.randrange(30000, 60000)} ssh2",
                    ),
                )
            )
            t += dt.timedelta(seconds=rng.uniform(0.5, 2.5))
        attacks["bruteforce"].add(ip)
    # spraying: 2 attackers, one attempt for each of 12–25 accounts within 4 minutes
    for k in range(2):
        ip, t = f"198.18.0.{20 + k}", T0 + dt.timedelta(seconds=rng.randrange(0, 6000))
        for u in range(rng.randrange(12, 25)):
            lines.append(
                (t, sshd_line(t, "srv0", f"Failed password for invalid user t{u:03d} from {ip} port 40000 ssh2"))
            )
            t += dt.timedelta(seconds=rng.uniform(5, 10))
        attacks["spraying"].add(ip)
    # a brute force that succeeds
    ip, t = "192.0.2.77", T0 + dt.timedelta(seconds=3000)
    for _ in range(25):
        lines.append((t, sshd_line(t, "srv3", f"Failed password for oracle from {ip} port 41000 ssh2")))
        t += dt.timedelta(seconds=1)
    lines.append((t, sshd_line(t, "srv3", f"Accepted password for oracle from {ip} port 41001 ssh2")))
    attacks["bruteforce"].add(ip)
    attacks["success"].add(ip)
    lines.sort(key=lambda p: p[0])
    return [text for _t, text in lines], attacks


@pytest.mark.parametrize("dialect", ["duckdb", "clickhouse"])
def test_sshd_attacks_all_found_and_benign_silent(dialect: str) -> None:
    from edubase.secops.logs import parsers

    lines, attacks = generated_auth_log()
    received = T0 + dt.timedelta(hours=3)
    events = []
    for i, text in enumerate(lines):
        ev = parsers.parse(text, hint="sshd", received_at=received)
        ev["event.id"] = f"l{i}"
        events.append(ev)
    assert all(ev["event.dataset"] == "sshd" and ev["source.ip"] for ev in events)
    rules = {r.name: r for r in load_rules(RULES_DIR)}
    db = DuckDBEvents() if dialect == "duckdb" else ClickHouseEvents()
    try:
        db.load(events)
        got = {
            key: {str(r["source.ip"]) for r in db.query(rules[name].compiled[dialect])}
            for key, name in [
                ("bruteforce", "edubase_ssh_bruteforce"),
                ("spraying", "edubase_ssh_password_spraying"),
                ("success", "edubase_ssh_success_after_failures"),
            ]
        }
    finally:
        db.close()
    hostile = set().union(*attacks.values())
    for key, expected in attacks.items():
        assert expected <= got[key], (key, expected - got[key])  # no missed attack
        assert got[key] <= hostile, (key, got[key] - hostile)  # no alert on the benign part
    assert got["success"] == attacks["success"]
    assert got["spraying"] == attacks["spraying"]  # brute forcing one account is not spraying
