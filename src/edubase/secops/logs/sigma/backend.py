"""edubase's pySigma 2 backend: Sigma detections → SQL ``WHERE`` expressions for DuckDB and ClickHouse.

Built on ``sigma.conversion.base.TextQueryBackend`` (its condition-tree walk, precedence and
grouping); the leaf conversions are ours so both dialects get the same semantics:

- string matches are case-insensitive (Sigma's default): both sides lower-cased, plain
  ``contains``/``startswith``/``endswith`` become string functions, other wildcards ``LIKE``;
  ``|cased`` keeps the case;
- every leaf is wrapped in ``coalesce(…, false)`` so a missing field never matches and
  ``not`` of a missing field does (Sigma semantics, not SQL's three-valued logic);
- ``|re`` → ``regexp_matches`` (DuckDB) / ``match`` (ClickHouse), both RE2: look-arounds,
  back-references, atomic groups and possessive quantifiers are refused with a clear error;
- ``|cidr`` → numeric IPv4 range (DuckDB) / ``isIPAddressInRange`` (ClickHouse);
- keywords (values without a field) search ``message`` and ``log.original``;
- ``|expand`` placeholders, timestamp-part modifiers and fields outside the schema are refused.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, ClassVar

from sigma.conditions import ConditionFieldEqualsValueExpression, ConditionValueExpression
from sigma.conversion.base import TextQueryBackend
from sigma.conversion.state import ConversionState
from sigma.types import (
    CompareOperators,
    Placeholder,
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaQueryExpression,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SigmaTimestampPart,
    SpecialChars,
)

from edubase.secops.logs.schema import FIELDS

from .pipeline import UnsupportedRule, edubase_pipeline

KEYWORD_FIELDS = ("message", "log.original")

#: Computed fields rules may use besides the schema's: ``url.decoded`` is ``url.original`` with
#: percent-escapes (and ``+``) decoded, so rules see what the application sees.
VIRTUAL_FIELDS: dict[str, dict[str, str]] = {
    "url.decoded": {
        "duckdb": "coalesce(try(url_decode(replace(\"url.original\", '+', ' '))), \"url.original\")",
        "clickhouse": "decodeURLComponent(replaceAll(\"url.original\", '+', ' '))",
    },
}

# RE2 (DuckDB and ClickHouse) lacks these PCRE features.
_RE_REFUSED = [
    (re.compile(r"\(\?<?[=!]"), "前瞻/后顾断言（look-around）"),
    (re.compile(r"(?<!\\)\\[1-9]"), "反向引用（back-reference）"),
    (re.compile(r"\(\?>"), "原子分组"),
    (re.compile(r"(?<!\\)[*+?}]\+"), "占有型量词"),
    (re.compile(r"\(\?P=|\\k<"), "命名反向引用"),
    (re.compile(r"(?<!\\)\\[ZG]"), "\\Z / \\G 锚点"),
]


def check_re2(pattern: str) -> None:
    """Refuse regular expressions RE2 cannot run (the rule gets the error, not the whole pack)."""
    for rx, what in _RE_REFUSED:
        if rx.search(pattern):
            raise UnsupportedRule(f"正则表达式使用了 RE2 不支持的{what}：{pattern}")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise UnsupportedRule(f"正则表达式无效（{exc}）：{pattern}") from exc


class SQLBackend(TextQueryBackend):
    """Shared conversion; ``dialect`` picks the SQL functions (subclasses below)."""

    name: ClassVar[str] = "edubase SQL"
    formats: ClassVar[dict[str, str]] = {"default": "SQL WHERE expression"}
    requires_pipeline: ClassVar[bool] = False
    dialect: ClassVar[str] = ""

    group_expression: ClassVar[str] = "({expr})"
    or_token: ClassVar[str] = "OR"  # noqa: S105
    and_token: ClassVar[str] = "AND"  # noqa: S105
    not_token: ClassVar[str] = "NOT"  # noqa: S105
    eq_token: ClassVar[str] = " = "  # noqa: S105
    str_quote: ClassVar[str] = "'"
    escape_char: ClassVar[str] = "\\"
    wildcard_multi: ClassVar[str] = "%"
    wildcard_single: ClassVar[str] = "_"
    convert_or_as_in: ClassVar[bool] = False
    convert_and_as_in: ClassVar[bool] = False
    # unused by our leaf conversions, but the base class wants them defined
    field_quote: ClassVar[str] = '"'
    re_expression: ClassVar[str] = "{field} ~ {regex}"
    compare_op_expression: ClassVar[str] = "{field} {operator} {value}"
    compare_operators: ClassVar[dict[CompareOperators, str]] = {
        CompareOperators.LT: "<",
        CompareOperators.LTE: "<=",
        CompareOperators.GT: ">",
        CompareOperators.GTE: ">=",
        CompareOperators.NEQ: "<>",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("processing_pipeline", edubase_pipeline())
        super().__init__(**kwargs)

    # ---- dialect primitives -------------------------------------------------------------------
    def lit(self, s: str) -> str:
        return "'" + s.replace("'", "''") + "'"

    def lower(self, expr: str) -> str:
        return f"lower({expr})"

    def as_text(self, expr: str) -> str:
        return f"CAST({expr} AS VARCHAR)"

    def f_contains(self, expr: str, value: str) -> str:
        return f"contains({expr}, {self.lit(value)})"

    def f_startswith(self, expr: str, value: str) -> str:
        return f"starts_with({expr}, {self.lit(value)})"

    def f_endswith(self, expr: str, value: str) -> str:
        return f"ends_with({expr}, {self.lit(value)})"

    def f_like(self, expr: str, pattern: str) -> str:
        return f"{expr} LIKE {self.lit(pattern)} ESCAPE '\\'"

    def f_regex(self, expr: str, pattern: str) -> str:
        return f"regexp_matches({expr}, {self.lit(pattern)})"

    def f_cidr(self, expr: str, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str:
        if network.version != 4:
            raise UnsupportedRule(f"DuckDB 方言暂不支持 IPv6 网段匹配：{network}")
        lo, hi = int(network.network_address), int(network.broadcast_address)
        octets = " + ".join(
            f"TRY_CAST(split_part({expr}, '.', {i + 1}) AS BIGINT) * {256 ** (3 - i)}" for i in range(4)
        )
        return f"(regexp_full_match({expr}, '\\d+\\.\\d+\\.\\d+\\.\\d+') AND ({octets}) BETWEEN {lo} AND {hi})"

    def false(self) -> str:
        return "false"

    def wrap(self, expr: str) -> str:
        return f"coalesce({expr}, {self.false()})"

    # ---- fields ----------------------------------------------------------------------------------
    def escape_and_quote_field(self, field_name: str) -> str:
        if field_name in VIRTUAL_FIELDS:
            return VIRTUAL_FIELDS[field_name][self.dialect]
        if field_name not in FIELDS:
            raise UnsupportedRule(f"字段 {field_name} 无法映射到 edubase 事件字段")
        return '"' + field_name.replace('"', '""') + '"'

    def field_type(self, field_name: str) -> str:
        return "str" if field_name in VIRTUAL_FIELDS else FIELDS[field_name][0]

    # ---- leaves ----------------------------------------------------------------------------------
    def convert_condition_field_eq_val(self, cond: ConditionFieldEqualsValueExpression, state: ConversionState) -> Any:
        value = cond.value
        match value:
            case SigmaCasedString():
                return self.wrap(self._string(cond.field, value, cased=True))
            case SigmaString():
                return self.wrap(self._string(cond.field, value, cased=False))
            case SigmaTimestampPart():
                raise UnsupportedRule("不支持时间分量修饰符（minute/hour/day/week/month/year）")
            case SigmaBool():
                return self.wrap(f"{self.escape_and_quote_field(cond.field)} = {'true' if value.boolean else 'false'}")
            case SigmaNumber():
                return self.wrap(self._number(cond.field, value.number, "="))
            case SigmaRegularExpression():
                return self.wrap(self._regex(self.escape_and_quote_field(cond.field), value))
            case SigmaCIDRExpression():
                return self.wrap(self.f_cidr(self.escape_and_quote_field(cond.field), value.network))
            case SigmaCompareExpression():
                op = self.compare_operators[value.op]
                return self.wrap(self._number(cond.field, value.number.number, op))
            case SigmaFieldReference():
                if value.starts_with or value.ends_with:
                    raise UnsupportedRule("不支持带通配的 fieldref 比较")
                a, b = self.escape_and_quote_field(cond.field), self.escape_and_quote_field(value.field)
                return self.wrap(f"{a} = {b}")
            case SigmaNull():
                return f"{self.escape_and_quote_field(cond.field)} IS NULL"
            case SigmaExists():
                q = self.escape_and_quote_field(cond.field)
                return f"{q} IS NOT NULL" if value.exists else f"{q} IS NULL"
            case SigmaQueryExpression():
                raise UnsupportedRule("不支持查询表达式占位符")
        return super().convert_condition_field_eq_val(cond, state)  # SigmaExpansion → OR of leaves

    def _number(self, field_name: str, number: int | float, op: str) -> str:
        q = self.escape_and_quote_field(field_name)
        if self.field_type(field_name) in ("int",):
            return f"{q} {op} {number}"
        if op == "=":
            return f"{q} = {self.lit(str(number))}"
        kind = "BIGINT" if self.dialect == "duckdb" else "Int64"
        cast = f"TRY_CAST({q} AS {kind})" if self.dialect == "duckdb" else f"toInt64OrNull({q})"
        return f"{cast} {op} {number}"

    def _string(self, field_name: str, value: SigmaString, *, cased: bool) -> str:
        q = self.escape_and_quote_field(field_name)
        ftype = self.field_type(field_name)
        if ftype == "int" and not value.contains_special() and str(value).lstrip("-").isdigit():
            return f"{q} = {int(str(value))}"
        if ftype in ("int", "ts", "bool"):
            q = self.as_text(q)
        return self._match(q, value, cased=cased)

    def _match(self, expr: str, value: SigmaString, *, cased: bool) -> str:
        if value.contains_placeholder():
            raise UnsupportedRule("规则使用了 |expand 占位符（%name%），edubase 不提供占位符取值")
        parts = list(value.s)
        subject = expr if cased else self.lower(expr)

        def plain(ps: list[Any]) -> str | None:
            if any(not isinstance(p, str) for p in ps):
                return None
            text = "".join(ps)
            return text if cased else text.lower()

        star = SpecialChars.WILDCARD_MULTI
        if not value.contains_special():
            text = plain(parts)
            assert text is not None
            return f"{subject} = {self.lit(text)}"
        if len(parts) >= 2 and parts[0] == star and parts[-1] == star and (t := plain(parts[1:-1])) is not None:
            return self.f_contains(subject, t)
        if parts[-1] == star and (t := plain(parts[:-1])) is not None:
            return self.f_startswith(subject, t)
        if parts[0] == star and (t := plain(parts[1:])) is not None:
            return self.f_endswith(subject, t)
        pattern = []
        for p in parts:
            if p == star:
                pattern.append("%")
            elif p == SpecialChars.WILDCARD_SINGLE:
                pattern.append("_")
            elif isinstance(p, Placeholder):  # pragma: no cover - refused above
                raise UnsupportedRule("规则使用了 |expand 占位符")
            else:
                text = str(p) if cased else str(p).lower()
                pattern.append(text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
        return self.f_like(subject, "".join(pattern))

    def _regex(self, expr: str, value: SigmaRegularExpression) -> str:
        pattern = str(value.regexp)
        check_re2(pattern)
        flags = "".join(
            c
            for flag, c in (
                (SigmaRegularExpressionFlag.IGNORECASE, "i"),
                (SigmaRegularExpressionFlag.MULTILINE, "m"),
                (SigmaRegularExpressionFlag.DOTALL, "s"),
            )
            if flag in value.flags
        )
        if flags:
            pattern = f"(?{flags}){pattern}"
        return self.f_regex(expr, pattern)

    # ---- keywords (values without a field) ------------------------------------------------------
    def _keyword(self, make: Any) -> str:
        return "(" + " OR ".join(self.wrap(make('"' + f + '"')) for f in KEYWORD_FIELDS) + ")"

    def convert_condition_val_str(self, cond: ConditionValueExpression, state: ConversionState) -> Any:
        value = cond.value
        assert isinstance(value, SigmaString)
        if not value.startswith(SpecialChars.WILDCARD_MULTI):
            value = SpecialChars.WILDCARD_MULTI + value
        if not value.endswith(SpecialChars.WILDCARD_MULTI):
            value = value + SpecialChars.WILDCARD_MULTI
        cased = isinstance(cond.value, SigmaCasedString)
        return self._keyword(lambda q: self._match(q, value, cased=cased))

    def convert_condition_val_num(self, cond: ConditionValueExpression, state: ConversionState) -> Any:
        value = SigmaString("*" + str(cond.value) + "*")
        return self._keyword(lambda q: self._match(q, value, cased=False))

    def convert_condition_val_re(self, cond: ConditionValueExpression, state: ConversionState) -> Any:
        value = cond.value
        assert isinstance(value, SigmaRegularExpression)
        return self._keyword(lambda q: self._regex(q, value))

    def convert_condition_query_expr(self, cond: Any, state: ConversionState) -> Any:
        raise UnsupportedRule("不支持查询表达式占位符")

    def finalize_query_default(self, rule: Any, query: Any, index: int, state: ConversionState) -> Any:
        return query


class DuckDBBackend(SQLBackend):
    name: ClassVar[str] = "edubase DuckDB SQL"
    dialect: ClassVar[str] = "duckdb"


class ClickHouseBackend(SQLBackend):
    name: ClassVar[str] = "edubase ClickHouse SQL"
    dialect: ClassVar[str] = "clickhouse"

    def lit(self, s: str) -> str:
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def lower(self, expr: str) -> str:
        return f"lowerUTF8({expr})"

    def as_text(self, expr: str) -> str:
        return f"toString({expr})"

    def f_contains(self, expr: str, value: str) -> str:
        return f"position({expr}, {self.lit(value)}) > 0"

    def f_startswith(self, expr: str, value: str) -> str:
        return f"startsWith({expr}, {self.lit(value)})"

    def f_endswith(self, expr: str, value: str) -> str:
        return f"endsWith({expr}, {self.lit(value)})"

    def f_like(self, expr: str, pattern: str) -> str:
        return f"like({expr}, {self.lit(pattern)})"

    def f_regex(self, expr: str, pattern: str) -> str:
        return f"match({expr}, {self.lit(pattern)})"

    def f_cidr(self, expr: str, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str:
        return f"isIPAddressInRange(ifNull({expr}, '0.0.0.0'), {self.lit(str(network))})"

    def false(self) -> str:
        return "0"


BACKENDS: dict[str, type[SQLBackend]] = {"duckdb": DuckDBBackend, "clickhouse": ClickHouseBackend}
