"""Data life cycle (数据生命周期): retention rules, archival, legal hold, deletion with a signed certificate.

Deleting a dataset here deletes what the platform holds of it and stops every use of it: its
share grants are revoked and their tokens die, and every registered *purger* (the catalogue's
samples, the provincial pool's copies, …) removes its copy and reports a count. The source
system itself is the owner's: the certificate records what the platform deleted, not more.
The deletion certificate (删除证明) is canonical JSON signed with SM2 by the province node key
(``crypto.keyring.hierarchy()``), verifiable offline with the published key; a PDF rendering is
for people. A legal hold (法律保全) blocks archival and deletion until released.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from edubase.core import audit
from edubase.core.errors import DomainError, ValidationFailed
from edubase.core.scope import require
from edubase.crypto.keyring import hierarchy, root_node_id
from edubase.crypto.sm2 import SM2PublicKey
from edubase.datagov.models import Dataset
from edubase.datagov.sharing.models import (
    DeletionCertificate,
    ExpiryAction,
    LifecycleState,
    RetentionRule,
    ShareGrant,
    ShareToken,
)

MANAGE = "datagov.manage"
CERTIFICATE_KIND = "edubase.datagov.deletion-certificate/1"

#: name → fn(dataset) → rows/items removed; other apps register theirs in ``AppConfig.ready``
_PURGERS: dict[str, Callable[[Dataset], int]] = {}


class LifecycleError(DomainError):
    code = "datagov_lifecycle"
    message = "当前生命周期状态下不能执行此操作"
    status = 409


class LegalHoldActive(LifecycleError):
    code = "datagov_legal_hold"
    message = "数据集处于法律保全状态，不能归档或删除"


def register_purger(name: str, purge: Callable[[Dataset], int]) -> None:
    """Register what deleting a dataset must also remove elsewhere (called inside the deletion)."""
    _PURGERS[name] = purge


def _audit(actor: Any, action: str, rule: RetentionRule, **after: Any) -> None:
    audit.record(actor=actor, action=f"datagov_sharing.lifecycle.{action}", obj=rule, org=rule.org, after=after or None)


@transaction.atomic
def set_retention(
    *, actor: Any, dataset: Dataset, retain_days: int, on_expiry: str, basis: str = "", starts_on: dt.date | None = None
) -> RetentionRule:
    """Set (or change) a dataset's retention rule (保存期限)."""
    require(actor, MANAGE, path=dataset.org_path)
    if on_expiry not in ExpiryAction.values:
        raise ValidationFailed("到期处置只能是归档（archive）或删除（delete）")
    if not 1 <= retain_days <= 365 * 100:
        raise ValidationFailed("保存期限必须在 1 天到 100 年之间")
    rule = RetentionRule.objects.select_for_update().filter(dataset=dataset).first()
    before = None
    if rule is None:
        rule = RetentionRule(dataset=dataset, org=dataset.org, org_path=dataset.org_path)
    else:
        if rule.state == LifecycleState.DELETED:
            raise LifecycleError("数据集已删除，不能再修改保存期限")
        before = {"retain_days": rule.retain_days, "on_expiry": rule.on_expiry, "basis": rule.basis}
    rule.retain_days = retain_days
    rule.on_expiry = on_expiry
    rule.basis = basis.strip()[:300]
    rule.starts_on = starts_on or (rule.starts_on if rule.pk else timezone.localdate())
    rule.save()
    audit.record(
        actor=actor,
        action="datagov_sharing.lifecycle.retention",
        obj=rule,
        org=rule.org,
        before=before,
        after={"retain_days": retain_days, "on_expiry": on_expiry, "basis": rule.basis},
    )
    return rule


def _lock(rule: RetentionRule, actor: Any) -> RetentionRule:
    locked = RetentionRule.objects.select_for_update(of=("self",)).select_related("dataset", "org").get(pk=rule.pk)
    require(actor, MANAGE, path=locked.org_path)
    return locked


