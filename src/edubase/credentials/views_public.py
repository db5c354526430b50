"""Public verification pages (no sign-in): the QR landing page, the upload form, share links, the
issuer key registry (JSON) and the signed status lists (static files with cache headers)."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from edubase.core.errors import NotFound
from edubase.core.middleware import client_ip
from edubase.core.web import domain_errors
from edubase.credentials import holders, issuers, status_publish, verification
from edubase.credentials.models import Certificate
from edubase.credentials.verify import Report


def _report_page(
    request: HttpRequest, report: Report, *, certificate: Certificate | None = None, status: int = 200, **extra: object
) -> HttpResponse:
    if certificate is None and report.identifier:
        certificate = Certificate.objects.filter(identifier=report.identifier).select_related("successor").first()
    context = {"report": report, "data": report.to_dict(), "certificate": certificate, **extra}
    response = render(request, "credentials/public_report.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@domain_errors
def home(request: HttpRequest) -> HttpResponse:
    """The upload form: a PDF/JSON file, or a pasted identifier, link, JWS or offline code."""
    if request.method == "GET":
        return render(request, "credentials/public_verify.html", {})
    upload = request.FILES.get("file")
    if upload is not None:
        data: bytes | str = upload.read(verification.MAX_INPUT + 1)
    else:
        data = request.POST.get("text", "").strip()
    if not data:
        return render(
            request, "credentials/public_verify.html", {"error": "请上传文件或粘贴证照标识、核验链接"}, status=422
        )
    report = verification.verify_input(data, channel="upload", actor=request.user, ip=client_ip(request))
    return _report_page(request, report)


@require_GET
@domain_errors
def certificate(request: HttpRequest, identifier: str) -> HttpResponse:
    """The QR landing page ``/v/<identifier>?d=<digest16>``."""
    digest = request.GET.get("d")
    report = verification.verify_stored(identifier, digest=digest)
    verification.record(report, channel="qr", actor=request.user, ip=client_ip(request))
    return _report_page(request, report)


@require_GET
@domain_errors
def share(request: HttpRequest, token: str) -> HttpResponse:
    link = holders.open_share_link(token)
    report = verification.verify_stored(link.certificate.identifier, allow_bare=True)
    verification.record(report, channel="share", actor=request.user, ip=client_ip(request), share_link=link)
    return _report_page(request, report, certificate=link.certificate, share_link=link)


@require_GET
@domain_errors
def issuer_registry(request: HttpRequest, uscc: str) -> HttpResponse:
    response = JsonResponse(issuers.key_registry(uscc), json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
@domain_errors
def status_list(request: HttpRequest, list_id: UUID) -> HttpResponse:
    """The published signed list (the static file; a few KB, gzip-compressed bits inside)."""
    signed = status_publish.signed_list(list_id)
    if signed is None:
        raise NotFound("状态列表不存在或尚未发布")
    response = HttpResponse(signed, content_type="application/vc+jwt")
    response["Cache-Control"] = f"public, max-age={status_publish.CACHE_SECONDS}"
    response["Access-Control-Allow-Origin"] = "*"
    return response
