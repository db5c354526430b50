"""JSON API of the pool (mounted at ``/datagov/pool``): contract, submissions, pool rows, quality, matching."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from edubase.core.errors import PermissionDenied
from edubase.core.pagination import CursorPagination
from edubase.core.scope import has_anywhere
from edubase.datagov.pool import contracts, selectors, services, template_files
from edubase.datagov.pool.schemas import (
    ConflictOut,
    DecideIn,
    RecordOut,
    ReviewOut,
    RowsIn,
    RunOut,
    ScoreOut,
    SubmissionOut,
    TrendPoint,
)

router = Router()


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _need(request: HttpRequest, permission: str) -> Any:
    actor = _actor(request)
    if not has_anywhere(actor, permission):
        raise PermissionDenied()
    return actor


def _answer(result: services.SubmissionResult) -> Any:
    submission = result.submission
    submission.duplicate = result.duplicate  # type: ignore[attr-defined]
    if result.duplicate:
        return Status(200, submission)
    if submission.status == "rejected":
        return Status(422, submission)
    return Status(201, submission)


@router.get("/contract", summary="采集模板数据规范 / roster data contract")
def contract(request: HttpRequest) -> dict[str, object]:
    _need(request, selectors.VIEW)
    return contracts.describe()


@router.get("/contract/template.xlsx", summary="下载 Excel 采集模板 / XLSX template")
def template_xlsx(request: HttpRequest) -> HttpResponse:
    _need(request, selectors.VIEW)
    return template_files.xlsx_response()


@router.get("/contract/template.csv", summary="下载 CSV 采集模板 / CSV template")
def template_csv(request: HttpRequest) -> HttpResponse:
    _need(request, selectors.VIEW)
    return template_files.csv_response()


@router.post(
    "/schools/{school_id}/submissions",
    response={200: SubmissionOut, 201: SubmissionOut, 422: SubmissionOut},
    summary="上传花名册文件 / submit a roster file (XLSX or CSV)",
)
def submit_file(request: HttpRequest, school_id: int, file: File[UploadedFile]) -> Any:
    """201: accepted into the pool; 422: refused whole (``errors``); 200: the same file again (nothing changed)."""
    actor = _actor(request)
    school = selectors.get_school_for_submission(actor, pk=school_id)
    return _answer(services.submit_file(actor=actor, school=school, filename=file.name or "roster", data=file.read()))


@router.post(
    "/schools/{school_id}/rows",
    response={200: SubmissionOut, 201: SubmissionOut, 422: SubmissionOut},
    summary="以接口报送花名册行 / submit roster rows as JSON",
)
def submit_rows(request: HttpRequest, school_id: int, payload: RowsIn) -> Any:
    """Rows keyed by the contract's column keys (``GET /contract``)."""
    actor = _actor(request)
    school = selectors.get_school_for_submission(actor, pk=school_id)
    return _answer(services.submit_rows(actor=actor, school=school, rows=payload.rows))


@router.get("/submissions", response=list[SubmissionOut], summary="报送记录 / submissions")
@paginate(CursorPagination)
def submissions(request: HttpRequest, school_id: int | None = None, **kwargs: Any) -> Any:
    return selectors.submissions_for(_actor(request), school_id=school_id)


@router.get("/submissions/{submission_id}", response=SubmissionOut, summary="报送详情 / one submission")
def submission(request: HttpRequest, submission_id: int) -> Any:
    return selectors.get_submission(_actor(request), pk=submission_id)


@router.get("/records", response=list[RecordOut], summary="汇聚库记录（脱敏） / pool rows, masked")
@paginate(CursorPagination)
def records(request: HttpRequest, school_id: int | None = None, q: str | None = None, **kwargs: Any) -> Any:
    return selectors.records_for(_actor(request), school_id=school_id, q=q)


@router.post("/quality/runs", response={201: RunOut}, summary="运行质量评估 / run the quality rules")
def run_quality(request: HttpRequest) -> Any:
    return Status(201, services.run_quality(actor=_actor(request)))


@router.get("/quality/scores", response=list[ScoreOut], summary="质量得分（最近一次） / latest scores in scope")
def scores(request: HttpRequest, level: str | None = None) -> Any:
    return list(selectors.scores_for(_actor(request), level=level))


@router.get("/quality/trend", response=list[TrendPoint], summary="质量趋势 / score trend of an org")
def trend(request: HttpRequest, org_id: int | None = None) -> Any:
    actor = _actor(request)
    org = selectors.get_org_in_scope(actor, pk=org_id) if org_id is not None else None
    return selectors.trend_for(actor, org=org)


@router.get("/reviews", response=list[ReviewOut], summary="疑似重复待审核 / uncertain matches")
def reviews(request: HttpRequest) -> Any:
    return list(selectors.reviews_for(_actor(request))[:500])


@router.post("/reviews/{review_id}/decide", response=ReviewOut, summary="审核疑似重复 / decide a match")
def decide(request: HttpRequest, review_id: int, payload: DecideIn) -> Any:
    actor = _actor(request)
    review = selectors.get_review(actor, pk=review_id)
    return services.decide_review(actor=actor, review=review, merge=payload.merge)


def _conflict_out(view: selectors.ConflictView) -> dict[str, Any]:
    c = view.conflict
    return {
        "id": c.pk,
        "kind": c.kind,
        "kind_label": c.get_kind_display(),
        "school_name": c.record.school.name,
        "other_school": view.other_school,
        "record_name": c.record.name,
        "detail": c.detail,
        "resolved": c.resolved,
        "created_at": c.created_at,
    }


@router.get("/conflicts", response=list[ConflictOut], summary="冲突通报 / conflict reports")
def conflicts(request: HttpRequest) -> Any:
    actor = _actor(request)
    found = selectors.conflicts_for(actor)[:500]
    return [_conflict_out(v) for v in selectors.conflict_views(actor, found)]


@router.post("/conflicts/{conflict_id}/resolve", response=ConflictOut, summary="处理冲突通报 / resolve a report")
def resolve(request: HttpRequest, conflict_id: int) -> Any:
    actor = _actor(request)
    conflict = selectors.get_conflict(actor, pk=conflict_id)
    services.resolve_conflict(actor=actor, conflict=conflict)
    view = selectors.conflict_views(actor, selectors.conflicts_for(actor, open_only=False).filter(pk=conflict.pk))
    return _conflict_out(view[0])
