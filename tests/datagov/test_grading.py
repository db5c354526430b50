"""GB/T 43697-2024 grading of fields and datasets under editable rules."""

from __future__ import annotations

import copy
import json

from edubase.datagov.grading import DEFAULT_RULES, FieldGrade, grade_dataset, grade_field, validate_rules


def test_default_rules_are_valid_json_data() -> None:
    assert validate_rules(DEFAULT_RULES) == []
    assert json.loads(json.dumps(DEFAULT_RULES)) == DEFAULT_RULES


def test_sensitive_personal_information_is_general_level_4() -> None:
    grade = grade_field("citizen_id", rules=DEFAULT_RULES)
    assert (grade.category, grade.level, grade.personal, grade.sensitive) == ("general", 4, True, True)
    assert grade.label_zh == "一般数据（4级）"


def test_personal_information_is_level_3_and_other_data_level_2() -> None:
    name = grade_field("person_name", rules=DEFAULT_RULES)
    assert (name.level, name.personal, name.sensitive) == (3, True, False)
    other = grade_field(None, rules=DEFAULT_RULES)
    assert (other.level, other.personal) == (2, False)
    assert grade_field("uscc", rules=DEFAULT_RULES).level == 1


def test_all_personal_information_of_children_under_14_is_sensitive() -> None:
    grade = grade_field("person_name", rules=DEFAULT_RULES, minors_under_14=True)
    assert grade.sensitive and grade.level == 4 and "第二十八条" in grade.reason
    assert not grade_field(None, rules=DEFAULT_RULES, minors_under_14=True).sensitive


def test_a_dataset_takes_the_highest_grade_of_its_fields() -> None:
    fields = [grade_field(e, rules=DEFAULT_RULES) for e in (None, "person_name", "health")]
    grade = grade_dataset(fields)
    assert grade.level == 4 and grade.personal and grade.sensitive
    assert grade_dataset([]).level == 1


def test_many_persons_make_a_dataset_important_data() -> None:
    fields = [grade_field("person_name", rules=DEFAULT_RULES)]
    assert grade_dataset(fields, rows=999_999, rules=DEFAULT_RULES).category == "general"
    big = grade_dataset(fields, rows=1_000_000, rules=DEFAULT_RULES)
    assert (big.category, big.level, big.label_zh) == ("important", 5, "重要数据")


def test_edited_rules_change_the_grade() -> None:
    rules = copy.deepcopy(DEFAULT_RULES)
    rules["entities"]["student_number"] = {
        "category": "core",
        "level": 6,
        "personal": True,
        "sensitive": True,
        "reason": "演示：全省学籍号汇总为核心数据",
    }
    grade = grade_field("student_number", rules=rules)
    assert (grade.category, grade.level) == ("core", 6)
    assert grade_dataset([grade, FieldGrade("general", 4, True, True, "")]).category == "core"


def test_rules_that_forget_an_entity_never_grade_it_lower() -> None:
    rules = copy.deepcopy(DEFAULT_RULES)
    del rules["entities"]["citizen_id"]
    assert grade_field("citizen_id", rules=rules).level == 4


def test_broken_rules_are_explained_in_chinese() -> None:
    assert validate_rules([]) == ["分级规则必须是 JSON 对象"]  # type: ignore[arg-type]
    rules = copy.deepcopy(DEFAULT_RULES)
    rules["entities"]["mobile"]["level"] = 7
    rules["entities"]["email"]["category"] = "secret"
    problems = validate_rules(rules)
    assert any("mobile" in p and "1–4" in p for p in problems)
    assert any("email" in p and "category" in p for p in problems)
