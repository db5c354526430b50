"""Value classification and free-text scanning."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from edubase.datagov.classify import Match, classify_value, scan_text, values
from edubase.datagov.classify.values import VALUE_THRESHOLD

TEXT = (
    "学生张伟，身份证号410102199003070019，家长手机+86 138 1234 5678，卡号 6222 0202 0000 0000 006，"
    "住址：河南省郑州市中原区建设路12号院3号楼，车牌豫A·12345，邮箱 zw@example.cn；学籍号G410102199003070019。"
)


def test_scan_text_finds_every_entity_with_its_span() -> None:
    found = {(m.entity, TEXT[m.start : m.end]) for m in scan_text(TEXT)}
    assert found == {
        ("person_name", "张伟"),
        ("citizen_id", "410102199003070019"),
        ("mobile", "+86 138 1234 5678"),
        ("bank_card", "6222 0202 0000 0000 006"),
        ("address", "河南省郑州市中原区建设路12号院3号楼"),
        ("plate", "豫A·12345"),
        ("email", "zw@example.cn"),
        ("student_number", "G410102199003070019"),
    }


def test_matches_are_in_text_order() -> None:
    starts = [m.start for m in scan_text(TEXT)]
    assert starts == sorted(starts)


def test_codes_years_and_order_numbers_are_not_identifiers() -> None:
    text = "ACADEMIC_YEAR_CODE=2023-2024 学期 2023-2024-1 订单号 202311290001234567 学校代码 4101020001"
    assert scan_text(text) == []


def test_an_id_shaped_number_with_a_wrong_check_digit_is_not_reported() -> None:
    assert scan_text("证件号 410102199003070011") == []


def test_identifiers_glued_to_ascii_letters_are_not_split_off() -> None:
    assert scan_text("a+8613812345678") == []
    assert [m.entity for m in scan_text("电话+8613812345678")] == ["mobile"]


def test_full_width_digits_are_read() -> None:
    [m] = scan_text("手机１３８１２３４５６７８")
    assert (m.entity, m.start, m.end) == ("mobile", 2, 13)


def test_unionpay_failing_luhn_is_only_a_weak_guess() -> None:
    entity, confidence = classify_value("6212345678901234567") or ("", 1.0)
    assert entity == "bank_card" and confidence < VALUE_THRESHOLD
    assert scan_text("流水 6212345678901234567") == []
    entity, confidence = classify_value("6222 0202 0000 0000 006") or ("", 0.0)
    assert entity == "bank_card" and confidence >= 0.9


def test_column_context_promotes_only_validated_weak_guesses() -> None:
    visa = "4111111111111111"
    assert (classify_value(visa) or ("", 1.0))[1] < VALUE_THRESHOLD
    assert classify_value(visa, context="bank_card") == ("bank_card", 0.85)
    failing = "6212345678901234567"
    assert (classify_value(failing, context="bank_card") or ("", 1.0))[1] < VALUE_THRESHOLD


def test_cells_of_every_kind() -> None:
    cases = {
        "11010519491231002X": "citizen_id",
        "13812345678": "mobile",
        "欧阳娜娜": "person_name",
        "阿依古丽·买买提": "person_name",
        "汉族": "ethnicity",
        "河南省郑州市中原区建设路12号": "address",
        "91350100M000100Y43": "uscc",
        "zhang.wei@haedu.gov.cn": "email",
        "0371-67891234": "landline",
        "建档立卡贫困户": "hardship_subsidy",
        "留校察看": "discipline",
        "佛教": "religion",
    }
    for value, entity in cases.items():
        hit = classify_value(value)
        assert hit is not None and hit[0] == entity and hit[1] >= VALUE_THRESHOLD, (value, hit)


def test_nothing_in_empty_or_plain_cells() -> None:
    for value in ("", "   ", "2023", "2023-2024", "89", "无", "良好"):
        hit = classify_value(value)
        assert hit is None or hit[1] < VALUE_THRESHOLD, (value, hit)


def test_names_after_labels_in_prose() -> None:
    text = "驾驶员平措卓玛，联系电话13812345678；联系人：上官秀超，班主任老师持续关注，学生干部会议。"
    names = [text[m.start : m.end] for m in scan_text(text) if m.entity == "person_name"]
    assert names == ["平措卓玛", "上官秀超"]


def test_addresses_in_prose_start_at_the_division_name() -> None:
    text = (
        "该生家住河南省郑州市中原区建设路12号院，学校位于洛阳市洛龙区开元大道。"
        "2020年迁入平顶山市汝州市三官庙乡小李庄9组。"
    )
    found = [text[m.start : m.end] for m in scan_text(text) if m.entity == "address"]
    assert found == ["河南省郑州市中原区建设路12号院", "洛阳市洛龙区开元大道", "平顶山市汝州市三官庙乡小李庄9组"]


def test_a_card_of_another_scheme_needs_the_word_card_nearby() -> None:
    assert [m.entity for m in scan_text("资助发放至卡号4111111111111111。")] == ["bank_card"]
    assert scan_text("凭证号4111111111111111。") == []


def test_the_library_does_not_import_django() -> None:
    code = (
        "import sys; import edubase.datagov.classify, edubase.datagov.masking, edubase.datagov.grading; "
        "sys.exit(any(m.split('.')[0] == 'django' for m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    assert subprocess.run([sys.executable, "-c", code], env=env, check=False).returncode == 0


@given(
    st.text(
        alphabet=st.sampled_from([*"0123456789XGJLECT +-@.*abz62豫A·，：号市区路姓名张欧阳１２", "\u3000"]),
        max_size=60,
    )
)
def test_scanning_never_raises_on_junk(text: str) -> None:
    for m in scan_text(text):
        assert 0 <= m.start < m.end <= len(text)
    classify_value(text)
    classify_value(text, context="bank_card")


def test_an_id_shaped_token_ending_in_a_letter_is_nothing() -> None:
    assert classify_value("41010219900307001G") is None
    assert scan_text("号码41010219900307001G") == []


_PLAIN_TOKEN = re.compile(r"[0-9A-Za-z+][0-9A-Za-z\-]*(?: \d[0-9A-Za-z\-]*)*")


@given(st.text(alphabet="0123456789aZx+- ,，省号", max_size=40))
def test_the_look_ahead_token_pattern_finds_the_same_long_tokens(text: str) -> None:
    # the scanner's token pattern skips short tokens in C; the 7+ character tokens must be the plain pattern's
    def long_tokens(pattern: re.Pattern[str]) -> list[tuple[int, int]]:
        return [m.span() for m in pattern.finditer(text) if m.end() - m.start() >= 7]

    assert long_tokens(values._TOKEN) == long_tokens(_PLAIN_TOKEN)


def test_fast_paths_give_the_same_matches_as_the_general_dispatch() -> None:
    # a lower-case check character, a lower-case g, a wrong check digit and a non-mobile 11 digits
    # miss the fast paths: the general dispatch decides them as before
    text = (
        "410102199003070019,41010219900307006x,410102199003070018,G410102199003070019,g410102199003070019,"
        "13812345678,12345678901"
    )
    assert [(m.entity, text[m.start : m.end], m.confidence) for m in scan_text(text)] == [
        ("citizen_id", "410102199003070019", 0.99),
        ("citizen_id", "41010219900307006x", 0.99),
        ("student_number", "G410102199003070019", 0.99),
        ("student_number", "g410102199003070019", 0.99),
        ("mobile", "13812345678", 0.95),
    ]
    assert all(type(m) is Match for m in scan_text(text))
