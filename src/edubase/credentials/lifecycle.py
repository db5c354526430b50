"""Certificate life cycle: revoke (撤销), suspend (暂扣), reinstate (恢复), cancel (注销), reissue (换发).

Every change needs ``credentials.manage`` over the certificate's issuer, a reason, notifies the holder
(``HolderNotice``), is audited per certificate, and marks the affected status lists for publication
when the transaction commits (and again by the periodic job within 20 s if that publication failed).
Bulk variants take a queryset (e.g. a cohort signed with a template error) and apply the same rule
to each certificate, all or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from edubase.core import audit
from edubase.core.errors import DomainError, ValidationFailed
from edubase.core.scope import scope_for
from edubase.credentials import status_publish
from edubase.credentials.models import (
    REVOKED_LIKE,
    Certificate,
    CertificateStatus,
    CertificateTemplate,
    HolderNotice,
)

MANAGE = "credentials.manage"

#: action → (statuses it applies to, the new status, notice wording)
ACTIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "revoke": ((CertificateStatus.VALID, CertificateStatus.SUSPENDED), CertificateStatus.REVOKED, "已被撤销"),
    "suspend": ((CertificateStatus.VALID,), CertificateStatus.SUSPENDED, "已被暂扣"),
    "reinstate": ((CertificateStatus.SUSPENDED,), CertificateStatus.VALID, "已恢复有效"),
    "cancel": ((CertificateStatus.VALID, CertificateStatus.SUSPENDED), CertificateStatus.CANCELLED, "已被注销"),
}
ACTION_LABELS = {"revoke": "撤销", "suspend": "暂扣", "reinstate": "恢复", "cancel": "注销", "reissue": "换发"}


class CertificateStateError(DomainError):
    code = "credentials_certificate_state"
    message = "证照当前状态下不能执行此操作"
    status = 409


def _notify(certificate: Certificate, kind: str, message: str) -> None:
    HolderNotice.objects.create(person_id=certificate.holder_id, certificate=certificate, kind=kind, message=message)


def _check_scope(actor: Any, certificates: Sequence[Certificate]) -> None:
    from edubase.core.errors import NotFound

    scope = scope_for(actor, MANAGE)
    if any(not scope.covers(c.org_path) for c in certificates):
        raise NotFound("证照不存在或不在您的管辖范围内")


@transaction.atomic
def change_status(*, actor: Any, certificates: Iterable[Certificate], action: str, reason: str) -> list[Certificate]:
    """Apply ``action`` to each certificate (all or nothing); returns the changed certificates."""
    if action not in ACTIONS:
        raise ValidationFailed(f"未知的操作“{action}”，可选：{'、'.join(ACTIONS)}")
    if not reason.strip():
        raise ValidationFailed(f"{ACTION_LABELS[action]}证照必须填写原因")
    pks = [c.pk for c in certificates]
    locked = list(
        Certificate.objects.select_for_update(of=("self",))
        .filter(pk__in=pks)
        .select_related("template", "issuer")
        .order_by("pk")
    )
    _check_scope(actor, locked)
    allowed, new_status, wording = ACTIONS[action]
    wrong = [c for c in locked if c.status not in allowed]
    if wrong:
        first = wrong[0]
        raise CertificateStateError(
            f"{len(wrong)} 份证照的状态不允许{ACTION_LABELS[action]}"
            f"（如 {first.identifier}：{first.get_status_display()}）",
            details=[{"identifier": c.identifier, "status": c.status} for c in wrong[:100]],
        )
    now = timezone.now()
    lists: set[int] = set()
    for certificate in locked:
        before = certificate.status
        certificate.status = new_status
        certificate.status_reason = reason.strip()
        certificate.status_changed_at = now
        lists |= {certificate.revocation_list_id, certificate.suspension_list_id}
        _notify(
            certificate, action, f"您的{certificate.template.name}（{certificate.identifier}）{wording}。原因：{reason}"
        )
        audit.record(
            actor=actor,
            action=f"credentials.certificate.{action}",
            obj=certificate,
            org=_OrgRef(certificate),
            before={"status": before},
            after={"status": new_status, "reason": reason},
        )
    Certificate.objects.bulk_update(locked, ["status", "status_reason", "status_changed_at"], batch_size=500)
    status_publish.mark_dirty(lists)
    return locked


class _OrgRef:
    """The issuer org of a certificate as ``audit.record`` needs it (pk + path), without a query."""

    def __init__(self, certificate: Certificate) -> None:
        self.pk = certificate.issuer.org_id
        self.path = certificate.org_path


def mark_amended(old: Certificate, new: Certificate, *, reason: str) -> None:
    """The old version becomes 变更 with its successor (revocation bit set); the holder is told."""
    if old.status in REVOKED_LIKE and old.status != CertificateStatus.AMENDED:
        raise CertificateStateError(f"证照 {old.identifier} 已{old.get_status_display()}，不能换发")
    old.status = CertificateStatus.AMENDED
    old.successor = new
    old.status_reason = reason
    old.status_changed_at = timezone.now()
    old.save(update_fields=["status", "successor", "status_reason", "status_changed_at"])
    status_publish.mark_dirty({old.revocation_list_id, old.suspension_list_id})
    _notify(
        old,
        "reissue",
        f"您的{old.template.name}已换发新版本 {new.identifier}，原证照 {old.identifier} 作废。原因：{reason}",
    )


@transaction.atomic
def reissue(
    *,
    actor: Any,
    certificates: Iterable[Certificate],
    reason: str,
    changes: dict[str, Any] | None = None,
    template: CertificateTemplate | None = None,
) -> list[Certificate]:
    """Reissue (换发) each certificate as version + 1 with ``changes`` applied to its content (and, if
    given, under a corrected template version); the old version becomes 变更 linked to the new one."""
    from edubase.credentials.issuance import Draft, check_fields, sign_certificates

    if not reason.strip():
        raise ValidationFailed("换发证照必须填写原因")
    pks = [c.pk for c in certificates]
    locked = list(
        Certificate.objects.select_for_update(of=("self",))
        .filter(pk__in=pks)
        .select_related("template", "issuer", "holder")
        .order_by("pk")
    )
    _check_scope(actor, locked)
    wrong = [c for c in locked if c.status not in (CertificateStatus.VALID, CertificateStatus.SUSPENDED)]
    if wrong:
        raise CertificateStateError(
            f"{len(wrong)} 份证照已{wrong[0].get_status_display()}，不能换发",
            details=[{"identifier": c.identifier, "status": c.status} for c in wrong[:100]],
        )
    made: list[Certificate] = []
    groups: dict[tuple[int, int], list[Certificate]] = {}
    for c in locked:
        groups.setdefault((c.issuer_id, c.template_id), []).append(c)
    for olds in groups.values():
        use = template or olds[0].template
        drafts = []
        for old in olds:
            subject, problems = check_fields(use, {**old.subject, **(changes or {})})
            if problems:
                raise ValidationFailed(
                    f"证照 {old.identifier} 换发后的内容不完整：{problems[0][0]}{problems[0][1]}",
                    details=[{"field": p[0], "reason": p[1]} for p in problems],
                )
            drafts.append(Draft(holder=old.holder, subject=subject, serial=old.serial, version=old.version + 1))
        new = sign_certificates(issuer=olds[0].issuer, template=use, drafts=drafts)
        if new and new[0].pk is None:
            ids = dict(
                Certificate.objects.filter(identifier__in=[c.identifier for c in new]).values_list("identifier", "pk")
            )
            for c in new:
                c.pk = ids[c.identifier]
        for old, fresh in zip(olds, new, strict=True):
            mark_amended(old, fresh, reason=reason)
            audit.record(
                actor=actor,
                action="credentials.certificate.reissue",
                obj=fresh,
                org=_OrgRef(fresh),
                before={"identifier": old.identifier},
                after={"identifier": fresh.identifier, "reason": reason},
            )
        made += new
    return made


def expire_due() -> int:
    """The ``credentials.expire`` job: certificates past their validity become 失效."""
    now = timezone.now()
    return Certificate.objects.filter(status=CertificateStatus.VALID, valid_until__lt=now).update(
        status=CertificateStatus.EXPIRED, status_changed_at=now, status_reason="超过有效期"
    )
