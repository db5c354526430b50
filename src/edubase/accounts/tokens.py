"""Personal API tokens: ``eb_<prefix>_<secret>``; only an HMAC-SM3 digest is stored."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime

from django.utils import timezone

from edubase.accounts.models import ApiToken, User
from edubase.crypto.keyring import blind_index_key
from edubase.crypto.sm3 import hmac_sm3

_PURPOSE = "accounts.apitoken"


def _digest(token: str) -> str:
    return hmac_sm3(blind_index_key(_PURPOSE), token.encode()).hex()


def new_token_value() -> tuple[str, str]:
    """(prefix, full token) for a new token; the full value is shown once and never stored."""
    prefix = secrets.token_hex(4)
    return prefix, f"eb_{prefix}_{secrets.token_urlsafe(32)}"


def token_digest(token: str) -> str:
    """The stored form of a token value."""
    return _digest(token)


def authenticate_token(token: str, *, now: datetime | None = None) -> User | None:
    """The user behind a valid, unrevoked, unexpired token, narrowed to the token's permissions."""
    parts = token.split("_", 2)  # the secret itself may contain "_"
    if len(parts) != 3 or parts[0] != "eb":
        return None
    row = ApiToken.objects.select_related("user").filter(prefix=parts[1]).first()
    now = now or timezone.now()
    if row is None or not hmac.compare_digest(row.digest, _digest(token)):
        return None
    if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return None
    if not row.user.is_active:
        return None
    ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    user = row.user
    user.token_permissions = frozenset(row.permissions)
    return user
