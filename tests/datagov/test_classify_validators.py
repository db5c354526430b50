"""Identifier validators of the classification library (no Django needed)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from edubase.datagov.classify import validators as v
from edubase.datagov.classify.evalset import _Gen
from edubase.orgs.standards.gb2260 import divisions


def _with_check(body17: str) -> str:
    return body17 + v.id_check_character(body17)


def test_the_standards_own_example_is_a_citizen_id() -> None:
    assert v.citizen_id_ok("11010519491231002X")
    assert v.citizen_id_ok(" 11010519491231002x ")


def test_a_wrong_check_character_is_refused() -> None:
    assert not v.citizen_id_ok("110105194912310021")


def test_an_impossible_or_future_birth_date_is_refused() -> None:
    assert not v.citizen_id_ok(_with_check("41010220010230001"))  # 30 February
    assert not v.citizen_id_ok(_with_check("41010221990101001"))  # year 2199


def test_an_unknown_region_is_refused() -> None:
    assert not v.citizen_id_ok(_with_check("99999919900101001"))


def test_a_region_created_after_the_birth_year_is_accepted() -> None:
    # 新郑市 410184 exists from 1994; people born in 1980 there carry it (stdnum's cn.ric refuses them)
    assert v.citizen_id_ok(_with_check("41018419800101001"))


def test_an_abolished_region_is_accepted() -> None:
    abolished = next(c for c, d in sorted(divisions().items()) if not c.endswith("00") and not d.current)
    assert v.citizen_id_ok(_with_check(abolished + "19700101001"))


def test_a_residence_permit_is_not_a_citizen_id() -> None:
    permit = _with_check("81000019900101001")
    assert v.residence_permit_ok(permit)
    assert not v.citizen_id_ok(permit)
    assert not v.residence_permit_ok(_with_check("41010219900101001"))


@given(st.one_of(st.none(), st.integers(), st.text(max_size=40), st.binary(max_size=20)))
def test_validators_never_raise_on_junk(junk: object) -> None:
    for check in (
        v.citizen_id_ok,
        v.residence_permit_ok,
        v.uscc_ok,
        v.mobile_ok,
        v.bank_card_luhn,
        v.student_number_ok,
        v.passport_ok,
        v.travel_permit_ok,
        v.plate_ok,
        v.email_ok,
        v.birth_date_ok,
    ):
        assert check(junk) in (True, False)  # type: ignore[arg-type]


def test_uscc_agrees_with_stdnum_on_generated_codes() -> None:
    gen = _Gen(random.Random(7))
    for _ in range(300):
        code = gen.uscc()
        assert v.uscc_ok(code), code
        # stdnum wants digits in positions 1–2; GB 32100 also has the authorities A, N and Y
        assert stdnum_uscc.is_valid(code) or not code[:2].isdigit(), code
        bad = code[:-1] + ("0" if code[-1] != "0" else "1")
        assert not v.uscc_ok(bad)


def test_uscc_refuses_letters_outside_its_alphabet() -> None:
    assert v.uscc_ok("91350100M000100Y43")
    assert not v.uscc_ok("91350100M000100YI3")
    assert not v.uscc_ok("91350100M000100Y4")


@pytest.mark.parametrize("number", ["13812345678", "+86 138 1234 5678", "8613812345678", "199-1234-5678"])
def test_mobile_numbers_in_allocated_segments(number: str) -> None:
    assert v.mobile_ok(number)


@pytest.mark.parametrize("number", ["12345678901", "14012345678", "19412345678", "1381234567", "10086"])
def test_numbers_outside_the_segments_are_not_mobiles(number: str) -> None:
    assert not v.mobile_ok(number)


def test_luhn() -> None:
    assert v.bank_card_luhn("4111 1111 1111 1111")
    assert not v.bank_card_luhn("4111 1111 1111 1112")
    assert not v.bank_card_luhn("41111")


def test_student_numbers_of_the_three_kinds() -> None:
    assert v.student_number_ok("G11010519491231002X")
    assert v.student_number_ok("J" + _with_check("82000020100101002"))
    assert v.student_number_ok("L0A3ZD06D34AVMR3PT3")
    assert not v.student_number_ok("L" + "0" * 18)
    assert not v.student_number_ok("G110105194912310021")
    assert not v.student_number_ok("X11010519491231002X")


def test_passports_permits_and_plates() -> None:
    assert v.passport_ok("E12345678") and v.passport_ok("EA1234567")
    assert not v.passport_ok("E1234567") and not v.passport_ok("EI1234567")
    assert v.travel_permit_ok("CA1234567") and v.travel_permit_ok("T12345678") and v.travel_permit_ok("H12345678")
    assert v.plate_ok("豫A12345") and v.plate_ok("豫A·12345") and v.plate_ok("豫AD12345") and v.plate_ok("豫A1234学")
    assert not v.plate_ok("豫A123") and not v.plate_ok("豫I12345") and not v.plate_ok("X A12345")


@given(st.text(alphabet="0123456789", min_size=12, max_size=19))
def test_fast_luhn_agrees_with_the_textbook_loop(digits: str) -> None:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    assert v.luhn_digits_ok(digits) == (total % 10 == 0)


def test_the_scanners_fast_id_check_agrees_with_the_full_one() -> None:
    gen = _Gen(random.Random(5))
    for i in range(3000):
        number = gen.citizen_id(valid=i % 2 == 0).upper() if i % 3 else gen.decoy("random18")
        assert v.citizen_id_digits_ok(number) == v.citizen_id_ok(number), number


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_the_base_13_id_checksum_agrees_with_the_weighted_sum(first17: str) -> None:
    # the scanner reads the 17 digits in base 13 (13 ≡ 2 mod 11); the standard's weights are 2^(17-i) mod 11
    number = first17 + v.id_check_character(first17)
    assert v._ID_CHECK[2 * int(first17, 13) % 11] == number[17]
    assert v.citizen_id_digits_ok(number) == v.citizen_id_ok(number)


def test_the_fast_birth_date_check_agrees_with_the_calendar() -> None:
    today = dt.date.today()
    for year in (1899, 1900, 1996, 2000, 2023, 2024, today.year, today.year + 1, 2100):
        for month in range(14):
            for day in range(33):
                text = f"{year:04d}{month:02d}{day:02d}"
                try:
                    real = dt.date(year, month, day)
                except ValueError:
                    expected = False
                else:
                    expected = dt.date(1900, 1, 1) <= real <= today
                assert v._birth_ok(text) == expected, text
    assert not v._birth_ok("2000O101") and not v._birth_ok("٢٠٠٠٠١٠١") and not v._birth_ok("")


@given(st.text(alphabet="0123456789٣", min_size=0, max_size=19))
def test_luhn_of_other_scripts_digits_does_not_raise(digits: str) -> None:
    assert isinstance(v.luhn_digits_ok(digits), bool)
