"""The console in a real browser (headless Debian chromium through Playwright).

The province admin signs in, sees the dashboard charts, opens the org tree and expands
nodes (htmx lazy loading), filters the school list by prefecture, finds a person by
exact citizen ID and sees the masked ID on the person page, then reveals it (htmx POST
with the CSRF header) and finds the reveal in the audit log. Screenshots go to
``tmp_path``. Every request must stay on the live server: nothing from a CDN.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import browser_session, needs_chromium
from tests.factories import PASSWORD, World, build_world, citizen_id, mask_id

STUDENT_ID = citizen_id("410102", "20150307", "001")

pytestmark = [
    needs_chromium,
    # the live server reads what the test wrote, so no wrapping transaction (transactional_db);
    # the roles seeded by migration are restored afterwards for the tests that follow
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def world_tx(transactional_db: None) -> World:
    """The small province, committed so that the live server sees it.

    Built before the browser starts: inside Playwright's sync API the test body runs in
    another context, where the ORM would open a second connection that nobody closes.
    The test therefore checks everything through the browser, the audit log included.
    """
    return build_world()


@pytest.fixture
def browser_page(live_server: Any, world_tx: World) -> Iterator[tuple[Any, list[str], list[str]]]:
    with browser_session(live_server.url) as session:
        yield session


def test_the_province_admin_browses_the_tree_and_finds_a_person_masked(
    live_server: Any, world_tx: World, browser_page: tuple[Any, list[str], list[str]], tmp_path: Path
) -> None:
    world = world_tx
    page, errors, off_site = browser_page
    base = live_server.url

    # sign in
    page.goto(f"{base}/login/")
    assert "登录" in page.title()
    page.fill("#id_username", "province_admin")
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.wait_for_selector("#chart-prefecture[data-rendered=true] svg")
    page.wait_for_selector("#chart-category[data-rendered=true] svg")
    assert page.inner_text("#total-schools") == "3"
    assert page.inner_text("h2.page-title") == "数据概览"
    page.screenshot(path=str(tmp_path / "1-home.png"), full_page=True)

    # the org tree: expand the province, then Zhengzhou (children arrive through htmx)
    page.click("#console-nav [data-section=orgs] a")
    page.wait_for_url(f"{base}/orgs/")
    assert page.inner_text("h2.page-title") == "机构树"
    page.click("li[data-org='410000'] > details > summary")
    page.wait_for_selector("li[data-org='410100']")
    assert page.is_visible("li[data-org='410300']")
    page.click("li[data-org='410100'] > details > summary")
    page.wait_for_selector("li[data-org='410102']")
    assert page.is_visible("text=中原区") and page.is_visible("text=金水区")
    page.screenshot(path=str(tmp_path / "2-tree.png"), full_page=True)

    # the school list: choosing a prefecture filters at once
    page.click("#console-nav [data-section=schools] a")
    page.wait_for_url(f"{base}/schools/")  # loaded, console.js included
    page.select_option("#id_prefecture", "410300")
    page.wait_for_url(lambda url: "prefecture=410300" in url)
    assert page.locator("#school-table tbody tr").count() == 1
    assert "洛阳市老城区第一小学" in page.inner_text("#school-table")

    # search a person by exact citizen ID and open the person page
    page.click("#console-nav [data-section=people] a")
    page.wait_for_url(f"{base}/people/")
    page.fill("#id_id_number", STUDENT_ID)
    page.click("#person-search button[type=submit]")
    page.wait_for_selector("#person-results")
    assert page.inner_text("#person-results tbody td:last-child") == mask_id(STUDENT_ID)
    page.click("#person-results a:has-text('李小明')")
    page.wait_for_url(f"{base}/people/{world.student_person.pk}/")
    assert page.inner_text("h2.page-title") == "李小明"
    assert page.title().startswith("李小明")
    assert page.inner_text("#id-number-masked") == mask_id(STUDENT_ID)
    assert STUDENT_ID not in page.content()
    page.screenshot(path=str(tmp_path / "3-person.png"), full_page=True)

    # the province admin may reveal: htmx POST with the CSRF header, audited
    page.click("#reveal-id_number button")
    page.wait_for_selector("#reveal-id_number [data-revealed=id_number]")
    assert page.inner_text("#reveal-id_number [data-revealed=id_number]") == STUDENT_ID
    page.screenshot(path=str(tmp_path / "4-revealed.png"), full_page=True)

    # and the reveal is in the audit log
    page.goto(f"{base}/audit/?action=people.person.reveal")
    rows = page.locator("#audit-table tbody tr")
    assert rows.count() == 1
    assert "province_admin" in rows.first.inner_text() and "李小明" in rows.first.inner_text()

    assert errors == []
    assert off_site == []
