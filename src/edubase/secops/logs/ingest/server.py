"""The ``edubase ingest`` process: receivers, the group-committed spool, and the spool processor.

Roles. ``receiver`` listens (syslog UDP/TCP/TLS, HTTP) and spools; in NATS mode it also forwards
the spool to JetStream. ``worker`` processes: in local mode it reads the spool from its committed
offset, in NATS mode it consumes the stream. ``all`` (the default) runs a receiver here and a
worker as a child process, so parsing and detection use a second core.

The receivers never touch the database per message: sources are resolved from an in-memory table
(:class:`~edubase.secops.logs.sources.SourceTable`) refreshed every 30 s, and counts are written
back every few seconds, from a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edubase.secops.logs.ingest.spool import Record, SpoolReader, SpoolWriter
from edubase.secops.logs.sources import SourceEntry, SourceTable

logger = logging.getLogger(__name__)

__all__ = ["GroupCommit", "IngestOptions", "Ingestor", "SourceEntry", "run_local_worker", "run_receiver"]

#: refuse UDP datagrams while this many records wait for the disk (TCP/HTTP wait instead)
MAX_QUEUED = 500_000


@dataclass
class IngestOptions:
    spool_dir: Path
    host: str = "0.0.0.0"  # noqa: S104 — receivers serve the schools' networks
    syslog_udp: int | None = None
    syslog_tcp: int | None = None
    syslog_tls: int | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    http: int | None = None
    mode: str = "local"  # local | nats
    role: str = "all"  # receiver | worker | all
    nats_url: str = "nats://127.0.0.1:4222"
    nats_stream: str = "EDUBASE_EVENTS"
    nats_ack_wait: float = 60.0
    refresh_s: float = 30.0
    flush_s: float = 2.0
    linger_s: float = 0.002
    batch: int = 50000
    worker_args: list[str] = field(default_factory=list)


class GroupCommit:
    """Records submitted while one ``fsync`` runs share the next one; futures resolve after it."""

    def __init__(self, writer: SpoolWriter, *, linger_s: float = 0.002) -> None:
        self.writer = writer
        self.linger_s = linger_s
        self.pending: list[Record] = []
        self.waiters: list[tuple[asyncio.Future[list[str]], int, int]] = []
        self.wake = asyncio.Event()
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="spool")
        self.committed = 0
        self.on_commit: Callable[[], None] | None = None

    @property
    def queued(self) -> int:
        return len(self.pending)

    def submit(self, records: list[Record]) -> asyncio.Future[list[str]]:
        fut: asyncio.Future[list[str]] = asyncio.get_running_loop().create_future()
        self.waiters.append((fut, len(self.pending), len(records)))
        self.pending.extend(records)
        self.wake.set()
        return fut

    def _write(self, batch: list[Record]) -> list[str]:
        ids = self.writer.append(batch)
        self.writer.sync()
        return ids

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self.wake.wait()
            if self.linger_s:
                await asyncio.sleep(self.linger_s)
            self.wake.clear()
            batch, waiters = self.pending, self.waiters
            self.pending, self.waiters = [], []
            if not batch:
                for fut, _start, _n in waiters:
                    if not fut.done():
                        fut.set_result([])
                continue
            try:
                ids = await loop.run_in_executor(self.executor, self._write, batch)
            except Exception as exc:
                logger.exception("spool write failed: %d records not acknowledged", len(batch))
                for fut, _start, _n in waiters:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            self.committed += len(batch)
            for fut, start, n in waiters:
                if not fut.done():
                    fut.set_result(ids[start : start + n])
            if self.on_commit is not None:
                self.on_commit()

    def close(self) -> None:
        self.writer.close()
        self.executor.shutdown(wait=True)


def _retrieve(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled():
        fut.exception()


class Ingestor:
    """What every receiver shares: the source table, the spool's group commit, rejection counts."""

    def __init__(self, sources: SourceTable, commit: GroupCommit) -> None:
        self.sources = sources
        self.commit = commit
        self.rejections: Counter[tuple[str, str]] = Counter()

    def submit(self, records: list[Record]) -> asyncio.Future[list[str]]:
        """Spool ``records``; the future resolves (to their event ids) once they are ``fsync``'ed."""
        fut = self.commit.submit(records)
        fut.add_done_callback(_retrieve)
        return fut

    def submit_or_drop(self, records: list[Record]) -> None:
        """UDP: spool without waiting; under overload refuse (and count) instead of queueing without bound."""
        if self.commit.queued > MAX_QUEUED:
            for r in records:
                self.reject(r.peer, "overload")
            return
        self.submit(records)

    def reject(self, peer: str, reason: str, n: int = 1) -> None:
        self.rejections[(peer, reason)] += n


