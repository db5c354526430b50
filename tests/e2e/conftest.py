"""Shared browser plumbing for the e2e tests: Debian chromium through Playwright, no downloads.

Build the test data BEFORE opening the browser, and never touch the database while it is
open (the live server's second connection would keep PostgreSQL from dropping the test DB).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium"
)


@contextmanager
def browser_session(live_url: str) -> Iterator[tuple[Any, list[str], list[str]]]:
    """(page, console errors, off-site requests): every request must stay on the live server."""
    from playwright.sync_api import sync_playwright

    site = urlsplit(live_url).netloc
    errors: list[str] = []
    off_site: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        def guard(route: Any) -> None:
            if urlsplit(route.request.url).netloc != site:
                off_site.append(route.request.url)
                route.abort()
            else:
                route.continue_()

        page.route("**/*", guard)
        try:
            yield page, errors, off_site
        finally:
            context.close()
            browser.close()


def sign_in(page: Any, base: str, username: str) -> None:
    """Sign ``username`` in on the console login page (the test password of tests/factories.py)."""
    from tests.factories import PASSWORD

    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{base}/")
