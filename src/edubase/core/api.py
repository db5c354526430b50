"""API routes of the audit log (mounted at ``/audit`` by edubase.api)."""

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from edubase.core import audit
from edubase.core.errors import PermissionDenied, ValidationFailed
from edubase.core.pagination import CursorPagination
from edubase.core.selectors import audit_events_for, can_verify_audit_chain

router = Router()


class NewestFirstCursorPagination(CursorPagination):
    """Keyset pagination by descending integer primary key: newest first, stable under inserts.

    ``next`` is the last id of the page; the next page holds ids below it.
    """

    def paginate_queryset(
        self,
        queryset: QuerySet[Any],
        pagination: CursorPagination.Input,
        request: HttpRequest | None = None,
        **params: Any,
    ) -> dict[str, Any]:
        rows = queryset.order_by("-pk")
        if pagination.cursor:
            try:
                below = int(pagination.cursor)
            except ValueError as exc:
                raise ValidationFailed("分页游标无效", details={"cursor": pagination.cursor}) from exc
            rows = rows.filter(pk__lt=below)
        page = list(rows[: pagination.limit + 1])
        more = len(page) > pagination.limit
        page = page[: pagination.limit]
        return {"items": page, "next": str(page[-1].pk) if more and page else None}


class AuditEventOut(Schema):
    id: int
    at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    org_id: int | None = Field(None, alias="org_id_ref")
    org_path: str
    before: Any = None
    after: Any = None
    request_id: str
    ip: str
    channel: str


class AuditFilters(Schema):
    action: str | None = Field(None, description="操作代码，如 accounts.login；以 * 结尾按前缀匹配")
    actor: str | None = Field(None, description="操作人用户名")
    object_type: str | None = Field(None, description="对象类型，如 people.person")
    since: datetime | None = Field(None, description="起始时间（含）")
    until: datetime | None = Field(None, description="截止时间（不含）")


class VerificationOut(Schema):
    ok: bool
    checked: int
    first_bad_id: int | None
    reason: str


@router.get("/events", response=list[AuditEventOut], summary="审计日志（管辖范围内） / audit events in scope")
@paginate(NewestFirstCursorPagination)
def list_events(request: HttpRequest, filters: Query[AuditFilters], **kwargs: Any) -> Any:
    """Audit events about orgs where the caller holds ``audit.view``, newest first."""
    return audit_events_for(
        request.auth,  # type: ignore[attr-defined]
        action=filters.action,
        actor_label=filters.actor,
        object_type=filters.object_type,
        since=filters.since,
        until=filters.until,
    )


@router.get("/verify", response=VerificationOut, summary="校验审计链完整性 / verify the audit chain")
def verify_chain(request: HttpRequest) -> audit.AuditVerification:
    """Walk the whole chain and report the first broken link (system-wide audit scope only)."""
    if not can_verify_audit_chain(request.auth):  # type: ignore[attr-defined]
        raise PermissionDenied("只有具备全局审计权限的账号可以校验审计链")
    return audit.verify()
