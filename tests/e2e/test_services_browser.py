"""Teacher-qualification recognition in a real browser (headless Debian chromium, Playwright).

A citizen applies on the console with three PDF materials; the county reviewer returns it for
correction from 待我办理; the citizen sees 退回补正, uploads a new 体检表 and resubmits; the
reviewers approve each step, the county decides; the citizen sees 准予, the result document link
and rates the service (好差评). All data is built before the browser starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import browser_session, needs_chromium, sign_in
from tests.factories import build_world
from tests.services.conftest import PDF, build_hall

pytestmark = [
    needs_chromium,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def hall_ids(transactional_db: None) -> dict[str, Any]:
    hall = build_hall(build_world())
    return {"zhongyuan": hall.world.zhongyuan.pk}


@pytest.fixture
def browser_page(live_server: Any, hall_ids: dict[str, Any]) -> Iterator[tuple[Any, list[str], list[str]]]:
    with browser_session(live_server.url) as session:
        yield session


def _decide(page: Any, base: str, username: str, number: str, decision: str, reason: str = "") -> None:
    sign_in(page, base, username)
    page.goto(f"{base}/services/handling/")
    page.click(f"#handling-table a:has-text('{number}')")
    form = page.locator("form[data-handle-form]").first
    form.locator(f"input[name=decision][value={decision}]").check()
    if reason:
        form.locator("textarea[name=reason]").fill(reason)
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".alert-success, .alert")


def test_a_citizen_applies_is_returned_resubmits_is_approved_and_rates(
    live_server: Any, hall_ids: dict[str, Any], browser_page: tuple[Any, list[str], list[str]], tmp_path: Path
) -> None:
    page, errors, off_site = browser_page
    base = live_server.url
    files = []
    for i in range(4):
        path = tmp_path / f"material-{i}.pdf"
        path.write_bytes(PDF + f"material {i}".encode())
        files.append(str(path))

    # the citizen applies from the public catalogue
    sign_in(page, base, "citizen_zhang")
    page.goto(f"{base}/services/")
    page.click("text=教师资格认定")
    page.click("a[href$='/apply/']")
    page.select_option("#apply-org", str(hall_ids["zhongyuan"]))
    for i in range(3):
        page.set_input_files(f"#material-{i}", files[i])
    page.click("#apply-form button[type=submit]")
    page.wait_for_selector("#application-status")
    assert page.inner_text("#application-status") == "已提交"
    assert "剩余" in page.inner_text("body") and "工作日" in page.inner_text("body")
    number = page.inner_text("h2.page-title").split("·")[-1].strip()
    assert number.startswith("SQ")

    # the county reviewer returns it for correction, with a reason
    _decide(page, base, "zy_svc_reviewer", number, "return", "体检表缺少医院盖章")
    assert page.inner_text("#application-status") == "退回补正"

    # the citizen sees why, uploads a stamped 体检表 and resubmits
    sign_in(page, base, "citizen_zhang")
    page.goto(f"{base}/services/applications/")
    page.click(f"#application-table a:has-text('{number}')")
    assert page.inner_text("#application-status") == "退回补正"
    assert "体检表缺少医院盖章" in page.inner_text("#case-history")
    page.select_option("#resubmit-name", "体检表")
    page.set_input_files("#resubmit-file", files[3])
    page.fill("#resubmit-comment", "已补盖医院公章")
    page.click("#resubmit-form button[type=submit]")
    page.wait_for_selector(".alert-success")
    assert page.inner_text("#application-status") == "审核中"

    # materials review and interview check by the reviewer, the decision by the county
    _decide(page, base, "zy_svc_reviewer", number, "approve")
    _decide(page, base, "zy_svc_reviewer", number, "approve")
    _decide(page, base, "zy_county_admin", number, "approve")
    assert page.inner_text("#application-status") == "准予"

    # the citizen sees the result and rates the service
    sign_in(page, base, "citizen_zhang")
    page.goto(f"{base}/services/applications/")
    page.click(f"#application-table a:has-text('{number}')")
    assert page.inner_text("#application-status") == "准予"
    assert page.get_attribute("#result-pdf", "href").endswith("/result.pdf")
    history = page.inner_text("#case-history")
    assert "退回补正" in history and "办结" in history
    page.check("#rate-form input[name=level][value='5']")
    page.click("#rate-form button[type=submit]")
    page.wait_for_selector("text=您的评价")
    assert "非常满意" in page.inner_text("body")

    assert not off_site, off_site
    assert not errors, errors
