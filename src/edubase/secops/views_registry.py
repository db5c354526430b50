"""Console pages of the information-asset registry: systems, a system's page, assets, the zombie
list, import, export. Thin over ``registry`` / ``registry_io`` (the API uses the same)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from edubase.core.errors import ValidationFailed
from edubase.core.middleware import abort_writes
from edubase.core.scope import has_anywhere
from edubase.core.tabular import ImportRejected
from edubase.core.web import console_page as page
from edubase.secops import registry, registry_io
from edubase.secops.models import AssessmentConclusion, AssetKind, SystemStatus

View = Callable[..., HttpResponse]
PAGE_SIZE = 50
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LEVELS = [(str(n), f"第{'一二三四五'[n - 1]}级") for n in range(1, 6)]
ACTION_LABELS = {"create": "登记", "update": "修改", "import": "导入", "assess": "等级测评", "discover": "发现"}
FIELD_LABELS = {f: label for f, (label, _parser) in registry.SYSTEM_FIELDS.items()} | {
    "assessment": "测评",
    "last_assessed_on": "最近测评日期",
    "next_assessment_due": "下次测评截止",
}
OVERDUE = [("any", "任一超期"), ("filing", "备案超期"), ("assessment", "测评超期")]


def _page(request: HttpRequest, queryset: QuerySet[Any]) -> Page:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError as exc:
        raise ValidationFailed(f"“{value}”不是有效的数字") from exc


def _system_filters(request: HttpRequest) -> dict[str, Any]:
    get = request.GET
    overdue = get.get("overdue") or None
    if overdue not in (None, "any", "filing", "assessment"):
        overdue = None
    return {
        "org_id": _int(get.get("org")),
        "level": _int(get.get("level")),
        "status": get.get("status") or None,
        "overdue": overdue,
        "q": get.get("q", "").strip() or None,
    }


@require_GET
@page(registry.VIEW)
def system_list(request: HttpRequest) -> HttpResponse:
    """Systems in scope: search, MLPS level, status and overdue filters; bulk status change."""
    filters = _system_filters(request)
    page_obj = _page(request, registry.systems_for(request.user, **filters))
    today = timezone.localdate()
    rows = [(s, registry.filing_overdue(s, today), registry.assessment_overdue(s, today)) for s in page_obj.object_list]
    context = {
        "page_obj": page_obj,
        "rows": rows,
        "filters": filters,
        "q": request.GET.get("q", ""),
        "levels": LEVELS,
        "statuses": SystemStatus.choices,
        "overdue_choices": OVERDUE,
        "may_change": has_anywhere(request.user, registry.CHANGE),
        "export_query": request.GET.urlencode(),
    }
    return render(request, "secops/registry_system_list.html", context)


@require_GET
@page(registry.VIEW)
def system_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One system: MLPS facts and due dates, its parts, assessments, change history."""
    system = registry.get_system(request.user, pk=pk)
    today = timezone.localdate()
    context = {
        "system": system,
        "filing_overdue": registry.filing_overdue(system, today),
        "assessment_overdue": registry.assessment_overdue(system, today),
        "assets": registry.assets_for(request.user, system_id=system.pk)[:500],
        "assessments": registry.assessments_of(request.user, system=system),
        "history": [
            (
                h,
                ACTION_LABELS.get(h.action, h.action),
                [(FIELD_LABELS.get(f, f), pair) for f, pair in h.changes.items()],
            )
            for h in registry.history_of(request.user, target=system)[:200]
        ],
        "conclusions": AssessmentConclusion.choices,
        "may_change": has_anywhere(request.user, registry.CHANGE),
    }
    return render(request, "secops/registry_system_detail.html", context)


@require_POST
@page(registry.CHANGE)
def system_assess(request: HttpRequest, pk: int) -> HttpResponse:
    system = registry.get_system(request.user, pk=pk)
    registry.add_assessment(
        actor=request.user,
        system=system,
        assessed_on=request.POST.get("assessed_on", ""),
        conclusion=request.POST.get("conclusion", ""),
        agency=request.POST.get("agency", "").strip(),
        report_number=request.POST.get("report_number", "").strip(),
        score=request.POST.get("score", "").strip() or None,
    )
    messages.success(request, "等级测评已登记")
    return redirect("secops:system_detail", pk=pk)


@require_POST
@page(registry.CHANGE)
def system_decommission(request: HttpRequest, pk: int) -> HttpResponse:
    system = registry.get_system(request.user, pk=pk)
    registry.decommission_system(actor=request.user, system=system)
    messages.success(request, f"信息系统“{system.name}”已下线")
    return redirect("secops:system_detail", pk=pk)


@require_POST
@page(registry.CHANGE)
def registry_bulk(request: HttpRequest) -> HttpResponse:
    """Bulk status / responsible-person change of the systems ticked on the list (all or none)."""
    ids = [_int(v) for v in request.POST.getlist("ids")]
    result = registry.bulk_edit(
        actor=request.user,
        target="system",
        ids=[i for i in ids if i is not None],
        status=request.POST.get("status") or None,
        responsible_name=request.POST.get("responsible_name", "").strip() or None,
        responsible_phone=request.POST.get("responsible_phone", "").strip() or None,
    )
    messages.success(request, f"已修改 {result.changed} 个信息系统，{result.unchanged} 个无变化")
    return redirect("secops:system_list")


