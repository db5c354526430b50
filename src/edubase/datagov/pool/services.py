"""Every write of the pool: roster submissions, quality runs, match reviews, conflict handling."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from edubase.core import audit
from edubase.core.errors import DomainError, ValidationFailed
from edubase.core.scope import require
from edubase.core.tabular import ImportRejected
from edubase.datagov import masking
from edubase.datagov.pool import contracts, matching, quality, submissions
from edubase.datagov.pool.models import (
    MatchConflict,
    MatchReview,
    QualityRun,
    QualityScore,
    ReviewStatus,
    RosterRecord,
    Submission,
    SubmissionStatus,
)
from edubase.orgs.models import Org, OrgKind, SchoolCode

CHANGE = "datagov.change"
MANAGE = "datagov.manage"
#: an API batch larger than this must be sent as a file
MAX_API_ROWS = 5000


class NotASchool(ValidationFailed):
    code = "not_a_school"
    message = "花名册只能以学校为单位报送"


class ReviewClosed(DomainError):
    code = "review_closed"
    message = "该疑似重复记录已审核，不能重复处理"
    status = 409


@dataclass(frozen=True)
class SubmissionResult:
    """What happened to a submission: accepted (with counts), rejected (with problems), or a repeat."""

    submission: Submission
    duplicate: bool = False


def _school_codes(school: Org) -> set[str]:
    return {school.code, *SchoolCode.objects.filter(org=school, retired_at__isnull=True).values_list("code", flat=True)}


def _masked_number(number: str) -> str:
    return number[:1] + masking.mask_citizen_id(number[1:])


def _apply(record: RosterRecord, values: Mapping[str, str], digest: str, submission: Submission) -> None:
    record.id_kind = values["student_number"][:1]
    record.name = values["name"]
    record.sex = values["sex"]
    record.birth_date = dt.date.fromisoformat(values["birth_date"])
    record.ethnicity = values.get("ethnicity", "")
    record.grade = values["grade"]
    record.class_name = values.get("class_name", "")
    record.guardian_name = values.get("guardian_name", "")
    phone = values.get("guardian_phone", "")
    record.guardian_phone = phone or None
    record.guardian_phone_masked = masking.mask("mobile", phone) if phone else ""
    enrol = values.get("enrol_date", "")
    record.enrol_date = dt.date.fromisoformat(enrol) if enrol else None
    record.row_digest = digest
    record.submission = submission


def _upsert(school: Org, rows: Sequence[tuple[int, dict[str, str]]], submission: Submission) -> list[RosterRecord]:
    """Write accepted rows: new pupils created, changed rows updated, unchanged rows left alone."""
    bidx = RosterRecord._meta.get_field("student_number_bidx")
    existing = {r.student_number_bidx: r for r in RosterRecord.objects.filter(school=school)}
    to_create: list[RosterRecord] = []
    touched: list[RosterRecord] = []
    confirmed: list[Any] = []
    now = timezone.now()
    for _number, values in rows:
        digest = submissions.row_digest(values)
        key = bidx.digest(values["student_number"])
        record = existing.get(key)
        if record is None:
            record = RosterRecord(
                school=school,
                org_path=school.path,
                student_number=values["student_number"],
                number_masked=_masked_number(values["student_number"]),
            )
            _apply(record, values, digest, submission)
            to_create.append(record)
        elif record.row_digest != digest:
            _apply(record, values, digest, submission)
            record.confirmed_at = now
            record.save()  # one by one: encrypted fields are sealed in save(), never in bulk_update
            touched.append(record)
            submission.updated += 1
        else:
            submission.unchanged += 1
            confirmed.append(record.pk)
        record.confirmed_at = now
    for start in range(0, len(confirmed), 500):
        # an unchanged row sent again in a new roster is re-confirmed, not rewritten
        RosterRecord.objects.filter(pk__in=confirmed[start : start + 500]).update(confirmed_at=now)
    RosterRecord.objects.bulk_create(to_create, batch_size=1000)
    submission.created = len(to_create)
    return to_create + touched


def _record_submission(
    *, actor: Any, school: Org, channel: str, filename: str, encoding: str, digest: str
) -> Submission:
    return Submission(
        school=school,
        org_path=school.path,
        channel=channel,
        filename=filename[:255],
        encoding=encoding,
        digest=digest,
        contract_version=contracts.CONTRACT_VERSION,
        submitted_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def _submit(
    *,
    actor: Any,
    school: Org,
    rows: Sequence[tuple[int, Mapping[str, str]]],
    channel: str,
    filename: str,
    encoding: str,
    digest: str,
) -> SubmissionResult:
    require(actor, CHANGE, path=school.path)
    if school.kind != OrgKind.SCHOOL:
        raise NotASchool()
    repeat = Submission.objects.filter(school=school, digest=digest, status=SubmissionStatus.ACCEPTED).first()
    if repeat is not None:  # the very same content again: nothing to change
        return SubmissionResult(repeat, duplicate=True)
    submission = _record_submission(
        actor=actor, school=school, channel=channel, filename=filename, encoding=encoding, digest=digest
    )
    checked = submissions.validate_rows(rows, school_codes=_school_codes(school))
    submission.rows = len(rows)
    if checked.problem_count:
        submission.status = SubmissionStatus.REJECTED
        submission.errors = [p.as_dict() for p in checked.problems]
        submission.save()
        audit.record(
            actor=actor,
            action="datagov_pool.submission.rejected",
            obj=submission,
            org=school,
            after={"rows": len(rows), "problems": checked.problem_count, "digest": digest},
        )
        return SubmissionResult(submission)
    submission.status = SubmissionStatus.ACCEPTED
    with transaction.atomic():
        submission.save()
        changed = _upsert(school, checked.rows, submission)
        submission.save(update_fields=["created", "updated", "unchanged"])
        outcomes = matching.match_records(changed)
        audit.record(
            actor=actor,
            action="datagov_pool.submission.accepted",
            obj=submission,
            org=school,
            after={
                "rows": len(rows),
                "created": submission.created,
                "updated": submission.updated,
                "unchanged": submission.unchanged,
                "matching": outcomes,
                "digest": digest,
                "encoding": encoding,
            },
        )
    return SubmissionResult(submission)


def submit_file(*, actor: Any, school: Org, filename: str, data: bytes) -> SubmissionResult:
    """Validate a roster file whole and, if every row passes, upsert it into the pool (idempotent by SM3)."""
    require(actor, CHANGE, path=school.path)
    digest = submissions.sm3_hex(data)
    repeat = Submission.objects.filter(school=school, digest=digest, status=SubmissionStatus.ACCEPTED).first()
    if repeat is not None:
        return SubmissionResult(repeat, duplicate=True)
    try:
        parsed = submissions.read_roster(data, filename=filename)
    except ImportRejected as rejected:
        submission = _record_submission(
            actor=actor, school=school, channel=filename.rsplit(".", 1)[-1][:8].lower(), filename=filename,
            encoding="", digest=digest,
        )  # fmt: skip
        submission.status = SubmissionStatus.REJECTED
        submission.errors = [
            {"row": p.row, "column": p.column, "value": "", "reason": p.reason} for p in rejected.problems
        ]
        submission.save()
        audit.record(
            actor=actor,
            action="datagov_pool.submission.rejected",
            obj=submission,
            org=school,
            after={"problems": len(rejected.problems), "digest": digest},
        )
        return SubmissionResult(submission)
    return _submit(
        actor=actor,
        school=school,
        rows=parsed.rows,
        channel=parsed.channel,
        filename=filename,
        encoding=parsed.encoding,
        digest=digest,
    )


def submit_rows(*, actor: Any, school: Org, rows: Sequence[Mapping[str, Any]]) -> SubmissionResult:
    """The API channel: rows as JSON objects keyed by contract column key, numbered from 1."""
    if not rows:
        raise ValidationFailed("没有数据行")
    if len(rows) > MAX_API_ROWS:
        raise ValidationFailed(f"单次最多 {MAX_API_ROWS} 行，更多数据请分批或以文件提交")
    numbered = [(i, {k: "" if v is None else str(v) for k, v in row.items()}) for i, row in enumerate(rows, start=1)]
    digest = submissions.rows_digest(numbered)
    return _submit(
        actor=actor, school=school, rows=numbered, channel="api", filename="", encoding="UTF-8", digest=digest
    )


# --- quality --------------------------------------------------------------------------------------


def export_pool() -> Any:
    """The whole pool as an Arrow table in the quality export schema (identifiers decrypted in memory only)."""
    import pyarrow as pa

    columns: dict[str, list[Any]] = {name: [] for name in quality.EXPORT_COLUMNS}
    schools = {o.pk: o for o in Org.objects.filter(kind=OrgKind.SCHOOL)}
    for r in RosterRecord.objects.order_by("pk").iterator(chunk_size=2000):
        school = schools[r.school_id]
        columns["school_id"].append(r.school_id)
        columns["school_path"].append(school.path)
        columns["school_code"].append(school.code)
        columns["school_region"].append(school.region_code)
        columns["student_number"].append(r.student_number)
        columns["person_key"].append(r.student_number_bidx)
        columns["name"].append(r.name)
        columns["sex"].append(r.sex)
        columns["birth_date"].append(r.birth_date)
        columns["ethnicity"].append(r.ethnicity)
        columns["grade"].append(r.grade)
        columns["class_name"].append(r.class_name)
        columns["guardian_name"].append(r.guardian_name)
        columns["guardian_phone"].append(r.guardian_phone or "")
        columns["enrol_date"].append(r.enrol_date)
        seen = r.confirmed_at or r.updated_at
        columns["updated_at"].append(timezone.make_naive(seen, dt.UTC) if timezone.is_aware(seen) else seen)
    types = {
        "school_id": pa.int64(),
        "birth_date": pa.date32(),
        "enrol_date": pa.date32(),
        "updated_at": pa.timestamp("us"),
    }
    return pa.table({name: pa.array(values, type=types.get(name, pa.string())) for name, values in columns.items()})


def run_quality(*, actor: Any, today: dt.date | None = None) -> QualityRun:
    """Run every quality rule over the pool on DuckDB and store scores per school, county, city, province."""
    import duckdb

    root = Org.objects.get_first_root_node()
    if actor != "system":
        if root is None:
            raise ValidationFailed("尚未建立机构树")
        require(actor, MANAGE, path=root.path)
    started = time.perf_counter()
    table = export_pool()
    con = duckdb.connect()
    try:
        con.register("pool", table)
        per_school = quality.evaluate(con, "pool", today=today or timezone.localdate())
    finally:
        con.close()
    run = QualityRun.objects.create(
        rows=table.num_rows, started_by=actor if getattr(actor, "is_authenticated", False) else None
    )
    orgs = {o.path: o for o in Org.objects.filter(path__in=list(quality.roll_up(per_school)))}
    scores = []
    for path, counts in quality.roll_up(per_school).items():
        org = orgs.get(path)
        if org is None:
            continue
        overall, dims = quality.score(counts)
        scores.append(
            QualityScore(
                run=run, org=org, org_path=path, level=org.kind, rows=counts.rows, score=overall,
                dimensions=dims, failures=counts.failures(),
            )
        )  # fmt: skip
    QualityScore.objects.bulk_create(scores)
    run.seconds = round(time.perf_counter() - started, 3)
    run.save(update_fields=["seconds"])
    audit.record(
        actor=actor, action="datagov_pool.quality.run", obj=run, org=root,
        after={"rows": run.rows, "orgs": len(scores), "seconds": run.seconds},
    )  # fmt: skip
    return run


def run_quality_job() -> int:
    """The worker's daily quality run (rows evaluated)."""
    with transaction.atomic():
        if not RosterRecord.objects.exists():
            return 0
        return run_quality(actor="system").rows


