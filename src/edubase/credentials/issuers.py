"""Issuers (发证机构) and their keys: registration, key rotation, the public key registry, signing keys.

An issuer's SM2 key is a node of the "1+M+N" hierarchy (``crypto.keyring.hierarchy()``): a school
under its city's region node, any other org as a region node under the provincial root. Every key
version ever used is recorded as an ``IssuerKey`` (kid, public PEM, validity) and published at
``/v/issuers/<uscc>``, so certificates signed before a rotation still verify.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from edubase.core import audit
from edubase.core.errors import DomainError, NotFound, ValidationFailed
from edubase.core.scope import require
from edubase.credentials.identifiers import IdentifierError, uscc_check_character, validate_uscc
from edubase.credentials.models import Issuer, IssuerKey
from edubase.crypto.errors import KeyNotFound
from edubase.crypto.keyring import hierarchy, root_node_id
from edubase.crypto.sm2 import SM2PrivateKey
from edubase.orgs.models import Org, OrgKind

MANAGE = "credentials.manage"
ALG = "SM2"
#: GB/T 32918 distinguishing ID stated in the issuer metadata (JWS alg ``SM2``)
SM2_ID = "1234567812345678"

_keys: dict[tuple[str, int], SM2PrivateKey] = {}
_keys_lock = threading.Lock()


class IssuerError(DomainError):
    code = "credentials_issuer"
    message = "发证机构登记不合法"


def public_base() -> str:
    """The public origin printed in QR codes and credential URLs (``EDUBASE_PUBLIC_URL``)."""
    return str(settings.EDUBASE_PUBLIC_URL).rstrip("/")


def issuer_id(uscc: str) -> str:
    """The issuer's identifier in credentials: the URL of its key registry."""
    return f"{public_base()}/v/issuers/{uscc}"


def kid_for(uscc: str, version: int, alg: str = ALG) -> str:
    return f"{issuer_id(uscc)}#{alg.lower()}-{version}"


def derive_uscc(org: Org) -> str:
    """A well-formed public-institution USCC (事业单位, ``12``) from the org's region and code, for orgs
    registered without one (demo data, tests); real deployments enter the code from the certificate."""
    alphabet = set("0123456789ABCDEFGHJKLMNPQRTUWXY")
    body = "".join(c for c in org.code.upper() if c in alphabet)[-9:].rjust(9, "0")
    first17 = "12" + (org.region_code or "410000")[:6].ljust(6, "0") + body
    return first17 + uscc_check_character(first17)


def _node_for(org: Org) -> str:
    """Create (if absent) the hierarchy node that signs for ``org``; returns its id."""
    h = hierarchy()
    node_id = f"org-{org.code}"
    try:
        h.node(node_id)
        return node_id
    except KeyNotFound:
        pass
    parent: str | None = root_node_id()
    level = "region"
    if org.kind == OrgKind.SCHOOL:
        city = next((a for a in reversed(list(Org.objects.get_ancestors(org))) if a.kind == OrgKind.PREFECTURE), None)
        if city is not None:
            parent = _node_for(city)
            level = "school"
    h.create_node(node_id, level=level, parent=parent, name=org.name)  # type: ignore[arg-type]
    return node_id


def _record_key(issuer: Issuer, version: int) -> IssuerKey:
    published = next(k for k in hierarchy().published_keys(issuer.key_node) if k.version == version)
    key, _ = IssuerKey.objects.get_or_create(
        issuer=issuer,
        alg=ALG,
        key_version=version,
        defaults={
            "kid": kid_for(issuer.uscc, version),
            "public_pem": published.public_key.to_pem().decode(),
            # whole seconds: credentials state their issue time to the second (VC dateTimeStamp)
            "valid_from": timezone.now().replace(microsecond=0),
        },
    )
    return key


