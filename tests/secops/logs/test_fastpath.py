# ruff: noqa: E501 - log lines of the corpus are long
"""The columnar fast parser reproduces ``parsers.parse`` exactly for every line it claims.

Differential: each corpus goes through ``fastpath.parse_batch`` and through the per-line parser
(``pipeline.build_events`` → ``batch_table``); every claimed row must equal the slow row, field for
field. The corpora: the benchmark's generated mix (several seeds, syslog over TCP and Filebeat JSON),
the parser's own sample files, and hand-written edge cases the fast path must either reproduce or
leave alone. Tests also check that the fast path claims what it should (so they cannot pass by
claiming nothing), and that a whole batch through ``pipeline.prepare`` — enrichment, org paths,
counts, order — is the same table either way.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from edubase.secops.logs import fastpath, parsers, pipeline
from edubase.secops.logs.enrich import Enricher
from edubase.secops.logs.ingest.spool import KIND_JSON, KIND_SYSLOG, Record, SpoolReader, SpoolWriter
from edubase.secops.logs.store.base import batch_table
from edubase.secops.logs.store.duck import DuckDBStore

ROOT = Path(__file__).resolve().parents[3]
DATA = Path(__file__).parent / "data"
SOURCES = {1: ("auto", "/p/"), 2: ("apache", "/p/c/"), 3: ("nftables", "/p/d/"), 4: ("nginx", "")}
NOW = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC).timestamp()


def _bench_lines(n: int, seed: int) -> list[tuple[str, str]]:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import ingest_bench
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return ingest_bench.lines(n, seed=seed)


def _filebeat(message: str, **extra: Any) -> bytes:
    doc = {"@timestamp": "2026-03-01T08:00:00.123456Z", "message": message, "host": {"name": "web01"},
           "agent": {"type": "filebeat", "version": "8.15.0"}, "log": {"file": {"path": "/var/log/messages"}}}  # fmt: skip
    doc.update(extra)
    return json.dumps(doc, ensure_ascii=False).encode()


def _records(texts: list[tuple[int, bytes]], *, source_id: int = 1, received: float = NOW) -> list[tuple[str, Record]]:
    return [
        (
            f"seg:{i}",
            Record(received + (i % 7) * 0.001, source_id + (i % 4 if source_id == 0 else 0), kind, "10.0.0.9", data),
        )
        for i, (kind, data) in enumerate(texts)
    ]


def _slow_rows(items: list[tuple[str, Record]]) -> list[dict[str, Any]]:
    comps = pipeline.Components(parse=parsers.parse, store=None, sources=SOURCES)
    events, _counts = pipeline.build_events(items, comps)
    return batch_table(events).to_pylist()


def _compare(items: list[tuple[str, Record]]) -> fastpath.FastBatch:
    fast = fastpath.parse_batch(items, SOURCES)
    slow = _slow_rows(items)
    claimed = fast.table.to_pylist() if fast.table is not None else []
    positions = [row.pop("_pos") for row in claimed]
    assert sorted(positions + [p for p, _e, _r in fast.slow]) == list(range(len(items)))
    for pos, row in zip(positions, claimed, strict=True):
        expected = slow[pos]
        expected["edubase.org_path"] = None  # set later, by enrichment (compared in the pipeline test)
        diff = {k: (row[k], expected[k]) for k in expected if row[k] != expected[k]}
        assert not diff, f"line {items[pos][1].data[:300]!r}: fast ≠ slow {diff}"
    return fast


@pytest.mark.parametrize("seed", [6, 11, 29])
def test_the_benchmark_mix_is_claimed_and_identical(seed: int) -> None:
    texts: list[tuple[int, bytes]] = []
    for i, (_kind, text) in enumerate(_bench_lines(6000, seed)):
        if i % 2:
            message = re.sub(r"^<\d+>\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ [^:]+: ", "", text)
            texts.append((KIND_JSON, _filebeat(message if " nginx: " in text else text)))
        else:
            texts.append((KIND_SYSLOG, text.encode()))
    fast = _compare(_records(texts))
    assert fast.table is not None and fast.table.num_rows >= 0.97 * len(texts)


def test_the_parser_sample_files_are_identical_where_claimed() -> None:
    texts: list[tuple[int, bytes]] = []
    for name in ("apache_access.log", "auth.log", "firewall.log", "garbage.txt", "nginx_access.log", "syslog.log"):
        for line in (DATA / name).read_bytes().splitlines():
            texts.append((KIND_SYSLOG, line))
            texts.append((KIND_JSON, _filebeat(line.decode("utf-8", "replace"))))
    for name in ("nxlog.ndjson", "winlogbeat.ndjson"):
        texts += [(KIND_JSON, line) for line in (DATA / name).read_bytes().splitlines() if line.strip()]
    for source_id in (1, 2, 3, 4):
        fast = _compare(_records(texts, source_id=source_id))
        assert fast.table is not None and fast.table.num_rows >= 20


EDGES = [
    # claimed: the common shapes
    '<190>Mar  1 16:00:01 web01 nginx: 1.192.3.4 - - [01/Mar/2026:16:00:01 +0800] "GET /a?b=1&c HTTP/1.1" 200 5 "-" "Mozilla/5.0"',
    '<190>Mar  1 16:00:01 web01 nginx: 1.192.3.4 - bob [01/Mar/2026:16:00:01 -0530] "POST /login HTTP/2.0" 401 - "http://x/" "curl/8"',
    '<190>Mar  1 16:00:01 web01 httpd: 1.192.3.4 - - [01/Mar/2026:16:00:01 +0800] "-" 400 0',
    '<190>Mar  1 16:00:01 web01 apache2_access: 1.192.3.4 - - [01/Mar/2026:16:00:01 +0800] "GET /x" 200 1 "" ""',
    '<190>Mar  1 16:00:01 web01 app: 1.192.3.4 - - [01/Mar/2026:16:00:01 +0800] "GET / HTTP/1.0" - 12 "-" "-"',
    '1.192.3.4 - - [29/Feb/2024:23:59:59 +0000] "GET /?q HTTP/1.1" 404 7 "-" "sqlmap/1.7"',
    "<38>Mar  1 16:00:01 srv sshd[811]: Failed password for invalid user admin from 203.0.113.9 port 50122 ssh2",
    "<38>Mar  1 16:00:01 srv sshd[811]: Accepted publickey for deploy from 10.1.2.3 port 52311 ssh2: ED25519 SHA256:x",
    "<38>Mar  1 16:00:01 srv sshd[811]: Failed password for  from 203.0.113.9 port 1 ssh2",
    "<38>Mar  1 16:00:01 srv sshd[811]: Failed none for root from ::1 port 22 ssh2",
    "<38>Mar  1 16:00:01 srv sshd[811]: Server listening on 0.0.0.0 port 22.",
    "<38>Mar  1 16:00:01 srv sshd[811]: pam_unix(sshd:session): session opened for user deploy(uid=1000) by (uid=0)",
    "<86>Mar  1 16:00:01 srv CRON[2]: pam_unix(cron:session): session closed for user root",
    "<86>Mar  1 16:00:01 srv CRON[2]: (root) CMD (run-parts /etc/cron.hourly)",
    "<30>Mar  1 16:00:01 srv systemd[1]: Started Session 42 of User root.",
    "<6>Mar  1 16:00:01 fw01 kernel: [UFW BLOCK] IN=eth0 OUT= SRC=1.2.3.4 DST=10.0.0.1 PROTO=TCP SPT=5 DPT=22",
    "<6>Mar  1 16:00:01 fw01 kernel: [12345.678] nft-accept: IN=eth0 OUT= SRC=1.2.3.4 DST= PROTO=ICMP",
    "<6>Mar  1 16:00:01 fw01 kernel: IN=eth0 SRC=1.2.3.4 SRC=5.6.7.8 DST=10.0.0.1 PROTO=udp SPT= DPT=0053",
    "<6>Mar  1 16:00:01 fw01 kernel: REJECT IN=eth0 SRC=2001:db8::1 DST=2001:db8::2 PROTO=TCP SPT=0x10 DPT=1e3",
    "<13>Dec 31 23:59:59 h app: last year's line received in January",
    "<13>Feb 29 10:00:00 h app: leap day",
    "<13>Mar  1 16:00:01.123456 h app: fractional seconds",
    "<13>Mar  1 16:00:01 2026 h app: a year after the time",
    "<13>Mar  1 16:00:01 - app: a dash host",
    "<13>Mar  1 16:00:01 h a:b: colons in the tag",
    "<13>Mar  1 16:00:01 h app[0]: pid zero",
    "<13>Mar  1 16:00:01 h app: Invalid user x from 1.2.3.4 port 2",
    "<13>Mar  1 16:00:01 h app: PAM 2 more authentication failures; logname= uid=0 rhost=1.2.3.4 user=root",
    '<13>Mar  1 16:00:01 h app: {"src_ip": "1.2.3.4", "msg": "json in syslog"}',
    "<13>Mar  1 16:00:01 h app: a message with a \\ backslash",
    "<13>Mar  1 16:00:01 h app: 中文消息 系统告警",
    "<13>Mar  1 16:00:01 h app: tab\there",
    "<13>Mar 32 16:00:01 h app: no such day",
    "<13>Mar  1 24:00:01 h app: no such hour",
    "<192>Mar  1 16:00:01 h app: PRI too large",
    "<13>1 2026-03-01T16:00:01+08:00 h app 12 ID47 - RFC 5424",
    "Mar  1 16:00:01 h app: no PRI",
    "",
    "   ",
    "<13>",
]


def test_edge_cases_are_identical_or_left_to_the_slow_path() -> None:
    texts = [(KIND_SYSLOG, t.encode()) for t in EDGES] + [(KIND_SYSLOG, b"\xff\xfe gbk \xc4\xe3")]
    texts += [(KIND_JSON, _filebeat(t)) for t in EDGES if t.strip()]
    texts += [
        (KIND_JSON, _filebeat(EDGES[0], host="plain-host")),
        (KIND_JSON, _filebeat(EDGES[0], host={"hostname": "hn"})),
        (KIND_JSON, _filebeat(EDGES[5], log={"file": {"path": "/var/log/httpd/access_log"}})),
        (KIND_JSON, _filebeat(EDGES[5], event={"dataset": "apache.access"})),
        (KIND_JSON, _filebeat(EDGES[5], winlog={"event_id": 4625})),
        (KIND_JSON, _filebeat(EDGES[5], src_ip="9.9.9.9")),
        (KIND_JSON, b'{"message": 5}'),
        (KIND_JSON, b"[1, 2]"),
        (KIND_JSON, b"{not json"),
    ]
    for received in (NOW, dt.datetime(2026, 1, 1, 0, 30, tzinfo=dt.UTC).timestamp()):
        for source_id in (1, 2, 3, 4):
            fast = _compare(_records(texts, source_id=source_id, received=received))
            assert fast.table is not None and fast.table.num_rows >= 20
            left = {r.data for _p, _e, r in fast.slow}
            for must_be_slow in ("中文", "backslash", "tab\t", "2026 h app", "RFC 5424", "no PRI", "json in syslog"):
                assert any(must_be_slow.encode() in d for d in left), must_be_slow


@pytest.mark.parametrize("seed", [7, 8, 9, 10])
def test_random_mutations_never_differ(seed: int) -> None:
    """Lines of the claimed shapes with characters replaced at random: claimed or not, never different."""
    rng = random.Random(seed)
    base = [t for t in EDGES if t.strip()]
    alphabet = ' -[]:"/.?<>=0123456789aAzZ_\\'
    texts: list[tuple[int, bytes]] = []
    for _ in range(3000):
        chars = list(rng.choice(base))
        for _ in range(rng.randint(1, 3)):
            chars[rng.randrange(len(chars))] = rng.choice(alphabet)
        line = "".join(chars)
        texts.append((KIND_SYSLOG, line.encode()) if rng.random() < 0.7 else (KIND_JSON, _filebeat(line)))
    fast = _compare(_records(texts, source_id=0))
    assert fast.table is not None and fast.table.num_rows > 500


def test_a_batch_through_prepare_is_the_same_table_either_way(tmp_path: Path) -> None:
    enricher = Enricher(
        assets=[(5, "/p/c/s/", "10.0.0.9", "", "web01", ""), (6, "/p/d/", "", "www.example.edu.cn", "srv", "")],
        sources={1: "/p/", 2: "/p/c/", 3: "/p/d/", 4: ""},
    )

    store = DuckDBStore(tmp_path / "events")  # the real store: prepare only asks how it takes batches

    def comps(fast: bool) -> pipeline.Components:
        c = pipeline.Components(parse=parsers.parse, store=store, sources=SOURCES, fast=fast)
        c.enricher, c.enrich = enricher, enricher.apply
        return c

    texts = [(KIND_SYSLOG, t.encode()) for _k, t in _bench_lines(3000, 3)] + [(KIND_SYSLOG, t.encode()) for t in EDGES]
    items = _records(texts, source_id=0)
    fast, slow = pipeline.prepare(items, comps(True)), pipeline.prepare(items, comps(False))
    assert isinstance(fast.events, pipeline.TableEvents) and len(fast.events) == len(items)
    assert fast.table.schema.equals(slow.table.schema)
    for a, b in zip(fast.table.to_pylist(), slow.table.to_pylist(), strict=True):
        assert a == b, {k: (a[k], b[k]) for k in a if a[k] != b[k]}
    assert fast.counts == slow.counts
    assert fast.events[0] == slow.events[0]
    assert pa.compute.sum(fast.table.column("edubase.asset_id").is_valid()).as_py() > 0


def test_a_block_read_from_the_spool_prepares_to_the_same_table(tmp_path: Path) -> None:
    """The worker's path: records written to a real spool, read back as columns (``read_block``),
    through the fast path — the same table and counts as the per-line path over ``read``'s items."""
    enricher = Enricher(
        assets=[(5, "/p/c/s/", "10.0.0.9", "", "web01", "")], sources={1: "/p/", 2: "/p/c/", 3: "/p/d/", 4: ""}
    )
    store = DuckDBStore(tmp_path / "events")

    def comps(fast: bool) -> pipeline.Components:
        c = pipeline.Components(parse=parsers.parse, store=store, sources=SOURCES, fast=fast)
        c.enricher, c.enrich = enricher, enricher.apply
        return c

    texts: list[tuple[int, bytes]] = []
    for i, (_kind, text) in enumerate(_bench_lines(2000, 5)):
        texts.append((KIND_JSON, _filebeat(text)) if i % 3 == 0 else (KIND_SYSLOG, text.encode()))
    texts += [(KIND_SYSLOG, t.encode()) for t in EDGES] + [(KIND_SYSLOG, b"\xff\xfe bad bytes"), (KIND_JSON, b"{\xff}")]
    writer = SpoolWriter(tmp_path / "spool")
    for start in range(0, len(texts), 500):  # several receipt times, as group commits give them
        writer.append(
            [record for _eid, record in _records(texts[start : start + 500], source_id=0, received=NOW + start)]
        )
    writer.sync()
    block = SpoolReader(tmp_path / "spool", name="block").read_block(max_records=100_000)
    items = [(s.event_id, s.record) for s in SpoolReader(tmp_path / "spool", name="rows").read(max_records=100_000)]
    assert block is not None and len(block) == len(items) == len(texts)
    fast, slow = pipeline.prepare(block, comps(True)), pipeline.prepare(items, comps(False))
    assert fast.table.num_rows == slow.table.num_rows
    for a, b in zip(fast.table.to_pylist(), slow.table.to_pylist(), strict=True):
        assert a == b, {k: (a[k], b[k]) for k in a if a[k] != b[k]}
    assert fast.counts == slow.counts
    assert sum(c[1] for c in fast.counts.values()) > 0  # the undecodable lines are counted as unparsed
