"""School identification codes (学校标识码): structure, category, province, sequence."""

import pytest

from edubase.orgs.standards.school_categories import (
    SCHOOL_CATEGORIES,
    category_label,
    parse_category,
    validate_school_code,
)


def test_the_ministry_list_has_the_categories_officials_use():
    assert SCHOOL_CATEGORIES["11"] == "幼儿园"
    assert SCHOOL_CATEGORIES["21"] == "小学"
    assert SCHOOL_CATEGORIES["31"] == "普通初中"
    assert SCHOOL_CATEGORIES["34"] == "普通高中"
    assert SCHOOL_CATEGORIES["36"] == "中等职业学校"
    assert SCHOOL_CATEGORIES["41"] == "普通高等学校"
    assert SCHOOL_CATEGORIES["42"] == "成人高等学校"
    assert SCHOOL_CATEGORIES["51"] == "特殊教育学校"
    assert len(SCHOOL_CATEGORIES) == 16
    assert all(len(code) == 2 and code.isdigit() for code in SCHOOL_CATEGORIES)


@pytest.mark.parametrize("code", ["2141000001", "4141010459", "1141999999", "3111000001", "5182000001"])
def test_well_formed_codes_pass(code):
    assert validate_school_code(code) == []


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("214100001", "10 位数字"),
        ("21410000011", "10 位数字"),
        ("21410000O1", "10 位数字"),
        ("２１41000001", "10 位数字"),
        ("", "10 位数字"),
        ("2941000001", "学校类别码"),
        ("2199000001", "省级行政区划代码"),
        ("2141000000", "000000"),
    ],
)
def test_malformed_codes_are_refused_with_a_chinese_reason(code, fragment):
    reasons = validate_school_code(code)
    assert reasons and any(fragment in r for r in reasons)


def test_every_problem_of_a_code_is_reported_at_once():
    assert len(validate_school_code("9999000000")) == 3


def test_category_is_read_from_a_code_or_a_label():
    assert parse_category("21") == "21"
    assert parse_category("小学") == "21"
    assert parse_category(" 普通高中 ") == "34"
    assert parse_category("初中") == "31"
    assert parse_category("大学预科") is None
    assert category_label("36") == "中等职业学校"
