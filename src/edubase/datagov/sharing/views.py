"""Console pages of data sharing and the life cycle; thin over ``services``, ``lifecycle`` and ``selectors``.

Approvals happen in the workflow inbox (待办): a request's page links its case; this module
shows requests, grants (download, token, revoke), leak tracing, the policy and the life cycle.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from edubase.core.errors import DomainError, NotFound, ValidationFailed
from edubase.core.middleware import abort_writes
from edubase.core.scope import has_anywhere, scope_for
from edubase.core.web import console_page, int_param
from edubase.datagov import selectors as catalogue
from edubase.datagov.models import Dataset
from edubase.datagov.sharing import lifecycle, policy, selectors, services
from edubase.datagov.sharing.models import Delivery, ExpiryAction, ShareStatus
from edubase.orgs.models import Org
from edubase.workflow.models import CaseEvent, WorkTask

VIEW = services.VIEW
CHANGE = services.CHANGE
MANAGE = services.MANAGE
EFFECT_CLASSES = {"allow": "bg-green-lt", "pseudonym": "bg-azure-lt", "mask": "bg-yellow-lt", "deny": "bg-red-lt"}


def _attachment(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _decisions(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [
        {**d, "label": policy.EFFECT_LABELS.get(d["effect"], d["effect"]), "css": EFFECT_CLASSES.get(d["effect"], "")}
        for d in rows
    ]


# --- requests ------------------------------------------------------------------------------------


@require_GET
@console_page(VIEW)
def request_list(request: HttpRequest) -> HttpResponse:
    """Share requests in scope: mine, my subtree's, and those asking my subtree's data."""
    status = request.GET.get("status", "")
    rows = selectors.requests_for(request.user)
    if status in ShareStatus.values:
        rows = rows.filter(status=status)
    context = {
        "rows": rows[:500],
        "status": status,
        "statuses": ShareStatus.choices,
        "purposes": policy.PURPOSES,
        "may_request": has_anywhere(request.user, CHANGE),
    }
    return render(request, "datagov_sharing/request_list.html", context)


def _requester_orgs(actor: Any) -> list[Org]:
    scope = scope_for(actor, CHANGE)
    if scope.everything:
        return list(Org.objects.filter(depth__lte=3).order_by("path")[:200])
    return list(Org.objects.filter(path__in=scope.paths).order_by("path"))


def _dataset_choice(actor: Any, dataset_id: int | None) -> Dataset | None:
    if dataset_id is None:
        return None
    try:
        return catalogue.get_published(actor, dataset_id)
    except NotFound:
        return catalogue.get_dataset(actor, dataset_id)


@require_http_methods(["GET", "POST"])
@console_page(CHANGE)
def request_new(request: HttpRequest) -> HttpResponse:
    """The share request form: choose a catalogue dataset, fields, purpose, period; verdicts previewed."""
    actor = request.user
    source = request.POST if request.method == "POST" else request.GET
    dataset = _dataset_choice(actor, int_param(source.get("dataset")))
    orgs = _requester_orgs(actor)
    org = next((o for o in orgs if o.pk == int_param(source.get("org"))), orgs[0] if orgs else None)
    purpose = source.get("purpose") or "student_status"
    chosen = source.getlist("fields")
    today = dt.date.today()
    values = {
        "purpose_detail": source.get("purpose_detail", ""),
        "period_start": source.get("period_start") or today.isoformat(),
        "period_end": source.get("period_end") or (today + dt.timedelta(days=90)).isoformat(),
        "delivery": source.get("delivery") or Delivery.EXTRACT,
    }
    error: DomainError | None = None
    preview: list[dict[str, str]] = []
    if dataset is not None and org is not None and purpose in policy.PURPOSES:
        names = [f.name for f in dataset.fields.all()]
        try:
            verdicts = services.evaluate(user=actor, requester_org=org, dataset=dataset, fields=names, purpose=purpose)
            preview = _decisions([d.__dict__ for d in verdicts.decisions])
        except DomainError as exc:
            error = exc
    if request.method == "POST" and dataset is not None and org is not None:
        try:
            created = services.submit_request(
                actor=actor,
                dataset=dataset,
                requester_org=org,
                fields=chosen,
                purpose=purpose,
                purpose_detail=values["purpose_detail"],
                period_start=_date(values["period_start"]),
                period_end=_date(values["period_end"]),
                delivery=values["delivery"],
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, f"共享申请 {created.number} 已提交，等待审批")
            return redirect("datagov_sharing:request_detail", pk=created.pk)
    context = {
        "catalogue": catalogue.catalogue_for(actor)[:300],
        "dataset": dataset,
        "orgs": orgs,
        "org": org,
        "purpose": purpose,
        "purposes": policy.PURPOSES,
        "chosen": chosen,
        "values": values,
        "deliveries": Delivery.choices,
        "preview": preview,
        "error": error,
    }
    response = render(request, "datagov_sharing/request_form.html", context, status=error.status if error else 200)
    if error is not None:
        abort_writes()  # after rendering: the page reads the database too
    return response


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationFailed(f"日期“{text}”格式应为 YYYY-MM-DD") from exc


@require_GET
@console_page(VIEW)
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_request(request.user, pk)
    steps = (
        WorkTask.objects.filter(instance_id=found.instance_id)
        .select_related("candidate_org", "completed_by")
        .order_by("pk")
        if found.instance_id
        else []
    )
    history = CaseEvent.objects.filter(instance_id=found.instance_id).order_by("at", "pk") if found.instance_id else []
    context = {
        "req": found,
        "decisions": _decisions(found.decisions),
        "purpose_label": policy.PURPOSES.get(found.purpose, found.purpose),
        "levels": [services.LEVEL_LABELS.get(level, level) for level in found.approval_levels],
        "steps": steps,
        "history": history,
        "grant": getattr(found, "grant", None) if found.status == ShareStatus.APPROVED else None,
        "mine": found.requester_id == request.user.pk,
    }
    return render(request, "datagov_sharing/request_detail.html", context)


@require_POST
@console_page(VIEW)
def request_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_request(request.user, pk)
    services.withdraw(actor=request.user, request=found, reason=request.POST.get("reason", ""))
    messages.success(request, "共享申请已撤回")
    return redirect("datagov_sharing:request_detail", pk=found.pk)


# --- grants --------------------------------------------------------------------------------------


def _effects(grant: Any) -> list[tuple[str, str, str]]:
    """(field, label, css) in the request's field order (jsonb keeps no key order)."""
    names = [f for f in grant.request.fields if f in grant.effects]
    return [
        (k, policy.EFFECT_LABELS.get(grant.effects[k], ""), EFFECT_CLASSES.get(grant.effects[k], "")) for k in names
    ]


