"""Audit: every service write calls ``record``; ``verify`` walks the chain.

``record`` appends one ``AuditEvent`` inside the caller's transaction, chained with
HMAC-SM3 under the root node's MAC key (``edubase.crypto.chain``); the chain head row
is locked for the append, so concurrent writers form one sequence. If the caller's
transaction rolls back, the event and the head update roll back with it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from edubase.core import context
from edubase.core.models import AuditChainHead, AuditEvent
from edubase.crypto.chain import chain_mac, verify_chain
from edubase.crypto.keyring import hierarchy, root_node_id

_AUDIT_KEY_CONTEXT = b"|audit-chain|"


def _key() -> bytes:
    from edubase.crypto.sm3 import sm3_kdf

    return sm3_kdf(hierarchy().mac_key(root_node_id()) + _AUDIT_KEY_CONTEXT, 32)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, ensure_ascii=False)) if value is not None else None


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    org: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event; ``org`` is any object with ``pk`` and ``path`` (the org it concerns)."""
    ctx = context.current()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    user = actor if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) else None
    label = getattr(actor, "get_username", lambda: "")() if user is not None else str(actor or "system")
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        event = AuditEvent.objects.create(
            at=timezone.now(),
            actor=user,
            actor_label=label[:150],
            action=action,
            object_type=object_type,
            object_id=object_id[:64],
            object_repr=object_repr[:200],
            org_id_ref=getattr(org, "pk", None),
            org_path=getattr(org, "path", "") or "",
            before=_jsonable(before),
            after=_jsonable(after),
            request_id=ctx.request_id,
            ip=ctx.ip,
            channel=ctx.channel,
            mac="",
        )
        event.refresh_from_db()  # normalise JSON and datetime exactly as the verifier will read them
        mac = chain_mac(_key(), event.chained_content(), bytes.fromhex(head.last_mac)).hex()
        AuditEvent.objects.filter(pk=event.pk).update(mac=mac)
        event.mac = mac
        head.last_event_id = event.pk
        head.last_mac = mac
        head.save(update_fields=["last_event_id", "last_mac"])
    return event


@dataclass(frozen=True)
class AuditVerification:
    """Outcome of walking the chain."""

    ok: bool
    checked: int
    first_bad_id: int | None
    reason: str


def _pairs(batch: int = 2000) -> Iterator[tuple[dict[str, Any], bytes]]:
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=batch):
        try:
            mac = bytes.fromhex(event.mac)
        except ValueError:
            mac = b""
        yield event.chained_content(), mac


def verify() -> AuditVerification:
    """Walk the whole chain in id order; report the first event whose MAC does not match.

    A deleted tail is caught by comparing with the chain head.
    """
    ids = list(AuditEvent.objects.order_by("id").values_list("id", flat=True))
    check = verify_chain(_key(), _pairs())
    if not check.ok:
        bad = ids[check.first_bad] if check.first_bad is not None and check.first_bad < len(ids) else None
        return AuditVerification(False, check.checked, bad, check.reason)
    head = AuditChainHead.objects.filter(pk=1).first()
    last_id = ids[-1] if ids else 0
    if head is not None and head.last_event_id != last_id:
        return AuditVerification(False, check.checked, head.last_event_id, "链尾记录被删除（与链头不一致）")
    if head is not None and ids:
        last_mac = AuditEvent.objects.get(pk=last_id).mac
        if last_mac != head.last_mac:
            return AuditVerification(False, check.checked, last_id, "链尾校验值与链头不一致")
    return AuditVerification(True, check.checked, None, "")
