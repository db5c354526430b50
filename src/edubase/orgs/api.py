"""API routes of orgs (mounted at ``/orgs`` by edubase.api): the tree, schools, import and export."""

from typing import Any
from urllib.parse import quote

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from edubase.core.errors import ValidationFailed
from edubase.core.pagination import CursorPagination
from edubase.orgs import imports, selectors, services
from edubase.orgs.models import Org
from edubase.orgs.schemas import ImportReportOut, OrgOut, SchoolDetailOut, SchoolIn, SchoolOut, SchoolPatch

router = Router()

#: the largest spreadsheet accepted through the API (a province-wide file is split by city)
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SchoolFilters(Schema):
    prefecture: str | None = None
    county: str | None = None
    category: str | None = None
    q: str | None = None


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


@router.get("", response=list[OrgOut], summary="下级机构（机构树） / children in the org tree")
def list_orgs(request: HttpRequest, parent: int | None = None) -> list[Org]:
    """Children of ``parent`` in scope; without ``parent``, the top nodes of the caller's scope."""
    actor = _actor(request)
    node = selectors.get_org(actor, pk=parent) if parent is not None else None
    return list(selectors.children_of(actor, node))


@router.get("/schools", response=list[SchoolOut], summary="学校列表（管辖范围内） / schools in scope")
@paginate(CursorPagination)
def list_schools(request: HttpRequest, filters: Query[SchoolFilters], **kwargs: Any) -> Any:
    """Schools in scope, filtered by prefecture/county (GB/T 2260 code), category code, or ``q``."""
    return selectors.schools_for(_actor(request), **filters.dict())


@router.get("/schools/export", summary="导出学校（XLSX） / export schools as XLSX")
def export_schools(request: HttpRequest, filters: Query[SchoolFilters]) -> HttpResponse:
    """The schools in scope as an XLSX file in the import format (plus 所属地市, 状态)."""
    data = imports.export_schools(actor=_actor(request), **filters.dict())
    response = HttpResponse(data, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f"attachment; filename=\"schools.xlsx\"; filename*=UTF-8''{quote('学校.xlsx')}"
    return response


@router.post("/schools/import", response=ImportReportOut, summary="导入学校（XLSX/CSV，全部成功或全部不写入）")
def import_schools(request: HttpRequest, file: File[UploadedFile]) -> imports.ImportReport:
    """Create or update schools from a spreadsheet; any problem rejects the whole file (422 with every row)."""
    if file.size is not None and file.size > MAX_UPLOAD_BYTES:
        raise ValidationFailed(f"文件超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB，请按地市拆分后导入")
    return imports.import_schools(actor=_actor(request), data=file.read(), filename=file.name or "")


@router.get("/schools/{int:school_id}", response=SchoolDetailOut, summary="学校详情与代码沿革 / one school")
def get_school(request: HttpRequest, school_id: int) -> selectors.SchoolDetail:
    """One school in scope with every code it was issued and its history."""
    return selectors.school_detail(_actor(request), pk=school_id)


@router.post("/schools", response={201: SchoolOut}, summary="新建学校并赋码 / create a school")
def create_school(request: HttpRequest, payload: SchoolIn) -> Status[Org]:
    """Create a school under an org where the caller has ``orgs.change``; a code is issued."""
    actor = _actor(request)
    parent = selectors.get_org(actor, pk=payload.parent_id)
    school = services.create_school(
        actor=actor,
        parent=parent,
        name=payload.name,
        category=payload.category,
        region_code=payload.region_code,
        address=payload.address,
    )
    return Status(201, school)


@router.patch("/schools/{int:school_id}", response=SchoolOut, summary="更名、迁移、变更类别或撤销学校")
def update_school(request: HttpRequest, school_id: int, payload: SchoolPatch) -> Org:
    """Apply the given changes all or none: move, rename, category (new code), address, close."""
    actor = _actor(request)
    school = selectors.get_school(actor, pk=school_id)
    # the error handler answers inside the request's transaction, so a later step failing
    # must undo the earlier ones here
    with transaction.atomic():
        if payload.parent_id is not None:
            new_parent = selectors.get_org(actor, pk=payload.parent_id)
            school = services.move_org(actor=actor, org=school, new_parent=new_parent)
        if payload.name is not None:
            school = services.rename_org(actor=actor, org=school, name=payload.name)
        if payload.category is not None:
            school = services.change_school_category(actor=actor, school=school, category=payload.category)
        if payload.address is not None:
            school = services.set_address(actor=actor, org=school, address=payload.address)
        if payload.status == "closed":
            school = services.close_org(actor=actor, org=school)
    return school


@router.get("/{int:org_id}", response=OrgOut, summary="机构详情 / one org")
def get_org(request: HttpRequest, org_id: int) -> Org:
    """One org in scope (404 when missing or out of scope)."""
    return selectors.get_org(_actor(request), pk=org_id)