@transaction.atomic
def place_hold(*, actor: Any, rule: RetentionRule, reason: str) -> RetentionRule:
    """Place a legal hold (法律保全): no archival or deletion until released."""
    rule = _lock(rule, actor)
    if not reason.strip():
        raise ValidationFailed("法律保全必须填写事由（如案件编号、调取机关）")
    if rule.state == LifecycleState.DELETED:
        raise LifecycleError("数据集已删除，无法保全")
    rule.legal_hold, rule.hold_reason, rule.hold_by, rule.hold_at = True, reason.strip()[:300], actor, timezone.now()
    rule.save()
    _audit(actor, "hold", rule, reason=rule.hold_reason)
    return rule


@transaction.atomic
def release_hold(*, actor: Any, rule: RetentionRule, reason: str) -> RetentionRule:
    """Release a legal hold."""
    rule = _lock(rule, actor)
    if not rule.legal_hold:
        raise LifecycleError("数据集未处于法律保全状态")
    if not reason.strip():
        raise ValidationFailed("解除法律保全必须填写理由")
    rule.legal_hold = False
    rule.save()
    _audit(actor, "release", rule, reason=reason.strip())
    return rule


@transaction.atomic
def archive(*, actor: Any, rule: RetentionRule) -> RetentionRule:
    """Archive (归档): no new share requests; existing grants keep their period."""
    rule = _lock(rule, actor)
    if rule.legal_hold:
        raise LegalHoldActive(f"数据集处于法律保全状态（{rule.hold_reason}），不能归档")
    if rule.state != LifecycleState.ACTIVE:
        raise LifecycleError(f"数据集当前为“{rule.get_state_display()}”，不能归档")
    rule.state, rule.archived_at = LifecycleState.ARCHIVED, timezone.now()
    rule.save()
    _audit(actor, "archive", rule)
    return rule


def _canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@transaction.atomic
def delete(*, actor: Any, rule: RetentionRule, reason: str) -> DeletionCertificate:
    """Delete the platform's copies of a dataset and issue the SM2-signed deletion certificate (删除证明)."""
    rule = _lock(rule, actor)
    if rule.legal_hold:
        raise LegalHoldActive(f"数据集处于法律保全状态（{rule.hold_reason}），不能删除")
    if rule.state == LifecycleState.DELETED:
        raise LifecycleError("数据集已删除")
    if not reason.strip():
        raise ValidationFailed("删除数据必须填写依据或理由")
    dataset = rule.dataset
    now = timezone.now()
    live = ShareGrant.objects.filter(dataset=dataset, revoked_at__isnull=True)
    revoked = live.count()
    live.update(revoked_at=now, revoked_by=actor, revoke_reason="数据集已按生命周期规则删除")
    tokens = ShareToken.objects.filter(grant__dataset=dataset, revoked_at__isnull=True).update(revoked_at=now)
    purged = {"share_grants_revoked": revoked, "share_tokens_revoked": tokens}
    for name, purge in sorted(_PURGERS.items()):
        purged[name] = int(purge(dataset))
    rule.state, rule.deleted_at = LifecycleState.DELETED, now
    rule.save()
    keys = hierarchy()
    node_id = root_node_id()
    node = keys.node(node_id)
    signing = keys.signing_key(node_id, node.sign_version)
    number = f"SCZM{now:%Y%m%d}{rule.pk:06d}"
    payload = {
        "kind": CERTIFICATE_KIND,
        "number": number,
        "dataset": {"id": dataset.pk, "name": dataset.name, "source_table": dataset.source_table},
        "owner_org": {"code": rule.org.code, "name": rule.org.name},
        "retention": {"retain_days": rule.retain_days, "starts_on": rule.starts_on.isoformat(), "basis": rule.basis},
        "reason": reason.strip(),
        "purged": purged,
        "deleted_at": now.isoformat(),
        "deleted_by": actor.get_username(),
        "signer": {"node": node_id, "key_version": node.sign_version},
    }
    text = _canonical(payload)
    signature = signing.sign(text.encode("utf-8")).hex()
    certificate = DeletionCertificate.objects.create(
        number=number,
        dataset=dataset,
        dataset_name=dataset.name,
        org=rule.org,
        org_path=rule.org_path,
        payload=text,
        signature=signature,
        signer_node=node_id,
        key_version=node.sign_version,
        key_fingerprint=signing.public_key().fingerprint(),
        issued_by=actor,
        issued_at=now,
    )
    _audit(actor, "delete", rule, certificate=number, purged=purged, reason=reason.strip())
    return certificate


