"""API schemas of orgs: org nodes, schools with their codes and history, imports."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

from edubase.orgs.models import OrgKind, OrgStatus
from edubase.orgs.standards import gb2260
from edubase.orgs.standards.school_categories import category_label

_KIND_LABELS = dict(OrgKind.choices)
_STATUS_LABELS = dict(OrgStatus.choices)
CHANGE_LABELS = {
    "created": "设立",
    "renamed": "更名",
    "moved": "变更隶属关系",
    "recoded": "变更类别（重新赋码）",
    "closed": "撤销",
}


class OrgRef(Schema):
    id: int
    code: str
    name: str


class OrgOut(Schema):
    id: int
    kind: str
    kind_label: str
    name: str
    code: str
    region_code: str
    school_category: str
    status: str
    status_label: str
    address: str
    depth: int
    has_children: bool

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return str(_KIND_LABELS.get(obj.kind, obj.kind))

    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        return str(_STATUS_LABELS.get(obj.status, obj.status))

    @staticmethod
    def resolve_has_children(obj: Any) -> bool:
        return bool(obj.numchild)


class SchoolOut(Schema):
    id: int
    name: str
    code: str = Field(..., description="学校标识码（10 位）")
    category: str = Field(..., alias="school_category", description="学校类别码")
    category_label: str
    region_code: str = Field(..., description="所在行政区划代码（GB/T 2260）")
    region_name: str
    status: str
    status_label: str
    address: str

    @staticmethod
    def resolve_category_label(obj: Any) -> str:
        return category_label(obj.school_category)

    @staticmethod
    def resolve_region_name(obj: Any) -> str:
        return gb2260.name_of(obj.region_code) or ""

    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        return str(_STATUS_LABELS.get(obj.status, obj.status))


class SchoolCodeOut(Schema):
    code: str
    category: str
    category_label: str
    issued_at: datetime
    retired_at: datetime | None
    successor: str | None = Field(None, description="停用后接替的新代码")

    @staticmethod
    def resolve_category_label(obj: Any) -> str:
        return category_label(obj.category)

    @staticmethod
    def resolve_successor(obj: Any) -> str | None:
        return obj.successor_id


class OrgHistoryOut(Schema):
    name: str
    code: str
    parent: OrgRef | None
    change: str
    change_label: str
    valid_from: datetime
    valid_to: datetime | None

    @staticmethod
    def resolve_change_label(obj: Any) -> str:
        return CHANGE_LABELS.get(obj.change, obj.change)


class SchoolDetailOut(Schema):
    school: SchoolOut
    parent: OrgRef | None
    prefecture: OrgRef | None
    codes: list[SchoolCodeOut] = Field(..., description="历次学校标识码（含已停用）")
    history: list[OrgHistoryOut] = Field(..., description="机构沿革：名称、代码与隶属关系")


class SchoolIn(Schema):
    parent_id: int = Field(..., description="上级机构（通常为县区）")
    name: str = Field(..., max_length=100)
    category: str = Field(..., min_length=2, max_length=2, description="学校类别码，如 21（小学）")
    address: str = Field("", max_length=200)
    region_code: str | None = Field(None, min_length=6, max_length=6, description="默认取上级机构的行政区划代码")


class SchoolPatch(Schema):
    name: str | None = Field(None, max_length=100, description="更名（学校标识码不变）")
    parent_id: int | None = Field(None, description="迁移到新的上级机构")
    category: str | None = Field(None, min_length=2, max_length=2, description="变更类别（停用旧码并重新赋码）")
    address: str | None = Field(None, max_length=200)
    status: Literal["closed"] | None = Field(None, description="closed：撤销学校")


class ImportReportOut(Schema):
    created: int
    updated: int
    unchanged: int
    encoding: str
    codes: list[str] = Field(..., description="新建学校的学校标识码")
