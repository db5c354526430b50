"""Data grading (数据分级) per GB/T 43697-2024 《数据安全技术 数据分类分级规则》.

Three grades: core data (核心数据), important data (重要数据) and general data (一般数据);
general data is split into levels 1–4 here (4 = sensitive personal information, 3 = personal
information, 2 = internal data, 1 = public data), following the sector practice that
GB/T 43697 §6 leaves to each sector. PIPL art. 28 makes all personal information of
children under 14 sensitive personal information.

The rules are DATA (``DEFAULT_RULES``, JSON-serialisable): the catalogue stores them
versioned and editable, and passes the active version to the pure functions below.

``FieldGrade.level`` is one ordered rank so that "highest" is a plain comparison:
general data 1–4, important data 5, core data 6.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from edubase.datagov.classify.entities import ENTITIES

GRADES = ("core", "important", "general")
GRADE_LABELS = {"core": "核心数据", "important": "重要数据", "general": "一般数据"}
#: rank of the two grades above general data (general levels are 1–4)
IMPORTANT_RANK = 5
CORE_RANK = 6


@dataclass(frozen=True)
class FieldGrade:
    """The grade of one field or one dataset (数据分级结果) and why."""

    category: str  # "core" | "important" | "general"
    level: int  # general 1–4; important 5; core 6
    personal: bool
    sensitive: bool
    reason: str

    @property
    def label_zh(self) -> str:
        """``一般数据（4级）``, ``重要数据``, ``核心数据``."""
        if self.category == "general":
            return f"一般数据（{self.level}级）"
        return GRADE_LABELS.get(self.category, self.category)


def _entity_rule(code: str, level: int, reason: str, category: str = "general") -> dict[str, Any]:
    e = ENTITIES[code]
    return {
        "category": category,
        "level": level,
        "personal": e.personal,
        "sensitive": e.sensitive,
        "reason": reason,
    }


_SENSITIVE = "敏感个人信息（《个人信息保护法》第二十八条），泄露可能危害人身财产安全或人格尊严"
_PERSONAL = "个人信息（《个人信息保护法》第四条），可识别或关联到特定自然人"

DEFAULT_RULES: dict[str, Any] = {
    "standard": "GB/T 43697-2024",
    "version": 1,
    "general_levels": {
        "1": "公开数据",
        "2": "内部数据",
        "3": "个人信息",
        "4": "敏感个人信息",
    },
    "entities": {
        code: _entity_rule(code, 4 if e.sensitive else 3, _SENSITIVE if e.sensitive else _PERSONAL)
        for code, e in ENTITIES.items()
        if e.personal
    }
    | {"uscc": _entity_rule("uscc", 1, "统一社会信用代码依法公示（公开数据）")},
    "unclassified": {
        "category": "general",
        "level": 2,
        "personal": False,
        "sensitive": False,
        "reason": "未识别出个人信息的业务数据，按内部数据管理",
    },
    "minors_under_14": {
        "level": 4,
        "reason": "不满十四周岁未成年人的个人信息均为敏感个人信息（《个人信息保护法》第二十八条）",
    },
    # A dataset holding personal information of at least this many people is important data
    # (《网络数据安全管理条例》第六十二条 example: 1,000,000 persons); 0 disables the rule.
    "important_if_personal_rows_at_least": 1_000_000,
}


def validate_rules(rules: dict[str, Any]) -> list[str]:
    """Every problem (in Chinese) that makes ``rules`` unusable; empty when they are valid."""
    problems: list[str] = []
    if not isinstance(rules, dict):
        return ["分级规则必须是 JSON 对象"]
    entities = rules.get("entities")
    if not isinstance(entities, dict):
        problems.append("缺少 entities（按识别对象的分级规则）")
        entities = {}
    for code, rule in [*entities.items(), ("unclassified", rules.get("unclassified"))]:
        if not isinstance(rule, dict):
            problems.append(f"{code}：规则必须是 JSON 对象")
            continue
        category, level = rule.get("category"), rule.get("level")
        if category not in GRADES:
            problems.append(f"{code}：category 应为 core、important 或 general")
        elif category == "general" and (not isinstance(level, int) or not 1 <= level <= 4):
            problems.append(f"{code}：一般数据的级别应为 1–4")
        if not isinstance(rule.get("reason", ""), str):
            problems.append(f"{code}：reason 必须是文本")
    threshold = rules.get("important_if_personal_rows_at_least", 0)
    if not isinstance(threshold, int) or threshold < 0:
        problems.append("important_if_personal_rows_at_least 应为非负整数")
    return problems


def _rank(category: str, level: int) -> int:
    if category == "core":
        return CORE_RANK
    if category == "important":
        return IMPORTANT_RANK
    return max(1, min(4, int(level)))


def grade_field(entity: str | None, *, rules: dict[str, Any], minors_under_14: bool = False) -> FieldGrade:
    """Grade one field holding ``entity`` (``None`` = nothing personal found) under ``rules``.

    With ``minors_under_14`` (the dataset describes children under 14), every personal field
    is sensitive personal information and at least general level 4."""
    rule = rules.get("entities", {}).get(entity) if entity else None
    if rule is None:
        rule = rules.get("unclassified") or DEFAULT_RULES["unclassified"]
        if entity and entity in ENTITIES and ENTITIES[entity].personal:
            # an entity the edited rules forgot is still personal information: never grade it lower
            rule = DEFAULT_RULES["entities"][entity]
    category = str(rule.get("category", "general"))
    level = _rank(category, int(rule.get("level", 2)))
    personal = bool(rule.get("personal", False))
    sensitive = bool(rule.get("sensitive", False))
    reason = str(rule.get("reason", ""))
    if minors_under_14 and personal:
        minors = rules.get("minors_under_14") or DEFAULT_RULES["minors_under_14"]
        if not sensitive:
            reason = str(minors.get("reason", ""))
        sensitive = True
        level = max(level, _rank("general", int(minors.get("level", 4))))
    return FieldGrade(category=_category_of(level), level=level, personal=personal, sensitive=sensitive, reason=reason)


def _category_of(rank: int) -> str:
    return "core" if rank >= CORE_RANK else "important" if rank >= IMPORTANT_RANK else "general"


def grade_dataset(
    fields: Iterable[FieldGrade], *, rows: int | None = None, rules: dict[str, Any] | None = None
) -> FieldGrade:
    """The grade of a dataset: the highest of its fields (GB/T 43697 §5: 就高原则).

    With ``rows`` and ``rules``, a dataset with personal information of at least
    ``important_if_personal_rows_at_least`` persons is important data."""
    grades = list(fields)
    if not grades:
        return FieldGrade("general", 1, False, False, "数据集没有字段")
    top = max(grades, key=lambda g: g.level)
    personal = any(g.personal for g in grades)
    sensitive = any(g.sensitive for g in grades)
    level, reason = top.level, top.reason
    threshold = int((rules or {}).get("important_if_personal_rows_at_least", 0) or 0)
    if personal and rows is not None and threshold and rows >= threshold and level < IMPORTANT_RANK:
        level = IMPORTANT_RANK
        reason = f"含 {rows} 人的个人信息，达到重要数据规模（≥ {threshold} 人）"
    return FieldGrade(category=_category_of(level), level=level, personal=personal, sensitive=sensitive, reason=reason)
