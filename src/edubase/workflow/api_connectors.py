"""Connector routes (mounted at ``/workflow/connectors``): inbound cases, webhook subscriptions, statistics."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from edubase.core.errors import PermissionDenied
from edubase.core.scope import has_anywhere
from edubase.workflow import inbound, stats

router = Router()


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


class InboundCaseIn(Schema):
    source: str = Field(..., max_length=100, description="来源系统标识")
    external_id: str = Field(..., max_length=100, description="来源系统中的业务编号（幂等键）")
    process_key: str = Field(..., max_length=100)
    org_id: int
    data: dict[str, Any] = Field(default_factory=dict)
    submit: bool = True


class InboundCaseOut(Schema):
    case_id: int
    source: str
    external_id: str
    process: str
    state: str
    outcome: str
    created: bool


class SubscriptionIn(Schema):
    org_id: int
    name: str = Field(..., max_length=100)
    url: str = Field(..., max_length=500)
    event_types: list[str] = Field(default_factory=list)
    secret: str | None = Field(None, max_length=200)


class SubscriptionOut(Schema):
    id: str
    name: str
    org: str
    url: str
    event_types: list[str]
    active: bool
    created: dt.datetime


class SubscriptionCreatedOut(SubscriptionOut):
    secret: str


def _subscription(s: Any, secret: str | None = None) -> dict[str, Any]:
    row = {
        "id": str(s.pk),
        "name": s.name,
        "org": s.org.name,
        "url": s.url,
        "event_types": s.event_types,
        "active": s.active,
        "created": s.created,
    }
    if secret is not None:
        row["secret"] = secret
    return row


@router.post(
    "/cases",
    response={200: InboundCaseOut, 201: InboundCaseOut},
    summary="外部系统创建案件 / create a case from another system (idempotent on external_id)",
)
def create_case(request: HttpRequest, payload: InboundCaseIn) -> Status[dict[str, Any]]:
    result = inbound.create_case(
        actor=_actor(request),
        source=payload.source,
        external_id=payload.external_id,
        process_key=payload.process_key,
        org_id=payload.org_id,
        data=payload.data,
        submit=payload.submit,
    )
    case = inbound.refreshed(result.inbound)
    body = {
        "case_id": case.pk,
        "source": result.inbound.source,
        "external_id": result.inbound.external_id,
        "process": case.definition.key,
        "state": case.state,
        "outcome": case.outcome,
        "created": result.created,
    }
    return Status(201 if result.created else 200, body)


@router.get("/subscriptions", response=list[SubscriptionOut], summary="事件订阅 / webhook subscriptions")
def subscriptions(request: HttpRequest) -> list[dict[str, Any]]:
    return [_subscription(s) for s in inbound.subscriptions_for(_actor(request))]


@router.post(
    "/subscriptions", response={201: SubscriptionCreatedOut}, summary="新建事件订阅 / subscribe to case events"
)
def create_subscription(request: HttpRequest, payload: SubscriptionIn) -> Status[dict[str, Any]]:
    subscription, secret = inbound.create_subscription(
        actor=_actor(request),
        org_id=payload.org_id,
        name=payload.name,
        url=payload.url,
        event_types=payload.event_types,
        secret=payload.secret,
    )
    return Status(201, _subscription(subscription, secret))


@router.get("/stats", summary="办理统计 / on-time rate, handling time, correction rate")
def workflow_stats(
    request: HttpRequest, process: str | None = None, since: dt.date | None = None, until: dt.date | None = None
) -> dict[str, Any]:
    def start_of(day: dt.date | None) -> dt.datetime | None:
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min)) if day is not None else None

    if not has_anywhere(_actor(request), "orgs.view"):
        raise PermissionDenied("您没有查看办理统计的权限（需要查看机构权限）")
    return stats.workflow_stats(_actor(request), process=process, since=start_of(since), until=start_of(until))