def _tls_context(cert: str, key: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    return ctx


async def _in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """Run a database call in a thread (the event loop keeps receiving) and close its connection."""

    def call() -> Any:
        from django.db import connection

        try:
            return fn(*args)
        finally:
            connection.close()

    return await asyncio.get_running_loop().run_in_executor(None, call)


async def _refresh_sources(ingestor: Ingestor, every_s: float, load: Callable[[], list[SourceEntry]]) -> None:
    while True:
        await asyncio.sleep(every_s)
        try:
            ingestor.sources.replace(await _in_thread(load))
        except Exception:
            logger.exception("source table refresh failed; keeping the previous table")


async def _flush_rejections(ingestor: Ingestor, every_s: float, flush: Callable[[Any], Any]) -> None:
    while True:
        await asyncio.sleep(every_s)
        await _flush_rejections_once(ingestor, flush)


async def _flush_rejections_once(ingestor: Ingestor, flush: Callable[[Any], Any]) -> None:
    if not ingestor.rejections:
        return
    counts, ingestor.rejections = dict(ingestor.rejections), Counter()
    try:
        await _in_thread(flush, counts)
    except Exception:
        logger.exception("rejection counts not written; keeping them for the next flush")
        ingestor.rejections.update(counts)


@dataclass
class Listening:
    """Ports actually bound (0 in the options asks the OS for a free one)."""

    ports: dict[str, int] = field(default_factory=dict)


async def start_receivers(ingestor: Ingestor, options: IngestOptions) -> tuple[list[Any], Listening]:
    from edubase.secops.logs.ingest.http import HttpReceiver
    from edubase.secops.logs.ingest.syslog import SyslogTCP, SyslogUDP

    loop = asyncio.get_running_loop()
    servers: list[Any] = []
    bound = Listening()

    def port_of(server: Any) -> int:
        return int(server.sockets[0].getsockname()[1])

    if options.syslog_udp is not None:
        transport, _proto = await loop.create_datagram_endpoint(
            lambda: SyslogUDP(ingestor), local_addr=(options.host, options.syslog_udp)
        )
        servers.append(transport)
        bound.ports["syslog_udp"] = int(transport.get_extra_info("sockname")[1])
    if options.syslog_tcp is not None:
        server = await loop.create_server(lambda: SyslogTCP(ingestor), options.host, options.syslog_tcp, backlog=1024)
        servers.append(server)
        bound.ports["syslog_tcp"] = port_of(server)
    if options.syslog_tls is not None:
        if not (options.tls_cert and options.tls_key):
            raise ValueError("TLS 接收需要同时提供 --cert 与 --key")
        ctx = _tls_context(options.tls_cert, options.tls_key)
        server = await loop.create_server(lambda: SyslogTCP(ingestor), options.host, options.syslog_tls, ssl=ctx)
        servers.append(server)
        bound.ports["syslog_tls"] = port_of(server)
    if options.http is not None:
        receiver = HttpReceiver(ingestor)
        server = await asyncio.start_server(receiver.handle, options.host, options.http, limit=64 * 1024, backlog=1024)
        servers.append(server)
        bound.ports["http"] = port_of(server)
    return servers, bound


def _ready_file(options: IngestOptions, bound: Listening) -> None:
    """Write ``<spool>/ready`` (the bound ports) so supervisors and tests know the receivers are up."""
    import json

    path = options.spool_dir / "ready.json"
    tmp = options.spool_dir / "ready.json.tmp"
    tmp.write_text(json.dumps({"pid": os.getpid(), **bound.ports}))
    os.replace(tmp, path)


async def run_receiver(
    options: IngestOptions,
    *,
    load_sources: Callable[[], list[SourceEntry]],
    flush_rejections: Callable[[Any], Any],
    stop: asyncio.Event | None = None,
    on_ready: Callable[[Listening], None] | None = None,
) -> None:
    """Run the receivers until ``stop`` is set (or the process is told to stop)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    writer = SpoolWriter(options.spool_dir)
    commit = GroupCommit(writer, linger_s=options.linger_s)
    ingestor = Ingestor(SourceTable(await _in_thread(load_sources)), commit)
    tasks = [
        asyncio.create_task(commit.run(), name="spool-commit"),
        asyncio.create_task(_refresh_sources(ingestor, options.refresh_s, load_sources), name="sources"),
        asyncio.create_task(_flush_rejections(ingestor, options.flush_s, flush_rejections), name="rejections"),
    ]
    if options.mode == "nats":
        from edubase.secops.logs.ingest.nats import forward_spool

        tasks.append(asyncio.create_task(forward_spool(options, commit), name="nats-forward"))
    servers, bound = await start_receivers(ingestor, options)
    _ready_file(options, bound)
    if on_ready is not None:
        on_ready(bound)
    logger.info("edubase ingest receivers up: %s", bound.ports)
    try:
        waiter = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
        for t in done:
            if t is not waiter and t.exception() is not None:
                raise t.exception()  # type: ignore[misc]
    finally:
        for s in servers:
            s.close()
        await asyncio.sleep(options.linger_s * 2 + 0.05)  # let the last group commit finish
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await _flush_rejections_once(ingestor, flush_rejections)
        commit.close()
        with contextlib.suppress(FileNotFoundError):
            (options.spool_dir / "ready.json").unlink()


# --- the local spool processor ----------------------------------------------------------------


class CounterFlush:
    """Per-source counts gathered by a worker, written back every ``every_s`` seconds."""

    def __init__(self, flush: Callable[[Any], Any] | None, every_s: float) -> None:
        self.flush = flush
        self.every_s = every_s
        self.counts: dict[int, list[Any]] = {}
        self.last = time.monotonic()

    def add(self, counts: dict[int, list[Any]]) -> None:
        for sid, (accepted, unparsed, last) in counts.items():
            c = self.counts.setdefault(sid, [0, 0, 0.0])
            c[0] += accepted
            c[1] += unparsed
            c[2] = max(c[2], last)

    def maybe_flush(self, *, force: bool = False) -> None:
        if self.flush is None or not self.counts:
            return
        if not force and time.monotonic() - self.last < self.every_s:
            return
        counts, self.counts = self.counts, {}
        self.last = time.monotonic()
        try:
            self.flush({sid: tuple(c) for sid, c in counts.items()})
        except Exception:
            logger.exception("source counters not written; keeping them for the next flush")
            self.add(counts)


def _parent_gone(parent: int | None) -> bool:
    return parent is not None and os.getppid() != parent


Position = tuple[int, int]  # (segment seq, offset) in the spool


def _mark_path(spool_dir: Path, name: str) -> Path:
    return spool_dir / f"{name}.inflight"


def read_inflight(spool_dir: Path, name: str = "processor") -> Position | None:
    """The end of the furthest batch reader ``name`` ever started to store (None: never recorded)."""
    import json

    try:
        data = json.loads(_mark_path(spool_dir, name).read_text())
        return int(data["seq"]), int(data["offset"])
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None


def write_inflight(spool_dir: Path, position: Position, name: str = "processor") -> None:
    """Durably record that records before ``position`` may be in the store (before writing them)."""
    import json

    path = _mark_path(spool_dir, name)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        json.dump({"seq": position[0], "offset": position[1]}, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(spool_dir, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replay_horizon(spool_dir: Path, name: str = "processor") -> Position:
    """Records before this position may already be in the store; records at or after it cannot.

    The worker writes ``<name>.inflight`` (the end of the batch) before each store write, so after
    a crash the horizon is exactly what an earlier run may have stored without committing. A spool
    without the mark (written by an older version) is treated as all replay, up to its end now.
    """
    from edubase.secops.logs.ingest.spool import segments

    mark = read_inflight(spool_dir, name)
    if mark is not None:
        return mark
    segs = segments(spool_dir)
    if not segs:
        return (0, 0)
    last = spool_dir / f"{segs[-1]:010d}.seg"
    try:
        return (segs[-1], last.stat().st_size)
    except FileNotFoundError:
        return (segs[-1] + 1, 0)


class _Prefetch:
    """Reads and prepares the next batch in a thread while the main thread stores and evaluates
    the one before: parsing, enrichment and the Arrow conversion hold the GIL, but the store
    write and most of the detection run inside DuckDB, which releases it, so the two overlap on
    a second core. The main thread alone writes the in-flight mark, the store and the offset,
    in spool order; after a failure the prefetch is dropped and restarted from the committed
    offset, exactly as a restart of the process would."""

    def __init__(self, spool_dir: Path, components: Any, batch: int, idle_s: float) -> None:
        import queue

        self.reader = SpoolReader(spool_dir, name="processor")
        self.components, self.batch, self.idle_s = components, batch, idle_s
        self.queue: queue.Queue[tuple[list[Any], Any, BaseException | None]] = queue.Queue(maxsize=1)
        self.halt = threading.Event()
        self.thread = threading.Thread(target=self._run, name="ingest-prepare", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        import queue

        from edubase.secops.logs import pipeline

        while not self.halt.is_set():
            items: list[Any] = []
            error: BaseException | None = None
            prepared: Any = None
            try:
                block = self.reader.read_block(max_records=self.batch)
                if block is None:
                    self.halt.wait(self.idle_s)
                    continue
                items = block.marks
                prepared = pipeline.prepare(block, self.components)
            except Exception as exc:
                error = exc
            while not self.halt.is_set():
                try:
                    self.queue.put((items, prepared, error), timeout=0.1)
                    break
                except queue.Full:
                    continue
            if error is not None:
                return  # the main thread restarts from the committed offset

    def get(self, timeout: float) -> tuple[list[Any], Any, BaseException | None] | None:
        import queue

        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def commit(self, items: list[Any]) -> None:
        self.reader.commit_through(items)

    def close(self) -> None:
        self.halt.set()
        self.thread.join()


def prepare_loop(spool_dir: str, batch: int, idle_s: float, parent: int, conn: Any) -> None:
    """The prepare process (``prepare.main``): reads the spool from the committed offset, parses
    and enriches each batch (``pipeline.prepare`` with the real components) and sends the batch's
    first and last position, its Arrow table and its counts to the worker; exits when the worker
    is gone."""
    from edubase.secops.logs import pipeline

    components = pipeline.Components.real(detect=False)
    reader = SpoolReader(Path(spool_dir), name="processor")
    while os.getppid() == parent:
        block = None
        try:
            block = reader.read_block(max_records=batch)
            if block is None:
                time.sleep(idle_s)
                continue
            prepared = pipeline.prepare(block, components)
            message: Any = (block.marks, prepared.table, prepared.counts, None)
            components.maybe_refresh()
        except Exception as exc:
            logger.exception("prepare process failed on a batch of %d records", len(block) if block else 0)
            message = ([], None, {}, f"{type(exc).__name__}: {exc}")
        try:
            conn.send(message)
        except (BrokenPipeError, EOFError, OSError):
            return
        if message[3] is not None:
            return  # the worker restarts from the committed offset


class _ProcessPrefetch:
    """:class:`_Prefetch` in a process of its own: parsing and enrichment then run on the second
    core without contending for the worker's GIL (in a thread they took turns with the store write
    and detection, and the worker stayed under one core). Only for the real components (the child
    builds its own); the worker sends nothing to it, it receives ``(marks, table, counts, error)``."""

    def __init__(self, spool_dir: Path, components: Any, batch: int, idle_s: float) -> None:
        import multiprocessing

        from edubase.secops.logs.ingest import prepare

        ctx = multiprocessing.get_context("spawn")
        self.conn, child_conn = ctx.Pipe(duplex=False)
        self.committer = SpoolReader(spool_dir, name="processor")
        self.process = ctx.Process(
            target=prepare.main,
            args=(str(spool_dir), batch, idle_s, os.getpid(), child_conn),
            name="ingest-prepare",
            daemon=True,
        )
        self.process.start()
        child_conn.close()

    def get(self, timeout: float) -> tuple[list[Any], Any, BaseException | None] | None:
        from edubase.secops.logs import pipeline

        try:
            if not self.conn.poll(timeout):
                return None
            marks, table, counts, error = self.conn.recv()
        except (EOFError, OSError) as exc:
            return [], None, RuntimeError(f"日志预处理进程退出：{exc}")
        if error is not None:
            return [], None, RuntimeError(error)
        return marks, pipeline.Prepared(pipeline.TableEvents(table), counts, table), None

    def commit(self, items: list[Any]) -> None:
        self.committer.commit_through(items)

    def close(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def _prefetcher(spool_dir: Path, components: Any, batch: int, idle_s: float) -> Any:
    if getattr(components, "is_real", False) and getattr(components, "fast", False) and _processes_allowed():
        return _ProcessPrefetch(spool_dir, components, batch, idle_s)
    return _Prefetch(spool_dir, components, batch, idle_s)


def _processes_allowed() -> bool:
    """The prepare process is on unless the ``EDUBASE_INGEST_PREPARE_PROCESS`` setting says no."""
    from django.conf import settings

    return bool(getattr(settings, "EDUBASE_INGEST_PREPARE_PROCESS", True))


def run_local_worker(
    spool_dir: Path,
    components: Any,
    *,
    batch: int = 50000,
    stop: threading.Event | None = None,
    flush_counters: Callable[[Any], Any] | None = None,
    flush_s: float = 2.0,
    idle_s: float = 0.02,
    parent: int | None = None,
    on_batch: Callable[[Any], None] | None = None,
) -> None:
    """Process the spool from the committed offset until ``stop`` (or the parent process dies).

    Exactly once in the store without a duplicate check on every write: before a batch is stored,
    ``<spool>/processor.inflight`` durably records the end of the batch. Records before the larger
    of that mark at start-up and the committed offset may have been stored by a run that died
    before committing (or by a failed attempt of this run): their batches are written with the
    store's duplicate check. Every later batch is new by construction (event ids are spool
    positions, and this worker is the spool's only processor), so it is appended without one.
    The next batch is parsed in a thread meanwhile (:class:`_Prefetch`).
    """
    from edubase.secops.logs import pipeline

    pipeline.use_local_state(components)  # this worker is the spool's (and the store's) only processor
    horizon = replay_horizon(spool_dir)
    mark = read_inflight(spool_dir)
    counters = CounterFlush(flush_counters, flush_s)
    stop = stop or threading.Event()
    prefetch = _prefetcher(spool_dir, components, batch, idle_s)
    try:
        while not stop.is_set() and not _parent_gone(parent):
            got = prefetch.get(max(idle_s, 0.01))
            if got is None:
                counters.maybe_flush()
                continue
            items, prepared, error = got
            try:
                if error is not None:
                    raise error
                first: Position = (items[0].seq, items[0].offset)
                end: Position = (items[-1].seq, items[-1].end)
                if mark is None or end > mark:
                    write_inflight(spool_dir, end)
                    mark = end
                result = pipeline.finish(prepared, components, fresh=first >= horizon)
            except Exception:
                logger.exception("batch at %s failed; retrying from the committed offset", items[:1])
                prefetch.close()
                if mark is not None:  # the failed attempt may have stored part of what it read
                    horizon = max(horizon, mark)
                stop.wait(1.0)
                prefetch = _prefetcher(spool_dir, components, batch, idle_s)
                continue
            prefetch.commit(items)
            components.maybe_refresh()
            counters.add(result.counts)
            counters.maybe_flush()
            if on_batch is not None:
                on_batch(result)
    finally:
        prefetch.close()
    counters.maybe_flush(force=True)


def spawn_worker(argv: list[str]) -> subprocess.Popen[bytes]:
    """Start ``edubase ingest --role worker …`` as a child process (it exits when its parent dies)."""
    return subprocess.Popen([sys.executable, "-m", "edubase.cli", "ingest", "--role", "worker", *argv])


async def supervise(argv: list[str], stop: asyncio.Event) -> None:
    """Keep one worker child running beside the receivers; restart it if it dies."""
    child = spawn_worker(argv)
    try:
        while not stop.is_set():
            await asyncio.sleep(0.5)
            if child.poll() is not None:
                logger.error("ingest worker exited with %s; restarting", child.returncode)
                await asyncio.sleep(1.0)
                child = spawn_worker(argv)
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            for _ in range(100):
                if child.poll() is not None:
                    break
                await asyncio.sleep(0.1)
            if child.poll() is None:
                child.kill()
