"""The pipeline glue: spooled records → parse → enrich → store → detect, offsets, counters, replays."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from edubase.secops.logs import pipeline
from edubase.secops.logs.enrich import Enricher
from edubase.secops.logs.ingest.server import run_local_worker
from edubase.secops.logs.ingest.spool import KIND_JSON, KIND_SYSLOG, Record, SpoolReader, SpoolWriter, read_offset
from edubase.secops.logs.parsers import parse
from edubase.secops.logs.store.duck import DuckDBStore

NOW = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC).timestamp()
SSHD = "<38>Mar  1 16:00:01 web01 sshd[811]: Failed password for root from 203.0.113.9 port 50122 ssh2"
NGINX_DOC = (
    b'{"@timestamp":"2025-03-01T08:00:03Z","message":"203.0.113.9 - - [01/Mar/2025:16:00:03 +0800] '
    b'\\"GET /a HTTP/1.1\\" 200 5 \\"-\\" \\"curl/8\\"","agent":{"type":"filebeat"}}'
)


class ListStore:
    """A stand-in store: keeps events by id (idempotent), can be told to fail."""

    def __init__(self) -> None:
        self.events: dict[str, dict[str, Any]] = {}
        self.fail = False

    def write(self, events: Any) -> int:
        if self.fail:
            raise OSError("disk full")
        new = [e for e in events if e["event.id"] not in self.events]
        for e in new:
            self.events[e["event.id"]] = e
        return len(new)


def records(n: int, source_id: int = 7) -> list[Record]:
    out = []
    for i in range(n):
        if i % 3 == 2:
            out.append(Record(NOW + i, source_id, KIND_SYSLOG, "10.0.0.9", b"\x01\x02 not a log line at all"))
        elif i % 3 == 1:
            out.append(Record(NOW + i, source_id, KIND_JSON, "10.0.0.9", NGINX_DOC))
        else:
            out.append(Record(NOW + i, source_id, KIND_SYSLOG, "10.0.0.9", f"{SSHD} #{i}".encode()))
    return out


def components(store: Any, detected: list[Any] | None = None) -> pipeline.Components:
    def detect(events: list[dict[str, Any]], store: Any) -> list[Any]:
        if detected is not None:
            detected.append([e["event.id"] for e in events])
        return []

    enricher = Enricher(sources={7: "0001"}, geo=None)
    return pipeline.Components(
        parse=parse, store=store, enrich=enricher.apply, detect=detect, sources={7: ("auto", "0001")}
    )


def test_a_batch_is_parsed_enriched_stored_and_evaluated() -> None:
    store, detected = ListStore(), []
    items = [(f"s-1:{i}", r) for i, r in enumerate(records(6))]
    result = pipeline.process(items, components(store, detected))
    assert result.stored == 6 and detected == [[f"s-1:{i}" for i in range(6)]]
    first = store.events["s-1:0"]
    assert first["event.dataset"] == "sshd" and first["source.ip"] == "203.0.113.9"
    assert first["edubase.source_id"] == 7 and first["edubase.org_path"] == "0001"
    assert first["event.ingested"] == dt.datetime.fromtimestamp(NOW, dt.UTC)
    assert store.events["s-1:1"]["event.dataset"] == "nginx.access"
    raw = store.events["s-1:2"]
    assert raw["edubase.parsed"] is False and raw["log.original"]  # kept raw, never dropped
    assert result.counts == {7: [6, 2, NOW + 5]}


def test_a_detection_failure_does_not_lose_the_stored_batch() -> None:
    store = ListStore()
    comps = components(store)

    def broken(events: Any, store: Any) -> list[Any]:
        raise RuntimeError("rule engine down")

    comps.detect = broken
    result = pipeline.process([("s-1:0", records(1)[0])], comps)
    assert result.stored == 1 and result.alerts == []


def test_replaying_a_batch_into_duckdb_stores_each_event_once(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "events")
    try:
        items = [(f"s-1:{i * 100}", r) for i, r in enumerate(records(9))]
        comps = components(store)
        pipeline.process(items, comps)
        pipeline.process(items[3:], comps)  # a crash before the offset commit: replayed
        assert store.query('select count(*), count(distinct "event.id") from events') == [(9, 9)]
    finally:
        store.close()


def _drain(spool: Path, comps: pipeline.Components, **kwargs: Any) -> None:
    stop = threading.Event()
    worker = threading.Thread(target=run_local_worker, args=(spool, comps), kwargs={"stop": stop, **kwargs})
    worker.start()
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            seq, offset = read_offset(spool, "processor")
            if seq and not SpoolReader(spool, name="processor").read(max_records=1) and offset:
                break
            time.sleep(0.02)
    finally:
        stop.set()
        worker.join(20)


def test_the_worker_processes_the_spool_and_commits_its_offset(tmp_path: Path) -> None:
    spool, store = tmp_path / "spool", ListStore()
    writer = SpoolWriter(spool)
    ids = writer.append(records(30))
    writer.sync()
    _drain(spool, components(store), batch=7)
    assert sorted(store.events) == sorted(ids)
    assert SpoolReader(spool, name="processor").read() == []  # nothing left to replay


def test_a_failing_store_write_leaves_the_offset_and_the_batch_is_retried(tmp_path: Path) -> None:
    spool, store = tmp_path / "spool", ListStore()
    writer = SpoolWriter(spool)
    ids = writer.append(records(5))
    writer.sync()
    store.fail = True
    stop = threading.Event()
    worker = threading.Thread(target=run_local_worker, args=(spool, components(store)), kwargs={"stop": stop})
    worker.start()
    time.sleep(0.3)
    assert read_offset(spool, "processor") == (0, 0) and store.events == {}
    store.fail = False
    deadline = time.monotonic() + 10
    while len(store.events) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    worker.join(10)
    assert sorted(store.events) == sorted(ids)


@pytest.mark.django_db
def test_counts_reach_the_log_source_and_real_components_store_events(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from edubase.secops.logs import sources
    from edubase.secops.models import LogSource
    from tests.factories import make_user

    officer = make_user("sec_pipeline", role="security_officer", org=world.province)
    source, _token = sources.register_source(actor=officer, org=world.school_a, name="web01", format="nginx")
    store = DuckDBStore(tmp_path / "events")
    try:
        comps = pipeline.Components.real()
        comps.store = store
        spool = tmp_path / "spool"
        writer = SpoolWriter(spool)
        writer.append(records(6, source_id=source.pk))
        writer.sync()
        stop, done = threading.Event(), []

        def on_batch(result: pipeline.BatchResult) -> None:  # same thread: the test's transaction
            done.extend(result.events)
            if len(done) >= 6:
                stop.set()

        run_local_worker(spool, comps, stop=stop, on_batch=on_batch, flush_counters=sources.flush_counters, batch=4)
        rows = store.query('select "edubase.org_path", count(*) from events group by 1')
    finally:
        store.close()
    source.refresh_from_db()
    assert (source.accepted, source.unparsed) == (6, 2)
    assert source.last_event_at == dt.datetime.fromtimestamp(NOW + 5, dt.UTC)
    assert rows == [(world.school_a.path, 6)]
    assert LogSource.objects.count() == 1


def test_missing_components_fail_loudly() -> None:
    with pytest.raises(pipeline.PipelineMissing, match=r"edubase\.secops\.logs\.nothing_here"):
        pipeline._load("edubase.secops.logs.nothing_here", "parse")
