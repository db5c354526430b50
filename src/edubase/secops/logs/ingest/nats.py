"""Scaled mode: receivers forward their spool to NATS JetStream; workers consume, process, store, ack.

Receivers still spool and ``fsync`` before acknowledging (a receiver crash loses nothing); a
forwarder reads the spool in order, publishes batches to the stream (work-queue retention, file
storage) and commits its spool offset only after JetStream acknowledged them. Workers share one
durable pull consumer and ack a message after its events are stored (and evaluated). Delivery is
at least once; the store ignores an ``event.id`` it already holds, so every event is stored once.

A message carries many records: per record ``>H`` id length, the event id, then the spool record
encoding (length, CRC, body), so a message is checked exactly like the spool.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import struct
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from edubase.secops.logs.ingest.spool import MAX_RECORD, Record, SpoolReader, _scan, encode

if TYPE_CHECKING:
    from edubase.secops.logs.ingest.server import GroupCommit, IngestOptions

logger = logging.getLogger(__name__)

_ID = struct.Struct(">H")
MAX_MESSAGE = 900 * 1024  # below NATS' default max_payload (1 MiB)
DURABLE = "edubase-workers"


def subject_of(stream: str) -> str:
    return f"{stream}.events"


def pack(items: list[tuple[str, Record]]) -> list[bytes]:
    """(event id, record) pairs → message payloads of at most ``MAX_MESSAGE`` bytes each."""
    out: list[bytes] = []
    chunk: list[bytes] = []
    size = 0
    for eid, record in items:
        raw_id = eid.encode()
        blob = _ID.pack(len(raw_id)) + raw_id + encode(record)
        if chunk and size + len(blob) > MAX_MESSAGE:
            out.append(b"".join(chunk))
            chunk, size = [], 0
        chunk.append(blob)
        size += len(blob)
    if chunk:
        out.append(b"".join(chunk))
    return out


def unpack(payload: bytes) -> list[tuple[str, Record]]:
    """The (event id, record) pairs of one message; a damaged record ends the list."""
    out: list[tuple[str, Record]] = []
    pos = 0
    size = len(payload)
    while pos + _ID.size <= size:
        (n,) = _ID.unpack_from(payload, pos)
        eid = payload[pos + _ID.size : pos + _ID.size + n].decode()
        pos += _ID.size + n
        it = _scan(payload[pos : pos + MAX_RECORD + 1024])
        first = next(it, None)
        record = first[2] if first is not None else None
        if first is None or record is None:
            logger.error("damaged record in a NATS message after %d records", len(out))
            break
        out.append((eid, record))
        end = first[1]
        pos += end
    return out


async def connect(url: str) -> Any:
    import nats

    return await nats.connect(url, name="edubase-ingest", max_reconnect_attempts=-1, reconnect_time_wait=1)


async def ensure_stream(js: Any, stream: str) -> None:
    from nats.js.api import RetentionPolicy, StorageType
    from nats.js.errors import NotFoundError

    try:
        await js.stream_info(stream)
    except NotFoundError:
        await js.add_stream(
            name=stream,
            subjects=[subject_of(stream)],
            retention=RetentionPolicy.WORK_QUEUE,
            storage=StorageType.FILE,
        )


async def forward_spool(options: IngestOptions, commit: GroupCommit) -> None:
    """Publish the spool to JetStream in order; commit the spool offset after each publish ack."""
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()
    commit.on_commit = wake.set
    subject = subject_of(options.nats_stream)
    while True:
        nc = None
        try:
            nc = await connect(options.nats_url)
            js = nc.jetstream()
            await ensure_stream(js, options.nats_stream)
            reader = SpoolReader(options.spool_dir, name="forwarder")
            while True:
                items = await loop.run_in_executor(None, functools.partial(reader.read, max_records=options.batch))
                if not items:
                    wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), 0.2)
                    continue
                for payload in pack([(s.event_id, s.record) for s in items]):
                    await js.publish(subject, payload, stream=options.nats_stream, timeout=10)
                await loop.run_in_executor(None, reader.commit_through, items)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("NATS forwarding failed; retrying from the committed spool offset")
            await asyncio.sleep(1.0)
        finally:
            if nc is not None:
                with contextlib.suppress(Exception):  # closing a broken connection
                    await nc.close()


async def run_nats_worker(
    options: IngestOptions,
    components: Any,
    *,
    stop: asyncio.Event | threading.Event | None = None,
    flush_counters: Callable[[Any], Any] | None = None,
    parent: int | None = None,
    fetch: int = 4,
) -> None:
    """Consume the stream with the shared durable consumer until ``stop`` (or the parent dies)."""
    from nats.errors import TimeoutError as NatsTimeout
    from nats.js.api import AckPolicy, ConsumerConfig

    from edubase.secops.logs import pipeline
    from edubase.secops.logs.ingest.server import CounterFlush, _parent_gone

    loop = asyncio.get_running_loop()
    counters = CounterFlush(flush_counters, options.flush_s)
    nc = await connect(options.nats_url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, options.nats_stream)
        sub = await js.pull_subscribe(
            subject_of(options.nats_stream),
            durable=DURABLE,
            stream=options.nats_stream,
            config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=options.nats_ack_wait, max_ack_pending=2000),
        )
        while not (stop is not None and stop.is_set()) and not _parent_gone(parent):
            try:
                msgs = await sub.fetch(batch=fetch, timeout=0.5)
            except (NatsTimeout, TimeoutError):
                await loop.run_in_executor(None, counters.maybe_flush)
                continue
            items: list[tuple[str, Record]] = []
            for msg in msgs:
                items.extend(unpack(msg.data))
            try:
                result = await loop.run_in_executor(None, pipeline.process, items, components)
            except Exception:
                logger.exception("batch of %d events failed; leaving it to be redelivered", len(items))
                for msg in msgs:
                    await msg.nak(delay=2)
                continue
            for msg in msgs:
                await msg.ack()
            counters.add(result.counts)
            await loop.run_in_executor(None, counters.maybe_flush)
        await loop.run_in_executor(None, lambda: counters.maybe_flush(force=True))
    finally:
        await nc.close()
