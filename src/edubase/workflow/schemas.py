"""API schemas of the workflow router."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema


class TaskOut(Schema):
    id: int
    instance_id: int
    process: str = Field(..., alias="instance.definition.name")
    title: str
    element_id: str
    role_code: str
    candidate_org: str = Field(..., alias="candidate_org.name")
    status: str
    claimed_by: str | None = None
    due_at: dt.datetime | None
    created: dt.datetime

    @staticmethod
    def resolve_claimed_by(obj: Any) -> str | None:
        return str(obj.claimed_by) if obj.claimed_by_id else None


class CompleteIn(Schema):
    data: dict[str, Any] = Field(default_factory=dict, description="表单数据（流转条件引用其中的字段）")
    comment: str = Field("", max_length=2000, description="办理意见")


class ReturnIn(Schema):
    comment: str = Field(..., min_length=1, max_length=2000, description="退回理由")


class CaseEventOut(Schema):
    at: dt.datetime
    actor: str = Field(..., alias="actor_label")
    action: str
    step: str | None = None
    comment: str
    data: dict[str, Any]

    @staticmethod
    def resolve_step(obj: Any) -> str | None:
        return obj.task.title if obj.task_id else None


class InstanceOut(Schema):
    id: int
    process: str
    version: int
    org: str
    state: str
    outcome: str
    created: dt.datetime
    history: list[CaseEventOut]
    open_tasks: list[TaskOut]


class DefinitionIn(Schema):
    key: str = Field(..., max_length=100, pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(..., max_length=200)
    bpmn_xml: str = Field(..., max_length=2_000_000)


class DefinitionOut(Schema):
    id: int
    key: str
    version: int
    name: str
    digest_sm3: str
    published_at: dt.datetime
