"""Fixtures of the people tests: the data officer persona and a few ready identifiers."""

from __future__ import annotations

import pytest

from tests.factories import make_user


@pytest.fixture
def data_officer(world):  # type: ignore[no-untyped-def]
    """A data officer (数据专员) for Zhengzhou: may reveal identifiers of the city's persons."""
    return make_user("zz_data_officer", role="data_officer", org=world.zhengzhou)