@transaction.atomic
def register_issuer(*, actor: Any, org: Org, uscc: str = "") -> Issuer:
    """Register ``org`` as an issuer with its USCC (derived when blank); idempotent per org."""
    require(actor, MANAGE, path=org.path)
    existing = Issuer.objects.filter(org=org).first()
    if existing is not None:
        return existing
    uscc = (uscc or derive_uscc(org)).strip().upper()
    try:
        validate_uscc(uscc)
    except IdentifierError as exc:
        raise ValidationFailed(exc.message_zh, details=[{"field": "uscc", "reason": exc.message_zh}]) from exc
    if Issuer.objects.filter(uscc=uscc).exists():
        raise IssuerError(f"统一社会信用代码 {uscc} 已被其他发证机构使用")
    school_code = org.code if org.kind == OrgKind.SCHOOL else ""
    issuer = Issuer.objects.create(
        org=org, org_path=org.path, name=org.name, uscc=uscc, school_code=school_code, key_node=_node_for(org)
    )
    key = _record_key(issuer, hierarchy().node(issuer.key_node).sign_version)
    audit.record(
        actor=actor, action="credentials.issuer.register", obj=issuer, org=org, after={"uscc": uscc, "kid": key.kid}
    )
    return issuer


def ensure_issuer(org: Org) -> Issuer:
    """The org's issuer, registered by the system when absent (demo data, benchmarks)."""
    issuer = Issuer.objects.filter(org=org).first()
    if issuer is not None:
        return issuer
    uscc = derive_uscc(org)
    issuer = Issuer.objects.create(
        org=org,
        org_path=org.path,
        name=org.name,
        uscc=uscc,
        school_code=org.code if org.kind == OrgKind.SCHOOL else "",
        key_node=_node_for(org),
    )
    _record_key(issuer, hierarchy().node(issuer.key_node).sign_version)
    audit.record(actor="system", action="credentials.issuer.register", obj=issuer, org=org, after={"uscc": uscc})
    return issuer


def current_key(issuer: Issuer) -> IssuerKey:
    """The key new certificates of ``issuer`` are signed with (recorded if the node rotated elsewhere)."""
    version = hierarchy().node(issuer.key_node).sign_version
    key = IssuerKey.objects.filter(issuer=issuer, alg=ALG, key_version=version).first()
    return key if key is not None else _record_key(issuer, version)


def signing_key(issuer: Issuer, version: int) -> SM2PrivateKey:
    """The private key of one version (cached per process: parsing it costs more than signing)."""
    cache_key = (issuer.key_node, version)
    key = _keys.get(cache_key)
    if key is None:
        with _keys_lock:
            key = hierarchy().signing_key(issuer.key_node, version)
            _keys[cache_key] = key
    return key


@transaction.atomic
def rotate_key(*, actor: Any, issuer: Issuer) -> IssuerKey:
    """Rotate the issuer's signing key: the old key stops signing now but stays published for verifying."""
    require(actor, MANAGE, path=issuer.org_path)
    now = timezone.now()
    IssuerKey.objects.filter(issuer=issuer, alg=ALG, valid_until__isnull=True).update(valid_until=now)
    version = hierarchy().rotate_signing_key(issuer.key_node)
    key = _record_key(issuer, version)
    # this process's verifier caches keys (re-read after resolver.KEY_TTL elsewhere): the old key's
    # new ``valid_until`` must show here at once
    transaction.on_commit(_forget_cached_keys)
    audit.record(
        actor=actor, action="credentials.issuer.rotate_key", obj=issuer, org=issuer.org, after={"kid": key.kid}
    )
    return key


def _forget_cached_keys() -> None:
    from edubase.credentials import resolver  # resolver imports this module

    resolver.forget()


def key_registry(uscc: str) -> dict[str, Any]:
    """The public registry document of one issuer: every key with its validity (JWK-like, SM2 in PEM)."""
    issuer = Issuer.objects.filter(uscc=uscc).first()
    if issuer is None:
        raise NotFound("发证机构不存在")
    return {
        "id": issuer_id(issuer.uscc),
        "name": issuer.name,
        "uscc": issuer.uscc,
        "schoolCode": issuer.school_code,
        "signature": {"alg": ALG, "digest": "SM3", "sm2Id": SM2_ID},
        "keys": [
            {
                "kid": k.kid,
                "alg": k.alg,
                "publicKeyPem": k.public_pem,
                "validFrom": k.valid_from.isoformat(),
                "validUntil": k.valid_until.isoformat() if k.valid_until else None,
                "revoked": k.revoked_at.isoformat() if k.revoked_at else None,
            }
            for k in issuer.keys.order_by("key_version")
        ],
    }
