"""Government-service statistics (政务服务统计) by item and by prefecture, in SQL aggregates.

Over the applications (not drafts) handled at orgs in the actor's ``orgs.view`` scope:

- on-time completion rate (按时办结率): completed by the promised deadline / completed;
- average handling time (平均办理时长, hours): submitted → completed;
- correction rate (补正率): completed applications returned for correction at least once / completed;
- satisfaction (好差评, GB/T 39735 five levels): ratings, average level, 好评率 (满意 + 非常满意) and
  差评率 (不满意 + 非常不满意) over the ratings given.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Substr

from edubase.core.scope import scope_for
from edubase.orgs.models import Org
from edubase.services.models import Application, ApplicationStatus, ServiceItem
from edubase.services.selectors import HANDLER_PERMISSION

_DONE = Q(status__in=[ApplicationStatus.APPROVED, ApplicationStatus.REJECTED])


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _aggregates() -> dict[str, Any]:
    return {
        "applications": Count("pk"),
        "completed": Count("pk", filter=_DONE),
        "on_time": Count("pk", filter=_DONE & Q(completed_at__lte=F("deadline"))),
        "corrected": Count("pk", filter=_DONE & Q(corrections__gt=0)),
        "avg_duration": Avg(
            ExpressionWrapper(F("completed_at") - F("submitted_at"), output_field=DurationField()), filter=_DONE
        ),
        "ratings": Count("rating"),
        "avg_level": Avg("rating__level"),
        "good": Count("rating", filter=Q(rating__level__gte=4)),
        "bad": Count("rating", filter=Q(rating__level__lte=2)),
    }


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    duration = row["avg_duration"]
    if isinstance(duration, (int, float)):  # some backends answer microseconds
        duration = dt.timedelta(microseconds=duration)
    return {
        "applications": row["applications"],
        "completed": row["completed"],
        "on_time_rate": _rate(row["on_time"], row["completed"]),
        "avg_handling_hours": round(duration.total_seconds() / 3600, 2) if duration is not None else None,
        "correction_rate": _rate(row["corrected"], row["completed"]),
        "ratings": row["ratings"],
        "avg_satisfaction": round(float(row["avg_level"]), 2) if row["avg_level"] is not None else None,
        "good_rate": _rate(row["good"], row["ratings"]),
        "bad_rate": _rate(row["bad"], row["ratings"]),
    }


def _scoped(actor: Any, *, item: str | None, since: dt.datetime | None, until: dt.datetime | None) -> QuerySet:
    scope = scope_for(actor, HANDLER_PERMISSION)
    if scope.empty:
        return Application.objects.none()
    apps = Application.objects.filter(scope.q("org_path")).exclude(status=ApplicationStatus.DRAFT)
    if item:
        apps = apps.filter(item__code=item)
    if since is not None:
        apps = apps.filter(submitted_at__gte=since)
    if until is not None:
        apps = apps.filter(submitted_at__lt=until)
    return apps


def service_stats(
    actor: Any, *, item: str | None = None, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> dict[str, Any]:
    """The figures ``overall``, ``by_item`` and ``by_prefecture`` for the actor's scope."""
    apps = _scoped(actor, item=item, since=since, until=until)
    overall = _figures(apps.aggregate(**_aggregates()))
    names = dict(ServiceItem.objects.values_list("code", "name"))
    by_item = [
        {"code": row["item__code"], "name": names.get(row["item__code"], ""), **_figures(row)}
        for row in apps.values("item__code").annotate(**_aggregates()).order_by("item__code")
    ]
    width = 2 * Org.steplen  # a prefecture-level org's path length
    prefectures = (
        apps.annotate(prefecture=Substr("org_path", 1, width))
        .values("prefecture")
        .annotate(**_aggregates())
        .order_by("prefecture")
    )
    orgs = {o.path: o for o in Org.objects.filter(path__in=[r["prefecture"] for r in prefectures])}
    by_prefecture = [
        {
            "code": orgs[r["prefecture"]].region_code if r["prefecture"] in orgs else "",
            "name": orgs[r["prefecture"]].name if r["prefecture"] in orgs else "省本级",
            **_figures(r),
        }
        for r in prefectures
    ]
    return {"overall": overall, "by_item": by_item, "by_prefecture": by_prefecture}
