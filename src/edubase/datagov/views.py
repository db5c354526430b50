"""Console pages of the data catalogue (数据目录): sources, scan results, review queue, datasets with
lineage, the published catalogue and its exports, code tables and grading rules.

Thin over ``selectors`` and ``services`` (the API uses the same functions).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from edubase.core.errors import DomainError, ValidationFailed
from edubase.core.middleware import abort_writes
from edubase.core.scope import has_anywhere, scope_for
from edubase.core.web import console_page as page
from edubase.core.web import int_param
from edubase.datagov import exports, search, selectors, services
from edubase.datagov.classify import ENTITIES
from edubase.datagov.models import GradeCategory, ReviewState, SourceKind, UpdateFrequency
from edubase.datagov.selectors import CHANGE, MANAGE, VIEW

SOURCE_FIELDS = (
    "org",
    "name",
    "kind",
    "system_name",
    "description",
    "location",
    "host",
    "port",
    "database",
    "username",
)


def _orgs_for(actor: Any) -> list[Any]:
    from edubase.orgs.models import Org

    return list(Org.objects.filter(scope_for(actor, CHANGE).q("path")).order_by("path")[:500])


def _entities() -> list[tuple[str, str]]:
    return [(e.code, e.label_zh) for e in ENTITIES.values()]


@require_GET
@page(VIEW)
def index(request: HttpRequest) -> HttpResponse:
    """Overview: datasets by grade, sources, fields awaiting review."""
    actor = request.user
    datasets = selectors.datasets_for(actor)
    by_grade = selectors.grade_counts(actor)
    grades = [(str(label), by_grade.get(code, 0)) for code, label in GradeCategory.choices]
    context = {
        "datasets": datasets.count(),
        "sensitive": datasets.filter(sensitive=True).count(),
        "published": datasets.filter(published=True).count(),
        "sources": selectors.sources_for(actor).count(),
        "review": selectors.review_queue_for(actor).count() if has_anywhere(actor, CHANGE) else 0,
        "grades": grades,
        "grades_data": [{"name": n, "value": v} for n, v in grades],
        "recent": datasets.order_by("-updated_at")[:10],
    }
    return render(request, "datagov/index.html", context)


# --- sources -----------------------------------------------------------------------------------


@require_GET
@page(VIEW)
def source_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.sources_for(request.user)
    return render(
        request,
        "datagov/source_list.html",
        {"rows": rows[:500], "total": rows.count(), "may_change": has_anywhere(request.user, CHANGE)},
    )


def _source_form(
    request: HttpRequest, source: Any, values: dict[str, str], *, error: DomainError | None = None, status: int = 200
) -> HttpResponse:
    context = {
        "source": source,
        "values": values,
        "kinds": SourceKind.choices,
        "orgs": _orgs_for(request.user),
        "error": error,
    }
    return render(request, "datagov/source_form.html", context, status=status)


def _source_values(request: HttpRequest) -> dict[str, Any]:
    values: dict[str, Any] = {k: request.POST.get(k, "").strip() for k in SOURCE_FIELDS}
    values["port"] = int_param(values["port"])
    return values


@require_http_methods(["GET", "POST"])
@page(CHANGE)
def source_new(request: HttpRequest) -> HttpResponse:
    """登记数据源."""
    if request.method == "GET":
        return _source_form(request, None, {"kind": SourceKind.FILE.value})
    values = _source_values(request)
    try:
        org = selectors.org_for(request.user, values.pop("org"))
        source = services.create_source(
            actor=request.user, org=org, password=request.POST.get("password") or None, **values
        )
    except ValidationFailed as error:
        response = _source_form(
            request, None, {k: str(v or "") for k, v in values.items()}, error=error, status=error.status
        )
        abort_writes()
        return response
    messages.success(request, f"已登记数据源「{source.name}」")
    return redirect("datagov:source_detail", pk=source.pk)


@require_GET
@page(VIEW)
def source_detail(request: HttpRequest, pk: str) -> HttpResponse:
    """A source's settings (never its password) and its last scan, sensitive tables highlighted."""
    source = selectors.get_source(request.user, pk)
    datasets = selectors.datasets_for(request.user).filter(source=source).order_by("source_table")
    context = {
        "source": source,
        "datasets": datasets,
        "summary": source.last_scan_summary or {},
        "may_change": scope_for(request.user, CHANGE).covers(source.org_path),
    }
    return render(request, "datagov/source_detail.html", context)


