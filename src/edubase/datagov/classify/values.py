"""Classify single values and scan free text for entities (值识别).

Speed matters (a catalogue scan reads millions of cells): precompiled patterns find
candidates in C, each starting with a small character set (ASCII alphanumerics, "@", a plate's
province character, a division suffix 省市区县镇乡, a person label such as 姓名/联系人) so the
engine skips the Han text between them quickly; only those candidates reach the Python
validators (checksums, dates, region codes, name and address scores). Names in free text are
found after a label only; a bare name in prose is not guessed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

from edubase.datagov.classify import validators as v
from edubase.datagov.classify.addresses import address_score, division_start
from edubase.datagov.classify.names import COMPOUND_SURNAMES, SINGLE_SURNAMES, name_score
from edubase.datagov.classify.vocab import LABELS

#: a value-level detection below this confidence is not reported by ``scan_text``/``classify_value``
VALUE_THRESHOLD = 0.5


class Match(NamedTuple):
    """One entity found in a text: ``text[start:end]`` with a confidence in [0, 1].

    Immutable like a frozen dataclass, but a tuple: built several times faster, which shows
    when a scan finds an identifier every few dozen characters."""

    entity: str
    start: int
    end: int
    confidence: float


# ASCII identifier tokens; a single space may separate digit groups ("6222 0202 …",
# "+86 138 1234 5678"). The first character is a plain class (the engine's first-character
# prefilter applies); the look-ahead after it rejects in C most tokens shorter than 7 characters
# (years, house numbers), which would otherwise each cost a match object and a Python iteration.
# It cannot reject a longer token (its first 7 characters are all in the look-ahead's class) nor
# make a match start inside a rejected short one (the character that failed lies within 6 of
# every later position in it), so the tokens of 7+ characters are exactly those of the plain
# pattern; the few short ones left are dropped by one ``len`` test in Python.
_TOKEN = re.compile(r"[0-9A-Za-z+](?=[0-9A-Za-z\- ]{6})[0-9A-Za-z\-]*(?: \d[0-9A-Za-z\-]*)*")
_PLATE = re.compile("[" + v.PLATE_PROVINCES + r"][A-HJ-NP-Z][·•\- ]?[A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9挂学警港澳领]{1,2}")
# E-mail addresses are found from their "@" (a literal first character: fast to skip to); the
# local part before it is taken back in Python. A pattern starting with the local part's broad
# character set would be tried at every letter and digit of the text.
_EMAIL_DOMAIN = re.compile(r"@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}")
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}$")
_SEPARATORS = re.compile(r"[ \-]")
_DIGIT_RUN = re.compile(r"\d{11,19}X?|[GJL]\d{17}[\dX]|[0-9A-HJ-NPQRTUWXY]{18}")
_LANDLINE = re.compile(r"0\d{2,3}-?[2-9]\d{6,7}")
_DATE = re.compile(r"(?:19|20)\d\d(?:-[01]\d-[0-3]\d|[01]\d[0-3]\d)")
_LABELLED_NAME = re.compile(
    r"(姓名|名字|学生|家长|监护人|联系人|班主任|教师|老师|父亲|母亲|申请人|本人|驾驶员|司机|负责人|经办人|收件人)"
    r"([:：]?)\s*([\u3400-\u9fff]{1,10}(?:[·•][\u3400-\u9fff]{1,10}){0,3})"
)
#: labels after which a short Han run is a name even without a known surname (扎西顿珠, 兀桂翠)
_STRONG_NAME_LABELS = frozenset(
    {"姓名", "名字", "联系人", "监护人", "申请人", "驾驶员", "司机", "负责人", "经办人", "收件人"}
)
#: words that follow a name in a sentence (searched from the third character: never cut a name short)
_NAME_END = re.compile(
    r"居住|护照|证件|证号|学号|学籍|户籍|联系|电话|手机|身份|性别|家住|住址|同学|老师|家长|的|，|。|、"
)
# Addresses are found from their first division suffix (省 市 区 县 镇 乡): a pattern starting with
# that small character set lets the engine skip ahead quickly, where one starting with any Han
# character would be tried at every position. The Han run before the suffix (the division name)
# is added back in Python.
_ADDRESS = re.compile(
    r"[省市区县镇乡](?:[\u3400-\u9fff0-9０-９]{0,12}?"
    r"(?:街道|大道|路|街|巷|道|村|组|里|社区|小区|号院|号楼|号|栋|幢|单元|室|层|镇|乡))+"
)
_HAN_BEFORE = re.compile(r"[\u3400-\u9fff]{1,16}$")
_DIVISION_SUFFIXES = frozenset("省市州盟区县旗")
#: a card number of another scheme (Luhn-valid, 0.45 alone) is a card when the text says so just before
_CARD_CONTEXT = re.compile(r"卡|账号|帐号")
_ADDRESS_MARKERS = re.compile(r"[路街巷村组道号]")
#: words that introduce an address and end up in the Han run taken before its first division suffix
_ADDRESS_LEAD = re.compile(r".*(?:家庭住址|现住址|住址|地址|家住|现住|居住在|居住于|住在|户籍在|位于|户籍)")
_START = itemgetter(1)  # Match.start
#: ``tuple.__new__(Match, (…))`` builds a ``Match`` in C, without the Python-level ``__new__``
#: of a named tuple: the scanner builds one per identifier, every few dozen characters
_new_match = tuple.__new__
#: the Han run before a division suffix repeats (河南|省, 驻马店|市, 郑州|市 …): its lookup is cached
_division_start = lru_cache(maxsize=1 << 14)(division_start)
_citizen_id_ok = v.citizen_id_digits_ok
_mobile_ok = v.mobile_digits_ok
_HAN_ONLY = re.compile(r"[\u3400-\u9fff]+")
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
# Chinese punctuation (，：；) lives in the same block: only full-width letters, digits, + - . @ matter
_HAS_FULLWIDTH = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff0b\uff0d\uff0e\uff20]")


def _bank_card(digits: str) -> tuple[str, float] | None:
    """UnionPay 62 + Luhn: 0.95; other schemes (16 digits, ICBC 9558 19) + Luhn: 0.45, because one
    random 16-digit number in ten passes Luhn; 62 failing Luhn: 0.4. Column context promotes the
    Luhn-valid ones (``classify_value(..., context="bank_card")``), never the failing ones."""
    if not 16 <= len(digits) <= 19 or not digits.isdigit():
        return None
    luhn = v.luhn_digits_ok(digits)
    if digits.startswith("62"):
        return ("bank_card", 0.95 if luhn else 0.4)
    # other schemes issue 16 digits (ICBC's old 9558 cards 19): an 18-digit ID-shaped number is no card
    if luhn and ((len(digits) == 16 and digits[0] in "3456") or (len(digits) == 19 and digits.startswith("9558"))):
        return ("bank_card", 0.45)
    return None


def _classify_compact(token: str) -> tuple[str, float] | None:
    """Classify an ASCII token with separators removed (upper-case)."""
    n = len(token)
    first = token[0]
    if n == 19 and first in "GJL":
        return ("student_number", 0.99) if v.student_number_compact_ok(token) else None
    if n == 18:
        if token[:17].isdigit():
            if v.citizen_id_digits_ok(token):
                return ("citizen_id", 0.99)
            if v.residence_permit_ok(token):
                return ("residence_permit", 0.99)
            if v.uscc_ok(token):
                return ("uscc", 0.97)
            if v.id_shaped(token):
                # region and birth date of an ID, check digit wrong: a mistyped ID (甘肃 IDs start
                # with 62 too), not a card; reported weakly so that an ID column keeps its typos
                return ("citizen_id", 0.3)
            return _bank_card(token)
        return ("uscc", 0.98) if v.uscc_ok(token) else None
    if token.isdigit():
        if n == 11:
            if v.mobile_digits_ok(token):
                return ("mobile", 0.95)
        elif n in (13, 15) and token.startswith(("86", "0086")) and v.mobile_ok(token):
            return ("mobile", 0.95)
        if 16 <= n <= 19:
            return _bank_card(token)
        if n == 8 and _DATE.fullmatch(token) and v.birth_date_ok(token):
            return ("birth_date", 0.3)
        if _LANDLINE.fullmatch(token):
            return ("landline", 0.55)
        return None
    if first == "+" and v.mobile_ok(token):
        return ("mobile", 0.95)
    if n == 9 and first.isalpha():
        if v.passport_ok(token):
            return ("passport", 0.7)
        if v.travel_permit_ok(token):
            return ("travel_permit", 0.7)
    if n == 11 and first in "HM" and v.travel_permit_ok(token):
        return ("travel_permit", 0.6)
    return None


def _classify_token(raw: str) -> tuple[str, float] | None:
    separated = " " in raw or "-" in raw
    compact = _SEPARATORS.sub("", raw) if separated else raw
    if not compact.isdigit():
        compact = compact.upper()
    if len(compact) < 7:
        return None
    found = _classify_compact(compact)
    if found is None and "-" in raw:
        if _LANDLINE.fullmatch(raw):
            return ("landline", 0.85)
        if _DATE.fullmatch(raw) and v.birth_date_ok(raw):
            return ("birth_date", 0.3)
    return found


def _ascii(text: str) -> str:
    """Full-width ASCII (１３８…, ＡＢＣ) → half-width; the length is unchanged, so spans still apply."""
    if text.isascii() or _HAS_FULLWIDTH.search(text) is None:
        return text
    return text.translate(_FULLWIDTH)


def scan_text(text: str) -> list[Match]:
    """Every entity found in free text or a cell, in text order (overlaps resolved by confidence).

    Only detections with confidence ≥ ``VALUE_THRESHOLD`` are returned."""
    if not text:
        return []
    src = _ascii(text)  # same length: full-width digits map one-to-one
    found: list[Match] = []
    append = found.append
    # The token pattern is greedy over [0-9A-Za-z-], so a token is never glued to an ASCII letter
    # or digit on either side — except a token starting with "+" (``a+86…``): only that is checked.
    for m in _TOKEN.finditer(src):
        raw = m.group()
        n = len(raw)
        if n < 7:
            continue
        # Fast paths for the commonest identifiers (an ID, a student number, a mobile number):
        # the validator is called directly and a hit is built without the general dispatch below;
        # anything they do not accept takes the general path, so the result is the same.
        if n == 18:
            if raw[:17].isdigit() and _citizen_id_ok(raw):
                append(_new_match(Match, ("citizen_id", m.start(), m.end(), 0.99)))
                continue
        elif n == 11:
            if _mobile_ok(raw):
                append(_new_match(Match, ("mobile", m.start(), m.end(), 0.95)))
                continue
        elif n == 19 and raw[0] == "G" and raw[1:18].isdigit() and _citizen_id_ok(raw[1:]):
            append(_new_match(Match, ("student_number", m.start(), m.end(), 0.99)))
            continue
        hit = _classify_token(raw)
        if hit is not None:
            if hit[0] == "bank_card" and hit[1] < VALUE_THRESHOLD and v.bank_card_luhn(raw):
                start = m.start()
                if _CARD_CONTEXT.search(src, max(0, start - 6), start):
                    hit = ("bank_card", 0.85)
            if hit[1] >= VALUE_THRESHOLD:
                start = m.start()
                if raw[0] != "+" or start == 0 or not (src[start - 1].isascii() and src[start - 1].isalnum()):
                    append(_new_match(Match, (hit[0], start, m.end(), hit[1])))
            continue
        if raw.isdigit():
            continue  # a plain digit run was classified whole: nothing else inside it
        # a longer run glued to letters or digit groups: try the identifier-shaped runs inside it
        start = m.start()
        for sub in _DIGIT_RUN.finditer(raw.upper()):
            hit = _classify_compact(sub.group())
            if hit is not None and hit[1] >= VALUE_THRESHOLD:
                append(_new_match(Match, (hit[0], start + sub.start(), start + sub.end(), hit[1])))
    if "@" in src:
        for m in _EMAIL_DOMAIN.finditer(src):
            at = m.start()
            local = _EMAIL_LOCAL.search(src, max(0, at - 64), at)
            if local is not None:
                found.append(_new_match(Match, ("email", local.start(), m.end(), 0.95)))
        found = _drop_overlaps(found)
    if not src.isascii():
        for m in _PLATE.finditer(src):
            if v.plate_ok(m.group()):
                found.append(_new_match(Match, ("plate", m.start(), m.end(), 0.9)))
        found.extend(_labelled_names(src))
        if _ADDRESS_MARKERS.search(src):
            for m in _ADDRESS.finditer(src):
                start = m.start()
                head = _HAN_BEFORE.search(src, max(0, start - 16), start)
                if head is None:
                    continue  # a suffix with no division name before it (市场路, 区别于 …)
                name = head.group()
                # every lead word has 住 or 址, or is 位于/户籍: the pattern only runs when one may be there
                if "住" in name or "址" in name or "位于" in name or "户籍" in name:
                    lead = _ADDRESS_LEAD.match(name)
                    if lead is not None:
                        name = name[lead.end() :]
                if not name:
                    continue
                # the division name only: 学生于2020年迁入郑州市… starts at 郑州, not at 年迁入
                j = _division_start(name, src[start])
                begin = start - len(name) + (j if j is not None else max(0, len(name) - 2))
                begin = _divisions_before(src, begin)
                score = address_score(src[begin : m.end()])
                if score >= VALUE_THRESHOLD:
                    found.append(_new_match(Match, ("address", begin, m.end(), score)))
        found = _drop_overlaps(found)
    found.sort(key=_START)
    return found


def _divisions_before(src: str, begin: int) -> int:
    """Move ``begin`` left over higher divisions named just before it (河南省|平顶山市|汝州市…)."""
    while begin > 0 and src[begin - 1] in _DIVISION_SUFFIXES:
        head = _HAN_BEFORE.search(src, max(0, begin - 17), begin - 1)
        j = _division_start(head.group(), src[begin - 1]) if head else None
        if head is None or j is None:
            break
        begin = head.start() + j
    return begin


def _labelled_names(text: str) -> list[Match]:
    out = []
    for m in _LABELLED_NAME.finditer(text):
        label, colon, name = m.group(1), m.group(2), m.group(3)
        if (
            name[0] not in SINGLE_SURNAMES
            and not colon
            and label not in _STRONG_NAME_LABELS
            and "·" not in name
            and name[:2] not in COMPOUND_SURNAMES
        ):
            continue  # 老师持续关注: no surname after a weak label (the common case in prose: decided first)
        run = len(name)
        cut = _NAME_END.search(name, 2)
        if cut:
            name = name[: cut.start()]
        # delimited: the Han run after the label stops by itself (punctuation, digits, a known next word)
        delimited = bool(cut) or run < 10
        if "·" in name or "•" in name:
            best, score = name, name_score(name)
        elif name[:2] in COMPOUND_SURNAMES or name[:4] in COMPOUND_SURNAMES:
            best = name if delimited and len(name) <= 6 else name[:4]
            score = name_score(best)
        elif name[0] in SINGLE_SURNAMES:
            # four characters only after a strong label or a colon: 学生干部会议 is no name
            longest = 4 if colon or label in _STRONG_NAME_LABELS else 3
            if delimited and 2 <= len(name) <= longest:
                best = name  # a delimited run: 张伟, 王秀英, 平措卓玛 (Tibetan names start with 平, 向 …)
            elif longest == 3:
                continue  # after a weak label only a whole delimited name counts: no guessing a head
            else:
                best = name[:3] if name_score(name[:3]) >= name_score(name[:2]) else name[:2]
            score = name_score(best)
        elif (label in _STRONG_NAME_LABELS or colon) and delimited and 2 <= len(name) <= 4:
            best, score = name, 0.6  # 扎西顿珠, 兀桂翠: no known surname, but the label says a name follows
        else:
            continue  # 老师持续关注: no surname after a weak label, no name
        if score >= VALUE_THRESHOLD:
            out.append(Match("person_name", m.start(3), m.start(3) + len(best), min(0.9, score)))
    return out


def _drop_overlaps(matches: list[Match]) -> list[Match]:
    """Of overlapping matches keep the most confident (then the longest); one sweep in text order."""
    kept: list[Match] = []
    last_end = -1
    for m in sorted(matches, key=_START):
        # fields by index (start 1, end 2, confidence 3): this runs once per identifier found
        if m[1] < last_end:
            last = kept[-1]
            if (m[3], m[2] - m[1]) > (last[3], last[2] - last[1]):
                kept[-1] = m
                last_end = m[2]
            continue
        kept.append(m)
        last_end = m[2]
    return kept


def classify_value(value: str, *, context: str | None = None) -> tuple[str, float] | None:
    """The entity a whole cell holds and the confidence, or ``None``.

    Unlike ``scan_text`` this also returns weak guesses (confidence < ``VALUE_THRESHOLD``,
    e.g. a 62-prefixed number failing Luhn, a bare date) so that column classification can
    weigh them; callers that want firm detections compare with ``VALUE_THRESHOLD``.

    ``context`` is the entity the value's column is known (or suggested by its name) to hold: a
    weak guess of that same entity that passes its validator is promoted (a Luhn-valid Visa card
    in a 银行卡号 column, a Tibetan name without surname in a 姓名 column, a date in 出生日期)."""
    hit = _classify_value(value)
    if context is None or hit is None or hit[0] != context or hit[1] >= VALUE_THRESHOLD:
        return hit
    if context == "bank_card":
        return ("bank_card", 0.85) if v.bank_card_luhn(value) else hit
    if context == "person_name":
        return ("person_name", 0.75) if hit[1] >= 0.15 else hit
    return (context, min(0.9, hit[1] + 0.5))


#: already-masked values (an exported extract): still the entity, recognised by what the mask keeps
_MASKED = (
    (re.compile(r"\d{6}[\d*]{8}[\d*]{3}[\dXx*]"), "citizen_id", 4),
    (re.compile(r"1[3-9]\d\*{4}\d{4}"), "mobile", 4),
    (re.compile(r"(?:\d{0,6}\*{6,15}\d{4})"), "bank_card", 6),
    (re.compile(r"[A-Za-z0-9._%+\-]?\*+[A-Za-z0-9._%+\-]?@[A-Za-z0-9.\-]+"), "email", 1),
)


def _masked(src: str) -> tuple[str, float] | None:
    """A masked cell (``4101021990********``, ``138****1234``, ``张*明``): the entity at 0.6."""
    stars = src.count("*")
    for pattern, entity, least in _MASKED:
        if stars >= least and pattern.fullmatch(src):
            if entity == "bank_card" and not 16 <= len(src) <= 19:
                continue
            return (entity, 0.6)
    head = src.rstrip("*").replace("*", "")
    surname = head[:1] in SINGLE_SURNAMES or head[:2] in COMPOUND_SURNAMES
    if 2 <= len(src) <= 4 and head and surname and _HAN_ONLY.fullmatch(head):
        return ("person_name", 0.6)
    return None


def _classify_value(value: str) -> tuple[str, float] | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    src = _ascii(text)
    if "*" in src:
        return _masked(src)
    if src.isascii():
        if "@" in src:
            return ("email", 0.95) if v.email_ok(src) else None
        hit = _classify_token(src)
        if hit is not None:
            return hit
        if _DATE.fullmatch(src.replace("/", "-").replace(".", "-")) and v.birth_date_ok(src):
            return ("birth_date", 0.3)
        return None
    label = LABELS.get(text)
    if label is not None:
        return label
    if v.plate_ok(text):
        return ("plate", 0.9)
    if v.birth_date_ok(text):
        return ("birth_date", 0.3)
    if len(text) >= 6:
        score = address_score(text)
        if score >= 0.5:
            return ("address", score)
    score = name_score(text)
    if score > 0:
        return ("person_name", score)
    matches = scan_text(text)
    if len(matches) == 1 and (matches[0].end - matches[0].start) * 2 >= len(text):
        return (matches[0].entity, matches[0].confidence * 0.9)
    return None
