"""Console test helpers: a client signed in as a persona."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from edubase.accounts.models import User


@pytest.fixture
def signed_in(client: Client) -> Callable[[User], Client]:
    """``signed_in(user)`` gives the test client with that user's session."""

    def sign_in(user: User) -> Client:
        client.force_login(user)
        return client

    return sign_in


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()
