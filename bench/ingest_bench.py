# ruff: noqa: E501, S106, S608 — a benchmark script: long report lines, SQL built from the rules under test
"""``make bench-ingest``: replay realistic log lines through ``edubase ingest`` with the bundled rules.

Half the lines go over TCP syslog (octet-counted, 4 connections), half over the Elasticsearch
``_bulk`` API as Filebeat 8 documents (2 senders). Printed: sustained events/s end to end (first
byte sent → last event parsed, enriched, stored and evaluated), atomic-alert latency p50/p95
(receipt → alert row), peak RSS of the receiver and the worker; then the peer in the same run: the
same rules through the pySigma query-backend approach over SQLite (events inserted into SQLite,
each rule a SQL WHERE / GROUP BY over them, the way pySigma's SQLite backend is used), and the ratio.

The load generator prepares its wire bytes (octet-counted TCP streams, ``_bulk`` bodies) before
the clock starts, so during the run it only writes sockets; the CPU seconds of the receiver, the
worker and the load generator are printed per event (``/proc`` and ``getrusage``): on a shared
machine they are steadier than wall-clock rates.

The burst shows throughput; its alert latency is mostly queueing (the senders deliver about twice
what two cores can process). A second, sustained phase sends ``BENCH_PACED_LINES`` (default
300,000; 0 skips it) at ``BENCH_PACE`` events/s (default 30,000, the target rate) to a fresh
database and prints the atomic-alert latency at that rate (the detection target: p95 ≤ 10 s).

``BENCH_LINES`` (default 1,000,000) sets the number of lines; ``BENCH_PEER_LINES`` caps the peer
(default: the same number).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import resource
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

N = int(os.environ.get("BENCH_LINES", "1000000"))
PEER_N = int(os.environ.get("BENCH_PEER_LINES", str(N)))
BATCH = int(os.environ.get("BENCH_BATCH", "50000"))
#: the sustained phase: ``BENCH_PACED_LINES`` lines (0: skip it) at ``BENCH_PACE`` events/s
PACED_N = int(os.environ.get("BENCH_PACED_LINES", "300000"))
PACE = float(os.environ.get("BENCH_PACE", "30000"))
CST = dt.timezone(dt.timedelta(hours=8))
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

PATHS = [
    "/",
    "/index.php",
    "/news/2025/0301.html",
    "/static/app.js",
    "/login",
    "/api/v1/score?id=12",
    "/images/logo.png",
]
ATTACKS = [
    "/index.php?id=1%27%20UNION%20SELECT%20username,password%20FROM%20users--",
    "/search?q=%3Cscript%3Ealert(1)%3C/script%3E",
    "/../../../../etc/passwd",
    "/cgi-bin/test.cgi?cmd=;cat%20/etc/passwd",
    "/uploads/shell.php?cmd=whoami",
]
UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "curl/8.5.0",
]


def _env(var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EDUBASE_", "DJANGO_"))}
    env.update(
        EDUBASE_VAR_DIR=str(var),
        EDUBASE_MASTER_KEY="00112233445566778899aabbccddeeff",
        EDUBASE_SECRET_KEY="ingest-bench-secret-key-not-used-for-anything-real-00",
        DJANGO_SETTINGS_MODULE="edubase.settings",
        PYTHONPATH=str(ROOT / "src"),
    )
    return env


def lines(n: int, seed: int = 6) -> list[tuple[str, str]]:
    """(kind, text) pairs: nginx access, sshd (with brute forces), syslog, iptables; times ≈ now."""
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    start = dt.datetime.now(CST)
    for i in range(n):
        t = start + dt.timedelta(milliseconds=i // 20)
        bsd = f"{MONTHS[t.month - 1]} {t.day:2d} {t:%H:%M:%S}"
        r = rng.random()
        client = (
            f"{rng.choice([1, 27, 36, 42, 61, 123])}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        )
        if r < 0.35:
            path = rng.choice(ATTACKS) if rng.random() < 0.01 else rng.choice(PATHS)
            status = 404 if rng.random() < 0.05 else 200
            clf = t.strftime("%d/%b/%Y:%H:%M:%S +0800")
            text = f'{client} - - [{clf}] "GET {path} HTTP/1.1" {status} {rng.randrange(100, 50000)} "-" "{rng.choice(UAS)}"'
            out.append(("nginx", f"<190>{bsd} web{i % 8:02d} nginx: {text}"))
        elif r < 0.65:
            host = f"srv{i % 16:02d}"
            if rng.random() < 0.05:  # a brute force: a few attackers hammering root
                attacker = f"203.0.113.{rng.randrange(1, 6)}"
                msg = f"Failed password for root from {attacker} port {rng.randrange(1024, 65535)} ssh2"
            elif rng.random() < 0.5:
                msg = f"Accepted publickey for deploy from 10.1.{rng.randrange(256)}.{rng.randrange(1, 255)} port 52311 ssh2: ED25519 SHA256:abc"
            else:
                msg = "pam_unix(sshd:session): session opened for user deploy(uid=1000) by (uid=0)"
            out.append(("sshd", f"<38>{bsd} {host} sshd[{rng.randrange(1000, 60000)}]: {msg}"))
        elif r < 0.85:
            msg = rng.choice(
                [
                    "(root) CMD (run-parts /etc/cron.hourly)",
                    "Started Session 42 of User root.",
                    "eth0: link becomes ready",
                ]
            )
            app = rng.choice(["CRON[811]", "systemd[1]", "kernel"])
            out.append(("syslog", f"<30>{bsd} host{i % 32:02d} {app}: {msg}"))
        else:
            dst = f"10.1.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            msg = (
                f"[UFW BLOCK] IN=eth0 OUT= MAC=00:16:3e:00:00:01 SRC={client} DST={dst} LEN=60 TOS=0x00 "
                f"PREC=0x00 TTL=52 ID=4242 DF PROTO=TCP SPT={rng.randrange(1024, 65535)} DPT={rng.choice([22, 23, 445, 3389])} WINDOW=29200 RES=0x00 SYN URGP=0"
            )
            out.append(("firewall", f"<12>{bsd} fw01 kernel: {msg}"))
    return out


def setup(var: Path) -> str:
    """Migrate a fresh database, install the bundled rules, register the bench's log source."""
    os.environ.update(_env(var))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from edubase.orgs.models import Org
    from edubase.secops.logs.sigma.packs import import_bundled
    from edubase.secops.logs.sources import new_token, token_digest
    from edubase.secops.models import LogSource

    org = Org.objects.add_root({"kind": "province", "name": "河南省", "code": "410000", "region_code": "410000"})
    prefix, token = new_token()
    LogSource.objects.create(
        org=org,
        org_path=org.path,
        name="bench",
        token_prefix=prefix,
        token_digest=token_digest(token),
        sender_ips=["127.0.0.1"],
    )
    import_bundled()
    from django.db import connection

    connection.close()
    return token


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _tcp_payload(chunk: list[str]) -> bytes:
    """One connection's octet-counted stream (RFC 6587 §3.4.1), prepared before the clock starts."""
    buf = bytearray()
    for text in chunk:
        raw = text.encode()
        buf += b"%d " % len(raw) + raw
    return bytes(buf)


