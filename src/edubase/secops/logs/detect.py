"""Detection runtime: micro-batch evaluation and scheduled hunts → deduplicated alerts.

``evaluate_batch(events, store)`` is called by the pipeline for every micro-batch, AFTER the batch
has been written to the store (correlation rules count over the store):

- atomic rules run on the just-received batch only (``store.temp_batch(events)``);
- correlation rules run over the store, from the start of the tumbling window holding the batch's
  earliest event (at most one timespan before its latest) to its latest event. The single local
  worker passes a :class:`CorrelationState` instead: the recent rows any rule condition matches,
  held in memory, so a batch does not rescan the day's store (same rows, same alerts; windows
  older than it holds still go to the store).

Every compiled rule (``sigma``) returns one row per (group key, tumbling window) with
``window_start, window_end, event_count, first_seen, last_seen, event_ids``; the other columns
are the group key. Each row becomes at most one alert:

- **switches**: a rule runs where it is enabled — ``RuleScope`` rows switch it on or off for an
  org's subtree, the deepest setting for the alert's org wins, else ``DetectionRule.enabled``;
- **exceptions**: a ``RuleException`` of the rule whose subtree holds the alert's org suppresses
  the row when the group key's ``field`` is one of its values, or when every linked event's is;
- **org and asset**: the group key's ``edubase.org_path``/``edubase.asset_id`` when grouped on,
  else from the linked events: the deepest org holding all of them, their most frequent asset;
- **deduplication**: ``dedup_key = SM3(rule | group key | window start)``. A row for a window the
  alert already has replaces that window's count (correlation re-evaluated over the store) or
  adds to it (atomic, a new batch); a row for the next window of an open alert (new, triaging,
  confirmed) of the same rule and group key whose window ends at or after the row's start, and
  started at most ``MERGE_SPAN`` earlier, extends that alert instead of opening another — a
  brute force that straddles a window boundary stays one alert. ``event_count`` is the sum of
  the windows' counts; ``event_ids`` keeps the first 100.

The rule set (compiled SQL, switches, exceptions) is cached in memory and reloaded when the rules
change (checked at most every ``CACHE_CHECK_S`` seconds: the rule count and latest
``updated_at`` — every change of a switch or an exception touches its rule).

Hunts: ``hunt(rule, since, until)`` runs one rule over the store's history; ``hunt_due()`` (the
worker job ``secops.hunts``, hourly) runs every enabled correlation rule over the last 24 hours.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import yaml
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone

from edubase.crypto.sm3 import sm3
from edubase.orgs.models import Org
from edubase.secops.logs.store.base import batch_table, is_where_clause
from edubase.secops.models import Asset
from edubase.secops.models.detection import Alert, AlertStatus, DetectionRule, RuleException, RuleScope

logger = logging.getLogger(__name__)

FIXED_COLUMNS = frozenset(
    {"window_start", "window_end", "event_count", "value_count", "first_seen", "last_seen", "event_ids"}
)
MAX_IDS = 100
MERGE_SPAN = dt.timedelta(hours=24)
CACHE_CHECK_S = 2.0
HUNT_LOOKBACK = dt.timedelta(hours=24)
HUNT_EVERY_S = 3600
DEFAULT_TIMESPAN_S = 300
MERGE_STATUSES = (AlertStatus.NEW, AlertStatus.TRIAGING, AlertStatus.CONFIRMED)
_STEP = Org.steplen


# --- the rule cache --------------------------------------------------------------------------


@dataclass(frozen=True)
class Exception_:
    path: str
    field: str
    values: frozenset[str]


@dataclass
class Compiled:
    """One runnable rule, as the detectors need it."""

    pk: int
    rule_id: str
    title: str
    level: str
    kind: str
    sql: dict[str, str]
    timespan_s: int
    enabled: bool
    scopes: list[tuple[str, bool]] = field(default_factory=list)  # deepest first
    exceptions: list[Exception_] = field(default_factory=list)
    #: False for a rule referenced by a correlation rule without ``generate: true``
    #: (Sigma: the base rules of a correlation raise no alerts of their own)
    standalone: bool = True
    #: DuckDB condition selecting the events the rule can use (an atomic rule's WHERE, or the OR
    #: of a correlation's base rules'); None = unknown, the rule always runs
    where: str | None = None
    #: a correlation's group-by fields (schema names), when known
    group_by: tuple[str, ...] = ()
    _decisions: dict[str, bool] = field(default_factory=dict)

    def active_for(self, path: str) -> bool:
        """Whether the rule runs for an alert of the org at ``path`` (the deepest switch wins)."""
        decided = self._decisions.get(path)
        if decided is None:
            decided = next((on for p, on in self.scopes if path.startswith(p)), self.enabled)
            self._decisions[path] = decided
        return decided

    @property
    def maybe_active(self) -> bool:
        return self.enabled or any(on for _p, on in self.scopes)

    def suppressed(self, path: str, group: dict[str, Any], events: Sequence[dict[str, Any]]) -> bool:
        for exc in self.exceptions:
            if not path.startswith(exc.path):
                continue
            if exc.field in group:
                if _text(group[exc.field]) in exc.values:
                    return True
                continue
            if events and all(_text(e.get(exc.field)) in exc.values for e in events):
                return True
        return False

    def exception_fields(self) -> set[str]:
        return {e.field for e in self.exceptions}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _timespan(rule: DetectionRule) -> int:
    """The rule's correlation timespan in seconds (compiled ``timespan_s``, else the YAML's)."""
    compiled = rule.compiled or {}
    for key in ("timespan_s", "timespan"):
        value = compiled.get(key)
        if isinstance(value, int | float) and value > 0:
            return int(value)
    try:
        docs = [d for d in yaml.safe_load_all(rule.yaml or "") if isinstance(d, dict)]
    except yaml.YAMLError:
        docs = []
    for doc in docs:
        span = (doc.get("correlation") or {}).get("timespan") if isinstance(doc.get("correlation"), dict) else None
        if span:
            return _parse_span(str(span))
    return DEFAULT_TIMESPAN_S


def _parse_span(text: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    text = text.strip().lower()
    try:
        return max(1, int(float(text[:-1]) * units[text[-1]])) if text and text[-1] in units else int(text)
    except (ValueError, KeyError):
        return DEFAULT_TIMESPAN_S


class RuleCache:
    """The runnable rules, reloaded when ``DetectionRule`` changes (count, latest ``updated_at``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Compiled] = []
        self._stamp: tuple[Any, ...] | None = None
        self._checked = 0.0

    def invalidate(self) -> None:
        with self._lock:
            self._stamp = None
            self._checked = 0.0

    def rules(self) -> list[Compiled]:
        now = time.monotonic()
        with self._lock:
            if self._stamp is not None and now - self._checked < CACHE_CHECK_S:
                return self._rules
            stamp_row = DetectionRule.objects.aggregate(n=Count("pk"), at=Max("updated_at"))
            stamp = (stamp_row["n"], stamp_row["at"])
            self._checked = now
            if stamp != self._stamp:
                self._rules = self._load()
                self._stamp = stamp
            return self._rules

    @staticmethod
    def _load() -> list[Compiled]:
        scopes: dict[int, list[tuple[str, bool]]] = {}
        for rule_pk, path, on in RuleScope.objects.values_list("rule_id", "org_path", "enabled"):
            scopes.setdefault(rule_pk, []).append((path, on))
        exceptions: dict[int, list[Exception_]] = {}
        for rule_pk, path, name, values in RuleException.objects.values_list("rule_id", "org_path", "field", "values"):
            exceptions.setdefault(rule_pk, []).append(
                Exception_(path, name, frozenset(_text(v) for v in (values or [])))
            )
        rules = list(DetectionRule.objects.filter(error="").order_by("pk"))
        silent = _base_rules(rules)
        names = _rule_names(rules)
        out = []
        for rule in rules:
            compiled = rule.compiled or {}
            sql = {d: compiled[d] for d in ("duckdb", "clickhouse") if isinstance(compiled.get(d), str) and compiled[d]}
            if not sql:
                continue
            out.append(
                Compiled(
                    pk=rule.pk,
                    rule_id=rule.rule_id,
                    title=rule.title,
                    level=rule.level,
                    kind=rule.kind,
                    sql=sql,
                    timespan_s=_timespan(rule) if rule.kind == "correlation" else DEFAULT_TIMESPAN_S,
                    enabled=rule.enabled,
                    scopes=sorted(scopes.get(rule.pk, []), key=lambda s: -len(s[0])),
                    exceptions=exceptions.get(rule.pk, []),
                    standalone=rule.pk not in silent,
                    where=_rule_where(rule, names),
                    group_by=_group_by(rule, names),
                )
            )
        return out


