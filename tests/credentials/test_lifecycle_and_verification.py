"""Revoke, suspend, reinstate, reissue (single and bulk), and verification at every edge."""

from __future__ import annotations

import json

import pytest

from edubase.core.errors import NotFound, ValidationFailed
from edubase.core.models import AuditEvent
from edubase.credentials import issuers, lifecycle, pdf, status_publish, verification
from edubase.credentials.models import (
    Certificate,
    CertificateStatus,
    HolderNotice,
    StatusList,
    VerificationEvent,
)
from edubase.credentials.resolver import forget
from edubase.credentials.vc import certificate_file
from tests.credentials.conftest import cohort_certificates, issue_cohort

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(certs):
    forget()
    return cohort_certificates(issue_cohort(certs))


def test_a_revocation_shows_on_the_next_verification(certs, cohort, django_capture_on_commit_callbacks):
    target = cohort[0]
    assert verification.run_checks(target.jws).valid
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.change_status(actor=certs.officer, certificates=[target], action="revoke", reason="学籍信息有误")
    report = verification.run_checks(target.jws)
    assert not report.valid
    assert report.failed.code == "status"
    assert verification.run_checks(cohort[1].jws).valid


def test_suspend_then_reinstate(certs, cohort, django_capture_on_commit_callbacks):
    target = cohort[0]
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.change_status(actor=certs.officer, certificates=[target], action="suspend", reason="核查中")
    assert verification.run_checks(target.jws).failed.code == "status"
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.change_status(actor=certs.officer, certificates=[target], action="reinstate", reason="核查无误")
    assert verification.run_checks(target.jws).valid


def test_status_is_published_even_when_the_on_commit_hook_did_not_run(certs, cohort):
    lifecycle.change_status(actor=certs.officer, certificates=[cohort[0]], action="revoke", reason="错误签发")
    assert StatusList.objects.filter(dirty=True).exists()
    assert status_publish.publish_dirty() >= 1  # the periodic job
    assert not verification.run_checks(cohort[0].jws).valid


def test_holders_are_notified_of_a_revocation(certs, cohort):
    lifecycle.change_status(actor=certs.officer, certificates=[cohort[0]], action="revoke", reason="错误签发")
    notice = HolderNotice.objects.get(certificate=cohort[0])
    assert "撤销" in notice.message and "错误签发" in notice.message


def test_a_revocation_needs_a_reason(certs, cohort):
    with pytest.raises(ValidationFailed):
        lifecycle.change_status(actor=certs.officer, certificates=[cohort[0]], action="revoke", reason=" ")


def test_an_officer_of_another_city_cannot_revoke(certs, cohort):
    with pytest.raises(NotFound):
        lifecycle.change_status(actor=certs.ly_officer, certificates=[cohort[0]], action="revoke", reason="x")


def test_a_school_admin_cannot_revoke(certs, cohort):
    with pytest.raises(NotFound):
        lifecycle.change_status(actor=certs.world.school_admin, certificates=[cohort[0]], action="revoke", reason="x")


