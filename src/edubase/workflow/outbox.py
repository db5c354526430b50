"""Outbox of case events (事件发件箱) and their webhook delivery with HMAC-SM3 signatures.

Every case history entry the engine writes (``CaseEvent``) is turned into outbox events by a
``post_save`` receiver, so the outbox row and one delivery row per matching subscription are
written in the SAME transaction as the workflow change: a rolled-back transition publishes
nothing, a committed one is never lost.

``deliver_due`` is the worker. It claims due deliveries with ``SELECT … FOR UPDATE SKIP
LOCKED`` (PostgreSQL; on SQLite the write transaction serialises claimers) by moving their
``next_attempt_at`` a lease into the future in a short transaction, then POSTs each outside
any transaction and records the answer. A failed attempt is retried with exponential backoff
and jitter until ``MAX_ATTEMPTS``; then the delivery is given up (``gave_up_at``).

Each request carries::

    X-Edubase-Event: case.approved
    X-Edubase-Delivery: <uuid of the delivery, the same on every retry>
    X-Edubase-Timestamp: <unix seconds>
    X-Edubase-Signature: sm3=<hex HMAC-SM3(secret, timestamp + "." + body)>

Subscribers check it with ``verify_signature``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from edubase.crypto.sm3 import hmac_sm3, hmac_sm3_verify
from edubase.workflow.models import CaseEvent, InboundCase, OutboxEvent, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

#: event types a subscription may ask for
EVENT_TYPES: dict[str, str] = {
    "case.started": "案件已受理",
    "task.completed": "步骤已办理",
    "case.returned": "退回补正",
    "case.approved": "案件办结：准予",
    "case.rejected": "案件办结：不予",
    "case.finished": "案件办结（其他结果）",
    "case.cancelled": "案件已撤销",
}

MAX_ATTEMPTS = 8
BASE_DELAY_S = 30.0
MAX_DELAY_S = 6 * 3600.0
LEASE_S = 120.0
TIMEOUT_S = 5.0
SIGNATURE_TOLERANCE_S = 300


# --- writing the outbox ----------------------------------------------------------------------


def event_types_for(case_event: CaseEvent) -> list[str]:
    """The outbox event types one case history entry stands for (often none: claims, reminders)."""
    action = case_event.action
    if action == "started":
        return ["case.started"]
    if action == "completed":
        types = ["task.completed"]
        if (case_event.data or {}).get("decision") == "return":
            types.append("case.returned")
        return types
    if action == "returned":
        return ["case.returned"]
    if action == "cancelled":
        return ["case.cancelled"]
    if action == "finished":
        outcome = (case_event.data or {}).get("outcome", "")
        return [{"approved": "case.approved", "rejected": "case.rejected"}.get(outcome, "case.finished")]
    return []


def _payload(case_event: CaseEvent, event_type: str) -> dict[str, Any]:
    instance = case_event.instance
    task = case_event.task
    payload: dict[str, Any] = {
        "event": event_type,
        "at": case_event.at.isoformat(),
        "case": {
            "id": instance.pk,
            "process": instance.definition.key,
            "version": instance.definition.version,
            "org_code": instance.org.code,
            "org_name": instance.org.name,
            "state": instance.state,
            "outcome": instance.outcome,
            "subject_type": instance.subject_type,
            "subject_id": instance.subject_id,
        },
        "actor": case_event.actor_label,
        "comment": case_event.comment,
    }
    if task is not None:
        payload["task"] = {"id": task.pk, "step": task.element_id, "title": task.title, "status": task.status}
    inbound = InboundCase.objects.filter(instance_id=instance.pk).first()
    if inbound is not None:
        payload["case"]["external"] = {"source": inbound.source, "external_id": inbound.external_id}
    return payload


def subscriptions_for(org_path: str, event_type: str) -> list[WebhookSubscription]:
    """Active subscriptions on the case org or above it that want ``event_type``."""
    candidates = WebhookSubscription.objects.filter(active=True).only("id", "org_path", "event_types")
    return [
        s for s in candidates if org_path.startswith(s.org_path) and (not s.event_types or event_type in s.event_types)
    ]


def publish(case_event: CaseEvent) -> list[OutboxEvent]:
    """Write the outbox events of ``case_event`` and a pending delivery per matching subscription."""
    written: list[OutboxEvent] = []
    for event_type in event_types_for(case_event):
        event = OutboxEvent.objects.create(
            instance=case_event.instance,
            event_type=event_type,
            payload=_payload(case_event, event_type),
            created_at=case_event.at,
        )
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(event=event, subscription=s, next_attempt_at=case_event.at)
            for s in subscriptions_for(case_event.instance.org_path, event_type)
        )
        written.append(event)
    return written


@receiver(post_save, sender=CaseEvent, dispatch_uid="workflow.outbox.publish")
def _on_case_event(sender: type[CaseEvent], instance: CaseEvent, created: bool, raw: bool = False, **_: Any) -> None:
    if created and not raw:
        publish(instance)


# --- signing ---------------------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Edubase-Signature`` header value for ``body`` sent at ``timestamp``."""
    return "sm3=" + hmac_sm3(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body).hex()