CACHE = RuleCache()


def _group_by(rule: DetectionRule, names: dict[str, DetectionRule]) -> tuple[str, ...]:
    """A correlation's group-by fields, when its groups are independent of each other: schema
    fields, and every referenced rule atomic or a correlation whose every group lies inside one
    of these (it groups by all of these fields and more, down its own chain). The events of one
    group then decide that group's result alone. Empty otherwise."""
    from edubase.secops.logs.schema import FIELDS

    compiled = rule.compiled or {}
    value = compiled.get("group_by") if rule.kind == "correlation" else None
    fields = tuple(str(f) for f in value) if isinstance(value, list) else ()
    if not fields or not all(f in FIELDS for f in fields):
        return ()
    return fields if _groups_within(rule, set(fields), names, frozenset()) else ()


def _groups_within(
    rule: DetectionRule, fields: set[str], names: dict[str, DetectionRule], seen: frozenset[int]
) -> bool:
    """Whether every rule ``rule`` references is atomic, or a correlation grouping by all of ``fields``
    whose own references are the same, all the way down."""
    refs = [names.get(str(r)) for r in (rule.compiled or {}).get("references", []) or []]
    if not refs or rule.pk in seen:
        return False
    for target in refs:
        if target is None:
            return False
        if target.kind == "correlation":
            inner = (target.compiled or {}).get("group_by")
            if not isinstance(inner, list) or not fields <= {str(f) for f in inner}:
                return False
            if not _groups_within(target, fields, names, seen | {rule.pk}):
                return False
    return True


def _yaml_docs(text: str) -> list[dict[str, Any]]:
    try:
        return [d for d in yaml.safe_load_all(text or "") if isinstance(d, dict)]
    except yaml.YAMLError:
        return []


def _atomic_where(rule: DetectionRule) -> str | None:
    where = (rule.compiled or {}).get("where")
    value = where.get("duckdb") if isinstance(where, dict) else None
    return value if isinstance(value, str) and value else None


def _rule_names(rules: Sequence[DetectionRule]) -> dict[str, DetectionRule]:
    """Every name a correlation may reference a rule by (rule id, YAML ``name`` and ``id``)."""
    out: dict[str, DetectionRule] = {}
    for rule in rules:
        out[rule.rule_id] = rule
        for doc in _yaml_docs(rule.yaml):
            for key in ("name", "id"):
                if doc.get(key):
                    out[str(doc[key])] = rule
    return out


def _rule_where(rule: DetectionRule, names: dict[str, DetectionRule], depth: int = 0) -> str | None:
    """The prefilter condition of a rule (see ``Compiled.where``): an atomic rule's own, or the
    OR of a correlation's base rules' (through chained correlations)."""
    if rule.kind != "correlation":
        return _atomic_where(rule)
    refs = [str(r) for r in (rule.compiled or {}).get("references", []) or []]
    if not refs or depth > 8:
        return None
    found = []
    for ref in refs:
        target = names.get(ref)
        where = _rule_where(target, names, depth + 1) if target is not None and target is not rule else None
        if where is None:
            return None  # a reference we cannot resolve: always evaluate
        found.append(where)
    return " OR ".join(f"({w})" for w in dict.fromkeys(found))