def _send_tcp(port: int, payload: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port)) as s:
        view = memoryview(payload)
        for start in range(0, len(view), 256 * 1024):
            s.sendall(view[start : start + 256 * 1024])
        s.shutdown(socket.SHUT_WR)
        answer = s.recv(64)
        assert answer.startswith(b"OK "), answer


def _bulk_bodies(chunk: list[str]) -> list[bytes]:
    """Filebeat 8 ``_bulk`` bodies of 2,000 documents, prepared before the clock starts (the replay
    tool's own JSON encoding is not what is measured)."""
    bodies = []
    for start in range(0, len(chunk), 2000):
        body = bytearray()
        for text in chunk[start : start + 2000]:
            message = re.sub(r"^<\d+>\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ [^:]+: ", "", text)
            doc = {
                "@timestamp": dt.datetime.now(dt.UTC).isoformat(),
                "message": message if " nginx: " in text else text,
                "host": {"name": "web01"},
                "agent": {"type": "filebeat", "version": "8.15.0"},
                "log": {"file": {"path": "/var/log/messages"}},
            }
            body += b'{"create":{"_index":"filebeat-8.15.0"}}\n' + json.dumps(doc).encode() + b"\n"
        bodies.append(bytes(body))
    return bodies


def _send_bulk(port: int, token: str, bodies: list[bytes], per_s: float | None = None) -> None:
    """POST the ``_bulk`` bodies on one connection: back to back, or ``per_s`` bodies a second."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    start = time.monotonic()
    for i, body in enumerate(bodies):
        wait = start + i / per_s - time.monotonic() if per_s else 0
        if wait > 0:
            time.sleep(wait)
        conn.request(
            "POST",
            "/_bulk",
            body=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        resp = conn.getresponse()
        answer = json.loads(resp.read())
        assert resp.status == 200 and not answer["errors"], answer
    conn.close()


def _descendants(pid: int) -> list[int]:
    """Children, grandchildren …: the worker and its prepare process (ADR 0011)."""
    out: list[int] = []
    for child in _children(pid):
        out += [child, *_descendants(child)]
    return out


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _send_tcp_paced(port: int, chunks: list[bytes], rate: float) -> None:
    """One connection's octet-counted stream in chunks of ``rate`` × 0.1 s worth of lines, each sent on time."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        start = time.monotonic()
        for i, chunk in enumerate(chunks):
            wait = start + i * 0.1 - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            s.sendall(chunk)
        s.shutdown(socket.SHUT_WR)
        answer = s.recv(64)
        assert answer.startswith(b"OK "), answer


