"""The event store: every normalised event, day-partitioned, queryable with SQL.

``get_store()`` returns the configured store (one per process and configuration):

- ``EDUBASE_EVENT_STORE = "duckdb"`` (default): :class:`DuckDBStore`, one DuckDB file per UTC day
  in ``EDUBASE_EVENT_DIR`` (default ``VAR_DIR / "events"``);
- ``EDUBASE_EVENT_STORE = "clickhouse"``: :class:`ClickHouseStore` on the server at
  ``EDUBASE_CLICKHOUSE_URL`` (``http://user:password@host:8123/database``), or, when that is
  empty, on embedded chDB in ``EDUBASE_CHDB_DIR`` (default ``VAR_DIR / "chdb"``).

Retention: ``EDUBASE_EVENT_RETENTION_DAYS`` (default and minimum 180 — the Cybersecurity Law's six
months); older partitions are exported to Parquet under ``EDUBASE_EVENT_ARCHIVE_DIR`` (default
``VAR_DIR / "events-archive"``) by :func:`retention_job` and dropped.

Both stores speak the same interface (:class:`EventStore`): ``write`` (idempotent on
``event.id``), ``query``/``query_dicts`` over the relation ``events``, ``run_rule_sql`` over a time
window, ``count``/``timeline``/``top`` for dashboards, ``temp_batch`` (a micro-batch as table
``batch``) and ``apply_retention``. ``store.dialect`` tells the Sigma backend which compiled SQL to
use.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from edubase.secops.logs.store.base import (
    MIN_RETENTION_DAYS,
    BatchView,
    Dialect,
    EventStore,
    StoreError,
    batch_table,
    to_arrow,
    var_dir,
)
from edubase.secops.logs.store.clickhouse import ChdbExecutor, ClickHouseStore, Executor, HttpExecutor
from edubase.secops.logs.store.duck import DuckDBStore

_STORES: dict[tuple[str, str], EventStore] = {}
_STORES_LOCK = threading.Lock()


def _config() -> tuple[str, str]:
    from django.conf import settings

    kind = str(getattr(settings, "EDUBASE_EVENT_STORE", "duckdb")).lower()
    if kind == "duckdb":
        return kind, str(getattr(settings, "EDUBASE_EVENT_DIR", var_dir() / "events"))
    if kind == "clickhouse":
        url = str(getattr(settings, "EDUBASE_CLICKHOUSE_URL", "") or "")
        return kind, url or "chdb:" + str(getattr(settings, "EDUBASE_CHDB_DIR", var_dir() / "chdb"))
    raise ValueError(f"EDUBASE_EVENT_STORE must be 'duckdb' or 'clickhouse', not {kind!r}")


def get_store() -> EventStore:
    """The configured store, created once per process (and per configuration, for tests)."""
    key = _config()
    with _STORES_LOCK:
        store = _STORES.get(key)
        if store is None:
            kind, where = key
            if kind == "duckdb":
                store = DuckDBStore(Path(where))
            elif where.startswith("chdb:"):
                store = ClickHouseStore.embedded(Path(where.removeprefix("chdb:")))
            else:
                store = ClickHouseStore.from_url(where)
            _STORES[key] = store
        return store


def reset_stores() -> None:
    """Close and forget every store ``get_store`` made (tests; after a fork)."""
    with _STORES_LOCK:
        for store in _STORES.values():
            store.close()
        _STORES.clear()


def retention_job() -> Any:
    """Periodic job (register daily): export and drop partitions past the retention period."""
    written = get_store().apply_retention()
    return len(written)


__all__ = [
    "MIN_RETENTION_DAYS",
    "BatchView",
    "ChdbExecutor",
    "ClickHouseStore",
    "Dialect",
    "DuckDBStore",
    "EventStore",
    "Executor",
    "HttpExecutor",
    "StoreError",
    "batch_table",
    "get_store",
    "reset_stores",
    "retention_job",
    "to_arrow",
]