def verify_signature(
    secret: str, timestamp: str, body: bytes, header: str, *, now: float | None = None, tolerance_s: int | None = None
) -> bool:
    """For subscribers: whether ``header`` signs ``body`` at ``timestamp`` with ``secret``.

    With ``tolerance_s`` the timestamp must also lie within that many seconds of ``now``
    (replay protection).
    """
    if not header.startswith("sm3="):
        return False
    try:
        mac = bytes.fromhex(header[4:])
        sent = int(timestamp)
    except ValueError:
        return False
    if tolerance_s is not None and abs((now if now is not None else time.time()) - sent) > tolerance_s:
        return False
    return hmac_sm3_verify(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, mac)


def new_secret() -> str:
    """A fresh subscription secret (shown once to its creator)."""
    return secrets.token_urlsafe(32)


# --- delivering ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    delivery_id: int
    ok: bool
    status: int | None
    error: str


def backoff(attempts: int, *, rng: random.Random | None = None) -> dt.timedelta:
    """Delay before attempt ``attempts + 1``: exponential from ``BASE_DELAY_S``, capped, with ±20 % jitter."""
    delay = min(BASE_DELAY_S * (2 ** max(attempts - 1, 0)), MAX_DELAY_S)
    jitter = (rng or random).uniform(0.8, 1.2)
    return dt.timedelta(seconds=delay * jitter)


def _claim(now: dt.datetime, limit: int) -> list[WebhookDelivery]:
    with transaction.atomic():
        due = WebhookDelivery.objects.filter(
            delivered_at__isnull=True, gave_up_at__isnull=True, next_attempt_at__lte=now
        ).order_by("next_attempt_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        rows = list(due.values_list("pk", "next_attempt_at")[:limit])
        lease_until = now + dt.timedelta(seconds=LEASE_S)
        claimed: list[int] = []
        for pk, seen in rows:
            # guarded: a worker that read the same row before this one leased it updates nothing
            if WebhookDelivery.objects.filter(pk=pk, next_attempt_at=seen, delivered_at__isnull=True).update(
                next_attempt_at=lease_until
            ):
                claimed.append(pk)
    return list(WebhookDelivery.objects.filter(pk__in=claimed).select_related("event", "subscription").order_by("pk"))


def _post(delivery: WebhookDelivery, now: dt.datetime, timeout: float) -> Attempt:
    body = json.dumps(delivery.event.payload, cls=DjangoJSONEncoder, ensure_ascii=False).encode("utf-8")
    timestamp = str(int(now.timestamp()))
    request = urllib.request.Request(  # noqa: S310 (http/https only, checked when subscribing)
        delivery.subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "edubase-webhook/1",
            "X-Edubase-Event": delivery.event.event_type,
            "X-Edubase-Delivery": str(delivery.delivery_id),
            "X-Edubase-Timestamp": timestamp,
            "X-Edubase-Signature": sign(delivery.subscription.secret, timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status = int(response.status)
        return Attempt(delivery.pk, 200 <= status < 300, status, "")
    except urllib.error.HTTPError as exc:
        return Attempt(delivery.pk, False, int(exc.code), f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return Attempt(delivery.pk, False, None, str(getattr(exc, "reason", exc))[:500])


def _record(delivery: WebhookDelivery, attempt: Attempt, now: dt.datetime) -> None:
    attempts = delivery.attempts + 1
    update: dict[str, Any] = {"attempts": attempts, "last_status": attempt.status, "last_error": attempt.error}
    if attempt.ok:
        update["delivered_at"] = now
    elif attempts >= MAX_ATTEMPTS:
        update["gave_up_at"] = now
    else:
        update["next_attempt_at"] = now + backoff(attempts)
    WebhookDelivery.objects.filter(pk=delivery.pk, delivered_at__isnull=True).update(**update)


def deliver_due(now: dt.datetime | None = None, limit: int = 100, *, timeout: float = TIMEOUT_S) -> list[Attempt]:
    """Claim up to ``limit`` due deliveries, POST each once, record the outcome; return the attempts."""
    now = now or timezone.now()
    attempts: list[Attempt] = []
    for delivery in _claim(now, limit):
        attempt = _post(delivery, now, timeout)
        _record(delivery, attempt, now)
        attempts.append(attempt)
    if attempts:
        logger.info(
            "webhook deliveries: %d sent, %d failed", sum(a.ok for a in attempts), sum(not a.ok for a in attempts)
        )
    return attempts


def pending_q() -> Q:
    """Deliveries not yet delivered nor given up."""
    return Q(delivered_at__isnull=True, gave_up_at__isnull=True)
