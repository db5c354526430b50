"""PBKDF2-HMAC-SM3 password hasher (the default: GB/T 39786 asks for SM3-based password storage)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth.hashers import PBKDF2PasswordHasher


def _sm3() -> Any:
    return hashlib.new("sm3")


class PBKDF2SM3PasswordHasher(PBKDF2PasswordHasher):
    """Django's PBKDF2 hasher with HMAC-SM3 as PRF; stored as ``pbkdf2_sm3$iterations$salt$hash``."""

    algorithm = "pbkdf2_sm3"
    iterations = 600_000
    digest = staticmethod(_sm3)
