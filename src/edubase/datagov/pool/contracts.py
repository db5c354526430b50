"""The school roster data contract (学籍花名册采集模板): columns, types, code tables, validators, key.

One contract, versioned: the template files, the submission validator, the API schema and the
quality rules all read it, so a school's file is checked against exactly what was published.
Column headers are the Chinese names; the JY/T 1001 data-element code (``XM``, ``XBM`` …) is
accepted as a header too, and so is ``姓名(XM)``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from edubase.datagov.pool import codes
from edubase.people.standards import gb11643

CONTRACT_CODE = "school_roster"
CONTRACT_VERSION = "1.0"
#: earliest birth date a pupil may have (older rows are typing errors in the year)
EARLIEST_BIRTH = dt.date(1990, 1, 1)

Check = Callable[[str], tuple[str | None, str | None]]  # raw value → (normalised value, reason if invalid)


@dataclass(frozen=True)
class Column:
    """One column of the contract."""

    key: str  # attribute name in the pool
    header: str  # Chinese header in the template
    element: str  # JY/T 1001 data-element code
    kind: str  # text | code | date | identifier | phone
    required: bool
    description: str
    code_table: str = ""
    personal: bool = False  # a personal identifier: masked in every error message
    check: Check | None = field(default=None, compare=False, repr=False)


_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d", "%Y.%m.%d", "%Y-%m-%d %H:%M:%S")


def parse_date(value: str) -> dt.date | None:
    """A date typed the ways officials type them (``2015-03-07``, ``20150307``, ``2015/3/7``)."""
    text = value.strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _name(value: str) -> tuple[str | None, str | None]:
    text = re.sub(r"\s+", "", value)
    if not 2 <= len(text) <= 30:
        return None, "姓名应为 2–30 个字符"
    if re.search(r"[0-9@#$%^&*()_+=<>?/\\|{}\[\]]", text):
        return None, "姓名含有数字或特殊符号"
    return text, None


def _code(table: str) -> Check:
    def check(value: str) -> tuple[str | None, str | None]:
        found = codes.normalise_code(table, value)
        if found is None:
            return None, f"不在代码表中（{_TABLE_NAMES[table]}）"
        return found, None

    return check


_TABLE_NAMES = {"sex": "GB/T 2261.1 性别代码", "ethnicity": "GB 3304 民族代码", "grade": "年级码"}


def _birth(value: str) -> tuple[str | None, str | None]:
    born = parse_date(value)
    if born is None:
        return None, "日期格式应为 YYYY-MM-DD"
    if born < EARLIEST_BIRTH or born > dt.date.today():
        return None, f"出生日期应在 {EARLIEST_BIRTH:%Y-%m-%d} 至今天之间"
    return born.isoformat(), None


def _date(value: str) -> tuple[str | None, str | None]:
    day = parse_date(value)
    if day is None:
        return None, "日期格式应为 YYYY-MM-DD"
    if day > dt.date.today() + dt.timedelta(days=366):
        return None, "日期过于靠后"
    return day.isoformat(), None


def _student_number(value: str) -> tuple[str | None, str | None]:
    text = gb11643.normalize_id_number(value)
    if len(text) != 19:
        return None, "学籍号应为证件类型字母（G/J/L）加 18 位号码"
    reasons = gb11643.validate_student_id(text[0], text[1:])
    if reasons:
        return None, "；".join(reasons)
    return text, None


def _phone(value: str) -> tuple[str | None, str | None]:
    reasons = gb11643.check_phone(value)
    if reasons:
        return None, reasons[0]
    return gb11643.normalize_phone(value), None


def _school_code(value: str) -> tuple[str | None, str | None]:
    text = value.strip()
    if not re.fullmatch(r"\d{10}", text):
        return None, "学校标识码应为 10 位数字"
    return text, None


def _text(limit: int) -> Check:
    def check(value: str) -> tuple[str | None, str | None]:
        text = value.strip()
        if len(text) > limit:
            return None, f"长度不能超过 {limit} 个字符"
        return text, None

    return check


COLUMNS: tuple[Column, ...] = (
    Column("school_code", "学校标识码", "XXDM", "code", True, "10 位学校标识码，须为提交学校本身", check=_school_code),
    Column(
        "student_number",
        "学籍号",
        "XJH",
        "identifier",
        True,
        "G/J/L 加 18 位：G 为居民身份证号，J 为港澳台居民居住证等，L 为临时编号",
        personal=True,
        check=_student_number,
    ),
    Column("name", "姓名", "XM", "text", True, "学生姓名", personal=True, check=_name),
    Column("sex", "性别码", "XBM", "code", True, "1 男，2 女（GB/T 2261.1）", code_table="sex", check=_code("sex")),
    Column("birth_date", "出生日期", "CSRQ", "date", True, "YYYY-MM-DD", check=_birth),
    Column(
        "ethnicity", "民族码", "MZM", "code", False, "两位数字（GB 3304），如 01 汉族", code_table="ethnicity",
        check=_code("ethnicity"),
    ),
    Column("grade", "年级码", "NJM", "code", True, "11–16 小学，21–23 初中，31–33 高中", code_table="grade",
           check=_code("grade")),
    Column("class_name", "班级", "BJMC", "text", False, "如 2班", check=_text(30)),
    Column("guardian_name", "监护人姓名", "JHRXM", "text", False, "第一监护人", personal=True, check=_name),
    Column("guardian_phone", "监护人手机号", "JHRLXDH", "phone", False, "11 位手机号", personal=True, check=_phone),
    Column("enrol_date", "入学日期", "RXRQ", "date", False, "YYYY-MM-DD", check=_date),
)  # fmt: skip

BY_KEY: dict[str, Column] = {c.key: c for c in COLUMNS}
#: the person key within a school (upserts and idempotence use it)
KEY_COLUMNS = ("school_code", "student_number")
#: optional columns whose emptiness lowers the completeness score
RECOMMENDED = ("ethnicity", "class_name", "guardian_name", "guardian_phone", "enrol_date")


def header_aliases() -> dict[str, str]:
    """Every accepted header spelling → column key (``姓名``, ``XM``, ``姓名(XM)``, ``姓名（XM）``)."""
    found: dict[str, str] = {}
    for c in COLUMNS:
        for spelling in (c.header, c.element, f"{c.header}({c.element})", f"{c.header}（{c.element}）"):
            found[spelling.upper() if spelling.isascii() else spelling] = c.key
    return found


def describe() -> dict[str, object]:
    """The contract as JSON (the API publishes it; schools' systems build their exports from it)."""
    return {
        "code": CONTRACT_CODE,
        "version": CONTRACT_VERSION,
        "key": list(KEY_COLUMNS),
        "columns": [
            {
                "key": c.key,
                "header": c.header,
                "element": c.element,
                "kind": c.kind,
                "required": c.required,
                "description": c.description,
                "code_table": c.code_table,
                "codes": codes.TABLES[c.code_table] if c.code_table else {},
            }
            for c in COLUMNS
        ],
    }
