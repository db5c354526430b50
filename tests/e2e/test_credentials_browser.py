"""Education e-certificates in a real browser (headless Debian chromium, Playwright): the issue's
"done when".

A school issues its graduating class in one batch (registry preview → approval by a second officer
→ sign → publish: built before the browser starts). A graduate signs in, sees the certificate,
downloads its PDF and creates a share link; an anonymous employer opens the QR URL printed on the
page (``/v/<identifier>?d=<digest>``) and sees 证书有效 with every check passed, and the uploaded
PDF verifies too; the officer revokes the certificate in the console; the employer's next
verification shows it is not valid, failing on the status check. The database is only reached
through the live server once the browser is open.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from edubase.credentials import issuance, issuers
from edubase.credentials.models import Certificate
from tests.credentials.conftest import Certs, enrol_graduates, issue_cohort
from tests.e2e.conftest import browser_session, needs_chromium, sign_in
from tests.factories import build_world, make_user

pytestmark = [
    needs_chromium,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def issued(transactional_db: None) -> dict[str, Any]:
    world = build_world()
    officer = make_user("zy_cert_officer", role="credential_officer", org=world.zhongyuan)
    approver = make_user("zz_cert_approver", role="credential_officer", org=world.zhengzhou)
    issuance.publish_process()
    issuer = issuers.register_issuer(actor=officer, org=world.school_a)
    graduates = enrol_graduates(world.school_a)
    certs = Certs(world, officer, approver, officer, issuer, issuer, graduates)
    batch = issue_cohort(certs)
    certificate = Certificate.objects.get(batch=batch, holder=graduates[0])
    make_user("grad_zero", person=graduates[0])
    return {"pk": certificate.pk, "identifier": certificate.identifier, "issued": batch.issued}


@pytest.fixture
def browser_page(live_server: Any, issued: dict[str, Any]) -> Iterator[tuple[Any, list[str], list[str]]]:
    with browser_session(live_server.url) as session:
        yield session


def _checks(page: Any) -> dict[str, str]:
    rows = page.locator("#verify-checks tbody tr")
    return {rows.nth(i).get_attribute("data-check"): rows.nth(i).get_attribute("data-ok") for i in range(rows.count())}


def test_graduate_shares_employer_verifies_from_the_qr_and_sees_the_revocation(
    live_server: Any, issued: dict[str, Any], browser_page: tuple[Any, list[str], list[str]], tmp_path: Path
) -> None:
    page, errors, off_site = browser_page
    base = live_server.url
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    assert issued["issued"] == 3  # the whole class in one batch

    # the graduate sees the certificate, downloads the PDF and creates a share link
    sign_in(page, base, "grad_zero")
    page.goto(f"{base}/credentials/mine/")
    page.click(f"a[href='/credentials/mine/{issued['pk']}/']")
    assert issued["identifier"] in page.text_content("main, body")
    qr_url = page.locator("dd code").last.text_content().strip()
    assert f"/v/{issued['identifier']}?d=" in qr_url
    with page.expect_download() as download_info:
        page.click("text=下载 PDF")
    pdf = tmp_path / "certificate.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    page.fill("#s-days", "60")
    page.click("#share-form button")
    page.wait_for_selector(".alert-success")
    share = page.locator("code:has-text('/v/s/')").first.text_content().strip()

    # an employer, not signed in, scans the QR: the printed URL on this server
    page.context.clear_cookies()
    parts = urlsplit(qr_url)
    page.goto(f"{base}{parts.path}?{parts.query}")
    assert page.get_attribute("#verify-summary", "data-valid") == "1"
    assert "证书有效" in page.text_content("#verify-summary")
    assert _checks(page) == {code: "1" for code in ("format", "issuer", "signature", "status", "validity")}
    assert page.is_visible("#verified-content")
    # … or uploads the downloaded PDF (its printed text is checked against the signed content)
    page.goto(f"{base}/v/")
    page.set_input_files("#v-file", str(pdf))
    page.click("#verify-form button[type=submit]")
    assert page.get_attribute("#verify-summary", "data-valid") == "1"
    assert set(_checks(page).values()) == {"1"}
    # … or opens the graduate's share link
    page.goto(f"{base}{urlsplit(share).path}")
    assert page.get_attribute("#verify-summary", "data-valid") == "1"

    # the officer revokes the certificate in the console
    sign_in(page, base, "zy_cert_officer")
    page.goto(f"{base}/credentials/certificates/{issued['pk']}/")
    page.select_option("#status-form select[name=action]", "revoke")
    page.fill("#status-form input[name=reason]", "学籍信息有误，予以撤销")
    page.click("#status-form button[type=submit]")
    page.wait_for_selector(".alert-success")
    assert "撤销" in page.text_content("#certificate-status")

    # the employer's next verification from the same QR shows the revocation
    page.context.clear_cookies()
    page.goto(f"{base}{parts.path}?{parts.query}")
    assert page.get_attribute("#verify-summary", "data-valid") == "0"
    summary = page.text_content("#verify-summary")
    assert "证书无效" in summary and "撤销" in summary
    checks = _checks(page)
    assert checks["status"] == "0" and checks["signature"] == "1"
    assert not page.is_visible("#verified-content")

    # the graduate sees who verified it, and the revocation notice
    sign_in(page, base, "grad_zero")
    page.goto(f"{base}/credentials/mine/{issued['pk']}/")
    assert page.locator("#mine-verifications .list-group-item").count() >= 3
    assert errors == [] and off_site == [], missing
