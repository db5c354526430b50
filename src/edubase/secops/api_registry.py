"""API routes of secops: the information-asset registry (mounted at ``/secops`` by edubase.api).

Systems, assets, MLPS assessments, change history, bulk edit, XLSX/CSV import and XLSX export,
the zombie list and compliance per city/county. Every read is scoped by ``secops.view``;
writes need ``secops.change`` on the owning org.
"""

from typing import Any, Literal
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from edubase.core.errors import ValidationFailed
from edubase.core.pagination import CursorPagination
from edubase.secops import registry, registry_io
from edubase.secops.models import Assessment, Asset, InformationSystem, RegistryChange
from edubase.secops.schemas_registry import (
    AssessmentIn,
    AssessmentOut,
    AssetFilters,
    AssetIn,
    AssetOut,
    AssetPatch,
    BulkIn,
    BulkOut,
    ChangeOut,
    ComplianceOut,
    ImportReportOut,
    SystemFilters,
    SystemIn,
    SystemOut,
    SystemPatch,
)

router = Router()

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _xlsx(data: bytes, ascii_name: str, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return response


# --- systems ---------------------------------------------------------------------------------


@router.get("/systems", response=list[SystemOut], summary="信息系统列表 / information systems in scope")
@paginate(CursorPagination)
def list_systems(request: HttpRequest, filters: Query[SystemFilters], **kwargs: Any) -> Any:
    """Filters: org (subtree), MLPS level, status, overdue (filing | assessment | any), CII, ``q``."""
    return registry.systems_for(_actor(request), **filters.dict())


@router.post("/systems", response={201: SystemOut}, summary="登记信息系统 / register a system")
def create_system(request: HttpRequest, payload: SystemIn) -> Status[InformationSystem]:
    actor = _actor(request)
    data = payload.dict(exclude_unset=True)
    org = registry.org_for(actor, pk=data.pop("org_id"))
    return Status(201, registry.create_system(actor=actor, org=org, data=data))


@router.get("/systems/{int:system_id}", response=SystemOut, summary="信息系统详情 / one system")
def get_system(request: HttpRequest, system_id: int) -> InformationSystem:
    return registry.get_system(_actor(request), pk=system_id)


@router.patch("/systems/{int:system_id}", response=SystemOut, summary="修改信息系统 / change a system")
def update_system(request: HttpRequest, system_id: int, payload: SystemPatch) -> InformationSystem:
    """Only the given fields change, all or none; each change is kept in the history."""
    actor = _actor(request)
    system = registry.get_system(actor, pk=system_id)
    return registry.update_system(actor=actor, system=system, data=payload.dict(exclude_unset=True))


@router.post("/systems/{int:system_id}/decommission", response=SystemOut, summary="系统下线 / decommission a system")
def decommission_system(request: HttpRequest, system_id: int) -> InformationSystem:
    actor = _actor(request)
    return registry.decommission_system(actor=actor, system=registry.get_system(actor, pk=system_id))


@router.get("/systems/{int:system_id}/assessments", response=list[AssessmentOut], summary="等级测评记录 / assessments")
def list_assessments(request: HttpRequest, system_id: int) -> list[Assessment]:
    actor = _actor(request)
    return list(registry.assessments_of(actor, system=registry.get_system(actor, pk=system_id)))


@router.post(
    "/systems/{int:system_id}/assessments", response={201: AssessmentOut}, summary="登记等级测评 / add assessment"
)
def add_assessment(request: HttpRequest, system_id: int, payload: AssessmentIn) -> Status[Assessment]:
    actor = _actor(request)
    system = registry.get_system(actor, pk=system_id)
    assessment = registry.add_assessment(actor=actor, system=system, **payload.dict())
    return Status(201, assessment)


@router.get("/systems/{int:system_id}/history", response=list[ChangeOut], summary="系统变更记录 / history")
def system_history(request: HttpRequest, system_id: int) -> list[RegistryChange]:
    actor = _actor(request)
    return list(registry.history_of(actor, target=registry.get_system(actor, pk=system_id))[:500])


# --- assets ----------------------------------------------------------------------------------


@router.get("/assets", response=list[AssetOut], summary="资产列表 / assets in scope")
@paginate(CursorPagination)
def list_assets(request: HttpRequest, filters: Query[AssetFilters], **kwargs: Any) -> Any:
    """Filters: org (subtree), kind, status, system, registered, ``q`` (name, domain or exact IP)."""
    return registry.assets_for(_actor(request), **filters.dict())


@router.post("/assets", response={201: AssetOut}, summary="登记资产 / register an asset")
def create_asset(request: HttpRequest, payload: AssetIn) -> Status[Asset]:
    actor = _actor(request)
    data = payload.dict(exclude_unset=True)
    org = registry.org_for(actor, pk=data.pop("org_id"))
    system_id = data.pop("system_id", None)
    system = registry.get_system(actor, pk=system_id) if system_id is not None else None
    return Status(201, registry.create_asset(actor=actor, org=org, data=data, system=system))


@router.get("/assets/{int:asset_id}", response=AssetOut, summary="资产详情 / one asset")
def get_asset(request: HttpRequest, asset_id: int) -> Asset:
    return registry.get_asset(_actor(request), pk=asset_id)


@router.patch("/assets/{int:asset_id}", response=AssetOut, summary="修改资产 / change an asset")
def update_asset(request: HttpRequest, asset_id: int, payload: AssetPatch) -> Asset:
    """Only the given fields change; ``system_id: null`` detaches the asset from its system."""
    actor = _actor(request)
    asset = registry.get_asset(actor, pk=asset_id)
    data = payload.dict(exclude_unset=True)
    system: InformationSystem | bool | None = False
    if "system_id" in data:
        system_id = data.pop("system_id")
        system = registry.get_system(actor, pk=system_id) if system_id is not None else None
    return registry.update_asset(actor=actor, asset=asset, data=data, system=system)


@router.post("/assets/{int:asset_id}/decommission", response=AssetOut, summary="资产下线 / decommission an asset")
def decommission_asset(request: HttpRequest, asset_id: int) -> Asset:
    actor = _actor(request)
    return registry.decommission_asset(actor=actor, asset=registry.get_asset(actor, pk=asset_id))


@router.get("/assets/{int:asset_id}/history", response=list[ChangeOut], summary="资产变更记录 / history")
def asset_history(request: HttpRequest, asset_id: int) -> list[RegistryChange]:
    actor = _actor(request)
    return list(registry.history_of(actor, target=registry.get_asset(actor, pk=asset_id))[:500])


# --- many at once ----------------------------------------------------------------------------


@router.post("/bulk", response=BulkOut, summary="批量修改 / bulk edit (all or none)")
def bulk_edit(request: HttpRequest, payload: BulkIn) -> registry.BulkResult:
    """Set status, responsible person (systems) or system (assets) on a list of ids; one object out
    of scope or one bad value and nothing changes."""
    return registry.bulk_edit(actor=_actor(request), **payload.dict())


@router.post("/import", response=ImportReportOut, summary="导入信息资产台账（XLSX/CSV，全部成功或全部不写入）")
def import_registry(request: HttpRequest, file: File[UploadedFile]) -> registry_io.ImportReport:
    """Create or update systems and assets; any problem rejects the whole file (422 with every row)."""
    if file.size is not None and file.size > MAX_UPLOAD_BYTES:
        raise ValidationFailed(f"文件超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB，请拆分后导入")
    return registry_io.import_registry(actor=_actor(request), data=file.read(), filename=file.name or "")


@router.get("/import/template", summary="导入模板（XLSX） / import template")
def import_template(request: HttpRequest) -> HttpResponse:
    return _xlsx(registry_io.template(), "registry-template.xlsx", "信息资产台账模板.xlsx")


@router.get("/export", summary="导出信息资产台账（XLSX） / export the register")
def export_registry(request: HttpRequest, filters: Query[SystemFilters]) -> HttpResponse:
    """The register in scope, in the import format (phones masked)."""
    data = registry_io.export_registry(actor=_actor(request), **filters.dict())
    return _xlsx(data, "registry.xlsx", "信息资产台账.xlsx")


# --- follow-up and compliance ----------------------------------------------------------------


@router.get("/zombies", response=list[AssetOut], summary="僵尸与未登记资产 / zombie and unregistered assets")
@paginate(CursorPagination)
def zombie_assets(request: HttpRequest, **kwargs: Any) -> Any:
    return registry.zombies(_actor(request))


@router.get("/zombies/systems", response=list[SystemOut], summary="下线后仍在运行的系统 / zombie systems")
@paginate(CursorPagination)
def zombie_systems(request: HttpRequest, **kwargs: Any) -> Any:
    return registry.zombie_systems(_actor(request))


@router.get("/compliance", response=list[ComplianceOut], summary="等保合规率（按地市/县区） / MLPS compliance")
def compliance(request: HttpRequest, level: Literal["city", "county"] = "city") -> list[dict[str, Any]]:
    return registry.compliance_by_region(_actor(request), level=level)
