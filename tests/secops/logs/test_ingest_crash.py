"""Reliability: ``edubase ingest`` is SIGKILLed under load and restarted; every acknowledged event is
in the store exactly once (local spool processing and NATS JetStream mode).

The process runs for real (a subprocess on its own SQLite file database and DuckDB event store):
TCP syslog senders use octet-counted frames, half-close and count a batch as acknowledged only
when edubase answers ``OK <n>`` (sent after ``fsync``); ``_bulk`` senders count a request as
acknowledged when it got 200 with ``errors: false``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.secops.logs.ingest_support import filebeat_doc, http, ndjson, octet_frames, send_and_confirm

ROOT = Path(__file__).resolve().parents[3]
MARK = re.compile(r"ct-(?:tcp|bulk)-\d+-\d+-\d+")
SETUP = """
import django; django.setup()
from edubase.orgs.models import Org
from edubase.secops.models import LogSource
from edubase.secops.logs.sources import new_token, token_digest
org = Org.objects.add_root({"kind": "province", "name": "河南省", "code": "410000", "region_code": "410000"})
prefix, token = new_token()
LogSource.objects.create(org=org, org_path=org.path, name="crash", token_prefix=prefix,
                         token_digest=token_digest(token), sender_ips=["127.0.0.1"])
print(token)
"""


def _env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EDUBASE_", "DJANGO_"))}
    env.update(
        EDUBASE_VAR_DIR=str(var_dir),
        EDUBASE_MASTER_KEY="00112233445566778899aabbccddeeff",
        EDUBASE_SECRET_KEY="crash-test-secret-key-not-used-for-anything-real-000",
        DJANGO_SETTINGS_MODULE="edubase.settings",
        PYTHONPATH=str(ROOT / "src"),
    )
    return env


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A migrated SQLite var dir with one log source (for 127.0.0.1) and its token."""
    var = tmp_path_factory.mktemp("ingest-template")
    env = _env(var)
    subprocess.run(
        [sys.executable, "-m", "edubase.cli", "migrate", "--noinput"], env=env, check=True, capture_output=True
    )
    out = subprocess.run([sys.executable, "-c", SETUP], env=env, check=True, capture_output=True, text=True)
    return var, out.stdout.strip().splitlines()[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Process:
    def __init__(self, var: Path, args: list[str]) -> None:
        self.var, self.args = var, args
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = open(var / "ingest.log", "ab")  # noqa: SIM115 — closed in stop()

    def start(self) -> None:
        ready = self.var / "spool" / "ready.json"
        with contextlib.suppress(FileNotFoundError):
            ready.unlink()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "edubase.cli", "ingest", *self.args],
            env=_env(self.var),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert self.proc.poll() is None, (self.var / "ingest.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "ingest did not start"
            time.sleep(0.05)

    def prepare_process(self, timeout: float = 30.0) -> bool:
        """Whether the worker child runs a spawned prepare process (the receiver's grandchild)."""
        assert self.proc is not None

        def children(pid: int) -> list[int]:
            try:
                return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
            except OSError:
                return []

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for worker in children(self.proc.pid):
                for child in children(worker):
                    with contextlib.suppress(OSError):
                        if b"multiprocessing" in Path(f"/proc/{child}/cmdline").read_bytes():
                            return True
            time.sleep(0.2)
        return False

    def kill(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            # the worker child shares the process group: wait until it is gone too
            with contextlib.suppress(ProcessLookupError):
                for _ in range(300):
                    os.killpg(self.proc.pid, 0)
                    time.sleep(0.1)
        self.log.close()


class Load:
    """TCP syslog and ``_bulk`` senders recording what was acknowledged."""

    def __init__(self, tcp: int, http_port: int, token: str) -> None:
        self.tcp, self.http_port, self.token = tcp, http_port, token
        self.acked: set[str] = set()
        self.sent = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._tcp, args=(n,), daemon=True) for n in range(2)] + [
            threading.Thread(target=self._bulk, args=(n,), daemon=True) for n in range(2)
        ]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(60)

    def _ack(self, marks: list[str]) -> None:
        with self.lock:
            self.acked.update(marks)

    def _tcp(self, n: int) -> None:
        batch = 0
        while not self.stop.is_set():
            batch += 1
            marks = [f"ct-tcp-{n}-{batch}-{i}" for i in range(200)]
            lines = [
                f"<86>Mar  1 16:00:{i % 60:02d} web01 sshd[42]: Failed password for root from 203.0.113.9 {m}"
                for i, m in enumerate(marks)
            ]
            try:
                with socket.create_connection(("127.0.0.1", self.tcp), timeout=10) as s:
                    answer = send_and_confirm(s, octet_frames(lines))
            except OSError:
                time.sleep(0.05)
                continue
            if answer == f"OK {len(marks)}\n":
                self._ack(marks)

    def _bulk(self, n: int) -> None:
        batch = 0
        while not self.stop.is_set():
            batch += 1
            marks = [f"ct-bulk-{n}-{batch}-{i}" for i in range(100)]
            lines: list[Any] = []
            for i, m in enumerate(marks):
                lines += [
                    {"create": {"_index": "filebeat-8.15.0"}},
                    filebeat_doc(
                        f'203.0.113.9 - - [01/Mar/2025:16:00:03 +0800] "GET /{m} HTTP/1.1" 200 5 "-" "curl/8"', n=i
                    ),
                ]
            try:
                status, _, body = http(
                    self.http_port, "POST", "/_bulk", ndjson(lines), {"Authorization": f"Bearer {self.token}"}
                )
            except OSError:
                time.sleep(0.05)
                continue
            if status == 200 and json.loads(body)["errors"] is False:
                self._ack(marks)


