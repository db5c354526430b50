"""Request id and client IP: every request gets an id (or keeps the proxy's), echoed in the
response and recorded in audit events."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

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
