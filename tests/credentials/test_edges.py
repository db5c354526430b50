"""The edges: HTTP API, public pages (no login), the holder's pages, the CLI, the console."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.test import Client

from edubase.credentials import holders, lifecycle, pdf, status_publish
from edubase.credentials.models import ShareLink, VerificationEvent
from edubase.credentials.resolver import forget
from tests.credentials.conftest import cohort_certificates, issue_cohort
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(certs):
    forget()
    return cohort_certificates(issue_cohort(certs))


@pytest.fixture
def graduate(certs, cohort):
    """The first graduate's account and certificate."""
    return make_user("graduate0", person=cohort[0].holder), cohort[0]


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_the_verify_api_needs_no_sign_in_and_reports_each_check(cohort):
    from edubase.credentials.vc import credential_digest

    link = f"/v/{cohort[0].identifier}?d={credential_digest(cohort[0].jws)[:16]}"  # what the QR code holds
    response = _client().post("/api/v1/credentials/verify", json.dumps({"data": link}), content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is True
    assert [c["code"] for c in body["checks"]] == ["format", "issuer", "signature", "status", "validity"]
    assert VerificationEvent.objects.filter(certificate=cohort[0], channel="api").exists()


def test_an_identifier_alone_is_not_enough_to_see_a_holders_certificate(cohort):
    # identifiers are printed and their serials guessable: without the QR digest nothing about the holder shows
    for url in (f"/v/{cohort[0].identifier}", f"/v/{cohort[0].identifier}?d=0"):
        page = _client().get(url)
        assert "仅凭证照标识不能核验" in page.content.decode()
        assert cohort[0].holder.name not in page.content.decode()
    response = _client().post(
        "/api/v1/credentials/verify", json.dumps({"data": cohort[0].identifier}), content_type="application/json"
    )
    body = response.json()
    assert body["valid"] is False and body["failed_check"] == "format"
    assert cohort[0].holder.name not in response.content.decode()


def test_the_verify_api_refuses_a_jws_with_alg_none(cohort):
    _header, payload, _sig = cohort[0].jws.split(".")
    import base64

    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"vc+jwt"}').rstrip(b"=").decode()
    response = _client().post(
        "/api/v1/credentials/verify", json.dumps({"data": f"{none_header}.{payload}."}), content_type="application/json"
    )
    body = response.json()
    assert body["valid"] is False and body["failed_check"] == "format"


def test_an_uploaded_pdf_verifies_through_the_api(cohort):
    from django.core.files.uploadedfile import SimpleUploadedFile

    document = pdf.render(cohort[0].jws)
    response = _client().post("/api/v1/credentials/verify/upload", {"file": SimpleUploadedFile("c.pdf", document)})
    assert response.json()["valid"] is True


def test_the_qr_landing_page_shows_the_report_without_login(cohort):
    url = pdf.verification_url(cohort[0].identifier, cohort[0].jws)
    path = url[url.index("/v/") :]
    response = _client().get(path)
    assert response.status_code == 200
    assert 'data-valid="1"' in response.content.decode()
    assert VerificationEvent.objects.filter(certificate=cohort[0], channel="qr").exists()


def test_the_qr_page_shows_a_revocation_on_the_next_scan(certs, cohort, django_capture_on_commit_callbacks):
    url = pdf.verification_url(cohort[0].identifier, cohort[0].jws)
    path = url[url.index("/v/") :]
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.change_status(actor=certs.officer, certificates=[cohort[0]], action="revoke", reason="学籍有误")
    page = _client().get(path).content.decode()
    assert 'data-valid="0"' in page and 'data-check="status" data-ok="0"' in page


def test_the_upload_form_verifies_a_pasted_verification_link(cohort):
    from edubase.credentials import pdf

    response = _client().post("/v/", {"text": pdf.verification_url(cohort[1].identifier, cohort[1].jws)})
    assert 'data-valid="1"' in response.content.decode()
    bare = _client().post("/v/", {"text": cohort[1].identifier})  # the identifier alone shows nothing
    assert 'data-valid="1"' not in bare.content.decode() and "仅凭证照标识不能核验" in bare.content.decode()


def test_status_lists_are_served_with_cache_headers(cohort):
    status_list = cohort[0].revocation_list
    response = _client().get(f"/v/status/{status_list.list_id}")
    assert response.status_code == 200
    assert "max-age=" in response["Cache-Control"]
    assert response.content.decode() == status_publish.signed_list(status_list.list_id)


