"""The scaled-deployment event store: ClickHouse, through a tiny :class:`Executor` protocol.

The store only writes SQL; an executor runs it. Two executors exist:

- :class:`ChdbExecutor` — chDB (ClickHouse compiled into the Python process) on a local
  directory. Tests and small installations use it; it runs exactly the SQL a server would.
- :class:`HttpExecutor` — a real ClickHouse server over its HTTP interface (port 8123), with the
  standard library only. Set ``EDUBASE_CLICKHOUSE_URL = "http://user:password@host:8123/edubase"``
  (the path names the database; ``https://`` works too) and ``EDUBASE_EVENT_STORE = "clickhouse"``.
  Queries are POSTed with ``default_format=ArrowStream``, batches are POSTed as Arrow IPC streams
  (``INSERT … FORMAT ArrowStream``), Parquet exports are streamed to the local archive directory.

Table (created on first use)::

    CREATE TABLE events (… one column per schema field …)
    ENGINE = ReplacingMergeTree
    PARTITION BY toDate("@timestamp")      -- UTC days, like the DuckDB files
    ORDER BY "event.id"

Idempotency: ``write`` loads the batch into a Memory staging table and inserts only ids not
already stored (``NOT IN`` a primary-key lookup of the batch's ids, so the check costs an index
probe, across every day) and not repeated in the batch (``LIMIT 1 BY``). ReplacingMergeTree on the
same key is the backstop should two writers ever race (merges collapse the duplicate).

Retention moves an old partition atomically into ``events_retiring`` (``MOVE PARTITION … TO
TABLE``), exports it to Parquet and drops it there, so events written meanwhile are never lost.
"""

# ruff: noqa: S608 - SQL is built from quoted schema identifiers and generated literals; values are parameters

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from edubase.secops.logs.schema import FIELDS
from edubase.secops.logs.store.base import (
    COLUMNS,
    ID_FIELD,
    ORG_FIELD,
    TS_FIELD,
    Batch,
    BatchView,
    EventStore,
    OrgPrefix,
    StoreError,
    archive_dir_setting,
    as_utc,
    batch_table,
    free_name,
    is_where_clause,
    org_prefixes,
    quote,
    rows_to_dicts,
)

_LOW_CARDINALITY = {
    "event.dataset",
    "event.kind",
    "event.category",
    "event.action",
    "event.outcome",
    "network.transport",
    "http.request.method",
    "user_agent.class",
    "winlog.channel",
    "source.geo.country_iso_code",
    "source.geo.region_name",
    "source.geo.city_name",
    "edubase.org_path",
}
_BASE_TYPES = {"ts": "DateTime64(6, 'UTC')", "str": "String", "int": "Int64", "bool": "Bool", "ip": "String"}


def column_type(name: str) -> str:
    kind = FIELDS[name][0]
    if name == TS_FIELD:
        return "DateTime64(6, 'UTC')"
    if name == ID_FIELD:
        return "String"
    typ = f"Nullable({_BASE_TYPES[kind]})"
    return f"LowCardinality({typ})" if name in _LOW_CARDINALITY else typ


def _ts_literal(value: dt.datetime) -> str:
    return f"toDateTime64('{as_utc(value).strftime('%Y-%m-%d %H:%M:%S.%f')}', 6, 'UTC')"


_WITH_RE = re.compile(r"^\s*WITH(\s+RECURSIVE)?\s", re.IGNORECASE)


def with_cte(name: str, body: str, sql: str) -> str:
    """``sql`` with one more common table expression in front (merged into an existing WITH)."""
    match = _WITH_RE.match(sql)
    if match:
        head = "WITH RECURSIVE " if match.group(1) else "WITH "
        return f"{head}{name} AS ({body}), {sql[match.end() :]}"
    return f"WITH {name} AS ({body}) {sql}"


def _rows(table: pa.Table) -> list[tuple[Any, ...]]:
    if table.num_rows == 0:
        return []
    return list(zip(*(col.to_pylist() for col in table.columns), strict=True))


# -- executors ------------------------------------------------------------------------------------


