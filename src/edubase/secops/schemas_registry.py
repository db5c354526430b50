"""API schemas of the information-asset registry (systems, assets, assessments, history).

Dates and levels come in as text as well as typed values so that a bad one is refused by the
registry with a Chinese reason naming the field (``2024-02-30`` → 不存在的日期), not by the
schema layer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema

from edubase.secops import registry

Loose = str | int | float | bool | None
DateIn = str | dt.date | None


class SystemFilters(Schema):
    org_id: int | None = None
    level: int | None = None
    status: str | None = None
    overdue: Literal["filing", "assessment", "any"] | None = None
    cii: bool | None = None
    q: str | None = None


class AssetFilters(Schema):
    org_id: int | None = None
    kind: str | None = None
    status: str | None = None
    system_id: int | None = None
    registered: bool | None = None
    q: str | None = None


class SystemOut(Schema):
    id: int
    org_id: int
    org_code: str
    org_name: str
    name: str
    description: str
    status: str
    status_label: str
    internet_facing: bool
    responsible_name: str
    responsible_phone_masked: str
    data_held: str
    went_live_on: dt.date | None
    mlps_level: int | None
    graded_on: dt.date | None
    filing_number: str
    filed_on: dt.date | None
    filing_due: dt.date | None
    filing_overdue: bool
    cii: bool
    last_assessed_on: dt.date | None
    next_assessment_due: dt.date | None
    assessment_overdue: bool
    last_seen_at: dt.datetime | None
    decommissioned_at: dt.datetime | None
    updated_at: dt.datetime

    @staticmethod
    def resolve_org_code(obj: Any) -> str:
        return str(obj.org.code)

    @staticmethod
    def resolve_org_name(obj: Any) -> str:
        return str(obj.org.name)

    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_filing_overdue(obj: Any) -> bool:
        return registry.filing_overdue(obj) and obj.status != "decommissioned"

    @staticmethod
    def resolve_assessment_overdue(obj: Any) -> bool:
        return registry.assessment_overdue(obj) and obj.status != "decommissioned"


class SystemIn(Schema):
    org_id: int
    name: str
    description: str | None = None
    status: str | None = None
    internet_facing: Loose = None
    responsible_name: str | None = None
    responsible_phone: str | None = None
    data_held: str | None = None
    went_live_on: DateIn = None
    mlps_level: Loose = None
    graded_on: DateIn = None
    filing_number: str | None = None
    filed_on: DateIn = None
    cii: Loose = None


class SystemPatch(Schema):
    name: str | None = None
    description: str | None = None
    status: str | None = None
    internet_facing: Loose = None
    responsible_name: str | None = None
    responsible_phone: str | None = None
    data_held: str | None = None
    went_live_on: DateIn = None
    mlps_level: Loose = None
    graded_on: DateIn = None
    filing_number: str | None = None
    filed_on: DateIn = None
    cii: Loose = None


class AssetOut(Schema):
    id: int
    org_id: int
    org_code: str
    org_name: str
    system_id: int | None
    system_name: str
    kind: str
    kind_label: str
    name: str
    domain: str
    ip: str | None
    ip_range: str
    detail: str
    status: str
    status_label: str
    internet_exposed: bool
    registered: bool
    last_seen_at: dt.datetime | None
    decommissioned_at: dt.datetime | None
    updated_at: dt.datetime

    @staticmethod
    def resolve_org_code(obj: Any) -> str:
        return str(obj.org.code)

    @staticmethod
    def resolve_org_name(obj: Any) -> str:
        return str(obj.org.name)

    @staticmethod
    def resolve_system_name(obj: Any) -> str:
        return str(obj.system.name) if obj.system_id else ""

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        return str(obj.get_status_display())


class AssetIn(Schema):
    org_id: int
    system_id: int | None = None
    kind: str
    name: str | None = None
    domain: str | None = None
    ip: str | None = None
    ip_range: str | None = None
    detail: str | None = None
    status: str | None = None
    internet_exposed: Loose = None


class AssetPatch(Schema):
    system_id: int | None = None
    kind: str | None = None
    name: str | None = None
    domain: str | None = None
    ip: str | None = None
    ip_range: str | None = None
    detail: str | None = None
    status: str | None = None
    internet_exposed: Loose = None


class BulkIn(Schema):
    target: Literal["system", "asset"]
    ids: list[int]
    status: str | None = None
    responsible_name: str | None = None
    responsible_phone: str | None = None
    system_id: int | None = None


class BulkOut(Schema):
    changed: int
    unchanged: int


class AssessmentIn(Schema):
    assessed_on: DateIn = None
    conclusion: str
    agency: str = ""
    report_number: str = ""
    score: str | float | None = None


class AssessmentOut(Schema):
    id: int
    system_id: int
    assessed_on: dt.date
    agency: str
    report_number: str
    conclusion: str
    conclusion_label: str
    score: float | None

    @staticmethod
    def resolve_conclusion_label(obj: Any) -> str:
        return str(obj.get_conclusion_display())

    @staticmethod
    def resolve_score(obj: Any) -> float | None:
        return float(obj.score) if obj.score is not None else None


class ChangeOut(Schema):
    id: int
    at: dt.datetime
    action: str
    actor: str
    changes: dict[str, Any]

    @staticmethod
    def resolve_actor(obj: Any) -> str:
        return str(obj.actor.get_username()) if obj.actor_id else "系统"


class ImportReportOut(Schema):
    systems_created: int
    systems_updated: int
    systems_unchanged: int
    assets_created: int
    assets_updated: int
    assets_unchanged: int
    encoding: str


class ComplianceOut(Schema):
    path: str
    org_id: int | None
    code: str
    name: str
    systems: int
    filed: int
    filing_overdue: int
    filing_rate: float | None
    assessment_due: int
    assessment_overdue: int
    assessment_rate: float | None