def test_a_cohort_with_a_template_error_is_reissued_in_bulk(certs, cohort, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        fresh = lifecycle.reissue(
            actor=certs.officer,
            certificates=Certificate.objects.filter(pk__in=[c.pk for c in cohort]),
            reason="学历层次印错",
            changes={"education_level": "小学（六年制）"},
        )
    assert len(fresh) == 3
    for old in cohort:
        old.refresh_from_db()
        assert old.status == CertificateStatus.AMENDED
        assert old.successor.version == old.version + 1
        assert old.successor.serial == old.serial
        assert old.successor.subject["education_level"] == "小学（六年制）"
        assert not verification.run_checks(old.jws).valid
        assert verification.run_checks(old.successor.jws).valid


def test_a_revoked_certificate_cannot_be_reinstated(certs, cohort):
    lifecycle.change_status(actor=certs.officer, certificates=[cohort[0]], action="revoke", reason="错误")
    with pytest.raises(lifecycle.CertificateStateError):
        lifecycle.change_status(actor=certs.officer, certificates=[cohort[0]], action="reinstate", reason="恢复")


def test_old_certificates_verify_after_the_issuer_key_is_rotated(certs, cohort):
    key = issuers.rotate_key(actor=certs.officer, issuer=certs.issuer)
    forget()
    assert verification.run_checks(cohort[0].jws).valid
    assert cohort[0].kid != key.kid


def test_verification_by_identifier_url_and_file(certs, cohort):
    target = cohort[0]
    assert verification.run_checks(target.identifier, allow_bare=True).valid  # an official's CLI look-up
    bare = verification.run_checks(target.identifier)
    assert not bare.valid and bare.check("format").detail["reason"] == "digest_required"
    assert verification.run_checks(pdf.verification_url(target.identifier, target.jws)).valid
    assert verification.run_checks(json.dumps(certificate_file(target.jws))).valid


def test_a_qr_carrying_another_certificates_digest_fails(certs, cohort):
    url = pdf.verification_url(cohort[0].identifier, cohort[1].jws)
    report = verification.run_checks(url)
    assert not report.valid and report.check("format").detail["reason"] == "digest_mismatch"


def test_a_malformed_identifier_fails_at_format(certs, cohort):
    broken = cohort[0].identifier[:-1] + ("0" if cohort[0].identifier[-1] != "0" else "1")
    report = verification.run_checks(broken)
    assert not report.valid and report.failed.code == "format"


def test_every_verification_is_recorded_and_audited(certs, cohort):
    link = pdf.verification_url(cohort[0].identifier, cohort[0].jws)
    verification.verify_input(link, channel="api", actor=None, ip="198.51.100.9")
    event = VerificationEvent.objects.get(certificate=cohort[0])
    assert event.valid and event.channel == "api"
    assert AuditEvent.objects.filter(action="credentials.certificate.verify", object_id=str(event.pk)).exists()


def test_the_pdf_round_trips_and_altered_text_fails(certs, cohort):
    target = cohort[0]
    document = pdf.render(target.jws)
    assert document.startswith(b"%PDF")
    report = verification.run_checks(document)
    assert report.valid, report.to_dict()
    assert report.check("document").ok is True
    # the printed name changed in the page content (same length, same font subset glyph count)
    altered = _replace_text(document, target.holder_name, "毕业生9")
    report = verification.run_checks(altered)
    assert not report.valid
    assert report.failed.code == "document"


def _replace_text(document: bytes, old: str, new: str) -> bytes:
    """Rewrite the page's text so that ``old`` reads ``new`` (what an editing tool does)."""
    import io

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ContentStream, NameObject

    reader = PdfReader(io.BytesIO(document))
    writer = PdfWriter(clone_from=reader)
    page = writer.pages[0]
    text = page.extract_text()
    assert old in text
    # simplest faithful alteration: overwrite the page with text drawn without the signed name
    from reportlab.pdfgen import canvas

    from edubase.core.pdf import font_name

    buffer = io.BytesIO()
    c = canvas.Canvas(buffer)
    c.setFont(font_name(), 10)
    y = 800
    for line in text.replace(old, new).splitlines():
        c.drawString(40, y, line)
        y -= 14
    c.save()
    fake = PdfReader(io.BytesIO(buffer.getvalue())).pages[0]
    page[NameObject("/Contents")] = ContentStream(fake.get_contents(), writer)
    page[NameObject("/Resources")] = fake["/Resources"]
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_without_an_embedded_credential_fails(certs, cohort):
    from edubase.core.pdf import Document

    plain = Document(title="毕业证书", number=cohort[0].identifier).fields([("姓名", "毕业生0")]).render()
    report = verification.run_checks(plain)
    assert not report.valid and report.failed.code == "format"


def test_the_offline_qr_of_a_pdf_verifies_without_network(certs, cohort):
    from edubase.credentials.offline import verify_offline
    from edubase.credentials.resolver import DatabaseResolver

    payload = pdf.offline_payload(cohort[0])
    assert payload.startswith("EBC1:") and len(payload) < 600
    report = verify_offline(payload, resolver=DatabaseResolver())
    assert report.valid and report.identifier == cohort[0].identifier
    assert pdf.certificate_pdf(cohort[0], offline=True).startswith(b"%PDF")


def test_a_certificate_of_another_issuer_does_not_verify_under_this_issuers_key(certs, cohort):
    """A QR/credential claiming school C but signed with school A's key: issuer check fails."""
    from edubase.credentials import issuance
    from edubase.credentials.jose import sign_compact

    claims = pdf.payload_of(cohort[0].jws)
    claims["issuer"]["id"] = issuers.issuer_id(certs.issuer_c.uscc)
    key = issuers.current_key(certs.issuer)
    forged = sign_compact(claims, alg="SM2", key=issuers.signing_key(certs.issuer, key.key_version), kid=key.kid)
    report = verification.run_checks(forged)
    assert not report.valid and report.failed.code in ("format", "issuer")
    assert issuance.TYPE_NAMES["graduation"] in claims["type"]
