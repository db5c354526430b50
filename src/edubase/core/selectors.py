"""Scoped reads of core: the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from edubase.core.models import AuditEvent
from edubase.core.scope import Actor, scope_for


def _aware(moment: datetime) -> datetime:
    """A time given without a zone is read in the server's zone (Asia/Shanghai)."""
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def audit_events_for(
    actor: Actor | Any,
    *,
    action: str | None = None,
    actor_label: str | None = None,
    object_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEvent]:
    """Audit events about orgs in the actor's ``audit.view`` scope, newest first.

    Events filed under no org (system events, logins of users without a role) are seen only
    with everything-scope. ``action`` ending in ``*`` matches a prefix (``accounts.*``);
    ``since`` is inclusive, ``until`` exclusive.
    """
    scope = scope_for(actor, "audit.view")
    events = AuditEvent.objects.all() if scope.everything else AuditEvent.objects.filter(scope.q("org_path"))
    if action:
        events = events.filter(action__startswith=action[:-1]) if action.endswith("*") else events.filter(action=action)
    if actor_label:
        events = events.filter(actor_label=actor_label)
    if object_type:
        events = events.filter(object_type=object_type)
    if since is not None:
        events = events.filter(at__gte=_aware(since))
    if until is not None:
        events = events.filter(at__lt=_aware(until))
    return events.order_by("-id")


def can_verify_audit_chain(actor: Actor | Any) -> bool:
    """Only everything-scope may verify the chain: it reads every event, in and out of any scope."""
    return scope_for(actor, "audit.view").everything