def _base_rules(rules: Sequence[DetectionRule]) -> set[int]:
    """Rules referenced (by id or name) by a correlation rule that does not ``generate``: the
    base rules and intermediate correlations of a chain, which raise no alerts of their own."""
    refs: set[str] = set()
    for rule in rules:
        if rule.kind != "correlation":
            continue
        generate = any(
            isinstance(d.get("correlation"), dict) and d["correlation"].get("generate") is True
            for d in _yaml_docs(rule.yaml)
        )
        if not generate:
            refs |= {str(r) for r in (rule.compiled or {}).get("references", []) or []}
    silent = set()
    for rule in rules:
        if not refs:
            break
        if rule.rule_id in refs or any(f"name: {r}" in (rule.yaml or "") for r in refs):
            names = {str(d.get("name") or "") for d in _yaml_docs(rule.yaml)} | {rule.rule_id}
            if names & refs:
                silent.add(rule.pk)
    return silent


# --- running SQL on the store ----------------------------------------------------------------


def _dialect(store: Any) -> str:
    return str(getattr(store, "dialect", "duckdb"))


def _rows_on_batch(batch: Any, sql: str) -> list[dict[str, Any]]:
    """Rows of a compiled rule over the just-received batch: its ``events`` relation is the batch."""
    if is_where_clause(sql):
        return list(batch.run_rule_sql(sql))
    if sql.lstrip().upper().startswith("WITH"):
        return list(batch.run_rule_sql(_EVENTS_FROM.sub(r"\1batch\2", sql)))
    return list(batch.run_rule_sql(f"WITH events AS (SELECT * FROM batch) {sql}"))  # noqa: S608 - compiled rule SQL


_EVENTS_FROM = re.compile(r"(\bFROM\s+)events(\b)", re.IGNORECASE)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")


def _rows_on_range(store: Any, sql: str, since: dt.datetime, until: dt.datetime) -> list[dict[str, Any]]:
    """Rows of a compiled rule over the store's events with ``since <= @timestamp < until``."""
    return list(store.run_rule_sql(sql, since, until))


def _events_by_id(store: Any, ids: Sequence[str], since: dt.datetime, until: dt.datetime) -> dict[str, dict[str, Any]]:
    """The store's events with these ids within [since, until) (one query)."""
    safe = [i for i in dict.fromkeys(ids) if _SAFE_ID.match(i)]
    if not safe:
        return {}
    inlist = ", ".join("'" + i + "'" for i in safe)
    rows = store.run_rule_sql(f'"event.id" IN ({inlist})', since, until)
    return {str(r["event.id"]): r for r in rows}


# --- rows → alerts ---------------------------------------------------------------------------


def _aware(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if not isinstance(value, dt.datetime):
        raise TypeError(f"not a timestamp: {value!r}")
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime):
        return _aware(value).isoformat()
    return str(value)


def dedup_key(rule_id: str, group: dict[str, Any], window_start: dt.datetime) -> str:
    """SM3(rule | group key | window start), hex."""
    text = f"{rule_id}|{json.dumps(group, sort_keys=True, ensure_ascii=False)}|{_aware(window_start).isoformat()}"
    return sm3(text.encode()).hex()


def common_org_path(paths: Iterable[str]) -> str:
    """The deepest org path holding every path (a multiple of the path step; '' when none)."""
    present = [p for p in paths if p]
    if not present:
        return ""
    first, last = min(present), max(present)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[: n - n % _STEP]


@dataclass
class Candidate:
    rule: Compiled
    group: dict[str, Any]
    window_start: dt.datetime
    window_end: dt.datetime
    first_seen: dt.datetime
    last_seen: dt.datetime
    count: int
    ids: list[str]
    org_path: str
    asset_id: int | None

    @property
    def key(self) -> str:
        return dedup_key(self.rule.rule_id, self.group, self.window_start)


def _candidates(rule: Compiled, rows: Sequence[dict[str, Any]], lookup: dict[str, dict[str, Any]]) -> list[Candidate]:
    out = []
    for row in rows:
        group = {k: _plain(v) for k, v in row.items() if k not in FIXED_COLUMNS and not k.startswith("_")}
        ids = [str(i) for i in (row.get("event_ids") or [])][:MAX_IDS]
        events = [lookup[i] for i in ids if i in lookup]
        path = str(group.get("edubase.org_path") or "") or common_org_path(
            str(e.get("edubase.org_path") or "") for e in events
        )
        asset_id = group.get("edubase.asset_id")
        if asset_id is None:
            assets = Counter(e.get("edubase.asset_id") for e in events if e.get("edubase.asset_id") is not None)
            asset_id = assets.most_common(1)[0][0] if assets else None
        if not rule.active_for(path) or rule.suppressed(path, group, events):
            continue
        out.append(
            Candidate(
                rule=rule,
                group=group,
                window_start=_aware(row["window_start"]),
                window_end=_aware(row["window_end"]),
                first_seen=_aware(row.get("first_seen") or row["window_start"]),
                last_seen=_aware(row.get("last_seen") or row["window_end"]),
                count=int(row.get("event_count") or len(ids)),
                ids=ids,
                org_path=path,
                asset_id=int(asset_id) if asset_id is not None else None,
            )
        )
    return out


def _apply(alert: Alert, c: Candidate, *, additive: bool) -> None:
    counts = dict(alert.window_counts or {})
    slot = c.window_start.isoformat()
    counts[slot] = counts.get(slot, 0) + c.count if additive else max(counts.get(slot, 0), c.count)
    alert.window_counts = counts
    alert.event_count = sum(counts.values())
    alert.window_start = min(alert.window_start, c.window_start)
    alert.window_end = max(alert.window_end, c.window_end)
    alert.first_seen = min(alert.first_seen, c.first_seen)
    alert.last_seen = max(alert.last_seen, c.last_seen)
    known = list(alert.event_ids or [])
    if len(known) < MAX_IDS:
        seen = set(known)
        known += [i for i in c.ids if i not in seen][: MAX_IDS - len(known)]
        alert.event_ids = known
    if not alert.org_path and c.org_path:
        alert.org_path = c.org_path
    if alert.asset_id is None and c.asset_id is not None:
        alert.asset_id = c.asset_id


_UPDATE_FIELDS = [
    "window_counts",
    "event_count",
    "window_start",
    "window_end",
    "first_seen",
    "last_seen",
    "event_ids",
    "org_path",
    "org",
    "asset",
]


