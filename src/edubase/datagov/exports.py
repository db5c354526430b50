"""Exports for regulators: the data catalogue (数据目录) and the important-data list (重要数据目录), XLSX or JSON.

Both cover the datasets in the actor's ``datagov.view`` scope (published or not: a regulator
files what exists); samples are never exported. Every export is audited.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from edubase.core import audit
from edubase.core.errors import ValidationFailed
from edubase.datagov.models import Dataset, GradeCategory
from edubase.datagov.selectors import datasets_for
from edubase.datagov.services import catalogue_entry

FORMATS = ("xlsx", "json")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

CATALOGUE_HEADERS = (
    "数据集编号", "数据集名称", "所属单位", "单位代码", "描述", "标签", "来源系统", "源表/文件", "更新频率",
    "数据管理员", "记录数", "数据级别", "级别序号", "定级依据", "含个人信息", "含敏感个人信息",
    "含不满十四周岁未成年人信息", "来源数据集", "已发布", "发布版本",
)  # fmt: skip
FIELD_HEADERS = (
    "数据集编号", "数据集名称", "字段名", "字段注释", "数据类型", "数据元", "数据类别", "数据级别", "级别序号",
    "个人信息", "敏感个人信息",
)  # fmt: skip
IMPORTANT_HEADERS = (
    "序号", "数据名称", "数据级别", "数据处理者", "单位代码", "数据描述", "数据来源", "数据规模（条）",
    "涉及个人信息", "涉及敏感个人信息", "涉及不满十四周岁未成年人", "更新频率", "数据管理员", "定级依据",
    "字段数",
)  # fmt: skip


@dataclass(frozen=True)
class Export:
    """A file to hand back: its bytes, media type and file name."""

    content: bytes
    content_type: str
    filename: str


def _yes(value: bool) -> str:
    return "是" if value else "否"


def _datasets(actor: Any, *, important: bool) -> QuerySet[Dataset]:
    datasets = datasets_for(actor).prefetch_related("derived_from", "fields__data_element").order_by("org_path", "name")
    if important:
        datasets = datasets.filter(grade_category__in=[GradeCategory.IMPORTANT, GradeCategory.CORE])
    return datasets


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValidationFailed("导出格式应为 xlsx 或 json")


def _xlsx(sheets: Sequence[tuple[str, Sequence[str], list[list[Any]]]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        header_cells = []
        for name in headers:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = Font(bold=True)
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in rows:
            sheet.append(["" if v is None else v for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_catalogue(*, actor: Any, fmt: str) -> Export:
    """The catalogue of every dataset in scope, with its fields."""
    _check_format(fmt)
    entries = [catalogue_entry(d) | {"published": d.published} for d in _datasets(actor, important=False)]
    stamp = timezone.localtime().strftime("%Y%m%d")
    audit.record(
        actor=actor,
        action="datagov.catalogue.exported",
        object_type="datagov.catalogue",
        after={"format": fmt, "datasets": len(entries)},
    )
    if fmt == "json":
        body = {"title": "教育数据目录", "generated_at": timezone.now().isoformat(), "datasets": entries}
        return Export(
            json.dumps(body, ensure_ascii=False, indent=2).encode(), "application/json", f"数据目录-{stamp}.json"
        )
    rows = [
        [
            e["id"], e["name"], e["org"], e["org_code"], e["description"], "、".join(e["tags"]), e["source_system"],
            e["source_table"], e["update_frequency"], e["steward"], e["rows"], e["grade"], e["grade_level"],
            e["grade_reason"], _yes(e["personal"]), _yes(e["sensitive"]), _yes(e["minors_under_14"]),
            "、".join(e["derived_from"]), _yes(e["published"]), e["version"],
        ]
        for e in entries
    ]  # fmt: skip
    field_rows = [
        [
            e["id"], e["name"], f["name"], f["comment"], f["data_type"], f["data_element"], f["entity_label"],
            str(dict(GradeCategory.choices).get(f["grade_category"], f["grade_category"])), f["grade_level"],
            _yes(f["personal"]), _yes(f["sensitive"]),
        ]
        for e in entries
        for f in e["fields"]
    ]  # fmt: skip
    content = _xlsx([("数据集", CATALOGUE_HEADERS, rows), ("数据项", FIELD_HEADERS, field_rows)])
    return Export(content, XLSX_TYPE, f"数据目录-{stamp}.xlsx")


def export_important(*, actor: Any, fmt: str) -> Export:
    """The important-data list (重要数据目录): important and core datasets in scope."""
    _check_format(fmt)
    datasets = list(_datasets(actor, important=True))
    stamp = timezone.localtime().strftime("%Y%m%d")
    entries: list[dict[str, Any]] = []
    for number, d in enumerate(datasets, start=1):
        entries.append(
            {
                "number": number,
                "name": d.name,
                "grade": str(d.get_grade_category_display()),
                "processor": d.org.name,
                "org_code": d.org.code,
                "description": d.description,
                "source": (d.source.system_name or d.source.name) if d.source else "",
                "rows": d.row_count,
                "personal": d.personal,
                "sensitive": d.sensitive,
                "minors_under_14": d.minors_under_14,
                "update_frequency": str(d.get_update_frequency_display()),
                "steward": d.steward.get_username() if d.steward else "",
                "reason": d.grade_reason,
                "fields": len(d.fields.all()),
            }
        )
    audit.record(
        actor=actor,
        action="datagov.important.exported",
        object_type="datagov.catalogue",
        after={"format": fmt, "datasets": len(entries)},
    )
    if fmt == "json":
        body = {
            "title": "重要数据目录",
            "standard": "GB/T 43697-2024",
            "generated_at": timezone.now().isoformat(),
            "datasets": entries,
        }
        return Export(
            json.dumps(body, ensure_ascii=False, indent=2).encode(), "application/json", f"重要数据目录-{stamp}.json"
        )
    rows = [
        [
            e["number"], e["name"], e["grade"], e["processor"], e["org_code"], e["description"], e["source"], e["rows"],
            _yes(e["personal"]), _yes(e["sensitive"]), _yes(e["minors_under_14"]), e["update_frequency"], e["steward"],
            e["reason"], e["fields"],
        ]
        for e in entries
    ]  # fmt: skip
    return Export(_xlsx([("重要数据目录", IMPORTANT_HEADERS, rows)]), XLSX_TYPE, f"重要数据目录-{stamp}.xlsx")
