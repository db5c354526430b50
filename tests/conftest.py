"""Suite-wide rules.

With ``EDUBASE_STRICT_SKIPS=1`` (set by ``.ci/run``) a skipped test fails the run:
CI always has ../shared/data, PostgreSQL and the openssl binary, so a skip there
means something that should have been tested was not.
"""

from __future__ import annotations

import os

import pytest

STRICT = os.environ.get("EDUBASE_STRICT_SKIPS") == "1"


def _on_postgres() -> bool:
    return os.environ.get("EDUBASE_DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


#: whether this run uses PostgreSQL (for ``skipif`` of PostgreSQL-only tests marked ``postgres``)
ON_POSTGRES = _on_postgres()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    # a test marked ``postgres`` runs in CI's PostgreSQL pass; its skip on the SQLite pass is expected
    postgres_only = item.get_closest_marker("postgres") is not None and not _on_postgres()
    if STRICT and report.skipped and not hasattr(report, "wasxfail") and not postgres_only:
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