def _resolve_orgs(candidates: Sequence[Candidate]) -> tuple[dict[str, Org], set[int]]:
    paths = {c.org_path for c in candidates if c.org_path}
    prefixes = {p[:end] for p in paths for end in range(_STEP, len(p) + 1, _STEP)}
    orgs = {o.path: o for o in Org.objects.filter(path__in=prefixes)} if prefixes else {}
    asset_ids = {c.asset_id for c in candidates if c.asset_id is not None}
    assets = set(Asset.objects.filter(pk__in=asset_ids).values_list("pk", flat=True)) if asset_ids else set()
    return orgs, assets


def _org_of(path: str, orgs: dict[str, Org]) -> Org | None:
    for end in range(len(path) - len(path) % _STEP, 0, -_STEP):
        org = orgs.get(path[:end])
        if org is not None:
            return org
    return None


def upsert(candidates: Sequence[Candidate], *, additive: bool) -> list[Alert]:
    """Create or extend the alerts of ``candidates`` (see the module docstring); returns them."""
    if not candidates:
        return []
    orgs, assets = _resolve_orgs(candidates)
    for c in candidates:
        if c.asset_id not in assets:
            c.asset_id = None
        org = _org_of(c.org_path, orgs)
        c.org_path = org.path if org is not None else ""
    # new alerts are created with one bulk INSERT and extended ones saved with one bulk UPDATE at
    # the end (one statement per alert was most of the detection's cost on busy batches)
    fresh: list[Alert] = []
    merged: dict[int, list[Candidate]] = {}  # id(new alert) → the candidates folded into it
    changed: dict[int, Alert] = {}
    unchanged: dict[int, Alert] = {}
    with transaction.atomic():
        keys = {c.key for c in candidates}
        by_key = {a.dedup_key: a for a in Alert.objects.select_for_update().filter(dedup_key__in=keys)}
        earliest = min(c.window_start for c in candidates)
        # the open alerts a candidate may extend: same rule and group key. Their (small) keys are
        # read first and only those rows loaded (and locked): a busy province has thousands open
        groups = {(c.rule.pk, json.dumps(c.group, sort_keys=True, default=str)) for c in candidates}
        window = Alert.objects.filter(
            rule_id__in={c.rule.pk for c in candidates},
            status__in=MERGE_STATUSES,
            window_end__gte=earliest,
            window_start__gte=earliest - MERGE_SPAN,
        )
        wanted = [
            pk
            for pk, rule_id, group in window.values_list("pk", "rule_id", "group_key")
            if (rule_id, json.dumps(group, sort_keys=True, default=str)) in groups
        ]
        open_alerts = list(Alert.objects.select_for_update().filter(pk__in=wanted).order_by("-window_end"))
        for c in sorted(candidates, key=lambda c: c.window_start):
            alert = by_key.get(c.key)
            if alert is None:
                alert = next(
                    (
                        a
                        for a in open_alerts
                        if a.rule_id == c.rule.pk
                        and a.group_key == c.group
                        and a.window_end >= c.window_start
                        and c.window_start - a.window_start <= MERGE_SPAN
                    ),
                    None,
                )
            if alert is not None:
                before = _state(alert)
                _apply(alert, c, additive=additive)
                if alert.org_id is None and alert.org_path:
                    alert.org = _org_of(alert.org_path, orgs)
                if alert.pk is None:
                    merged[id(alert)].append(c)
                elif _state(alert) != before:  # a re-count that changes nothing is not written
                    changed[alert.pk] = alert
                else:
                    unchanged[alert.pk] = alert
            else:
                alert = _new(c, orgs)
                fresh.append(alert)
                merged[id(alert)] = [c]
                open_alerts.insert(0, alert)
            by_key[c.key] = alert
        if changed:
            _save_changed(list(changed.values()))
        created = _insert(fresh, merged, additive=additive)
    touched: dict[int, Alert] = {a.pk: a for a in [*unchanged.values(), *changed.values(), *created]}
    return list(touched.values())


def _save_changed(alerts: Sequence[Alert]) -> None:
    """One parameterised UPDATE run for every extended alert (``executemany``): Django's
    ``bulk_update`` builds a CASE expression per field and object, which cost more than the rest of
    a detection pass once a busy province has a few hundred open alerts."""
    from django.db import connection

    fields: list[Any] = [Alert._meta.get_field(name) for name in _UPDATE_FIELDS]
    qn = connection.ops.quote_name
    assignments = ", ".join(f"{qn(f.column)} = %s" for f in fields)
    pk_column = str(Alert._meta.pk.column if Alert._meta.pk is not None else "id")
    sql = f"UPDATE {qn(Alert._meta.db_table)} SET {assignments} WHERE {qn(pk_column)} = %s"  # noqa: S608
    rows = [[f.get_db_prep_save(getattr(a, f.attname), connection) for f in fields] + [a.pk] for a in alerts]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _state(alert: Alert) -> tuple[Any, ...]:
    return tuple(
        (dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v)
        for v in (getattr(alert, f if f not in ("org", "asset") else f + "_id") for f in _UPDATE_FIELDS)
    )


def _new(c: Candidate, orgs: dict[str, Org]) -> Alert:
    return Alert(
        rule_id=c.rule.pk,
        dedup_key=c.key,
        org=_org_of(c.org_path, orgs),
        org_path=c.org_path,
        asset_id=c.asset_id,
        severity=c.rule.level,
        group_key=c.group,
        window_start=c.window_start,
        window_end=c.window_end,
        first_seen=c.first_seen,
        last_seen=c.last_seen,
        event_count=c.count,
        event_ids=c.ids[:MAX_IDS],
        window_counts={c.window_start.isoformat(): c.count},
    )


def _insert(fresh: list[Alert], merged: dict[int, list[Candidate]], *, additive: bool) -> list[Alert]:
    """Save the batch's new alerts in one INSERT; when another detector created one of them
    meanwhile (a dedup key taken), save them one by one, extending theirs with our candidates."""
    if not fresh:
        return []
    try:
        with transaction.atomic():
            Alert.objects.bulk_create(fresh)
        return fresh
    except IntegrityError:
        pass
    out = []
    for alert in fresh:
        try:
            with transaction.atomic():
                alert.pk = None
                alert.save()
            out.append(alert)
        except IntegrityError:
            existing = Alert.objects.select_for_update().get(dedup_key=alert.dedup_key)
            for c in merged[id(alert)]:
                _apply(existing, c, additive=additive)
            existing.save(update_fields=_UPDATE_FIELDS)
            out.append(existing)
    return out


