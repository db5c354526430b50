"""Access policy engine (数据访问策略): who may read which field, in clear, masked or not at all.

Pure functions over plain values: (field grade, field entity, actor roles, actor org level,
purpose) → allow / pseudonym / mask / deny, with a Chinese explanation of every decision. The
rules are data (``AccessPolicy.rules``, versioned; ``DEFAULT_RULES`` is the seeded version 1):
an ordered list, the first rule whose *data* conditions match a field decides. A rule grants
its ``effect`` when the actor meets every *actor* condition, else ``otherwise`` applies (or, when
``otherwise`` is null, the next rule is tried). A field no rule matches is denied: a policy that
forgot a case must fail closed.

Row filters come from scope: ``row_filter`` keeps rows whose school/org code lies in the
subtrees the actor (or the grant) covers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ALLOW = "allow"
PSEUDONYM = "pseudonym"
MASK = "mask"
DENY = "deny"
#: effects from the most to the least revealing; "stricter" means further right
EFFECTS: tuple[str, ...] = (ALLOW, PSEUDONYM, MASK, DENY)
EFFECT_LABELS: dict[str, str] = {ALLOW: "允许（明文）", PSEUDONYM: "假名化", MASK: "脱敏", DENY: "拒绝"}
_SHORT = {ALLOW: "允许", PSEUDONYM: "假名化", MASK: "脱敏", DENY: "拒绝"}

#: purposes of use (使用用途) a share request names
PURPOSES: dict[str, str] = {
    "student_status": "学籍管理",
    "financial_aid": "学生资助",
    "health_safety": "卫生健康与安全",
    "teaching": "教育教学",
    "administration": "行政管理",
    "supervision": "督导评估",
    "statistics": "统计分析",
    "research": "教育科研",
}

#: GB/T 43697-2024 categories (D1's grading codes)
CATEGORIES: dict[str, str] = {"core": "核心数据", "important": "重要数据", "general": "一般数据"}
#: org levels an actor acts from (orgs.OrgKind mapped; bureaus and units count as their parent's level)
ORG_LEVELS: dict[str, str] = {"province": "省级", "city": "市级", "county": "县级", "school": "学校"}
ROLE_LABELS: dict[str, str] = {
    "province_admin": "省级管理员",
    "city_admin": "市级管理员",
    "county_admin": "县级管理员",
    "school_admin": "学校管理员",
    "data_officer": "数据专员",
    "reviewer": "审核员",
    "teacher": "教师",
}
#: identifiers whose pseudonym still joins extracts (the same person → the same pseudonym)
JOIN_KEYS: tuple[str, ...] = ("citizen_id", "student_number", "residence_permit", "passport", "travel_permit")

DEFAULT_RULES: dict[str, Any] = {
    "version_note": "默认策略：核心数据仅省级数据专员；敏感个人信息需特定用途且由数据专员申请；"
    "个人信息按用途脱敏；统计与科研用途下证件号以假名替代",
    "rules": [
        {
            "id": "core",
            "label": "核心数据",
            "data": {"category": ["core"]},
            "actor": {"roles": ["data_officer"], "org_levels": ["province"], "purposes": ["supervision", "statistics"]},
            "effect": MASK,
            "otherwise": DENY,
        },
        {
            "id": "identifier-statistics",
            "label": "统计科研用途的证件号",
            "data": {"entity": list(JOIN_KEYS)},
            "actor": {"purposes": ["statistics", "research"]},
            "effect": PSEUDONYM,
            "otherwise": None,
        },
        {
            "id": "sensitive-personal",
            "label": "敏感个人信息",
            "data": {"sensitive": True},
            "actor": {"roles": ["data_officer"], "purposes": ["student_status", "financial_aid", "health_safety"]},
            "effect": MASK,
            "otherwise": DENY,
        },
        {
            "id": "personal",
            "label": "个人信息",
            "data": {"personal": True},
            "actor": {
                "purposes": ["student_status", "financial_aid", "health_safety", "teaching", "administration"],
            },
            "effect": MASK,
            "otherwise": DENY,
        },
        {
            "id": "important",
            "label": "重要数据",
            "data": {"category": ["important"]},
            "actor": {"org_levels": ["province", "city"]},
            "effect": ALLOW,
            "otherwise": DENY,
        },
        {
            "id": "general-high",
            "label": "一般数据（3–4级）",
            "data": {"category": ["general"], "min_level": 3},
            "actor": {"org_levels": ["province", "city", "county"]},
            "effect": ALLOW,
            "otherwise": MASK,
        },
        {"id": "general", "label": "一般数据", "data": {"category": ["general"]}, "actor": {}, "effect": ALLOW},
    ],
}


class PolicyInvalid(ValueError):
    """A rule set is malformed; the message (Chinese) names the rule and the problem."""


@dataclass(frozen=True)
class FieldFacts:
    """What the policy knows about one field (from the catalogue's classification and grading)."""

    name: str
    entity: str | None = None
    category: str = "general"
    level: int = 1
    personal: bool = False
    sensitive: bool = False


@dataclass(frozen=True)
class ActorFacts:
    """Who asks and why: role codes held, the level of the org acted from, the purpose."""

    roles: frozenset[str]
    org_level: str
    purpose: str


@dataclass(frozen=True)
class Decision:
    """The verdict on one field, with the rule that gave it and why (Chinese)."""

    field: str
    effect: str
    rule: str
    reason: str


@dataclass(frozen=True)
class PolicyResult:
    """Verdicts on a set of fields."""

    decisions: tuple[Decision, ...]

    def effects(self) -> dict[str, str]:
        return {d.field: d.effect for d in self.decisions}

    def denied(self) -> list[Decision]:
        return [d for d in self.decisions if d.effect == DENY]

    def readable(self) -> list[Decision]:
        return [d for d in self.decisions if d.effect != DENY]


@dataclass(frozen=True)
class RowFilter:
    """Rows kept: those whose ``column`` holds a code in ``codes`` (``codes`` None: every row)."""

    column: str | None
    codes: frozenset[str] | None = None
    reason: str = ""

    def keeps(self, row: Mapping[str, Any]) -> bool:
        if self.codes is None or self.column is None:
            return True
        return str(row.get(self.column) or "").strip() in self.codes


@dataclass
class _Rule:
    id: str
    label: str
    data: dict[str, Any]
    actor: dict[str, Any]
    effect: str
    otherwise: str | None
    raw: dict[str, Any] = field(default_factory=dict)


def _str_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyInvalid(f"{where} 必须是字符串列表")
    return list(value)


def _parse(rules: Mapping[str, Any]) -> list[_Rule]:
    items = rules.get("rules") if isinstance(rules, Mapping) else None
    if not isinstance(items, list) or not items:
        raise PolicyInvalid("策略必须包含非空的 rules 列表")
    parsed: list[_Rule] = []
    seen: set[str] = set()
    for index, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            raise PolicyInvalid(f"第 {index} 条规则不是对象")
        rule_id = str(item.get("id") or f"rule-{index}")
        where = f"规则“{rule_id}”"
        if rule_id in seen:
            raise PolicyInvalid(f"{where} 的 id 重复")
        seen.add(rule_id)
        effect = item.get("effect")
        otherwise = item.get("otherwise")
        if effect not in EFFECTS:
            raise PolicyInvalid(f"{where} 的 effect 必须是 {'/'.join(EFFECTS)} 之一")
        if otherwise is not None and otherwise not in EFFECTS:
            raise PolicyInvalid(f"{where} 的 otherwise 必须是 {'/'.join(EFFECTS)} 之一或 null")
        data = dict(item.get("data") or {})
        actor = dict(item.get("actor") or {})
        unknown = set(data) - {"category", "entity", "personal", "sensitive", "min_level", "max_level"}
        unknown |= set(actor) - {"roles", "org_levels", "purposes"}
        if unknown:
            raise PolicyInvalid(f"{where} 含无法识别的条件：{'、'.join(sorted(unknown))}")
        for key in ("category", "entity"):
            if key in data:
                data[key] = _str_list(data[key], f"{where} 的 data.{key}")
        for key in ("roles", "org_levels", "purposes"):
            if key in actor:
                actor[key] = _str_list(actor[key], f"{where} 的 actor.{key}")
        for key in ("personal", "sensitive"):
            if key in data and not isinstance(data[key], bool):
                raise PolicyInvalid(f"{where} 的 data.{key} 必须是 true/false")
        for key in ("min_level", "max_level"):
            if key in data and not (isinstance(data[key], int) and 1 <= data[key] <= 4):
                raise PolicyInvalid(f"{where} 的 data.{key} 必须是 1–4 的整数")
        parsed.append(
            _Rule(
                id=rule_id,
                label=str(item.get("label") or rule_id),
                data=data,
                actor=actor,
                effect=str(effect),
                otherwise=otherwise,
                raw=dict(item),
            )
        )
    return parsed


def validate(rules: Mapping[str, Any]) -> None:
    """Raise ``PolicyInvalid`` (Chinese message) unless ``rules`` is a well-formed rule set."""
    _parse(rules)


def _data_matches(rule: _Rule, facts: FieldFacts) -> bool:
    data = rule.data
    if "category" in data and facts.category not in data["category"]:
        return False
    if "entity" in data and (facts.entity or "") not in data["entity"]:
        return False
    if "personal" in data and facts.personal != data["personal"]:
        return False
    if "sensitive" in data and facts.sensitive != data["sensitive"]:
        return False
    if "min_level" in data and facts.level < data["min_level"]:
        return False
    return not ("max_level" in data and facts.level > data["max_level"])


def _labels(codes: Iterable[str], table: Mapping[str, str]) -> str:
    return "或".join(f"「{table.get(c, c)}」" for c in codes)


def _unmet(rule: _Rule, actor: ActorFacts) -> list[str]:
    """The actor conditions of ``rule`` that ``actor`` fails, each as a Chinese phrase."""
    missing: list[str] = []
    if "purposes" in rule.actor and actor.purpose not in rule.actor["purposes"]:
        missing.append(f"用途{_labels(rule.actor['purposes'], PURPOSES)}")
    if "roles" in rule.actor and not (actor.roles & set(rule.actor["roles"])):
        missing.append(f"角色{_labels(rule.actor['roles'], ROLE_LABELS)}")
    if "org_levels" in rule.actor and actor.org_level not in rule.actor["org_levels"]:
        missing.append(f"申请单位层级为{_labels(rule.actor['org_levels'], ORG_LEVELS)}")
    return missing


def _requirement(rule: _Rule) -> str:
    parts = []
    if "purposes" in rule.actor:
        parts.append(f"用途{_labels(rule.actor['purposes'], PURPOSES)}")
    if "roles" in rule.actor:
        parts.append(f"角色{_labels(rule.actor['roles'], ROLE_LABELS)}")
    if "org_levels" in rule.actor:
        parts.append(f"申请单位层级为{_labels(rule.actor['org_levels'], ORG_LEVELS)}")
    return "且".join(parts)


def _decide(rules: Sequence[_Rule], facts: FieldFacts, actor: ActorFacts) -> Decision:
    for rule in rules:
        if not _data_matches(rule, facts):
            continue
        missing = _unmet(rule, actor)
        if not missing:
            met = _requirement(rule)
            why = f"满足{met}" if met else "无附加条件"
            return Decision(facts.name, rule.effect, rule.id, f"{_SHORT[rule.effect]}：{rule.label}，{why}")
        if rule.otherwise is None:
            continue
        need = _requirement(rule)
        stronger = _SHORT[rule.effect]
        reason = f"{_SHORT[rule.otherwise]}：{rule.label}需{need}（未满足：{'、'.join(missing)}）"
        if rule.otherwise not in (DENY, rule.effect):
            reason += f"，满足时可{stronger}"
        return Decision(facts.name, rule.otherwise, rule.id, reason)
    return Decision(facts.name, DENY, "", "拒绝：没有适用于该字段的策略规则（默认拒绝）")


def decide(facts: FieldFacts, actor: ActorFacts, rules: Mapping[str, Any]) -> Decision:
    """The verdict on one field for ``actor`` under ``rules``."""
    return _decide(_parse(rules), facts, actor)


def decide_all(fields: Iterable[FieldFacts], actor: ActorFacts, rules: Mapping[str, Any]) -> PolicyResult:
    """The verdicts on every field of a request (the rules parsed once)."""
    parsed = _parse(rules)
    return PolicyResult(tuple(_decide(parsed, f, actor) for f in fields))


def stricter(a: str, b: str) -> str:
    """The stricter of two effects (an approval may narrow a verdict, never widen it)."""
    return a if EFFECTS.index(a) >= EFFECTS.index(b) else b


def org_level(kind: str) -> str:
    """An org kind (``orgs.OrgKind``) as a policy org level."""
    return {"province": "province", "prefecture": "city", "county": "county", "school": "school"}.get(kind, "county")


def row_filter(column: str | None, allowed_codes: Iterable[str] | None, *, scope_label: str = "") -> RowFilter:
    """Rows limited to ``allowed_codes`` in ``column`` (school/org codes of the subtrees in scope).

    A dataset with no org-code column cannot be cut by scope: every row is kept and the reason
    says so, so the approver knows the whole table is shared.
    """
    if column is None:
        return RowFilter(None, None, "数据集没有学校/机构代码列，不能按管辖范围筛选行，共享全部行")
    if allowed_codes is None:
        return RowFilter(column, None, f"按“{column}”列不限行（{scope_label or '全部范围'}）")
    codes = frozenset(str(c) for c in allowed_codes)
    return RowFilter(column, codes, f"仅保留“{column}”属于{scope_label or '管辖范围'}的行（{len(codes)} 个代码）")
