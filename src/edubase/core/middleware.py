"""Request id and client IP: every request gets an id (or keeps the proxy's), echoed in the
response and recorded in audit events."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from edubase.core import context

_VALID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_ip(request: HttpRequest) -> str:
    """The peer address (gunicorn's forwarded-allow-ips decides whether proxies are trusted)."""
    return str(request.META.get("REMOTE_ADDR", ""))


class RequestIdMiddleware:
    """Attach ``request.request_id`` (from ``X-Request-ID`` if well-formed) and the audit context."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        channel = "api" if request.path.startswith("/api/") else "web"
        token = context.set_current(context.RequestContext(request_id, client_ip(request), channel))
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response


_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: whether the running request opened its own transaction (AtomicWritesMiddleware)
_request_atomic: ContextVar[bool] = ContextVar("edubase_request_atomic", default=False)


class AtomicWritesMiddleware:
    """One request that may write = one transaction; reads run without one.

    Replaces ``ATOMIC_REQUESTS``: reads then never hold a transaction (on SQLite an
    ``IMMEDIATE`` transaction per GET would serialise every page view behind one write
    lock), while every unsafe request is all-or-nothing. A handler that answers an error
    instead of raising calls ``transaction.set_rollback(True)``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in _UNSAFE:
            with transaction.atomic():
                token = _request_atomic.set(True)
                try:
                    return self.get_response(request)
                finally:
                    _request_atomic.reset(token)
        return self.get_response(request)


class IdleTimeoutMiddleware:
    """Slide the session's expiry on activity, writing the session at most once a minute.

    With ``SESSION_COOKIE_AGE`` as the idle limit, a user idle that long is signed out;
    an active user's session is saved once a minute rather than on every request.
    """

    TOUCH_EVERY = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and user is not None and user.is_authenticated:
            now = int(timezone.now().timestamp())
            last = session.get("_edubase_seen", 0)
            if now - int(last) >= self.TOUCH_EVERY:
                session["_edubase_seen"] = now  # marks the session modified: saved with a fresh expiry
        return self.get_response(request)


def abort_writes() -> None:
    """Roll back the request's transaction when an error is answered rather than raised."""
    if _request_atomic.get():
        transaction.set_rollback(True)


def session_idle_seconds() -> int:
    """The idle limit in force (``SESSION_COOKIE_AGE``)."""
    return int(settings.SESSION_COOKIE_AGE)
