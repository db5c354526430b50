"""The verifier's resolver backed by the database: issuer keys by kid, signed status lists by URL.

Keys are cached per process (a key row never changes except ``valid_until``/``revoked_at``, which
are re-read after ``KEY_TTL`` seconds); status lists are read fresh each time (file, else row), so a
revocation shows on the very next verification.
"""

from __future__ import annotations

import time

from edubase.credentials import issuers, status_publish
from edubase.credentials.models import IssuerKey as IssuerKeyRow
from edubase.credentials.verify import IssuerKey
from edubase.crypto.sm2 import SM2PublicKey

KEY_TTL = 60.0

_cache: dict[str, tuple[float, IssuerKey | None]] = {}


def _load(kid: str) -> IssuerKey | None:
    row = IssuerKeyRow.objects.select_related("issuer").filter(kid=kid).first()
    if row is None:
        return None
    return IssuerKey(
        kid=row.kid,
        issuer_id=issuers.issuer_id(row.issuer.uscc),
        issuer_code=row.issuer.uscc,
        alg=row.alg,
        public_key=SM2PublicKey.from_pem(row.public_pem),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        revoked_at=row.revoked_at,
        issuer_name=row.issuer.name,
    )


class DatabaseResolver:
    """``verify.Resolver`` over ``IssuerKey`` rows and the published status lists."""

    def __init__(self, *, cache: bool = True) -> None:
        self.cache = cache

    def issuer_key(self, kid: str) -> IssuerKey | None:
        if not isinstance(kid, str) or len(kid) > 255:
            return None
        if self.cache:
            hit = _cache.get(kid)
            if hit is not None and time.monotonic() - hit[0] < KEY_TTL and hit[1] is not None:
                return hit[1]
        key = _load(kid)
        if self.cache and key is not None:
            _cache[kid] = (time.monotonic(), key)
        return key

    def status_list(self, url: str) -> str | None:
        list_id = status_publish.list_id_from_url(url) if isinstance(url, str) else None
        return status_publish.signed_list(list_id) if list_id is not None else None


def forget() -> None:
    """Drop cached keys (tests, after a key is marked revoked)."""
    _cache.clear()
