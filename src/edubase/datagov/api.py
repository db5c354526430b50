"""API of the data catalogue (mounted at ``/api/v1/datagov``): sources, scans, review, datasets,
the published catalogue and its exports, code tables, data elements and grading rules.

Thin over ``selectors`` (scoped reads) and ``services`` (writes); sources and datasets are read
with ``datagov.view`` and changed with ``datagov.change`` on their owner org's subtree.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from edubase.core.errors import PermissionDenied
from edubase.core.pagination import CursorPagination
from edubase.core.scope import has_anywhere
from edubase.datagov import exports, search, selectors, services
from edubase.datagov.classify import ENTITIES
from edubase.datagov.models import DataSource
from edubase.datagov.schemas import (
    CatalogueEntryOut,
    CheckOut,
    CodeTableDetailOut,
    CodeTableOut,
    DataElementOut,
    DatasetDetailOut,
    DatasetIn,
    DatasetOut,
    DatasetPatch,
    EntityOut,
    FieldOut,
    ReleaseOut,
    ReviewIn,
    RuleSetIn,
    RuleSetOut,
    ScanIn,
    ScanOut,
    SourceIn,
    SourceOut,
    SourcePatch,
)

router = Router()


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _need(actor: Any, permission: str) -> None:
    if not has_anywhere(actor, permission):
        raise PermissionDenied()


class DatasetFilters(Schema):
    q: str | None = None
    grade: str | None = None
    org_id: int | None = None
    review: bool | None = None


# --- sources -----------------------------------------------------------------------------------


@router.get("/sources", response=list[SourceOut], summary="数据源列表 / data sources")
@paginate(CursorPagination)
def list_sources(request: HttpRequest, **kwargs: Any) -> Any:
    return selectors.sources_for(_actor(request))


@router.post("/sources", response={201: SourceOut}, summary="登记数据源 / register a data source")
def create_source(request: HttpRequest, payload: SourceIn) -> Status[DataSource]:
    actor = _actor(request)
    org = selectors.org_for(actor, payload.org_id)
    data = payload.dict(exclude={"org_id"})
    return Status(201, services.create_source(actor=actor, org=org, **data))


@router.get("/sources/{source_id}", response=SourceOut, summary="数据源 / one data source")
def get_source(request: HttpRequest, source_id: str) -> DataSource:
    return selectors.get_source(_actor(request), source_id)


@router.patch("/sources/{source_id}", response=SourceOut, summary="修改数据源 / edit a data source")
def update_source(request: HttpRequest, source_id: str, payload: SourcePatch) -> DataSource:
    actor = _actor(request)
    source = selectors.get_source(actor, source_id, permission=selectors.CHANGE)
    data = payload.dict(exclude_unset=True)
    password, clear = data.pop("password", None), data.pop("clear_password", False)
    return services.update_source(actor=actor, source=source, password=password, clear_password=clear, **data)


@router.delete("/sources/{source_id}", response={204: None}, summary="删除数据源 / delete a data source")
def delete_source(request: HttpRequest, source_id: str) -> Status[None]:
    actor = _actor(request)
    services.delete_source(actor=actor, source=selectors.get_source(actor, source_id, permission=selectors.CHANGE))
    return Status(204, None)


@router.post("/sources/{source_id}/check", response=CheckOut, summary="测试连接 / test the connection")
def check_source(request: HttpRequest, source_id: str) -> dict[str, Any]:
    actor = _actor(request)
    return services.check_source(
        actor=actor, source=selectors.get_source(actor, source_id, permission=selectors.CHANGE)
    )


@router.post("/sources/{source_id}/scan", response=ScanOut, summary="扫描数据源 / scan tables into the catalogue")
def scan_source(request: HttpRequest, source_id: str, options: Query[ScanIn]) -> dict[str, Any]:
    actor = _actor(request)
    source = selectors.get_source(actor, source_id, permission=selectors.CHANGE)
    report = services.scan_source(actor=actor, source=source, tables=options.table or None)
    return report.as_dict()


# --- datasets ----------------------------------------------------------------------------------


@router.get("/datasets", response=list[DatasetOut], summary="数据集 / datasets in scope")
@paginate(CursorPagination)
def list_datasets(request: HttpRequest, filters: Query[DatasetFilters], **kwargs: Any) -> Any:
    datasets = selectors.datasets_for(_actor(request))
    if filters.grade:
        datasets = datasets.filter(grade_category=filters.grade)
    if filters.org_id:
        datasets = datasets.filter(org_id=filters.org_id)
    if filters.review:
        datasets = datasets.filter(pk__in=selectors.datasets_awaiting_review())
    return search.matching(datasets, filters.q or "")


@router.post("/datasets", response={201: DatasetOut}, summary="新建数据集（如派生数据集） / add a dataset")
def create_dataset(request: HttpRequest, payload: DatasetIn) -> Status[Any]:
    actor = _actor(request)
    org = selectors.org_for(actor, payload.org_id)
    parents = selectors.datasets_by_ids(actor, payload.derived_from)
    dataset = services.create_dataset(
        actor=actor,
        org=org,
        name=payload.name,
        description=payload.description,
        tags=payload.tags,
        update_frequency=payload.update_frequency,
        derived_from=parents,
    )
    return Status(201, dataset)


def _detail(actor: Any, dataset_id: int) -> Any:
    dataset = selectors.get_dataset(actor, dataset_id)
    nodes, edges = selectors.lineage_for(actor, dataset)
    dataset.derived_from_ids = sorted(dataset.derived_from.values_list("pk", flat=True))  # type: ignore[attr-defined]
    dataset.lineage = {  # type: ignore[attr-defined]
        "nodes": [{"id": n.pk, "name": n.name, "grade": n.grade_category} for n in nodes],
        "edges": [list(e) for e in edges],
    }
    return dataset


@router.get("/datasets/{dataset_id}", response=DatasetDetailOut, summary="数据集详情（字段、血缘） / one dataset")
def get_dataset(request: HttpRequest, dataset_id: int) -> Any:
    return _detail(_actor(request), dataset_id)


@router.patch("/datasets/{dataset_id}", response=DatasetDetailOut, summary="编辑数据集 / edit a dataset")
def update_dataset(request: HttpRequest, dataset_id: int, payload: DatasetPatch) -> Any:
    actor = _actor(request)
    dataset = selectors.get_dataset(actor, dataset_id, permission=selectors.CHANGE)
    data = payload.dict(exclude_unset=True)
    parents = data.pop("derived_from", None)
    steward_id = data.pop("steward_id", None)
    if steward_id is not None:
        data["steward"] = selectors.steward_candidate(steward_id)
    services.update_dataset(
        actor=actor,
        dataset=dataset,
        derived_from=selectors.datasets_by_ids(actor, parents) if parents is not None else None,
        **data,
    )
    return _detail(actor, dataset_id)


@router.post("/datasets/{dataset_id}/publish", response=ReleaseOut, summary="发布到数据目录 / publish")
def publish_dataset(request: HttpRequest, dataset_id: int) -> Any:
    actor = _actor(request)
    return services.publish_dataset(
        actor=actor, dataset=selectors.get_dataset(actor, dataset_id, permission=selectors.CHANGE)
    )


@router.post("/datasets/{dataset_id}/unpublish", response=DatasetOut, summary="撤回发布 / withdraw")
def unpublish_dataset(request: HttpRequest, dataset_id: int) -> Any:
    actor = _actor(request)
    return services.unpublish_dataset(
        actor=actor, dataset=selectors.get_dataset(actor, dataset_id, permission=selectors.CHANGE)
    )


# --- review ------------------------------------------------------------------------------------


@router.get("/review", response=list[FieldOut], summary="待复核字段 / fields awaiting review")
@paginate(CursorPagination)
def review_queue(request: HttpRequest, **kwargs: Any) -> Any:
    return selectors.review_queue_for(_actor(request)).order_by("pk")


@router.post("/fields/{field_id}/review", response=FieldOut, summary="确认或更正字段分类 / review a field")
def review_field(request: HttpRequest, field_id: int, payload: ReviewIn) -> Any:
    actor = _actor(request)
    field = selectors.get_field(actor, field_id, permission=selectors.CHANGE)
    return services.review_field(actor=actor, field=field, entity=payload.entity, note=payload.note)


@router.get("/entities", response=list[EntityOut], summary="识别类型 / the entities classification finds")
def entities(request: HttpRequest) -> list[dict[str, Any]]:
    _need(_actor(request), selectors.VIEW)
    return [
        {
            "code": e.code,
            "label": e.label_zh,
            "personal": e.personal,
            "sensitive": e.sensitive,
            "element": e.jyt_element or "",
        }
        for e in ENTITIES.values()
    ]


# --- the published catalogue and exports -------------------------------------------------------


@router.get("/catalogue", response=list[CatalogueEntryOut], summary="已发布的数据目录 / the published catalogue")
@paginate(CursorPagination)
def catalogue(request: HttpRequest, q: str = "", **kwargs: Any) -> Any:
    return search.matching(selectors.catalogue_for(_actor(request)), q).order_by("pk")


def _file(export: exports.Export) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    from urllib.parse import quote

    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(export.filename)}"
    return response


@router.get("/export/catalogue", summary="导出数据目录（xlsx/json） / export the catalogue")
def export_catalogue(request: HttpRequest, format: str = "xlsx") -> HttpResponse:
    actor = _actor(request)
    _need(actor, selectors.VIEW)
    return _file(exports.export_catalogue(actor=actor, fmt=format))


@router.get("/export/important", summary="导出重要数据目录（xlsx/json） / export the important-data list")
def export_important(request: HttpRequest, format: str = "xlsx") -> HttpResponse:
    actor = _actor(request)
    _need(actor, selectors.VIEW)
    return _file(exports.export_important(actor=actor, fmt=format))


# --- reference data ----------------------------------------------------------------------------


def _table_out(table: Any) -> dict[str, Any]:
    current = table.versions.filter(current=True).first()
    return {
        "id": table.pk,
        "slug": table.slug,
        "standard": table.standard,
        "name": table.name,
        "version": current.version if current else "",
        "source": current.source if current else "",
        "items": current.items.count() if current else 0,
    }


@router.get("/code-tables", response=list[CodeTableOut], summary="代码表 / code tables")
def code_tables(request: HttpRequest) -> list[dict[str, Any]]:
    return [_table_out(t) for t in selectors.code_tables_for(_actor(request))]


@router.get("/code-tables/{table_id}", response=CodeTableDetailOut, summary="代码表内容 / a code table")
def code_table(request: HttpRequest, table_id: int, q: str = "", version: str = "") -> dict[str, Any]:
    table = selectors.code_table(_actor(request), table_id)
    current = selectors.code_table_version(_actor(request), table.slug, version or None)
    data = _table_out(table) | {"version": current.version, "source": current.source}
    data["versions"] = list(table.versions.values_list("version", flat=True))
    data["entries"] = list(selectors.code_items(current, q=q)[:500].values("code", "name", "parent_code", "extra"))
    return data


@router.get("/elements", response=list[DataElementOut], summary="数据元（JY/T 1001–1006） / data elements")
def elements(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "code": e.code,
            "name": e.name,
            "standard": e.standard,
            "data_type": e.data_type,
            "length": e.length,
            "code_table": e.code_table.slug if e.code_table else "",
            "entity": e.entity,
        }
        for e in selectors.data_elements_for(_actor(request))
    ]


@router.get("/rules", response=list[RuleSetOut], summary="分级规则版本 / grading rule versions")
def rules(request: HttpRequest) -> list[dict[str, Any]]:
    versions = [
        {"version": r.version, "active": r.active, "note": r.note, "rules": r.rules, "created_at": r.created_at}
        for r in selectors.rule_sets_for(_actor(request))
    ]
    if not any(v["active"] for v in versions):
        version, built_in = services.active_rule_set()
        versions.insert(
            0, {"version": version, "active": True, "note": "内置默认规则", "rules": built_in, "created_at": None}
        )
    return versions


@router.post("/rules", response={201: RuleSetOut}, summary="保存分级规则新版本 / save grading rules")
def save_rules(request: HttpRequest, payload: RuleSetIn) -> Status[dict[str, Any]]:
    r = services.save_rule_set(actor=_actor(request), rules=payload.rules, note=payload.note)
    return Status(
        201, {"version": r.version, "active": r.active, "note": r.note, "rules": r.rules, "created_at": r.created_at}
    )


@router.post("/reference/load", summary="载入代码表与数据元 / load reference data")
def load_reference(request: HttpRequest) -> dict[str, Any]:
    return services.load_reference(actor=_actor(request))