def run_edubase(var: Path, token: str, data: list[tuple[str, str]], pace: float | None = None) -> dict[str, Any]:
    tcp, http_port = _free_port(), _free_port()
    log = open(var / "ingest.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "edubase.cli",
            "ingest",
            "--host",
            "127.0.0.1",
            "--syslog-tcp",
            str(tcp),
            "--http",
            str(http_port),
            "--batch",
            str(BATCH),
        ],
        env=_env(var),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    spool = var / "spool"
    while not (spool / "ready.json").exists():
        assert proc.poll() is None, (var / "ingest.log").read_text()[-2000:]
        time.sleep(0.05)
    time.sleep(3)  # let the worker child load its tables
    texts = [t for _k, t in data]
    half = len(texts) // 2
    tcp_part, bulk_part = texts[:half], texts[half:]
    if pace is None:  # a burst: every sender as fast as it can
        payloads = [_tcp_payload(tcp_part[i::4]) for i in range(4)]
        bodies = [_bulk_bodies(bulk_part[i::2]) for i in range(2)]
        threads = [threading.Thread(target=_send_tcp, args=(tcp, payloads[i])) for i in range(4)]
        threads += [threading.Thread(target=_send_bulk, args=(http_port, token, bodies[i])) for i in range(2)]
    else:  # ``pace`` events/s in all: each TCP sender a quarter of the syslog half every 0.1 s, _bulk bodies on time
        tick = max(1, round(pace / 2 / 4 / 10))
        threads = []
        for i in range(4):
            mine = tcp_part[i::4]
            chunks = [_tcp_payload(mine[j : j + tick]) for j in range(0, len(mine), tick)]
            threads.append(threading.Thread(target=_send_tcp_paced, args=(tcp, chunks, pace)))
        for i in range(2):
            threads.append(
                threading.Thread(
                    target=_send_bulk, args=(http_port, token, _bulk_bodies(bulk_part[i::2]), pace / 2 / 2 / 2000)
                )
            )
    peak = {"receiver": 0, "worker": 0}
    workers = _descendants(proc.pid)
    cpu0 = {"receiver": _cpu_s(proc.pid), "worker": sum(_cpu_s(w) for w in workers)}
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    for t in threads:
        t.start()
    from edubase.secops.logs.ingest.spool import read_offset, segments

    sent_at = None
    cpu_seen: dict[int, float] = {w: _cpu_s(w) for w in workers}
    while True:
        peak["receiver"] = max(peak["receiver"], _rss_kb(proc.pid))
        seen = _descendants(proc.pid)
        peak["worker"] = max(peak["worker"], sum(_rss_kb(child) for child in seen))
        cpu_seen.update({child: _cpu_s(child) for child in seen})
        if sent_at is None and not any(t.is_alive() for t in threads):
            sent_at = time.monotonic()
        if sent_at is not None:
            segs = segments(spool)
            seq, offset = read_offset(spool, "processor")
            if segs and seq == segs[-1] and offset == (spool / f"{segs[-1]:010d}.seg").stat().st_size:
                break
        time.sleep(0.1)
    elapsed = time.monotonic() - t0
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = {
        "receiver": _cpu_s(proc.pid) - cpu0["receiver"],
        # a process that exited (a restarted prepare process) keeps its last reading
        "worker": sum({**cpu_seen, **{w: _cpu_s(w) for w in _descendants(proc.pid)}}.values()) - cpu0["worker"],
        "sender": usage1.ru_utime + usage1.ru_stime - usage0.ru_utime - usage0.ru_stime,
    }
    proc.terminate()
    proc.wait(60)
    log.close()
    return {"elapsed": elapsed, "send_s": (sent_at or t0) - t0, "peak": peak, "cpu": cpu}


