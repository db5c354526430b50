"""Console pages of credentials: dashboard, certificates with status actions, batches (preview,
approval, progress), issuers and keys, templates, the verification log, and the holder's own page.
Thin over the services and selectors the API uses."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from edubase.core.errors import NotFound, ValidationFailed
from edubase.core.scope import has_anywhere, scope_for
from edubase.core.tabular import write_xlsx
from edubase.core.web import console_page as page
from edubase.core.web import domain_errors, int_param
from edubase.credentials import holders, issuance, issuers, lifecycle, pdf, selectors
from edubase.credentials.models import CertificateStatus, ItemState
from edubase.credentials.vc import certificate_file
from edubase.orgs.models import Org

VIEW, ISSUE, MANAGE = "credentials.view", "credentials.issue", "credentials.manage"


def _pdf_response(certificate: Any, request: HttpRequest) -> HttpResponse:
    """The certificate PDF; ``?offline=1`` adds the offline QR (a compact signed payload)."""
    offline = request.GET.get("offline") == "1"
    response = HttpResponse(pdf.certificate_pdf(certificate, offline=offline), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{certificate.serial}-v{certificate.version}.pdf"'
    return response


def _changes(request: HttpRequest) -> dict[str, str]:
    """Corrected field values of a reissue form (``change_<key>``; blank: unchanged)."""
    return {k[7:]: str(v).strip() for k, v in request.POST.items() if k.startswith("change_") and str(v).strip()}


@require_GET
@page(VIEW)
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = request.user
    found = selectors.certificates_for(actor)
    context = {
        "total": found.count(),
        "valid": found.filter(status=CertificateStatus.VALID).count(),
        "revoked": found.exclude(status=CertificateStatus.VALID).count(),
        "batches": selectors.batches_for(actor)[:5],
        "per_month": json.dumps(selectors.issued_per_month(actor), ensure_ascii=False),
        "verifications": selectors.verifications_for(actor).count(),
    }
    return render(request, "credentials/dashboard.html", context)


@require_GET
@page(VIEW)
def certificate_list(request: HttpRequest) -> HttpResponse:
    filters = {k: request.GET.get(k, "") for k in ("q", "status", "template", "batch")}
    rows = selectors.certificates_for(
        request.user,
        q=filters["q"].strip() or None,
        status=filters["status"] or None,
        template=filters["template"] or None,
        batch=int_param(filters["batch"]),
    )
    context = {
        "rows": rows[:500],
        "total": rows.count(),
        "filters": filters,
        "statuses": CertificateStatus.choices,
        "templates": selectors.templates().filter(version=1),
    }
    return render(request, "credentials/certificate_list.html", context)


@require_GET
@page(VIEW)
def certificate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = selectors.get_certificate(request.user, pk=pk)
    context = {
        "c": certificate,
        "url": pdf.verification_url(certificate.identifier, certificate.jws),
        "verifications": selectors.verifications_of(certificate)[:50],
        "may_manage": scope_for(request.user, MANAGE).covers(certificate.org_path),
        "actions": lifecycle.ACTION_LABELS,
    }
    return render(request, "credentials/certificate_detail.html", context)


@require_GET
@page(VIEW)
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _pdf_response(selectors.get_certificate(request.user, pk=pk), request)


@require_POST
@page(MANAGE)
def certificate_status(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = selectors.get_certificate(request.user, pk=pk, permission=MANAGE)
    action = request.POST.get("action", "")
    if action == "reissue":
        changes = _changes(request)
        made = lifecycle.reissue(
            actor=request.user, certificates=[certificate], reason=request.POST.get("reason", ""), changes=changes
        )
        messages.success(request, f"已换发新版本 {made[0].identifier}")
        return redirect("credentials:certificate_detail", pk=made[0].pk)
    lifecycle.change_status(
        actor=request.user, certificates=[certificate], action=action, reason=request.POST.get("reason", "")
    )
    messages.success(request, f"已{lifecycle.ACTION_LABELS.get(action, action)}，状态列表将在 60 秒内发布")
    return redirect("credentials:certificate_detail", pk=pk)


# --- batches ---------------------------------------------------------------------------------


@require_GET
@page(VIEW)
def batch_list(request: HttpRequest) -> HttpResponse:
    context = {"rows": selectors.batches_for(request.user)[:200], "may_issue": has_anywhere(request.user, ISSUE)}
    return render(request, "credentials/batch_list.html", context)


@require_http_methods(["GET", "POST"])
@page(ISSUE)
def batch_new(request: HttpRequest) -> HttpResponse:
    """A batch from a spreadsheet (upload) or from the people registry (a school's leavers of a year)."""
    issuer_rows = selectors.issuers_for(request.user, permission=ISSUE)
    context: dict[str, Any] = {"issuers": issuer_rows, "templates": selectors.templates().filter(active=True)}
    if request.method == "GET":
        return render(request, "credentials/batch_new.html", context)
    try:
        issuer = selectors.get_issuer(request.user, pk=int_param(request.POST.get("issuer")) or 0, permission=ISSUE)
        template = issuance.latest_template(request.POST.get("template", "graduation"))
        upload = request.FILES.get("file")
        if upload is not None:
            batch = issuance.preview_from_file(
                actor=request.user,
                issuer=issuer,
                template=template,
                data=upload.read(),
                filename=upload.name or "batch.xlsx",
                title=request.POST.get("title", ""),
            )
        else:
            year = int_param(request.POST.get("year"))
            if year is None:
                raise ValidationFailed("请上传文件，或填写毕业年份从人员库生成")
            shared = {f["key"]: request.POST.get(f"field_{f['key']}", "") for f in template.fields}
            batch = issuance.preview_from_registry(
                actor=request.user,
                issuer=issuer,
                template=template,
                year=year,
                fields=shared,
                title=request.POST.get("title", ""),
            )
    except ValidationFailed as error:
        from edubase.core.middleware import abort_writes

        context["error"] = error
        response = render(request, "credentials/batch_new.html", context, status=error.status)
        abort_writes()
        return response
    messages.success(request, f"已生成批次预览：{batch.total} 人，请核对后提交审批")
    return redirect("credentials:batch_detail", pk=batch.pk)


@require_GET
@page(VIEW)
def batch_template_xlsx(request: HttpRequest) -> HttpResponse:
    template = issuance.latest_template(request.GET.get("template") or "graduation")
    data = write_xlsx(issuance.xlsx_headers(template), [], sheet=template.name)
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{template.code}.xlsx"'
    return response


@require_GET
@page(VIEW)
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = selectors.get_batch(request.user, pk=pk)
    task = issuance.review_task(batch)
    from edubase.workflow.engine import is_candidate

    context = {
        "b": batch,
        "items": batch.items.select_related("holder", "certificate")[:300],
        "pending": batch.items.filter(state=ItemState.PENDING).count(),
        "percent": int(100 * batch.issued / batch.total) if batch.total else 0,
        "may_submit": batch.status == "draft" and scope_for(request.user, ISSUE).covers(batch.org_path),
        "may_decide": task is not None and is_candidate(request.user, task) and batch.created_by_id != request.user.pk,
        "may_manage": batch.status == "published" and scope_for(request.user, MANAGE).covers(batch.org_path),
        "fields": batch.template.fields,
    }
    if request.headers.get("HX-Request"):
        return render(request, "credentials/_batch_progress.html", context)
    return render(request, "credentials/batch_detail.html", context)


@require_POST
@page(ISSUE)
def batch_submit(request: HttpRequest, pk: int) -> HttpResponse:
    batch = selectors.get_batch(request.user, pk=pk, permission=ISSUE)
    issuance.submit_batch(actor=request.user, batch=batch)
    messages.success(request, "批次已提交审批")
    return redirect("credentials:batch_detail", pk=pk)


@require_POST
@page(ISSUE)
def batch_decide(request: HttpRequest, pk: int) -> HttpResponse:
    batch = selectors.get_batch(request.user, pk=pk, permission=ISSUE)
    issuance.decide_batch(
        actor=request.user,
        batch=batch,
        decision=request.POST.get("decision", ""),
        reason=request.POST.get("reason", ""),
    )
    messages.success(request, "审批意见已提交；批准的批次由后台签发，本页显示进度")
    return redirect("credentials:batch_detail", pk=pk)


@require_POST
@page(MANAGE)
def batch_bulk_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke, suspend or reissue every certificate of a batch (e.g. a template error across a cohort)."""
    batch = selectors.get_batch(request.user, pk=pk, permission=MANAGE)
    chosen = selectors.certificates_for(request.user, permission=MANAGE, batch=batch.pk).filter(
        status__in=[CertificateStatus.VALID, CertificateStatus.SUSPENDED]
    )
    action, reason = request.POST.get("action", ""), request.POST.get("reason", "")
    if action == "reissue":
        changes = _changes(request)
        made = lifecycle.reissue(actor=request.user, certificates=list(chosen), reason=reason, changes=changes)
        messages.success(request, f"已换发 {len(made)} 份证照")
    else:
        changed = lifecycle.change_status(actor=request.user, certificates=list(chosen), action=action, reason=reason)
        messages.success(request, f"已{lifecycle.ACTION_LABELS.get(action, action)} {len(changed)} 份证照")
    return redirect("credentials:batch_detail", pk=pk)


# --- issuers, templates, verification log ----------------------------------------------------


@require_GET
@page(VIEW)
def issuer_list(request: HttpRequest) -> HttpResponse:
    rows = [(i, list(selectors.keys_of(i))) for i in selectors.issuers_for(request.user)[:300]]
    manage = scope_for(request.user, MANAGE)
    orgs = (
        Org.objects.filter(
            manage.q("path"),
            credential_issuer__isnull=True,
            kind__in=["school", "unit", "province", "prefecture", "county", "bureau"],
        ).order_by("path")[:300]
        if not manage.empty
        else []
    )
    context = {"rows": rows, "may_manage": not manage.empty, "orgs": orgs}
    return render(request, "credentials/issuer_list.html", context)


@require_POST
@page(MANAGE)
def issuer_new(request: HttpRequest) -> HttpResponse:
    org = Org.objects.filter(scope_for(request.user, MANAGE).q("path"), pk=int_param(request.POST.get("org"))).first()
    if org is None:
        raise NotFound("机构不存在或不在您的管辖范围内")
    issuers.register_issuer(actor=request.user, org=org, uscc=request.POST.get("uscc", ""))
    messages.success(request, f"已登记发证机构：{org.name}")
    return redirect("credentials:issuer_list")


@require_POST
@page(MANAGE)
def issuer_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    issuer = selectors.get_issuer(request.user, pk=pk, permission=MANAGE)
    key = issuers.rotate_key(actor=request.user, issuer=issuer)
    messages.success(request, f"已轮换签发密钥：{key.kid}（旧密钥继续用于核验）")
    return redirect("credentials:issuer_list")


@require_GET
@page(VIEW)
def template_list(request: HttpRequest) -> HttpResponse:
    return render(request, "credentials/template_list.html", {"rows": selectors.templates()})


@require_GET
@page(VIEW)
def verification_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.verifications_for(request.user)[:500]
    return render(request, "credentials/verification_list.html", {"rows": rows})


# --- the holder's own page -------------------------------------------------------------------


@require_GET
@login_required
@domain_errors
def mine(request: HttpRequest) -> HttpResponse:
    context = {
        "rows": selectors.my_certificates(request.user),
        "notices": selectors.my_notices(request.user)[:50],
        "verifications": holders.verifications_of_mine(request.user)[:100],
        "has_person": selectors.person_id_of(request.user) is not None,
    }
    return render(request, "credentials/mine.html", context)


@require_GET
@login_required
@domain_errors
def mine_detail(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = holders.holder_certificate(request.user, pk=pk)
    context = {
        "c": certificate,
        "url": pdf.verification_url(certificate.identifier, certificate.jws),
        "verifications": selectors.verifications_of(certificate)[:100],
        "links": [(link, holders.share_url(link)) for link in selectors.share_links_of(certificate)],
    }
    return render(request, "credentials/mine_detail.html", context)


@require_GET
@login_required
@domain_errors
def mine_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _pdf_response(holders.holder_certificate(request.user, pk=pk), request)


@require_GET
@login_required
@domain_errors
def mine_json(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = holders.holder_certificate(request.user, pk=pk)
    response = JsonResponse(certificate_file(certificate.jws), json_dumps_params={"ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{certificate.serial}-v{certificate.version}.json"'
    return response


@require_POST
@login_required
@domain_errors
def mine_share(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = holders.holder_certificate(request.user, pk=pk)
    link = holders.create_share_link(
        actor=request.user, certificate=certificate, days=int_param(request.POST.get("days")) or 90
    )
    messages.success(request, f"分享链接已创建，有效期至 {link.expires_at:%Y-%m-%d}")
    return redirect("credentials:mine_detail", pk=pk)
