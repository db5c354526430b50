"""Sigma YAML documents → compiled rules (SQL for both dialects, or a per-rule Chinese error).

``compile_documents([(filename, text), …])`` parses every file (multi-document files and
``action: global`` collections included), resolves correlation references by rule ``name`` or
``id`` across all files, and compiles each rule on its own: one bad rule never stops the others.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from sigma.collection import SigmaCollection
from sigma.conversion.state import ConversionState
from sigma.correlations import SigmaCorrelationCondition, SigmaCorrelationRule, SigmaCorrelationType
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule

from .backend import BACKENDS
from .correlation import OPS, Source, build
from .pipeline import UnsupportedRule, logsource_profile, map_field

DIALECTS = ("duckdb", "clickhouse")
ATOMIC_GROUP = ["source.ip", "host.name"]
ATOMIC_SECONDS = 300
_SPAN = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass
class CompiledRule:
    file: str
    rule_id: str
    title: str
    kind: str  # atomic | correlation
    yaml: str
    description: str = ""
    level: str = "medium"
    status: str = ""
    tags: list[str] = field(default_factory=list)
    name: str = ""
    error: str = ""
    # {"duckdb": sql, "clickhouse": sql, "where": {dialect: expr} (atomic), "group_by": [...],
    #  "timespan": seconds, "type": atomic|event_count|…, "datasets": [...]}
    compiled: dict[str, Any] = field(default_factory=dict)
    mapping: dict[str, str] = field(default_factory=dict, repr=False)


def _span_seconds(value: Any) -> int:
    m = _SPAN.match(str(value).strip())
    if not m:
        raise UnsupportedRule(f"时间窗口格式无效：{value}（应为 30s、5m、1h、1d）")
    return int(m.group(1)) * _UNITS[m.group(2)]


def _where(rule: SigmaRule, dialect: str, datasets: tuple[str, ...]) -> str:
    backend = BACKENDS[dialect]()
    work = copy.deepcopy(rule)
    backend.init_processing_pipeline(None)
    backend.last_processing_pipeline.apply(work)
    parts = []
    for cond in work.detection.parsed_condition:
        state = ConversionState(processing_state=dict(backend.last_processing_pipeline.state))
        parts.append(str(backend.convert_condition(cond.parsed, state)))
    expr = " OR ".join(f"({p})" for p in parts) if len(parts) > 1 else parts[0]
    if datasets:
        inlist = ", ".join(backend.lit(d) for d in datasets)
        expr = f'"event.dataset" IN ({inlist}) AND ({expr})'
    return expr


def _meta(rule: SigmaRule | SigmaCorrelationRule, file: str, text: str) -> CompiledRule:
    rid = str(rule.id) if rule.id else (rule.name or "")
    if not rid:
        rid = re.sub(r"[^a-z0-9]+", "-", (rule.title or file).lower()).strip("-")[:64]
    try:
        body = yaml.safe_dump(rule.to_dict(), allow_unicode=True, sort_keys=False)
    except Exception:
        body = text
    level = getattr(rule.level, "name", None) or "medium"
    status = getattr(rule.status, "name", None) or ""
    return CompiledRule(
        file=file,
        rule_id=rid[:64],
        title=(rule.title or rid)[:300],
        kind="correlation" if isinstance(rule, SigmaCorrelationRule) else "atomic",
        yaml=body,
        description=rule.description or "",
        level=level.lower(),
        status=status.lower(),
        tags=[str(t) for t in rule.tags],
        name=rule.name or "",
    )


def _compile_atomic(rule: SigmaRule, out: CompiledRule) -> None:
    mapping, datasets = logsource_profile(rule.logsource)
    out.mapping = mapping
    wheres = {d: _where(rule, d, datasets) for d in DIALECTS}
    custom = rule.custom_attributes.get("edubase") or {}
    group = [map_field(g, mapping) for g in custom.get("group-by", ATOMIC_GROUP)]
    seconds = _span_seconds(custom["timespan"]) if "timespan" in custom else ATOMIC_SECONDS
    out.compiled = {
        "type": "atomic",
        "where": wheres,
        "group_by": group,
        "timespan": seconds,
        "datasets": list(datasets),
    }
    for d in DIALECTS:
        src = Source(where={d: wheres[d]})
        sql = build(d, kind="atomic", sources=[src], group=group, seconds=seconds, conditions=[])
        # atomic rules keep NULL group values (no "IS NOT NULL" filter on the group key)
        out.compiled[d] = sql.replace("".join(f' AND "{g}" IS NOT NULL' for g in group), "")


def _conditions(rule: SigmaCorrelationRule, extra: list[tuple[str, float]] | None) -> list[tuple[str, float]]:
    if extra:
        return extra
    cond = rule.condition
    if not isinstance(cond, SigmaCorrelationCondition):
        raise UnsupportedRule("不支持扩展的关联条件表达式（and/or/not）")
    return [(cond.op.name.lower(), cond.count)]


def _compile_correlation(
    rule: SigmaCorrelationRule,
    out: CompiledRule,
    by_ref: dict[str, CompiledRule],
    extra: list[tuple[str, float]] | None,
) -> None:
    kind = rule.type.name.lower()
    if rule.type not in (
        SigmaCorrelationType.EVENT_COUNT,
        SigmaCorrelationType.VALUE_COUNT,
        SigmaCorrelationType.TEMPORAL,
        SigmaCorrelationType.TEMPORAL_ORDERED,
    ):
        raise UnsupportedRule(f"不支持的关联类型：{kind}")
    refs = [r.reference for r in (rule.rules or [])]
    if not refs:
        raise UnsupportedRule("关联规则未引用任何规则")
    targets = []
    for ref in refs:
        target = by_ref.get(ref)
        if target is None:
            raise UnsupportedRule(f"关联规则引用的规则 {ref} 不存在")
        if target.error:
            raise UnsupportedRule(f"关联规则引用的规则 {ref} 无法使用：{target.error}")
        targets.append((ref, target))
    aliases = {a.alias: {k.reference: v for k, v in a.mapping.items()} for a in rule.aliases}
    group_raw = list(rule.group_by or [])
    group: list[str] = []
    per_source_cols: list[dict[str, str]] = [{} for _ in targets]
    for g in group_raw:
        if g in aliases:
            out_name = None
            for i, (ref, target) in enumerate(targets):
                raw = aliases[g].get(ref)
                if raw is None:
                    raise UnsupportedRule(f"别名 {g} 未给出规则 {ref} 的字段")
                mapped = map_field(raw, target.mapping)
                per_source_cols[i][g] = mapped
                out_name = out_name or mapped
            group.append(g)
        else:
            mapped = map_field(g, targets[0][1].mapping)
            for i, (_ref, target) in enumerate(targets):
                per_source_cols[i][mapped] = map_field(g, target.mapping)
            group.append(mapped)
    # alias names are not schema fields: output them under the first source's mapped name
    for g in list(group):
        if g in aliases:
            mapped = per_source_cols[0][g]
            for cols in per_source_cols:
                cols[mapped] = cols.pop(g)
            group[group.index(g)] = mapped
    value_field = None
    if rule.type is SigmaCorrelationType.VALUE_COUNT:
        cond = rule.condition
        fieldref = getattr(cond, "fieldref", None)
        if not fieldref or not isinstance(fieldref, str):
            raise UnsupportedRule("value_count 关联规则缺少 condition.field")
        value_field = map_field(fieldref, targets[0][1].mapping)
        for i, (_ref, target) in enumerate(targets):
            per_source_cols[i][value_field] = map_field(fieldref, target.mapping)
    conditions = _conditions(rule, extra)
    for op, _n in conditions:
        if op not in OPS:
            raise UnsupportedRule(f"不支持的关联条件运算符：{op}")
    seconds = int(rule.timespan.seconds)
    if seconds <= 0:
        raise UnsupportedRule("关联规则缺少 timespan")
    out.mapping = targets[0][1].mapping
    out.compiled = {"type": kind, "group_by": group, "timespan": seconds, "references": refs}
    for d in DIALECTS:
        sources = []
        for i, (ref, target) in enumerate(targets):
            if target.kind == "correlation":
                missing = [g for g in group if g not in target.compiled.get("group_by", [])]
                if missing:
                    raise UnsupportedRule(f"被引用的关联规则 {ref} 未按 {', '.join(missing)} 分组")
                sources.append(Source(subquery={d: target.compiled[d]}, columns={g: g for g in group}))
            else:
                sources.append(Source(where={d: target.compiled["where"][d]}, columns=per_source_cols[i]))
        out.compiled[d] = build(
            d,
            kind=kind,
            sources=sources,
            group=group,
            seconds=seconds,
            conditions=conditions,
            value_field=value_field,
        )


def _split_range(doc: dict[str, Any]) -> list[tuple[str, float]] | None:
    """Sigma v2 allows a range (``gte`` + ``lte``); pySigma takes one operator: keep the rest here."""
    corr = doc.get("correlation")
    if not isinstance(corr, dict):
        return None
    cond = corr.get("condition")
    if not isinstance(cond, dict):
        return None
    ops = [k for k in cond if k in OPS]
    if len(ops) < 2:
        return None
    extra = [(k, float(cond[k])) for k in ops]
    corr["condition"] = {k: v for k, v in cond.items() if k not in ops[1:]}
    return extra


def compile_documents(files: list[tuple[str, str]]) -> tuple[list[CompiledRule], list[tuple[str, str, str]]]:
    """Compile every rule in ``files``; returns (rules, failures[(file, rule, error)])."""
    failures: list[tuple[str, str, str]] = []
    parsed: list[tuple[str, str, SigmaRule | SigmaCorrelationRule, list[tuple[str, float]] | None]] = []
    for fname, text in files:
        try:
            docs = [d for d in yaml.safe_load_all(text) if d is not None]
        except yaml.YAMLError as exc:
            failures.append((fname, "", f"YAML 格式错误：{exc}"))
            continue
        if not all(isinstance(d, dict) for d in docs):
            failures.append((fname, "", "文件不是 Sigma 规则（顶层应为映射）"))
            continue
        ranges = [_split_range(d) for d in docs]
        try:
            collection = SigmaCollection.from_dicts(docs, collect_errors=True, resolve_references=False)
        except SigmaError as exc:
            failures.append((fname, "", f"Sigma 规则解析失败：{exc}"))
            continue
        # ranges were recorded per document; rules come out of the collection in document order
        # (global documents produce no rule), so match them by the correlation's position
        corr_ranges = [r for d, r in zip(docs, ranges, strict=True) if isinstance(d.get("correlation"), dict)]
        ci = 0
        for rule in collection.rules:
            extra = None
            if isinstance(rule, SigmaCorrelationRule):
                extra = corr_ranges[ci] if ci < len(corr_ranges) else None
                ci += 1
            parsed.append((fname, text, rule, extra))

    results: list[CompiledRule] = []
    by_ref: dict[str, CompiledRule] = {}
    pending: list[tuple[SigmaCorrelationRule, CompiledRule, list[tuple[str, float]] | None]] = []
    for fname, text, rule, extra in parsed:
        out = _meta(rule, fname, text)
        results.append(out)
        for key in (str(rule.id) if rule.id else None, rule.name):
            if key:
                by_ref[key] = out
        if rule.errors:
            out.error = "Sigma 规则解析失败：" + "；".join(str(e) for e in rule.errors)
            continue
        if isinstance(rule, SigmaCorrelationRule):
            pending.append((rule, out, extra))
            continue
        try:
            _compile_atomic(rule, out)
        except UnsupportedRule as exc:
            out.error = str(exc)
        except SigmaError as exc:
            out.error = f"规则转换失败：{exc}"
        except Exception as exc:
            out.error = f"规则转换失败：{type(exc).__name__}: {exc}"
    # correlations may reference correlations: compile in dependency order (bounded passes)
    for _ in range(len(pending) + 1):
        remaining = []
        for rule, out, extra in pending:
            refs = [r.reference for r in (rule.rules or [])]
            if any(
                by_ref.get(r) is not None
                and by_ref[r].kind == "correlation"
                and not by_ref[r].compiled
                and not by_ref[r].error
                and by_ref[r] is not out
                for r in refs
            ):
                remaining.append((rule, out, extra))
                continue
            try:
                _compile_correlation(rule, out, by_ref, extra)
            except UnsupportedRule as exc:
                out.error = str(exc)
            except SigmaError as exc:
                out.error = f"规则转换失败：{exc}"
        if len(remaining) == len(pending):
            for _rule, out, _extra in remaining:
                out.error = "关联规则存在循环引用"
            break
        pending = remaining
        if not pending:
            break
    for r in results:
        if r.error:
            failures.append((r.file, r.rule_id, r.error))
    return results, failures