@require_http_methods(["GET", "POST"])
@page(CHANGE)
def source_edit(request: HttpRequest, pk: str) -> HttpResponse:
    source = selectors.get_source(request.user, pk, permission=CHANGE)
    if request.method == "GET":
        values = {k: str(getattr(source, k) or "") for k in SOURCE_FIELDS if k != "org"}
        return _source_form(request, source, values)
    values = _source_values(request)
    values.pop("org", None)
    try:
        services.update_source(
            actor=request.user,
            source=source,
            password=request.POST.get("password") or None,
            clear_password=request.POST.get("clear_password") == "1",
            **values,
        )
    except ValidationFailed as error:
        response = _source_form(
            request, source, {k: str(v or "") for k, v in values.items()}, error=error, status=error.status
        )
        abort_writes()
        return response
    messages.success(request, "数据源已保存")
    return redirect("datagov:source_detail", pk=source.pk)


@require_POST
@page(CHANGE)
def source_check(request: HttpRequest, pk: str) -> HttpResponse:
    source = selectors.get_source(request.user, pk, permission=CHANGE)
    result = services.check_source(actor=request.user, source=source)
    messages.success(request, f"连接成功，发现 {len(result['tables'])} 张表或文件")
    return redirect("datagov:source_detail", pk=source.pk)


@require_POST
@page(CHANGE)
def source_scan(request: HttpRequest, pk: str) -> HttpResponse:
    """Scan every table (or the ones ticked) into the catalogue; all or nothing."""
    source = selectors.get_source(request.user, pk, permission=CHANGE)
    tables = [t for t in request.POST.getlist("tables") if t] or None
    report = services.scan_source(actor=request.user, source=source, tables=tables)
    summary = report.as_dict()
    messages.success(
        request,
        f"扫描完成：{len(report.tables)} 张表，{summary['fields']} 个字段，"
        f"敏感字段 {summary['sensitive']} 个，待复核 {summary['needs_review']} 个",
    )
    return redirect("datagov:source_detail", pk=source.pk)


@require_POST
@page(CHANGE)
def source_delete(request: HttpRequest, pk: str) -> HttpResponse:
    source = selectors.get_source(request.user, pk, permission=CHANGE)
    services.delete_source(actor=request.user, source=source)
    messages.success(request, "数据源已删除，其数据集仍保留在目录中")
    return redirect("datagov:source_list")


# --- datasets ----------------------------------------------------------------------------------


@require_GET
@page(VIEW)
def dataset_list(request: HttpRequest) -> HttpResponse:
    """Datasets in scope; search in Chinese, pinyin or initials (SFZJH finds 身份证件号)."""
    filters = {k: request.GET.get(k, "") for k in ("q", "grade", "review")}
    rows = selectors.datasets_for(request.user)
    if filters["grade"] in GradeCategory.values:
        rows = rows.filter(grade_category=filters["grade"])
    if filters["review"] == "1":
        rows = rows.filter(pk__in=selectors.datasets_awaiting_review())
    rows = search.matching(rows, filters["q"]).order_by("org_path", "name")
    context = {"rows": rows[:500], "total": rows.count(), "filters": filters, "grades": GradeCategory.choices}
    return render(request, "datagov/dataset_list.html", context)


