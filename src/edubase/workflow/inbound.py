"""Connectors' write side: cases created by other systems, and webhook subscriptions.

``create_case`` is idempotent on ``(source, external_id)``: the same request twice gives the
same case (the caller answers 200 instead of 201), a different request reusing the key is
refused. The caller needs ``orgs.change`` on the case org (an admin of that org or above,
usually through an API token carrying that permission).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from edubase.core import audit
from edubase.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from edubase.core.scope import scope_for
from edubase.orgs.models import Org
from edubase.workflow import engine
from edubase.workflow.models import (
    InboundCase,
    ProcessDefinition,
    ProcessInstance,
    TaskStatus,
    WebhookSubscription,
    WorkTask,
)
from edubase.workflow.outbox import EVENT_TYPES, new_secret


class ExternalIdReused(DomainError):
    """The external id already names a different case."""

    code = "workflow_external_id_reused"
    message = "外部编号已用于另一个案件"
    status = 409


@dataclass(frozen=True)
class InboundResult:
    inbound: InboundCase
    created: bool


def _org(actor: Any, org_id: int) -> Org:
    org = Org.objects.filter(pk=org_id).first()
    if org is None or not scope_for(actor, "orgs.view").covers(org.path):
        raise NotFound(f"机构（编号 {org_id}）不存在或不在您的管辖范围内")
    if not scope_for(actor, "orgs.change").covers(org.path):
        raise PermissionDenied(f"您没有在“{org.name}”创建案件的权限（需要机构维护权限）")
    return org


@transaction.atomic
def create_case(
    *,
    actor: Any,
    source: str,
    external_id: str,
    process_key: str,
    org_id: int,
    data: dict[str, Any] | None = None,
    submit: bool = True,
) -> InboundResult:
    """Create (or find again) the case another system asks for; ``submit`` completes the applicant step."""
    problems = []
    if not source.strip():
        problems.append({"field": "source", "reason": "来源系统不能为空"})
    if not external_id.strip():
        problems.append({"field": "external_id", "reason": "外部编号不能为空"})
    if not process_key.strip():
        problems.append({"field": "process_key", "reason": "流程标识不能为空"})
    if problems:
        raise ValidationFailed("；".join(p["reason"] for p in problems), details=problems)
    org = _org(actor, org_id)
    existing = (
        InboundCase.objects.select_related("instance__definition")
        .filter(source=source, external_id=external_id)
        .first()
    )
    if existing is not None:
        same = existing.instance.definition.key == process_key and existing.instance.org_id == org.pk
        if not same:
            raise ExternalIdReused(f"外部编号“{external_id}”已用于案件 #{existing.instance_id}（流程或机构不同）")
        return InboundResult(existing, created=False)
    if not ProcessDefinition.objects.filter(key=process_key).exists():
        raise ValidationFailed(
            f"流程“{process_key}”尚未发布", details=[{"field": "process_key", "reason": "流程尚未发布"}]
        )
    instance = engine.start(process_key, subject=None, org=org, actor=actor, data=data or {})
    if submit:
        first = WorkTask.objects.filter(instance=instance, assignee=actor, status=TaskStatus.OPEN).first()
        if first is not None:
            engine.complete(first, actor=actor, data=data or {}, comment=f"由{source}提交")
    try:
        with transaction.atomic():
            inbound = InboundCase.objects.create(
                source=source, external_id=external_id, instance=instance, created_by=_user(actor)
            )
    except IntegrityError as exc:  # a concurrent request with the same key won: theirs stands
        raise ExternalIdReused(f"外部编号“{external_id}”正在被另一个请求使用，请稍后重试") from exc
    audit.record(
        actor=actor,
        action="workflow.inbound.create",
        obj=inbound,
        org=org,
        after={"source": source, "external_id": external_id, "case": instance.pk},
    )
    return InboundResult(inbound, created=True)


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) else None


def refreshed(inbound: InboundCase) -> ProcessInstance:
    return ProcessInstance.objects.select_related("definition", "org").get(pk=inbound.instance_id)


# --- subscriptions ---------------------------------------------------------------------------


def subscriptions_for(actor: Any) -> QuerySet[WebhookSubscription]:
    """Subscriptions on orgs where the actor holds ``orgs.change``."""
    return (
        WebhookSubscription.objects.filter(scope_for(actor, "orgs.change").q("org_path"))
        .select_related("org")
        .order_by("created")
    )


def _check_url(url: str) -> list[dict[str, str]]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return [{"field": "url", "reason": "回调地址必须是完整的 http:// 或 https:// 地址"}]
    return []


@transaction.atomic
def create_subscription(
    *, actor: Any, org_id: int, name: str, url: str, event_types: list[str], secret: str | None = None
) -> tuple[WebhookSubscription, str]:
    """Subscribe ``url`` to case events under the org; returns the subscription and its secret (shown once)."""
    problems = _check_url(url)
    if not name.strip():
        problems.append({"field": "name", "reason": "订阅名称不能为空"})
    unknown = [t for t in event_types if t not in EVENT_TYPES]
    if unknown:
        problems.append(
            {
                "field": "event_types",
                "reason": f"未知的事件类型：{'、'.join(unknown)}（可选：{'、'.join(EVENT_TYPES)}）",
            }
        )
    if secret is not None and len(secret) < 16:
        problems.append({"field": "secret", "reason": "签名密钥至少 16 个字符"})
    if problems:
        raise ValidationFailed("；".join(p["reason"] for p in problems), details=problems)
    org = Org.objects.filter(pk=org_id).first()
    if org is None or not scope_for(actor, "orgs.view").covers(org.path):
        raise NotFound(f"机构（编号 {org_id}）不存在或不在您的管辖范围内")
    if not scope_for(actor, "orgs.change").covers(org.path):
        raise PermissionDenied(f"您没有为“{org.name}”订阅事件的权限（需要机构维护权限）")
    value = secret or new_secret()
    subscription = WebhookSubscription.objects.create(
        name=name.strip(),
        org=org,
        org_path=org.path,
        url=url,
        event_types=list(dict.fromkeys(event_types)),
        secret=value,
        created_by=_user(actor),
    )
    audit.record(
        actor=actor,
        action="workflow.subscription.create",
        obj=subscription,
        org=org,
        after={"name": subscription.name, "url": url, "event_types": subscription.event_types},
    )
    return subscription, value
