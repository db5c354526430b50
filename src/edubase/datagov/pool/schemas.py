"""API schemas of the pool."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema


class SubmissionOut(Schema):
    id: int
    school_id: int
    school_name: str
    channel: str
    filename: str
    encoding: str
    digest: str
    contract_version: str
    status: str
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: list[dict[str, Any]]
    submitted_at: dt.datetime
    duplicate: bool = False

    @staticmethod
    def resolve_school_name(obj: Any) -> str:
        return str(obj.school.name)


class RowsIn(Schema):
    rows: list[dict[str, Any]]


class RecordOut(Schema):
    id: str
    school_id: int
    school_name: str
    id_kind: str
    number_masked: str
    name: str
    sex: str
    birth_date: dt.date
    ethnicity: str
    grade: str
    class_name: str
    guardian_phone_masked: str
    golden_id: str | None
    golden_sources: int
    updated_at: dt.datetime

    @staticmethod
    def resolve_id(obj: Any) -> str:
        return str(obj.pk)

    @staticmethod
    def resolve_school_name(obj: Any) -> str:
        return str(obj.school.name)

    @staticmethod
    def resolve_golden_id(obj: Any) -> str | None:
        return str(obj.golden_id) if obj.golden_id else None

    @staticmethod
    def resolve_golden_sources(obj: Any) -> int:
        """Rows (of any school) merged into this pupil's golden record; only the count is shown."""
        return int(obj.golden.sources) if obj.golden_id else 0


class ScoreOut(Schema):
    org_id: int
    org_name: str
    org_code: str
    level: str
    rows: int
    score: float
    dimensions: dict[str, float]
    failures: dict[str, int]

    @staticmethod
    def resolve_org_name(obj: Any) -> str:
        return str(obj.org.name)

    @staticmethod
    def resolve_org_code(obj: Any) -> str:
        return str(obj.org.code)


class RunOut(Schema):
    id: int
    started_at: dt.datetime
    rows: int
    seconds: float


class TrendPoint(Schema):
    run: int
    at: str
    score: float
    dimensions: dict[str, float]


class ReviewOut(Schema):
    id: int
    record_id: str
    record_name: str
    record_school: str
    candidate_id: str
    candidate_name: str
    candidate_number_masked: str
    birth_date: dt.date
    score: float
    evidence: dict[str, float]
    status: str

    @staticmethod
    def resolve_record_id(obj: Any) -> str:
        return str(obj.record_id)

    @staticmethod
    def resolve_record_name(obj: Any) -> str:
        return str(obj.record.name)

    @staticmethod
    def resolve_record_school(obj: Any) -> str:
        return str(obj.record.school.name)

    @staticmethod
    def resolve_candidate_id(obj: Any) -> str:
        return str(obj.candidate_id)

    @staticmethod
    def resolve_candidate_name(obj: Any) -> str:
        return str(obj.candidate.name)

    @staticmethod
    def resolve_candidate_number_masked(obj: Any) -> str:
        return str(obj.candidate.number_masked)

    @staticmethod
    def resolve_birth_date(obj: Any) -> dt.date:
        return obj.record.birth_date


class DecideIn(Schema):
    merge: bool


class ConflictOut(Schema):
    id: int
    kind: str
    kind_label: str
    school_name: str
    other_school: str
    record_name: str
    detail: dict[str, Any]
    resolved: bool
    created_at: dt.datetime