# --- entry points ----------------------------------------------------------------------------


def _ts(event: dict[str, Any]) -> dt.datetime | None:
    value = event.get("@timestamp")
    try:
        return _aware(value) if value is not None else None
    except (TypeError, ValueError):
        return None


_local = threading.local()


def _scratch() -> duckdb.DuckDBPyConnection:
    """This thread's in-memory DuckDB for prefiltering batches (no files, no store lock)."""
    con = getattr(_local, "con", None)
    if con is None:
        con = _local.con = duckdb.connect(":memory:")
        con.execute("SET TimeZone = 'UTC'")
    return con


#: expressions the compiled web and auth rules repeat in almost every condition; the prefilter
#: computes each once per row (a projection) instead of once per condition that names it
_SHARED_EXPRS: tuple[tuple[str, str], ...] = (
    ("""coalesce(try(url_decode(replace("url.original", '+', ' '))), "url.original")""", '"_pf_url_decoded"'),
    ('lower("message")', '"_pf_lc_message"'),
    ('lower("log.original")', '"_pf_lc_original"'),
    ('lower("user_agent.original")', '"_pf_lc_agent"'),
    ('lower("url.original")', '"_pf_lc_url"'),
)


_LITERAL = r"'(?:[^']|'')*'"
_GUARD = re.compile(rf"""\A"event\.dataset" IN \(((?:{_LITERAL}, )*{_LITERAL})\) AND """)


def _past_quoted(sql: str, i: int) -> int:
    """The index after the literal or quoted name that starts at ``i`` (a doubled quote escapes)."""
    quote, j, n = sql[i], i + 1, len(sql)
    while j < n:
        if sql[j] == quote:
            if sql[j + 1 : j + 2] != quote:
                return j + 1
            j += 1
        j += 1
    return n


def _top_level(sql: str, sep: str) -> list[str]:
    """``sql`` split at ``sep`` outside parentheses, string literals and quoted names."""
    parts, depth, start, i, n = [], 0, 0, 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            i = _past_quoted(sql, i)
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and sql.startswith(sep, i):
            parts.append(sql[start:i])
            i += len(sep)
            start = i
            continue
        i += 1
    parts.append(sql[start:])
    return parts


def _unwrap(sql: str) -> str:
    """``sql`` without the parentheses that enclose all of it."""
    sql = sql.strip()
    while sql.startswith("("):
        depth, i, n = 0, 0, len(sql)
        while i < n:
            ch = sql[i]
            if ch in "'\"":
                i = _past_quoted(sql, i)
                continue
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if depth == 0:
                break
            i += 1
        if i != n - 1:
            return sql
        sql = sql[1:-1].strip()
    return sql


def dataset_guard(condition: str) -> frozenset[str] | None:
    """The ``event.dataset`` values outside which ``condition`` is false whatever else a row holds
    (the compiler puts ``"event.dataset" IN (…) AND (…)`` in front of a rule with a log source, a
    correlation ORs its base rules'), or None when some part of it is not guarded that way."""
    found: set[str] = set()
    for part in _top_level(_unwrap(condition), " OR "):
        match = _GUARD.match(_unwrap(part))
        if match is None:
            return None
        found.update(v[1:-1].replace("''", "'") for v in re.findall(_LITERAL, match.group(1)))
    return frozenset(found)


_TERM_BODY = r"""coalesce\((?:contains|regexp_matches)\("[^"]+", '(?:[^']|'')*'\), false\)"""
_TERM = re.compile(r"""coalesce\((contains|regexp_matches)\(("[^"]+"), '((?:[^']|'')*)'\), false\)""")
_CHAIN = re.compile(rf"(?:{_TERM_BODY} OR )+{_TERM_BODY}")
#: at most this many values in one folded pattern (RE2 limits the size of a compiled expression)
_FOLD_MAX = 200


