"""API schemas of data sharing and the life cycle."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema


class DecisionOut(Schema):
    field: str
    effect: str
    rule: str
    reason: str


class EvaluateIn(Schema):
    dataset_id: int
    requester_org_id: int
    fields: list[str]
    purpose: str


class PolicyOut(Schema):
    version: int
    rules: dict[str, Any]


class PolicyIn(Schema):
    rules: dict[str, Any]
    note: str = ""


class RequestIn(Schema):
    dataset_id: int
    requester_org_id: int
    fields: list[str]
    purpose: str = Field(..., description="用途代码：student_status、financial_aid、statistics …")
    purpose_detail: str
    period_start: dt.date
    period_end: dt.date
    delivery: str = "extract"
    row_org_id: int | None = None


class RequestOut(Schema):
    id: int
    number: str | None
    status: str
    dataset_id: int
    dataset_name: str = Field(..., alias="dataset.name")
    org_id: int
    requester_id: int
    requester_org_id: int
    fields: list[str]
    purpose: str
    purpose_detail: str
    period_start: dt.date
    period_end: dt.date
    delivery: str
    grade_category: str
    approval_levels: list[str]
    decisions: list[DecisionOut]
    decision_reason: str
    created_at: dt.datetime
    decided_at: dt.datetime | None


class HandleIn(Schema):
    decision: str
    reason: str = ""


class ReasonIn(Schema):
    reason: str


class GrantOut(Schema):
    id: int
    request_id: int
    dataset_id: int
    org_id: int
    recipient_id: int
    recipient_org_id: int
    effects: dict[str, str]
    row_scope: str
    valid_from: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    state: str
    reads: int


class TokenOut(Schema):
    prefix: str
    token: str = Field(..., description="只显示一次，请妥善保存")


class FeedOut(Schema):
    grant_id: int
    fields: list[str]
    rows: list[list[str]]
    offset: int


class TraceOut(Schema):
    id: int
    grant_id: int | None
    method: str
    matched_rows: int
    checked_rows: int


class RetentionIn(Schema):
    dataset_id: int
    retain_days: int
    on_expiry: str
    basis: str = ""
    starts_on: dt.date | None = None


class RetentionOut(Schema):
    id: int
    dataset_id: int
    dataset_name: str = Field(..., alias="dataset.name")
    retain_days: int
    starts_on: dt.date
    on_expiry: str
    basis: str
    state: str
    legal_hold: bool
    hold_reason: str


class CertificateOut(Schema):
    id: int
    number: str
    dataset_name: str
    payload: str
    signature: str
    signer_node: str
    key_version: int
    key_fingerprint: str
    issued_at: dt.datetime
    valid: bool = False


class ReadIn(Schema):
    dataset_id: int
    fields: list[str]
    purpose: str
    limit: int = 50


class ReadOut(Schema):
    fields: list[str]
    rows: list[list[str]]
    decisions: list[DecisionOut]
    row_filter: str