@require_GET
@console_page(VIEW)
def grant_list(request: HttpRequest) -> HttpResponse:
    return render(request, "datagov_sharing/grant_list.html", {"rows": selectors.grants_for(request.user)[:500]})


@require_GET
@console_page(VIEW)
def grant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    grant = selectors.get_grant(request.user, pk)
    context = {
        "grant": grant,
        "effects": _effects(grant),
        "mine": grant.recipient_id == request.user.pk,
        "owner_side": scope_for(request.user, MANAGE).covers(grant.org_path),
        "extracts": grant.extracts.all()[:50],
        "tokens": grant.tokens.all(),
        "new_token": None,
    }
    return render(request, "datagov_sharing/grant_detail.html", context)


@require_GET
@console_page(VIEW)
def grant_extract(request: HttpRequest, pk: int) -> HttpResponse:
    grant = selectors.get_grant(request.user, pk)
    fmt = request.GET.get("format", "xlsx")
    filename, data, _extract = services.build_extract(actor=request.user, grant=grant, fmt=fmt)
    kind = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return _attachment(data, filename, kind)


@require_POST
@console_page(VIEW)
def grant_token(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue a share token; the page shows it once."""
    grant = selectors.get_grant(request.user, pk)
    _token, raw = services.issue_token(actor=request.user, grant=grant)
    context = {
        "grant": grant,
        "effects": _effects(grant),
        "mine": True,
        "owner_side": scope_for(request.user, MANAGE).covers(grant.org_path),
        "extracts": grant.extracts.all()[:50],
        "tokens": grant.tokens.all(),
        "new_token": raw,
        "feed_url": request.build_absolute_uri("/api/v1/datagov/sharing/feed"),
    }
    return render(request, "datagov_sharing/grant_detail.html", context)


@require_POST
@console_page(VIEW)
def grant_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    grant = selectors.get_grant(request.user, pk)
    services.revoke_grant(actor=request.user, grant=grant, reason=request.POST.get("reason", ""))
    messages.success(request, "共享授权已撤销，接口令牌同时失效")
    return redirect("datagov_sharing:grant_detail", pk=grant.pk)


# --- leak tracing, policy ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@console_page(MANAGE)
def trace(request: HttpRequest) -> HttpResponse:
    """Upload a suspected leaked file; the grant (recipient) it came from is named if marked."""
    result = None
    error: DomainError | None = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ValidationFailed("请选择要溯源的文件（XLSX 或 CSV）")
            if upload.size and upload.size > 50 * 1024 * 1024:
                raise ValidationFailed("文件超过 50 MB")
            result = services.trace_leak(actor=request.user, filename=upload.name or "upload", data=upload.read())
        except DomainError as exc:
            error = exc
    context = {"result": result, "error": error, "recent": selectors.traces_for(request.user)[:20]}
    response = render(request, "datagov_sharing/trace.html", context, status=error.status if error else 200)
    if error is not None:
        abort_writes()
    return response


@require_GET
@console_page(VIEW)
def policy_page(request: HttpRequest) -> HttpResponse:
    version, rules = services.active_policy()
    items = []
    for rule in rules.get("rules", []):
        items.append(
            {
                "id": rule.get("id"),
                "label": rule.get("label", rule.get("id")),
                "data": rule.get("data", {}),
                "actor": {
                    "purposes": [policy.PURPOSES.get(p, p) for p in rule.get("actor", {}).get("purposes", [])],
                    "roles": [policy.ROLE_LABELS.get(r, r) for r in rule.get("actor", {}).get("roles", [])],
                    "org_levels": [policy.ORG_LEVELS.get(x, x) for x in rule.get("actor", {}).get("org_levels", [])],
                },
                "effect": policy.EFFECT_LABELS.get(rule.get("effect", ""), rule.get("effect")),
                "otherwise": policy.EFFECT_LABELS.get(rule.get("otherwise") or "", "（转下一条）"),
            }
        )
    context = {
        "version": version,
        "note": rules.get("version_note", ""),
        "items": items,
        "may_publish": services.may_publish_policy(request.user),
        "rules_json": json.dumps(rules, ensure_ascii=False, indent=2),
    }
    return render(request, "datagov_sharing/policy.html", context)


@require_POST
@console_page(MANAGE)
def policy_publish(request: HttpRequest) -> HttpResponse:
    """Publish the edited rules as the next policy version (province data officers)."""
    try:
        rules = json.loads(request.POST.get("rules", ""))
    except json.JSONDecodeError as exc:
        raise ValidationFailed(f"规则不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列") from exc
    if not isinstance(rules, dict):
        raise ValidationFailed("规则必须是 JSON 对象（含 rules 列表）")
    row = services.publish_policy(actor=request.user, rules=rules, note=request.POST.get("note", ""))
    messages.success(request, f"访问策略 v{row.version} 已发布并生效")
    return redirect("datagov_sharing:policy")


# --- life cycle ------------------------------------------------------------------------------------


@require_GET
@console_page(VIEW)
def lifecycle_page(request: HttpRequest) -> HttpResponse:
    rules = selectors.retention_for(request.user)
    context = {
        "rules": rules[:500],
        "due": lifecycle.due_for_deletion(rules),
        "certificates": selectors.certificates_for(request.user)[:100],
        "datasets": catalogue.datasets_for(request.user, permission=MANAGE).order_by("name")[:300],
        "actions": ExpiryAction.choices,
        "may_manage": has_anywhere(request.user, MANAGE),
    }
    return render(request, "datagov_sharing/lifecycle.html", context)


@require_POST
@console_page(MANAGE)
def retention_set(request: HttpRequest) -> HttpResponse:
    dataset = catalogue.get_dataset(request.user, int_param(request.POST.get("dataset")), permission=MANAGE)
    days = int_param(request.POST.get("retain_days"))
    if days is None:
        raise ValidationFailed("保存期限（天）必须是整数")
    lifecycle.set_retention(
        actor=request.user,
        dataset=dataset,
        retain_days=days,
        on_expiry=request.POST.get("on_expiry", ""),
        basis=request.POST.get("basis", ""),
    )
    messages.success(request, f"已设置“{dataset.name}”的保存期限")
    return redirect("datagov_sharing:lifecycle")


@require_POST
@console_page(MANAGE)
def retention_action(request: HttpRequest, pk: int) -> HttpResponse:
    """hold / release / archive / delete one dataset's life cycle; delete shows the certificate."""
    rule = selectors.get_retention(request.user, pk)
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "")
    if action == "hold":
        lifecycle.place_hold(actor=request.user, rule=rule, reason=reason)
    elif action == "release":
        lifecycle.release_hold(actor=request.user, rule=rule, reason=reason)
    elif action == "archive":
        lifecycle.archive(actor=request.user, rule=rule)
    elif action == "delete":
        certificate = lifecycle.delete(actor=request.user, rule=rule, reason=reason)
        messages.success(request, f"已删除并出具删除证明 {certificate.number}")
    else:
        raise ValidationFailed("操作无效，可选：hold、release、archive、delete")
    return redirect("datagov_sharing:lifecycle")


@require_GET
@console_page(VIEW)
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = selectors.get_certificate(request.user, pk)
    return _attachment(lifecycle.certificate_pdf(certificate), f"{certificate.number}.pdf", "application/pdf")