def test_the_issuer_registry_lists_every_key_after_rotation(certs, cohort):
    from edubase.credentials import issuers

    issuers.rotate_key(actor=certs.officer, issuer=certs.issuer)
    body = _client().get(f"/v/issuers/{certs.issuer.uscc}").json()
    assert len(body["keys"]) == 2
    assert body["keys"][0]["validUntil"] is not None and body["keys"][1]["validUntil"] is None
    assert body["signature"] == {"alg": "SM2", "digest": "SM3", "sm2Id": "1234567812345678"}


def test_a_graduate_downloads_shares_and_sees_who_verified(graduate):
    user, certificate = graduate
    client = _client(user)
    assert client.get(f"/api/v1/credentials/mine/{certificate.pk}/pdf").content.startswith(b"%PDF")
    assert json.loads(client.get(f"/api/v1/credentials/mine/{certificate.pk}/file").content)["jws"] == certificate.jws
    response = client.post(
        "/api/v1/credentials/mine/share",
        json.dumps({"certificate_id": certificate.pk, "days": 90}),
        content_type="application/json",
    )
    assert response.status_code == 201
    token = response.json()["token"]
    page = _client().get(f"/v/s/{token}")
    assert 'data-valid="1"' in page.content.decode()
    seen = client.get("/api/v1/credentials/mine/verifications").json()
    assert [v["channel"] for v in seen] == ["share"]


def test_share_links_last_30_to_180_days(graduate):
    user, certificate = graduate
    from edubase.core.errors import ValidationFailed

    for days in (29, 181):
        with pytest.raises(ValidationFailed):
            holders.create_share_link(actor=user, certificate=certificate, days=days)


def test_an_expired_share_link_is_not_found(graduate):
    import datetime as dt

    from django.utils import timezone

    user, certificate = graduate
    link = holders.create_share_link(actor=user, certificate=certificate, days=30)
    ShareLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert _client().get(f"/v/s/{link.token}").status_code == 404


def test_another_person_cannot_download_a_graduates_certificate(certs, graduate):
    _user, certificate = graduate
    other = make_user("someone", person=certs.graduates[1])
    assert _client(other).get(f"/api/v1/credentials/mine/{certificate.pk}/pdf").status_code == 403


def test_the_cli_verifies_a_pdf_file_and_fails_an_altered_json(tmp_path, cohort, capsys):
    document = tmp_path / "c.pdf"
    document.write_bytes(pdf.render(cohort[0].jws))
    call_command("cert", "verify", str(document))
    assert "证书有效" in capsys.readouterr().out
    tampered = json.loads(json.dumps({"format": "edubase-credential/1", "jws": cohort[0].jws}))
    header, payload, signature = tampered["jws"].split(".")
    from edubase.credentials.jose import b64url_decode, b64url_encode

    claims = json.loads(b64url_decode(payload))
    claims["credentialSubject"]["education_level"] = "博士研究生"
    tampered["jws"] = ".".join([header, b64url_encode(json.dumps(claims).encode()), signature])
    bad = tmp_path / "c.json"
    bad.write_text(json.dumps(tampered))
    with pytest.raises(SystemExit) as stopped:
        call_command("cert", "verify", str(bad))
    assert stopped.value.code == 1
    assert "✘" in capsys.readouterr().out


def test_the_console_shows_a_batch_and_its_certificates_to_the_school_admin(certs, cohort):
    client = _client(certs.world.school_admin)
    assert client.get("/credentials/").status_code == 200
    listing = client.get("/credentials/certificates/").content.decode()
    assert cohort[0].identifier in listing
    assert client.get(f"/credentials/certificates/{cohort[0].pk}/").status_code == 200


def test_a_teacher_is_refused_the_console(certs, cohort):
    assert _client(certs.world.teacher).get("/credentials/certificates/").status_code == 403


def test_an_officer_revokes_from_the_console(certs, cohort):
    response = _client(certs.officer).post(
        f"/credentials/certificates/{cohort[0].pk}/status/", {"action": "revoke", "reason": "错误签发"}
    )
    assert response.status_code == 302
    cohort[0].refresh_from_db()
    assert cohort[0].status == "revoked"


def test_a_batch_is_previewed_submitted_and_approved_from_the_console(certs):
    officer = _client(certs.officer)
    response = officer.post(
        "/credentials/batches/new/",
        {"issuer": certs.issuer.pk, "template": "graduation", "year": "2026", "field_education_level": "小学"},
    )
    assert response.status_code == 302
    batch_path = response["Location"]
    pk = int(batch_path.rstrip("/").split("/")[-1])
    assert officer.post(f"/credentials/batches/{pk}/submit/").status_code == 302
    assert (
        _client(certs.approver).post(f"/credentials/batches/{pk}/decide/", {"decision": "approve"}).status_code == 302
    )
    from edubase.credentials.issuance import sign_due_batches

    assert sign_due_batches() == 3
    assert "已发布" in officer.get(batch_path).content.decode()
