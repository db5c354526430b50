"""The shortcuts of the hot paths stay correct: status-list indices handed out from a per-process
cache, issuer keys after a rotation, status lists re-read after a revocation, the QR drawn as raw
path operators."""

from __future__ import annotations

import io
import re

import segno
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from edubase.credentials import issuers, lifecycle, pdf, resolver, status_publish, verification
from edubase.credentials.models import StatusList
from tests.credentials.conftest import cohort_certificates, issue_cohort


def _reads_certificates(queries: CaptureQueriesContext) -> bool:
    return any('"credentials_certificate"' in q["sql"] and "SELECT" in q["sql"] for q in queries.captured_queries)


def test_allocation_reuses_its_committed_indices_until_another_allocation_moves_the_list(
    certs, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = status_publish.allocate(certs.issuer, "revocation", 50)
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as queries:
        second = status_publish.allocate(certs.issuer, "revocation", 50)
    assert not _reads_certificates(queries)  # the committed set was reused
    indices = [i for _, i in first + second]
    assert len(set(indices)) == 100
    # another process allocates (the row's count moves under its lock): the set is read again
    StatusList.objects.filter(pk=first[0][0].pk).update(allocated=first[0][0].allocated + 150)
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as queries:
        status_publish.allocate(certs.issuer, "revocation", 5)
    assert _reads_certificates(queries)


def test_an_allocation_that_never_commits_is_not_remembered(certs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        made = status_publish.allocate(certs.issuer, "suspension", 10)
    assert made[0][0].list_id not in status_publish._taken


def test_a_rotation_shows_at_once_in_this_process_and_old_certificates_still_verify(
    certs, django_capture_on_commit_callbacks
):
    batch = issue_cohort(certs)
    certificate = cohort_certificates(batch)[0]
    assert verification.verify_stored(certificate.identifier, allow_bare=True).valid
    old = resolver.DatabaseResolver().issuer_key(certificate.kid)
    assert old is not None and old.valid_until is None
    with django_capture_on_commit_callbacks(execute=True):
        issuers.rotate_key(actor=certs.officer, issuer=certs.issuer)
    rotated = resolver.DatabaseResolver().issuer_key(certificate.kid)
    assert rotated is not None and rotated.valid_until is not None
    assert verification.verify_stored(certificate.identifier, allow_bare=True).valid


def test_a_revocation_shows_on_the_next_verification(certs, django_capture_on_commit_callbacks):
    batch = issue_cohort(certs)
    certificate = cohort_certificates(batch)[0]
    assert verification.verify_stored(certificate.identifier, allow_bare=True).valid
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.change_status(actor=certs.officer, certificates=[certificate], action="revoke", reason="测试撤销")
    report = verification.verify_stored(certificate.identifier, allow_bare=True)
    assert not report.valid and report.failed is not None and report.failed.code == "status"


def test_the_printed_qr_draws_exactly_the_modules_of_the_verification_url(certs):
    batch = issue_cohort(certs)
    certificate = cohort_certificates(batch)[0]
    page = PdfReader(io.BytesIO(pdf.render(certificate.jws))).pages[0]
    content = page.get_contents().get_data().decode("latin-1")
    matrix = segno.make(pdf.verification_url(certificate.identifier, certificate.jws), error="m", micro=False, mask=0)
    count = len(matrix.matrix)
    drawn: set[tuple[int, int]] = set()
    for x, y, width in re.findall(r"^(\d+) (\d+) (\d+) 1 re$", content, flags=re.M):
        row = count + 3 - int(y)
        drawn |= {(row, column) for column in range(int(x) - 4, int(x) - 4 + int(width))}
    expected = {(r, c) for r, line in enumerate(matrix.matrix) for c, dark in enumerate(line) if dark}
    assert drawn == expected
