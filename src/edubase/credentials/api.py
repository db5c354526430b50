"""API routes of credentials (mounted at ``/credentials``): thin over the services and selectors."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from edubase.core.errors import NotFound
from edubase.core.middleware import client_ip
from edubase.core.pagination import CursorPagination
from edubase.credentials import holders, issuance, issuers, lifecycle, pdf, selectors, verification
from edubase.credentials.models import Certificate
from edubase.credentials.schemas import (
    BatchOut,
    BulkStatusIn,
    CertificateDetailOut,
    CertificateOut,
    DecideIn,
    IssuerIn,
    IssuerKeyOut,
    IssuerOut,
    RegistryBatchIn,
    ReissueIn,
    ShareIn,
    ShareOut,
    StatusIn,
    TemplateOut,
    VerificationOut,
    VerifyIn,
)
from edubase.credentials.vc import certificate_file
from edubase.orgs.models import Org

router = Router()
MANAGE = "credentials.manage"
ISSUE = "credentials.issue"


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


@router.get("/templates", response=list[TemplateOut], summary="证照模板 / certificate templates")
def templates(request: HttpRequest) -> Any:
    return list(selectors.templates())


@router.get("/issuers", response=list[IssuerOut], summary="发证机构 / issuers in scope")
def issuer_list(request: HttpRequest) -> Any:
    return list(selectors.issuers_for(_actor(request)))


@router.post("/issuers", response={201: IssuerOut}, summary="登记发证机构 / register an issuer")
def issuer_register(request: HttpRequest, payload: IssuerIn) -> Any:
    from edubase.core.scope import scope_for

    org = Org.objects.filter(scope_for(_actor(request), MANAGE).q("path"), pk=payload.org_id).first()
    if org is None:
        raise NotFound("机构不存在或不在您的管辖范围内")
    return Status(201, issuers.register_issuer(actor=_actor(request), org=org, uscc=payload.uscc))


@router.get("/issuers/{issuer_id}/keys", response=list[IssuerKeyOut], summary="签发密钥 / issuer keys")
def issuer_keys(request: HttpRequest, issuer_id: int) -> Any:
    return list(selectors.keys_of(selectors.get_issuer(_actor(request), pk=issuer_id)))


@router.post("/issuers/{issuer_id}/rotate", response=IssuerKeyOut, summary="轮换签发密钥 / rotate the key")
def issuer_rotate(request: HttpRequest, issuer_id: int) -> Any:
    issuer = selectors.get_issuer(_actor(request), pk=issuer_id, permission=MANAGE)
    return issuers.rotate_key(actor=_actor(request), issuer=issuer)


@router.get("/certificates", response=list[CertificateOut], summary="电子证照 / certificates in scope")
@paginate(CursorPagination)
def certificate_list(
    request: HttpRequest, q: str | None = None, status: str | None = None, template: str | None = None
) -> Any:
    return selectors.certificates_for(_actor(request), q=q, status=status, template=template)


@router.get("/certificates/{certificate_id}", response=CertificateDetailOut, summary="证照详情 / one certificate")
def certificate_detail(request: HttpRequest, certificate_id: int) -> Certificate:
    return selectors.get_certificate(_actor(request), pk=certificate_id)


@router.post("/certificates/{certificate_id}/status", response=CertificateOut, summary="撤销/暂扣/恢复/注销")
def certificate_status(request: HttpRequest, certificate_id: int, payload: StatusIn) -> Any:
    certificate = selectors.get_certificate(_actor(request), pk=certificate_id, permission=MANAGE)
    return lifecycle.change_status(
        actor=_actor(request), certificates=[certificate], action=payload.action, reason=payload.reason
    )[0]


@router.post("/bulk/status", response=dict[str, int], summary="批量撤销/暂扣/恢复 / bulk status")
def certificate_bulk_status(request: HttpRequest, payload: BulkStatusIn) -> Any:
    """Certificates by id and/or a whole batch (e.g. a cohort signed with a template error)."""
    found = selectors.certificates_for(_actor(request), permission=MANAGE)
    chosen = list(found.filter(pk__in=payload.ids)) if payload.ids else []
    if payload.batch_id:
        chosen += list(found.filter(batch_id=payload.batch_id))
    if not chosen:
        raise NotFound("没有找到可操作的证照")
    changed = lifecycle.change_status(
        actor=_actor(request), certificates=chosen, action=payload.action, reason=payload.reason
    )
    return {"changed": len(changed)}


@router.post("/certificates/{certificate_id}/reissue", response={201: CertificateOut}, summary="换发 / reissue")
def certificate_reissue(request: HttpRequest, certificate_id: int, payload: ReissueIn) -> Any:
    certificate = selectors.get_certificate(_actor(request), pk=certificate_id, permission=MANAGE)
    made = lifecycle.reissue(
        actor=_actor(request), certificates=[certificate], reason=payload.reason, changes=payload.changes
    )
    return Status(201, made[0])


@router.get("/batches", response=list[BatchOut], summary="签发批次 / issuance batches")
def batch_list(request: HttpRequest) -> Any:
    return list(selectors.batches_for(_actor(request))[:500])


@router.get("/batches/{batch_id}", response=BatchOut, summary="批次详情 / one batch")
def batch_detail(request: HttpRequest, batch_id: int) -> Any:
    return selectors.get_batch(_actor(request), pk=batch_id)


@router.post(
    "/issuers/{issuer_id}/batches/registry",
    response={201: BatchOut},
    summary="从人员库生成批次 / batch from the registry",
)
def batch_from_registry(request: HttpRequest, issuer_id: int, payload: RegistryBatchIn) -> Any:
    issuer = selectors.get_issuer(_actor(request), pk=issuer_id, permission=ISSUE)
    batch = issuance.preview_from_registry(
        actor=_actor(request),
        issuer=issuer,
        template=issuance.latest_template(payload.template),
        year=payload.year,
        fields=payload.fields,
        title=payload.title,
    )
    return Status(201, batch)


@router.post(
    "/issuers/{issuer_id}/batches/upload",
    response={201: BatchOut},
    summary="从 XLSX 生成批次 / batch from a spreadsheet",
)
def batch_from_file(
    request: HttpRequest, issuer_id: int, file: File[UploadedFile], template: Form[str] = "graduation"
) -> Any:
    issuer = selectors.get_issuer(_actor(request), pk=issuer_id, permission=ISSUE)
    batch = issuance.preview_from_file(
        actor=_actor(request),
        issuer=issuer,
        template=issuance.latest_template(template),
        data=file.read(),
        filename=file.name or "batch.xlsx",
    )
    return Status(201, batch)


@router.post("/batches/{batch_id}/submit", response=BatchOut, summary="提交审批 / submit for approval")
def batch_submit(request: HttpRequest, batch_id: int) -> Any:
    batch = selectors.get_batch(_actor(request), pk=batch_id, permission=ISSUE)
    return issuance.submit_batch(actor=_actor(request), batch=batch)


@router.post("/batches/{batch_id}/decide", response=BatchOut, summary="审批批次 / approve or reject")
def batch_decide(request: HttpRequest, batch_id: int, payload: DecideIn) -> Any:
    batch = selectors.get_batch(_actor(request), pk=batch_id, permission=ISSUE)
    return issuance.decide_batch(actor=_actor(request), batch=batch, decision=payload.decision, reason=payload.reason)


@router.get("/verifications", response=list[VerificationOut], summary="核验记录 / verification log")
def verification_list(request: HttpRequest) -> Any:
    return list(selectors.verifications_for(_actor(request))[:500])


@router.post("/verify", auth=None, summary="核验电子证照 / verify a certificate (no sign-in)")
def verify(request: HttpRequest, payload: VerifyIn) -> Any:
    """An identifier, a QR URL, a compact JWS, a certificate file (JSON) or an offline code."""
    report = verification.verify_input(payload.data, channel="api", actor=request.user, ip=client_ip(request))
    return report.to_dict()


@router.post("/verify/upload", auth=None, summary="上传文件核验 / verify an uploaded file (PDF, JSON)")
def verify_upload(request: HttpRequest, file: File[UploadedFile]) -> Any:
    if file.size and file.size > verification.MAX_INPUT:
        report = verification.run_checks(b"x" * (verification.MAX_INPUT + 1))
    else:
        report = verification.verify_input(file.read(), channel="upload", actor=request.user, ip=client_ip(request))
    return report.to_dict()


# --- the holder's own ------------------------------------------------------------------------


@router.get("/mine", response=list[CertificateDetailOut], summary="我的证照 / my certificates")
def mine(request: HttpRequest) -> Any:
    return list(selectors.my_certificates(_actor(request)))


@router.get("/mine/{certificate_id}/file", summary="下载证照文件（JSON） / download my certificate")
def mine_file(request: HttpRequest, certificate_id: int) -> HttpResponse:
    certificate = holders.holder_certificate(_actor(request), pk=certificate_id)
    response = JsonResponse(certificate_file(certificate.jws), json_dumps_params={"ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{certificate.serial}-v{certificate.version}.json"'
    return response


@router.get("/mine/{certificate_id}/pdf", summary="下载证照 PDF / download my certificate as PDF")
def mine_pdf(request: HttpRequest, certificate_id: int, offline: bool = False) -> HttpResponse:
    """``offline=true`` adds the offline QR code (verifiable without network)."""
    certificate = holders.holder_certificate(_actor(request), pk=certificate_id)
    response = HttpResponse(pdf.certificate_pdf(certificate, offline=offline), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{certificate.serial}-v{certificate.version}.pdf"'
    return response


@router.post("/mine/share", response={201: ShareOut}, summary="创建分享链接 / share my certificate")
def mine_share(request: HttpRequest, payload: ShareIn) -> Any:
    certificate = holders.holder_certificate(_actor(request), pk=payload.certificate_id)
    link = holders.create_share_link(actor=_actor(request), certificate=certificate, days=payload.days)
    return Status(201, {"token": link.token, "url": holders.share_url(link), "expires_at": link.expires_at})


@router.get("/mine/verifications", response=list[VerificationOut], summary="谁核验了我的证照 / who verified mine")
def mine_verifications(request: HttpRequest) -> Any:
    return list(holders.verifications_of_mine(_actor(request))[:500])
