"""The processing pipeline: a batch of spooled records → parse → enrich → store → detect.

Plain functions over dicts, one store write and one detection pass per batch (no per-event
database round trip). The pieces are named by :class:`Components`; :meth:`Components.real` binds
the project's parsers, enricher, event store and detector, and fails loudly (naming the missing
module) when one is absent, so a half-installed pipeline never runs silently.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import inspect
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from edubase.secops.logs.ingest.spool import KIND_JSON, Block, Record

logger = logging.getLogger(__name__)

UTC = dt.UTC
Event = dict[str, Any]


class Store(Protocol):
    def write(self, events: Sequence[Event]) -> int: ...


ParseFn = Callable[..., Event]
EnrichFn = Callable[[Event, int], Any]
DetectFn = Callable[[Sequence[Event], Any], list[Any]]


class PipelineMissing(RuntimeError):
    """A pipeline component the ingest process needs is not installed."""


def _load(module: str, attr: str) -> Any:
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        raise PipelineMissing(f"日志处理组件缺失：无法导入 {module}（{exc}）") from exc
    try:
        return getattr(mod, attr)
    except AttributeError as exc:
        raise PipelineMissing(f"日志处理组件缺失：{module} 中没有 {attr}") from exc


@dataclass
class Components:
    """What a batch goes through; ``enrich``/``detect`` may be None (stored but not enriched/evaluated)."""

    parse: ParseFn
    store: Store
    enrich: EnrichFn | None = None
    detect: DetectFn | None = None
    #: source id → declared format (the parser hint) and org path
    sources: dict[int, tuple[str, str]] = field(default_factory=dict)
    refresh: Callable[[Components], None] | None = None
    refreshed_at: float = 0.0
    #: the detector's in-memory correlation state, when this process is the store's only
    #: processor (``use_local_state``; never in NATS mode, where workers share the stream)
    detect_state: Any = None
    #: the columnar enricher behind ``enrich`` (``Enricher``), for the fast path's Arrow batches
    enricher: Any = None
    #: offer each batch to the columnar fast parser first (``fastpath``; identical results)
    fast: bool = True
    #: built by :meth:`real` (a prepare process can then build its own twin)
    is_real: bool = False

    @classmethod
    def real(cls, *, detect: bool = True, enrich: bool = True) -> Components:
        """The project's parsers, enricher, event store and detector."""
        parse = _load("edubase.secops.logs.parsers", "parse")
        store = _load("edubase.secops.logs.store", "get_store")()
        components = cls(parse=parse, store=store, refresh=_refresh_real, is_real=True)
        components._want_enrich, components._want_detect = enrich, detect  # type: ignore[attr-defined]
        _refresh_real(components)
        return components

    def maybe_refresh(self, every_s: float = 30.0) -> None:
        if self.refresh is not None and time.monotonic() - self.refreshed_at >= every_s:
            try:
                self.refresh(self)
            except PipelineMissing:
                raise
            except Exception:
                logger.exception("pipeline refresh failed; keeping the previous tables")
            self.refreshed_at = time.monotonic()


def _refresh_real(components: Components) -> None:
    from edubase.secops.logs.sources import source_table

    components.sources = {e.id: (e.format, e.org_path) for e in source_table()}
    if getattr(components, "_want_enrich", True):
        enricher_cls = _load("edubase.secops.logs.enrich", "Enricher")
        fresh = components.enricher is None
        components.enricher = enricher_cls.from_db()
        components.enrich = components.enricher.apply
        geo = getattr(components.enricher, "geo", None)
        if fresh and geo is not None and hasattr(geo, "lookup_v4_table"):
            from edubase.secops.logs.store.base import var_dir

            try:  # the IPv4 interval table, from the var dir's copy when there is one (≈1 s to build)
                geo.lookup_v4_table(var_dir() / "cache" / "geoip")
            except OSError:
                logger.warning("GeoIP interval table cache unavailable; building it in memory", exc_info=True)
    if getattr(components, "_want_detect", True) and components.detect is None:
        components.detect = _load("edubase.secops.logs.detect", "evaluate_batch")
    components.refreshed_at = time.monotonic()


