"""Console page plumbing shared by every app's pages: Chinese error pages and query parameters."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from edubase.core.errors import DomainError, PermissionDenied
from edubase.core.middleware import abort_writes
from edubase.core.scope import has_anywhere

View = Callable[..., HttpResponse]


def error_page(request: HttpRequest, error: DomainError) -> HttpResponse:
    """The console's Chinese error page for ``error``; the request's writes are undone."""
    response = render(request, "console/error.html", {"failure": error}, status=error.status)
    abort_writes()  # after rendering: the page reads the database too
    return response


def domain_errors(view: View) -> View:
    """A ``DomainError`` raised by the view becomes the error page (no sign-in required)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as error:
            return error_page(request, error)

    return wrapper


def console_page(permission: str) -> Callable[[View], View]:
    """Sign-in required, ``permission`` held somewhere (scope is the selectors' job), errors as pages."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_anywhere(request.user, permission):
                return error_page(request, PermissionDenied())
            return view(request, *args, **kwargs)

        return login_required(domain_errors(wrapper))

    return decorate


def int_param(value: str | None) -> int | None:
    """A query parameter as an int; blank or malformed → None (a filter that is simply not applied)."""
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def flag_param(value: str | None) -> bool | None:
    """``1``/``true`` → True, ``0``/``false`` → False, anything else → None (no filter)."""
    return {"1": True, "true": True, "0": False, "false": False}.get((value or "").lower())
