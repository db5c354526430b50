"""Citizen identification numbers (公民身份号码, GB 11643-1999) and the national student
identifiers built on them, plus the masking and phone rules used for persons.

A citizen ID has 18 characters: a 6-digit GB/T 2260 region code (where the number was
first issued), the 8-digit birth date ``YYYYMMDD``, a 3-digit sequence (odd for men, even
for women) and a check character computed with ISO 7064 MOD 11-2 (``0``–``9`` or ``X``).

Region codes are checked for *existence at any time* (``gb2260.region_known``), never
against the birth year: people born before a county was created or renamed carry the
new code (e.g. 新郑市 410184 exists from 1994 and is on IDs of people born in 1990).

Student identifiers (学籍号 style) are a kind letter plus 18 characters:

* ``G`` — a citizen ID: every rule above.
* ``J`` — another national document with an 18-character number of the same layout
  and the same MOD 11-2 check: residence permits for Hong Kong, Macao and Taiwan
  residents (港澳台居民居住证, region 810000/820000/830000) and the 2023 foreign
  permanent-residence ID (外国人永久居留身份证: ``9`` + province + nationality code).
  We check the character set, the check character and the birth date (positions 7–14
  in all of them); we do **not** check the first six digits against GB/T 2260, because
  these documents put other codes there.
* ``L`` — a temporary number issued by the registry system: 18 characters ``[0-9A-Z]``,
  no check character, to be promoted to ``G`` once the citizen ID is known.
"""

from __future__ import annotations

import datetime as dt
import re

from edubase.orgs.standards.gb2260 import region_known

#: ISO 7064 MOD 11-2 weights 2^(17-i) mod 11 for positions 1..17
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
#: check character for each value of (weighted sum mod 11)
CHECK_CHARACTERS = "10X98765432"
#: earliest accepted birth year (the standard's own example is 1880; rejects 0001-01-01 style garbage)
EARLIEST_BIRTH_YEAR = 1800

ID_KINDS = ("G", "J", "L")
_SHAPE = re.compile(r"^\d{17}[\dX]$")
_TEMPORARY = re.compile(r"^[0-9A-Z]{18}$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalize_id_number(value: str) -> str:
    """Drop all whitespace and upper-case (a trailing ``x`` is the check character ``X``).

    The same normalisation as the blind index, so equal numbers give equal digests."""
    return "".join(value.split()).upper()


def check_character(first17: str) -> str:
    """The MOD 11-2 check character for the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def _birth_reasons(number: str, today: dt.date | None) -> list[str]:
    text = number[6:14]
    try:
        born = dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return [f"出生日期 {text} 不是有效日期"]
    if born.year < EARLIEST_BIRTH_YEAR:
        return [f"出生日期 {text} 早于 {EARLIEST_BIRTH_YEAR} 年，不是有效的出生日期"]
    if born > (today or dt.date.today()):
        return [f"出生日期 {text} 晚于今天"]
    return []


def _shape_reasons(number: str) -> list[str]:
    if len(number) != 18:
        return [f"证件号码应为 18 位，当前为 {len(number)} 位"]
    if not _SHAPE.match(number):
        return ["证件号码前 17 位应为数字，最后一位应为数字或 X"]
    return []


def _checksum_reasons(number: str) -> list[str]:
    if check_character(number[:17]) != number[17]:
        return ["证件号码校验码错误（GB 11643 / ISO 7064 MOD 11-2），请核对是否录入有误"]
    return []


def check_citizen_id(value: str, *, today: dt.date | None = None) -> list[str]:
    """Every reason (in Chinese) why ``value`` is not a valid citizen ID; empty when valid."""
    number = normalize_id_number(value)
    reasons = _shape_reasons(number)
    if reasons:
        return reasons
    if not region_known(number[:6]):
        reasons.append(f"行政区划代码 {number[:6]} 不存在（GB/T 2260）")
    reasons += _birth_reasons(number, today)
    reasons += _checksum_reasons(number)
    return reasons


def check_other_national_id(value: str, *, today: dt.date | None = None) -> list[str]:
    """Reasons a ``J`` document number is invalid: shape, birth date, MOD 11-2 check (no region check)."""
    number = normalize_id_number(value)
    reasons = _shape_reasons(number)
    if reasons:
        return reasons
    return _birth_reasons(number, today) + _checksum_reasons(number)


def check_temporary_id(value: str) -> list[str]:
    """Reasons an ``L`` temporary number is invalid: 18 characters of ``0-9A-Z``."""
    number = normalize_id_number(value)
    if len(number) != 18:
        return [f"临时编号应为 18 位，当前为 {len(number)} 位"]
    if not _TEMPORARY.match(number):
        return ["临时编号只能包含数字和大写字母"]
    return []


def validate_student_id(kind: str, number: str, *, today: dt.date | None = None) -> list[str]:
    """Reasons ``kind`` + ``number`` is not a valid national student identifier (see module doc)."""
    if kind == "G":
        return check_citizen_id(number, today=today)
    if kind == "J":
        return check_other_national_id(number, today=today)
    if kind == "L":
        return check_temporary_id(number)
    return [f"证件类型「{kind}」无效，应为 G（居民身份证）、J（其他证件）或 L（临时编号）"]


def birth_date_of(number: str) -> dt.date | None:
    """The birth date in a G/J number (``None`` if the number does not hold a valid one)."""
    text = normalize_id_number(number)[6:14]
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def gender_of(number: str) -> str | None:
    """GB/T 2261.1 sex code from a G/J number: ``"1"`` (男, odd 17th digit) or ``"2"`` (女)."""
    normalized = normalize_id_number(number)
    if len(normalized) != 18 or not normalized[16].isdigit():
        return None
    return "1" if int(normalized[16]) % 2 else "2"


def mask_id_number(value: str) -> str:
    """``410105199003070019`` → ``410105********0019``: region and last four kept.

    The eight hidden characters are exactly the birth date, so the birth date must never
    be shown next to a masked number."""
    number = normalize_id_number(value)
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def normalize_phone(value: str) -> str:
    """Drop spaces and hyphens and a leading ``+86``/``0086``/``86`` country code."""
    digits = re.sub(r"[\s\-]", "", value)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            return digits[len(prefix) :]
    return digits


def check_phone(value: str) -> list[str]:
    """Reasons ``value`` is not a mainland mobile number (11 digits, ``1[3-9]…``)."""
    if not _MOBILE.match(normalize_phone(value)):
        return ["手机号码应为 11 位中国大陆手机号（以 13–19 开头）"]
    return []


def mask_phone(value: str) -> str:
    """``13812341234`` → ``138****1234``."""
    phone = normalize_phone(value)
    if len(phone) < 8:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