def use_local_state(components: Any) -> None:
    """Give the detector an in-memory correlation state (``detect.CorrelationState``): only for
    the single local worker, which sees every event of its store."""
    detect = getattr(components, "detect", None)
    if detect is None or getattr(components, "detect_state", None) is not None or not _takes(detect, "state"):
        return
    factory = getattr(importlib.import_module(detect.__module__), "CorrelationState", None)
    if factory is not None:
        components.detect_state = factory()


@dataclass
class BatchResult:
    events: Sequence[Event]
    stored: int
    alerts: list[Any]
    #: source id → [accepted, unparsed, last receipt epoch]
    counts: dict[int, list[Any]]


def _decode(data: bytes) -> str:
    try:
        return data.decode()
    except UnicodeDecodeError:
        return data.decode("gb18030", "replace")


def build_events(
    items: Sequence[tuple[str, Record]], components: Components
) -> tuple[list[Event], dict[int, list[Any]]]:
    """Parse and enrich ``(event id, record)`` pairs; per-source counts alongside."""
    parse, enrich, sources = components.parse, components.enrich, components.sources
    events: list[Event] = []
    counts: dict[int, list[Any]] = {}
    fromts = dt.datetime.fromtimestamp
    last_ts = -1.0
    received = dt.datetime.now(UTC)
    for eid, rec in items:
        if rec.received_at != last_ts:
            last_ts = rec.received_at
            received = fromts(last_ts, UTC)
        sid = rec.source_id
        hint, org_path = sources.get(sid, ("auto", None))
        raw: Any = rec.data
        if rec.kind == KIND_JSON:
            raw = _decode(rec.data)
        event = parse(raw, hint=hint, received_at=received, host_ip=rec.peer, meta={"edubase.source_id": sid})
        event["event.id"] = eid
        event["event.ingested"] = received
        event["edubase.source_id"] = sid
        if enrich is not None:
            enrich(event, sid)
        if event.get("edubase.org_path") is None and org_path:
            event["edubase.org_path"] = org_path
        c = counts.get(sid)
        if c is None:
            c = counts[sid] = [0, 0, 0.0]
        c[0] += 1
        if not event.get("edubase.parsed"):
            c[1] += 1
        if rec.received_at > c[2]:
            c[2] = rec.received_at
        events.append(event)
    return events, counts


@functools.lru_cache(maxsize=64)
def _takes(fn: Callable[..., Any], name: str) -> bool:
    """Whether ``fn`` accepts the keyword ``name`` (stand-in stores and detectors in tests may not)."""
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _method(obj: Any, name: str) -> Callable[..., Any]:
    return getattr(type(obj), name, None) or getattr(obj, name)


@dataclass
class Prepared:
    """A batch parsed and enriched, with the store's Arrow table (``None`` for a store without
    the ``dedupe`` keyword, which takes the event dicts)."""

    events: Sequence[Event]
    counts: dict[int, list[Any]]
    table: Any = None


class TableEvents(Sequence[Event]):
    """The events of a batch parsed to an Arrow table, as dicts only when somebody asks for them."""

    def __init__(self, table: Any) -> None:
        self.table = table
        self._rows: list[Event] | None = None

    def __len__(self) -> int:
        return int(self.table.num_rows)

    def _materialise(self) -> list[Event]:
        if self._rows is None:
            self._rows = self.table.to_pylist()
        return self._rows

    def __getitem__(self, index: Any) -> Any:
        return self._materialise()[index]

    def __iter__(self) -> Any:
        return iter(self._materialise())


def _fast_ready(components: Components) -> bool:
    if not components.fast or not _takes(_method(components.store, "write"), "dedupe"):
        return False
    return components.enrich is None or hasattr(components.enricher, "apply_table")


