"""Console pages of secops: vulnerability findings and scanner imports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from edubase.core.errors import DomainError, NotFound, ValidationFailed
from edubase.core.middleware import abort_writes
from edubase.core.scope import has_anywhere, scope_for
from edubase.core.tabular import ImportRejected
from edubase.core.web import console_page as page
from edubase.core.web import flag_param as _flag
from edubase.core.web import int_param as _int
from edubase.orgs.models import Org
from edubase.secops import findings
from edubase.secops.models import FindingStatus, Severity

View = Callable[..., HttpResponse]

PAGE_SIZE = 50


@require_GET
@page(findings.VIEW)
def findings_list(request: HttpRequest) -> HttpResponse:
    """Findings in scope with filters and a count per severity."""
    keys = ("severity", "status", "org", "host", "cve", "q", "unknown_asset", "age")
    filters = {k: request.GET.get(k, "").strip() for k in keys}
    rows = findings.findings_for(
        request.user,
        severity=filters["severity"] or None,
        status=filters["status"] or None,
        org_id=_int(filters["org"]),
        host=filters["host"] or None,
        cve=filters["cve"] or None,
        q=filters["q"] or None,
        unknown_asset=_flag(filters["unknown_asset"]),
        age=_int(filters["age"]),
    )
    counts = findings.severity_counts(rows)
    context = {
        "page_obj": Paginator(rows.order_by("-last_seen", "-pk"), PAGE_SIZE).get_page(request.GET.get("page")),
        "counts": [(value, label, counts[value]) for value, label in Severity.choices],
        "filters": filters,
        "filtered": any(filters.values()),
        "severities": Severity.choices,
        "statuses": FindingStatus.choices,
        "may_import": has_anywhere(request.user, findings.MANAGE),
    }
    return render(request, "secops/findings_list.html", context)


@require_GET
@page(findings.VIEW)
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    finding = findings.get_finding(request.user, pk=pk)
    allowed = findings.allowed_statuses(request.user, finding)
    context = {
        "finding": finding,
        "history": findings.history_of(request.user, finding),
        "allowed": [(s, FindingStatus(s).label) for s in allowed],
        "needs_reason": sorted(findings.MANAGED_STATUSES),
    }
    return render(request, "secops/findings_detail.html", context)


@require_POST
@page(findings.VIEW)
def finding_status(request: HttpRequest, pk: int) -> HttpResponse:
    finding = findings.get_finding(request.user, pk=pk)
    changed = findings.change_status(
        actor=request.user,
        finding=finding,
        status=request.POST.get("status", ""),
        reason=request.POST.get("reason", ""),
    )
    messages.success(request, f"漏洞状态已改为「{changed.get_status_display()}」")
    return redirect("secops:finding_detail", pk=changed.pk)


@require_http_methods(["GET", "POST"])
@page(findings.MANAGE)
def findings_import(request: HttpRequest) -> HttpResponse:
    """Upload a scanner report; on success go to the import's counts, on failure list every problem."""
    orgs = list(findings.import_orgs(request.user)[:200])
    context: dict[str, Any] = {"orgs": orgs, "max_mb": findings.MAX_UPLOAD_BYTES // (1024 * 1024)}
    if request.method == "POST":
        try:
            org_id = _int(request.POST.get("org"))
            if org_id is not None:
                org = Org.objects.filter(scope_for(request.user, findings.VIEW).q("path"), pk=org_id).first()
                if org is None:
                    raise NotFound("机构不存在或不在您的管辖范围内")
            else:
                org = findings.default_import_org(request.user)
            upload = request.FILES.get("file")
            if upload is None:
                raise ValidationFailed("请选择要导入的扫描报告文件")
            if upload.size is not None and upload.size > findings.MAX_UPLOAD_BYTES:
                raise ValidationFailed(f"文件超过 {context['max_mb']} MB，请按地市拆分后导入")
            scan = findings.import_report(
                actor=request.user, org=org, filename=upload.name or "report", data=upload.read()
            )
        except DomainError as error:
            context["error"] = error
            context["problems"] = error.problems if isinstance(error, ImportRejected) else []
            response = render(request, "secops/findings_import.html", context, status=error.status)
            abort_writes()
            return response
        messages.success(request, f"已导入 {scan.counts.get('rows', 0)} 条扫描结果")
        return redirect("secops:findings_import_detail", pk=scan.pk)
    return render(request, "secops/findings_import.html", context)


@require_GET
@page(findings.VIEW)
def findings_imports(request: HttpRequest) -> HttpResponse:
    rows = findings.imports_for(request.user)
    context = {
        "page_obj": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "may_import": has_anywhere(request.user, findings.MANAGE),
    }
    return render(request, "secops/findings_imports.html", context)


@require_GET
@page(findings.VIEW)
def findings_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scan = findings.get_import(request.user, pk=pk)
    return render(request, "secops/findings_import_detail.html", {"scan": scan})
