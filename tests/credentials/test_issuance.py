"""Batch issuance: preview (registry, XLSX), approval through the workflow, signing, idempotency."""

from __future__ import annotations

import pytest

from edubase.core.errors import NotFound, PermissionDenied
from edubase.core.tabular import ImportRejected, write_xlsx
from edubase.credentials import issuance
from edubase.credentials.identifiers import parse_identifier
from edubase.credentials.models import BatchStatus, Certificate, ItemState
from edubase.credentials.resolver import DatabaseResolver
from edubase.credentials.verify import verify_credential
from tests.credentials.conftest import cohort_certificates, issue_cohort

pytestmark = pytest.mark.django_db


def test_a_school_issues_its_graduating_class_in_one_batch(certs):
    batch = issue_cohort(certs)
    assert batch.status == BatchStatus.PUBLISHED
    issued = cohort_certificates(batch)
    assert {c.holder_id for c in issued} == {p.pk for p in certs.graduates}
    for certificate in issued:
        assert parse_identifier(certificate.identifier).issuer_code == certs.issuer.uscc
        report = verify_credential(certificate.jws, resolver=DatabaseResolver())
        assert report.valid, report.to_dict()


def test_rerunning_a_finished_batch_issues_nothing(certs):
    batch = issue_cohort(certs)
    assert issuance.process_batch(batch.pk) == 0
    assert Certificate.objects.filter(batch=batch).count() == 3


def test_an_interrupted_batch_resumes_where_it_stopped(certs):
    template = issuance.latest_template("graduation")
    batch = issuance.preview_from_registry(
        actor=certs.officer, issuer=certs.issuer, template=template, year=2026, fields={"education_level": "小学"}
    )
    issuance.submit_batch(actor=certs.officer, batch=batch)
    issuance.decide_batch(actor=certs.approver, batch=batch, decision="approve")
    assert issuance.process_batch(batch.pk, chunk=1, limit=1) == 1
    batch.refresh_from_db()
    assert batch.status == BatchStatus.SIGNING
    assert issuance.process_batch(batch.pk, chunk=1) == 2
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PUBLISHED
    assert not batch.items.filter(state=ItemState.PENDING).exists()


def test_the_same_cohort_is_not_issued_twice(certs):
    issue_cohort(certs)
    with pytest.raises(ImportRejected) as caught:
        issuance.preview_from_registry(
            actor=certs.officer,
            issuer=certs.issuer,
            template=issuance.latest_template("graduation"),
            year=2026,
            fields={"education_level": "小学"},
        )
    assert len(caught.value.problems) == 3


def test_the_preparer_cannot_approve_their_own_batch(certs):
    template = issuance.latest_template("graduation")
    batch = issuance.preview_from_registry(
        actor=certs.officer, issuer=certs.issuer, template=template, year=2026, fields={"education_level": "小学"}
    )
    issuance.submit_batch(actor=certs.officer, batch=batch)
    with pytest.raises(PermissionDenied):
        issuance.decide_batch(actor=certs.officer, batch=batch, decision="approve")


def test_a_rejected_batch_is_never_signed(certs):
    template = issuance.latest_template("graduation")
    batch = issuance.preview_from_registry(
        actor=certs.officer, issuer=certs.issuer, template=template, year=2026, fields={"education_level": "小学"}
    )
    issuance.submit_batch(actor=certs.officer, batch=batch)
    issuance.decide_batch(actor=certs.approver, batch=batch, decision="reject", reason="学历层次填写错误")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.REJECTED
    assert issuance.process_batch(batch.pk) == 0
    assert not Certificate.objects.filter(batch=batch).exists()


def test_an_officer_of_another_city_cannot_issue_for_the_school(certs):
    with pytest.raises(PermissionDenied):
        issuance.preview_from_registry(
            actor=certs.ly_officer,
            issuer=certs.issuer,
            template=issuance.latest_template("graduation"),
            year=2026,
            fields={"education_level": "小学"},
        )


def test_a_school_admin_may_view_but_not_issue(certs):
    with pytest.raises(PermissionDenied):
        issuance.preview_from_registry(
            actor=certs.world.school_admin,
            issuer=certs.issuer,
            template=issuance.latest_template("graduation"),
            year=2026,
            fields={"education_level": "小学"},
        )


def _xlsx(rows):
    template = issuance.latest_template("transcript")
    return write_xlsx(issuance.xlsx_headers(template), rows)


def test_a_transcript_batch_from_xlsx_carries_its_courses(certs):
    person = certs.graduates[0]
    number = person.id_number
    data = _xlsx([[person.name, number, "计算机", "高等数学:4:95;大学英语:3:88", "7"]])
    batch = issuance.preview_from_file(
        actor=certs.officer,
        issuer=certs.issuer,
        template=issuance.latest_template("transcript"),
        data=data,
        filename="成绩单.xlsx",
    )
    item = batch.items.get()
    assert item.subject["courses"][0] == {"course": "高等数学", "credit": 4.0, "score": "95"}
    assert item.subject["total_credits"] == 7


def test_an_xlsx_with_bad_rows_is_refused_whole_with_every_problem(certs):
    person = certs.graduates[0]
    data = _xlsx(
        [
            [person.name, person.id_number, "计算机", "高等数学-4-95", ""],
            ["不存在", "410102201201019999", "计算机", "高等数学:4:95", ""],
            ["改名了", certs.graduates[1].id_number, "", "高等数学:4:95", ""],
        ]
    )
    with pytest.raises(ImportRejected) as caught:
        issuance.preview_from_file(
            actor=certs.officer,
            issuer=certs.issuer,
            template=issuance.latest_template("transcript"),
            data=data,
            filename="成绩单.xlsx",
        )
    reasons = {(p.row, p.column) for p in caught.value.problems}
    assert reasons == {(2, "课程成绩"), (3, "证件号码"), (4, "姓名")}
    assert not certs.issuer.batches.exists()


def test_templates_are_seeded_for_the_five_types():
    from edubase.credentials.models import CertificateTemplate

    assert set(CertificateTemplate.objects.values_list("code", flat=True)) == {
        "graduation",
        "degree",
        "transcript",
        "teacher_qualification",
        "training",
    }


def test_a_template_a_school_may_not_issue_is_refused(certs):
    from edubase.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        issuance.preview_from_registry(
            actor=certs.officer,
            issuer=certs.issuer,
            template=issuance.latest_template("teacher_qualification"),
            year=2026,
            fields={},
        )


def test_an_unknown_template_is_not_found():
    with pytest.raises(NotFound):
        issuance.latest_template("nope")


def test_each_item_links_to_the_certificate_of_its_holder(certs):
    batch = issue_cohort(certs)
    for item in batch.items.select_related("certificate"):
        assert item.state == ItemState.ISSUED
        assert item.certificate.holder_id == item.holder_id
        assert item.certificate.subject == item.subject
