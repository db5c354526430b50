"""Service reads: the public catalogue, and applications starting from the actor."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from edubase.core.errors import NotFound
from edubase.core.scope import scope_for
from edubase.services.models import FINAL, Application, Material, ServiceItem
from edubase.workflow.calendar import is_working_day
from edubase.workflow.models import CaseEvent, WorkTask

#: who handles applications in scope: org viewers over the handling org (as for workflow cases)
HANDLER_PERMISSION = "orgs.view"


def published_items(*, q: str | None = None) -> QuerySet[ServiceItem]:
    """Published items (visible without sign-in)."""
    items = ServiceItem.objects.filter(published=True).select_related("org")
    if q:
        items = items.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return items


def get_item(code: str) -> ServiceItem:
    item = published_items().filter(code=code).first()
    if item is None:
        raise NotFound("事项不存在或尚未发布")
    return item


def applications_for(actor: Any, *, mine: bool = False) -> QuerySet[Application]:
    """The actor's own applications, plus (unless ``mine``) those handled at orgs in its scope."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return Application.objects.none()
    visible = Q(applicant=actor)
    if not mine:
        scope = scope_for(actor, HANDLER_PERMISSION)
        if not scope.empty:
            visible |= scope.q("org_path") & ~Q(status="draft")
    return Application.objects.filter(visible).select_related("item", "org", "applicant", "instance")


def get_application(actor: Any, *, pk: int) -> Application:
    """An application the actor may see: its applicant, a handler over its org, or someone who acted on it."""
    application = Application.objects.select_related("item", "org", "applicant", "instance").filter(pk=pk).first()
    if application is None:
        raise NotFound("办件不存在或不在您的管辖范围内")
    user_pk = getattr(actor, "pk", None)
    if user_pk is not None and application.applicant_id == user_pk:
        return application
    if application.status != "draft":
        if scope_for(actor, HANDLER_PERMISSION).covers(application.org_path):
            return application
        if (
            application.instance_id
            and CaseEvent.objects.filter(instance_id=application.instance_id, actor_id=user_pk).exists()
        ):
            return application
    raise NotFound("办件不存在或不在您的管辖范围内")


def open_tasks(application: Application) -> QuerySet[WorkTask]:
    if application.instance_id is None:
        return WorkTask.objects.none()
    return WorkTask.objects.filter(instance_id=application.instance_id, status__in=["open", "claimed"]).select_related(
        "candidate_org"
    )


def working_days_left(application: Application, *, now: dt.datetime | None = None) -> int | None:
    """Working days until the promised deadline (negative when overdue); None when not running."""
    if application.deadline is None or application.status in FINAL:
        return None
    today = timezone.localdate(now or timezone.now())
    end = timezone.localdate(application.deadline)
    step = 1 if end >= today else -1
    day, count = today, 0
    while day != end:
        day += dt.timedelta(days=step)
        if is_working_day(day):
            count += step
    return count


def handling_for(actor: Any) -> list[tuple[WorkTask, Application]]:
    """The actor's inbox limited to government-service cases: (task, application) pairs, soonest due first."""
    from edubase.workflow.selectors import inbox_for

    tasks = list(inbox_for(actor).filter(instance__definition__key__in=_process_keys())[:500])
    apps = {
        a.instance_id: a
        for a in Application.objects.filter(instance_id__in=[t.instance_id for t in tasks]).select_related(
            "item", "applicant", "org"
        )
    }
    return [(t, apps[t.instance_id]) for t in tasks if t.instance_id in apps]


def _process_keys() -> list[str]:
    return list(ServiceItem.objects.values_list("process_key", flat=True).distinct())


def actionable_tasks(actor: Any, application: Application) -> list[WorkTask]:
    """Open tasks of the application's case that the actor may handle (not the applicant's own step)."""
    from edubase.workflow.engine import is_candidate

    return [t for t in open_tasks(application) if t.role_code and is_candidate(actor, t)]


def get_material(actor: Any, *, application_pk: int, material_pk: int) -> Material:
    """A material of an application the actor may see (same rule as the application itself)."""
    application = get_application(actor, pk=application_pk)
    material = application.material_files.filter(pk=material_pk).first()
    if material is None:
        raise NotFound("材料不存在")
    return material
