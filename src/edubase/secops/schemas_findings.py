"""API schemas of secops: vulnerability findings and scanner imports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema


class FindingFilters(Schema):
    severity: str | None = Field(None, description="危险等级，可逗号分隔：critical,high,medium,low,info")
    status: str | None = Field(None, description="状态，可逗号分隔：open,fixing,fixed,accepted,false_positive")
    org: int | None = Field(None, description="机构 id（含下级）")
    host: str | None = Field(None, description="主机 IP 或域名（精确）")
    cve: str | None = Field(None, description="CVE 编号，如 CVE-2024-5535")
    q: str | None = Field(None, description="漏洞名称或主机（模糊）")
    unknown_asset: bool | None = Field(None, description="仅未登记资产上的漏洞")
    age: int | None = Field(None, ge=0, le=36500, description="首次发现至今至少多少天")


class FindingOut(Schema):
    id: int
    org_id: int
    org_name: str
    host: str
    hostname: str
    port: str
    name: str
    signature: str
    cves: list[str]
    cvss: Decimal | None
    severity: str
    severity_label: str
    status: str
    status_label: str
    unknown_asset: bool
    asset_id: int | None
    first_seen: dt.datetime
    last_seen: dt.datetime
    reopened_count: int
    fixed_at: dt.datetime | None

    @staticmethod
    def resolve_org_name(obj: Any) -> str:
        return str(obj.org.name)

    @staticmethod
    def resolve_severity_label(obj: Any) -> str:
        return str(obj.get_severity_display())

    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        return str(obj.get_status_display())


class FindingChangeOut(Schema):
    at: dt.datetime
    actor_label: str
    from_status: str
    to_status: str
    reason: str
    scan_import_id: int | None

    @staticmethod
    def resolve_actor_label(obj: Any) -> str:
        return obj.actor.get_username() if obj.actor is not None else "系统"


class FindingDetailOut(FindingOut):
    description: str
    solution: str
    status_reason: str
    last_import_id: int | None
    allowed_statuses: list[str] = []
    history: list[FindingChangeOut] = []


class StatusIn(Schema):
    status: str = Field(description="open / fixing / fixed / accepted / false_positive")
    reason: str = Field("", max_length=500, description="处置说明；风险接受与误报必填")


class ScanImportOut(Schema):
    id: int
    org_id: int
    org_name: str
    uploaded_by: str
    uploaded_at: dt.datetime
    filename: str
    format: str
    digest_sm3: str
    scanned_at: dt.datetime | None
    counts: dict[str, int]

    @staticmethod
    def resolve_org_name(obj: Any) -> str:
        return str(obj.org.name)

    @staticmethod
    def resolve_uploaded_by(obj: Any) -> str:
        return str(obj.uploaded_by.get_username())