@require_GET
@page(VIEW)
def dataset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A dataset: fields with their class and grade (sensitive ones highlighted) and its lineage graph."""
    dataset = selectors.get_dataset(request.user, pk)
    nodes, edges = selectors.lineage_for(request.user, dataset)
    graph = {
        "nodes": [
            {"id": str(n.pk), "name": n.name, "grade": n.grade_category, "self": n.pk == dataset.pk} for n in nodes
        ],
        "edges": [{"source": str(a), "target": str(b)} for a, b in edges],
    }
    context = {
        "dataset": dataset,
        "fields": list(dataset.fields.all()),
        "graph": graph,
        "releases": selectors.releases_of(request.user, dataset)[:20],
        "may_change": scope_for(request.user, CHANGE).covers(dataset.org_path),
        "entities": _entities(),
    }
    return render(request, "datagov/dataset_detail.html", context)


@require_http_methods(["GET", "POST"])
@page(CHANGE)
def dataset_new(request: HttpRequest) -> HttpResponse:
    """A dataset with no scanned source, e.g. one derived from others (a county summary of school rosters)."""
    candidates = selectors.datasets_for(request.user).order_by("name")[:300]
    context: dict[str, Any] = {
        "dataset": None,
        "frequencies": UpdateFrequency.choices,
        "candidates": candidates,
        "orgs": _orgs_for(request.user),
        "parents": set(),
    }
    if request.method == "GET":
        return render(request, "datagov/dataset_form.html", context)
    parent_ids = [i for i in (int_param(v) for v in request.POST.getlist("derived_from")) if i is not None]
    try:
        dataset = services.create_dataset(
            actor=request.user,
            org=selectors.org_for(request.user, request.POST.get("org")),
            name=request.POST.get("name", ""),
            description=request.POST.get("description", ""),
            tags=request.POST.get("tags", "").replace("，", ",").split(","),
            update_frequency=request.POST.get("update_frequency") or UpdateFrequency.IRREGULAR,
            derived_from=selectors.datasets_by_ids(request.user, parent_ids),
        )
    except ValidationFailed as error:
        context |= {"error": error, "parents": set(parent_ids)}
        response = render(request, "datagov/dataset_form.html", context, status=error.status)
        abort_writes()
        return response
    messages.success(request, f"已新建数据集「{dataset.name}」")
    return redirect("datagov:dataset_detail", pk=dataset.pk)


@require_http_methods(["GET", "POST"])
@page(CHANGE)
def dataset_edit(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = selectors.get_dataset(request.user, pk, permission=CHANGE)
    candidates = selectors.datasets_for(request.user).exclude(pk=dataset.pk).order_by("name")[:300]
    context: dict[str, Any] = {"dataset": dataset, "frequencies": UpdateFrequency.choices, "candidates": candidates}
    if request.method == "GET":
        context["parents"] = set(dataset.derived_from.values_list("pk", flat=True))
        return render(request, "datagov/dataset_form.html", context)
    parent_ids = [i for i in (int_param(v) for v in request.POST.getlist("derived_from")) if i is not None]
    try:
        services.update_dataset(
            actor=request.user,
            dataset=dataset,
            name=request.POST.get("name", ""),
            description=request.POST.get("description", ""),
            tags=[t for t in request.POST.get("tags", "").replace("，", ",").split(",")],
            update_frequency=request.POST.get("update_frequency") or UpdateFrequency.IRREGULAR,
            minors_under_14=request.POST.get("minors_under_14") == "1",
            derived_from=selectors.datasets_by_ids(request.user, parent_ids),
        )
    except ValidationFailed as error:
        context |= {"error": error, "parents": set(parent_ids)}
        response = render(request, "datagov/dataset_form.html", context, status=error.status)
        abort_writes()
        return response
    messages.success(request, "数据集已保存")
    return redirect("datagov:dataset_detail", pk=dataset.pk)


@require_POST
@page(CHANGE)
def dataset_publish(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = selectors.get_dataset(request.user, pk, permission=CHANGE)
    release = services.publish_dataset(actor=request.user, dataset=dataset)
    messages.success(request, f"已发布到数据目录（第 {release.version} 版）")
    return redirect("datagov:dataset_detail", pk=dataset.pk)


@require_POST
@page(CHANGE)
def dataset_unpublish(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = selectors.get_dataset(request.user, pk, permission=CHANGE)
    services.unpublish_dataset(actor=request.user, dataset=dataset)
    messages.success(request, "已撤回发布")
    return redirect("datagov:dataset_detail", pk=dataset.pk)


# --- review ------------------------------------------------------------------------------------


@require_GET
@page(CHANGE)
def review_queue(request: HttpRequest) -> HttpResponse:
    """Fields whose classification confidence is low, least confident first."""
    rows = selectors.review_queue_for(request.user)
    context = {"rows": rows[:300], "total": rows.count(), "entities": _entities()}
    return render(request, "datagov/review_queue.html", context)


@require_POST
@page(CHANGE)
def field_review(request: HttpRequest, pk: int) -> HttpResponse:
    field = selectors.get_field(request.user, pk, permission=CHANGE)
    entity = request.POST.get("entity", "").strip() or None
    services.review_field(actor=request.user, field=field, entity=entity, note=request.POST.get("note", ""))
    messages.success(
        request, f"字段「{field.name}」已{'确认' if field.review_state == ReviewState.CONFIRMED else '更正'}"
    )
    target = request.POST.get("next", "")
    if target == "dataset":
        return redirect("datagov:dataset_detail", pk=field.dataset_id)
    return redirect("datagov:review_queue")


# --- catalogue ---------------------------------------------------------------------------------


@require_GET
@page(VIEW)
def catalogue(request: HttpRequest) -> HttpResponse:
    """The published catalogue, open to every holder of datagov.view; search with pinyin initials."""
    q = request.GET.get("q", "")
    rows = search.matching(selectors.catalogue_for(request.user), q)
    return render(request, "datagov/catalogue.html", {"rows": rows[:500], "total": rows.count(), "q": q})


@require_GET
@page(VIEW)
def catalogue_export(request: HttpRequest) -> HttpResponse:
    """The catalogue or the important-data list of the datasets in scope, as XLSX or JSON."""
    fmt = request.GET.get("format", "xlsx")
    kind = request.GET.get("list", "catalogue")
    export = (exports.export_important if kind == "important" else exports.export_catalogue)(
        actor=request.user, fmt=fmt
    )
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(export.filename)}"
    return response


# --- reference data ----------------------------------------------------------------------------


@require_GET
@page(VIEW)
def code_tables(request: HttpRequest) -> HttpResponse:
    tables = list(selectors.code_tables_for(request.user))
    context = {
        "tables": tables,
        "elements": selectors.data_elements_for(request.user),
        "may_manage": _province_manager(request.user),
    }
    return render(request, "datagov/code_tables.html", context)


@require_GET
@page(VIEW)
def code_table_detail(request: HttpRequest, pk: int) -> HttpResponse:
    table = selectors.code_table(request.user, pk)
    version = selectors.code_table_version(request.user, table.slug, request.GET.get("version") or None)
    q = request.GET.get("q", "").strip()
    items = selectors.code_items(version, q=q)
    context = {
        "table": table,
        "version": version,
        "versions": table.versions.all(),
        "items": items[:1000],
        "total": items.count(),
        "q": q,
    }
    return render(request, "datagov/code_table_detail.html", context)


def _province_manager(actor: Any) -> bool:
    scope = scope_for(actor, MANAGE)
    return scope.everything or any(len(p) <= 4 for p in scope.paths)


@require_POST
@page(MANAGE)
def reference_load(request: HttpRequest) -> HttpResponse:
    summary = services.load_reference(actor=request.user)
    loaded = [slug for slug, t in summary["tables"].items() if t["loaded"]]
    messages.success(request, f"参考数据已载入：新版本 {len(loaded)} 个，数据元 {summary['elements']} 个")
    return redirect("datagov:code_tables")


@require_GET
@page(VIEW)
def rules(request: HttpRequest) -> HttpResponse:
    """Grading rules in force and their versions; province data managers edit them as JSON."""
    version, active = services.active_rule_set()
    context = {
        "version": version,
        "rules_json": json.dumps(active, ensure_ascii=False, indent=2),
        "versions": selectors.rule_sets_for(request.user)[:50],
        "may_manage": _province_manager(request.user),
    }
    return render(request, "datagov/rules.html", context)


@require_POST
@page(MANAGE)
def rules_save(request: HttpRequest) -> HttpResponse:
    try:
        rules_data = json.loads(request.POST.get("rules", ""))
    except json.JSONDecodeError as exc:
        raise ValidationFailed(f"分级规则不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列") from exc
    saved = services.save_rule_set(actor=request.user, rules=rules_data, note=request.POST.get("note", ""))
    messages.success(request, f"已保存分级规则第 {saved.version} 版，并按新规则重新定级")
    return redirect("datagov:rules")
