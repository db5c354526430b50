"""Scoped reads of sharing and the life cycle; every one starts from ``core.scope``.

A share request or grant is seen from both ends: the requesting/receiving org's subtree and the
owner org's subtree (``datagov.view``), and always by its own requester/recipient. Retention
rules and deletion certificates belong to the dataset owner's subtree.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from edubase.core.errors import NotFound
from edubase.core.scope import scope_for
from edubase.datagov.sharing.models import DeletionCertificate, LeakTrace, RetentionRule, ShareGrant, ShareRequest

VIEW = "datagov.view"
MANAGE = "datagov.manage"


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _both_ends(actor: Any, own_field: str, other_path: str) -> Q:
    scope = scope_for(actor, VIEW)
    if scope.empty:
        return Q(pk__in=[])
    return scope.q("org_path") | scope.q(other_path) | Q(**{own_field: getattr(actor, "pk", None)})


def requests_for(actor: Any) -> QuerySet[ShareRequest]:
    """Share requests the actor may see: its own, its org subtree's, and those asking its subtree's data."""
    return (
        ShareRequest.objects.filter(_both_ends(actor, "requester_id", "requester_path"))
        .select_related("dataset", "org", "requester_org", "requester", "row_org")
        .order_by("-created_at", "-pk")
    )


def get_request(actor: Any, request_id: Any) -> ShareRequest:
    found = requests_for(actor).filter(pk=_int(request_id)).first()
    if found is None:
        raise NotFound()
    return found


def grants_for(actor: Any) -> QuerySet[ShareGrant]:
    """Share grants the actor may see (both ends, as for requests)."""
    return (
        ShareGrant.objects.filter(_both_ends(actor, "recipient_id", "recipient_path"))
        .select_related("dataset", "org", "recipient_org", "recipient", "request")
        .order_by("-created_at", "-pk")
    )


def get_grant(actor: Any, grant_id: Any) -> ShareGrant:
    found = grants_for(actor).filter(pk=_int(grant_id)).first()
    if found is None:
        raise NotFound()
    return found


def retention_for(actor: Any) -> QuerySet[RetentionRule]:
    """Retention rules of datasets owned in the actor's subtree."""
    return (
        RetentionRule.objects.filter(scope_for(actor, VIEW).q("org_path"))
        .select_related("dataset", "org")
        .order_by("org_path", "dataset__name")
    )


def get_retention(actor: Any, rule_id: Any) -> RetentionRule:
    found = retention_for(actor).filter(pk=_int(rule_id)).first()
    if found is None:
        raise NotFound()
    return found


def certificates_for(actor: Any) -> QuerySet[DeletionCertificate]:
    return DeletionCertificate.objects.filter(scope_for(actor, VIEW).q("org_path")).select_related("org")


def get_certificate(actor: Any, certificate_id: Any) -> DeletionCertificate:
    found = certificates_for(actor).filter(pk=_int(certificate_id)).first()
    if found is None:
        raise NotFound()
    return found


def traces_for(actor: Any) -> QuerySet[LeakTrace]:
    """Leak tracings run by the actor, or traced to grants of its managed subtree."""
    scope = scope_for(actor, MANAGE)
    if scope.empty:
        return LeakTrace.objects.none()
    return LeakTrace.objects.filter(Q(traced_by_id=actor.pk) | (scope.q("org_path") & ~Q(org_path=""))).select_related(
        "grant", "grant__recipient_org", "grant__dataset"
    )
