"""API routes of secops: incidents, drills and the security dashboard (mounted at ``/secops/incidents``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from edubase.core.errors import NotFound, PermissionDenied
from edubase.core.pagination import CursorPagination
from edubase.core.scope import has_anywhere, scope_for
from edubase.orgs.models import Org
from edubase.secops import dashboard, incidents
from edubase.secops.models import Incident, IncidentAction, IncidentTask
from edubase.secops.schemas_incidents import (
    ActionOut,
    DashboardOut,
    EvaluationIn,
    IncidentDetailOut,
    IncidentIn,
    IncidentOut,
    PlaybookOut,
    TaskIn,
    TaskOut,
    TaskPatch,
    TransitionIn,
)

router = Router()


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _viewer(request: HttpRequest) -> Any:
    actor = _actor(request)
    if not has_anywhere(actor, incidents.VIEW):
        raise PermissionDenied()
    return actor


def _org(actor: Any, org_id: int | None) -> Org | None:
    if org_id is None:
        return None
    org = Org.objects.filter(pk=org_id).first()
    if org is None or not scope_for(actor, incidents.VIEW).covers(org.path):
        raise NotFound("单位不存在或不在您的管辖范围内")
    return org


@router.get("/dashboard", response=DashboardOut, summary="安全态势 / security dashboard of the actor's scope")
def security_dashboard(request: HttpRequest) -> Any:
    """Assets by MLPS level, compliance per city/county, open findings, overdue notices, open incidents."""
    return dashboard.cached_summary(_viewer(request))


@router.get("/playbooks", response=list[PlaybookOut], summary="处置预案 / shipped playbooks")
def playbooks(request: HttpRequest) -> Any:
    _viewer(request)
    return [{"key": k, "name": name, "steps": list(steps)} for k, (name, steps) in incidents.PLAYBOOKS.items()]


@router.get("", response=list[IncidentOut], summary="安全事件与演练 / incidents and drills in scope")
@paginate(CursorPagination)
def incident_list(
    request: HttpRequest,
    grade: str | None = None,
    state: str | None = None,
    org_id: int | None = None,
    exercise: bool | None = None,
    open: bool = False,
    escalated: bool | None = None,
    **kwargs: Any,
) -> Any:
    actor = _actor(request)
    return incidents.incidents_for(
        actor,
        grade=grade,
        state=state,
        org=_org(actor, org_id),
        exercise=exercise,
        open_only=open,
        escalated=escalated,
    )


@router.post("", response={201: IncidentDetailOut}, summary="登记安全事件或演练 / register an incident or a drill")
def incident_create(request: HttpRequest, payload: IncidentIn) -> Any:
    actor = _actor(request)
    org = Org.objects.filter(pk=payload.org_id).first()
    if org is None:
        raise NotFound("单位不存在或不在您的管辖范围内")
    incident = incidents.create_incident(actor=actor, org=org, **payload.dict(exclude={"org_id"}))
    return Status(201, incident)


@router.get("/{incident_id}", response=IncidentDetailOut, summary="事件详情 / one incident")
def incident_detail(request: HttpRequest, incident_id: int) -> Incident:
    return incidents.get_incident(_actor(request), pk=incident_id)


@router.post("/{incident_id}/report", response=IncidentDetailOut, summary="上报 / report to the superior")
def incident_report(request: HttpRequest, incident_id: int) -> Incident:
    actor = _actor(request)
    return incidents.report(actor=actor, incident=incidents.get_incident(actor, pk=incident_id))


@router.post("/{incident_id}/transition", response=IncidentDetailOut, summary="变更状态 / move one step")
def incident_transition(request: HttpRequest, incident_id: int, payload: TransitionIn) -> Incident:
    """reported → responding → recovered → closed; closing needs the post-incident report, root cause, lessons."""
    actor = _actor(request)
    incident = incidents.get_incident(actor, pk=incident_id)
    return incidents.transition(actor=actor, incident=incident, **payload.dict())


@router.post("/{incident_id}/actions", response={201: ActionOut}, summary="处置记录 / record an action")
def incident_action(
    request: HttpRequest,
    incident_id: int,
    text: Form[str] = "",
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    """Multipart: ``text`` and any number of evidence ``files`` (SM3 digest kept)."""
    actor = _actor(request)
    incident = incidents.get_incident(actor, pk=incident_id)
    uploads = [(f.name or "evidence", f.read()) for f in (files or [])]
    action: IncidentAction = incidents.add_action(actor=actor, incident=incident, text=text, evidence=uploads)
    return Status(201, action)


@router.post("/{incident_id}/tasks", response={201: TaskOut}, summary="添加任务 / add a checklist task")
def incident_task_add(request: HttpRequest, incident_id: int, payload: TaskIn) -> Any:
    actor = _actor(request)
    task = incidents.add_task(actor=actor, incident=incidents.get_incident(actor, pk=incident_id), title=payload.title)
    return Status(201, task)


@router.patch("/{incident_id}/tasks/{task_id}", response=TaskOut, summary="完成或指派任务 / update a task")
def incident_task_update(request: HttpRequest, incident_id: int, task_id: int, payload: TaskPatch) -> IncidentTask:
    actor = _actor(request)
    incident = incidents.get_incident(actor, pk=incident_id)
    return incidents.update_task(
        actor=actor, incident=incident, task_pk=task_id, done=payload.done, assignee=payload.assignee
    )


@router.post("/{incident_id}/evaluation", response=IncidentDetailOut, summary="演练评估 / evaluate a drill")
def incident_evaluate(request: HttpRequest, incident_id: int, payload: EvaluationIn) -> Incident:
    actor = _actor(request)
    incident = incidents.get_incident(actor, pk=incident_id)
    return incidents.evaluate_drill(actor=actor, incident=incident, score=payload.score, text=payload.text)


@router.get("/{incident_id}/report.pdf", summary="事件总结报告 PDF / post-incident report")
def incident_pdf(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = incidents.get_incident(_actor(request), pk=incident_id)
    response = HttpResponse(incidents.post_incident_pdf(incident), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{incident.number or incident.pk}.pdf"'
    return response


@router.get("/{incident_id}/evidence/{evidence_id}", summary="下载证据文件 / download an evidence file")
def incident_evidence(request: HttpRequest, incident_id: int, evidence_id: int) -> HttpResponse:
    evidence = incidents.get_evidence(_actor(request), incident_pk=incident_id, pk=evidence_id)
    return incidents.evidence_response(evidence)
