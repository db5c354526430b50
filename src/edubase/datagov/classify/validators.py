"""Validators for identifiers found in education data. Each takes a string, returns a bool
and never raises on junk input (``None``-like, wrong length, full-width characters …).

Sources: GB 11643-1999 (citizen ID, ISO 7064 MOD 11-2), the 2018 residence permits for Hong
Kong, Macao and Taiwan residents (same layout, region 810000/820000/830000), GB 32100-2015
(unified social credit code, MOD 31) with GB 11714 (organisation code, MOD 11), MIIT mobile
number segments, ISO/IEC 7812 Luhn, the national student number (全国学籍号: G/J/L + 18),
exit-entry documents of the National Immigration Administration and GA 36 licence plates.

Region codes are checked for existence at ANY time (``gb2260.region_known``), never against
the birth year: stdnum's ``cn.ric`` wrongly rejects IDs whose county was created after birth.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from operator import mul

from edubase.orgs.standards.gb2260 import divisions, region_known
from edubase.people.standards.gb11643 import validate_student_id

#: ISO 7064 MOD 11-2 weights and check characters (GB 11643)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"\d{17}[\dX]")
_EARLIEST_YEAR = 1900
#: first six digits of residence permits for Hong Kong, Macao and Taiwan residents
PERMIT_REGIONS = frozenset({"810000", "820000", "830000"})

#: GB 32100 alphabet (no I, O, S, V, Z) and weights 3^i mod 31
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
#: registration authority (position 1) and the organisation types it may use (position 2)
_USCC_TYPES = {
    "1": "1239",
    "2": "19",
    "3": "12345679",
    "4": "1239",
    "5": "1239",
    "6": "1239",
    "7": "129",
    "8": "19",
    "9": "123",
    "A": "19",
    "N": "12345679",
    "Y": "1",
}
_USCC_SHAPE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")
#: GB 11714 organisation code weights (body of 8 characters, then a check character)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

#: MIIT-allocated mobile segments (13x, 145-149, 150-153/155-159, 162/165-167, 170-178, 18x, 190-193/195-199)
_MOBILE = re.compile(r"1(?:3\d|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8\d|9[0-35-9])\d{8}")
_PHONE_NOISE = re.compile(r"[\s\-()]")

_CARD_NOISE = re.compile(r"[\s\-]")
_CARD_SHAPE = re.compile(r"\d{12,19}")

#: ordinary passports E + 8 digits / E + letter + 7 digits; older G + 8; service/diplomatic/official
_PASSPORT = re.compile(r"(?:E[0-9A-HJ-NP-Z]\d{7}|G\d{8}|(?:D|S|P|SE|DE|PE)\d{7})")
#: 港澳通行证 C + 8 (card since 2014: C + letter + 7); 台湾通行证 T + 8; 回乡证 H/M + 8 (or 10)
_TRAVEL_PERMIT = re.compile(r"(?:C[0-9A-HJ-NP-Z]\d{7}|T\d{8}|[HM]\d{8}(?:\d{2})?)")

PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE = re.compile(
    "[" + PLATE_PROVINCES + "][A-HJ-NP-Z]"
    r"(?:[DF][A-HJ-NP-Z0-9]\d{4}|\d{5}[DF]|[A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9挂学警港澳领])"
)
_PLATE_NOISE = re.compile(r"[\s·\-•.]")

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63})*\.[A-Za-z]{2,24}")


def _clean(value: object) -> str:
    """Strip whitespace, upper-case, full-width ASCII → half-width; '' for non-strings."""
    if not isinstance(value, str):
        return ""
    text = value.strip()
    if not text.isascii():
        text = text.translate(_FULLWIDTH)
    return text.upper()


_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def id_check_character(first17: str) -> str:
    """GB 11643 MOD 11-2 check character of the first 17 digits."""
    return _ID_CHECK[sum(map(mul, _ID_WEIGHTS, map(int, first17))) % 11]


_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
#: every valid ``MMDD`` (0229 included; leap years are checked apart): one set lookup per candidate
_MONTH_DAYS = frozenset(f"{m:02d}{d:02d}" for m in range(1, 13) for d in range(1, _DAYS[m] + 1))
_today_cache: tuple[float, str] = (0.0, "")


def _today() -> str:
    """Today as ``YYYYMMDD``, re-read at most once a minute (the scanner calls this per candidate)."""
    global _today_cache
    now = time.monotonic()
    if now >= _today_cache[0]:
        _today_cache = (now + 60.0, dt.date.today().strftime("%Y%m%d"))
    return _today_cache[1]


def _birth_ok(yyyymmdd: str) -> bool:
    """A real calendar date from 1900 to today (string compares: no date object, no ``int`` per candidate)."""
    if len(yyyymmdd) != 8 or not yyyymmdd.isdigit() or not yyyymmdd.isascii():
        return False
    mmdd = yyyymmdd[4:]
    if mmdd not in _MONTH_DAYS or yyyymmdd < "19000101":
        return False
    if mmdd == "0229":
        year = int(yyyymmdd[:4])
        if not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
            return False
    # a date not after the (at most a minute old) cached day is not after today either: the clock
    # is only read again for dates later than that, which are rare
    return yyyymmdd <= _today_cache[1] or yyyymmdd <= _today()


def _mod11_2_ok(number: str) -> bool:
    return (
        len(number) == 18 and _ID_SHAPE.fullmatch(number) is not None and id_check_character(number[:17]) == number[17]
    )


def citizen_id_ok(value: str) -> bool:
    """GB 11643 citizen ID: MOD 11-2, a real birth date, a region code that ever existed.

    Residence permits (810000/820000/830000) are not citizen IDs: see ``residence_permit_ok``."""
    return citizen_id_compact_ok(_clean(value))


def citizen_id_compact_ok(number: str) -> bool:
    """``citizen_id_ok`` for a value already stripped and upper-cased (the scanner's fast path)."""
    return (
        _mod11_2_ok(number)
        and number[:6] not in PERMIT_REGIONS
        and _birth_ok(number[6:14])
        and region_known(number[:6])
    )


def id_shaped(value: str) -> bool:
    """18 characters with a known region and a real birth date, whatever the check character:
    what a mistyped citizen ID looks like."""
    number = _clean(value)
    return (
        len(number) == 18
        and _ID_SHAPE.fullmatch(number) is not None
        and _birth_ok(number[6:14])
        and region_known(number[:6])
    )


def citizen_id_digits_ok(number: str) -> bool:
    """``citizen_id_ok`` for 18 upper-case characters whose first 17 are known to be ASCII digits
    (the scanner's fast path: no cleaning, no shape pattern)."""
    # MOD 11-2 weights are 2^(17-i) mod 11, and 13 ≡ 2 (mod 11): the weighted sum is twice the
    # 17 digits read as a base-13 number, which ``int`` computes in C
    if _ID_CHECK[2 * int(number[:17], 13) % 11] != number[17]:
        return False
    region = number[:6]
    return region not in PERMIT_REGIONS and _birth_ok(number[6:14]) and region in _regions()


def _regions() -> dict[str, object]:
    """GB/T 2260 codes (``divisions()``, read once; kept in a global so the fast path is one lookup)."""
    global _REGIONS
    if _REGIONS is None:
        _REGIONS = dict(divisions())
    return _REGIONS


_REGIONS: dict[str, object] | None = None


def residence_permit_ok(value: str) -> bool:
    """Residence permit for Hong Kong, Macao or Taiwan residents (港澳台居民居住证)."""
    number = _clean(value)
    return number[:6] in PERMIT_REGIONS and _mod11_2_ok(number) and _birth_ok(number[6:14])


def _org_code_ok(body: str) -> bool:
    """GB 11714 organisation code (9 characters) inside a USCC; its check character is MOD 11."""
    total = 0
    for c, w in zip(body[:8], _ORG_WEIGHTS, strict=True):
        v = _USCC_VALUE.get(c) if not c.isdigit() else int(c)
        if v is None:
            return False
        # GB 11714 values letters A=10 … Z=35 (including I, O, S, V, Z), unlike GB 32100
        total += (ord(c) - 55 if c.isalpha() else v) * w
    check = 11 - total % 11
    expected = "X" if check == 10 else "0" if check == 11 else str(check)
    return body[8] == expected


def uscc_ok(value: str) -> bool:
    """GB 32100 unified social credit code (统一社会信用代码): alphabet, authority/type, region, MOD 31.

    The embedded GB 11714 organisation code is also checked unless the code is a self-employed
    business (92…), whose positions 9–17 are often a registration number without that check."""
    code = _clean(value)
    if len(code) != 18 or _USCC_SHAPE.fullmatch(code) is None:
        return False
    if code[1] not in _USCC_TYPES.get(code[0], ""):
        return False
    # positions 3–8: the registering authority's GB/T 2260 region (100000 = national level)
    if code[2:8] != "100000" and not region_known(code[2:8]):
        return False
    total = sum(_USCC_VALUE[c] * w for c, w in zip(code, _USCC_WEIGHTS, strict=False))
    if _USCC_ALPHABET[(31 - total % 31) % 31] != code[17]:
        return False
    return code[:2] == "92" or _org_code_ok(code[8:17])


def normalise_mobile(value: str) -> str:
    """Digits of a mobile number without separators or a ``+86``/``0086``/``86`` prefix."""
    digits = _PHONE_NOISE.sub("", _clean(value))
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            return digits[len(prefix) :]
    return digits


def mobile_ok(value: str) -> bool:
    """Mainland mobile number in an allocated segment, optional ``+86``."""
    return _MOBILE.fullmatch(normalise_mobile(value)) is not None


def mobile_digits_ok(digits: str) -> bool:
    """``mobile_ok`` for exactly 11 digits (the scanner's fast path)."""
    return _MOBILE.fullmatch(digits) is not None


def bank_card_luhn(value: str) -> bool:
    """12–19 digits (spaces/hyphens allowed) passing the ISO/IEC 7812 Luhn check."""
    digits = _CARD_NOISE.sub("", _clean(value))
    return _CARD_SHAPE.fullmatch(digits) is not None and luhn_digits_ok(digits)


def luhn_digits_ok(digits: str) -> bool:
    """Luhn check of a string of ASCII digits only (the scanner's fast path: no cleaning, no loop in Python).

    The doubled digits are mapped to the digit sum of their double by ``str.translate``; every
    digit then counts once, and a digit string read in base 11 is ≡ its digit sum (mod 10)."""
    if not digits or not digits.isascii():  # other scripts' digits (٦٢…): the plain loop
        return (sum(map(int, digits[-1::-2])) + sum(_DOUBLED[int(d)] for d in digits[-2::-2])) % 10 == 0
    return int(digits[-1::-2] + digits[-2::-2].translate(_DOUBLED_DIGIT), 11) % 10 == 0


#: Luhn: the value of a doubled digit (2d, minus 9 when two digits)
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
_DOUBLED_DIGIT = str.maketrans("0123456789", "0246813579")


def student_number_ok(value: str) -> bool:
    """National student number (全国学籍号): G + citizen ID, J + other national ID, L + 18 [0-9A-Z].

    ``L`` numbers carry no check character; a run of one repeated digit is refused as filler."""
    return student_number_compact_ok(_clean(value))


def student_number_compact_ok(code: str) -> bool:
    """``student_number_ok`` for a value already stripped and upper-cased."""
    if len(code) != 19 or code[0] not in "GJL":
        return False
    if code[0] == "G":
        return code[1:18].isdigit() and citizen_id_digits_ok(code[1:])
    if code[0] == "J":
        return _mod11_2_ok(code[1:]) and _birth_ok(code[7:15])
    if code[0] == "L" and len(set(code[1:])) == 1:
        return False
    try:
        return not validate_student_id(code[0], code[1:])
    except (ValueError, TypeError):
        return False


def passport_ok(value: str) -> bool:
    """People's Republic of China passport number (ordinary E…, older G…, service/diplomatic)."""
    return _PASSPORT.fullmatch(_clean(value)) is not None


def travel_permit_ok(value: str) -> bool:
    """Exit-entry permits: to Hong Kong/Macao (C…), to Taiwan (T…), home-return permits (H…/M…)."""
    return _TRAVEL_PERMIT.fullmatch(_clean(value)) is not None


def plate_ok(value: str) -> bool:
    """Licence plate (GA 36): province character, authority letter, 5 characters (6 for new energy)."""
    if not isinstance(value, str):
        return False
    return _PLATE.fullmatch(_PLATE_NOISE.sub("", value.strip().upper())) is not None


def email_ok(value: str) -> bool:
    """A plausible e-mail address."""
    return isinstance(value, str) and _EMAIL.fullmatch(value.strip()) is not None


def birth_date_ok(value: str) -> bool:
    """A date between 1900 and today written ``YYYY-MM-DD``, ``YYYY/MM/DD``, ``YYYYMMDD`` or ``YYYY年M月D日``."""
    text = _clean(value)
    m = _DATE.fullmatch(text)
    if m is None:
        return False
    return _birth_ok(f"{m.group(1)}{int(m.group(2)):02d}{int(m.group(3)):02d}")


_DATE = re.compile(r"((?:19|20)\d\d)(?:[-/.年]?)(0?[1-9]|1[0-2])(?:[-/.月]?)(0?[1-9]|[12]\d|3[01])日?")
