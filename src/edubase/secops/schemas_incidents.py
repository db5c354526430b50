"""API schemas of secops: incidents, drills and the dashboard."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema


class IncidentIn(Schema):
    org_id: int
    title: str
    grade: str = Field(description="especially_major 特别重大 | major 重大 | relatively_major 较大 | general 一般")
    category: str = Field(description="GB/T 20986-2023 类别，如 malware、attack、data_security …")
    discovered_at: dt.datetime
    description: str = ""
    cii: bool = False
    asset_ids: list[int] = []
    system_ids: list[int] = []
    playbook: str = Field("", description="defacement | ransomware | data_leak | ddos（可空）")
    report_now: bool = True
    is_exercise: bool = False
    scenario: str = ""


class EvidenceOut(Schema):
    id: int
    original_name: str
    kind: str
    size: int
    digest_sm3: str


class ActionOut(Schema):
    id: int
    at: dt.datetime
    kind: str
    text: str
    actor: str | None
    evidence: list[EvidenceOut]

    @staticmethod
    def resolve_actor(obj: Any) -> str | None:
        return obj.actor.get_username() if obj.actor_id else None

    @staticmethod
    def resolve_evidence(obj: Any) -> list[Any]:
        return list(obj.evidence.all())


class TaskOut(Schema):
    id: int
    position: int
    title: str
    done: bool
    done_at: dt.datetime | None
    assignee: str | None

    @staticmethod
    def resolve_assignee(obj: Any) -> str | None:
        return obj.assignee.get_username() if obj.assignee_id else None


class IncidentOut(Schema):
    id: int
    number: str | None
    title: str
    org_id: int
    org_name: str
    grade: str
    grade_label: str
    category: str
    category_label: str
    cii: bool
    state: str
    state_label: str
    is_exercise: bool
    discovered_at: dt.datetime
    report_deadline: dt.datetime
    reported_at: dt.datetime | None
    reported_late: bool
    seconds_to_deadline: int | None
    escalated_at: dt.datetime | None
    escalated_to: str | None

    @staticmethod
    def resolve_org_name(obj: Any) -> str:
        return str(obj.org.name)

    @staticmethod
    def resolve_grade_label(obj: Any) -> str:
        return str(obj.get_grade_display())

    @staticmethod
    def resolve_category_label(obj: Any) -> str:
        return str(obj.get_category_display())

    @staticmethod
    def resolve_state_label(obj: Any) -> str:
        return str(obj.get_state_display())

    @staticmethod
    def resolve_seconds_to_deadline(obj: Any) -> int | None:
        from edubase.secops.incidents import countdown

        clock = countdown(obj)
        return clock.seconds if clock.running else None

    @staticmethod
    def resolve_escalated_to(obj: Any) -> str | None:
        return str(obj.escalated_to.name) if obj.escalated_to_id else None


class IncidentDetailOut(IncidentOut):
    description: str
    playbook: str
    asset_ids: list[int]
    system_ids: list[int]
    responding_at: dt.datetime | None
    recovered_at: dt.datetime | None
    closed_at: dt.datetime | None
    post_report: str
    root_cause: str
    lessons: str
    scenario: str
    evaluation_score: int | None
    evaluation: str
    actions: list[ActionOut]
    tasks: list[TaskOut]

    @staticmethod
    def resolve_asset_ids(obj: Any) -> list[int]:
        return list(obj.assets.values_list("pk", flat=True))

    @staticmethod
    def resolve_system_ids(obj: Any) -> list[int]:
        return list(obj.systems.values_list("pk", flat=True))

    @staticmethod
    def resolve_actions(obj: Any) -> list[Any]:
        from edubase.secops.incidents import timeline

        return list(timeline(obj))

    @staticmethod
    def resolve_tasks(obj: Any) -> list[Any]:
        from edubase.secops.incidents import tasks_of

        return list(tasks_of(obj))


class TransitionIn(Schema):
    to: str = Field(description="reported | responding | recovered | closed")
    note: str = ""
    post_report: str = ""
    root_cause: str = ""
    lessons: str = ""


class TaskIn(Schema):
    title: str


class TaskPatch(Schema):
    done: bool | None = None
    assignee: str | None = Field(None, description="负责人的用户名；空字符串表示取消指派")


class EvaluationIn(Schema):
    score: int
    text: str


class PlaybookOut(Schema):
    key: str
    name: str
    steps: list[str]


class DashboardOut(Schema):
    as_of: dt.datetime
    source: str = "live"  # rollup | live
    note: str = ""
    systems_by_level: list[dict[str, Any]]
    assets_by_level: list[dict[str, Any]]
    compliance: dict[str, Any]
    findings: dict[str, Any]
    notices: dict[str, Any]
    incidents: dict[str, Any]
