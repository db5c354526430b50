"""Console pages of the core app (until the console app exists: the health page)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from edubase.core.health import current_health


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Landing page: health of this instance and where to go next."""
    health = current_health()
    return render(request, "core/home.html", {"health": health}, status=200 if health.ok else 503)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Machine-readable liveness/readiness for load balancers."""
    health = current_health()
    return JsonResponse(health.as_dict(), status=200 if health.ok else 503)