def _prepare_fast(items: Sequence[tuple[str, Record]] | Block, components: Components) -> Prepared:
    """``prepare`` through the columnar fast parser; the lines it leaves go through ``parse``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from edubase.secops.logs import fastpath
    from edubase.secops.logs.store.base import batch_table

    block = items if isinstance(items, Block) else Block.from_items(items)
    fast = fastpath.parse_block(block, components.sources)
    parts = []
    if fast.table is not None:
        table = fast.table
        positions = table.column("_pos")
        table = table.drop_columns(["_pos"])
        if components.enrich is not None:
            table = components.enricher.apply_table(table)
        org = table.column("edubase.org_path")
        if org.null_count:
            paths = {sid: path or None for sid, (_fmt, path) in components.sources.items()}
            fallback = pa.array([paths.get(sid) for sid in table.column("edubase.source_id").to_pylist()], pa.string())
            table = table.set_column(
                table.schema.get_field_index("edubase.org_path"), "edubase.org_path", pc.coalesce(org, fallback)
            )
        parts.append(table.append_column("_pos", positions))
    slow_events: list[Event] = []
    if fast.slow:
        slow_events, _counts = build_events([(eid, rec) for _pos, eid, rec in fast.slow], components)
        table = batch_table(slow_events)
        parts.append(table.append_column("_pos", pa.array([pos for pos, _eid, _rec in fast.slow], pa.int32())))
    table = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
    if len(parts) > 1:
        table = table.take(pc.sort_indices(table.column("_pos")))
    table = table.drop_columns(["_pos"])
    counts = block.counts()
    for event in slow_events:
        if not event.get("edubase.parsed"):
            counts[event["edubase.source_id"]][1] += 1
    return Prepared(TableEvents(table), counts, table)


def prepare(items: Sequence[tuple[str, Record]] | Block, components: Components) -> Prepared:
    """The CPU-bound half of a batch (parse, enrich, Arrow conversion): touches no database, so
    the local worker runs it in a thread ahead of the store write and detection of the batch before.
    Batches for an Arrow store go through the columnar fast parser (``fastpath``) first."""
    if len(items) and _fast_ready(components):
        return _prepare_fast(items, components)
    if isinstance(items, Block):
        items = items.items()
    events, counts = build_events(items, components)
    table: Any = None
    if events and _takes(_method(components.store, "write"), "dedupe"):
        from edubase.secops.logs.store.base import batch_table

        table = batch_table(events)
    return Prepared(events, counts, table)


def finish(prepared: Prepared, components: Components, *, fresh: bool = False) -> BatchResult:
    """Store and detect a prepared batch; raises when the store write fails (the batch is then retried)."""
    events, table, store = prepared.events, prepared.table, components.store
    stored = 0
    if events:
        # a store without the ``dedupe`` keyword (test stand-ins) takes the event dicts
        stored = store.write(table, dedupe=not fresh) if table is not None else store.write(events)  # type: ignore[call-arg]
    alerts: list[Any] = []
    detect = components.detect
    if detect is not None and events:
        try:
            if table is not None and _takes(detect, "table"):
                extra: dict[str, Any] = {"table": table}
                state = getattr(components, "detect_state", None)
                if state is not None and _takes(detect, "state"):
                    extra["state"] = state
                alerts = list(detect(events, store, **extra) or [])
            else:
                alerts = list(detect(events, store) or [])
        except Exception:
            # the events are stored; a detection failure must not make the spool replay them forever
            logger.exception("detection failed for a batch of %d events", len(events))
    return BatchResult(events, stored, alerts, prepared.counts)


def process(items: Sequence[tuple[str, Record]] | Block, components: Components, *, fresh: bool = False) -> BatchResult:
    """Run one batch end to end; raises when the store write fails (the batch is then retried).

    The batch is converted to the store's Arrow table once, for both the write and the detection.
    ``fresh=True`` tells the store that no record of the batch can be stored already (the worker
    knows: see ``run_local_worker``), so the write skips its duplicate check; the default keeps it
    (replays, redeliveries)."""
    components.maybe_refresh()
    return finish(prepare(items, components), components, fresh=fresh)
