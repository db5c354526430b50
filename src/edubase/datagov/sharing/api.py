"""JSON API of data sharing and the life cycle (mounted at ``/api/v1/datagov/sharing``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.security import HttpBearer

from edubase.core.errors import NotFound, PermissionDenied
from edubase.core.scope import has_anywhere, scope_for
from edubase.datagov import selectors as catalogue
from edubase.datagov.sharing import lifecycle, selectors, services
from edubase.datagov.sharing.models import DeletionCertificate, RetentionRule, ShareGrant, ShareRequest
from edubase.datagov.sharing.schemas import (
    CertificateOut,
    DecisionOut,
    EvaluateIn,
    FeedOut,
    GrantOut,
    HandleIn,
    PolicyIn,
    PolicyOut,
    ReadIn,
    ReadOut,
    ReasonIn,
    RequestIn,
    RequestOut,
    RetentionIn,
    RetentionOut,
    TokenOut,
    TraceOut,
)
from edubase.orgs.models import Org

router = Router()

VIEW = services.VIEW
MAX_UPLOAD = 50 * 1024 * 1024


class ShareTokenAuth(HttpBearer):
    """A share token (``dgs_…``): reads its one grant's rows, nothing else."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = services.authenticate_share_token(token)
        if found is not None:
            request.share_token = found  # type: ignore[attr-defined]
        return found


def _viewer(request: HttpRequest) -> None:
    if not has_anywhere(request.user, VIEW):
        raise PermissionDenied()


def _org(actor: Any, org_id: int | None, permission: str = services.CHANGE) -> Org:
    org = Org.objects.filter(pk=org_id).first() if org_id is not None else None
    if org is None or not scope_for(actor, permission).covers(org.path):
        raise NotFound("机构不存在或不在您的管辖范围内")
    return org


def _requestable(actor: Any, dataset_id: int) -> Any:
    try:
        return catalogue.get_published(actor, dataset_id)
    except NotFound:
        return catalogue.get_dataset(actor, dataset_id)


def _grant_out(grant: ShareGrant) -> dict[str, Any]:
    return {
        "id": grant.pk,
        "request_id": grant.request_id,
        "dataset_id": grant.dataset_id,
        "org_id": grant.org_id,
        "recipient_id": grant.recipient_id,
        "recipient_org_id": grant.recipient_org_id,
        "effects": grant.effects,
        "row_scope": grant.row_scope,
        "valid_from": grant.valid_from,
        "expires_at": grant.expires_at,
        "revoked_at": grant.revoked_at,
        "state": grant.state,
        "reads": grant.reads,
    }


@router.get("/policy", response=PolicyOut, summary="当前访问策略 / access policy in force")
def get_policy(request: HttpRequest) -> dict[str, Any]:
    _viewer(request)
    version, rules = services.active_policy()
    return {"version": version, "rules": rules}


@router.put("/policy", response=PolicyOut, summary="发布访问策略新版本 / publish a policy version")
def put_policy(request: HttpRequest, body: PolicyIn) -> dict[str, Any]:
    row = services.publish_policy(actor=request.user, rules=body.rules, note=body.note)
    return {"version": row.version, "rules": row.rules}


@router.post("/evaluate", response=list[DecisionOut], summary="预判字段的访问策略结论 / evaluate the policy")
def evaluate(request: HttpRequest, body: EvaluateIn) -> list[Any]:
    org = _org(request.user, body.requester_org_id)
    dataset = _requestable(request.user, body.dataset_id)
    result = services.evaluate(
        user=request.user, requester_org=org, dataset=dataset, fields=body.fields, purpose=body.purpose
    )
    return list(result.decisions)


@router.post("/read", response=ReadOut, summary="按策略读取（行按本人管辖范围筛选） / policy-checked scoped read")
def scoped_read(request: HttpRequest, body: ReadIn) -> dict[str, Any]:
    dataset = _readable_dataset(request.user, body.dataset_id)
    headers, rows, verdicts, rows_filter = services.scoped_read(
        actor=request.user, dataset=dataset, fields=body.fields, purpose=body.purpose, limit=body.limit
    )
    return {"fields": headers, "rows": rows, "decisions": list(verdicts.decisions), "row_filter": rows_filter.reason}


def _readable_dataset(actor: Any, dataset_id: int) -> Any:
    """A dataset in scope, or one owned above the actor (its rows are then cut to the actor's scope)."""
    from edubase.datagov.models import Dataset

    found = Dataset.objects.filter(pk=dataset_id).select_related("org", "source").first()
    if found is None or not has_anywhere(actor, VIEW):
        raise NotFound()
    return found


