"""Console pages of secops: log detection — alerts, rules, risk ranking, dashboards and the big screen."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from edubase.core.errors import DomainError, PermissionDenied, ValidationFailed
from edubase.core.middleware import abort_writes
from edubase.core.scope import has_anywhere, scope_for
from edubase.core.web import domain_errors as page
from edubase.core.web import flag_param as _flag
from edubase.core.web import int_param as _int
from edubase.orgs.models import Org
from edubase.secops.api_logs import report_dict
from edubase.secops.logs import alerts, risk
from edubase.secops.models.detection import AlertStatus, RuleLevel
from edubase.secops.models.incidents import IncidentCategory, IncidentGrade

SAMPLE_EVENTS = 20
SAMPLE_FIELDS = (
    "@timestamp",
    "event.dataset",
    "event.action",
    "event.outcome",
    "host.name",
    "source.ip",
    "source.geo.country_iso_code",
    "user.name",
    "url.original",
    "http.response.status_code",
    "message",
)


def _viewer(request: HttpRequest) -> Any:
    if not has_anywhere(request.user, alerts.VIEW):
        raise PermissionDenied("您没有查看安全告警的权限")
    return request.user


def _when(value: str | None) -> dt.datetime | None:
    text = (value or "").strip()
    if not text:
        return None
    parsed = parse_datetime(text.replace("T", " "))
    if parsed is None:
        try:
            parsed = dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
        except ValueError as exc:
            raise ValidationFailed(f"时间“{text}”格式无效（例：2025-03-01 08:30）") from exc
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


# --- alerts ----------------------------------------------------------------------------------


@login_required
@require_GET
@page
def alert_list(request: HttpRequest) -> HttpResponse:
    actor = _viewer(request)
    filters = {k: request.GET.get(k, "") for k in ("severity", "status", "rule", "org", "since", "until")}
    rows = alerts.alerts_for(
        actor,
        severity=filters["severity"] or None,
        status=filters["status"] or None,
        rule=filters["rule"] or None,
        org_id=_int(filters["org"]),
        since=_when(filters["since"]),
        until=_when(filters["until"]),
    )
    return render(
        request,
        "secops/logs_alert_list.html",
        {
            "rows": rows[:200],
            "counts": alerts.counts(rows),
            "filters": filters,
            "levels": [(v, RuleLevel(v).label) for v in alerts.LEVEL_ORDER],
            "statuses": AlertStatus.choices,
            # the filter's label: only an org the actor may see (no names from outside the scope)
            "filter_org": Org.objects.filter(scope_for(request.user, "secops.view").q("path"))
            .filter(pk=_int(filters["org"]) or 0)
            .first(),
        },
    )


def _sample_events(alert: Any) -> tuple[list[dict[str, Any]], str]:
    """Up to ``SAMPLE_EVENTS`` linked events from the store (and a note when it cannot be read)."""
    ids = [str(i) for i in (alert.event_ids or [])][:SAMPLE_EVENTS]
    if not ids:
        return [], ""
    try:
        from edubase.secops.logs import detect
        from edubase.secops.logs.store import get_store

        since = alert.window_start - dt.timedelta(minutes=5)
        until = max(alert.window_end, alert.last_seen) + dt.timedelta(minutes=5)
        found = detect._events_by_id(get_store(), ids, since, until)
    except Exception:  # the page still shows the alert without its events
        return [], "事件存储暂不可用，无法显示关联事件"
    rows = []
    for event_id in ids:
        e = found.get(event_id)
        if e is None:
            continue
        when = e.get("@timestamp")
        source = " ".join(str(v) for v in (e.get("source.ip"), e.get("source.geo.country_iso_code")) if v)
        action = "/".join(str(v) for v in (e.get("event.dataset"), e.get("event.action"), e.get("event.outcome")) if v)
        message = e.get("message") or e.get("url.original") or e.get("log.original") or ""
        rows.append(
            {
                "id": event_id,
                "cells": [
                    timezone.localtime(when).strftime("%Y-%m-%d %H:%M:%S") if isinstance(when, dt.datetime) else when,
                    source,
                    e.get("host.name") or "",
                    e.get("user.name") or "",
                    action,
                    str(message)[:300],
                ],
            }
        )
    return rows, ""


@login_required
@require_GET
@page
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _viewer(request)
    alert = alerts.get_alert(actor, pk=pk)
    events, events_note = _sample_events(alert)
    return render(
        request,
        "secops/logs_alert_detail.html",
        {
            "alert": alert,
            "events": events,
            "events_note": events_note,
            "fields": SAMPLE_FIELDS,
            "may": alerts.actions_for(actor, alert),
            "notice_defaults": alerts.default_notice(alert),
            "grades": IncidentGrade.choices,
            "categories": IncidentCategory.choices,
            "attack": alerts.attack_tags(alert.rule),
            "windows": sorted((alert.window_counts or {}).items()),
        },
    )


def _back(pk: int) -> HttpResponse:
    return redirect("secops:alert_detail", pk=pk)


@login_required
@require_POST
@page
def alert_triage(request: HttpRequest, pk: int) -> HttpResponse:
    alert = alerts.get_alert(request.user, pk=pk)
    alerts.triage(actor=request.user, alert=alert, to=request.POST.get("to", ""), note=request.POST.get("note", ""))
    messages.success(request, "告警状态已更新")
    return _back(pk)


@login_required
@require_POST
@page
def alert_assign(request: HttpRequest, pk: int) -> HttpResponse:
    alert = alerts.get_alert(request.user, pk=pk)
    alerts.assign(actor=request.user, alert=alert, assignee=request.POST.get("assignee", ""))
    messages.success(request, "已指派")
    return _back(pk)


@login_required
@require_POST
@page
def alert_finding(request: HttpRequest, pk: int) -> HttpResponse:
    alert = alerts.get_alert(request.user, pk=pk)
    finding = alerts.open_finding(actor=request.user, alert=alert)
    messages.success(request, f"已生成漏洞 #{finding.pk}")
    return _back(pk)


@login_required
@require_POST
@page
def alert_notice(request: HttpRequest, pk: int) -> HttpResponse:
    alert = alerts.get_alert(request.user, pk=pk)
    notice = alerts.open_notice(
        actor=request.user,
        alert=alert,
        title=request.POST.get("title", ""),
        required_actions=request.POST.get("required_actions", ""),
        deadline=_when(request.POST.get("deadline")),
    )
    messages.success(request, f"已向{alert.org.name if alert.org else ''}下发通报 {notice.number}")
    return _back(pk)


@login_required
@require_POST
@page
def alert_incident(request: HttpRequest, pk: int) -> HttpResponse:
    alert = alerts.get_alert(request.user, pk=pk)
    incident = alerts.open_incident(
        actor=request.user,
        alert=alert,
        grade=request.POST.get("grade", ""),
        category=request.POST.get("category", "") or "attack",
    )
    messages.success(request, f"已登记安全事件 {incident.number}")
    return _back(pk)


# --- rules -----------------------------------------------------------------------------------


@login_required
@require_GET
@page
def rule_list(request: HttpRequest) -> HttpResponse:
    actor = _viewer(request)
    filters = {k: request.GET.get(k, "") for k in ("q", "level", "pack", "kind", "enabled", "broken")}
    rules = alerts.rules_for(
        actor,
        q=filters["q"] or None,
        level=filters["level"] or None,
        pack=filters["pack"] or None,
        kind=filters["kind"] or None,
        enabled=_flag(filters["enabled"]),
        broken=_flag(filters["broken"]),
    )
    packs = alerts.rules_for(actor).exclude(pack="").order_by("pack").values_list("pack", flat=True).distinct()
    return render(
        request,
        "secops/logs_rule_list.html",
        {
            "rows": [(r, alerts.attack_tags(r)) for r in rules[:500]],
            "total": rules.count(),
            "filters": filters,
            "levels": [(v, RuleLevel(v).label) for v in alerts.LEVEL_ORDER],
            "packs": list(packs),
            "may_manage": alerts.may_manage_rules(actor),
        },
    )


def _manageable_orgs(actor: Any) -> Any:
    return Org.objects.filter(scope_for(actor, alerts.MANAGE).q("path")).order_by("path")[:500]


@login_required
@require_GET
@page
def rule_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _viewer(request)
    rule = alerts.get_rule(actor, pk=pk)
    orgs = _manageable_orgs(actor)
    return render(
        request,
        "secops/logs_rule_detail.html",
        {
            "rule": rule,
            "attack": alerts.attack_tags(rule),
            "scopes": alerts.scopes_of(actor, rule),
            "exceptions": alerts.exceptions_of(actor, rule),
            "orgs": orgs,
            "may_manage": alerts.may_manage_rules(actor),
            "may_scope": bool(orgs),
            "alerts": alerts.alerts_for(actor, rule=str(rule.pk))[:20],
        },
    )


def _rule_back(pk: int) -> HttpResponse:
    return redirect("secops:rule_detail", pk=pk)


@login_required
@require_POST
@page
def rule_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    rule = alerts.get_rule(request.user, pk=pk)
    enabled = _flag(request.POST.get("enabled"))
    if enabled is None:
        raise ValidationFailed("请选择启用或停用")
    alerts.set_enabled(actor=request.user, rule=rule, enabled=enabled)
    messages.success(request, f"规则已在全省{'启用' if enabled else '停用'}")
    return redirect("secops:rule_list") if request.POST.get("next") == "list" else _rule_back(pk)


@login_required
@require_POST
@page
def rule_scope(request: HttpRequest, pk: int) -> HttpResponse:
    rule = alerts.get_rule(request.user, pk=pk)
    choice = request.POST.get("enabled", "")
    enabled = {"1": True, "0": False, "": None, "inherit": None}.get(choice)
    if choice not in ("1", "0", "", "inherit"):
        raise ValidationFailed("请选择启用、停用或沿用上级设置")
    alerts.set_scope(actor=request.user, rule=rule, org_id=_int(request.POST.get("org")), enabled=enabled)
    messages.success(request, "单位设置已保存")
    return _rule_back(pk)


@login_required
@require_POST
@page
def rule_exception_add(request: HttpRequest, pk: int) -> HttpResponse:
    rule = alerts.get_rule(request.user, pk=pk)
    raw = request.POST.get("values", "")
    values = [v.strip() for v in raw.replace("，", ",").replace("\n", ",").split(",") if v.strip()]
    alerts.add_exception(
        actor=request.user,
        rule=rule,
        org_id=_int(request.POST.get("org")),
        field=request.POST.get("field", ""),
        values=values,
        reason=request.POST.get("reason", ""),
    )
    messages.success(request, "例外已添加")
    return _rule_back(pk)


@login_required
@require_POST
@page
def rule_exception_remove(request: HttpRequest, pk: int, exception_pk: int) -> HttpResponse:
    rule = alerts.get_rule(request.user, pk=pk)
    alerts.remove_exception(actor=request.user, rule=rule, exception_id=exception_pk)
    messages.success(request, "例外已删除")
    return _rule_back(pk)


@login_required
@require_http_methods(["GET", "POST"])
@page
def rule_import(request: HttpRequest) -> HttpResponse:
    actor = _viewer(request)
    if not alerts.may_manage_rules(actor):
        raise PermissionDenied("只有省级网络安全员可以导入规则包")
    context: dict[str, Any] = {}
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            report = alerts.import_pack(
                actor=actor,
                filename=(upload.name or "") if upload is not None else "",
                data=upload.read() if upload is not None else b"",
                pack=request.POST.get("pack", ""),
            )
        except DomainError as error:
            context["error"] = error
            response = render(request, "secops/logs_rule_import.html", context, status=error.status)
            abort_writes()
            return response
        context["report"] = _report_rows(report_dict(report))
    return render(request, "secops/logs_rule_import.html", context)


def _report_rows(report: Any) -> dict[str, Any]:
    """The sigma part's import report as summary figures and one row per failed file/rule."""
    data = report if isinstance(report, dict) else {}
    labels = {"total": "规则总数", "imported": "新增", "updated": "更新", "unsupported": "不支持（已登记原因）"}
    summary = {label: data.get(key, 0) for key, label in labels.items()}
    rows = []
    for item in data.get("failed") or []:
        parts = list(item) if isinstance(item, list | tuple) else [item]
        parts += [""] * (3 - len(parts))
        rows.append({"file": parts[0], "rule": parts[1], "error": parts[2]})
    summary["失败"] = len(rows)
    return {"summary": summary, "rows": rows}