def verify_certificate(certificate: DeletionCertificate) -> bool:
    """Whether the certificate's signature holds over its exact payload (with the signer's key version)."""
    return verify_payload(certificate.payload, certificate.signature, certificate.signer_node, certificate.key_version)


def verify_payload(payload: str, signature_hex: str, node_id: str, version: int) -> bool:
    """Verify a deletion certificate's signature offline-style: the published key of the node."""
    from edubase.crypto.errors import CryptoError

    published = {k.version: k.public_key for k in hierarchy().published_keys(node_id)}
    public: SM2PublicKey | None = published.get(version)
    if public is None:
        return False
    try:
        public.verify(payload.encode("utf-8"), bytes.fromhex(signature_hex))
    except (CryptoError, ValueError):
        return False
    return True


def certificate_pdf(certificate: DeletionCertificate) -> bytes:
    """The deletion certificate as a PDF (the signed JSON and signature printed in full)."""
    from edubase.core.pdf import Document

    payload = json.loads(certificate.payload)
    purged = "；".join(f"{k}：{v}" for k, v in payload["purged"].items())
    doc = Document(title="数据删除证明", number=certificate.number, subject="删除证明")
    doc.fields(
        [
            ("数据集", f"{payload['dataset']['name']}（{payload['dataset']['source_table']}）"),
            ("数据提供单位", f"{payload['owner_org']['name']}（{payload['owner_org']['code']}）"),
            ("保存期限", f"{payload['retention']['retain_days']} 天，自 {payload['retention']['starts_on']} 起"),
            ("删除依据", payload["reason"]),
            ("删除内容", purged),
            ("删除时间", payload["deleted_at"]),
            ("经办人", payload["deleted_by"]),
            ("签名节点", f"{certificate.signer_node}（密钥版本 {certificate.key_version}）"),
            ("公钥指纹（SM3）", certificate.key_fingerprint),
        ]
    )
    doc.heading("签名原文（JSON，UTF-8）")
    doc.paragraph(certificate.payload, size=8)
    doc.heading("SM2 签名（DER，十六进制）")
    doc.paragraph(certificate.signature, size=8)
    return doc.render()


def sweep_retention(today: dt.date | None = None) -> int:
    """Archive datasets past their retention whose rule says so (legal holds skipped); deletion stays a
    person's decision because it issues a certificate."""
    today = today or timezone.localdate()
    archived = 0
    with transaction.atomic():
        due = RetentionRule.objects.select_for_update(skip_locked=True).filter(
            state=LifecycleState.ACTIVE, legal_hold=False, on_expiry=ExpiryAction.ARCHIVE
        )
        for rule in due:
            if rule.starts_on + dt.timedelta(days=rule.retain_days) <= today:
                rule.state, rule.archived_at = LifecycleState.ARCHIVED, timezone.now()
                rule.save()
                _audit("system", "archive", rule, by="retention")
                archived += 1
    return archived


def due_for_deletion(rules: Any, today: dt.date | None = None) -> list[RetentionRule]:
    """Rules past their period whose expiry action is deletion (the life-cycle page's to-do list)."""
    today = today or timezone.localdate()
    return [
        r
        for r in rules.filter(state=LifecycleState.ACTIVE, on_expiry=ExpiryAction.DELETE)
        if r.starts_on + dt.timedelta(days=r.retain_days) <= today
    ]