def alert_latency(var: Path) -> tuple[list[float], int]:
    from edubase.secops.logs.store.duck import DuckDBStore
    from edubase.secops.models import Alert

    alerts = list(Alert.objects.values_list("created_at", "event_ids", "rule__kind"))
    store = DuckDBStore(var / "events")
    out = []
    try:
        for created, ids, kind in alerts:
            if kind != "atomic" or not ids:
                continue
            rows = store.query('select min("event.ingested") from events where "event.id" = ?', [ids[0]])
            if rows and rows[0][0] is not None:
                out.append((created - rows[0][0]).total_seconds())
    finally:
        store.close()
    return out, len(alerts)


# --- the peer: pySigma query backend → SQLite ----------------------------------------------------


def sqlite_backend() -> Any:
    import ipaddress

    from edubase.secops.logs.sigma.backend import SQLBackend

    class SQLiteBackend(SQLBackend):
        name = "SQLite (peer)"
        dialect = "duckdb"  # the shared field typing; every function below is SQLite's own

        def as_text(self, expr: str) -> str:
            return f"CAST({expr} AS TEXT)"

        def f_contains(self, expr: str, value: str) -> str:
            return f"instr({expr}, {self.lit(value)}) > 0"

        def f_startswith(self, expr: str, value: str) -> str:
            return f"substr({expr}, 1, {len(value)}) = {self.lit(value)}"

        def f_endswith(self, expr: str, value: str) -> str:
            return f"substr({expr}, -{len(value)}) = {self.lit(value)}" if value else "1"

        def f_like(self, expr: str, pattern: str) -> str:
            return f"{expr} GLOB {self.lit(pattern.replace('%', '*').replace('_', '?'))}"

        def f_regex(self, expr: str, pattern: str) -> str:
            return f"{expr} REGEXP {self.lit(pattern)}"

        def f_cidr(self, expr: str, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str:
            return f"cidr_match({expr}, {self.lit(str(network))})"

    return SQLiteBackend


def peer(data: list[tuple[str, str]]) -> dict[str, Any]:
    import ipaddress

    from sigma.collection import SigmaCollection
    from sigma.correlations import SigmaCorrelationRule
    from sigma.rule import SigmaRule

    from edubase.secops.logs import parsers
    from edubase.secops.logs.schema import FIELDS
    from edubase.secops.logs.sigma import compiler

    compiler.BACKENDS["sqlite"] = sqlite_backend()
    atomic: dict[str, str] = {}
    correlations: list[tuple[SigmaCorrelationRule, str]] = []
    rules_dir = ROOT / "src/edubase/secops/logs/rules"
    texts = [p.read_text() for p in sorted(rules_dir.glob("*.yml")) if not p.name.endswith(".test.yml")]
    if True:
        for rule in SigmaCollection.from_yaml("\n---\n".join(t.strip().removeprefix("---") for t in texts)).rules:
            if isinstance(rule, SigmaRule):
                _mapping, datasets = compiler.logsource_profile(rule.logsource)
                atomic[rule.name or str(rule.id)] = compiler._where(rule, "sqlite", datasets)
            elif isinstance(rule, SigmaCorrelationRule):
                correlations.append((rule, ""))

    db = sqlite3.connect(":memory:")
    db.create_function("REGEXP", 2, lambda p, s: s is not None and re.search(p, str(s)) is not None, deterministic=True)

    def cidr(value: Any, net: str) -> bool:
        try:
            return value is not None and ipaddress.ip_address(value) in ipaddress.ip_network(net)
        except ValueError:
            return False

    db.create_function("cidr_match", 2, cidr, deterministic=True)
    from urllib.parse import unquote

    db.create_function("url_decode", 1, lambda v: None if v is None else unquote(v), deterministic=True)
    db.create_function("try", 1, lambda v: v, deterministic=True)
    cols = list(FIELDS)
    db.execute("create table events (" + ", ".join(f'"{c}"' for c in cols) + ")")
    db.execute('create index events_ts on events("@timestamp")')
    insert = "insert into events values (" + ",".join("?" * len(cols)) + ")"
    hits = 0
    t0 = time.monotonic()
    received = dt.datetime.now(dt.UTC)
    last_rowid = 0
    for start in range(0, len(data), 5000):
        rows = []
        for _kind, text in data[start : start + 5000]:
            ev = parsers.parse(text, received_at=received, host_ip="127.0.0.1")
            rows.append(tuple(v.isoformat() if isinstance(v, dt.datetime) else v for v in (ev[c] for c in cols)))
        db.executemany(insert, rows)
        db.commit()
        top = db.execute("select max(rowid) from events").fetchone()[0]
        for where in atomic.values():
            hits += len(db.execute(f"select rowid from events where rowid > ? and ({where})", (last_rowid,)).fetchall())
        newest = rows[-1][cols.index("@timestamp")]
        for rule, _ in correlations:
            refs = [atomic[str(r.reference)] for r in rule.rules or [] if str(r.reference) in atomic]
            if not refs:
                continue
            group = ", ".join(f'"{g}"' for g in (rule.group_by or [])) or "1"
            since = (dt.datetime.fromisoformat(newest) - dt.timedelta(seconds=rule.timespan.seconds)).isoformat()
            cond = rule.condition
            threshold = getattr(cond, "count", 1) or 1 if cond is not None else 1
            where = " OR ".join(f"({w})" for w in refs)
            sql = f'select {group}, count(*) from events where "@timestamp" >= ? and ({where}) group by {group} having count(*) >= ?'
            hits += len(db.execute(sql, (since, threshold)).fetchall())
        last_rowid = top
    elapsed = time.monotonic() - t0
    return {"elapsed": elapsed, "hits": hits, "rules": len(atomic) + len(correlations)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def paced() -> None:
    """``--paced``: a fresh database and spool, ``PACED_LINES`` lines sent at ``PACE`` events/s;
    prints the result as JSON (main runs this in a child: Django is set up once per process)."""
    var = Path(tempfile.mkdtemp(prefix="edubase-ingest-paced-"))
    token = setup(var)
    data = lines(PACED_N, seed=17)
    result = run_edubase(var, token, data, pace=PACE)
    latencies, n_alerts = alert_latency(var)
    print(
        json.dumps(
            {"elapsed": result["elapsed"], "send_s": result["send_s"], "latencies": latencies, "alerts": n_alerts}
        )
    )


def main() -> None:
    var = Path(tempfile.mkdtemp(prefix="edubase-ingest-bench-"))
    print(f"edubase ingest benchmark: {N:,} lines (nginx / sshd / syslog / iptables), var {var}")
    token = setup(var)
    data = lines(N)
    result = run_edubase(var, token, data)
    eps = N / result["elapsed"]
    latencies, n_alerts = alert_latency(var)
    print(
        f"  edubase    : {eps:10,.0f} events/s end to end ({result['elapsed']:.1f} s; senders done at {result['send_s']:.1f} s)"
    )
    print(f"               parse → enrich → store (DuckDB) → detect ({n_alerts} alerts)")
    if latencies:
        print(
            f"               atomic-alert latency p50 {_pct(latencies, 50):.2f} s, p95 {_pct(latencies, 95):.2f} s ({len(latencies)} alerts)"
        )
    print(
        f"               peak RSS receiver {result['peak']['receiver'] / 1024:.0f} MiB, worker + prepare process {result['peak']['worker'] / 1024:.0f} MiB"
    )
    cpu = result["cpu"]
    print(
        "               CPU per event: "
        + ", ".join(f"{k} {v / N * 1e6:.1f} µs" for k, v in cpu.items())
        + f" (total {sum(cpu.values()) / N * 1e6:.1f} µs; worker includes its prepare process; load generator included)"
    )
    if PACED_N:
        child = subprocess.run(
            [sys.executable, __file__, "--paced"], env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        pr = json.loads(child.stdout.strip().splitlines()[-1])
        lat = pr["latencies"]
        print(
            f"  sustained  : {PACED_N:,} lines sent at {PACE:,.0f} events/s (a fresh database): all stored and evaluated"
            f" {pr['elapsed'] - pr['send_s']:.1f} s after the last was sent; atomic-alert latency"
            f" p50 {_pct(lat, 50):.2f} s, p95 {_pct(lat, 95):.2f} s ({len(lat)} alerts; target p95 ≤ 10 s)"
        )
    sample = data[:PEER_N]
    p = peer(sample)
    peer_eps = len(sample) / p["elapsed"]
    print(
        f"  peer       : {peer_eps:10,.0f} events/s (pySigma SQL over SQLite, {p['rules']} rules, {len(sample):,} lines, {p['elapsed']:.1f} s, {p['hits']} hits)"
    )
    print(f"  ratio      : {eps / peer_eps:.1f}× (target ≥ 5×; target ≥ 30,000 events/s)")
    print(f"  median gap : {statistics.median(latencies) if latencies else float('nan'):.2f} s")


if __name__ == "__main__":
    if sys.argv[1:] == ["--paced"]:
        paced()
    else:
        main()