# --- risk and dashboards ---------------------------------------------------------------------


@login_required
@require_GET
@page
def risk_ranking(request: HttpRequest) -> HttpResponse:
    actor = _viewer(request)
    level = request.GET.get("level", "school")
    if level not in ("school", "county", "city", "asset"):
        level = "school"
    data = risk.summary(actor)
    rows = {"school": data["schools"], "county": data["counties"], "city": data["cities"]}.get(level)
    if level == "asset":
        rows = risk.asset_scores(actor)
    order = request.GET.get("order", "")
    if order in risk.CAPS and level in ("school", "asset"):
        rows = sorted(rows or [], key=lambda r: -next(c["points"] for c in r["components"] if c["key"] == order))
    elif order == "name":
        rows = sorted(rows or [], key=lambda r: r["name"])
    return render(
        request,
        "secops/logs_risk.html",
        {
            "level": level,
            "rows": (rows or [])[:300],
            "formula": data["formula"],
            "component_keys": list(risk.CAPS),
            "labels": risk.LABELS,
            "order": order,
        },
    )


@login_required
@require_GET
@page
def screen_dashboard(request: HttpRequest) -> HttpResponse:
    actor = _viewer(request)
    return render(request, "secops/logs_situation.html", {"data": risk.situation(actor)})


@login_required
@require_GET
@page
def screen_bigscreen(request: HttpRequest) -> HttpResponse:
    actor = _viewer(request)
    return render(request, "secops/logs_screen.html", {"data": risk.situation(actor)})


@login_required
@require_GET
@page
def screen_data(request: HttpRequest) -> HttpResponse:
    return JsonResponse(risk.situation(_viewer(request)), json_dumps_params={"ensure_ascii": False})
