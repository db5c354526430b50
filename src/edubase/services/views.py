"""Console pages of services: the public catalogue, applying, my applications, an application's page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from edubase.core.errors import DomainError
from edubase.core.middleware import abort_writes
from edubase.core.web import domain_errors as page
from edubase.orgs.models import Org, OrgKind
from edubase.services import documents, selectors, services
from edubase.services.models import ApplicationStatus, RatingLevel, ServiceItem
from edubase.workflow.selectors import case_history

View = Callable[..., HttpResponse]


_LEVEL_KIND = {"county": OrgKind.COUNTY, "city": OrgKind.PREFECTURE, "school": OrgKind.SCHOOL}


def _handling_orgs(item: ServiceItem) -> QuerySet[Org]:
    kind = _LEVEL_KIND.get(item.handling_level)
    if kind is None or item.org.kind == kind:
        return Org.objects.filter(pk=item.org.pk)
    return Org.objects.filter(path__startswith=item.org.path, kind=kind).order_by("code")


@require_GET
@page
def catalogue(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    return render(request, "services/catalogue.html", {"items": selectors.published_items(q=q or None), "q": q})


@require_GET
@page
def item_detail(request: HttpRequest, code: str) -> HttpResponse:
    return render(request, "services/item_detail.html", {"item": selectors.get_item(code)})


@login_required
@require_http_methods(["GET", "POST"])
@page
def apply(request: HttpRequest, code: str) -> HttpResponse:
    item = selectors.get_item(code)
    orgs = _handling_orgs(item)
    context: dict[str, Any] = {"item": item, "orgs": orgs}
    if request.method == "POST":
        try:
            org = orgs.filter(pk=request.POST.get("org") or 0).first() or (orgs.first() if orgs.count() == 1 else None)
            if org is None:
                raise services.ValidationFailed("请选择办理机构")
            application = services.apply(
                actor=request.user, item=item, org=org, form_data={"note": request.POST.get("note", "")}
            )
            for index, spec in enumerate(item.materials):
                upload = request.FILES.get(f"material_{index}")
                if upload is not None:
                    services.upload_material(
                        actor=request.user,
                        application=application,
                        name=spec["name"],
                        filename=upload.name or "file",
                        data=upload.read(),
                    )
            services.submit(actor=request.user, application=application)
        except DomainError as error:
            context["error"] = error
            response = render(request, "services/apply.html", context, status=error.status)
            abort_writes()
            return response
        messages.success(request, f"申请已提交，申请编号 {application.number}")
        return redirect("services:application_detail", pk=application.pk)
    return render(request, "services/apply.html", context)


@login_required
@require_GET
@page
def my_applications(request: HttpRequest) -> HttpResponse:
    rows = [(a, selectors.working_days_left(a)) for a in selectors.applications_for(request.user, mine=True)[:200]]
    return render(request, "services/my_applications.html", {"rows": rows})


_ACTIONS = {
    "started": "受理",
    "completed": "办理完成",
    "returned": "退回补正",
    "finished": "办结",
    "cancelled": "撤销",
    "claimed": "签收",
    "delegated": "转办",
    "reminded": "催办提醒",
    "escalated": "超期升级",
}


def _readable_history(events: Any) -> list[dict[str, Any]]:
    """Case events as the applicant reads them: the step, what happened (the decision), the comment."""
    rows = []
    for event in events:
        decision = (event.data or {}).get("decision") if event.action == "completed" else None
        rows.append(
            {
                "title": event.task.title if event.task else _ACTIONS.get(event.action, event.action),
                "at": event.at,
                "label": services.DECISIONS.get(str(decision), "") if decision else _ACTIONS.get(event.action, ""),
                "comment": event.comment,
                "actor": event.actor_label,
            }
        )
    return rows


def _detail_context(request: HttpRequest, pk: int) -> dict[str, Any]:
    application = selectors.get_application(request.user, pk=pk)
    history = _readable_history(case_history(request.user, application.instance)) if application.instance else []
    mine = application.applicant_id == request.user.pk
    return {
        "application": application,
        "days_left": selectors.working_days_left(application),
        "history": history,
        "materials": application.material_files.all(),
        "tasks": selectors.open_tasks(application),
        "mine": mine,
        "returned": mine and application.status == ApplicationStatus.RETURNED,
        "rating": getattr(application, "rating", None) if hasattr(application, "rating") else None,
        "may_rate": mine
        and application.status in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED)
        and not hasattr(application, "rating"),
        "has_result": application.status in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED),
        "levels": RatingLevel.choices,
        "actionable": selectors.actionable_tasks(request.user, application),
        "decisions": list(services.DECISIONS.items()),
    }


@login_required
@require_GET
@page
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "services/application_detail.html", _detail_context(request, pk))


@login_required
@require_POST
@page
def application_resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.get_application(request.user, pk=pk)
    upload = request.FILES.get("file")
    if upload is not None:
        services.upload_material(
            actor=request.user,
            application=application,
            name=request.POST.get("name", ""),
            filename=upload.name or "file",
            data=upload.read(),
        )
    services.resubmit(actor=request.user, application=application, comment=request.POST.get("comment", ""))
    messages.success(request, "补正材料已提交")
    return redirect("services:application_detail", pk=pk)


@login_required
@require_POST
@page
def application_rate(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.get_application(request.user, pk=pk)
    try:
        level = int(request.POST.get("level", "0"))
    except ValueError:
        level = 0
    services.rate(actor=request.user, application=application, level=level, comment=request.POST.get("comment", ""))
    messages.success(request, "感谢您的评价")
    return redirect("services:application_detail", pk=pk)


@login_required
@require_GET
@page
def application_result(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.get_application(request.user, pk=pk)
    response = HttpResponse(documents.result_pdf(application), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{application.number}.pdf"'
    return response


@login_required
@require_GET
@page
def handling(request: HttpRequest) -> HttpResponse:
    """待我办理: the official's government-service cases, soonest deadline first."""
    rows = [(t, a, selectors.working_days_left(a)) for t, a in selectors.handling_for(request.user)]
    return render(request, "services/handling.html", {"rows": rows})


