"""The single worker's fast paths give the alerts the plain paths give: the in-memory correlation
state (vs counting over the store), the shared-expression prefilter (vs each rule's own condition),
the GeoIP /24 cache (vs the database reader), the prefetching worker (a failing parse is retried)."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edubase.secops.logs import detect, parsers
from edubase.secops.logs.store.base import batch_table
from edubase.secops.models.detection import Alert, DetectionRule

T0 = dt.datetime(2025, 3, 3, 2, 0, 10, tzinfo=dt.UTC)
SSHD = "<38>Mar  3 10:00:00 srv01 sshd[1234]:"
CLF = "- - [03/Mar/2025:10:00:00 +0800]"
RECEIVED = dt.datetime(2025, 3, 3, 2, 30, tzinfo=dt.UTC)
BRUTE = "6f1b7a52-5d0c-4e57-9a55-1a0e3c9b0a02"
SPRAY = "6f1b7a52-5d0c-4e57-9a55-1a0e3c9b0a03"
SUCCESS_AFTER = "6f1b7a52-5d0c-4e57-9a55-1a0e3c9b0a06"
PROBING = "6f1b7a52-5d0c-4e57-9a55-1a0e3c9b0a10"


def traffic(org_path: str) -> list[dict[str, Any]]:
    """Parsed sshd and nginx lines over 20 minutes: a brute force, a spray, a success after
    failures, 404 probing, a few web attacks, and benign traffic around them."""
    rng = random.Random(5)
    lines: list[tuple[float, str]] = []
    for i in range(400):  # benign
        ip = f"10.1.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        lines.append(
            (
                rng.uniform(0, 1200),
                f"{SSHD} Accepted publickey for deploy from {ip} port 52311 ssh2",
            )
        )
        path = rng.choice(["/", "/index.php", "/news/1.html", "/login"])
        lines.append(
            (
                rng.uniform(0, 1200),
                f'36.1.{i % 200}.{i % 250 + 1} {CLF} "GET {path} HTTP/1.1" 200 512 "-" "Mozilla/5.0"',
            )
        )
    for i in range(40):  # brute force on root from one address (straddles a 5-minute boundary)
        lines.append(
            (
                280 + i * 2.0,
                f"{SSHD} Failed password for root from 203.0.113.7 port {40000 + i} ssh2",
            )
        )
    for i in range(25):  # spraying: one address, many accounts
        lines.append(
            (
                600 + i * 3.0,
                f"{SSHD} Failed password for user{i} from 203.0.113.8 port {41000 + i} ssh2",
            )
        )
    for i in range(12):  # many failures, then a success
        lines.append(
            (
                900 + i,
                f"{SSHD} Failed password for admin from 203.0.113.9 port {42000 + i} ssh2",
            )
        )
    lines.append((915, f"{SSHD} Accepted password for admin from 203.0.113.9 port 42100 ssh2"))
    for i in range(70):  # 404 probing within a minute
        lines.append(
            (
                1000 + i * 0.5,
                f'198.51.100.4 {CLF} "GET /x{i}.php HTTP/1.1" 404 0 "-" "curl/8.5.0"',
            )
        )
    for i, path in enumerate(["/index.php?id=1%27%20UNION%20SELECT%20a,b%20FROM%20users--", "/../../etc/passwd"]):
        lines.append(
            (
                700 + i,
                f'36.9.9.{i + 1} {CLF} "GET {path} HTTP/1.1" 200 1 "-" "Mozilla/5.0"',
            )
        )
    lines.sort()
    events = []
    for n, (offset, text) in enumerate(lines):
        hint = "nginx" if '"GET' in text else "sshd"
        event = parsers.parse(text, hint=hint, received_at=RECEIVED, host_ip="10.0.0.1")
        assert event["edubase.parsed"], text
        event["@timestamp"] = T0 + dt.timedelta(seconds=offset)
        event["event.id"] = f"s-1:{n * 100}"
        event["edubase.org_path"] = org_path
        events.append(event)
    return events


@pytest.fixture
def bundled(db: Any) -> dict[str, DetectionRule]:
    from edubase.secops.logs.sigma import packs

    packs.import_bundled()
    detect.CACHE.invalidate()
    return {r.rule_id: r for r in DetectionRule.objects.all()}


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    from edubase.secops.logs.store import DuckDBStore

    a, b = DuckDBStore(tmp_path / "a"), DuckDBStore(tmp_path / "b")
    yield a, b
    a.close()
    b.close()


def summary() -> list[tuple[Any, ...]]:
    return sorted(
        (
            a.rule.rule_id,
            json.dumps(a.group_key, sort_keys=True),
            a.event_count,
            a.window_start.isoformat(),
            tuple(sorted(a.event_ids)),
            json.dumps(a.window_counts, sort_keys=True),
        )
        for a in Alert.objects.select_related("rule")
    )


def replay(
    events: list[dict[str, Any]], store: Any, *, with_state: bool, batch: int = 97
) -> tuple[list[tuple[Any, ...]], detect.CorrelationState | None]:
    """Write and evaluate micro-batches; with the state, the worker "restarts" half-way (a new,
    empty state seeds itself from the store) and one batch is evaluated twice (a retry)."""
    state = detect.CorrelationState() if with_state else None
    chunks = [events[i : i + batch] for i in range(0, len(events), batch)]
    for n, chunk in enumerate(chunks):
        table = batch_table(chunk)
        store.write(table)
        if with_state and n == len(chunks) // 2:
            state = detect.CorrelationState()
        detect.evaluate_batch(chunk, store, table=table, state=state)
        if n == 3:
            detect.evaluate_batch(chunk, store, table=table, state=state)
    detect.CACHE.invalidate()
    return summary(), state


def test_correlations_over_the_state_give_the_alerts_the_store_gives(
    world: Any, bundled: Any, stores: tuple[Any, Any]
) -> None:
    events = traffic(world.school_a.path)
    plain, _none = replay(events, stores[0], with_state=False)
    Alert.objects.all().delete()
    held, state = replay(events, stores[1], with_state=True)
    assert held == plain
    assert state is not None and state.covered_from is not None  # the state served the correlations
    assert state.con.execute("select count(*) from hits").fetchall()[0][0] > 100
    fired = {row[0] for row in plain}
    assert {BRUTE, SPRAY, SUCCESS_AFTER, PROBING} <= fired, fired


def test_a_retried_batch_is_held_once_and_late_windows_fall_back_to_the_store(
    world: Any, bundled: Any, stores: tuple[Any, Any]
) -> None:
    store = stores[0]
    state = detect.CorrelationState()
    events = traffic(world.school_a.path)
    brute = [e for e in events if e["source.ip"] == "203.0.113.7"]
    table = batch_table(brute)
    store.write(table)
    detect.evaluate_batch(brute, store, table=table, state=state)
    detect.evaluate_batch(brute, store, table=table, state=state)
    assert state.con.execute('select count(*), count(distinct "event.id") from hits').fetchall() == [(40, 40)]
    # the state now covers only recent windows: a window far older is counted over the store
    assert state.covered_from is not None
    assert not state.covers(state.covered_from - dt.timedelta(seconds=1))
    alert = Alert.objects.get(rule__rule_id=BRUTE)
    assert alert.event_count == 35  # 5 of the 40 fall in the 5-minute window before (below the threshold)


def test_prefilter_flags_match_each_rules_own_condition(world: Any, bundled: Any) -> None:
    import duckdb

    table = batch_table(traffic(world.school_a.path))
    rules = [r for r in detect.CACHE.rules() if r.maybe_active and r.standalone]
    result = detect.prefilter(table, rules)
    assert result is not None
    hits, hit = result
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    con.register("b", table)
    expected_rows: set[str] = set()
    expected_rules = set()
    for rule in rules:
        ids = {r[0] for r in con.execute(f'select "event.id" from b where {rule.where}').fetchall()}  # noqa: S608
        expected_rows |= ids
        if ids:
            expected_rules.add(rule.pk)
    assert set(hits.column("event.id").to_pylist()) == expected_rows
    assert hit == expected_rules
    assert hits.schema.equals(table.schema)


def test_geoip_prefix_cache_answers_like_the_database_reader() -> None:
    from edubase.secops.logs.enrich import _record, geoip

    geo = geoip()
    assert geo is not None
    rng = random.Random(11)
    for _ in range(3000):
        first = rng.choice([1, 27, 36, 42, 61, 123, 8, 185])
        ip = f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
        record = geo.record(ip)
        assert geo._lookup(ip) == (_record(record) if record else None), ip
        assert geo._lookup(ip) == (_record(record) if record else None), ip  # from the cache


def test_a_failing_parse_is_retried_by_the_prefetching_worker(tmp_path: Path) -> None:
    import threading
    import time

    from edubase.secops.logs import pipeline
    from edubase.secops.logs.ingest.server import run_local_worker
    from edubase.secops.logs.ingest.spool import KIND_SYSLOG, Record, SpoolWriter, read_offset

    stored: list[str] = []

    class Store:
        def write(self, events: Any) -> int:
            stored.extend(e["event.id"] for e in events)
            return len(events)

    failures = {"left": 2}

    def enrich(event: dict[str, Any], source_id: int) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("enricher not ready")

    comps = pipeline.Components(parse=parsers.parse, store=Store(), enrich=enrich)
    comps.refreshed_at = time.monotonic()
    writer = SpoolWriter(tmp_path / "spool")
    ids = writer.append(
        [Record(1.7e9, 1, KIND_SYSLOG, "10.0.0.1", b"<38>Mar  3 10:00:00 h sshd[1]: Failed password") for _ in range(5)]
    )
    writer.sync()
    stop = threading.Event()
    worker = threading.Thread(target=run_local_worker, args=(tmp_path / "spool", comps), kwargs={"stop": stop})
    worker.start()
    deadline = time.monotonic() + 15
    while len(stored) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    worker.join(15)
    assert stored == ids
    assert read_offset(tmp_path / "spool", "processor") != (0, 0)


def test_correlations_whose_groups_are_independent_are_narrowed_to_the_batchs_groups(bundled: Any) -> None:
    by_id = {r.rule_id: r for r in detect.CACHE.rules()}
    assert by_id[BRUTE].group_by == ("source.ip",)
    assert by_id[PROBING].group_by == ("source.ip",)
    # success after failures chains a correlation (many failures) that groups by the same field
    assert by_id[SUCCESS_AFTER].group_by == ("source.ip",)


def test_a_chained_correlation_grouped_by_other_fields_is_not_narrowed(db: Any) -> None:
    def rule(pk: int, name: str, kind: str, group_by: list[str], refs: list[str]) -> DetectionRule:
        compiled = {"group_by": group_by, "references": refs} if kind == "correlation" else {}
        return DetectionRule(pk=pk, rule_id=name, kind=kind, compiled=compiled)

    atomic = rule(1, "fail", "atomic", [], [])
    by_user = rule(2, "by_user", "correlation", ["user.name"], ["fail"])
    by_both = rule(3, "by_both", "correlation", ["source.ip", "user.name"], ["fail"])
    names = {r.rule_id: r for r in (atomic, by_user, by_both)}
    outer_other = rule(4, "outer", "correlation", ["source.ip"], ["by_user", "fail"])
    outer_within = rule(5, "outer2", "correlation", ["source.ip"], ["by_both", "fail"])
    missing = rule(6, "outer3", "correlation", ["source.ip"], ["nowhere"])
    assert detect._group_by(outer_other, names) == ()
    assert detect._group_by(outer_within, names) == ("source.ip",)
    assert detect._group_by(missing, names) == ()


#: one or more payloads for each bundled web rule, and benign look-alikes
_OWN_PAYLOADS = (
    "1' UNION SELECT username,password FROM users--", "1 AND 1=1", "1; DROP TABLE users", "sleep(5)",
    "1' OR '1'='1", "admin'--", "information_schema.tables", "0x41424344454647", "order by 3",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)", "<svg/onload=alert(1)>",
    "../../../../etc/passwd", "..%252f..%252fetc/passwd", "....//....//boot.ini", "c:\\windows\\win.ini",
    "/proc/self/environ", "WEB-INF/web.xml", ";cat /etc/passwd", "| whoami", "&& ping -c 1 x", "$(id)", "`uname -a`",
    "shell.php", "cmd.jsp", "/uploads/x.aspx", "sqlmap/1.8", "Nikto/2.5", "nuclei - open-source", "Mozilla/5.0 zgrab",
    "select a book from the shelf", "union square", "a.b?c=d", "caf\u00e9 中文 学校", "order of events", "script.js",
    "/static/app.js", "100%", "x' y", "etc/pass", "..", "whoami is a game",
)  # fmt: skip


def _payload_table(org_path: str) -> Any:
    """The test traffic plus access lines carrying the shared web-payload set (attacks and benign
    strings) in the query string and the user agent, and sshd lines with the same text."""
    import csv
    from urllib.parse import quote

    data = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "web-payloads" / "payload_train.csv"
    rng = random.Random(3)
    payloads = list(_OWN_PAYLOADS)  # always; the shared set adds thousands where it is present
    if data.exists():
        with open(data, newline="", encoding="utf-8") as f:
            payloads += rng.sample([row["payload"] for row in csv.DictReader(f)], 4000)
    events = traffic(org_path)
    for i, payload in enumerate(payloads):
        ua = payload if i % 3 == 0 else "Mozilla/5.0"
        line = f'36.1.2.{i % 250 + 1} {CLF} "GET /q?s={quote(payload, safe="/=&")} HTTP/1.1" 200 5 "-" "{ua}"'
        events.append(parsers.parse(line, received_at=RECEIVED))
        if i % 4 == 0:
            events.append(parsers.parse(f"{SSHD} {payload[:200]}", received_at=RECEIVED))
    # near misses of every literal the bundled conditions search for: one punctuation mark replaced
    # at a time (an unescaped "." or "?" in a folded pattern would match these)
    shared = detect._shared_projection([r.where for r in detect.CACHE.rules() if r.where])[0]
    literals = {t.group(3).replace("''", "'") for c in shared for t in detect._TERM.finditer(c)}
    assert len(literals) > 50
    for i, literal in enumerate(sorted(literals)):
        marks = [j for j, ch in enumerate(literal) if not ch.isalnum() and ch != " "]
        for text in (literal, *(literal[:j] + "x" + literal[j + 1 :] for j in marks)):
            target = text.replace(" ", "%20").replace('"', "%22")  # as written, not re-encoded
            line = f'36.1.3.{i % 250 + 1} {CLF} "GET /n?s={target} HTTP/1.1" 404 5 "-" "{text}"'
            events.append(parsers.parse(line, received_at=RECEIVED))
            events.append(parsers.parse(f"{SSHD} {text} from 203.0.113.{i % 250} port 22", received_at=RECEIVED))
    for i, e in enumerate(events):
        e["event.id"] = f"p{i}"
    return batch_table(events)


def test_folded_alternatives_and_guarded_projections_select_the_same_rows(world: Any, bundled: Any) -> None:
    """The prefilter's rewrites of each bundled condition (value lists folded into one regular
    expression, shared expressions computed only for the datasets that use them) select exactly
    the rows the condition itself selects, on the shared web-payload set."""
    import duckdb

    table = _payload_table(world.school_a.path)
    rules = [r for r in detect.CACHE.rules() if r.maybe_active and r.standalone]
    conds = list(dict.fromkeys(f"({r.where})" for r in rules))
    shared, projection, _names = detect._shared_projection(conds)
    folded = [detect._merge_alternatives(c) for c in shared]
    assert sum(a != b for a, b in zip(shared, folded, strict=True)) >= 5  # the rewrite is exercised
    con = duckdb.connect(":memory:")
    con.register("b", table)
    con.execute(f"CREATE TABLE p AS SELECT *, {projection} FROM b")  # noqa: S608
    matched = 0
    for original, rewritten in zip(conds, folded, strict=True):
        want = {r[0] for r in con.execute(f'select "event.id" from b where {original}').fetchall()}  # noqa: S608
        got = {r[0] for r in con.execute(f'select "event.id" from p where {rewritten}').fetchall()}  # noqa: S608
        assert got == want, original[:200]
        matched += bool(want)
    assert matched >= 6


def test_dataset_guard_and_folding_read_the_condition_text_exactly() -> None:
    g = detect.dataset_guard
    assert g("""("event.dataset" IN ('sshd', 'pam') AND (x))""") == {"sshd", "pam"}
    assert g("""(("event.dataset" IN ('a') AND (p OR q)) OR ("event.dataset" IN ('o''k', 'b') AND (r)))""") == {
        "a",
        "o'k",
        "b",
    }
    assert g("""("event.dataset" IN ('a') AND (x)) OR y""") is None  # one part unguarded
    assert g("""(x) OR ("event.dataset" IN ('a') AND (y))""") is None
    assert g("""("event.dataset" IN ('a) OR (') AND (x))""") == {"a) OR ("}  # parentheses inside a literal
    assert g(""""event.dataset" = 'a' AND x""") is None
    fold = detect._merge_alternatives
    chain = (
        """coalesce(contains("c", 'a.b'), false) OR coalesce(regexp_matches("d", '(?i)x'), false)"""
        """ OR coalesce(contains("c", 'it''s'), false) OR coalesce(regexp_matches("c", '^z$'), false)"""
    )
    assert fold(chain) == (
        """(coalesce(regexp_matches("c", 'a\\.b|it\\''s|(?:^z$)'), false)"""
        """ OR coalesce(regexp_matches("d", '(?i)x'), false))"""
    )
    single = """coalesce(contains("c", 'a'), false) OR coalesce(contains("d", 'b'), false)"""
    assert fold(single) == single  # nothing to fold


def test_a_rewrite_duckdb_refuses_falls_back_to_the_sql_as_written(
    world: Any, bundled: Any, stores: tuple[Any, Any], monkeypatch: Any
) -> None:
    """A folded pattern RE2 will not compile (an imported pack with a huge value list) must cost
    speed, never a hit or an alert: the prefilter and the correlation state rerun as written."""
    events = traffic(world.school_a.path)
    table = batch_table(events)
    rules = [r for r in detect.CACHE.rules() if r.maybe_active and r.standalone]
    want = detect.prefilter(table, rules)
    plain, _state = replay(events, stores[0], with_state=False)
    Alert.objects.all().delete()
    monkeypatch.setattr(detect, "_merge_alternatives", lambda c: f"(regexp_matches('x', '(') OR {c})")
    detect._held_sql.cache_clear()
    try:
        got = detect.prefilter(table, rules)
        assert want is not None and got is not None
        assert got[0].column("event.id").to_pylist() == want[0].column("event.id").to_pylist()
        assert got[1] == want[1]
        held, state = replay(events, stores[1], with_state=True)
        assert held == plain and state is not None and state.covered_from is not None
    finally:
        detect._held_sql.cache_clear()
