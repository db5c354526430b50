"""Per-request context (request id, client IP) for audit records written deep in services."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    """Where a write came from."""

    request_id: str = ""
    ip: str = ""
    channel: str = "system"  # web, api, cli, task, system


_DEFAULT = RequestContext()
_current: ContextVar[RequestContext] = ContextVar("edubase_request_context", default=_DEFAULT)


def current() -> RequestContext:
    """The context of the running request, command or task."""
    return _current.get()


def set_current(ctx: RequestContext) -> object:
    """Install ``ctx``; returns a token for ``reset``."""
    return _current.set(ctx)


def reset(token: object) -> None:
    """Restore the previous context."""
    _current.reset(token)  # type: ignore[arg-type]
