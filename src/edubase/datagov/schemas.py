"""API schemas of the data catalogue; a source's password is accepted, never returned."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Field, Schema

from edubase.datagov.classify import ENTITIES
from edubase.datagov.models import DataField, Dataset, DataSource


class SourceOut(Schema):
    id: uuid.UUID
    name: str
    kind: str
    org_id: int
    org_name: str
    system_name: str
    description: str
    location: str
    host: str
    port: int | None
    database: str
    username: str
    has_password: bool
    last_scanned_at: dt.datetime | None
    last_scan_summary: dict[str, Any]

    @staticmethod
    def resolve_org_name(obj: DataSource) -> str:
        return obj.org.name

    @staticmethod
    def resolve_has_password(obj: DataSource) -> bool:
        return obj.has_secret


class SourceIn(Schema):
    org_id: int = Field(..., description="所属单位编号")
    name: str
    kind: str = Field(..., description="file | postgresql | mysql | sqlite")
    system_name: str = ""
    description: str = ""
    location: str = Field("", description="文件或 SQLite 数据库在服务器上的路径（文件类数据源）")
    host: str = ""
    port: int | None = None
    database: str = ""
    username: str = ""
    password: str | None = Field(None, description="只写：保存后不再返回")


class SourcePatch(Schema):
    name: str | None = None
    system_name: str | None = None
    description: str | None = None
    location: str | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None
    username: str | None = None
    password: str | None = Field(None, description="只写；留空则保留原密码")
    clear_password: bool = False


class ScanIn(Schema):
    table: list[str] = Field(default_factory=list, description="只扫描这些表，可重复（缺省：全部）")


class CheckOut(Schema):
    ok: bool
    tables: list[str]


class TableReportOut(Schema):
    table: str
    dataset_id: int
    rows: int
    fields: int
    personal: int
    sensitive: int
    needs_review: int
    grade: str
    encoding: str | None


class ScanOut(Schema):
    source: str
    rule_set_version: int
    tables: list[TableReportOut]


class FieldOut(Schema):
    id: int
    name: str
    comment: str
    data_type: str
    data_element: str
    detected_entity: str
    entity: str
    entity_label: str
    confidence: float
    evidence: list[str]
    review_state: str
    grade_category: str
    grade_level: int
    grade_reason: str
    personal: bool
    sensitive: bool
    samples_masked: list[str]

    @staticmethod
    def resolve_data_element(obj: DataField) -> str:
        return obj.data_element.code if obj.data_element_id and obj.data_element else ""

    @staticmethod
    def resolve_entity_label(obj: DataField) -> str:
        return ENTITIES[obj.entity].label_zh if obj.entity in ENTITIES else ""


class DatasetOut(Schema):
    id: int
    name: str
    org_id: int
    org_name: str
    source_id: uuid.UUID | None
    source_table: str
    description: str
    tags: list[str]
    update_frequency: str
    steward: str
    row_count: int | None
    grade_category: str
    grade_level: int
    grade_reason: str
    personal: bool
    sensitive: bool
    minors_under_14: bool
    published: bool
    published_version: int
    last_scanned_at: dt.datetime | None

    @staticmethod
    def resolve_org_name(obj: Dataset) -> str:
        return obj.org.name

    @staticmethod
    def resolve_steward(obj: Dataset) -> str:
        return obj.steward.get_username() if obj.steward else ""


class LineageOut(Schema):
    nodes: list[dict[str, Any]]
    edges: list[list[int]]


class DatasetDetailOut(DatasetOut):
    fields: list[FieldOut]
    derived_from_ids: list[int]
    lineage: LineageOut


class DatasetIn(Schema):
    org_id: int
    name: str
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    update_frequency: str = "irregular"
    derived_from: list[int] = Field(default_factory=list, description="来源数据集编号")


class DatasetPatch(Schema):
    name: str | None = None
    description: str | None = None
    tags: list[str] | None = None
    update_frequency: str | None = None
    minors_under_14: bool | None = None
    derived_from: list[int] | None = None
    steward_id: int | None = Field(None, description="数据管理员（用户编号），须能查看本单位数据")


class ReviewIn(Schema):
    entity: str | None = Field(None, description="数据类别代码；null 表示不含个人信息")
    note: str = ""


class ReleaseOut(Schema):
    version: int
    published_at: dt.datetime


class CatalogueEntryOut(Schema):
    id: int
    name: str
    org_name: str
    description: str
    tags: list[str]
    update_frequency: str
    grade_category: str
    grade_level: int
    personal: bool
    sensitive: bool
    published_version: int
    published_at: dt.datetime | None

    @staticmethod
    def resolve_org_name(obj: Dataset) -> str:
        return obj.org.name


class CodeTableOut(Schema):
    id: int
    slug: str
    standard: str
    name: str
    version: str
    source: str
    items: int


class CodeItemOut(Schema):
    code: str
    name: str
    parent_code: str
    extra: dict[str, Any]


class CodeTableDetailOut(CodeTableOut):
    versions: list[str]
    entries: list[CodeItemOut]


class DataElementOut(Schema):
    code: str
    name: str
    standard: str
    data_type: str
    length: str
    code_table: str
    entity: str


class RuleSetOut(Schema):
    version: int
    active: bool
    note: str
    rules: dict[str, Any]
    created_at: dt.datetime | None


class RuleSetIn(Schema):
    rules: dict[str, Any]
    note: str = ""


class EntityOut(Schema):
    code: str
    label: str
    personal: bool
    sensitive: bool
    element: str
