"""Console pages of the pool: quality dashboard, contract and templates, submissions, pool rows,
match reviews and conflict reports. Thin over ``selectors`` and ``services`` (the API uses the same)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from edubase.core.errors import ValidationFailed
from edubase.core.scope import has_anywhere
from edubase.core.web import console_page as page
from edubase.core.web import int_param
from edubase.datagov.pool import codes, contracts, quality, selectors, services, template_files
from edubase.orgs.models import OrgKind

VIEW, CHANGE, MANAGE = selectors.VIEW, selectors.CHANGE, selectors.MANAGE


def _dimension_labels() -> dict[str, str]:
    return {code: label for code, (label, _w) in quality.DIMENSIONS.items()}


@require_GET
@page(VIEW)
def dashboard(request: HttpRequest) -> HttpResponse:
    """Roster quality across the actor's area: trend of its top org, county ranking, weakest schools."""
    actor = request.user
    run = selectors.latest_run()
    counties = list(selectors.scores_for(actor, run=run, level=OrgKind.COUNTY))
    schools = list(selectors.scores_for(actor, run=run, level=OrgKind.SCHOOL).order_by("score", "org__code")[:50])
    top = selectors.top_org(actor)
    trend = selectors.trend_for(actor, org=top)
    chart = {
        "trend": [{"at": p["at"][:16].replace("T", " "), "score": p["score"]} for p in trend],
        "counties": [{"name": s.org.name, "score": s.score} for s in counties[:30]],
        "county_trends": selectors.county_trends(actor),
    }
    context = {
        "run": run,
        "top": top,
        "top_score": selectors.scores_for(actor, run=run).filter(org=top).first() if top else None,
        "counties": counties,
        "schools": schools,
        "labels": _dimension_labels(),
        "rule_labels": quality.RULE_LABELS,
        "chart_json": chart,  # json_script encodes it; a pre-dumped string would reach the page as a JSON string
        "may_run": has_anywhere(actor, MANAGE),
        "open_reviews": selectors.reviews_for(actor).count(),
        "open_conflicts": selectors.conflicts_for(actor).count(),
    }
    return render(request, "datagov_pool/dashboard.html", context)


@require_POST
@page(MANAGE)
def quality_run(request: HttpRequest) -> HttpResponse:
    run = services.run_quality(actor=request.user)
    messages.success(request, f"质量评估完成：{run.rows} 行，用时 {run.seconds:.1f} 秒")
    return redirect("datagov_pool:dashboard")


@require_GET
@page(VIEW)
def contract(request: HttpRequest) -> HttpResponse:
    context = {"contract": contracts.COLUMNS, "version": contracts.CONTRACT_VERSION, "tables": codes.TABLES}
    return render(request, "datagov_pool/contract.html", context)


@require_GET
@page(VIEW)
def template_xlsx(request: HttpRequest) -> HttpResponse:
    return template_files.xlsx_response()


@require_GET
@page(VIEW)
def template_csv(request: HttpRequest) -> HttpResponse:
    return template_files.csv_response()


@require_GET
@page(VIEW)
def submission_list(request: HttpRequest) -> HttpResponse:
    actor = request.user
    found = selectors.submissions_for(actor, school_id=int_param(request.GET.get("school")))
    page_obj = Paginator(found, 50).get_page(request.GET.get("page"))
    context = {
        "page_obj": page_obj,
        "schools": selectors.schools_for_submission(actor)[:200],
        "may_submit": has_anywhere(actor, CHANGE),
    }
    return render(request, "datagov_pool/submission_list.html", context)


@require_http_methods(["GET", "POST"])
@page(CHANGE)
def submission_upload(request: HttpRequest, pk: int) -> HttpResponse:
    school = selectors.get_school_for_submission(request.user, pk=pk)
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationFailed("请选择要上传的花名册文件（.xlsx 或 .csv）")
        result = services.submit_file(
            actor=request.user, school=school, filename=upload.name or "roster", data=upload.read()
        )
        sub = result.submission
        if result.duplicate:
            messages.info(request, "该文件此前已提交并入库，本次未作任何改动")
        elif sub.status == "accepted":
            messages.success(request, f"已入库：新增 {sub.created}，更新 {sub.updated}，未变化 {sub.unchanged}")
        else:
            messages.error(request, f"未入库：发现 {len(sub.errors)} 处问题，请修改后重新提交")
        return redirect("datagov_pool:submission_detail", pk=sub.pk)
    return render(request, "datagov_pool/submission_upload.html", {"school": school})


@require_GET
@page(VIEW)
def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(
        request, "datagov_pool/submission_detail.html", {"sub": selectors.get_submission(request.user, pk=pk)}
    )


@require_GET
@page(VIEW)
def record_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    found = selectors.records_for(request.user, school_id=int_param(request.GET.get("school")), q=q or None)
    context = {
        "page_obj": Paginator(found, 50).get_page(request.GET.get("page")),
        "q": q,
        "sexes": codes.SEX,
        "grades": codes.GRADE,
    }
    return render(request, "datagov_pool/record_list.html", context)


@require_GET
@page(MANAGE)
def review_list(request: HttpRequest) -> HttpResponse:
    return render(request, "datagov_pool/review_list.html", {"reviews": selectors.reviews_for(request.user)[:200]})


@require_POST
@page(MANAGE)
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    review = selectors.get_review(request.user, pk=pk)
    decision = request.POST.get("decision")
    if decision not in ("merge", "distinct"):
        raise ValidationFailed("请选择「是同一人（合并）」或「不是同一人」")
    services.decide_review(actor=request.user, review=review, merge=decision == "merge")
    messages.success(request, "已合并为同一人" if decision == "merge" else "已判定为不同人")
    return redirect("datagov_pool:review_list")


@require_GET
@page(VIEW)
def conflict_list(request: HttpRequest) -> HttpResponse:
    actor = request.user
    views = selectors.conflict_views(actor, selectors.conflicts_for(actor)[:200])
    context: dict[str, Any] = {"views": views, "may_resolve": has_anywhere(actor, CHANGE)}
    return render(request, "datagov_pool/conflict_list.html", context)


@require_POST
@page(CHANGE)
def conflict_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    conflict = selectors.get_conflict(request.user, pk=pk, permission=CHANGE)
    services.resolve_conflict(actor=request.user, conflict=conflict)
    messages.success(request, "已标记为已处理")
    return redirect("datagov_pool:conflict_list")
