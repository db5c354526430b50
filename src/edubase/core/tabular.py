"""Reading and writing the spreadsheets officials use (XLSX, CSV in UTF-8 or GBK/GB18030).

Imports are all-or-nothing: ``read_table`` returns rows and every structural problem
(row, column, reason in Chinese); domain importers add their own row problems and raise
``ImportRejected`` with the full list before writing anything.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from edubase.core.errors import ValidationFailed

#: rows beyond this are refused (a province-wide file is split by city)
MAX_ROWS = 200_000


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file: the row as numbered in the file (header = 1)."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"第 {self.row} 行" if self.row else "文件"
        return f"{where}{'「' + self.column + '」列' if self.column else ''}：{self.reason}"


class ImportRejected(ValidationFailed):
    """The file was refused as a whole; ``details`` lists every problem. Nothing was written."""

    code = "import_rejected"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(
            f"导入失败：共发现 {len(self.problems)} 处问题，未写入任何数据",
            details=[asdict(p) for p in self.problems],
        )


@dataclass(frozen=True)
class Table:
    """Rows keyed by header, with the encoding that was detected (for CSV)."""

    rows: list[tuple[int, dict[str, str]]]
    encoding: str


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel turns long codes typed as numbers into floats
    return str(value).strip()


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _read_csv(data: bytes) -> tuple[list[list[str]], str]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise ImportRejected([Problem(0, "", "无法识别文件编码（应为 UTF-8 或 GBK）")])
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))], encoding.replace("-sig", "")


def read_table(data: bytes, *, filename: str, required: Sequence[str], optional: Sequence[str] = ()) -> Table:
    """Parse an XLSX or CSV file into header-keyed rows; raise ``ImportRejected`` on structural problems."""
    if not data:
        raise ImportRejected([Problem(0, "", "文件为空")])
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        if not zipfile.is_zipfile(io.BytesIO(data)):
            raise ImportRejected([Problem(0, "", "文件扩展名为 .xlsx，但内容不是有效的 Excel 文件")])
        try:
            grid, encoding = _read_xlsx(data), "xlsx"
        except Exception as exc:  # openpyxl raises many types for corrupt files
            raise ImportRejected([Problem(0, "", f"无法读取 Excel 文件：{type(exc).__name__}")]) from exc
    elif lower.endswith(".csv"):
        grid, encoding = _read_csv(data)
    else:
        raise ImportRejected([Problem(0, "", "仅支持 .xlsx 或 .csv 文件")])
    grid = [row for row in grid if any(cell for cell in row)] if grid else []
    if not grid:
        raise ImportRejected([Problem(0, "", "文件中没有数据")])
    header = grid[0]
    problems = [Problem(1, name, "缺少必需的列") for name in required if name not in header]
    known = set(required) | set(optional)
    problems += [Problem(1, name, "无法识别的列名") for name in header if name and name not in known]
    duplicates = {name for name in header if name and header.count(name) > 1}
    problems += [Problem(1, name, "列名重复") for name in sorted(duplicates)]
    if len(grid) - 1 > MAX_ROWS:
        problems.append(Problem(0, "", f"数据行数超过上限 {MAX_ROWS}，请按地市拆分文件"))
    if len(grid) == 1:
        problems.append(Problem(0, "", "只有表头，没有数据行"))
    if problems:
        raise ImportRejected(problems)
    rows = []
    for index, raw in enumerate(grid[1:], start=2):
        padded = raw + [""] * (len(header) - len(raw))
        rows.append((index, {name: padded[i] for i, name in enumerate(header) if name}))
    return Table(rows, encoding)


def write_xlsx(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet: str = "Sheet1") -> bytes:
    """An XLSX file with a bold header row; codes are written as text so Excel keeps leading zeros."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=sheet[:31])
    from openpyxl.cell import WriteOnlyCell

    header_cells = []
    for name in headers:
        cell = WriteOnlyCell(worksheet, value=name)
        cell.font = Font(bold=True)
        header_cells.append(cell)
    worksheet.append(header_cells)
    for row in rows:
        worksheet.append(["" if v is None else v for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
