"""Suite-wide rules.

With ``EDUBASE_STRICT_SKIPS=1`` (set by ``.ci/run``) a skipped test fails the run:
CI always has ../shared/data, PostgreSQL and the openssl binary, so a skip there
means something that should have been tested was not.
"""

from __future__ import annotations

import os

import pytest

STRICT = os.environ.get("EDUBASE_STRICT_SKIPS") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if STRICT and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in strict mode (EDUBASE_STRICT_SKIPS=1): {report.longrepr}"


@pytest.fixture
def world(db):  # type: ignore[no-untyped-def]
    """The small province with its personas (see tests/factories.py)."""
    from tests.factories import build_world

    return build_world()


@pytest.fixture(autouse=True)
def _empty_cache():  # type: ignore[no-untyped-def]
    """Cached figures (the dashboard) never leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