def _re_literal(text: str) -> str:
    """``text`` as an RE2 pattern that matches it literally."""
    out = []
    for ch in text:
        if ch.isascii() and not (ch.isalnum() or ch == "_"):
            out.append(f"\\{ch}" if ch.isprintable() and ch != " " else f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


def _merge_alternatives(condition: str) -> str:
    """``condition`` with each OR chain of substring and regular-expression tests of one column
    (``coalesce(contains(c, 'a'), false) OR coalesce(regexp_matches(c, 'b'), false) …``, as the
    compiler writes a Sigma value list) folded into one ``regexp_matches(c, 'a|(?:b)')``: RE2
    then reads the value once for all of them instead of once per value (the scanner-agent list
    alone was a third of the prefilter). Each term is a non-null boolean, so regrouping an OR chain
    by column changes nothing; each regular expression keeps its own flags inside its group."""

    def fold(match: re.Match[str]) -> str:
        by_column: dict[str, list[re.Match[str]]] = {}
        for term in _TERM.finditer(match.group(0)):
            by_column.setdefault(term.group(2), []).append(term)
        if all(len(same) == 1 for same in by_column.values()):
            return match.group(0)
        terms = []
        for column, same in by_column.items():
            if len(same) == 1:
                terms.append(same[0].group(0))
                continue
            alts = []
            for term in same:
                value = term.group(3).replace("''", "'")
                alts.append(_re_literal(value) if term.group(1) == "contains" else f"(?:{value})")
            for start in range(0, len(alts), _FOLD_MAX):  # huge value lists: several patterns
                pattern = "|".join(alts[start : start + _FOLD_MAX]).replace("'", "''")
                terms.append(f"coalesce(regexp_matches({column}, '{pattern}'), false)")
        return "(" + " OR ".join(terms) + ")" if len(terms) > 1 else terms[0]

    return _CHAIN.sub(fold, condition)


def _shared_projection(conds: Sequence[str]) -> tuple[list[str], str, list[str]]:
    """The conditions with the repeated expressions replaced by columns, the projection that
    computes those columns, and their names (to drop again).

    A column is computed only for the rows of the datasets that the conditions naming it are
    guarded by (``dataset_guard``; NULL elsewhere, where each of those conditions is false anyway):
    lower-casing every line of a batch for the few rules about sshd lines was most of the pass."""
    used = [(expr, name) for expr, name in _SHARED_EXPRS if any(expr in c for c in conds)]
    out = list(conds)
    projections = []
    for expr, name in used:
        guards = [dataset_guard(c) for c in conds if expr in c]
        if all(g is not None for g in guards):
            values = sorted(set().union(*guards))  # type: ignore[arg-type]
            inlist = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
            projections.append(f'CASE WHEN "event.dataset" IN ({inlist}) THEN {expr} END AS {name}')
        else:
            projections.append(f"{expr} AS {name}")
        out = [c.replace(expr, name) for c in out]
    return out, ", ".join(projections), [name for _expr, name in used]


def prefilter(table: pa.Table, rules: Sequence[Compiled]) -> tuple[pa.Table, set[int]] | None:
    """One pass over the batch: the rows any of ``rules`` can use, and the pks of the rules that
    have at least one such row. None when a rule's condition is unknown (or fails): run them all.

    A micro-batch is mostly benign traffic, so every rule then runs over a few hundred rows
    instead of the whole batch, and a correlation rule without a new base event in the batch is
    not re-counted over the store (its windows cannot have changed). The lower-cased and
    URL-decoded fields the conditions share are computed once per row (half the cost)."""
    if not rules or any(r.where is None for r in rules):
        return None
    conds = list(dict.fromkeys(f"({r.where})" for r in rules))
    plain, projection, _names = _shared_projection(conds)
    folded = [_merge_alternatives(c) for c in plain]
    flag_of = {c: i for i, c in enumerate(conds)}
    try:
        return _prefilter(table, rules, folded, projection, flag_of)
    except duckdb.Error:
        if folded != plain:  # a folded pattern RE2 refuses (too large): the conditions as written
            logger.warning("folded rule conditions failed; prefiltering with the conditions as written", exc_info=True)
            try:
                return _prefilter(table, rules, plain, projection, flag_of)
            except duckdb.Error:
                pass
        logger.exception("rule prefilter failed; evaluating every rule over the whole batch")
        return None


def _prefilter(
    table: pa.Table, rules: Sequence[Compiled], fast: list[str], projection: str, flag_of: dict[str, int]
) -> tuple[pa.Table, set[int]]:
    con = _scratch()

    def source(name: str) -> str:
        return f"(SELECT *, {projection} FROM {name})" if projection else name  # noqa: S608 - fixed expressions

    # the numbers of the rows any condition holds for (the rows themselves are taken in Arrow:
    # having DuckDB return every column of them cost as much as the conditions)
    numbered = table.append_column("_pf_row", pa.array(np.arange(table.num_rows, dtype=np.int32)))
    con.register("_pf_batch", numbered)
    try:
        found = con.sql(f"SELECT _pf_row FROM {source('_pf_batch')} WHERE {' OR '.join(fast)}").fetchnumpy()  # noqa: S608
    finally:
        con.unregister("_pf_batch")
    rows = np.sort(np.asarray(found["_pf_row"], dtype=np.int64))
    hits = table.take(pa.array(rows))
    hit_flags = [False] * len(fast)
    if hits.num_rows:
        # which conditions hold anywhere: a second pass over the (few) hit rows only
        con.register("_pf_hits", hits)
        try:
            any_of = ", ".join(f"coalesce(bool_or({c}), false)" for c in fast)
            flags = con.execute(f"SELECT {any_of} FROM {source('_pf_hits')}").fetchall()  # noqa: S608
        finally:
            con.unregister("_pf_hits")
        hit_flags = [bool(v) for v in (flags[0] if flags else ())]
    return hits, {r.pk for r in rules if hit_flags[flag_of[f"({r.where})"]]}


#: the shared expressions, computed once per held event (``CorrelationState``'s extra columns)
_HELD_EXPRS = ", ".join(f"{expr} AS {name}" for expr, name in _SHARED_EXPRS)


@functools.lru_cache(maxsize=1)
def _schema_columns() -> str:
    from edubase.secops.logs.store.base import ARROW_SCHEMA, quote

    return ", ".join(quote(name) for name in ARROW_SCHEMA.names)


@functools.lru_cache(maxsize=256)
def _held_sql(sql: str) -> str:
    """A rule's SQL over the held events: the shared expressions read from the columns computed
    when the event was added (the same expressions, unguarded: exact wherever the SQL uses them),
    value lists folded (``_merge_alternatives``, exact). Re-lower-casing every held line for every
    correlation on every batch was most of the correlation cost."""
    for expr, name in _SHARED_EXPRS:
        sql = sql.replace(expr, name)
    return _merge_alternatives(sql)


class CorrelationState:
    """The recent base events of the correlation rules, in memory: the single local worker's
    correlations count over this instead of re-reading the store's day file for every batch.

    Holds every event of the last ``keep`` (twice the longest correlation timespan) that matched
    a rule condition (the prefilter's hit rows, ~15 % of realistic traffic), so running a compiled
    correlation over it gives exactly what running it over the store gives — the correlation SQL
    filters on those same conditions. ``covered_from`` is the earliest time the table is complete
    for; a window starting before it (late events, just after start-up) goes to the store.

    Seeded from the store on first use (after a restart the store holds what earlier runs
    stored), cleared and re-seeded when the rule conditions change; an event id is added once
    (a batch retried after a failure is not counted twice). Only for one processor per store
    (local mode): with several NATS workers each would see only its own events.
    """

    def __init__(self) -> None:
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute("SET threads = 1")
        # an in-memory database checkpoints (compressing its tables) every 16 MB written by default:
        # every few batches an insert stalled 0.3-0.5 s. The held events are a cache bounded by
        # ``keep_s``; they are compressed at most once per GB written.
        self.con.execute("SET checkpoint_threshold = '1GB'")
        self.signature: tuple[str, ...] | None = None
        self.covered_from: dt.datetime | None = None
        self.latest: dt.datetime | None = None
        self.keep_s = 2 * DEFAULT_TIMESPAN_S

    def _reset(self, signature: tuple[str, ...], keep_s: int) -> None:
        from edubase.secops.logs.store.base import ARROW_SCHEMA

        self.con.register("_cs_empty", ARROW_SCHEMA.empty_table())
        try:
            self.con.execute(f"CREATE OR REPLACE TABLE hits AS SELECT *, {_HELD_EXPRS} FROM _cs_empty")  # noqa: S608
        finally:
            self.con.unregister("_cs_empty")
        self.signature, self.keep_s = signature, keep_s
        self.covered_from = None
        self.latest = None

    def update(self, store: Any, rules: Sequence[Compiled], hits: pa.Table, latest: dt.datetime) -> bool:
        """Add a batch's hit rows (the batch is already in the store); False when the state
        cannot serve these rules (then the caller reads the store)."""
        seed_where = [r.where for r in rules]
        if not rules or any(w is None for w in seed_where) or not hasattr(store, "arrow_where"):
            return False
        signature = tuple(sorted({str(w) for w in seed_where}))
        keep_s = 2 * max(max(r.timespan_s for r in rules), DEFAULT_TIMESPAN_S)
        if signature != self.signature or keep_s != self.keep_s:
            self._reset(signature, keep_s)
        self.latest = latest if self.latest is None else max(self.latest, latest)
        self.con.register("_cs_batch", hits)  # this batch's hit rows, until the next update
        horizon = _window_floor(self.latest - dt.timedelta(seconds=self.keep_s), self.keep_s)
        if self.covered_from is None:
            # first use: what the store holds already (this batch included)
            where = " OR ".join(f"({w})" for w in signature)
            seed = store.arrow_where(where, horizon, None)
            self.con.register("_cs_in", seed)
            try:
                self.con.execute(f"INSERT INTO hits SELECT *, {_HELD_EXPRS} FROM _cs_in")  # noqa: S608
            finally:
                self.con.unregister("_cs_in")
            self.covered_from = horizon
            return True
        if hits.num_rows:
            self.con.register("_cs_in", hits)
            try:
                # a batch is new unless it is retried after a failure: ask that first (hashing the
                # few batch ids and probing the held ones), and anti-join only when some are held
                held = self.con.execute(
                    'SELECT count(*) FROM hits WHERE "event.id" IN (SELECT "event.id" FROM _cs_in)'
                ).fetchone()
                new = "_cs_in"
                if held and held[0]:
                    new = '(SELECT i.* FROM _cs_in i ANTI JOIN hits h ON h."event.id" = i."event.id")'
                self.con.execute(f"INSERT INTO hits SELECT *, {_HELD_EXPRS} FROM {new}")  # noqa: S608 - fixed SQL
            finally:
                self.con.unregister("_cs_in")
        if horizon > self.covered_from:
            self.con.execute('DELETE FROM hits WHERE "@timestamp" < ?', [horizon])
            self.covered_from = horizon
        return True

    def covers(self, since: dt.datetime) -> bool:
        return self.covered_from is not None and since >= self.covered_from

    def run_rule_sql(
        self, sql: str, since: dt.datetime, until: dt.datetime, group_by: Sequence[str] = ()
    ) -> list[dict[str, Any]]:
        """Like ``store.run_rule_sql`` over [since, until), on the held events. With ``group_by``
        only the groups the last batch has hit rows of are counted: a group without a new event
        has the windows (and alerts) the previous batches gave it already."""
        from edubase.secops.logs.store.base import quote, rows_to_dicts

        groups = ""
        if group_by:
            key = ", ".join(quote(f) for f in group_by)
            groups = f" AND ({key}) IN (SELECT DISTINCT {key} FROM _cs_batch)"  # noqa: S608 - schema names
        self.con.execute(
            "CREATE OR REPLACE TEMP VIEW events AS SELECT * FROM hits "  # noqa: S608 - timestamps, schema names
            f"WHERE \"@timestamp\" >= TIMESTAMPTZ '{_aware(since).isoformat()}' "
            f"AND \"@timestamp\" < TIMESTAMPTZ '{_aware(until).isoformat()}'{groups}"
        )
        if is_where_clause(sql):
            sql = f"SELECT {_schema_columns()} FROM events WHERE ({sql})"  # noqa: S608 - compiled rule SQL
        try:
            cur = self.con.execute(_held_sql(sql))
        except duckdb.Error:  # a folded pattern RE2 refuses (too large): the rule's SQL as written
            logger.warning("rewritten correlation SQL failed; running it as written", exc_info=True)
            cur = self.con.execute(sql)
        cols = [d[0] for d in cur.description or ()]
        return rows_to_dicts(cols, cur.fetchall())

    def events_by_id(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        from edubase.secops.logs.store.base import rows_to_dicts

        wanted = list(dict.fromkeys(ids))
        cur = self.con.execute(f'SELECT {_schema_columns()} FROM hits WHERE list_contains(?, "event.id")', [wanted])  # noqa: S608
        cols = [d[0] for d in cur.description or ()]
        return {str(r["event.id"]): r for r in rows_to_dicts(cols, cur.fetchall())}


def _time_range(events: Sequence[dict[str, Any]], table: pa.Table | None) -> tuple[dt.datetime, dt.datetime] | None:
    """The earliest and latest ``@timestamp`` of the batch (from the Arrow column when there is one)."""
    if table is not None and "@timestamp" in table.column_names:
        import pyarrow.compute as pc

        bounds = pc.min_max(table.column("@timestamp")).as_py()
        if bounds["min"] is not None:
            return _aware(bounds["min"]), _aware(bounds["max"])
        return None
    times = [t for t in (_ts(e) for e in events) if t is not None]
    return (min(times), max(times)) if times else None


def evaluate_batch(
    events: Sequence[dict[str, Any]],
    store: Any,
    now: dt.datetime | None = None,
    *,
    table: pa.Table | None = None,
    state: CorrelationState | None = None,
) -> list[Alert]:
    """Run the rules on one micro-batch (already written to ``store``); returns the alerts touched.

    ``table``: the batch as ``batch_table(events)`` when the caller already has it (converted once
    per batch for the store write and the detection). ``state``: the single local worker's
    :class:`CorrelationState` (correlations then count over it rather than the store)."""
    if not events:
        return []
    rules = [r for r in CACHE.rules() if r.maybe_active]
    if not rules:
        return []
    dialect = _dialect(store)
    atomic = [r for r in rules if r.kind != "correlation" and r.standalone and dialect in r.sql]
    correlation = [r for r in rules if r.kind == "correlation" and r.standalone and dialect in r.sql]
    source: Any = events
    held: CorrelationState | None = None
    if dialect == "duckdb" and (atomic or correlation):
        table = table if table is not None else batch_table(events)
        filtered = prefilter(table, atomic + correlation)
        if filtered is not None:
            source, hit = filtered
            span = _time_range(events, table)
            if state is not None and correlation and span is not None:
                try:
                    held = state if state.update(store, atomic + correlation, source, span[1]) else None
                except Exception:
                    logger.exception("correlation state update failed; counting over the store")
                    state.signature = None  # re-seed next time
                    held = None
            atomic = [r for r in atomic if r.pk in hit]
            correlation = [r for r in correlation if r.pk in hit]
        else:
            source = table
    elif table is not None:
        source = table
    alerts: list[Alert] = []
    if atomic:
        matched: list[tuple[Compiled, list[dict[str, Any]]]] = []
        with store.temp_batch(source) as batch:
            for rule in atomic:
                try:
                    matched.append((rule, _rows_on_batch(batch, rule.sql[dialect])))
                except Exception:
                    logger.exception("rule %s failed on a batch", rule.rule_id)
        by_id = _named_events(matched, source, events)
        candidates: list[Candidate] = []
        for rule, rows in matched:
            candidates += _candidates(rule, rows, by_id)
        alerts += upsert(candidates, additive=True)
    if correlation:
        span = _time_range(events, table)
        if span is not None:
            alerts += _correlate(store, correlation, earliest=span[0], latest=span[1], state=held)
    return alerts


def _named_events(
    matched: Sequence[tuple[Compiled, list[dict[str, Any]]]], source: Any, events: Sequence[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The events the rules' result rows name (by ``event.id``), as dicts: from the batch table only
    those rows (turning a whole batch into dicts was most of a detection pass)."""
    wanted = {str(i) for _rule, rows in matched for row in rows for i in (row.get("event_ids") or [])[:MAX_IDS]}
    if not wanted:
        return {}
    if isinstance(source, pa.Table):
        import pyarrow.compute as pc

        ids = source.column("event.id")
        rows_of: Iterable[dict[str, Any]] = source.filter(pc.is_in(ids, pa.array(sorted(wanted)))).to_pylist()
    else:
        rows_of = events
    return {str(e["event.id"]): e for e in rows_of if e.get("event.id") is not None and str(e["event.id"]) in wanted}


def _window_floor(moment: dt.datetime, seconds: int) -> dt.datetime:
    epoch = int(moment.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % seconds, tz=dt.UTC)


def _correlate(
    store: Any,
    rules: Sequence[Compiled],
    *,
    earliest: dt.datetime,
    latest: dt.datetime,
    state: CorrelationState | None = None,
) -> list[Alert]:
    dialect = _dialect(store)
    candidates: list[Candidate] = []
    rows_of: list[tuple[Compiled, list[dict[str, Any]]]] = []
    until = latest + dt.timedelta(microseconds=1)
    first = until
    all_held = state is not None
    for rule in rules:
        span = rule.timespan_s
        since = _window_floor(max(earliest, latest - dt.timedelta(seconds=span)), span)
        first = min(first, since)
        try:
            if state is not None and state.covers(since):
                rows = state.run_rule_sql(rule.sql[dialect], since, until, rule.group_by)
            else:
                all_held = False
                rows = _rows_on_range(store, rule.sql[dialect], since, until)
        except Exception:
            logger.exception("correlation rule %s failed", rule.rule_id)
            continue
        rows_of.append((rule, rows))
    ids = [str(i) for _rule, rows in rows_of for row in rows for i in (row.get("event_ids") or [])[:MAX_IDS]]
    lookup: dict[str, dict[str, Any]] = {}
    if ids and state is not None and all_held:
        lookup = state.events_by_id(ids)
    if ids and len(lookup) < len(set(ids)):
        lookup = _events_by_id(store, ids, first, until)
    for rule, rows in rows_of:
        candidates += _candidates(rule, rows, lookup)
    return upsert(candidates, additive=False)


def hunt(rule: DetectionRule | Compiled, since: dt.datetime, until: dt.datetime, *, store: Any = None) -> list[Alert]:
    """Run one rule over the store's history ``[since, until)``; alerts deduplicate with live ones."""
    if store is None:
        from edubase.secops.logs.store import get_store

        store = get_store()
    compiled = rule if isinstance(rule, Compiled) else next((r for r in CACHE.rules() if r.pk == rule.pk), None)
    dialect = _dialect(store)
    if compiled is None or dialect not in compiled.sql:
        return []
    try:
        rows = _rows_on_range(store, compiled.sql[dialect], _aware(since), _aware(until))
    except Exception:
        logger.exception("hunt of rule %s failed", compiled.rule_id)
        return []
    ids = [str(i) for row in rows for i in (row.get("event_ids") or [])[:MAX_IDS]]
    lookup = _events_by_id(store, ids, _aware(since), _aware(until)) if ids else {}
    return upsert(_candidates(compiled, rows, lookup), additive=False)


def hunt_due(now: dt.datetime | None = None, *, store: Any = None) -> int:
    """The hourly hunt (worker job ``secops.hunts``): every runnable correlation rule over the last 24 h."""
    now = now or timezone.now()
    if store is None:
        from edubase.secops.logs.store import get_store

        store = get_store()
    touched = 0
    for rule in CACHE.rules():
        if rule.kind == "correlation" and rule.standalone and rule.maybe_active:
            touched += len(hunt(rule, now - HUNT_LOOKBACK, now, store=store))
    return touched
