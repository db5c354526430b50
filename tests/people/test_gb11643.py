"""GB 11643-1999 citizen IDs, the G/J/L student identifiers, masking and phone numbers."""

import datetime as dt

import pytest
from stdnum.cn import ric

from edubase.people.standards.gb11643 import (
    birth_date_of,
    check_citizen_id,
    check_phone,
    gender_of,
    mask_id_number,
    mask_phone,
    normalize_phone,
    validate_student_id,
)
from tests.factories import citizen_id


@pytest.mark.parametrize(
    "value",
    [
        "11010519491231002X",  # the standard's own example (female, X check character)
        "440524188001010014",  # the standard's second example (born 1880)
        citizen_id("410105", "19900307", "001"),
        citizen_id("410102", "20150307", "001"),
    ],
)
def test_it_accepts_valid_citizen_ids(value):
    assert check_citizen_id(value) == []


def test_a_lower_case_x_check_character_is_accepted():
    assert check_citizen_id("11010519491231002x") == []


def test_it_rejects_a_wrong_check_character():
    good = citizen_id("410105", "19900307", "001")
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    assert any("校验码" in r for r in check_citizen_id(wrong))


@pytest.mark.parametrize(("value", "reason"), [("41010519900307001", "18 位"), ("4101051990030700A1", "数字")])
def test_it_rejects_a_wrong_shape(value, reason):
    reasons = check_citizen_id(value)
    assert len(reasons) == 1 and reason in reasons[0]


def test_it_rejects_february_30():
    reasons = check_citizen_id(citizen_id("410105", "19900230", "001"))
    assert reasons == ["出生日期 19900230 不是有效日期"]


def test_it_rejects_a_birth_date_in_the_future():
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    reasons = check_citizen_id(citizen_id("410105", tomorrow.strftime("%Y%m%d"), "001"))
    assert any("晚于今天" in r for r in reasons)


def test_it_rejects_an_unknown_region():
    reasons = check_citizen_id(citizen_id("419999", "19900307", "001"))
    assert reasons == ["行政区划代码 419999 不存在（GB/T 2260）"]


def test_a_region_code_created_after_the_birth_year_is_accepted():
    # 新郑市 410184 exists from 1994; people born there in 1990 carry it on their IDs.
    xinzheng = citizen_id("410184", "19900101", "001")
    assert check_citizen_id(xinzheng) == []
    with pytest.raises(ric.ValidationError):
        ric.validate(xinzheng)  # python-stdnum wrongly refuses it; we must not


def test_a_renamed_district_is_accepted_for_any_birth_year():
    # 410108 was 邙山区 (1987-2002), 惠济区 since 2003
    assert check_citizen_id(citizen_id("410108", "19900101", "001")) == []
    assert check_citizen_id(citizen_id("410108", "19850101", "001")) == []


def test_every_problem_is_reported_at_once():
    bad = citizen_id("419999", "19900230", "001")
    bad = bad[:17] + ("0" if bad[17] != "0" else "1")
    assert len(check_citizen_id(bad)) == 3


def test_birth_date_and_gender_come_from_the_number():
    assert birth_date_of("11010519491231002X") == dt.date(1949, 12, 31)
    assert gender_of("11010519491231002X") == "2"
    assert gender_of("440524188001010014") == "1"


def test_masking_keeps_region_and_last_four():
    assert mask_id_number("410105199003070019") == "410105********0019"
    assert mask_id_number("11010519491231002x") == "110105********002X"
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("+86 138-1234-1234") == "138****1234"


@pytest.mark.parametrize("phone", ["13812341234", "19912345678", "+8613812341234", "138 1234 1234"])
def test_mainland_mobile_numbers_are_accepted(phone):
    assert check_phone(phone) == []


@pytest.mark.parametrize("phone", ["12812341234", "1381234123", "0371-12345678", "1381234123a"])
def test_other_numbers_are_refused(phone):
    assert check_phone(phone) == ["手机号码应为 11 位中国大陆手机号（以 13–19 开头）"]


def test_phone_normalisation_drops_the_country_code():
    assert normalize_phone("0086 13812341234") == "13812341234"


def test_g_student_ids_follow_the_citizen_id_rules():
    assert validate_student_id("G", "11010519491231002X") == []
    assert validate_student_id("G", citizen_id("419999", "19900307", "001"))


def test_j_numbers_need_the_check_and_the_date_but_not_a_gb2260_region():
    # 港澳台居民居住证 (810000) and the 2023 foreign permanent-residence ID (9 + province + nationality)
    assert validate_student_id("J", citizen_id("810000", "20100101", "001")) == []
    assert validate_student_id("J", citizen_id("941156", "20100101", "001")) == []
    wrong = citizen_id("810000", "20100101", "001")
    wrong = wrong[:17] + ("0" if wrong[17] != "0" else "1")
    assert any("校验码" in r for r in validate_student_id("J", wrong))
    assert validate_student_id("J", citizen_id("810000", "20100231", "001")) == ["出生日期 20100231 不是有效日期"]


def test_l_temporary_numbers_are_18_letters_or_digits_without_check():
    assert validate_student_id("L", "L41010520150000AB1") == []
    assert validate_student_id("L", "l41010520150000ab1") == []
    assert validate_student_id("L", "L4101052015") == ["临时编号应为 18 位，当前为 11 位"]
    assert validate_student_id("L", "L41010520150000-B1") == ["临时编号只能包含数字和大写字母"]


def test_an_unknown_kind_is_refused():
    assert "证件类型" in validate_student_id("X", "11010519491231002X")[0]