def _spool_drained(spool: Path, reader: str) -> bool:
    from edubase.secops.logs.ingest.spool import read_offset, segments

    segs = segments(spool)
    if not segs:
        return True
    seq, offset = read_offset(spool, reader)
    return seq == segs[-1] and offset == (spool / f"{segs[-1]:010d}.seg").stat().st_size


async def _stream_drained(stream: str) -> bool:
    import nats
    from nats.js.errors import NotFoundError

    from edubase.secops.logs.ingest.nats import DURABLE

    nc = await nats.connect("nats://127.0.0.1:4222")
    try:
        info = await nc.jetstream().consumer_info(stream, DURABLE)
        return info.num_pending == 0 and info.num_ack_pending == 0
    except NotFoundError:  # the worker has not subscribed yet
        return False
    finally:
        await nc.close()


async def _delete_stream(stream: str) -> None:
    import nats

    nc = await nats.connect("nats://127.0.0.1:4222")
    try:
        with contextlib.suppress(Exception):
            await nc.jetstream().delete_stream(stream)
    finally:
        await nc.close()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["local", "nats"])
def test_every_acknowledged_event_is_stored_exactly_once_after_sigkill(
    template: tuple[Path, str], tmp_path: Path, mode: str
) -> None:
    source_var, token = template
    var = tmp_path / "var"
    shutil.copytree(source_var, var)
    tcp, http_port = _free_port(), _free_port()
    stream = f"EDUBASE_TEST_{secrets.token_hex(4).upper()}"
    args = [
        "--host",
        "127.0.0.1",
        "--syslog-tcp",
        str(tcp),
        "--http",
        str(http_port),
        "--mode",
        mode,
        "--batch",
        "1000",
    ]
    args += ["--nats-stream", stream, "--nats-ack-wait", "3"]
    ingest = Process(var, args)
    load = Load(tcp, http_port, token)
    try:
        ingest.start()
        if mode == "local":  # the worker parses in a prepare process of its own (ADR 0011)
            assert ingest.prepare_process(), (var / "ingest.log").read_text()[-3000:]
        load.start()
        deadline = time.monotonic() + 60
        while len(load.acked) < 3000 and time.monotonic() < deadline:
            time.sleep(0.05)
        acked_before_kill = len(load.acked)
        assert acked_before_kill >= 3000, (var / "ingest.log").read_text()[-3000:]
        ingest.kill()  # receiver and worker together, mid-load
        time.sleep(0.5)
        ingest.start()
        target = len(load.acked) + 2000
        deadline = time.monotonic() + 60
        while len(load.acked) < target and time.monotonic() < deadline:
            time.sleep(0.05)
        load.finish()
        assert len(load.acked) >= target, (var / "ingest.log").read_text()[-3000:]
        # wait until everything spooled has been processed (and, with NATS, consumed and acked)
        reader = "forwarder" if mode == "nats" else "processor"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            drained = _spool_drained(var / "spool", reader)
            if drained and mode == "nats":
                drained = asyncio.run(_stream_drained(stream))
            if drained:
                break
            time.sleep(0.2)
        else:
            pytest.fail("the spool was not drained: " + (var / "ingest.log").read_text()[-3000:])
        time.sleep(0.5)
    finally:
        load.finish()
        ingest.stop()
        if mode == "nats":
            asyncio.run(_delete_stream(stream))

    from edubase.secops.logs.store.duck import DuckDBStore

    store = DuckDBStore(var / "events")
    try:
        rows = store.query('select "event.id", "log.original", message from events')
    finally:
        store.close()
    ids = Counter(r[0] for r in rows)
    assert not [i for i, n in ids.items() if n > 1], "an event id is stored twice"
    seen: Counter[str] = Counter()
    for _eid, original, message in rows:
        seen.update(set(MARK.findall(f"{original or ''} {message or ''}")))
    missing = load.acked - set(seen)
    assert not missing, f"{len(missing)} acknowledged events missing, e.g. {sorted(missing)[:5]}"
    assert not [m for m, n in seen.items() if n > 1], "an event is stored twice"
    assert len(load.acked) >= 5000
