"""Scoped reads of credentials: every query starts from ``core.scope`` (issuer org subtree) or, for a
holder, from the signed-in user's own person."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth

from edubase.core.errors import NotFound
from edubase.core.scope import scope_for
from edubase.credentials.models import (
    Certificate,
    CertificateTemplate,
    HolderNotice,
    IssuanceBatch,
    Issuer,
    IssuerKey,
    ShareLink,
    VerificationEvent,
)

VIEW = "credentials.view"


def templates() -> QuerySet[CertificateTemplate]:
    """Templates are public reference data (every version)."""
    return CertificateTemplate.objects.all()


def issuers_for(actor: Any, *, permission: str = VIEW) -> QuerySet[Issuer]:
    return Issuer.objects.filter(scope_for(actor, permission).q("org_path")).select_related("org")


def get_issuer(actor: Any, *, pk: int, permission: str = VIEW) -> Issuer:
    issuer = issuers_for(actor, permission=permission).filter(pk=pk).first()
    if issuer is None:
        raise NotFound("发证机构不存在或不在您的管辖范围内")
    return issuer


def keys_of(issuer: Issuer) -> QuerySet[IssuerKey]:
    return issuer.keys.order_by("key_version")


def certificates_for(
    actor: Any,
    *,
    permission: str = VIEW,
    q: str | None = None,
    status: str | None = None,
    template: str | None = None,
    batch: int | None = None,
) -> QuerySet[Certificate]:
    found = Certificate.objects.filter(scope_for(actor, permission).q("org_path")).select_related("template", "issuer")
    if q:
        found = found.filter(Q(identifier__startswith=q) | Q(holder_name__startswith=q))
    if status:
        found = found.filter(status=status)
    if template:
        found = found.filter(template__code=template)
    if batch:
        found = found.filter(batch_id=batch)
    return found


def get_certificate(actor: Any, *, pk: int, permission: str = VIEW) -> Certificate:
    certificate = certificates_for(actor, permission=permission).filter(pk=pk).first()
    if certificate is None:
        raise NotFound("证照不存在或不在您的管辖范围内")
    return certificate


def batches_for(actor: Any, *, permission: str = VIEW) -> QuerySet[IssuanceBatch]:
    return IssuanceBatch.objects.filter(scope_for(actor, permission).q("org_path")).select_related(
        "issuer", "template", "created_by"
    )


def get_batch(actor: Any, *, pk: int, permission: str = VIEW) -> IssuanceBatch:
    batch = batches_for(actor, permission=permission).filter(pk=pk).first()
    if batch is None:
        raise NotFound("签发批次不存在或不在您的管辖范围内")
    return batch


def verifications_for(actor: Any) -> QuerySet[VerificationEvent]:
    return VerificationEvent.objects.filter(scope_for(actor, VIEW).q("org_path")).select_related("certificate")


def issued_per_month(actor: Any) -> list[dict[str, Any]]:
    """Certificates issued per month and template (the console's chart)."""
    rows = (
        certificates_for(actor)
        .annotate(month=TruncMonth("issued_at"))
        .values("month", "template__name")
        .annotate(n=Count("pk"))
        .order_by("month")
    )
    return [{"month": r["month"].strftime("%Y-%m"), "template": r["template__name"], "count": r["n"]} for r in rows]


# --- the holder's own ------------------------------------------------------------------------


def person_id_of(user: Any) -> Any:
    return getattr(user, "person_id", None) if getattr(user, "is_authenticated", False) else None


def my_certificates(user: Any) -> QuerySet[Certificate]:
    person = person_id_of(user)
    if person is None:
        return Certificate.objects.none()
    return Certificate.objects.filter(holder_id=person).select_related("template", "issuer", "successor")


def my_certificate(user: Any, *, pk: int) -> Certificate:
    certificate = my_certificates(user).filter(pk=pk).first()
    if certificate is None:
        raise NotFound("证照不存在或不属于您")
    return certificate


def my_notices(user: Any) -> QuerySet[HolderNotice]:
    person = person_id_of(user)
    if person is None:
        return HolderNotice.objects.none()
    return HolderNotice.objects.filter(person_id=person).select_related("certificate")


def verifications_of(certificate: Certificate) -> QuerySet[VerificationEvent]:
    return certificate.verifications.order_by("-at", "-pk")


def share_links_of(certificate: Certificate) -> QuerySet[ShareLink]:
    return certificate.share_links.order_by("-created_at")
