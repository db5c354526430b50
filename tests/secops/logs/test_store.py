"""The event store: one suite, run against DuckDB files and ClickHouse SQL (on chDB)."""

# ruff: noqa: S608 - test SQL with fixed names

from __future__ import annotations

import datetime as dt
import ipaddress
import subprocess
import sys
import textwrap
import threading
import time
import zoneinfo
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from django.test import override_settings

from edubase.secops.logs import store as store_mod
from edubase.secops.logs.schema import FIELDS, empty
from edubase.secops.logs.store import ClickHouseStore, DuckDBStore, EventStore, get_store, reset_stores
from edubase.secops.logs.store.base import batch_table, bucket_seconds, is_where_clause
from edubase.secops.logs.store.clickhouse import with_cte

UTC = dt.UTC
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
ZY = "0001000100010001"  # an org path (中原区-like subtree)
JS = "0001000100020001"


def ev(i: int, ts: dt.datetime = T0, **fields: Any) -> dict[str, Any]:
    e = empty()
    e.update(
        {
            "@timestamp": ts,
            "event.id": f"seg1:{i}",
            "event.ingested": ts + dt.timedelta(seconds=1),
            "event.dataset": "sshd",
            "event.kind": "event",
            "event.outcome": "failure",
            "message": f"Failed password for root from 203.0.113.{i % 250}",
            "source.ip": f"203.0.113.{i % 250}",
            "edubase.org_path": ZY,
            "edubase.parsed": True,
        }
    )
    e.update(fields)
    return e


