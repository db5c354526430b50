"""API schemas of secops: notices and rectification (通报—整改)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema


class NoticeIn(Schema):
    target_org_id: int
    title: str
    severity: str
    required_actions: str
    finding_ids: list[int] = []
    incident_ids: list[int] = []
    issue_text: str = ""
    deadline: dt.datetime | None = None
    issuer_org_id: int | None = None


class NoticeOut(Schema):
    id: int
    number: str
    title: str
    severity: str
    severity_label: str
    status: str
    status_label: str
    org_id: int
    org_name: str
    org_code: str
    issuer_org_id: int
    issuer_org_name: str
    deadline: dt.datetime
    overdue: bool
    escalation_level: int
    escalated_to_name: str | None
    issued_at: dt.datetime
    acknowledged_at: dt.datetime | None
    retest_requested_at: dt.datetime | None
    closed_at: dt.datetime | None
    reopen_count: int

    @staticmethod
    def resolve_severity_label(obj: Any) -> str:
        return str(obj.get_severity_display())

    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_org_name(obj: Any) -> str:
        return str(obj.org.name)

    @staticmethod
    def resolve_org_code(obj: Any) -> str:
        return str(obj.org.code)

    @staticmethod
    def resolve_issuer_org_name(obj: Any) -> str:
        return str(obj.issuer_org.name)

    @staticmethod
    def resolve_escalated_to_name(obj: Any) -> str | None:
        return str(obj.escalated_to.name) if obj.escalated_to_id else None


class FindingBrief(Schema):
    id: int
    host: str
    port: str
    name: str
    severity: str
    status: str


class EvidenceOut(Schema):
    id: int
    original_name: str
    kind: str
    size: int
    digest_sm3: str
    note: str
    uploaded_at: dt.datetime


class EscalationOut(Schema):
    level: int
    org_name: str
    at: dt.datetime

    @staticmethod
    def resolve_org_name(obj: Any) -> str:
        return str(obj.org.name)


class HistoryOut(Schema):
    at: dt.datetime
    action: str
    step: str
    actor: str
    comment: str


class StepOut(Schema):
    element_id: str
    step: str
    title: str
    candidate_org_name: str


class NoticeDetailOut(NoticeOut):
    issue_text: str
    required_actions: str
    fix_summary: str
    verification_comment: str
    last_reopen_reason: str
    findings: list[FindingBrief]
    incident_ids: list[int]
    evidence: list[EvidenceOut]
    escalations: list[EscalationOut]
    current_step: StepOut | None
    actions: list[str]
    history: list[HistoryOut]

    @staticmethod
    def resolve_findings(obj: Any) -> list[Any]:
        return list(obj.findings.all().order_by("pk"))

    @staticmethod
    def resolve_incident_ids(obj: Any) -> list[int]:
        return list(obj.incidents.values_list("pk", flat=True))

    @staticmethod
    def resolve_evidence(obj: Any) -> list[Any]:
        return list(obj.evidence.all())

    @staticmethod
    def resolve_escalations(obj: Any) -> list[Any]:
        return list(obj.escalations.select_related("org"))


class AcknowledgeIn(Schema):
    comment: str = ""


class RetestIn(Schema):
    summary: str


class VerifyIn(Schema):
    decision: str
    comment: str = ""
