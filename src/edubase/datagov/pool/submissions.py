"""Reading and validating roster files (XLSX / CSV / API rows) against the contract.

Pure functions, no writes: ``read_roster`` turns bytes into header-keyed rows (detecting the
encoding of a CSV, skipping title rows above the header and filling merged cells in XLSX);
``validate_rows`` checks every row and returns the normalised rows *and* every problem (row,
column, masked value, reason in Chinese). The service writes only when there is no problem.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from edubase.core.tabular import ImportRejected, Problem
from edubase.datagov import masking
from edubase.datagov.pool import contracts

#: a roster file larger than this is refused before parsing (a province file is split by county)
MAX_BYTES = 30 * 1024 * 1024
#: rows beyond this are refused (the largest schools have ~15,000 pupils)
MAX_ROWS = 100_000
#: the header row is looked for among the first rows (title rows such as 「XX学校2026年春季学生花名册」 come first)
HEADER_SEARCH_ROWS = 10
#: problems kept for the report; the count is always exact
MAX_PROBLEMS = 1000


@dataclass(frozen=True)
class RosterFile:
    """Rows keyed by column key, numbered as in the file, with the encoding used."""

    rows: list[tuple[int, dict[str, str]]]
    encoding: str  # "UTF-8", "GB18030（GBK）", "UTF-16" or "xlsx"
    channel: str  # xlsx | csv | api


@dataclass(frozen=True)
class RowProblem:
    """One reason a row was refused; ``value`` is masked when the column holds personal data."""

    row: int
    column: str
    value: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason}

    def __str__(self) -> str:
        shown = f"（{self.value}）" if self.value else ""
        where = f"第 {self.row} 行" if self.row else "文件"
        return f"{where}「{self.column}」{shown}：{self.reason}" if self.column else f"{where}：{self.reason}"


def sm3_hex(data: bytes) -> str:
    return hashlib.new("sm3", data).hexdigest()


def _refuse(reason: str) -> ImportRejected:
    return ImportRejected([Problem(0, "", reason)])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()  # Excel date cells
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # long codes typed as numbers come back as floats
    return str(value).strip()


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def _column_index(letters: bytes) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ch - 64)
    return index


def _merged_ranges(archive: zipfile.ZipFile, sheet_path: str) -> list[tuple[int, int, int, int]]:
    """(min_row, min_col, max_row, max_col) of each merged block, read from the sheet XML itself.

    The read-only reader (constant memory, needed for large rosters) does not expose merged
    cells; the ``<mergeCells>`` element sits after the sheet data, so the XML is scanned in
    chunks rather than loaded whole."""
    found: list[tuple[int, int, int, int]] = []
    tail = b""
    with archive.open(sheet_path) as stream:
        while chunk := stream.read(1 << 20):
            text = tail + chunk
            cut = text.rfind(b"<")  # a tag split across chunks is read with the next chunk
            body, tail = (text[:cut], text[cut:]) if cut > 0 else (text, b"")
            for m in _MERGE.finditer(body):
                found.append((int(m[2]), _column_index(m[1]), int(m[4]), _column_index(m[3])))
    for m in _MERGE.finditer(tail):
        found.append((int(m[2]), _column_index(m[1]), int(m[4]), _column_index(m[3])))
    return found


def _xlsx_grid(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise _refuse("文件扩展名为 .xlsx，但内容不是有效的 Excel 文件（可能已损坏，或是旧版 .xls 另存时改了扩展名）")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        grid: list[list[str]] = []
        for row in sheet.iter_rows(values_only=True):
            grid.append([_cell(v) for v in row])
            if len(grid) > MAX_ROWS + HEADER_SEARCH_ROWS:
                raise _refuse(f"数据行数超过上限 {MAX_ROWS}，请按年级拆分文件")
        merged = _merged_ranges(workbook._archive, sheet._worksheet_path)
        workbook.close()
    except ImportRejected:
        raise
    except Exception as exc:  # openpyxl and zipfile raise many types on corrupt files
        raise _refuse(f"无法读取 Excel 文件（{type(exc).__name__}），请用 Excel 重新另存为 .xlsx 后再提交") from exc
    for min_row, min_col, max_row, max_col in merged:
        # a merged block (the school code over every row, a grade over a class) holds its value in
        # the top-left cell only: copy it into each cell the block covers
        if min_row - 1 >= len(grid):
            continue
        top_row = grid[min_row - 1]
        top = top_row[min_col - 1] if min_col - 1 < len(top_row) else ""
        for r in range(min_row - 1, min(max_row, len(grid))):
            row = grid[r]
            if len(row) < max_col:
                row.extend([""] * (max_col - len(row)))
            for c in range(min_col - 1, max_col):
                row[c] = top
    return grid


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode a CSV: UTF-16 by its BOM, else UTF-8 (with or without BOM), else GB18030 (a superset of GBK)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "UTF-16"
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030（GBK）"
    except UnicodeDecodeError as exc:
        raise _refuse("无法识别文件编码：既不是 UTF-8 也不是 GBK/GB18030，请另存为 UTF-8 CSV") from exc


def _csv_grid(data: bytes) -> tuple[list[list[str]], str]:
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _refuse("文件内容不是文本（含二进制数据），请确认上传的是 CSV 文件")
    text, encoding = decode_text(data)
    sample = text[:4096]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    try:
        grid = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as exc:
        raise _refuse(f"CSV 格式错误：{exc}") from exc
    return grid, encoding


def _find_header(grid: Sequence[Sequence[str]]) -> tuple[int, list[str | None]]:
    aliases = contracts.header_aliases()
    best: tuple[int, int, list[str | None]] = (0, -1, [])
    for index, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        keys = [aliases.get(cell.upper() if cell.isascii() else cell) for cell in row]
        hits = sum(1 for k in keys if k)
        if hits > best[0]:
            best = (hits, index, keys)
    return best[1], best[2]


def rows_from_grid(grid: list[list[str]]) -> list[tuple[int, dict[str, str]]]:
    """Header-keyed rows from a grid; raise ``ImportRejected`` on structural problems (header, size)."""
    grid = [row for row in grid]
    if not any(any(cell for cell in row) for row in grid):
        raise _refuse("文件中没有数据")
    header_index, keys = _find_header(grid)
    if header_index < 0 or sum(1 for k in keys if k) < 3:
        raise _refuse("找不到表头行：请使用下载的采集模板，表头应包含「学籍号」「姓名」「性别码」等列名")
    problems = []
    present = [k for k in keys if k]
    for column in contracts.COLUMNS:
        if column.required and column.key not in present:
            problems.append(Problem(header_index + 1, column.header, "缺少必需的列"))
    for key in sorted({k for k in present if present.count(k) > 1}):
        problems.append(Problem(header_index + 1, contracts.BY_KEY[key].header, "列名重复"))
    rows: list[tuple[int, dict[str, str]]] = []
    for number, raw in enumerate(grid[header_index + 1 :], start=header_index + 2):
        if not any(raw):
            continue
        rows.append((number, {k: (raw[i] if i < len(raw) else "") for i, k in enumerate(keys) if k}))
    if not rows:
        problems.append(Problem(0, "", "只有表头，没有数据行"))
    if len(rows) > MAX_ROWS:
        problems.append(Problem(0, "", f"数据行数超过上限 {MAX_ROWS}，请按年级拆分文件"))
    if problems:
        raise ImportRejected(problems)
    return rows


def read_roster(data: bytes, *, filename: str) -> RosterFile:
    """Parse an uploaded roster file; raise ``ImportRejected`` (Chinese reasons) if it cannot be read."""
    if not data:
        raise _refuse("文件为空")
    if len(data) > MAX_BYTES:
        raise _refuse(f"文件过大（{len(data) // (1024 * 1024)} MB），上限 {MAX_BYTES // (1024 * 1024)} MB")
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        return RosterFile(rows_from_grid(_xlsx_grid(data)), "xlsx", "xlsx")
    if lower.endswith((".csv", ".txt")):
        grid, encoding = _csv_grid(data)
        return RosterFile(rows_from_grid(grid), encoding, "csv")
    if lower.endswith(".xls"):
        raise _refuse("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后提交")
    raise _refuse("仅支持 .xlsx 或 .csv 文件")


def mask_value(column: contracts.Column, value: str) -> str:
    """What an error message may show of ``value``: personal columns masked, others cut to 40 characters."""
    if not value:
        return ""
    if not column.personal:
        return value[:40]
    if column.key == "student_number":
        text = value.strip().upper()
        return (text[:1] + masking.mask_citizen_id(text[1:])) if len(text) > 11 else "*" * len(text)
    if column.key == "guardian_phone":
        return masking.mask("mobile", value)
    return masking.mask("person_name", value[:30])


@dataclass(frozen=True)
class Validated:
    """Normalised rows (file row number, values by key) and every problem found."""

    rows: list[tuple[int, dict[str, str]]]
    problems: list[RowProblem]
    problem_count: int


def validate_rows(rows: Sequence[tuple[int, Mapping[str, str]]], *, school_codes: set[str]) -> Validated:
    """Check every row against the contract (all rows, all columns) before anything is written."""
    problems: list[RowProblem] = []
    count = 0
    clean: list[tuple[int, dict[str, str]]] = []
    first_row_of: dict[str, int] = {}

    def add(problem: RowProblem) -> None:
        nonlocal count
        count += 1
        if len(problems) < MAX_PROBLEMS:
            problems.append(problem)

    for number, raw in rows:
        values: dict[str, str] = {}
        ok = True
        for column in contracts.COLUMNS:
            text = str(raw.get(column.key, "") or "").strip()
            if not text:
                if column.required:
                    add(RowProblem(number, column.header, "", "必填项为空"))
                    ok = False
                values[column.key] = ""
                continue
            assert column.check is not None
            normalised, reason = column.check(text)
            if reason is not None or normalised is None:
                add(RowProblem(number, column.header, mask_value(column, text), reason or "无效"))
                ok = False
                continue
            values[column.key] = normalised
        code = values.get("school_code", "")
        if code and code not in school_codes:
            add(RowProblem(number, "学校标识码", code, "与提交学校的标识码不一致：只能报送本校学生"))
            ok = False
        student = values.get("student_number", "")
        if student:
            if student in first_row_of:
                column = contracts.BY_KEY["student_number"]
                add(
                    RowProblem(
                        number, column.header, mask_value(column, student), f"与第 {first_row_of[student]} 行重复"
                    )
                )
                ok = False
            else:
                first_row_of[student] = number
        if ok:
            clean.append((number, values))
    return Validated(clean, problems, count)


def row_digest(values: Mapping[str, str]) -> str:
    """SM3 of a normalised row (column order of the contract): equal rows, equal digests."""
    joined = "\x1f".join(values.get(c.key, "") for c in contracts.COLUMNS)
    return sm3_hex(joined.encode("utf-8"))


def rows_digest(rows: Sequence[tuple[int, Mapping[str, str]]]) -> str:
    """SM3 over the normalised rows of an API batch (so re-sending the same batch is recognised)."""
    h = hashlib.new("sm3")
    for _number, values in rows:
        h.update(row_digest(values).encode("ascii"))
    return h.hexdigest()
