"""GB/T 36904 identifiers: ISO 7064 MOD 37,36 check characters and GB 32100 USCC checks.

How the expected values were obtained (independently of the code under test):

- MOD 37,36 by hand from the ISO/IEC 7064 (GB/T 17710) hybrid-system definition with M = 36:
  P0 = M; for each character a: S = (P + a) mod M (0 read as M); P = 2·S mod (M + 1); the check
  character c makes (P + c) mod M = 1. For "A" (a = 10): S = 46 mod 36 = 10, P = 20, c = 37 − 20
  = 17 → "H". For "0": S = 36 → 36, P = 72 mod 37 = 35, c = 2 → "2".
  "A12425GABC1234002" → "M" is the worked example in python-stdnum's documentation of the same
  algorithm (stdnum.iso7064.mod_37_36), and python-stdnum is used below as a second implementation
  for random inputs.
- USCC: the codes of three large, publicly listed companies (published on their licences), which
  must pass GB 32100's MOD 31 check, and python-stdnum's ``stdnum.cn.uscc`` for random inputs.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc
from stdnum.iso7064 import mod_37_36

from edubase.credentials.identifiers import (
    ROOT,
    CertificateIdentifier,
    IdentifierError,
    check_character,
    make_identifier,
    parse_identifier,
    uscc_check_character,
)

ISSUER = "91330100716105852F"  # a real USCC (Alibaba China), valid GB 32100 check character
AUTHORITY = "914403001922038216"  # a real USCC (Huawei), used as the "type-defining authority"
TYPE_CODE = AUTHORITY + "001"
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@pytest.mark.parametrize(("body", "check"), [("A", "H"), ("0", "2"), ("A12425GABC1234002", "M")])
def test_mod_37_36_known_examples(body: str, check: str) -> None:
    assert check_character(body) == check


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=ALNUM, min_size=1, max_size=60))
def test_mod_37_36_agrees_with_stdnum(body: str) -> None:
    assert check_character(body) == mod_37_36.calc_check_digit(body)


def test_check_character_ignores_dots_and_refuses_other_characters() -> None:
    assert check_character("1.2.A") == check_character("12A")
    with pytest.raises(IdentifierError) as info:
        check_character("12a")
    assert info.value.code == "bad_character"
    with pytest.raises(IdentifierError):
        check_character("...")


@pytest.mark.parametrize("code", ["91330100716105852F", "9144030071526726XG", "914403001922038216"])
def test_uscc_known_codes(code: str) -> None:
    assert uscc_check_character(code[:17]) == code[17]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17))
def test_uscc_agrees_with_stdnum(first17: str) -> None:
    assert uscc_check_character(first17) == stdnum_uscc.calc_check_digit(first17)


def test_make_and_parse_round_trip() -> None:
    text = make_identifier(type_code=TYPE_CODE, issuer_code=ISSUER, serial="2025000001", version=1)
    assert text.startswith(f"{ROOT}.{TYPE_CODE}.{ISSUER}.2025000001.1.")
    parsed = parse_identifier(text)
    assert parsed == CertificateIdentifier(TYPE_CODE, ISSUER, "2025000001", 1, text[-1])
    assert str(parsed) == text
    assert parsed.type_suffix == "001"
    assert text[-1] == mod_37_36.calc_check_digit(text[:-2].replace(".", ""))


def test_every_single_character_change_is_caught() -> None:
    text = make_identifier(type_code=TYPE_CODE, issuer_code=ISSUER, serial="2025000001", version=3)
    # Change the serial one character at a time: MOD 37,36 detects every single substitution.
    serial_at = text.index(".2025000001.") + 1
    for offset in range(10):
        position = serial_at + offset
        for replacement in "0123456789ABZ":
            if replacement == text[position]:
                continue
            altered = text[:position] + replacement + text[position + 1 :]
            with pytest.raises(IdentifierError) as info:
                parse_identifier(altered)
            assert info.value.code == "check_mismatch"


def test_transposition_is_caught() -> None:
    text = make_identifier(type_code=TYPE_CODE, issuer_code=ISSUER, serial="AB12", version=1)
    swapped = text.replace(".AB12.", ".BA12.")
    with pytest.raises(IdentifierError):
        parse_identifier(swapped)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "bad_root"),
        ("1.2.156.3005.3." + TYPE_CODE + "." + ISSUER + ".1.1.X", "bad_root"),
        (f"{ROOT}.{TYPE_CODE}.{ISSUER}.1.1", "bad_structure"),
        (f"{ROOT}.{TYPE_CODE}.{ISSUER}.1.1.X.Y", "bad_structure"),
        (f"{ROOT}.{AUTHORITY}.{ISSUER}.1.1.X", "bad_type_code"),  # no type suffix
        (f"{ROOT}.914403001922038217001.{ISSUER}.1.1.X", "bad_uscc_check"),  # authority check char wrong
        (f"{ROOT}.{TYPE_CODE}.91330100716105852G.1.1.X", "bad_uscc_check"),  # issuer check char wrong
        (f"{ROOT}.{TYPE_CODE}.9133010071610585.1.1.X", "bad_uscc"),  # issuer code too short
        (f"{ROOT}.{TYPE_CODE}.9133010O716105852F.1.1.X", "bad_uscc"),  # letter O is not in GB 32100
        (f"{ROOT}.{TYPE_CODE}.{ISSUER}.ab1.1.X", "bad_serial"),
        (f"{ROOT}.{TYPE_CODE}.{ISSUER}.1.01.X", "bad_version"),
        (f"{ROOT}.{TYPE_CODE}.{ISSUER}.1.0.X", "bad_version"),
        (f"{ROOT}.{TYPE_CODE}.{ISSUER}.1.1.XY", "bad_check"),
        (f"{ROOT}.{TYPE_CODE}.{ISSUER}.1.1.x", "bad_check"),
        (f"{ROOT}.{TYPE_CODE}.{ISSUER}.{'1' * 200}.1.X", "too_long"),
    ],
)
def test_malformed_identifiers_are_refused(text: str, code: str) -> None:
    with pytest.raises(IdentifierError) as info:
        parse_identifier(text)
    assert info.value.code == code
    assert info.value.message_zh and info.value.message_en


def test_make_identifier_validates_its_parts() -> None:
    with pytest.raises(IdentifierError) as info:
        make_identifier(type_code=TYPE_CODE, issuer_code="91330100716105852G", serial="1", version=1)
    assert info.value.code == "bad_uscc_check"
    with pytest.raises(IdentifierError):
        make_identifier(type_code=TYPE_CODE, issuer_code=ISSUER, serial="1", version=0)
    with pytest.raises(IdentifierError):
        make_identifier(type_code=TYPE_CODE, issuer_code=ISSUER, serial="1-2", version=1)
    with pytest.raises(IdentifierError):
        make_identifier(type_code=TYPE_CODE + "123456789", issuer_code=ISSUER, serial="1", version=1)


def test_non_text_is_refused() -> None:
    with pytest.raises(IdentifierError) as info:
        parse_identifier(123)  # type: ignore[arg-type]
    assert info.value.code == "not_text"
