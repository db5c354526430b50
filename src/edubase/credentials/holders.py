"""The holder's side: share links (分享链接, 30–180 days) and reading notices."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from edubase.core import audit
from edubase.core.errors import NotFound, ValidationFailed
from edubase.credentials.models import Certificate, CertificateStatus, HolderNotice, ShareLink
from edubase.credentials.selectors import my_certificate, person_id_of

MIN_DAYS, MAX_DAYS = 30, 180


@transaction.atomic
def create_share_link(*, actor: Any, certificate: Certificate, days: int) -> ShareLink:
    """A link anyone can open to see the certificate and its verification, valid ``days`` days."""
    certificate = my_certificate(actor, pk=certificate.pk)
    if not MIN_DAYS <= int(days) <= MAX_DAYS:
        raise ValidationFailed(f"分享有效期应为 {MIN_DAYS} 到 {MAX_DAYS} 天")
    if certificate.status != CertificateStatus.VALID:
        raise ValidationFailed(f"证照当前状态为“{certificate.get_status_display()}”，不能分享")
    link = ShareLink.objects.create(
        certificate=certificate,
        token=secrets.token_urlsafe(24),
        created_by=actor,
        expires_at=timezone.now() + dt.timedelta(days=int(days)),
    )
    audit.record(
        actor=actor,
        action="credentials.share.create",
        obj=link,
        object_repr=certificate.identifier,
        after={"days": int(days)},
    )
    return link


@transaction.atomic
def stop_share_link(*, actor: Any, link: ShareLink) -> ShareLink:
    my_certificate(actor, pk=link.certificate_id)
    link.revoked_at = timezone.now()
    link.save(update_fields=["revoked_at"])
    audit.record(actor=actor, action="credentials.share.stop", obj=link, object_repr=link.certificate.identifier)
    return link


def open_share_link(token: str) -> ShareLink:
    """The live link for ``token`` (counted); expired or stopped links answer not found."""
    link = ShareLink.objects.select_related("certificate").filter(token=token).first()
    if link is None or link.revoked_at is not None or link.expires_at <= timezone.now():
        raise NotFound("分享链接不存在、已过期或已停止分享")
    ShareLink.objects.filter(pk=link.pk).update(views=F("views") + 1)
    return link


def mark_notices_read(*, actor: Any) -> int:
    person = person_id_of(actor)
    if person is None:
        return 0
    return HolderNotice.objects.filter(person_id=person, read_at__isnull=True).update(read_at=timezone.now())


def holder_certificate(actor: Any, *, pk: int) -> Certificate:
    """The actor's own certificate; another holder's existing certificate is refused (403)."""
    from edubase.core.errors import PermissionDenied

    person = person_id_of(actor)
    certificate = Certificate.objects.select_related("template", "issuer").filter(pk=pk).first()
    if certificate is None:
        raise NotFound("证照不存在")
    if person is None or certificate.holder_id != person:
        raise PermissionDenied("只有持证人本人可以下载或分享证照")
    return certificate


def share_url(link: ShareLink) -> str:
    from edubase.credentials.issuers import public_base

    return f"{public_base()}/v/s/{link.token}"


def verifications_of_mine(actor: Any) -> Any:
    from edubase.credentials.models import VerificationEvent

    person = person_id_of(actor)
    if person is None:
        return VerificationEvent.objects.none()
    return VerificationEvent.objects.filter(certificate__holder_id=person).select_related("certificate")
