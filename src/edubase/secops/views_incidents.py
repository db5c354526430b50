"""Console pages of secops: incidents, drills and the security dashboard."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from edubase.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from edubase.core.middleware import abort_writes
from edubase.core.scope import has_anywhere, scope_for
from edubase.core.web import domain_errors as page
from edubase.core.web import flag_param as _flag
from edubase.core.web import int_param as _int
from edubase.orgs.models import Org
from edubase.secops import dashboard, incidents
from edubase.secops.models import IncidentCategory, IncidentGrade, IncidentState

View = Callable[..., HttpResponse]


@login_required
@require_GET
@page
def incident_list(request: HttpRequest) -> HttpResponse:
    actor = request.user
    filters = {k: request.GET.get(k, "") for k in ("grade", "state", "org", "exercise", "open", "escalated")}
    org = None
    org_id = _int(filters["org"])
    if org_id is not None:
        org = Org.objects.filter(pk=org_id).first()
        if org is None or not scope_for(actor, incidents.VIEW).covers(org.path):
            raise NotFound("单位不存在或不在您的管辖范围内")
    rows = incidents.incidents_for(
        actor,
        grade=filters["grade"] or None,
        state=filters["state"] or None,
        org=org,
        exercise=_flag(filters["exercise"]),
        open_only=bool(_flag(filters["open"])),
        escalated=_flag(filters["escalated"]),
    )
    now = timezone.now()
    shown = [(i, incidents.countdown(i, now=now)) for i in rows[:200]]
    return render(
        request,
        "secops/incidents_list.html",
        {
            "rows": shown,
            "filters": filters,
            "filter_org": org,
            "grades": IncidentGrade.choices,
            "states": IncidentState.choices,
            "may_report": has_anywhere(actor, incidents.CHANGE),
        },
    )


def _form_context(request: HttpRequest) -> dict[str, Any]:
    actor = request.user
    return {
        "orgs": incidents.reporting_orgs(actor)[:500],
        "grades": IncidentGrade.choices,
        "categories": IncidentCategory.choices,
        "playbooks": [(k, name, steps) for k, (name, steps) in incidents.PLAYBOOKS.items()],
        "hours": {
            "cii": incidents.report_hours(grade=IncidentGrade.GENERAL, cii=True),
            **{g: incidents.report_hours(grade=g, cii=False) for g in IncidentGrade.values},
        },
        "exercise": request.GET.get("exercise") == "1" or request.POST.get("is_exercise") == "on",
        "values": request.POST,
        "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }


def _ids(values: list[str], what: str) -> list[int]:
    out = []
    for value in values:
        for part in value.replace("，", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit():
                raise ValidationFailed(f"{what}编号“{part}”不是数字")
            out.append(int(part))
    return out


@login_required
@require_http_methods(["GET", "POST"])
@page
def incident_new(request: HttpRequest) -> HttpResponse:
    actor = request.user
    if not has_anywhere(actor, incidents.CHANGE):
        raise PermissionDenied("您没有登记安全事件的权限")
    context = _form_context(request)
    if request.method == "POST":
        try:
            org = Org.objects.filter(pk=_int(request.POST.get("org")) or 0).first()
            if org is None:
                raise ValidationFailed("请选择发生单位")
            raw = request.POST.get("discovered_at", "").strip()
            discovered = parse_datetime(raw.replace("T", " ")) if raw else None
            if discovered is None:
                raise ValidationFailed(f"发现时间“{raw}”不是有效的日期时间（例：2025-03-01 08:30）")
            incident = incidents.create_incident(
                actor=actor,
                org=org,
                title=request.POST.get("title", ""),
                grade=request.POST.get("grade", ""),
                category=request.POST.get("category", ""),
                discovered_at=discovered,
                description=request.POST.get("description", ""),
                cii=request.POST.get("cii") == "on",
                asset_ids=_ids(request.POST.getlist("asset_ids"), "资产"),
                system_ids=_ids(request.POST.getlist("system_ids"), "信息系统"),
                playbook=request.POST.get("playbook", ""),
                report_now=request.POST.get("report_now") == "on" if "form" in request.POST else True,
                is_exercise=request.POST.get("is_exercise") == "on",
                scenario=request.POST.get("scenario", ""),
            )
        except DomainError as error:
            context["error"] = error
            response = render(request, "secops/incidents_form.html", context, status=error.status)
            abort_writes()
            return response
        messages.success(request, f"已登记，编号 {incident.number}")
        return redirect("secops:incident_detail", pk=incident.pk)
    return render(request, "secops/incidents_form.html", context)


@login_required
@require_GET
@page
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    incident = incidents.get_incident(actor, pk=pk)
    may_change = scope_for(actor, incidents.CHANGE).covers(incident.org_path)
    following = [(s, IncidentState(s).label) for s in incidents._NEXT[incident.state]]
    return render(
        request,
        "secops/incidents_detail.html",
        {
            "incident": incident,
            "clock": incidents.countdown(incident),
            "deadline_iso": incident.report_deadline.isoformat(),
            "actions": incidents.timeline(incident),
            "tasks": incidents.tasks_of(incident),
            "assets": incident.assets.all(),
            "systems": incident.systems.all(),
            "may_change": may_change and incident.state != IncidentState.CLOSED,
            "may_evaluate": incident.is_exercise and scope_for(actor, incidents.MANAGE).covers(incident.org_path),
            "following": following,
            "has_pdf": incident.state == IncidentState.CLOSED or incident.is_exercise,
        },
    )


def _back(pk: int) -> HttpResponse:
    return redirect("secops:incident_detail", pk=pk)


@login_required
@require_POST
@page
def incident_report(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incidents.get_incident(request.user, pk=pk)
    incidents.report(actor=request.user, incident=incident)
    messages.success(request, "事件已上报")
    return _back(pk)


@login_required
@require_POST
@page
def incident_transition(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incidents.get_incident(request.user, pk=pk)
    incidents.transition(
        actor=request.user,
        incident=incident,
        to=request.POST.get("to", ""),
        note=request.POST.get("note", ""),
        post_report=request.POST.get("post_report", ""),
        root_cause=request.POST.get("root_cause", ""),
        lessons=request.POST.get("lessons", ""),
    )
    messages.success(request, "事件状态已更新")
    return _back(pk)


@login_required
@require_POST
@page
def incident_action(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incidents.get_incident(request.user, pk=pk)
    uploads = [(f.name or "evidence", f.read()) for f in request.FILES.getlist("files")]
    incidents.add_action(actor=request.user, incident=incident, text=request.POST.get("text", ""), evidence=uploads)
    messages.success(request, "处置记录已添加")
    return _back(pk)


@login_required
@require_POST
@page
def incident_task_add(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incidents.get_incident(request.user, pk=pk)
    incidents.add_task(actor=request.user, incident=incident, title=request.POST.get("title", ""))
    messages.success(request, "任务已添加")
    return _back(pk)


@login_required
@require_POST
@page
def incident_task_update(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    incident = incidents.get_incident(request.user, pk=pk)
    done = _flag(request.POST.get("done"))
    assignee = request.POST.get("assignee")
    incidents.update_task(actor=request.user, incident=incident, task_pk=task_pk, done=done, assignee=assignee)
    messages.success(request, "任务已更新")
    return _back(pk)


@login_required
@require_POST
@page
def incident_evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incidents.get_incident(request.user, pk=pk)
    score = _int(request.POST.get("score"))
    if score is None:
        raise ValidationFailed("演练评分必须是 0–100 的整数")
    incidents.evaluate_drill(actor=request.user, incident=incident, score=score, text=request.POST.get("text", ""))
    messages.success(request, "演练评估已保存")
    return _back(pk)


@login_required
@require_GET
@page
def incident_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incidents.get_incident(request.user, pk=pk)
    response = HttpResponse(incidents.post_incident_pdf(incident), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{incident.number or incident.pk}.pdf"'
    return response


@login_required
@require_GET
@page
def incident_evidence(request: HttpRequest, pk: int, evidence_pk: int) -> HttpResponse:
    evidence = incidents.get_evidence(request.user, incident_pk=pk, pk=evidence_pk)
    return incidents.evidence_response(evidence)


def _chart(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": r["name"], "value": r["value"]} for r in rows]


@login_required
@require_GET
@page
def security_dashboard(request: HttpRequest) -> HttpResponse:
    actor = request.user
    if not has_anywhere(actor, incidents.VIEW):
        raise PermissionDenied("您没有查看网络安全态势的权限")
    figures = dashboard.cached_summary(actor)
    regions = figures["compliance"]["rows"]
    compliance_chart = {
        "names": [r["name"] for r in regions],
        "filing": [None if r["filing_rate"] is None else round(r["filing_rate"] * 100, 1) for r in regions],
        "assessment": [None if r["assessment_rate"] is None else round(r["assessment_rate"] * 100, 1) for r in regions],
    }
    return render(
        request,
        "secops/dashboard.html",
        {
            "f": figures,
            "chart_levels": _chart(figures["assets_by_level"]),
            "chart_systems": _chart(figures["systems_by_level"]),
            "chart_compliance": compliance_chart,
            "as_of": figures["as_of"],
            "today": dt.date.today(),
        },
    )