@require_GET
@page(registry.VIEW)
def asset_list(request: HttpRequest) -> HttpResponse:
    get = request.GET
    registered = {"yes": True, "no": False}.get(get.get("registered", ""))
    filters: dict[str, Any] = {
        "org_id": _int(get.get("org")),
        "kind": get.get("kind") or None,
        "status": get.get("status") or None,
        "registered": registered,
        "q": get.get("q", "").strip() or None,
    }
    page_obj = _page(request, registry.assets_for(request.user, **filters))
    context = {
        "page_obj": page_obj,
        "filters": filters,
        "q": get.get("q", ""),
        "registered": get.get("registered", ""),
        "kinds": AssetKind.choices,
        "statuses": SystemStatus.choices,
    }
    return render(request, "secops/registry_asset_list.html", context)


@require_GET
@page(registry.VIEW)
def zombie_list(request: HttpRequest) -> HttpResponse:
    """Unregistered assets and decommissioned systems/assets still answering, for follow-up."""
    context = {
        "page_obj": _page(request, registry.zombies(request.user)),
        "systems": registry.zombie_systems(request.user)[:200],
    }
    return render(request, "secops/registry_zombies.html", context)


@require_http_methods(["GET", "POST"])
@page(registry.CHANGE)
def registry_import(request: HttpRequest) -> HttpResponse:
    """Upload a register (XLSX/CSV): the report, or every problem by row and column."""
    context: dict[str, Any] = {"columns": registry_io.COLUMNS}
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ValidationFailed("请选择要导入的 XLSX 或 CSV 文件")
            context["report"] = registry_io.import_registry(
                actor=request.user, data=upload.read(), filename=upload.name or ""
            )
        except ImportRejected as rejected:
            context["rejected"] = rejected
            response = render(request, "secops/registry_import.html", context, status=rejected.status)
            abort_writes()
            return response
    return render(request, "secops/registry_import.html", context)


def _download(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@require_GET
@page(registry.VIEW)
def registry_export(request: HttpRequest) -> HttpResponse:
    data = registry_io.export_registry(actor=request.user, **_system_filters(request))
    return _download(data, f"信息资产台账-{timezone.localtime().strftime('%Y%m%d')}.xlsx")


@require_GET
@page(registry.VIEW)
def registry_template(request: HttpRequest) -> HttpResponse:
    return _download(registry_io.template(), "信息资产台账模板.xlsx")


_FORM_FIELDS = [
    ("name", "text"),
    ("status", "status"),
    ("description", "textarea"),
    ("internet_facing", "bool"),
    ("responsible_name", "text"),
    ("responsible_phone", "text"),
    ("data_held", "textarea"),
    ("went_live_on", "date"),
    ("mlps_level", "level"),
    ("graded_on", "date"),
    ("filing_number", "text"),
    ("filed_on", "date"),
    ("cii", "bool"),
]


def _form_data(post: Any, *, creating: bool) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for field, kind in _FORM_FIELDS:
        if kind == "bool":
            data[field] = post.get(field) == "on"
        elif field == "responsible_phone" and registry.is_masked(post.get(field, "")):
            continue  # the masked phone shown in the form: unchanged
        else:
            value = post.get(field, "").strip()
            if value or not creating:
                data[field] = value or None if kind in ("date", "level") else value
    return data


def _system_form(request: HttpRequest, system: Any, *, error: Any = None, status: int = 200) -> HttpResponse:
    values = request.POST if request.method == "POST" else {}
    fields = []
    for field, kind in _FORM_FIELDS:
        label = registry.SYSTEM_FIELDS[field][0]
        if field in values:
            value: Any = values.get(field)
        elif kind == "bool" and request.method == "POST":
            value = False
        elif system is not None:
            value = system.responsible_phone_masked if field == "responsible_phone" else getattr(system, field)
        else:
            value = "online" if field == "status" else ""
        if kind == "date" and hasattr(value, "isoformat"):
            value = value.isoformat()
        problems = {d["field"]: d["reason"] for d in (getattr(error, "details", None) or []) if isinstance(d, dict)}
        fields.append({"name": field, "kind": kind, "label": label, "value": value, "error": problems.get(field)})
    context = {
        "system": system,
        "fields": fields,
        "error": error,
        "org_code": values.get("org_code", "") if values else "",
        "statuses": SystemStatus.choices,
        "levels": LEVELS,
    }
    response = render(request, "secops/registry_system_form.html", context, status=status)
    if error is not None:
        abort_writes()
    return response


@require_http_methods(["GET", "POST"])
@page(registry.CHANGE)
def system_new(request: HttpRequest) -> HttpResponse:
    """登记信息系统: the owning org by its code (学校标识码 or 区划代码) inside the actor's scope."""
    if request.method == "GET":
        return _system_form(request, None)
    try:
        code = request.POST.get("org_code", "").strip()
        org = registry.org_by_code(request.user, code=code)
        system = registry.create_system(actor=request.user, org=org, data=_form_data(request.POST, creating=True))
    except ValidationFailed as error:
        return _system_form(request, None, error=error, status=error.status)
    messages.success(request, f"已登记信息系统“{system.name}”")
    return redirect("secops:system_detail", pk=system.pk)


@require_http_methods(["GET", "POST"])
@page(registry.CHANGE)
def system_edit(request: HttpRequest, pk: int) -> HttpResponse:
    system = registry.get_system(request.user, pk=pk)
    if request.method == "GET":
        return _system_form(request, system)
    try:
        registry.update_system(actor=request.user, system=system, data=_form_data(request.POST, creating=False))
    except ValidationFailed as error:
        return _system_form(request, system, error=error, status=error.status)
    messages.success(request, "信息系统已更新")
    return redirect("secops:system_detail", pk=pk)
