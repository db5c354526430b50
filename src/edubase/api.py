"""The JSON API at /api/v1/ (OpenAPI docs at /api/v1/docs)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema

import edubase
from edubase.core.errors import DomainError
from edubase.core.health import current_health

api = NinjaAPI(
    title="edubase API",
    version="1",
    description="河南省教育信息化与网络安全平台 API / edubase platform API",
    urls_namespace="api-v1",
)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


class HealthOut(Schema):
    version: str
    database_vendor: str
    database_ok: bool
    crypto_provider: str
    crypto_native: bool
    crypto_note: str
    ok: bool


@api.get("/health", response=HealthOut, tags=["core"], summary="实例健康状态 / instance health")
def health(request: HttpRequest) -> dict[str, object]:
    """Version, database reachability and the active crypto provider."""
    return current_health().as_dict()


@api.get("/version", tags=["core"], summary="版本 / version")
def version(request: HttpRequest) -> dict[str, str]:
    """The running edubase version."""
    return {"version": edubase.__version__}
