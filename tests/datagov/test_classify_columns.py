"""Column classification: context words as whole tokens, validated samples, reviewer corrections."""

from __future__ import annotations

import random

from edubase.datagov.classify import REVIEW_THRESHOLD, classify_column, normalise_column_name
from edubase.datagov.classify.columns import context_of
from edubase.datagov.classify.evalset import _Gen

GEN = _Gen(random.Random(11))
IDS = [GEN.citizen_id() for _ in range(40)]


def test_context_words_match_whole_tokens_only() -> None:
    assert context_of("ACADEMIC_YEAR_CODE") == {}
    assert "bank_card" in context_of("BANK_CARD_NO")
    assert "bank_card" in context_of("bankCardNo")
    assert "person_name" not in context_of("course_name")
    assert "person_name" in context_of("student_name")


def test_pinyin_abbreviations_are_recognised() -> None:
    expected = {"SFZJH": "citizen_id", "XM": "person_name", "LXDH": "mobile", "JTZZ": "address", "CSRQ": "birth_date"}
    for name, entity in expected.items():
        assert entity in context_of(name), name
    assert "psych_assessment" in context_of("XLCPJG")  # XLCP + JG (结果)


def test_chinese_comments_are_read_but_not_a_type_column() -> None:
    assert "citizen_id" in context_of("col1", "身份证件号")
    assert "citizen_id" not in context_of("SFZJLXM", "身份证件类型码")


def test_an_id_column_is_found_by_its_values_alone() -> None:
    verdict = classify_column(name="F7", values=IDS)
    assert verdict.entity == "citizen_id" and not verdict.needs_review
    assert verdict.hits == 40 and verdict.sampled == 40


def test_a_year_code_column_is_not_personal_data() -> None:
    values = [f"{y}-{y + 1}" for y in range(2000, 2025)]
    verdict = classify_column(name="ACADEMIC_YEAR_CODE", values=values)
    assert verdict.entity is None and not verdict.needs_review


def test_a_hint_the_values_contradict_is_not_believed() -> None:
    verdict = classify_column(name="SFZJH", values=["暂无"] * 3 + [GEN.decoy("random18") for _ in range(20)])
    assert verdict.entity is None
    assert verdict.needs_review


def test_typos_do_not_hide_an_id_column() -> None:
    values = IDS[:36] + [GEN.citizen_id(valid=False) for _ in range(4)]
    assert classify_column(name="zjhm", values=values).entity == "citizen_id"


def test_62_numbers_failing_luhn_are_not_cards_but_go_to_review() -> None:
    verdict = classify_column(name="JYLSH", values=[GEN.decoy("prefix62") for _ in range(30)])
    assert verdict.entity is None and verdict.needs_review


def test_low_confidence_goes_to_review() -> None:
    verdict = classify_column(name="col_3", values=[GEN.passport() for _ in range(30)])
    assert verdict.entity == "passport"
    assert verdict.confidence < REVIEW_THRESHOLD and verdict.needs_review


def test_only_a_name_without_samples_goes_to_review() -> None:
    verdict = classify_column(name="JTZZ", values=[None, "", None])
    assert verdict.entity == "address" and verdict.needs_review


def test_code_table_columns_are_classified_by_their_name() -> None:
    assert classify_column(name="XBM", comment="性别码", values=["1", "2", "1", "2"]).entity == "sex"
    assert classify_column(name="MZM", values=["01", "01", "03"]).entity == "ethnicity"


def test_sensitive_education_columns() -> None:
    assert (
        classify_column(name="家庭经济困难类型", values=["一般困难", "特别困难", "非困难"]).entity == "hardship_subsidy"
    )
    assert classify_column(name="CFMC", values=["警告", "记过"]).entity == "discipline"
    assert classify_column(name="xlcp_result", values=["需关注", "一级预警"]).entity == "psych_assessment"
    assert classify_column(name="F9", values=["佛教", "无宗教信仰", "伊斯兰教"] * 5).entity == "religion"


def test_course_names_are_not_person_names() -> None:
    values = ["语文", "数学", "英语", "物理", "化学", "劳动", "信息技术", "体育"] * 4
    assert classify_column(name="course_name", values=values).entity is None


def test_a_reviewer_correction_wins_and_is_explained() -> None:
    corrections = {normalise_column_name("Student_ID_Card"): None}
    verdict = classify_column(name="student id card", values=IDS, corrections=corrections)
    assert verdict.entity is None and verdict.confidence == 1.0 and not verdict.needs_review
    assert "复核结论" in verdict.evidence[0] and "已按复核结论更正" in verdict.evidence[0]


def test_a_correction_can_name_the_entity_of_an_undecidable_column() -> None:
    values = ["1", "2", "3", "1"]
    assert classify_column(name="F12", values=values).entity is None
    verdict = classify_column(name="F12", values=values, corrections={"f12": "health"})
    assert verdict.entity == "health" and not verdict.needs_review


def test_normalised_names_ignore_case_and_separators() -> None:
    assert normalise_column_name("Student_Name") == normalise_column_name(" student-name ") == "studentname"


def test_numbers_read_from_a_spreadsheet_are_classified_as_text() -> None:
    verdict = classify_column(name="LXDH", values=[13812345678.0, 13912345678, None, "15012345678"])
    assert verdict.entity == "mobile" and verdict.hits == 3


def test_masked_extracts_are_still_recognised_and_say_so() -> None:
    from edubase.datagov import masking

    verdict = classify_column(name="SFZJH", values=[masking.mask_citizen_id(i) for i in IDS])
    assert verdict.entity == "citizen_id"
    assert any("已脱敏" in e for e in verdict.evidence)
    assert classify_column(name="F3", values=["138****1234", "139****5678"] * 10).entity == "mobile"
