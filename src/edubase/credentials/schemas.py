"""API schemas of credentials."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema


class TemplateOut(Schema):
    id: int
    code: str
    version: int
    kind: str
    name: str
    type_code: str
    fields: list[dict[str, Any]]
    rules: dict[str, Any]
    issuer_kinds: list[str]


class IssuerIn(Schema):
    org_id: int
    uscc: str = ""


class IssuerKeyOut(Schema):
    kid: str
    alg: str
    key_version: int
    valid_from: dt.datetime
    valid_until: dt.datetime | None


class IssuerOut(Schema):
    id: int
    name: str
    uscc: str
    school_code: str
    org_id: int
    registry_url: str

    @staticmethod
    def resolve_registry_url(obj: Any) -> str:
        from edubase.credentials.issuers import issuer_id

        return issuer_id(obj.uscc)


class CertificateOut(Schema):
    id: int
    identifier: str
    template: str
    issuer: str
    holder_name: str
    status: str
    status_label: str
    issued_at: dt.datetime
    valid_until: dt.datetime | None

    @staticmethod
    def resolve_template(obj: Any) -> str:
        return str(obj.template.name)

    @staticmethod
    def resolve_issuer(obj: Any) -> str:
        return str(obj.issuer.name)

    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        return str(obj.get_status_display())


class CertificateDetailOut(CertificateOut):
    serial: str
    version: int
    subject: dict[str, Any]
    status_reason: str
    successor: str | None
    jws: str
    verification_url: str

    @staticmethod
    def resolve_successor(obj: Any) -> str | None:
        return obj.successor.identifier if obj.successor_id else None

    @staticmethod
    def resolve_verification_url(obj: Any) -> str:
        from edubase.credentials.pdf import verification_url

        return verification_url(obj.identifier, obj.jws)


class StatusIn(Schema):
    action: str = Field(description="revoke | suspend | reinstate | cancel")
    reason: str


class BulkStatusIn(StatusIn):
    ids: list[int] = Field(default=[], max_length=100000)
    batch_id: int | None = None


class ReissueIn(Schema):
    reason: str
    changes: dict[str, Any] = {}


class BatchOut(Schema):
    id: int
    title: str
    issuer: str
    template: str
    source: str
    status: str
    status_label: str
    total: int
    issued: int
    created_at: dt.datetime

    @staticmethod
    def resolve_issuer(obj: Any) -> str:
        return str(obj.issuer.name)

    @staticmethod
    def resolve_template(obj: Any) -> str:
        return f"{obj.template.name} v{obj.template.version}"

    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        return str(obj.get_status_display())


class RegistryBatchIn(Schema):
    template: str = "graduation"
    year: int
    fields: dict[str, Any] = {}
    title: str = ""


class DecideIn(Schema):
    decision: str = Field(description="approve | reject")
    reason: str = ""


class VerifyIn(Schema):
    data: str = Field(description="证照标识、核验链接、JWS、证照 JSON 或离线码", max_length=1_000_000)


class ShareIn(Schema):
    certificate_id: int
    days: int = 90


class ShareOut(Schema):
    token: str
    url: str
    expires_at: dt.datetime


class VerificationOut(Schema):
    identifier: str
    at: dt.datetime
    channel: str
    valid: bool
    failed_check: str
    verifier: str
