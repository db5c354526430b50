"""The JSON API at /api/v1/ (OpenAPI docs at /api/v1/docs).

Authentication: a personal token (``Authorization: Bearer eb_…``) or the console session
(with CSRF). Every domain router is mounted here; errors use one envelope
``{"error": {"code", "message", "details"}}``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer

import edubase
from edubase.accounts.tokens import authenticate_token
from edubase.core.errors import DomainError
from edubase.core.health import current_health
from edubase.core.middleware import abort_writes


class TokenAuth(HttpBearer):
    """Bearer personal API token."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate_token(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The console's session cookie (CSRF enforced on unsafe methods)."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else None


api = NinjaAPI(
    title="edubase API",
    version="1",
    description="河南省教育信息化与网络安全平台 API / edubase platform API",
    urls_namespace="api-v1",
    auth=[TokenAuth(), SessionAuth()],
)


def _envelope(request: HttpRequest, code: str, message: str, status: int, details: Any = None) -> HttpResponse:
    return api.create_response(
        request, {"error": {"code": code, "message": message, "details": details}}, status=status
    )


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    abort_writes()  # answered, not raised: the request's earlier writes must not commit
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _envelope(request, "unauthenticated", "未登录或令牌无效", 401)


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return _envelope(request, "validation_failed", "请求参数校验未通过", 422, exc.errors)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _envelope(request, "http_error", str(exc), exc.status_code)


class HealthOut(Schema):
    version: str
    database_vendor: str
    database_ok: bool
    crypto_provider: str
    crypto_native: bool
    crypto_note: str
    ok: bool


@api.get("/health", response=HealthOut, tags=["core"], auth=None, summary="实例健康状态 / instance health")
def health(request: HttpRequest) -> dict[str, object]:
    """Version, database reachability and the active crypto provider."""
    return current_health().as_dict()


@api.get("/version", tags=["core"], auth=None, summary="版本 / version")
def version(request: HttpRequest) -> dict[str, str]:
    """The running edubase version."""
    return {"version": edubase.__version__}


def _mount() -> None:
    from edubase.accounts.api import router as accounts_router
    from edubase.core.api import router as audit_router
    from edubase.credentials.api import router as credentials_router
    from edubase.datagov.api import router as datagov_router
    from edubase.datagov.pool.api import router as pool_router
    from edubase.datagov.sharing.api import router as sharing_router
    from edubase.orgs.api import router as orgs_router
    from edubase.people.api import router as people_router
    from edubase.secops.api_findings import router as secops_findings_router
    from edubase.secops.api_incidents import router as secops_incidents_router
    from edubase.secops.api_logs import router as secops_logs_router
    from edubase.secops.api_notices import router as secops_notices_router
    from edubase.secops.api_registry import router as secops_registry_router
    from edubase.secops.api_sources import router as secops_sources_router
    from edubase.services.api import router as services_router
    from edubase.workflow.api import router as workflow_router
    from edubase.workflow.api_connectors import router as connectors_router

    api.add_router("/orgs", orgs_router, tags=["orgs"])
    api.add_router("/people", people_router, tags=["people"])
    api.add_router("/accounts", accounts_router, tags=["accounts"])
    api.add_router("/audit", audit_router, tags=["audit"])
    api.add_router("/workflow", workflow_router, tags=["workflow"])
    api.add_router("/services", services_router, tags=["services"])
    api.add_router("/workflow/connectors", connectors_router, tags=["workflow"])
    api.add_router("/secops", secops_registry_router, tags=["secops"])
    api.add_router("/secops/findings", secops_findings_router, tags=["secops"])
    api.add_router("/secops/notices", secops_notices_router, tags=["secops"])
    api.add_router("/secops/incidents", secops_incidents_router, tags=["secops"])
    api.add_router("/secops/logs", secops_logs_router, tags=["secops"])
    api.add_router("/secops/sources", secops_sources_router, tags=["secops"])
    api.add_router("/datagov/pool", pool_router, tags=["datagov"])
    api.add_router("/datagov/sharing", sharing_router, tags=["datagov"])
    api.add_router("/datagov", datagov_router, tags=["datagov"])
    api.add_router("/credentials", credentials_router, tags=["credentials"])


_mount()