class Executor(Protocol):
    """Runs ClickHouse SQL. ``database`` is the executor's default database (unqualified names)."""

    database: str

    def command(self, sql: str, params: Mapping[str, Any] | None = None) -> None: ...

    def select(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table: ...

    def insert_arrow(self, table: str, data: pa.Table) -> None: ...

    def export_parquet(self, sql: str, path: Path) -> None: ...

    def close(self) -> None: ...


def _ipc_bytes(data: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, data.schema) as writer:
        writer.write_table(data)
    return bytes(sink.getvalue().to_pybytes())


def _column_list(data: pa.Table) -> str:
    return ", ".join(quote(c) for c in data.column_names)


class ChdbExecutor:
    """chDB (embedded ClickHouse) on a directory; the SQL is the server's SQL."""

    database = "default"

    def __init__(self, path: str | Path) -> None:
        from chdb import session as chs

        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._session = chs.Session(str(self.path))
        self._tmp = self.path / "tmp-edubase"
        self._tmp.mkdir(exist_ok=True)

    def _query(self, sql: str, fmt: str, params: Mapping[str, Any] | None = None) -> Any:
        try:
            return self._session.query(sql, fmt, params=dict(params) if params else None)
        except Exception as exc:  # chdb raises ChdbError/RuntimeError with the server's message
            raise StoreError(f"ClickHouse: {exc}") from exc

    def command(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        self._query(sql, "CSV", params)

    def select(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        data = self._query(sql, "ArrowStream", params).bytes()
        if not data:
            return pa.table({})
        return pa.ipc.open_stream(data).read_all()

    def insert_arrow(self, table: str, data: pa.Table) -> None:
        fd, name = tempfile.mkstemp(suffix=".arrow", dir=self._tmp)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(_ipc_bytes(data))
            cols = _column_list(data)
            self.command(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM file('{name}', 'ArrowStream')")
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)

    def export_parquet(self, sql: str, path: Path) -> None:
        self.command(f"INSERT INTO FUNCTION file('{path}', 'Parquet') {sql}")

    def close(self) -> None:
        self._session.close()


class HttpExecutor:
    """A ClickHouse server over HTTP(S) (``http://user:password@host:8123/database``).

    Only used when ``EDUBASE_CLICKHOUSE_URL`` is set; the test suite runs the same SQL on chDB.
    """

    def __init__(self, url: str, *, timeout: float = 60.0) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in {"http", "https"}:
            raise ValueError(f"EDUBASE_CLICKHOUSE_URL must be http:// or https://, not {url!r}")
        self.database = parts.path.strip("/") or "default"
        netloc = parts.hostname or "127.0.0.1"
        if parts.port:
            netloc += f":{parts.port}"
        self.base = urllib.parse.urlunsplit((parts.scheme, netloc, "/", "", ""))
        self.headers = {"X-ClickHouse-Database": self.database}
        if parts.username:
            self.headers["X-ClickHouse-User"] = urllib.parse.unquote(parts.username)
            self.headers["X-ClickHouse-Key"] = urllib.parse.unquote(parts.password or "")
        self.timeout = timeout

    def _open(self, body: bytes, args: Mapping[str, Any], params: Mapping[str, Any] | None = None) -> Any:
        query = {"database": self.database, **args}
        for key, value in (params or {}).items():
            query[f"param_{key}"] = str(value)
        url = self.base + "?" + urllib.parse.urlencode(query)
        request = urllib.request.Request(url, data=body, headers=self.headers, method="POST")  # noqa: S310
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)  # noqa: S310 - configured URL
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:2000]
            raise StoreError(f"ClickHouse HTTP {exc.code}: {detail}") from exc
        except OSError as exc:
            raise StoreError(f"ClickHouse unreachable: {exc}") from exc

    def command(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        with self._open(sql.encode(), {}, params) as resp:
            resp.read()

    def select(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        args = {"default_format": "ArrowStream", "output_format_arrow_string_as_string": "1"}
        with self._open(sql.encode(), args, params) as resp:
            data = resp.read()
        return pa.ipc.open_stream(data).read_all() if data else pa.table({})

    def insert_arrow(self, table: str, data: pa.Table) -> None:
        sql = f"INSERT INTO {table} ({_column_list(data)}) FORMAT ArrowStream"
        with self._open(_ipc_bytes(data), {"query": sql}) as resp:
            resp.read()

    def export_parquet(self, sql: str, path: Path) -> None:
        with self._open(sql.encode(), {"default_format": "Parquet"}) as resp, open(path, "wb") as out:
            while chunk := resp.read(1 << 20):
                out.write(chunk)

    def close(self) -> None:
        pass


# -- the store ------------------------------------------------------------------------------------


class _ChBatch(BatchView):
    dialect = "clickhouse"

    def __init__(self, executor: Executor, table: str) -> None:
        self._ex = executor
        self._table = table

    def _sql(self, sql: str) -> str:
        return with_cte("batch", f"SELECT * FROM {self._table}", sql)

    def query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        return _rows(self._ex.select(self._sql(sql), params))

    def query_dicts(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        table = self._ex.select(self._sql(sql), params)
        return rows_to_dicts(table.column_names, _rows(table))


class ClickHouseStore(EventStore):
    """ClickHouse SQL over an :class:`Executor` (chDB in tests, HTTP in production)."""

    dialect = "clickhouse"

    def __init__(self, executor: Executor) -> None:
        self.ex = executor
        self.db = quote(executor.database)
        self.table = f"{self.db}.events"
        self._write_lock = threading.Lock()
        self._ensure_schema()

    @classmethod
    def embedded(cls, path: str | Path) -> ClickHouseStore:
        return cls(ChdbExecutor(path))

    @classmethod
    def from_url(cls, url: str) -> ClickHouseStore:
        return cls(HttpExecutor(url))

    def __repr__(self) -> str:
        return f"ClickHouseStore({type(self.ex).__name__}, {self.ex.database!r})"

    def close(self) -> None:
        self.ex.close()

    def _columns_ddl(self) -> str:
        return ", ".join(f"{quote(name)} {column_type(name)}" for name in COLUMNS)

    def _ensure_schema(self) -> None:
        ts = quote(TS_FIELD)
        self.ex.command(f"CREATE DATABASE IF NOT EXISTS {self.db}")
        for name in ("events", "events_retiring"):
            self.ex.command(
                f"CREATE TABLE IF NOT EXISTS {self.db}.{name} ({self._columns_ddl()}, "
                f"INDEX ts_minmax {ts} TYPE minmax GRANULARITY 1) "
                f"ENGINE = ReplacingMergeTree PARTITION BY toDate({ts}) ORDER BY {quote(ID_FIELD)}"
            )
            have = {
                r[0]
                for r in _rows(
                    self.ex.select(
                        "SELECT name FROM system.columns WHERE database = {db:String} AND table = {t:String}",
                        {"db": self.ex.database, "t": name},
                    )
                )
            }
            for col in COLUMNS:
                if col not in have:  # a field appended to the schema after the table was created
                    self.ex.command(f"ALTER TABLE {self.db}.{name} ADD COLUMN {quote(col)} {column_type(col)}")

    # -- writes -------------------------------------------------------------------------------

    def write(self, events: Batch, *, dedupe: bool = True) -> int:
        table = batch_table(events)
        if table.num_rows == 0:
            return 0
        return self.write_arrow(table, dedupe=dedupe)

    def write_arrow(self, data: pa.Table, *, dedupe: bool = True) -> int:
        eid = quote(ID_FIELD)
        with self._write_lock, self._staging(data) as stage:
            fresh = (
                f"SELECT * FROM {stage} WHERE {eid} NOT IN "
                f"(SELECT {eid} FROM {self.table} WHERE {eid} IN (SELECT {eid} FROM {stage}))"
                if dedupe
                else f"SELECT * FROM {stage}"
            )
            counted = self.ex.select(f"SELECT uniqExact({eid}) AS n FROM ({fresh})")
            inserted = int(counted.column(0)[0].as_py()) if counted.num_rows else 0
            if inserted:
                self.ex.command(f"INSERT INTO {self.table} SELECT * FROM ({fresh}) LIMIT 1 BY {eid}")
        return inserted

    @contextlib.contextmanager
    def _staging(self, data: pa.Table, prefix: str = "_stage") -> Iterator[str]:
        name = f"{self.db}.{prefix}_{uuid.uuid4().hex}"
        self.ex.command(f"CREATE TABLE {name} AS {self.table} ENGINE = Memory")
        try:
            self.ex.insert_arrow(name, data)
            yield name
        finally:
            with contextlib.suppress(StoreError):
                self.ex.command(f"DROP TABLE IF EXISTS {name}")

    # -- reads --------------------------------------------------------------------------------

    def _window(self, since: dt.datetime | None, until: dt.datetime | None) -> str:
        ts = quote(TS_FIELD)
        conds = ["1"]
        if since is not None:
            conds.append(f"{ts} >= {_ts_literal(since)}")
        if until is not None:
            conds.append(f"{ts} < {_ts_literal(until)}")
        return " AND ".join(conds)

    def _select(
        self, sql: str, params: Any, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> pa.Table:
        if since is not None or until is not None:
            sql = with_cte("events", f"SELECT * FROM {self.table} WHERE {self._window(since, until)}", sql)
        return self.ex.select(sql, params)

    def query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        return _rows(self._select(sql, params))

    def query_dicts(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        table = self._select(sql, params)
        return rows_to_dicts(table.column_names, _rows(table))

    def run_rule_sql(
        self, sql: str, since: dt.datetime | None, until: dt.datetime | None, params: Any = None
    ) -> list[dict[str, Any]]:
        if is_where_clause(sql):
            sql = f"SELECT * FROM {self.table} WHERE {self._window(since, until)} AND ({sql})"
            since = until = None
        table = self._select(sql, params, since, until)
        return rows_to_dicts(table.column_names, _rows(table))

    def _filters(
        self, since: dt.datetime | None, until: dt.datetime | None, prefixes: tuple[str, ...] | None
    ) -> tuple[str, dict[str, Any]]:
        where = self._window(since, until)
        params: dict[str, Any] = {}
        if prefixes is not None:
            ors = []
            for i, prefix in enumerate(prefixes):
                params[f"org{i}"] = prefix
                ors.append(f"startsWith({quote(ORG_FIELD)}, {{org{i}:String}})")
            where += f" AND ({' OR '.join(ors)})"
        return where, params

    def count(
        self,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        org_path_prefix: OrgPrefix = None,
    ) -> int:
        prefixes = org_prefixes(org_path_prefix)
        if prefixes == ():
            return 0
        where, params = self._filters(since, until, prefixes)
        return int(self.query(f"SELECT count() FROM {self.table} WHERE {where}", params)[0][0])

    def _timeline_rows(
        self, seconds: int, since: dt.datetime | None, until: dt.datetime | None, prefixes: tuple[str, ...] | None
    ) -> list[tuple[int, int]]:
        where, params = self._filters(since, until, prefixes)
        sql = (
            f"SELECT intDiv(toUnixTimestamp64Micro({quote(TS_FIELD)}), {seconds * 1_000_000}) AS b, count() AS c "
            f"FROM {self.table} WHERE {where} GROUP BY b ORDER BY b"
        )
        return [(int(b), int(c)) for b, c in self.query(sql, params)]

    def _top_rows(
        self, field: str, n: int, since: dt.datetime | None, until: dt.datetime | None, prefixes: tuple[str, ...] | None
    ) -> list[tuple[Any, int]]:
        where, params = self._filters(since, until, prefixes)
        col = quote(field)
        sql = (
            f"SELECT {col} AS v, count() AS c FROM {self.table} WHERE {where} AND {col} IS NOT NULL "
            f"GROUP BY v ORDER BY c DESC, v LIMIT {n}"
        )
        return [(v, int(c)) for v, c in self.query(sql, params)]

    # -- retention ----------------------------------------------------------------------------

    def _parts(self, table: str) -> list[str]:
        rows = self.query(
            "SELECT DISTINCT partition_id FROM system.parts WHERE database = {db:String} "
            "AND table = {t:String} AND active AND rows > 0 ORDER BY partition_id",
            {"db": self.ex.database, "t": table},
        )
        return [r[0] for r in rows]

    def partitions(self) -> list[dt.date]:
        return sorted(dt.datetime.strptime(p, "%Y%m%d").date() for p in self._parts("events"))

    def apply_retention(
        self,
        days: int | None = None,
        now: dt.datetime | None = None,
        export_dir: str | Path | None = None,
        *,
        force: bool = False,
    ) -> list[Path]:
        # finish a retirement a crash interrupted (moved out of events, not yet exported)
        leftovers = [dt.datetime.strptime(p, "%Y%m%d").date() for p in self._parts("events_retiring")]
        written: list[Path] = []
        if leftovers:
            target_dir = Path(export_dir) if export_dir is not None else archive_dir_setting()
            target_dir.mkdir(parents=True, exist_ok=True)
            for day in leftovers:
                target = free_name(target_dir, day)
                self._export_retiring(day, target)
                written.append(target)
        return written + super().apply_retention(days, now, export_dir, force=force)

    def _export_and_drop(self, day: dt.date, target: Path) -> int:
        pid = day.strftime("%Y%m%d")
        with self._write_lock:
            self.ex.command(f"ALTER TABLE {self.table} MOVE PARTITION ID '{pid}' TO TABLE {self.db}.events_retiring")
        return self._export_retiring(day, target)

    def _export_retiring(self, day: dt.date, target: Path) -> int:
        pid = day.strftime("%Y%m%d")
        retiring = f"{self.db}.events_retiring"
        where = f"toDate({quote(TS_FIELD)}) = toDate('{day.isoformat()}')"
        rows = int(self.query(f"SELECT count() FROM {retiring} FINAL WHERE {where}")[0][0])
        tmp = target.with_name(target.name + ".tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        self.ex.export_parquet(f"SELECT * FROM {retiring} FINAL WHERE {where} ORDER BY {quote(TS_FIELD)}", tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        self.ex.command(f"ALTER TABLE {retiring} DROP PARTITION ID '{pid}'")
        return rows

    # -- micro-batches ------------------------------------------------------------------------

    @contextlib.contextmanager
    def temp_batch(self, events: Batch) -> Iterator[BatchView]:
        """The batch in a Memory table, seen by queries as ``batch`` (a common table expression)."""
        with self._staging(batch_table(events), prefix="_batch") as name:
            yield _ChBatch(self.ex, name)


__all__ = ["ChdbExecutor", "ClickHouseStore", "Executor", "HttpExecutor", "column_type", "with_cte"]
