"""Sigma correlation rules (spec v2) → one SQL statement per dialect over the ``events`` relation.

Every compiled rule — atomic or correlation — returns the same columns, one row per
(group key, tumbling window), so alerts deduplicate on (rule, group key, window start):

    <group-by fields, named as the schema fields>, window_start, window_end, event_count,
    value_count (value_count rules, NULL otherwise), first_seen, last_seen, event_ids (≤ 100, by time)

Windows are tumbling, aligned on the Unix epoch (``floor(epoch / timespan) * timespan``) in both
dialects, so DuckDB and ClickHouse agree on window starts. Attack bursts that straddle a window
boundary are seen in the window holding most of their events (a burst of 2×threshold within the
timespan always fires).

- ``event_count``: count(*) of events matching any referenced rule;
- ``value_count``: count(DISTINCT field);
- ``temporal``: number of distinct referenced rules seen in the window (default: all of them);
- ``temporal_ordered``: the referenced rules occur in the listed order (greedy earliest match,
  one window-function pass per rule);
- conditions gt/gte/lt/lte/eq/neq, and a range (two operators, e.g. ``gte: 5`` + ``lte: 10``);
- a correlation may reference another correlation (chained): its rows count as events at their
  ``first_seen`` and carry their event ids.
"""

# ruff: noqa: S608 - SQL is generated from quoted schema identifiers and backend-escaped literals
from __future__ import annotations

from dataclasses import dataclass, field

EVENTS = "events"
MAX_IDS = 100
OPS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "=", "neq": "<>"}


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Source:
    """One referenced rule: rows of the ``events`` relation matching ``where`` (per dialect), or the
    output of a referenced correlation (``subquery`` per dialect)."""

    where: dict[str, str] = field(default_factory=dict)
    subquery: dict[str, str] = field(default_factory=dict)
    # output group field → the source column holding it (aliases); value field for value_count
    columns: dict[str, str] = field(default_factory=dict)


def _bucket(dialect: str, ts: str, seconds: int) -> str:
    if dialect == "duckdb":
        return f"to_timestamp(CAST(floor(epoch({ts}) / {seconds}) AS BIGINT) * {seconds})"
    return f"toDateTime64(intDiv(toUnixTimestamp({ts}), {seconds}) * {seconds}, 3, 'UTC')"


def _plus(dialect: str, expr: str, seconds: int) -> str:
    if dialect == "duckdb":
        return f"{expr} + INTERVAL {seconds} SECOND"
    return f"addSeconds({expr}, {seconds})"


def _ids(dialect: str) -> str:
    if dialect == "duckdb":
        return f"list_slice(list(_id ORDER BY _ts, _id), 1, {MAX_IDS})"
    return f"arraySlice(arrayMap(p -> p.2, arraySort(groupArray((_ts, _id)))), 1, {MAX_IDS})"


def _source_select(dialect: str, idx: int, src: Source, group: list[str], value_field: str | None) -> str:
    cols = [f"{q(src.columns.get(g, g))} AS {q(g)}" for g in group]
    if src.subquery:  # chained correlation: rows are events at first_seen, ids unnested
        unnest = "unnest(event_ids)" if dialect == "duckdb" else "arrayJoin(event_ids)"
        cols += ["first_seen AS _ts", f"{unnest} AS _id", f"{idx} AS _k"]
        if value_field:
            cols.append(f"{q(src.columns.get(value_field, value_field))} AS _v")
        return f"SELECT {', '.join(cols)} FROM ({src.subquery[dialect]}) AS _c{idx}"
    cols += ['"@timestamp" AS _ts', '"event.id" AS _id', f"{idx} AS _k"]
    if value_field:
        cols.append(f"{q(src.columns.get(value_field, value_field))} AS _v")
    not_null = "".join(f" AND {q(src.columns.get(g, g))} IS NOT NULL" for g in group)
    return f"SELECT {', '.join(cols)} FROM {EVENTS} WHERE ({src.where[dialect]}){not_null}"


def build(
    dialect: str,
    *,
    kind: str,
    sources: list[Source],
    group: list[str],
    seconds: int,
    conditions: list[tuple[str, float]],
    value_field: str | None = None,
) -> str:
    """The SQL of one rule (see the module docstring for the output columns)."""
    union = " UNION ALL ".join(
        _source_select(dialect, i, s, group, value_field if kind == "value_count" else None)
        for i, s in enumerate(sources)
    )
    gcols = [q(g) for g in group]
    bucket = _bucket(dialect, "_ts", seconds)
    base = f"SELECT *, {bucket} AS _ws FROM ({union}) AS _u"
    rel = f"({base}) AS _b"
    having: list[str] = []
    if kind == "event_count":
        having = [f"count(*) {OPS[op]} {n}" for op, n in conditions]
    elif kind == "value_count":
        having = [f"count(DISTINCT _v) {OPS[op]} {n}" for op, n in conditions]
    elif kind == "temporal":
        having = [f"count(DISTINCT _k) {OPS[op]} {n}" for op, n in conditions]
    elif kind == "temporal_ordered":
        partition = ", ".join([*gcols, "_ws"])
        cur = base
        for k in range(len(sources)):
            after = f" AND _ts >= _t{k - 1}" if k else ""
            cur = (
                f"SELECT *, min(CASE WHEN _k = {k}{after} THEN _ts END) "
                f"OVER (PARTITION BY {partition}) AS _t{k} FROM ({cur}) AS _l{k}"
            )
        rel = f"({cur}) AS _b"
        having = [f"max(_t{len(sources) - 1}) IS NOT NULL"]
    elif kind == "atomic":
        having = []
    else:  # pragma: no cover - refused by the compiler
        raise ValueError(kind)
    value_count = "count(DISTINCT _v)" if kind == "value_count" else "NULL"
    select = [
        *gcols,
        "_ws AS window_start",
        f"{_plus(dialect, '_ws', seconds)} AS window_end",
        "count(*) AS event_count",
        f"{value_count} AS value_count",
        "min(_ts) AS first_seen",
        "max(_ts) AS last_seen",
        f"{_ids(dialect)} AS event_ids",
    ]
    group_by = ", ".join([*gcols, "_ws"])
    sql = f"SELECT {', '.join(select)} FROM {rel} GROUP BY {group_by}"
    if having:
        sql += " HAVING " + " AND ".join(having)
    return sql
