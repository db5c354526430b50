"""The event-store interface and what both implementations share (column batches, windows, buckets).

A batch of normalised events (dicts keyed by ``schema.FIELDS``) becomes one Arrow table with one
typed column per field (:func:`to_arrow`): DuckDB scans Arrow tables without copying and ClickHouse
reads the Arrow IPC stream format natively, so both stores load a batch with a single columnar
hand-over instead of a per-row insert. Building the columns is the only per-value Python work.
"""

# ruff: noqa: S608 - SQL is built from quoted schema identifiers and generated literals; values are parameters

from __future__ import annotations

import abc
import contextlib
import datetime as dt
import ipaddress
import re
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeAlias

import pyarrow as pa

from edubase.secops.logs.schema import FIELDS, Event

UTC = dt.UTC
Dialect = Literal["duckdb", "clickhouse"]

#: the legal minimum (Cybersecurity Law art. 21: network logs kept no less than six months)
MIN_RETENTION_DAYS = 180

COLUMNS: tuple[str, ...] = tuple(FIELDS)
TS_FIELD = "@timestamp"
ID_FIELD = "event.id"
ORG_FIELD = "edubase.org_path"

ARROW_TYPES: dict[str, pa.DataType] = {
    "ts": pa.timestamp("us", tz="UTC"),
    "str": pa.string(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "ip": pa.string(),
}
ARROW_SCHEMA = pa.schema([pa.field(name, ARROW_TYPES[kind]) for name, (kind, _meaning) in FIELDS.items()])

Bucket = int | float | dt.timedelta | str
OrgPrefix = str | Sequence[str] | None


class StoreError(RuntimeError):
    """The store could not do what was asked (locked partition, unreachable server, bad SQL)."""


def quote(name: str) -> str:
    """A field name as a double-quoted SQL identifier (both DuckDB and ClickHouse accept these)."""
    return '"' + name.replace('"', '""') + '"'


def check_field(name: str) -> str:
    if name not in FIELDS:
        raise ValueError(f"unknown event field {name!r}")
    return name


def as_utc(value: dt.datetime) -> dt.datetime:
    """An aware UTC datetime (naive values are taken as UTC, like everything the parsers emit)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def utc_day(value: dt.datetime) -> dt.date:
    """The partition of a timestamp: its UTC calendar day (not Asia/Shanghai's: 08:00 CST ends it)."""
    return as_utc(value).date()


def days_between(since: dt.datetime | None, until: dt.datetime | None) -> tuple[dt.date | None, dt.date | None]:
    """The first and last UTC day a [since, until) window touches (None = unbounded)."""
    first = utc_day(since) if since is not None else None
    last = utc_day(until - dt.timedelta(microseconds=1)) if until is not None else None
    return first, last


_BUCKET_RE = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$", re.IGNORECASE)
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def bucket_seconds(bucket: Bucket) -> int:
    """A bucket width in whole seconds: 60, ``timedelta(minutes=5)``, ``"5m"``, ``"1h"``, ``"1d"``."""
    if isinstance(bucket, dt.timedelta):
        seconds = bucket.total_seconds()
    elif isinstance(bucket, str):
        match = _BUCKET_RE.match(bucket)
        if not match:
            raise ValueError(f"bad bucket {bucket!r}: use e.g. 10s, 5m, 1h, 1d")
        seconds = int(match.group(1)) * _UNIT[match.group(2).lower()]
    else:
        seconds = float(bucket)
    if seconds < 1 or seconds != int(seconds):
        raise ValueError(f"bucket must be a whole number of seconds ≥ 1, not {bucket!r}")
    return int(seconds)


def org_prefixes(org_path_prefix: OrgPrefix) -> tuple[str, ...] | None:
    """None = every org; a string or a sequence of materialised-path prefixes (a scope's paths)."""
    if org_path_prefix is None:
        return None
    if isinstance(org_path_prefix, str):
        return (org_path_prefix,)
    return tuple(org_path_prefix)


def is_where_clause(sql: str) -> bool:
    """True for a bare condition (``"source.ip" = '1.2.3.4'``), False for a SELECT/WITH query."""
    head = sql.lstrip().lstrip("(").lstrip()[:7].upper()
    return not (head.startswith("SELECT") or head.startswith("WITH"))


# -- column batches -----------------------------------------------------------------------------


def _coerce(kind: str, value: Any) -> Any:
    """Slow path for one value a parser typed loosely (a numeric string, an ipaddress object …)."""
    if value is None:
        return None
    try:
        if kind == "ts":
            if isinstance(value, dt.datetime):
                return as_utc(value)
            if isinstance(value, int | float):
                return dt.datetime.fromtimestamp(value, UTC)
            return as_utc(dt.datetime.fromisoformat(str(value)))
        if kind == "int":
            if isinstance(value, bool):
                return int(value)
            return int(str(value).strip()) if not isinstance(value, int) else value
        if kind == "bool":
            if isinstance(value, str):
                return value.strip().lower() in {"1", "true", "yes", "y", "t"}
            return bool(value)
        if kind == "ip" and isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
            return value.compressed
        return value if isinstance(value, str) else str(value)
    except (TypeError, ValueError, OverflowError):
        return None


def prepare(events: Sequence[Event]) -> list[Event]:
    """Events with the two keys the store relies on: an aware ``@timestamp`` and an ``event.id``.

    A missing ``@timestamp`` falls back to ``event.ingested`` then to now; a missing id gets a
    random one (such an event cannot be deduplicated on replay — the ingest always assigns ids).
    The caller's dicts are not modified.
    """
    out: list[Event] = []
    now: dt.datetime | None = None
    for event in events:
        ts = event.get(TS_FIELD)
        eid = event.get(ID_FIELD)
        if isinstance(ts, dt.datetime) and ts.tzinfo is not None and isinstance(eid, str) and eid:
            out.append(event)
            continue
        event = dict(event)
        if not isinstance(ts, dt.datetime):
            ts = _coerce("ts", ts) or _coerce("ts", event.get("event.ingested"))
            if ts is None:
                now = now or dt.datetime.now(UTC)
                ts = now
        event[TS_FIELD] = as_utc(ts)
        if not eid:
            event[ID_FIELD] = "gen-" + uuid.uuid4().hex
        elif not isinstance(eid, str):
            event[ID_FIELD] = str(eid)
        out.append(event)
    return out


_STRUCT = pa.struct(list(ARROW_SCHEMA))


def to_arrow(events: Sequence[Event]) -> pa.Table:
    """One typed Arrow column per schema field (missing keys are NULL, unknown keys ignored).

    Fast path: the dicts become one struct array in Arrow's C++ converter (about 3× faster than a
    Python list per column); a value of the wrong type sends the batch down the per-column path,
    which coerces loosely typed values one by one.
    """
    if not events:
        return ARROW_SCHEMA.empty_table()
    try:
        return pa.Table.from_struct_array(pa.array(events, type=_STRUCT))
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        pass
    arrays = []
    for name, (kind, _meaning) in FIELDS.items():
        values = [event.get(name) for event in events]
        typ = ARROW_TYPES[kind]
        try:
            arrays.append(pa.array(values, type=typ))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
            arrays.append(pa.array([_coerce(kind, v) for v in values], type=typ))
    return pa.Table.from_arrays(arrays, schema=ARROW_SCHEMA)


Batch: TypeAlias = Sequence[Event] | pa.Table


def batch_table(events: Batch) -> pa.Table:
    """A batch as the store's Arrow table. Pass the result to both ``write`` and ``temp_batch``
    to convert a micro-batch once (``batch_table(events)`` is most of the per-event cost)."""
    if isinstance(events, pa.Table):
        if events.schema.equals(ARROW_SCHEMA):
            return events
        missing = [f for f in ARROW_SCHEMA if f.name not in events.column_names]
        for f in missing:
            events = events.append_column(f, pa.nulls(events.num_rows, f.type))
        return events.select(list(COLUMNS)).cast(ARROW_SCHEMA)
    return to_arrow(prepare(events))


def rows_to_dicts(columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [dict(zip(columns, row, strict=True)) for row in rows]


# -- the interface ------------------------------------------------------------------------------


class BatchView(abc.ABC):
    """A just-received batch as a table named ``batch`` (same columns as ``events``)."""

    dialect: Dialect

    @abc.abstractmethod
    def query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]: ...

    @abc.abstractmethod
    def query_dicts(self, sql: str, params: Any = None) -> list[dict[str, Any]]: ...

    def run_rule_sql(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        """A bare WHERE condition (→ matching batch rows) or a full query over ``batch``."""
        if is_where_clause(sql):
            sql = f"SELECT * FROM batch WHERE ({sql})"
        return self.query_dicts(sql, params)


class EventStore(abc.ABC):
    """Append-only, day-partitioned store of normalised events.

    ``dialect`` names the SQL the store speaks ("duckdb" | "clickhouse"): the Sigma backend picks
    ``DetectionRule.compiled[store.dialect]``. Field names are quoted with double quotes in both.
    SQL passed to ``query``/``run_rule_sql`` reads the relation ``events`` (every partition, or only
    the requested window); parameters use the dialect's own syntax (DuckDB ``?``/``$name``,
    ClickHouse ``{name:Type}``).
    """

    dialect: ClassVar[Dialect]

    # writes
    @abc.abstractmethod
    def write(self, events: Batch, *, dedupe: bool = True) -> int:
        """Append a batch (event dicts, or ``batch_table(events)``); events whose ``event.id`` is
        already stored (or repeated in the batch) are skipped. Returns how many were new.

        ``dedupe=False`` skips the check against stored ids: only for a batch the caller knows was
        never written before (the ingest worker's records past the spool's in-flight mark, see
        ``ingest.server.run_local_worker``); ids repeated inside the batch are still dropped."""

    # reads
    @abc.abstractmethod
    def query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]: ...

    @abc.abstractmethod
    def query_dicts(self, sql: str, params: Any = None) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    def run_rule_sql(
        self, sql: str, since: dt.datetime | None, until: dt.datetime | None, params: Any = None
    ) -> list[dict[str, Any]]:
        """Run a rule over [since, until): a bare WHERE condition returns the matching events; a
        full query sees ``events`` restricted to the window."""

    @abc.abstractmethod
    def count(
        self,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        org_path_prefix: OrgPrefix = None,
    ) -> int: ...

    @abc.abstractmethod
    def _timeline_rows(
        self, seconds: int, since: dt.datetime | None, until: dt.datetime | None, prefixes: tuple[str, ...] | None
    ) -> list[tuple[int, int]]:
        """(bucket index = epoch seconds // width, count) pairs."""

    @abc.abstractmethod
    def _top_rows(
        self, field: str, n: int, since: dt.datetime | None, until: dt.datetime | None, prefixes: tuple[str, ...] | None
    ) -> list[tuple[Any, int]]: ...

    @abc.abstractmethod
    def partitions(self) -> list[dt.date]:
        """The UTC days that hold events, oldest first."""

    @abc.abstractmethod
    def _export_and_drop(self, day: dt.date, target: Path) -> int:
        """Write the day's events to ``target`` (Parquet) and drop the partition; returns rows."""

    @abc.abstractmethod
    def temp_batch(self, events: Batch) -> contextlib.AbstractContextManager[BatchView]:
        """The batch (event dicts, or ``batch_table(events)``) as a table named ``batch`` for
        the duration of the ``with`` block; history is not touched."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files and connections (the store can be reopened by constructing it again)."""

    # shared helpers -------------------------------------------------------------------------

    def timeline(
        self,
        bucket: Bucket = 60,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        org_path_prefix: OrgPrefix = None,
    ) -> list[tuple[dt.datetime, int]]:
        """Events per bucket (aligned to the Unix epoch, UTC), oldest first; when both ends of
        the window are given, empty buckets are included with 0 (ready for a chart)."""
        seconds = bucket_seconds(bucket)
        prefixes = org_prefixes(org_path_prefix)
        if prefixes == ():
            counts: dict[int, int] = {}
        else:
            counts = dict(self._timeline_rows(seconds, since, until, prefixes))
        if since is not None and until is not None:
            first = int(as_utc(since).timestamp()) // seconds
            last = (int(as_utc(until).timestamp() - 1e-6)) // seconds
            if last - first <= 100_000:
                keys = range(first, last + 1)
                return [(dt.datetime.fromtimestamp(k * seconds, UTC), counts.get(k, 0)) for k in keys]
        return [(dt.datetime.fromtimestamp(k * seconds, UTC), c) for k, c in sorted(counts.items())]

    def top(
        self,
        field: str,
        n: int = 10,
        since: dt.datetime | None = None,
        org_path_prefix: OrgPrefix = None,
        until: dt.datetime | None = None,
    ) -> list[tuple[Any, int]]:
        """The ``n`` most frequent non-null values of ``field`` with their counts (ties by value)."""
        check_field(field)
        prefixes = org_prefixes(org_path_prefix)
        if prefixes == () or n <= 0:
            return []
        return self._top_rows(field, int(n), since, until, prefixes)

    def apply_retention(
        self,
        days: int | None = None,
        now: dt.datetime | None = None,
        export_dir: str | Path | None = None,
        *,
        force: bool = False,
    ) -> list[Path]:
        """Export every partition older than ``days`` (default: settings, 180) to one Parquet file
        each under ``export_dir`` and drop it. Returns the files written.

        A day D is kept while ``D >= today(UTC) - days``. Fewer than 180 days needs ``force=True``
        (tests only: the law requires six months). An archive file is never overwritten (a second
        export of the same day — late events that arrived after the first — gets ``.1``, ``.2`` …).
        """
        if days is None:
            days = retention_days_setting()
        if days < MIN_RETENTION_DAYS and not force:
            raise ValueError(f"retention below {MIN_RETENTION_DAYS} days needs force=True")
        if export_dir is None:
            export_dir = archive_dir_setting()
        target_dir = Path(export_dir)
        target_dir.mkdir(parents=True, exist_ok=True)
        cutoff = utc_day(now or dt.datetime.now(UTC)) - dt.timedelta(days=days)
        written: list[Path] = []
        for day in self.partitions():
            if day >= cutoff:
                continue
            target = free_name(target_dir, day)
            self._export_and_drop(day, target)
            written.append(target)
        return written


def free_name(directory: Path, day: dt.date) -> Path:
    base = f"events-{day.isoformat()}"
    candidate = directory / f"{base}.parquet"
    n = 0
    while candidate.exists():
        n += 1
        candidate = directory / f"{base}.{n}.parquet"
    return candidate


# -- settings (read with defaults: the store works without any settings lines) -------------------


def _settings() -> Any:
    from django.conf import settings

    return settings


def var_dir() -> Path:
    return Path(getattr(_settings(), "VAR_DIR", Path.cwd() / "var"))


def retention_days_setting() -> int:
    return int(getattr(_settings(), "EDUBASE_EVENT_RETENTION_DAYS", MIN_RETENTION_DAYS))


def archive_dir_setting() -> Path:
    return Path(getattr(_settings(), "EDUBASE_EVENT_ARCHIVE_DIR", var_dir() / "events-archive"))
