"""API routes of secops: notices and rectification (mounted at ``/secops/notices``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from edubase.core.errors import NotFound
from edubase.core.pagination import CursorPagination
from edubase.orgs.models import Org
from edubase.secops import notice_documents, notices
from edubase.secops.models import Notice
from edubase.secops.schemas_notices import (
    AcknowledgeIn,
    EvidenceOut,
    NoticeDetailOut,
    NoticeIn,
    NoticeOut,
    RetestIn,
    VerifyIn,
)

router = Router()

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _org(pk: int | None, what: str) -> Org | None:
    if pk is None:
        return None
    org = Org.objects.filter(pk=pk).first()
    if org is None:
        raise NotFound(f"{what}不存在")
    return org


def detail(actor: Any, notice: Notice) -> Notice:
    """The notice with what only the actor's view holds: its current step, allowed actions, history."""
    task = notices.live_task(notice)
    notice.current_step = (  # type: ignore[attr-defined]
        {
            "element_id": task.element_id,
            "step": notices.step_of(task),
            "title": task.title,
            "candidate_org_name": task.candidate_org.name,
        }
        if task is not None
        else None
    )
    notice.actions = sorted(notices.actions_for(actor, notice))  # type: ignore[attr-defined]
    notice.history = [  # type: ignore[attr-defined]
        {
            "at": e.at,
            "action": e.action,
            "step": e.task.title if e.task_id and e.task else "",
            "actor": str(e.actor) if e.actor_id else "系统",
            "comment": e.comment,
        }
        for e in notices.history(actor, notice)
    ]
    return notice


@router.get("", response=list[NoticeOut], summary="通报列表 / notices in scope")
@paginate(CursorPagination)
def list_notices(
    request: HttpRequest,
    status: str | None = None,
    overdue: bool | None = None,
    severity: str | None = None,
    org_id: int | None = None,
    q: str | None = None,
    **kwargs: Any,
) -> Any:
    return notices.notices_for(_actor(request), status=status, overdue=overdue, severity=severity, org_id=org_id, q=q)


@router.post("", response={201: NoticeDetailOut}, summary="下发通报 / issue a notice")
def issue(request: HttpRequest, payload: NoticeIn) -> Any:
    actor = _actor(request)
    target = _org(payload.target_org_id, "被通报单位")
    assert target is not None
    notice = notices.issue_notice(
        actor=actor,
        target=target,
        title=payload.title,
        severity=payload.severity,
        required_actions=payload.required_actions,
        finding_ids=payload.finding_ids,
        incident_ids=payload.incident_ids,
        issue_text=payload.issue_text,
        deadline=payload.deadline,
        issuer_org=_org(payload.issuer_org_id, "通报单位"),
    )
    return Status(201, detail(actor, notices.get_notice(actor, pk=notice.pk)))


@router.get("/ledger.xlsx", summary="通报整改台账 / ledger (XLSX)")
def ledger(
    request: HttpRequest,
    order: str = "org",
    status: str | None = None,
    overdue: bool | None = None,
    severity: str | None = None,
    org_id: int | None = None,
) -> HttpResponse:
    """Every notice in scope, by city / county / school (``order``: org, deadline, status, issued)."""
    data = notices.ledger_xlsx(
        _actor(request), order=order, status=status, overdue=overdue, severity=severity, org_id=org_id
    )
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="notices-{dt.date.today():%Y%m%d}.xlsx"'
    return response


@router.get("/{notice_id}", response=NoticeDetailOut, summary="通报详情 / one notice")
def get(request: HttpRequest, notice_id: int) -> Any:
    actor = _actor(request)
    return detail(actor, notices.get_notice(actor, pk=notice_id))


@router.post("/{notice_id}/acknowledge", response=NoticeDetailOut, summary="签收 / acknowledge")
def acknowledge(request: HttpRequest, notice_id: int, payload: AcknowledgeIn | None = None) -> Any:
    actor = _actor(request)
    notice = notices.acknowledge(
        actor=actor, notice=notices.get_notice(actor, pk=notice_id), comment=payload.comment if payload else ""
    )
    return detail(actor, notices.get_notice(actor, pk=notice.pk))


@router.post("/{notice_id}/evidence", response={201: EvidenceOut}, summary="上传整改佐证 / upload evidence")
def upload_evidence(request: HttpRequest, notice_id: int, file: File[UploadedFile], note: Form[str] = "") -> Any:
    """Multipart: ``file`` (PDF, JPEG, PNG, XLSX or DOCX, at most 20 MB) and an optional ``note``."""
    actor = _actor(request)
    evidence = notices.upload_evidence(
        actor=actor,
        notice=notices.get_notice(actor, pk=notice_id),
        filename=file.name or "file",
        data=file.read(),
        note=note,
    )
    return Status(201, evidence)


@router.get("/{notice_id}/evidence/{evidence_id}", summary="下载整改佐证 / download evidence")
def download_evidence(request: HttpRequest, notice_id: int, evidence_id: int) -> HttpResponse:
    evidence = notices.get_evidence(_actor(request), notice_pk=notice_id, pk=evidence_id)
    data, content_type = notices.evidence_content(evidence)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="evidence-{evidence.pk}.{evidence.kind}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.post("/{notice_id}/retest", response=NoticeDetailOut, summary="申请复测 / request a re-test")
def retest(request: HttpRequest, notice_id: int, payload: RetestIn) -> Any:
    actor = _actor(request)
    notice = notices.request_retest(
        actor=actor, notice=notices.get_notice(actor, pk=notice_id), summary=payload.summary
    )
    return detail(actor, notices.get_notice(actor, pk=notice.pk))


@router.post("/{notice_id}/verify", response=NoticeDetailOut, summary="核验 / verify: close or reopen")
def verify(request: HttpRequest, notice_id: int, payload: VerifyIn) -> Any:
    """``decision``: ``close`` (销号) or ``reopen`` (退回整改, ``comment`` required)."""
    actor = _actor(request)
    notice = notices.verify(
        actor=actor,
        notice=notices.get_notice(actor, pk=notice_id),
        decision=payload.decision,
        comment=payload.comment,
    )
    return detail(actor, notices.get_notice(actor, pk=notice.pk))


@router.get("/{notice_id}/notice.pdf", summary="通报文书 PDF / the notice document")
def notice_pdf(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = notices.get_notice(_actor(request), pk=notice_id)
    response = HttpResponse(notice_documents.notice_pdf(notice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-{notice.pk}.pdf"'
    return response


@router.get("/{notice_id}/report.pdf", summary="整改报告 PDF / the rectification report")
def report_pdf(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = notices.get_notice(_actor(request), pk=notice_id)
    response = HttpResponse(notice_documents.rectification_report_pdf(notice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="report-{notice.pk}.pdf"'
    return response