@router.get("/requests", response=list[RequestOut], summary="共享申请（本人及管辖范围） / share requests")
def list_requests(request: HttpRequest, status: str | None = None) -> Any:
    rows = selectors.requests_for(request.user)
    return (rows.filter(status=status) if status else rows)[:500]


@router.post("/requests", response={201: RequestOut}, summary="提交共享申请 / submit a share request")
def create_request(request: HttpRequest, body: RequestIn) -> Status:
    org = _org(request.user, body.requester_org_id)
    dataset = _requestable(request.user, body.dataset_id)
    row_org = Org.objects.filter(pk=body.row_org_id).first() if body.row_org_id is not None else None
    if body.row_org_id is not None and row_org is None:
        raise NotFound("数据范围机构不存在")
    created = services.submit_request(
        actor=request.user,
        dataset=dataset,
        requester_org=org,
        fields=body.fields,
        purpose=body.purpose,
        purpose_detail=body.purpose_detail,
        period_start=body.period_start,
        period_end=body.period_end,
        delivery=body.delivery,
        row_org=row_org,
    )
    return Status(201, created)


@router.get("/requests/{request_id}", response=RequestOut, summary="共享申请详情 / one share request")
def get_request(request: HttpRequest, request_id: int) -> ShareRequest:
    return selectors.get_request(request.user, request_id)


@router.post("/requests/{request_id}/handle", response=RequestOut, summary="审批当前步骤 / decide the current step")
def handle_request(request: HttpRequest, request_id: int, body: HandleIn) -> ShareRequest:
    found = selectors.get_request(request.user, request_id)
    return services.handle(actor=request.user, request=found, decision=body.decision, reason=body.reason)


@router.post("/requests/{request_id}/withdraw", response=RequestOut, summary="撤回共享申请 / withdraw")
def withdraw_request(request: HttpRequest, request_id: int, body: ReasonIn) -> ShareRequest:
    found = selectors.get_request(request.user, request_id)
    return services.withdraw(actor=request.user, request=found, reason=body.reason)


@router.get("/grants", response=list[GrantOut], summary="共享授权（本人及管辖范围） / share grants")
def list_grants(request: HttpRequest) -> list[dict[str, Any]]:
    return [_grant_out(g) for g in selectors.grants_for(request.user)[:500]]


@router.get("/grants/{grant_id}", response=GrantOut, summary="共享授权详情 / one grant")
def get_grant(request: HttpRequest, grant_id: int) -> dict[str, Any]:
    return _grant_out(selectors.get_grant(request.user, grant_id))


@router.post("/grants/{grant_id}/revoke", response=GrantOut, summary="撤销共享授权 / revoke a grant")
def revoke_grant(request: HttpRequest, grant_id: int, body: ReasonIn) -> dict[str, Any]:
    grant = selectors.get_grant(request.user, grant_id)
    return _grant_out(services.revoke_grant(actor=request.user, grant=grant, reason=body.reason))


@router.post("/grants/{grant_id}/tokens", response={201: TokenOut}, summary="签发共享接口令牌 / issue a share token")
def issue_token(request: HttpRequest, grant_id: int) -> Status:
    grant = selectors.get_grant(request.user, grant_id)
    token, raw = services.issue_token(actor=request.user, grant=grant)
    return Status(201, {"prefix": token.prefix, "token": raw})


@router.get("/grants/{grant_id}/extract", summary="下载脱敏数据文件（含水印） / download the masked extract")
def download_extract(request: HttpRequest, grant_id: int, format: str = "xlsx") -> HttpResponse:
    grant = selectors.get_grant(request.user, grant_id)
    filename, data, _extract = services.build_extract(actor=request.user, grant=grant, fmt=format)
    return _attachment(data, filename, format)


def _attachment(data: bytes, filename: str, fmt: str) -> HttpResponse:
    from urllib.parse import quote

    kinds = {
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "csv": "text/csv; charset=utf-8",
        "pdf": "application/pdf",
    }
    response = HttpResponse(data, content_type=kinds[fmt])
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


class FeedQuery(Schema):
    limit: int = 100
    offset: int = 0


