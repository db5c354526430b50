"""The demo province's e-certificates: a college issues its graduating class through the real
services (registry preview → workflow approval by a second officer → sign → publish), one
certificate is revoked, a graduate can log in — made once, deterministically.

One tiny province (30 schools) is built per module inside a transaction rolled back at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client

from edubase.accounts.models import RoleAssignment, User
from edubase.core.models import AuditEvent
from edubase.credentials import verification
from edubase.credentials.models import BatchStatus, Certificate, CertificateStatus, IssuanceBatch, Issuer
from edubase.credentials.vc import credential_digest
from edubase.demo import DemoReport, build_demo
from edubase.demo import credentials as credentials_demo
from edubase.people.models import Enrolment
from edubase.workflow.models import InstanceState

SCALE = 30


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker) -> Iterator[DemoReport]:  # type: ignore[no-untyped-def]
    path = Path(settings.VAR_DIR) / "demo-credentials.txt"
    with django_db_blocker.unblock(), transaction.atomic():
        report = build_demo(scale=SCALE)
        yield report
        transaction.set_rollback(True)
    path.unlink(missing_ok=True)


@pytest.fixture
def db_demo(demo: DemoReport, db: None) -> DemoReport:
    return demo


def batch() -> IssuanceBatch:
    return IssuanceBatch.objects.select_related("issuer", "instance").get(
        title=credentials_demo.batch_title(credentials_demo.college())
    )


def test_the_college_is_an_issuer_with_a_school_code_and_its_officer(db_demo):
    college = credentials_demo.college()
    assert college.code == credentials_demo.COLLEGE_CODE and college.school_category == "41"
    issuer = Issuer.objects.get(org=college)
    assert issuer.school_code == college.code and len(issuer.uscc) == 18
    officer = RoleAssignment.objects.get(user__username="credential_officer")
    assert officer.org == college and officer.role.code == "credential_officer"


def test_the_graduating_class_was_issued_in_one_approved_batch(db_demo):
    b = batch()
    graduates = Enrolment.objects.filter(school=b.issuer.org, end=credentials_demo.GRADUATION_DAY)
    assert graduates.count() == db_demo.created["credentials_graduated"] > 1
    assert b.status == BatchStatus.PUBLISHED and b.issued == b.total == graduates.count()
    assert b.created_by.username == "credential_officer"
    assert b.instance.state == InstanceState.COMPLETED and b.instance.outcome == "approved"
    approval = AuditEvent.objects.get(action="credentials.batch.approve", object_id=str(b.pk))
    assert approval.actor.username == "credential_approver"  # the preparer never approves its own batch
    holders = set(Certificate.objects.filter(batch=b).values_list("holder_id", flat=True))
    assert holders == set(graduates.values_list("person_id", flat=True))


def test_one_certificate_is_revoked_with_a_reason_and_verifies_so(db_demo):
    certificates = Certificate.objects.filter(batch=batch())
    revoked = certificates.get(status=CertificateStatus.REVOKED)
    assert revoked.status_reason == credentials_demo.REVOKE_REASON
    report = verification.verify_stored(revoked.identifier, digest=credential_digest(revoked.jws)[:16])
    assert not report.valid
    assert [c.code for c in report.checks if c.ok is False] == ["status"]
    valid = certificates.filter(status=CertificateStatus.VALID).first()
    assert valid is not None
    good = verification.verify_stored(valid.identifier, digest=credential_digest(valid.jws)[:16])
    assert good.valid and all(c.ok for c in good.checks)


def test_the_graduate_logs_in_and_sees_a_valid_certificate(db_demo):
    logins = {c.username: c for c in db_demo.credentials}
    graduate = User.objects.get(username=credentials_demo.GRADUATE)
    assert graduate.check_password(logins["graduate"].password)
    assert User.objects.get(username="credential_approver").check_password(logins["credential_approver"].password)
    mine = Certificate.objects.get(holder=graduate.person)
    assert mine.status == CertificateStatus.VALID
    client = Client()
    client.force_login(graduate)
    page = client.get("/credentials/mine/")
    assert page.status_code == 200 and f"/credentials/mine/{mine.pk}/" in page.content.decode()
    detail = client.get(f"/credentials/mine/{mine.pk}/")
    assert detail.status_code == 200 and mine.identifier in detail.content.decode()


def test_building_again_adds_nothing_and_keeps_the_passwords(db_demo):
    counts = (
        Certificate.objects.count(),
        IssuanceBatch.objects.count(),
        Enrolment.objects.filter(end__isnull=False).count(),
    )
    again = build_demo(scale=SCALE)
    assert not again.created_anything, again.created
    assert (
        Certificate.objects.count(),
        IssuanceBatch.objects.count(),
        Enrolment.objects.filter(end__isnull=False).count(),
    ) == counts
    passwords = {c.username: c.password for c in again.credentials}
    assert User.objects.get(username="graduate").check_password(passwords["graduate"])
