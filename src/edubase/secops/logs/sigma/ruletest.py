"""Detection-as-code: rule test cases next to the rules, and a runner.

A test file (``<rule>.test.yml`` next to ``<rule>.yml``)::

    rule: <rule id or name>
    cases:
      - name: 十二次失败登录
        lines: ["<raw log line>", …]          # parsed by edubase.secops.logs.parsers.parse
        events: [{"source.ip": …, …}, …]       # or pre-normalised events (schema field names)
        start: 2025-03-01T02:00:00Z           # optional: time of lines without one / events
        step: 2s                              # optional: spacing of generated timestamps
        expect: {alerts: 1}                   # or {alerts: 0}; optional group: {"source.ip": …}

``run(rule_dir)`` compiles every rule in the directory, loads each case's events into a
temporary DuckDB table ``events`` (one column per schema field) and runs the compiled SQL;
``dialect="clickhouse"`` does the same through chDB. ``run_all()`` runs the bundled rules.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from edubase.secops.logs.schema import FIELDS, Event

from .compiler import CompiledRule, compile_documents

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
_DUCK_TYPES = {"ts": "TIMESTAMPTZ", "str": "VARCHAR", "int": "BIGINT", "bool": "BOOLEAN", "ip": "VARCHAR"}
_CH_TYPES = {
    "ts": "Nullable(DateTime64(3, 'UTC'))",
    "str": "Nullable(String)",
    "int": "Nullable(Int64)",
    "bool": "Nullable(Bool)",
    "ip": "Nullable(String)",
}
_ARROW_TYPES: dict[str, Any] = {}
_STEP = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m)$")


@dataclass
class CaseResult:
    rule: str
    case: str
    passed: bool
    expected: int
    got: int
    detail: str = ""
    rows: list[dict[str, Any]] = field(default_factory=list, repr=False)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _arrow_types() -> None:
    import pyarrow as pa

    _ARROW_TYPES.update(
        ts=pa.timestamp("us", tz="UTC"), str=pa.string(), int=pa.int64(), bool=pa.bool_(), ip=pa.string()
    )


def _parse_time(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    text = str(value).replace("Z", "+00:00")
    t = dt.datetime.fromisoformat(text)
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def _step(value: Any) -> dt.timedelta:
    m = _STEP.match(str(value or "1s"))
    if not m:
        raise ValueError(f"step 格式无效：{value}")
    n = float(m.group(1))
    return (
        dt.timedelta(milliseconds=n)
        if m.group(2) == "ms"
        else dt.timedelta(seconds=n * (60 if m.group(2) == "m" else 1))
    )


def _expand(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """``repeat: N`` on an event/line entry repeats it; ``{i}`` in strings is the repetition index."""
    n = int(spec.pop("repeat", 1))
    out = []
    for i in range(n):
        out.append({k: (v.replace("{i}", str(i)) if isinstance(v, str) else v) for k, v in spec.items()})
    return out


def case_events(case: dict[str, Any]) -> list[Event]:
    """The normalised events of one case (lines parsed, event dicts completed), in order."""
    start = _parse_time(case.get("start", "2025-03-01T02:00:00Z"))
    step = _step(case.get("step"))
    clock = (start + step * i for i in itertools.count())
    counter = itertools.count(1)
    events: list[Event] = []
    for entry in case.get("lines") or []:
        items = _expand(dict(entry)) if isinstance(entry, dict) else [{"line": entry}]
        for item in items:
            from edubase.secops.logs import parsers  # written by the parsers part

            t = next(clock)
            ev = parsers.parse(item["line"], hint=str(item.get("hint", case.get("hint", "auto"))), received_at=t)
            if not ev.get("@timestamp") or case.get("retime", True):
                ev["@timestamp"] = t
            ev["event.id"] = ev.get("event.id") or f"t-{next(counter)}"
            events.append(ev)
    for entry in case.get("events") or []:
        for item in _expand(dict(entry)):
            ev = dict.fromkeys(FIELDS)
            unknown = set(item) - set(FIELDS) - {"offset"}
            if unknown:
                raise ValueError(f"测试事件包含未知字段：{', '.join(sorted(unknown))}")
            ev.update({k: v for k, v in item.items() if k != "offset"})
            t = next(clock)
            if "offset" in item:
                t = start + _step(item["offset"])
            ev["@timestamp"] = _parse_time(ev["@timestamp"]) if ev.get("@timestamp") else t
            ev["event.id"] = ev.get("event.id") or f"t-{next(counter)}"
            events.append(ev)
    return events


class DuckDBEvents:
    """A throw-away in-memory DuckDB holding an ``events`` table with the schema's columns."""

    dialect = "duckdb"

    def __init__(self) -> None:
        import duckdb

        _arrow_types()
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET TimeZone = 'UTC'")
        cols = ", ".join(f"{_q(n)} {_DUCK_TYPES[t]}" for n, (t, _m) in FIELDS.items())
        self.con.execute(f"CREATE TABLE events ({cols})")

    def load(self, events: list[Event]) -> None:
        import pyarrow as pa

        self.con.execute("DELETE FROM events")
        if not events:
            return
        arrays = {}
        for n, (t, _m) in FIELDS.items():
            values = [ev.get(n) for ev in events]
            if t == "ts":
                values = [_parse_time(v) if v is not None else None for v in values]
            arrays[n] = pa.array(values, type=_ARROW_TYPES[t])
        batch = pa.table(arrays)  # noqa: F841 - referenced by name in the SQL below
        self.con.execute("INSERT INTO events SELECT * FROM batch")

    def query(self, sql: str) -> list[dict[str, Any]]:
        cur = self.con.execute(sql)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def close(self) -> None:
        self.con.close()


