"""API routes of services (mounted at ``/services``): the public catalogue and applications."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from edubase.core.errors import PermissionDenied
from edubase.core.pagination import CursorPagination
from edubase.core.scope import has_anywhere
from edubase.orgs.models import Org
from edubase.services import documents, selectors, services, stats
from edubase.services.models import Application, Rating, ServiceItem
from edubase.services.schemas import (
    ApplicationDetailOut,
    ApplicationOut,
    ApplyIn,
    HandleIn,
    ItemOut,
    MaterialOut,
    RateIn,
    RatingOut,
    ResubmitIn,
)
from edubase.workflow import selectors as workflow_selectors

router = Router()


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


@router.get("/items", response=list[ItemOut], auth=None, summary="事项清单 / published service items")
def items(request: HttpRequest, q: str | None = None) -> Any:
    """Published items; no sign-in needed."""
    return list(selectors.published_items(q=q))


@router.get("/items/{code}", response=ItemOut, auth=None, summary="事项详情 / one service item")
def item(request: HttpRequest, code: str) -> ServiceItem:
    return selectors.get_item(code)


@router.post("/applications", response={201: ApplicationDetailOut}, summary="申请（草稿） / start an application")
def apply(request: HttpRequest, payload: ApplyIn) -> Any:
    org = Org.objects.filter(pk=payload.org_id).first() if payload.org_id else None
    if payload.org_id and org is None:
        from edubase.core.errors import NotFound

        raise NotFound("办理机构不存在")
    application = services.apply(
        actor=_actor(request), item=selectors.get_item(payload.item_code), form_data=payload.form_data, org=org
    )
    return Status(201, application)


@router.post(
    "/applications/{application_id}/materials",
    response={201: MaterialOut},
    summary="上传材料 / upload a material",
)
def upload(request: HttpRequest, application_id: int, file: File[UploadedFile], name: Form[str] = "") -> Any:
    """Multipart: ``file`` and the material ``name`` (default: the item's first material not yet uploaded)."""
    actor = _actor(request)
    application = selectors.get_application(actor, pk=application_id)
    if not name:
        present = set(application.material_files.values_list("name", flat=True))
        name = next((m["name"] for m in application.item.materials if m["name"] not in present), "")
    material = services.upload_material(
        actor=actor, application=application, name=name, filename=file.name or "file", data=file.read()
    )
    return Status(201, material)


@router.post("/applications/{application_id}/submit", response=ApplicationDetailOut, summary="提交 / submit")
def submit(request: HttpRequest, application_id: int) -> Application:
    actor = _actor(request)
    return services.submit(actor=actor, application=selectors.get_application(actor, pk=application_id))


@router.post("/applications/{application_id}/resubmit", response=ApplicationDetailOut, summary="补正后提交")
def resubmit(request: HttpRequest, application_id: int, payload: ResubmitIn | None = None) -> Application:
    actor = _actor(request)
    application = selectors.get_application(actor, pk=application_id)
    return services.resubmit(actor=actor, application=application, comment=payload.comment if payload else "")


@router.get("/applications", response=list[ApplicationOut], summary="我的办件与辖区办件 / applications")
@paginate(CursorPagination)
def applications(request: HttpRequest, mine: bool = False, **kwargs: Any) -> Any:
    return selectors.applications_for(_actor(request), mine=mine)


@router.get("/applications/{application_id}", response=ApplicationDetailOut, summary="办件详情 / one application")
def application(request: HttpRequest, application_id: int) -> Application:
    return selectors.get_application(_actor(request), pk=application_id)


@router.post("/applications/{application_id}/rate", response={201: RatingOut}, summary="好差评 / rate")
def rate(request: HttpRequest, application_id: int, payload: RateIn) -> Any:
    actor = _actor(request)
    application = selectors.get_application(actor, pk=application_id)
    rating: Rating = services.rate(actor=actor, application=application, level=payload.level, comment=payload.comment)
    return Status(201, rating)


@router.get("/applications/{application_id}/result.pdf", summary="决定书 PDF / result document")
def result_pdf(request: HttpRequest, application_id: int) -> HttpResponse:
    application = selectors.get_application(_actor(request), pk=application_id)
    response = HttpResponse(documents.result_pdf(application), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{application.number}.pdf"'
    return response


@router.post("/tasks/{task_id}/handle", response=ApplicationDetailOut, summary="办理办件 / decide one step")
def handle(request: HttpRequest, task_id: int, payload: HandleIn) -> Application:
    """An official's decision on a step of an application: approve, reject or return (with a reason)."""
    actor = _actor(request)
    task = workflow_selectors.get_task(actor, pk=task_id)
    return services.handle(task, actor=actor, decision=payload.decision, reason=payload.reason)


@router.get("/stats", summary="政务服务统计 / on-time, handling time, corrections, satisfaction")
def service_stats(
    request: HttpRequest, item: str | None = None, since: dt.date | None = None, until: dt.date | None = None
) -> dict[str, Any]:
    """Figures overall, by item and by prefecture over the applications handled in the actor's scope."""
    actor = _actor(request)
    if not has_anywhere(actor, selectors.HANDLER_PERMISSION):
        raise PermissionDenied("您没有查看政务服务统计的权限（需要查看机构权限）")
    return stats.service_stats(actor, item=item, since=day_start(since), until=day_start(until))


def day_start(day: dt.date | None) -> dt.datetime | None:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min)) if day is not None else None
