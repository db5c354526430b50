"""Console pages of secops: log sources (日志源) — list, register (token shown once with sender
configurations), detail with recent events, edit, rotate the token, enable/disable.

Thin over ``source_admin`` (scoped reads, enable/edit, configurations) and ``logs.sources``
(registration, token rotation): the API uses the same functions.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from edubase.core.errors import DomainError, ValidationFailed
from edubase.core.middleware import abort_writes
from edubase.core.scope import has_anywhere
from edubase.core.web import console_page as page
from edubase.core.web import flag_param, int_param
from edubase.secops import registry
from edubase.secops import source_admin as svc
from edubase.secops.logs import sources
from edubase.secops.models import LogSource, SourceFormat

FORM_FIELDS = ("org_code", "name", "format", "sender_ips")


def _field_errors(error: DomainError) -> dict[str, str]:
    """``{field: message}`` from a service error's details (a dict of lists, or a list of rows)."""
    details = error.details
    found: dict[str, str] = {}
    if isinstance(details, dict):
        for key, value in details.items():
            if key in FORM_FIELDS:
                found[key] = (
                    error.message if key == "sender_ips" else str(value[0] if isinstance(value, list) else value)
                )
    elif isinstance(details, list):
        for row in details:
            if isinstance(row, dict) and row.get("field") in FORM_FIELDS:
                found[str(row["field"])] = error.message
    return found


def _form(
    request: HttpRequest,
    source: LogSource | None,
    values: dict[str, str],
    *,
    error: DomainError | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "source": source,
        "values": values,
        "formats": SourceFormat.choices,
        "error": error,
        "errors": _field_errors(error) if error is not None else {},
        "endpoint": svc.endpoint(request),
    }
    return render(request, "secops/sources_form.html", context, status=status)


def _token_page(request: HttpRequest, source: LogSource, token: str, *, rotated: bool) -> HttpResponse:
    end = svc.endpoint(request)
    context = {
        "source": source,
        "token": token,
        "rotated": rotated,
        "endpoint": end,
        "snippets": svc.snippets(end, token, source_name=source.name),
    }
    response = render(request, "secops/sources_token.html", context)
    response["Cache-Control"] = "no-store"  # the token must not stay in a cache
    return response


@require_GET
@page(svc.VIEW)
def source_list(request: HttpRequest) -> HttpResponse:
    """Sources in scope with their counters; the refusals at the door for province/city monitoring."""
    actor = request.user
    filters = {k: request.GET.get(k, "") for k in ("q", "org", "enabled")}
    rows = svc.sources_for(
        actor,
        org_id=int_param(filters["org"]),
        enabled=flag_param(filters["enabled"]),
        q=filters["q"].strip() or None,
    )
    show_rejections = svc.may_see_rejections(actor)
    rejections = [(r, svc.reason_label(r.reason)) for r in svc.rejections_for(actor)] if show_rejections else []
    context = {
        "rows": rows[:500],
        "total": rows.count(),
        "filters": filters,
        "may_register": has_anywhere(actor, svc.CHANGE),
        "show_rejections": show_rejections,
        "rejections": rejections,
    }
    return render(request, "secops/sources_list.html", context)


@require_http_methods(["GET", "POST"])
@page(svc.CHANGE)
def source_new(request: HttpRequest) -> HttpResponse:
    """登记日志源: the org by its code (学校标识码 or 区划代码) in the actor's scope; the token once."""
    if request.method == "GET":
        values = {k: request.GET.get(k, "") for k in FORM_FIELDS}
        values["format"] = values["format"] or SourceFormat.AUTO.value
        return _form(request, None, values)
    values = {k: request.POST.get(k, "") for k in FORM_FIELDS}
    try:
        org = registry.org_by_code(request.user, code=values["org_code"].strip())
        source, token = sources.register_source(
            actor=request.user,
            org=org,
            name=values["name"],
            format=values["format"] or SourceFormat.AUTO.value,
            sender_ips=svc.split_ips(values["sender_ips"]),
        )
    except ValidationFailed as error:
        response = _form(request, None, values, error=error, status=error.status)
        abort_writes()  # after rendering: the page reads the database too
        return response
    return _token_page(request, source, token, rotated=False)


@require_GET
@page(svc.VIEW)
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    source = svc.get_source(request.user, pk=pk)
    events, note = svc.recent_events(source)
    end = svc.endpoint(request)
    context = {
        "source": source,
        "events": events,
        "store_note": note,
        "recent_days": svc.RECENT_DAYS,
        "may_change": svc.may_change(request.user, source),
        "endpoint": end,
        "snippets": svc.snippets(end, None, source_name=source.name),
    }
    return render(request, "secops/sources_detail.html", context)


@require_http_methods(["GET", "POST"])
@page(svc.CHANGE)
def source_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Name, format and sender addresses (validated; nothing written on a bad one)."""
    source = svc.get_source(request.user, pk=pk)
    if request.method == "GET":
        values: dict[str, Any] = {
            "name": source.name,
            "format": source.format,
            "sender_ips": "\n".join(source.sender_ips or []),
        }
        return _form(request, source, values)
    values = {k: request.POST.get(k, "") for k in ("name", "format", "sender_ips")}
    try:
        svc.update_source(actor=request.user, source=source, data=values)
    except ValidationFailed as error:  # nothing was changed: the service validates before writing
        response = _form(request, source, values, error=error, status=error.status)
        abort_writes()
        return response
    messages.success(request, "日志源已更新（接入进程 30 秒内生效）")
    return redirect("secops:source_detail", pk=pk)


@require_POST
@page(svc.CHANGE)
def source_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    """A new ingest token (shown once); the old one stops working at the ingest's next refresh."""
    source = svc.get_source(request.user, pk=pk)
    token = sources.rotate_token(actor=request.user, source=source)
    return _token_page(request, source, token, rotated=True)


@require_POST
@page(svc.CHANGE)
def source_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    source = svc.get_source(request.user, pk=pk)
    enabled = flag_param(request.POST.get("enabled"))
    if enabled is None:
        raise ValidationFailed("请指明启用（1）或停用（0）")
    svc.set_enabled(actor=request.user, source=source, enabled=enabled)
    messages.success(request, "日志源已启用" if enabled else "日志源已停用，其日志将被拒收")
    return redirect("secops:source_detail", pk=pk)