@login_required
@require_POST
@page
def application_handle(request: HttpRequest, pk: int) -> HttpResponse:
    """An official's decision on the application's current step (通过 / 不通过 / 退回补正)."""
    application = selectors.get_application(request.user, pk=pk)
    tasks = {str(t.pk): t for t in selectors.actionable_tasks(request.user, application)}
    task = tasks.get(request.POST.get("task", ""))
    if task is None:
        raise services.ApplicationStateError("您在该办件当前环节没有待办事项（可能已被他人办理）")
    decision = request.POST.get("decision", "")
    services.handle(task, actor=request.user, decision=decision, reason=request.POST.get("reason", ""))
    messages.success(request, f"已办理：{task.title} · {services.DECISIONS.get(decision, decision)}")
    return redirect("services:application_detail", pk=pk)


@login_required
@require_GET
@page
def material_download(request: HttpRequest, pk: int, material_pk: int) -> HttpResponse:
    material = selectors.get_material(request.user, application_pk=pk, material_pk=material_pk)
    with material.file.open("rb") as handle:
        data = handle.read()
    types = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg"}
    response = HttpResponse(data, content_type=types.get(material.kind, "application/octet-stream"))
    response["Content-Disposition"] = f'inline; filename="material-{material.pk}.{material.kind}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
@page
def stats_page(request: HttpRequest) -> HttpResponse:
    """政务服务统计: on-time rate, handling time, corrections and satisfaction, charted by item and city."""
    from edubase.core.scope import has_anywhere
    from edubase.services import stats

    if not has_anywhere(request.user, selectors.HANDLER_PERMISSION):
        raise services.PermissionDenied("您没有查看政务服务统计的权限（需要查看机构权限）")
    figures = stats.service_stats(request.user)

    def chart(rows: list[dict[str, Any]], key: str, scale: float = 100.0) -> list[dict[str, Any]]:
        return [{"name": r["name"], "value": round(r[key] * scale, 1)} for r in rows if r.get(key) is not None]

    context = {
        "figures": figures,
        "charts": {
            "chart-item-on-time": chart(figures["by_item"], "on_time_rate"),
            "chart-item-good": chart(figures["by_item"], "good_rate"),
            "chart-item-hours": chart(figures["by_item"], "avg_handling_hours", 1.0),
            "chart-pref-on-time": chart(figures["by_prefecture"], "on_time_rate"),
            "chart-pref-correction": chart(figures["by_prefecture"], "correction_rate"),
            "chart-pref-satisfaction": chart(figures["by_prefecture"], "avg_satisfaction", 1.0),
        },
    }
    return render(request, "services/stats.html", context)
