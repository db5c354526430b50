"""Scoped reads of the pool: every query starts from ``core.scope``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from edubase.core.errors import NotFound
from edubase.core.scope import Scope, scope_for
from edubase.datagov.pool.models import (
    MatchConflict,
    MatchReview,
    QualityRun,
    QualityScore,
    ReviewStatus,
    RosterRecord,
    Submission,
)
from edubase.orgs.models import Org, OrgKind

VIEW = "datagov.view"
CHANGE = "datagov.change"
MANAGE = "datagov.manage"


def schools_for_submission(actor: Any) -> QuerySet[Org]:
    """Schools the actor may submit rosters for."""
    return Org.objects.filter(scope_for(actor, CHANGE).q("path"), kind=OrgKind.SCHOOL).order_by("code")


def get_school_for_submission(actor: Any, *, pk: int) -> Org:
    school = schools_for_submission(actor).filter(pk=pk).first()
    if school is None:
        raise NotFound("学校不存在或不在您的管辖范围内")
    return school


def submissions_for(actor: Any, *, school_id: int | None = None) -> QuerySet[Submission]:
    found = Submission.objects.filter(scope_for(actor, VIEW).q("org_path")).select_related("school")
    if school_id is not None:
        found = found.filter(school_id=school_id)
    return found.order_by("-submitted_at", "-pk")


def get_submission(actor: Any, *, pk: int) -> Submission:
    found = submissions_for(actor).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def records_for(actor: Any, *, school_id: int | None = None, q: str | None = None) -> QuerySet[RosterRecord]:
    found = RosterRecord.objects.filter(scope_for(actor, VIEW).q("org_path")).select_related("school", "golden")
    if school_id is not None:
        found = found.filter(school_id=school_id)
    if q:
        found = found.filter(name__contains=q)
    return found.order_by("school__code", "grade", "class_name", "name")


def reviews_for(actor: Any, *, open_only: bool = True) -> QuerySet[MatchReview]:
    """Uncertain matches: decided by data officers (``datagov.manage``) of the row's school."""
    found = MatchReview.objects.filter(scope_for(actor, MANAGE).q("org_path")).select_related(
        "record__school", "candidate"
    )
    if open_only:
        found = found.filter(status=ReviewStatus.OPEN)
    return found.order_by("-score", "pk")


def get_review(actor: Any, *, pk: int) -> MatchReview:
    found = reviews_for(actor, open_only=False).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def conflicts_for(actor: Any, *, open_only: bool = True) -> QuerySet[MatchConflict]:
    """Conflict reports of the schools in scope (each school sees the rows of its own side)."""
    found = MatchConflict.objects.filter(scope_for(actor, VIEW).q("org_path")).select_related(
        "record__school", "other__school"
    )
    if open_only:
        found = found.filter(resolved=False)
    return found


def get_conflict(actor: Any, *, pk: int, permission: str = VIEW) -> MatchConflict:
    found = MatchConflict.objects.filter(scope_for(actor, permission).q("org_path"), pk=pk).first()
    if found is None:
        raise NotFound()
    return found


@dataclass(frozen=True)
class ConflictView:
    """A conflict as one school may see it: the other school named only if it is in the viewer's scope."""

    conflict: MatchConflict
    other_school: str


def conflict_views(actor: Any, conflicts: QuerySet[MatchConflict]) -> list[ConflictView]:
    scope = scope_for(actor, VIEW)
    return [
        ConflictView(c, c.other.school.name if scope.covers(c.other.org_path) else "辖区外学校（由上级协调）")
        for c in conflicts
    ]


def latest_run() -> QualityRun | None:
    return QualityRun.objects.order_by("-started_at", "-pk").first()


def _scores_in(scope: Scope) -> QuerySet[QualityScore]:
    return QualityScore.objects.filter(scope.q("org_path")).select_related("org")


def scores_for(actor: Any, *, run: QualityRun | None = None, level: str | None = None) -> QuerySet[QualityScore]:
    """Scores of orgs in scope for one run (the latest by default); ``level`` an org kind."""
    run = run or latest_run()
    if run is None:
        return QualityScore.objects.none()
    found = _scores_in(scope_for(actor, VIEW)).filter(run=run)
    if level:
        found = found.filter(level=level)
    return found.order_by("-score", "org__code")


def top_org(actor: Any) -> Org | None:
    """The highest org in the actor's view scope (its trend is the page's headline)."""
    scope = scope_for(actor, VIEW)
    if scope.empty:
        return None
    orgs = Org.objects.filter(scope.q("path")).order_by("depth", "code")
    return orgs.first()


def trend_for(actor: Any, *, org: Org | None = None, limit: int = 30) -> list[dict[str, Any]]:
    """Score over the last runs for ``org`` (default: the actor's top org), oldest first."""
    org = org or top_org(actor)
    if org is None or not scope_for(actor, VIEW).covers(org.path):
        return []
    rows = QualityScore.objects.filter(org=org).select_related("run").order_by("-run__started_at", "-run_id")[:limit]
    return [
        {"run": s.run_id, "at": s.run.started_at.isoformat(), "score": s.score, "dimensions": s.dimensions}
        for s in reversed(list(rows))
    ]


def county_trends(actor: Any, *, runs: int = 20, counties: int = 12) -> dict[str, Any]:
    """Scores of the counties in scope over the last runs (the weakest counties of the latest run first)."""
    recent = list(QualityRun.objects.order_by("-started_at", "-pk").values_list("pk", "started_at")[:runs])
    recent.reverse()
    if not recent:
        return {"runs": [], "series": []}
    scores = _scores_in(scope_for(actor, VIEW)).filter(level=OrgKind.COUNTY, run_id__in=[pk for pk, _at in recent])
    by_county: dict[str, dict[int, float]] = {}
    for s in scores:
        by_county.setdefault(s.org.name, {})[s.run_id] = s.score
    last = recent[-1][0]
    names = sorted(by_county, key=lambda n: by_county[n].get(last, 101.0))[:counties]
    return {
        "runs": [at.strftime("%m-%d %H:%M") for _pk, at in recent],
        "series": [{"name": n, "data": [by_county[n].get(pk) for pk, _at in recent]} for n in names],
    }


def get_org_in_scope(actor: Any, *, pk: int) -> Org:
    org = Org.objects.filter(scope_for(actor, VIEW).q("path"), pk=pk).first()
    if org is None:
        raise NotFound()
    return org