@pytest.fixture(params=["duckdb", "clickhouse"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    s: EventStore = (
        DuckDBStore(tmp_path / "events") if request.param == "duckdb" else ClickHouseStore.embedded(tmp_path / "ch")
    )
    yield s
    s.close()


def p(store: EventStore, name: str, typ: str = "String") -> str:
    """A query parameter placeholder in the store's dialect."""
    return f"${name}" if store.dialect == "duckdb" else f"{{{name}:{typ}}}"


def test_dialect(store: EventStore) -> None:
    assert store.dialect == ("duckdb" if isinstance(store, DuckDBStore) else "clickhouse")


# -- round trip ---------------------------------------------------------------------------------


def full_event() -> dict[str, Any]:
    """Every field set, with values that break naive code (CJK, IPv6, quotes, big ints)."""
    sample: dict[str, Any] = {}
    for name, (kind, _m) in FIELDS.items():
        if kind == "ts":
            sample[name] = dt.datetime(2024, 5, 1, 18, 30, 1, 123456, tzinfo=SHANGHAI)  # 10:30:01 UTC
        elif kind == "int":
            sample[name] = 2**40 + len(name)
        elif kind == "bool":
            sample[name] = False
        elif kind == "ip":
            sample[name] = "2001:db8::1:0:0:1"
        else:
            sample[name] = f"郑州市中原区第一中学 {name} 'quote' \"dq\" \\ ✓"
    sample["event.id"] = "rt-1"
    return sample


def test_round_trip_every_field(store: EventStore) -> None:
    sample = full_event()
    assert store.write([sample]) == 1
    [row] = store.query_dicts("SELECT * FROM events")
    assert set(row) == set(FIELDS)
    for name, value in sample.items():
        assert row[name] == value, name
    ts = row["@timestamp"]
    assert ts.utcoffset() == dt.timedelta(0) and ts.hour == 10 and ts.microsecond == 123456
    assert store.query(
        f'SELECT "source.ip" FROM events WHERE "source.geo.city_name" LIKE {p(store, "c")}', {"c": "郑州%"}
    ) == [("2001:db8::1:0:0:1",)]


def test_missing_and_loosely_typed_values(store: EventStore) -> None:
    loose = {
        "event.id": 7,  # not a string
        "event.ingested": dt.datetime(2024, 5, 1, 8, 0),  # naive → UTC; no @timestamp → ingested
        "source.ip": ipaddress.ip_address("::ffff:10.0.0.1"),
        "source.port": "2222",
        "edubase.parsed": "true",
        "not.a.field": "ignored",
    }
    store.write([loose])
    [row] = store.query_dicts("SELECT * FROM events")
    assert row["event.id"] == "7"
    assert row["@timestamp"] == dt.datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    assert row["source.ip"] == "::ffff:a00:1"
    assert row["source.port"] == 2222
    assert row["edubase.parsed"] is True
    assert row["message"] is None and row["http.response.status_code"] is None


# -- idempotency ---------------------------------------------------------------------------------


def test_replay_never_duplicates(store: EventStore) -> None:
    batch = [ev(i, T0 + dt.timedelta(seconds=i)) for i in range(500)]
    assert store.write(batch) == 500
    assert store.write(batch) == 0
    assert store.write(batch[250:] + [ev(i, T0) for i in range(500, 600)]) == 100
    assert store.count() == 600
    # duplicates inside one batch are stored once
    assert store.write([ev(1000), ev(1000), ev(1001)]) == 2
    assert store.query("SELECT count(*) FROM events WHERE \"event.id\" = 'seg1:1000'") == [(1,)]
    assert store.write([]) == 0


# -- partitions -----------------------------------------------------------------------------------


def test_partitions_are_utc_days(store: EventStore) -> None:
    late = dt.datetime(2024, 5, 1, 23, 30, tzinfo=UTC)  # 2024-05-02 07:30 in Shanghai
    early = dt.datetime(2024, 5, 2, 0, 30, tzinfo=UTC)  # 2024-05-02 08:30 in Shanghai
    store.write([ev(1, late), ev(2, early), ev(3, dt.datetime(2024, 5, 2, 7, 0, tzinfo=SHANGHAI))])
    assert store.partitions() == [dt.date(2024, 5, 1), dt.date(2024, 5, 2)]
    # windows may be given in any zone: the Shanghai calendar day 2024-05-02 holds all three
    day_cn = dt.datetime(2024, 5, 2, tzinfo=SHANGHAI)
    assert store.count(since=day_cn, until=day_cn + dt.timedelta(days=1)) == 3
    assert store.count(since=dt.datetime(2024, 5, 2, tzinfo=UTC)) == 1
    assert store.count(until=dt.datetime(2024, 5, 2, tzinfo=UTC)) == 2


def test_duckdb_files_per_day(tmp_path: Path) -> None:
    s = DuckDBStore(tmp_path)
    s.write([ev(1, dt.datetime(2024, 5, 1, 23, 59, tzinfo=UTC)), ev(2, dt.datetime(2024, 5, 2, 0, 0, tzinfo=UTC))])
    assert sorted(f.name for f in tmp_path.glob("*.duckdb")) == ["2024-05-01.duckdb", "2024-05-02.duckdb"]
    s.close()


def test_duckdb_reads_a_partition_older_than_the_schema(tmp_path: Path) -> None:
    """A day written before a field was appended to FIELDS: reads give NULL, writes add it."""
    con = duckdb.connect(str(tmp_path / "2024-04-30.duckdb"))
    con.execute('CREATE TABLE events ("@timestamp" TIMESTAMPTZ, "event.id" VARCHAR, message VARCHAR)')
    con.execute("INSERT INTO events VALUES ('2024-04-30 12:00:00+00', 'old-1', '旧事件')")
    con.close()
    s = DuckDBStore(tmp_path)
    s.write([ev(1, dt.datetime(2024, 5, 1, tzinfo=UTC))])
    rows = s.query('SELECT "event.id", message, "edubase.parsed" FROM events ORDER BY "@timestamp"')
    assert rows[0] == ("old-1", "旧事件", None)
    s.write([ev(2, dt.datetime(2024, 4, 30, 13, 0, tzinfo=UTC))])
    assert s.count() == 3 and s.top("edubase.parsed") == [(True, 2)]
    s.close()


def test_clickhouse_adds_columns_appended_to_the_schema(tmp_path: Path) -> None:
    ch = ClickHouseStore.embedded(tmp_path / "ch")
    ch.ex.command('ALTER TABLE events DROP COLUMN "edubase.parsed"')
    again = ClickHouseStore(ch.ex)  # what the next process start does
    again.write([ev(1)])
    assert again.top("edubase.parsed") == [(True, 1)]
    ch.close()


# -- dashboard helpers ----------------------------------------------------------------------------


def seed(store: EventStore) -> None:
    events = []
    for i in range(30):  # 10:00–10:29, one a minute, school paths alternate
        events.append(
            ev(
                i,
                T0 + dt.timedelta(minutes=i),
                **{"source.ip": "198.51.100.7" if i % 3 else "192.0.2.1", "edubase.org_path": ZY if i < 20 else JS},
            )
        )
    events.append(ev(99, T0 - dt.timedelta(days=1), **{"source.ip": "192.0.2.99"}))
    store.write(events)


def test_count_scoped(store: EventStore) -> None:
    seed(store)
    assert store.count() == 31
    assert store.count(org_path_prefix=ZY) == 21
    assert store.count(org_path_prefix=[ZY, JS]) == 31
    assert store.count(org_path_prefix="000100010002") == 10
    assert store.count(org_path_prefix=()) == 0  # an empty scope sees nothing
    assert store.count(since=T0, until=T0 + dt.timedelta(minutes=10)) == 10


def test_timeline(store: EventStore) -> None:
    seed(store)
    line = store.timeline("10m", since=T0 - dt.timedelta(minutes=10), until=T0 + dt.timedelta(minutes=40))
    assert line == [(T0 + dt.timedelta(minutes=m), n) for m, n in [(-10, 0), (0, 10), (10, 10), (20, 10), (30, 0)]]
    scoped = store.timeline(dt.timedelta(minutes=15), since=T0, until=T0 + dt.timedelta(minutes=30), org_path_prefix=JS)
    assert scoped == [(T0, 0), (T0 + dt.timedelta(minutes=15), 10)]
    open_ended = store.timeline(86400)
    assert open_ended == [(dt.datetime(2024, 4, 30, tzinfo=UTC), 1), (dt.datetime(2024, 5, 1, tzinfo=UTC), 30)]
    assert store.timeline(60, org_path_prefix=()) == []


def test_bucket_parsing() -> None:
    assert [bucket_seconds(b) for b in (1, "5m", "2h", "1d", dt.timedelta(seconds=90))] == [1, 300, 7200, 86400, 90]
    for bad in ("5 weeks", 0, 0.5, dt.timedelta(milliseconds=10)):
        with pytest.raises(ValueError, match="bucket"):
            bucket_seconds(bad)


def test_top(store: EventStore) -> None:
    seed(store)
    assert store.top("source.ip", 2) == [("198.51.100.7", 20), ("192.0.2.1", 10)]
    assert store.top("source.ip", 5, since=T0 + dt.timedelta(minutes=20)) == [("198.51.100.7", 7), ("192.0.2.1", 3)]
    assert store.top("source.ip", 5, org_path_prefix=JS) == [("198.51.100.7", 7), ("192.0.2.1", 3)]
    assert store.top("edubase.org_path") == [(ZY, 21), (JS, 10)]
    assert store.top("user.name") == []  # only NULLs
    with pytest.raises(ValueError, match="unknown event field"):
        store.top("source.ip; DROP TABLE events")


# -- rules -----------------------------------------------------------------------------------------


def test_run_rule_sql(store: EventStore) -> None:
    seed(store)
    window = (T0, T0 + dt.timedelta(minutes=15))
    hits = store.run_rule_sql("\"source.ip\" = '192.0.2.1'", *window)
    assert sorted(h["event.id"] for h in hits) == ["seg1:0", "seg1:12", "seg1:3", "seg1:6", "seg1:9"]
    assert set(hits[0]) == set(FIELDS)
    grouped = store.run_rule_sql(
        'SELECT "source.ip" AS ip, count(*) AS n FROM events GROUP BY "source.ip" HAVING count(*) > 5 ORDER BY ip',
        *window,
    )
    assert grouped == [{"ip": "198.51.100.7", "n": 10}]
    # WITH queries merge with the window's own definition of ``events``
    cte = store.run_rule_sql(
        "WITH f AS (SELECT * FROM events WHERE \"event.outcome\" = 'failure') SELECT count(*) AS n FROM f", *window
    )
    assert cte == [{"n": 15}]
    assert len(store.run_rule_sql("\"source.ip\" = '192.0.2.99'", None, None)) == 1
    assert store.run_rule_sql("\"source.ip\" = '192.0.2.99'", *window) == []


def test_query_params(store: EventStore) -> None:
    seed(store)
    sql = f'SELECT count(*) FROM events WHERE "source.ip" = {p(store, "ip")}'
    assert store.query(sql, {"ip": "192.0.2.1"}) == [(10,)]


def test_bad_sql_raises_store_error(store: EventStore) -> None:
    with pytest.raises(store_mod.StoreError):
        store.query("SELECT no_such_column FROM events")


def test_sql_helpers() -> None:
    assert is_where_clause('"a" = 1') and is_where_clause("(x) OR y")
    assert (
        not is_where_clause("  select 1")
        and not is_where_clause("(SELECT 1)")
        and not is_where_clause("WITH a AS (SELECT 1) SELECT 2")
    )
    assert with_cte("b", "SELECT 1", "SELECT * FROM b") == "WITH b AS (SELECT 1) SELECT * FROM b"
    assert (
        with_cte("b", "SELECT 1", "with x AS (SELECT 2) SELECT 3") == "WITH b AS (SELECT 1), x AS (SELECT 2) SELECT 3"
    )


# -- micro-batches ------------------------------------------------------------------------------------


def test_temp_batch(store: EventStore) -> None:
    seed(store)
    fresh = [ev(500 + i, T0, **{"source.ip": "192.0.2.1" if i < 3 else "10.1.1.1"}) for i in range(8)]
    with store.temp_batch(fresh) as batch:
        assert batch.dialect == store.dialect
        assert batch.query("SELECT count(*) FROM batch") == [(8,)]
        hits = batch.run_rule_sql("\"source.ip\" = '192.0.2.1'")
        assert sorted(h["event.id"] for h in hits) == ["seg1:500", "seg1:501", "seg1:502"]
        assert batch.query_dicts('SELECT "source.ip" AS ip, count(*) AS n FROM batch GROUP BY ip ORDER BY n DESC') == [
            {"ip": "10.1.1.1", "n": 5},
            {"ip": "192.0.2.1", "n": 3},
        ]
        # the detection pipeline's form: compiled rule SQL over ``events`` re-pointed at the batch
        wrapped = (
            "WITH events AS (SELECT * FROM batch) SELECT count(*) AS n FROM events WHERE \"source.ip\" = '10.1.1.1'"
        )
        assert batch.run_rule_sql(wrapped) == [{"n": 5}]
        with store.temp_batch(fresh[:2]) as other:  # nested/concurrent batches do not mix
            assert other.query("SELECT count(*) FROM batch") == [(2,)]
        assert batch.query("SELECT count(*) FROM batch") == [(8,)]
    assert store.count() == 31  # history untouched


def test_one_arrow_conversion_for_write_and_batch(store: EventStore) -> None:
    table = batch_table([ev(i) for i in range(4)] + [ev(0)])
    assert store.write(table) == 4 and store.write(table) == 0
    with store.temp_batch(table) as batch:
        assert batch.query("SELECT count(*) FROM batch") == [(5,)]
    partial = pa.table({"event.id": ["x1"], "@timestamp": [T0], "message": ["只有三列"]})
    assert store.write(partial) == 1
    assert store.query('SELECT message, "source.ip" FROM events WHERE "event.id" = \'x1\'') == [("只有三列", None)]


def test_temp_batch_is_dropped(tmp_path: Path) -> None:
    ch = ClickHouseStore.embedded(tmp_path / "ch")
    with ch.temp_batch([ev(1)]):
        pass
    assert ch.query(
        "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name LIKE '\\_batch%'"
    ) == [(0,)]
    ch.close()


# -- retention -------------------------------------------------------------------------------------


def parquet_rows(sql: str) -> list[tuple[Any, ...]]:
    return duckdb.connect().execute(sql).fetchall()


def test_retention_exports_parquet_and_drops(store: EventStore, tmp_path: Path) -> None:
    now = dt.datetime(2024, 12, 1, 12, 0, tzinfo=UTC)
    old_day = now - dt.timedelta(days=200)
    store.write([ev(i, old_day + dt.timedelta(minutes=i), message=f"旧日志 {i}") for i in range(5)])
    store.write([ev(100 + i, now - dt.timedelta(days=180)) for i in range(2)])  # exactly at the limit: kept
    store.write([ev(200, now)])
    archive = tmp_path / "archive"
    with pytest.raises(ValueError, match="force=True"):
        store.apply_retention(days=30, now=now, export_dir=archive)
    written = store.apply_retention(now=now, export_dir=archive)
    assert written == [archive / f"events-{old_day.date().isoformat()}.parquet"]
    assert old_day.date() not in store.partitions()
    assert store.count() == 3
    rows = parquet_rows(f'SELECT "event.id", message, "@timestamp" FROM read_parquet(\'{written[0]}\') ORDER BY 1')
    assert [r[0] for r in rows] == [f"seg1:{i}" for i in range(5)]
    assert rows[0][1] == "旧日志 0"
    assert rows[0][2] == old_day
    cols = [r[0] for r in parquet_rows(f"DESCRIBE SELECT * FROM read_parquet('{written[0]}')")]
    assert cols == list(FIELDS)
    assert store.apply_retention(now=now, export_dir=archive) == []  # nothing more to do
    # a late event for the retired day is exported again, never over the first archive
    store.write([ev(300, old_day)])
    again = store.apply_retention(now=now, export_dir=archive)
    assert again == [archive / f"events-{old_day.date().isoformat()}.1.parquet"]
    assert parquet_rows(f"SELECT count(*) FROM read_parquet('{again[0]}')") == [(1,)]
    # forced short retention (tests only) drops everything before today
    store.apply_retention(days=0, now=now, export_dir=archive, force=True)
    assert store.partitions() == [now.date()]


def test_retention_days_from_settings(store: EventStore, tmp_path: Path) -> None:
    now = dt.datetime(2024, 12, 1, tzinfo=UTC)
    store.write([ev(1, now - dt.timedelta(days=300)), ev(2, now - dt.timedelta(days=200))])
    with override_settings(EDUBASE_EVENT_RETENTION_DAYS=250, EDUBASE_EVENT_ARCHIVE_DIR=tmp_path / "a"):
        written = store.apply_retention(now=now)
    assert [w.parent for w in written] == [tmp_path / "a"] and store.count() == 1


def test_clickhouse_retention_finishes_an_interrupted_retirement(tmp_path: Path) -> None:
    """A crash between MOVE PARTITION and the export leaves rows in events_retiring: next run exports them."""
    ch = ClickHouseStore.embedded(tmp_path / "ch")
    ch.write([ev(i, dt.datetime(2024, 1, 2, tzinfo=UTC)) for i in range(3)])
    ch.ex.command("ALTER TABLE events MOVE PARTITION ID '20240102' TO TABLE events_retiring")
    assert ch.count() == 0 and ch.partitions() == []
    written = ch.apply_retention(now=dt.datetime(2024, 1, 10, tzinfo=UTC), export_dir=tmp_path / "a")
    assert written == [tmp_path / "a" / "events-2024-01-02.parquet"]
    assert parquet_rows(f"SELECT count(*) FROM read_parquet('{written[0]}')") == [(3,)]
    assert ch.query("SELECT count() FROM events_retiring") == [(0,)]
    ch.close()


# -- concurrency -----------------------------------------------------------------------------------


def test_writer_and_readers_in_threads(store: EventStore) -> None:
    errors: list[BaseException] = []
    seen: list[list[int]] = [[], []]
    done = threading.Event()

    def writer() -> None:
        try:
            for b in range(20):
                day = T0 + dt.timedelta(hours=b * 3)  # crosses several day partitions
                store.write([ev(b * 100 + i, day + dt.timedelta(seconds=i)) for i in range(100)])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            done.set()

    def reader(k: int) -> None:
        try:
            while not done.is_set():
                seen[k].append(store.count())
                store.top("source.ip", 3)
                with store.temp_batch([ev(10**6 + k)]) as b:
                    assert b.query("SELECT count(*) FROM batch") == [(1,)]
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert store.count() == 2000
    for counts in seen:
        assert counts == sorted(counts)  # readers never see a batch half-written or lose rows
        assert all(c % 100 == 0 for c in counts)


WRITER_SCRIPT = textwrap.dedent(
    """
    import datetime as dt, sys
    from edubase.secops.logs.store.duck import DuckDBStore
    from edubase.secops.logs.schema import empty
    s = DuckDBStore(sys.argv[1])
    t0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    for b in range(40):
        batch = []
        for i in range(250):
            e = empty(); e["@timestamp"] = t0 + dt.timedelta(minutes=b); e["event.id"] = f"p{b}:{i}"
            batch.append(e)
        s.write(batch)
    print("done")
    """
)


def test_duckdb_writer_process_and_reader_process(tmp_path: Path) -> None:
    """The deployment shape: `edubase ingest` writes while a web worker reads the same files."""
    reader = DuckDBStore(tmp_path, lock_timeout=60)
    proc = subprocess.Popen([sys.executable, "-c", WRITER_SCRIPT, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    counts = []
    while proc.poll() is None:
        counts.append(reader.count())
        time.sleep(0.005)
    assert proc.wait() == 0 and proc.stdout is not None and proc.stdout.read().strip() == "done"
    assert reader.count() == 10_000
    assert counts == sorted(counts) and all(c % 250 == 0 for c in counts)
    reader.close()


# -- factory -----------------------------------------------------------------------------------------


def test_get_store_from_settings(tmp_path: Path) -> None:
    reset_stores()
    try:
        with override_settings(EDUBASE_EVENT_STORE="duckdb", EDUBASE_EVENT_DIR=tmp_path / "ev"):
            s = get_store()
            assert isinstance(s, DuckDBStore) and s.dialect == "duckdb" and s is get_store()
            assert s.root == tmp_path / "ev"
        with override_settings(
            EDUBASE_EVENT_STORE="clickhouse", EDUBASE_CLICKHOUSE_URL="", EDUBASE_CHDB_DIR=tmp_path / "ch"
        ):
            c = get_store()
            assert isinstance(c, ClickHouseStore) and c.dialect == "clickhouse"
            c.write([ev(1)])
            assert c.count() == 1
        with override_settings(EDUBASE_EVENT_STORE="elastic"), pytest.raises(ValueError, match="EDUBASE_EVENT_STORE"):
            get_store()
        with override_settings(
            EDUBASE_EVENT_STORE="duckdb", EDUBASE_EVENT_DIR=tmp_path / "ev", EDUBASE_EVENT_ARCHIVE_DIR=tmp_path / "arc"
        ):
            assert store_mod.retention_job() == 0
    finally:
        reset_stores()


def test_http_executor_config() -> None:
    from edubase.secops.logs.store.clickhouse import HttpExecutor

    ex = HttpExecutor("https://edu%40ops:s3cr%2Ft@ch.example:8443/edubase")
    assert ex.database == "edubase" and ex.base == "https://ch.example:8443/"
    assert ex.headers["X-ClickHouse-User"] == "edu@ops" and ex.headers["X-ClickHouse-Key"] == "s3cr/t"