class ClickHouseEvents:
    """The same through chDB (embedded ClickHouse), to exercise the ClickHouse SQL."""

    dialect = "clickhouse"

    def __init__(self) -> None:
        import tempfile

        from chdb import session

        self._dir = tempfile.TemporaryDirectory(prefix="edubase-chdb-")
        self.sess = session.Session(self._dir.name)
        self.sess.query("CREATE DATABASE IF NOT EXISTS rt")
        self.sess.query("USE rt")
        cols = ", ".join(f"{_q(n)} {_CH_TYPES[t]}" for n, (t, _m) in FIELDS.items())
        self.sess.query(f"CREATE TABLE rt.events ({cols}) ENGINE = Memory")

    def load(self, events: list[Event]) -> None:
        import json

        self.sess.query("TRUNCATE TABLE rt.events")
        if not events:
            return
        rows = []
        for ev in events:
            row = {}
            for n, (t, _m) in FIELDS.items():
                v = ev.get(n)
                if t == "ts" and v is not None:
                    v = _parse_time(v).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
                row[n] = v
            rows.append(json.dumps(row, ensure_ascii=False))
        self.sess.query("INSERT INTO rt.events FORMAT JSONEachRow\n" + "\n".join(rows))

    def query(self, sql: str) -> list[dict[str, Any]]:
        import json

        res = self.sess.query(sql.replace(" FROM events ", " FROM rt.events "), "JSONEachRow")
        text = res.bytes().decode() if hasattr(res, "bytes") else str(res)
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def close(self) -> None:
        self.sess.close()
        self._dir.cleanup()


def load_rules(rule_dir: Path | str) -> list[CompiledRule]:
    rule_dir = Path(rule_dir)
    files = [
        (p.name, p.read_text(encoding="utf-8"))
        for p in sorted(rule_dir.glob("*.yml"))
        if not p.name.endswith(".test.yml")
    ]
    rules, _failures = compile_documents(files)
    return rules


def run(rule_dir: Path | str = RULES_DIR, *, dialect: str = "duckdb") -> list[CaseResult]:
    """Run every ``*.test.yml`` in ``rule_dir`` against the compiled rules; one result per case."""
    rule_dir = Path(rule_dir)
    rules = load_rules(rule_dir)
    index: dict[str, CompiledRule] = {}
    for r in rules:
        index[r.rule_id] = r
        if r.name:
            index[r.name] = r
    db: DuckDBEvents | ClickHouseEvents = DuckDBEvents() if dialect == "duckdb" else ClickHouseEvents()
    results: list[CaseResult] = []
    try:
        for path in sorted(rule_dir.glob("*.test.yml")):
            spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            ref = str(spec.get("rule", ""))
            rule = index.get(ref)
            for case in spec.get("cases") or []:
                name = str(case.get("name", "?"))
                want = int((case.get("expect") or {}).get("alerts", 0))
                if rule is None or rule.error:
                    why = f"规则 {ref} 不存在" if rule is None else f"规则无法编译：{rule.error}"
                    results.append(CaseResult(ref, name, False, want, -1, why))
                    continue
                try:
                    db.load(case_events(case))
                    rows = db.query(rule.compiled[dialect])
                except Exception as exc:
                    results.append(CaseResult(ref, name, False, want, -1, f"{type(exc).__name__}: {exc}"))
                    continue
                group = (case.get("expect") or {}).get("group")
                ok = len(rows) == want
                detail = ""
                if ok and group:
                    ok = any(all(str(r.get(k)) == str(v) for k, v in group.items()) for r in rows)
                    detail = "" if ok else f"没有分组 {group} 的告警"
                results.append(CaseResult(ref, name, ok, want, len(rows), detail, rows))
    finally:
        db.close()
    return results


def run_all(*, dialect: str = "duckdb") -> list[CaseResult]:
    """Run the bundled rules' test cases (for a management command / CI)."""
    return run(RULES_DIR, dialect=dialect)
