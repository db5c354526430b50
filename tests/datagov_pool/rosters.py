"""Roster files for the pool tests (checksum-valid numbers from tests.factories.citizen_id)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from tests.factories import citizen_id

HEADER = [
    "学校标识码",
    "学籍号",
    "姓名",
    "性别码",
    "出生日期",
    "民族码",
    "年级码",
    "班级",
    "监护人姓名",
    "监护人手机号",
]


def pupil(
    school_code: str,
    *,
    name: str = "张小明",
    region: str = "410102",
    birth: str = "20160307",
    seq: str = "011",
    kind: str = "G",
    grade: str = "13",
    sex: str = "",
    guardian: str = "张建国",
    phone: str = "13812345678",
    number: str = "",
) -> list[str]:
    ident = number or kind + citizen_id(region, birth, seq)
    sex = sex or ("1" if int(seq[-1]) % 2 else "2")
    day = f"{birth[:4]}-{birth[4:6]}-{birth[6:]}"
    return [school_code, ident, name, sex, day, "01", grade, "2班", guardian, phone]


KEYS = ["school_code", "student_number", "name", "sex", "birth_date", "ethnicity", "grade", "class_name",
        "guardian_name", "guardian_phone"]  # fmt: skip


def api_row(school_code: str, **kwargs: str) -> dict[str, str]:
    """The same pupil as ``pupil`` as an API row (keys of the contract)."""
    return dict(zip(KEYS, pupil(school_code, **kwargs), strict=True))


def csv_bytes(rows: Sequence[Sequence[str]], *, encoding: str = "utf-8", header: Sequence[str] = HEADER) -> bytes:
    lines = [",".join(header)] + [",".join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[str]], *, title: str | None = None, merge_school: bool = False) -> bytes:
    """An XLSX roster, optionally with a merged title row above the header and the school code merged down."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    offset = 0
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
        offset = 1
    sheet.append(HEADER)
    for row in rows:
        sheet.append(list(row))
    if merge_school and rows:
        first = offset + 2
        last = first + len(rows) - 1
        for r in range(first + 1, last + 1):
            sheet.cell(row=r, column=1).value = None
        sheet.merge_cells(start_row=first, start_column=1, end_row=last, end_column=1)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
