"""Console pages of secops: notices and rectification (通报—整改)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from edubase.core.errors import DomainError, ValidationFailed
from edubase.core.middleware import abort_writes
from edubase.core.scope import has_anywhere, scope_for
from edubase.core.web import console_page as page
from edubase.core.web import flag_param as _flag
from edubase.core.web import int_param as _int
from edubase.orgs.models import Org, OrgKind
from edubase.secops import notice_documents, notices
from edubase.secops.models import NoticeStatus, Severity

View = Callable[..., HttpResponse]

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters(request: HttpRequest) -> dict[str, Any]:
    return {
        "status": request.GET.get("status") or None,
        "overdue": _flag(request.GET.get("overdue")),
        "severity": request.GET.get("severity") or None,
        "org_id": _int(request.GET.get("org")),
        "q": (request.GET.get("q") or "").strip() or None,
    }


@require_GET
@page("secops.view")
def notice_list(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    rows = Paginator(notices.notices_for(request.user, **filters), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "secops/notices_list.html",
        {
            "page_obj": rows,
            "filters": filters,
            "statuses": NoticeStatus.choices,
            "severities": Severity.choices,
            "may_issue": has_anywhere(request.user, "secops.manage"),
            "now": timezone.now(),
            "query": request.GET.urlencode(),
        },
    )


@require_GET
@page("secops.view")
def notice_ledger(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    filters.pop("q")
    data = notices.ledger_xlsx(request.user, order=request.GET.get("order", "org"), **filters)
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="notices-{dt.date.today():%Y%m%d}.xlsx"'
    return response


def _targets(user: Any) -> list[Org]:
    scope = scope_for(user, "secops.manage")
    kinds = [OrgKind.SCHOOL, OrgKind.COUNTY, OrgKind.BUREAU, OrgKind.UNIT]
    return list(Org.objects.filter(scope.q("path"), kind__in=kinds, status="active").order_by("path")[:2000])


@require_http_methods(["GET", "POST"])
@page("secops.manage")
def notice_new(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"severities": Severity.choices, "form": request.POST or request.GET}
    if request.method == "POST":
        try:
            target = Org.objects.filter(pk=_int(request.POST.get("target")) or 0).first()
            if target is None or not scope_for(request.user, "secops.manage").covers(target.path):
                raise ValidationFailed("请选择被通报单位（须在您的管辖范围内）")
            deadline = None
            if request.POST.get("deadline"):
                try:
                    deadline = dt.datetime.fromisoformat(request.POST["deadline"])
                except ValueError as exc:
                    raise ValidationFailed(f"整改期限“{request.POST['deadline']}”不是有效的日期时间") from exc
            ids = [_int(v) for v in request.POST.get("findings", "").replace("，", ",").split(",") if v.strip()]
            if None in ids:
                raise ValidationFailed("漏洞编号必须是数字，多个编号用逗号分隔")
            notice = notices.issue_notice(
                actor=request.user,
                target=target,
                title=request.POST.get("title", ""),
                severity=request.POST.get("severity", ""),
                required_actions=request.POST.get("required_actions", ""),
                finding_ids=[i for i in ids if i is not None],
                issue_text=request.POST.get("issue_text", ""),
                deadline=deadline,
            )
        except DomainError as error:
            context["error"] = error
            context["targets"] = _targets(request.user)
            response = render(request, "secops/notices_form.html", context, status=error.status)
            abort_writes()
            return response
        messages.success(request, f"通报 {notice.number} 已下发")
        return redirect("secops:notice_detail", pk=notice.pk)
    context["targets"] = _targets(request.user)
    return render(request, "secops/notices_form.html", context)


@require_GET
@page("secops.view")
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = notices.get_notice(request.user, pk=pk)
    return render(
        request,
        "secops/notices_detail.html",
        {
            "notice": notice,
            "task": notices.live_task(notice),
            "actions": notices.actions_for(request.user, notice),
            "findings": notice.findings.all().order_by("pk"),
            "incidents": notice.incidents.all().order_by("pk"),
            "evidence": notice.evidence.all(),
            "escalations": notice.escalations.select_related("org"),
            "history": notices.history(request.user, notice),
            "has_report": notice.retest_requested_at is not None,
            "now": timezone.now(),
        },
    )


@require_POST
@page("secops.change")
def notice_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    notice = notices.get_notice(request.user, pk=pk)
    notices.acknowledge(actor=request.user, notice=notice, comment=request.POST.get("comment", ""))
    messages.success(request, "已签收通报")
    return redirect("secops:notice_detail", pk=pk)


@require_POST
@page("secops.change")
def notice_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    notice = notices.get_notice(request.user, pk=pk)
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationFailed("请选择要上传的佐证文件")
    notices.upload_evidence(
        actor=request.user,
        notice=notice,
        filename=upload.name or "file",
        data=upload.read(),
        note=request.POST.get("note", ""),
    )
    messages.success(request, "佐证材料已上传")
    return redirect("secops:notice_detail", pk=pk)


@require_GET
@page("secops.view")
def notice_evidence_download(request: HttpRequest, pk: int, evidence_pk: int) -> HttpResponse:
    evidence = notices.get_evidence(request.user, notice_pk=pk, pk=evidence_pk)
    data, content_type = notices.evidence_content(evidence)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="evidence-{evidence.pk}.{evidence.kind}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@page("secops.change")
def notice_retest(request: HttpRequest, pk: int) -> HttpResponse:
    notice = notices.get_notice(request.user, pk=pk)
    notices.request_retest(actor=request.user, notice=notice, summary=request.POST.get("summary", ""))
    messages.success(request, "已申请复测")
    return redirect("secops:notice_detail", pk=pk)


@require_POST
@page("secops.manage")
def notice_verify(request: HttpRequest, pk: int) -> HttpResponse:
    notice = notices.get_notice(request.user, pk=pk)
    notice = notices.verify(
        actor=request.user,
        notice=notice,
        decision=request.POST.get("decision", ""),
        comment=request.POST.get("comment", ""),
    )
    messages.success(request, "已销号" if notice.status == NoticeStatus.CLOSED else "已退回整改")
    return redirect("secops:notice_detail", pk=pk)


@require_GET
@page("secops.view")
def notice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    notice = notices.get_notice(request.user, pk=pk)
    response = HttpResponse(notice_documents.notice_pdf(notice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-{notice.pk}.pdf"'
    return response


@require_GET
@page("secops.view")
def notice_report(request: HttpRequest, pk: int) -> HttpResponse:
    notice = notices.get_notice(request.user, pk=pk)
    response = HttpResponse(notice_documents.rectification_report_pdf(notice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="report-{notice.pk}.pdf"'
    return response
