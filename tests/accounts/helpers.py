"""Small helpers shared by the accounts tests."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest
from django.test import RequestFactory

from edubase.accounts.models import User
from edubase.accounts.services import login


def login_request() -> HttpRequest:
    """A POST request to the login page with an (anonymous) session, as the middleware would give."""
    request = RequestFactory().post("/login/", REMOTE_ADDR="192.0.2.10")
    request.session = SessionStore()
    request.session.save()
    request.user = AnonymousUser()
    return request


def try_login(username: str, password: str) -> User:
    return login(request=login_request(), username=username, password=password)