@router.get(
    "/feed",
    response=FeedOut,
    auth=ShareTokenAuth(),
    summary="用共享接口令牌读取脱敏数据 / read shared rows with a share token",
)
def feed(request: HttpRequest, query: Query[FeedQuery]) -> dict[str, Any]:
    """Answers share tokens only: a personal token or a console session is not one (401)."""
    token = request.share_token  # type: ignore[attr-defined]
    headers, rows = services.read_feed(token=token, limit=query.limit, offset=query.offset)
    return {"grant_id": token.grant_id, "fields": headers, "rows": rows, "offset": query.offset}


@router.post("/trace", response=TraceOut, summary="泄露溯源：上传疑似泄露文件 / trace a leaked file")
def trace(request: HttpRequest, file: File[UploadedFile]) -> dict[str, Any]:
    if (file.size or 0) > MAX_UPLOAD:
        from edubase.core.errors import ValidationFailed

        raise ValidationFailed("文件超过 50 MB")
    row = services.trace_leak(actor=request.user, filename=file.name or "upload", data=file.read())
    return {
        "id": row.pk,
        "grant_id": row.grant_id,
        "method": row.method,
        "matched_rows": row.matched_rows,
        "checked_rows": row.checked_rows,
    }


@router.get("/retention", response=list[RetentionOut], summary="保存期限规则 / retention rules")
def list_retention(request: HttpRequest) -> Any:
    return selectors.retention_for(request.user)[:500]


@router.post("/retention", response={201: RetentionOut}, summary="设置保存期限 / set a retention rule")
def set_retention(request: HttpRequest, body: RetentionIn) -> Status:
    dataset = catalogue.get_dataset(request.user, body.dataset_id)
    rule = lifecycle.set_retention(
        actor=request.user,
        dataset=dataset,
        retain_days=body.retain_days,
        on_expiry=body.on_expiry,
        basis=body.basis,
        starts_on=body.starts_on,
    )
    return Status(201, rule)


@router.post("/retention/{rule_id}/hold", response=RetentionOut, summary="法律保全 / place a legal hold")
def hold(request: HttpRequest, rule_id: int, body: ReasonIn) -> RetentionRule:
    rule = selectors.get_retention(request.user, rule_id)
    return lifecycle.place_hold(actor=request.user, rule=rule, reason=body.reason)


@router.post("/retention/{rule_id}/release", response=RetentionOut, summary="解除法律保全 / release a hold")
def release(request: HttpRequest, rule_id: int, body: ReasonIn) -> RetentionRule:
    rule = selectors.get_retention(request.user, rule_id)
    return lifecycle.release_hold(actor=request.user, rule=rule, reason=body.reason)


@router.post("/retention/{rule_id}/archive", response=RetentionOut, summary="归档 / archive")
def archive(request: HttpRequest, rule_id: int) -> RetentionRule:
    rule = selectors.get_retention(request.user, rule_id)
    return lifecycle.archive(actor=request.user, rule=rule)


@router.post(
    "/retention/{rule_id}/delete",
    response={201: CertificateOut},
    summary="删除并出具删除证明 / delete with certificate",
)
def delete(request: HttpRequest, rule_id: int, body: ReasonIn) -> Status:
    rule = selectors.get_retention(request.user, rule_id)
    certificate = lifecycle.delete(actor=request.user, rule=rule, reason=body.reason)
    return Status(201, _certificate_out(certificate))


def _certificate_out(certificate: DeletionCertificate) -> dict[str, Any]:
    return {
        "id": certificate.pk,
        "number": certificate.number,
        "dataset_name": certificate.dataset_name,
        "payload": certificate.payload,
        "signature": certificate.signature,
        "signer_node": certificate.signer_node,
        "key_version": certificate.key_version,
        "key_fingerprint": certificate.key_fingerprint,
        "issued_at": certificate.issued_at,
        "valid": lifecycle.verify_certificate(certificate),
    }


@router.get("/certificates/{certificate_id}", response=CertificateOut, summary="删除证明（含签名与验签结果）")
def get_certificate(request: HttpRequest, certificate_id: int) -> dict[str, Any]:
    return _certificate_out(selectors.get_certificate(request.user, certificate_id))


@router.get("/certificates/{certificate_id}/pdf", summary="删除证明 PDF / certificate as PDF")
def certificate_pdf(request: HttpRequest, certificate_id: int) -> HttpResponse:
    certificate = selectors.get_certificate(request.user, certificate_id)
    return _attachment(lifecycle.certificate_pdf(certificate), f"{certificate.number}.pdf", "pdf")
