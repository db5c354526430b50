"""API routes of secops: log sources (日志源), mounted at ``/secops/sources`` by edubase.api.

The routes are thin over ``source_admin`` (scoped reads, enable/edit, configurations, recent events),
which the console pages (``views_sources``) use too.

A source is read with ``secops.view`` on its org and changed with ``secops.change`` there; the
ingest token is answered once (at registration and rotation) and never stored. Rejections at
the door (unknown senders, bad tokens) belong to no org: they are shown to those who hold
``secops.manage`` on a province or a city (the monitoring centres).
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from edubase.core.pagination import CursorPagination
from edubase.secops import registry
from edubase.secops.logs import sources
from edubase.secops.models import IngestRejection, LogSource, SourceFormat
from edubase.secops.source_admin import (  # noqa: F401 - the services the routes call
    CHANGE,
    EVENT_FIELDS,
    HTTP_PORT,
    MANAGE,
    RECENT_DAYS,
    RECENT_EVENTS,
    REJECTION_REASONS,
    STORE_UNAVAILABLE,
    SYSLOG_PORT,
    TOKEN_PLACEHOLDER,
    VIEW,
    Endpoint,
    endpoint,
    get_source,
    may_change,
    may_see_rejections,
    org_by_id,
    reason_label,
    recent_events,
    rejections_for,
    set_enabled,
    snippets,
    sources_for,
    split_ips,
    update_source,
)

router = Router()


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


# --- scoped reads ------------------------------------------------------------------------------


class SourceOut(Schema):
    id: int
    name: str
    org_id: int
    org_name: str
    org_code: str
    format: str
    format_label: str
    sender_ips: list[str]
    enabled: bool
    token_prefix: str
    accepted: int
    unparsed: int
    last_event_at: dt.datetime | None
    created_at: dt.datetime

    @staticmethod
    def resolve_org_name(obj: LogSource) -> str:
        return obj.org.name

    @staticmethod
    def resolve_org_code(obj: LogSource) -> str:
        return obj.org.code

    @staticmethod
    def resolve_format_label(obj: LogSource) -> str:
        return str(obj.get_format_display())

    @staticmethod
    def resolve_sender_ips(obj: LogSource) -> list[str]:
        return [str(v) for v in (obj.sender_ips or [])]


class SnippetOut(Schema):
    key: str
    title: str
    text: str


class EndpointOut(Schema):
    host: str
    syslog_port: int
    http_port: int
    http_url: str


class SourceTokenOut(Schema):
    """The token is in this answer only: edubase keeps its SM3 digest, never the token."""

    source: SourceOut
    token: str
    endpoint: EndpointOut
    snippets: list[SnippetOut]


class EventOut(Schema):
    id: str
    timestamp: dt.datetime | None
    dataset: str
    action: str
    host: str
    source_ip: str
    user: str
    status: int | None
    parsed: bool
    text: str


class SourceDetailOut(SourceOut):
    events: list[EventOut]
    store_note: str
    endpoint: EndpointOut
    snippets: list[SnippetOut]


class RejectionOut(Schema):
    peer: str
    reason: str
    reason_label: str
    count: int
    first_at: dt.datetime
    last_at: dt.datetime

    @staticmethod
    def resolve_reason_label(obj: IngestRejection) -> str:
        return reason_label(obj.reason)


class SourceIn(Schema):
    org_id: int | None = Field(None, description="所属单位编号（与 org_code 二选一）")
    org_code: str | None = Field(None, description="所属单位代码：学校标识码或行政区划代码")
    name: str
    format: str = Field(SourceFormat.AUTO.value, description="日志格式：" + "、".join(SourceFormat.values))
    sender_ips: list[str] | str = Field(default_factory=list, description="syslog 发送端 IP 或网段（CIDR）")


class SourcePatch(Schema):
    name: str | None = None
    format: str | None = None
    sender_ips: list[str] | str | None = None


class ToggleIn(Schema):
    enabled: bool


class SourceFilters(Schema):
    org_id: int | None = Field(None, description="单位（含下级）")
    enabled: bool | None = None
    q: str | None = Field(None, description="名称、单位名称或单位代码")


def _endpoint_dict(end: Endpoint) -> dict[str, Any]:
    return {"host": end.host, "syslog_port": end.syslog_port, "http_port": end.http_port, "http_url": end.http_url}


def _token_answer(request: HttpRequest, source: LogSource, token: str) -> dict[str, Any]:
    end = endpoint(request)
    return {
        "source": source,
        "token": token,
        "endpoint": _endpoint_dict(end),
        "snippets": snippets(end, token, source_name=source.name),
    }


# --- routes ----------------------------------------------------------------------------------


@router.get("", response=list[SourceOut], summary="日志源列表 / log sources in scope")
@paginate(CursorPagination)
def list_sources(request: HttpRequest, filters: Query[SourceFilters], **kwargs: Any) -> Any:
    return sources_for(_actor(request), **filters.dict())


@router.post("", response={201: SourceTokenOut}, summary="登记日志源（令牌仅此一次返回） / register a source")
def create_source(request: HttpRequest, payload: SourceIn) -> Status[dict[str, Any]]:
    actor = _actor(request)
    if payload.org_id is not None:
        org = org_by_id(actor, payload.org_id)
    else:
        org = registry.org_by_code(actor, code=(payload.org_code or "").strip())
    source, token = sources.register_source(
        actor=actor, org=org, name=payload.name, format=payload.format, sender_ips=split_ips(payload.sender_ips)
    )
    return Status(201, _token_answer(request, source, token))


@router.get("/rejections", response=list[RejectionOut], summary="接入拒绝记录 / refused senders (province/city)")
def list_rejections(request: HttpRequest, limit: int = 100) -> list[IngestRejection]:
    return rejections_for(_actor(request), limit=max(1, min(limit, 500)))


@router.get("/{int:source_id}", response=SourceDetailOut, summary="日志源详情与最近事件 / one source")
def source_detail(request: HttpRequest, source_id: int) -> LogSource:
    source = get_source(_actor(request), pk=source_id)
    events, note = recent_events(source)
    end = endpoint(request)
    extra = {
        "events": events,
        "store_note": note,
        "endpoint": _endpoint_dict(end),
        "snippets": snippets(end, None, source_name=source.name),
    }
    for key, value in extra.items():  # read by SourceDetailOut next to the model's own fields
        setattr(source, key, value)
    return source


@router.patch("/{int:source_id}", response=SourceOut, summary="修改日志源（名称、格式、发送端地址）")
def patch_source(request: HttpRequest, source_id: int, payload: SourcePatch) -> LogSource:
    actor = _actor(request)
    source = get_source(actor, pk=source_id)
    return update_source(actor=actor, source=source, data=payload.dict(exclude_unset=True))


@router.post("/{int:source_id}/rotate", response=SourceTokenOut, summary="更换接入令牌（新令牌仅此一次返回）")
def rotate(request: HttpRequest, source_id: int) -> dict[str, Any]:
    actor = _actor(request)
    source = get_source(actor, pk=source_id)
    token = sources.rotate_token(actor=actor, source=source)
    return _token_answer(request, source, token)


@router.post("/{int:source_id}/toggle", response=SourceOut, summary="启用/停用日志源 / enable or disable")
def toggle(request: HttpRequest, source_id: int, payload: ToggleIn) -> LogSource:
    actor = _actor(request)
    source = get_source(actor, pk=source_id)
    return set_enabled(actor=actor, source=source, enabled=payload.enabled)
