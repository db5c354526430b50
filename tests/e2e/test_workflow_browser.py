"""A reviewer handles an approval in a real browser (headless Debian chromium through Playwright).

The county reviewer signs in, finds the submitted case in 我的待办, claims it (htmx), opens the
case page where bpmn-js draws the process with the current step marked, then approves it from
the task form. All data is built before the browser starts; nothing is fetched off-site.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import browser_session, needs_chromium
from tests.factories import PASSWORD, build_world
from tests.workflow.conftest import build_desk, open_task, submitted_case

pytestmark = [
    needs_chromium,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def case_ids(transactional_db: None) -> dict[str, int]:
    """A generic approval of school A waiting for 中原区's reviewer (committed, before the browser)."""
    desk = build_desk(build_world())
    case = submitted_case(desk)
    return {"case": case.pk, "task": open_task(case, "review").pk}


@pytest.fixture
def browser_page(live_server: Any, case_ids: dict[str, int]) -> Iterator[tuple[Any, list[str], list[str]]]:
    with browser_session(live_server.url) as session:
        yield session


def test_the_reviewer_claims_sees_the_diagram_and_approves(
    live_server: Any, case_ids: dict[str, int], browser_page: tuple[Any, list[str], list[str]], tmp_path: Path
) -> None:
    page, errors, off_site = browser_page
    base = live_server.url
    task, case = case_ids["task"], case_ids["case"]

    page.goto(f"{base}/login/")
    page.fill("#id_username", "zy_reviewer")
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{base}/")
    assert page.inner_text("#inbox-count") == "1"

    # the inbox: one task, claimed through htmx
    page.click("#console-nav [data-workflow-section=inbox] a")
    page.wait_for_url(f"{base}/workflow/inbox/")
    assert page.inner_text("h2.page-title") == "我的待办"
    row = f"#task-{task}"
    assert "审核" in page.inner_text(row) and "剩余" in page.inner_text(row)
    page.click(f"{row} .task-claim")
    page.wait_for_selector(f"{row} .badge:has-text('已签收')")
    assert page.locator(f"{row} .task-claim").count() == 0
    page.screenshot(path=str(tmp_path / "1-inbox.png"), full_page=True)

    # the case page: bpmn-js draws the diagram, the review step marked current
    page.click(f"{row} a[href='/workflow/cases/{case}/']")
    page.wait_for_url(f"{base}/workflow/cases/{case}/")
    page.wait_for_selector("#diagram[data-rendered=true] svg")
    assert page.locator("#diagram .djs-element.wf-current[data-element-id=review]").count() == 1
    assert page.locator("#diagram .djs-element.wf-completed[data-element-id=submit]").count() == 1
    stroke = page.eval_on_selector(
        "#diagram .wf-current[data-element-id=review] .djs-visual > rect", "el => getComputedStyle(el).stroke"
    )
    assert stroke == "rgb(247, 103, 7)"
    page.screenshot(path=str(tmp_path / "2-case.png"), full_page=True)

    # the task form: approve with a comment; the case is finished
    page.goto(f"{base}/workflow/tasks/{task}/")
    page.check("input[name=decision][value=approve]")
    page.fill("#id_comment", "材料齐全，同意")
    page.click("#complete-button")
    page.wait_for_url(f"{base}/workflow/cases/{case}/")
    assert "已办结" in page.inner_text("#case-facts")
    assert "材料齐全，同意" in page.inner_text("#case-history")
    page.wait_for_selector("#diagram[data-rendered=true] svg")
    assert page.locator("#diagram .djs-element.wf-completed[data-element-id=approved]").count() == 1
    page.screenshot(path=str(tmp_path / "3-done.png"), full_page=True)

    assert off_site == []
    assert errors == []
