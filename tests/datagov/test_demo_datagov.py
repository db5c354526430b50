"""The demo province's data governance picture: a scanned school system in the published catalogue,
a share approved on the engine and delivered masked, roster rounds whose quality improves, golden
records — made once, deterministically, through the real services.

One tiny province (30 schools) is built per module inside a transaction rolled back at the end.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from edubase.accounts.models import User
from edubase.datagov.models import DataField, Dataset, DataSource, ReviewState
from edubase.datagov.pool.models import (
    GoldenRecord,
    MatchConflict,
    MatchReview,
    QualityRun,
    QualityScore,
    RosterRecord,
    Submission,
    SubmissionStatus,
)
from edubase.datagov.pool.selectors import county_trends
from edubase.datagov.sharing.models import Extract, ShareGrant, ShareRequest, ShareStatus
from edubase.demo import DemoReport, build_demo, plan
from edubase.demo import datagov as datagov_demo
from edubase.orgs.models import Org
from edubase.workflow.models import TaskStatus, WorkTask

SCALE = 30


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker) -> Iterator[DemoReport]:  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock(), transaction.atomic():
        report = build_demo(scale=SCALE)
        yield report
        transaction.set_rollback(True)


@pytest.fixture
def db_demo(demo: DemoReport, db: None) -> DemoReport:
    return demo


def user(name: str) -> User:
    return User.objects.get(username=name)


def test_the_school_system_is_a_scanned_source_with_graded_sensitive_fields(db_demo: DemoReport) -> None:
    anchor = Org.objects.get(code=plan.anchor_school_code())
    source = DataSource.objects.get(org=anchor, name=datagov_demo.SOURCE_NAME)
    assert source.kind == "sqlite" and source.last_scanned_at is not None
    with sqlite3.connect(source.location) as db:  # the real file the scan read
        rows = db.execute(f"SELECT count(*) FROM {datagov_demo.STUDENT_TABLE}").fetchone()[0]  # noqa: S608
    students = Dataset.objects.get(source=source, source_table=datagov_demo.STUDENT_TABLE)
    assert students.row_count == rows > 0
    entities = dict(students.fields.values_list("name", "entity"))
    for column in ("姓名", "身份证件号", "联系电话", "家庭住址", "家庭经济困难", "心理测评结果"):
        assert entities[column] == datagov_demo._EXPECTED[column], column
    for column in ("学校代码", "学年", "年级代码"):
        assert entities[column] == "", column
    sensitive = set(students.fields.filter(sensitive=True).values_list("name", flat=True))
    assert {"身份证件号", "家庭经济困难", "心理测评结果"} <= sensitive
    assert students.sensitive and students.minors_under_14
    # masked samples only: no raw citizen ID is stored with the field
    id_field = students.fields.get(name="身份证件号")
    assert id_field.samples_masked and all("*" in s for s in id_field.samples_masked)
    assert db_demo.created["datagov_sources"] == 1 and db_demo.created["datagov_datasets"] == 3


def test_low_confidence_findings_were_reviewed_and_both_datasets_published(db_demo: DemoReport) -> None:
    assert not DataField.objects.filter(review_state=ReviewState.NEEDS_REVIEW).exists()
    reviewed = DataField.objects.filter(review_state__in=[ReviewState.CONFIRMED, ReviewState.CORRECTED])
    assert reviewed.count() == db_demo.created["datagov_reviews"]
    published = Dataset.objects.filter(published=True)
    assert published.count() == 3 and all(d.releases.exists() for d in published)
    students = published.get(source_table=datagov_demo.STUDENT_TABLE)
    assert students.steward == user("school_admin") and "学生资助" in students.tags
    # the requesting bureau's aid list is catalogued with its lineage back to the school's dataset
    derived = published.get(derivatives__isnull=True, derived_from=students)
    assert derived.org.code == plan.bureau_code(plan.ANCHOR_COUNTY)


def test_the_share_went_through_every_approval_step_and_was_delivered_masked(db_demo: DemoReport) -> None:
    request = ShareRequest.objects.get(purpose_detail=datagov_demo.SHARE_PURPOSE_DETAIL)
    assert request.status == ShareStatus.APPROVED
    assert request.requester == user("zhongyuan_admin")
    assert request.requester_org.code == plan.bureau_code(plan.ANCHOR_COUNTY)
    assert request.approval_levels == ["org", "city", "province"]  # sensitive data goes to the province
    done = WorkTask.objects.filter(instance=request.instance, status=TaskStatus.COMPLETED).exclude(role_code="")
    assert done.count() == 3
    grant = ShareGrant.objects.get(request=request)
    assert grant.effects["身份证件号"] == "mask" and grant.effects["年级代码"] == "allow"
    extract = Extract.objects.get(grant=grant)
    assert extract.rows > 0 and extract.markers  # watermark marker rows
    assert grant.reads == 1


def test_rosters_from_several_counties_improve_round_by_round(db_demo: DemoReport) -> None:
    submissions = Submission.objects.all()
    assert submissions.filter(status=SubmissionStatus.REJECTED).exists()  # first files with row errors
    rejected = submissions.filter(status=SubmissionStatus.REJECTED).first()
    assert rejected is not None and rejected.errors and rejected.errors[0]["reason"]
    assert submissions.filter(encoding__icontains="gb").exists()  # first round sent in GBK
    counties = {s.school.path[: -Org.steplen] for s in submissions.select_related("school")}
    assert len(counties) >= 2
    runs = list(QualityRun.objects.order_by("started_at"))
    assert len(runs) == len(datagov_demo.ROUNDS)
    assert runs[0].started_at < runs[-1].started_at
    province = Org.objects.get(code=plan.PROVINCE_CODE)
    scores = [QualityScore.objects.get(run=r, org=province).score for r in runs]
    assert scores[0] < scores[1] < scores[2], scores
    trends = county_trends(user("province_admin"))
    assert len(trends["runs"]) == 3 and len(trends["series"]) >= 2
    for series in trends["series"]:
        values = [v for v in series["data"] if v is not None]
        assert values[-1] >= values[0], series


def test_pushed_rosters_merge_into_one_record_per_student(db_demo: DemoReport) -> None:
    records = RosterRecord.objects.count()
    assert records > 0 and RosterRecord.objects.filter(golden__isnull=True).count() == 0
    golden = GoldenRecord.objects.count()
    assert golden < records  # the mover and the L-number pupils joined existing golden records
    assert RosterRecord.objects.filter(id_kind="L").count() == 2
    temporary = RosterRecord.objects.filter(id_kind="L").select_related("golden")
    assert all(r.golden is not None and r.golden.sources >= 2 for r in temporary)
    assert MatchReview.objects.filter(status="merged").exists()
    conflicts = MatchConflict.objects.filter(kind="dual_enrolment")
    assert conflicts.exists() and conflicts.filter(resolved=True).exists()


def test_building_again_adds_nothing(db_demo: DemoReport) -> None:
    counts = (
        DataSource.objects.count(),
        Dataset.objects.count(),
        ShareRequest.objects.count(),
        Extract.objects.count(),
        Submission.objects.count(),
        QualityRun.objects.count(),
        GoldenRecord.objects.count(),
    )
    again = build_demo(scale=SCALE)
    assert not again.created_anything, again.created
    assert (
        DataSource.objects.count(),
        Dataset.objects.count(),
        ShareRequest.objects.count(),
        Extract.objects.count(),
        Submission.objects.count(),
        QualityRun.objects.count(),
        GoldenRecord.objects.count(),
    ) == counts


def test_the_school_system_file_is_deterministic(db_demo: DemoReport, tmp_path: Path, settings: Any) -> None:
    anchor = Org.objects.get(code=plan.anchor_school_code())
    settings.VAR_DIR = tmp_path / "a"
    first = datagov_demo.write_school_system(2026, anchor)
    settings.VAR_DIR = tmp_path / "b"
    second = datagov_demo.write_school_system(2026, anchor)
    dump = []
    for path in (first, second):
        with sqlite3.connect(path) as db:
            dump.append(list(db.iterdump()))
    assert dump[0] == dump[1]