# --- matching -------------------------------------------------------------------------------------


def decide_review(*, actor: Any, review: MatchReview, merge: bool) -> MatchReview:
    """A person decides an uncertain match: the same pupil (merge into the candidate) or two pupils."""
    require(actor, MANAGE, path=review.org_path)
    if review.status != ReviewStatus.OPEN:
        raise ReviewClosed()
    before = {"status": review.status}
    if merge:
        matching.link(review.record, review.candidate)
        review.status = ReviewStatus.MERGED
    else:
        review.status = ReviewStatus.DISTINCT
    review.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    review.decided_at = timezone.now()
    review.save()
    audit.record(
        actor=actor, action="datagov_pool.review.decided", obj=review, org=review.record.school,
        before=before, after={"status": review.status, "score": review.score},
    )  # fmt: skip
    return review


def resolve_conflict(*, actor: Any, conflict: MatchConflict) -> MatchConflict:
    """A school marks its side of a conflict report as handled (e.g. it deregistered the pupil)."""
    require(actor, CHANGE, path=conflict.org_path)
    conflict.resolved = True
    conflict.save(update_fields=["resolved"])
    audit.record(
        actor=actor, action="datagov_pool.conflict.resolved", obj=conflict, org=conflict.record.school,
        after={"kind": conflict.kind},
    )  # fmt: skip
    return conflict
