"""API schemas of services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema


class MaterialSpecOut(Schema):
    name: str
    required: bool = False
    types: list[str] = []
    max_mb: float = 10
    template: str = ""


class ItemOut(Schema):
    code: str
    name: str
    legal_basis: str
    handling_level: str
    org_name: str
    promised_days: int
    legal_days: int
    materials: list[MaterialSpecOut]
    fees: str
    process_key: str
    channels: list[str]
    faq: list[dict[str, str]]

    @staticmethod
    def resolve_org_name(obj: Any) -> str:
        return str(obj.org.name)


class ApplyIn(Schema):
    item_code: str
    form_data: dict[str, Any] = {}
    org_id: int | None = None


class MaterialOut(Schema):
    id: int
    name: str
    original_name: str
    kind: str
    size: int
    digest_sm3: str
    uploaded_at: dt.datetime


class TaskBrief(Schema):
    id: int
    element_id: str
    title: str
    status: str
    due_at: dt.datetime | None


class ApplicationOut(Schema):
    id: int
    number: str | None
    item_code: str
    item_name: str
    org_name: str
    status: str
    status_label: str
    instance_id: int | None
    submitted_at: dt.datetime | None
    deadline: dt.datetime | None
    working_days_left: int | None
    completed_at: dt.datetime | None
    result_number: str
    decision_reason: str
    corrections: int

    @staticmethod
    def resolve_item_code(obj: Any) -> str:
        return str(obj.item.code)

    @staticmethod
    def resolve_item_name(obj: Any) -> str:
        return str(obj.item.name)

    @staticmethod
    def resolve_org_name(obj: Any) -> str:
        return str(obj.org.name)

    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_working_days_left(obj: Any) -> int | None:
        from edubase.services.selectors import working_days_left

        return working_days_left(obj)


class ApplicationDetailOut(ApplicationOut):
    form_data: dict[str, Any]
    materials: list[MaterialOut]
    open_tasks: list[TaskBrief]
    rating: int | None

    @staticmethod
    def resolve_materials(obj: Any) -> list[Any]:
        return list(obj.material_files.all())

    @staticmethod
    def resolve_open_tasks(obj: Any) -> list[Any]:
        from edubase.services.selectors import open_tasks

        return list(open_tasks(obj))

    @staticmethod
    def resolve_rating(obj: Any) -> int | None:
        rating = getattr(obj, "rating", None) if hasattr(obj, "rating") else None
        return int(rating.level) if rating is not None else None


class ResubmitIn(Schema):
    comment: str = ""


class RateIn(Schema):
    level: int
    comment: str = ""


class RatingOut(Schema):
    level: int
    comment: str
    at: dt.datetime


class HandleIn(Schema):
    decision: str
    reason: str = ""
