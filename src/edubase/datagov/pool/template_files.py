"""The downloadable collection templates (XLSX with a notes sheet, CSV in UTF-8 with BOM)."""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse

from edubase.datagov.pool import codes, contracts

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_bytes() -> bytes:
    """Sheet 1: the header row (cells formatted as text so codes keep their zeros); sheet 2: the contract."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "花名册"
    for index, column in enumerate(contracts.COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = 18
        for row in range(2, 502):
            sheet.cell(row=row, column=index).number_format = "@"
    notes = book.create_sheet("填表说明")
    notes.append(["列名", "数据元", "必填", "说明", "代码"])
    for column in contracts.COLUMNS:
        table = codes.TABLES.get(column.code_table, {})
        listed = "；".join(f"{k} {v}" for k, v in table.items())
        notes.append([column.header, column.element, "是" if column.required else "否", column.description, listed])
    notes.append([])
    notes.append([f"模板版本 {contracts.CONTRACT_VERSION}：整份文件校验通过才会入库；同一文件重复提交不会重复入库。"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes() -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([c.header for c in contracts.COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel open it as UTF-8


def xlsx_response() -> HttpResponse:
    response = HttpResponse(xlsx_bytes(), content_type=_XLSX)
    response["Content-Disposition"] = f'attachment; filename="roster-template-{contracts.CONTRACT_VERSION}.xlsx"'
    return response


def csv_response() -> HttpResponse:
    response = HttpResponse(csv_bytes(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="roster-template-{contracts.CONTRACT_VERSION}.csv"'
    return response
