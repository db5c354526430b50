"""SM3 hash (GB/T 32905), HMAC-SM3, the SM3 key-derivation function of
GB/T 32918.4 and PBKDF2-HMAC-SM3 (RFC 8018 with SM3 as PRF)."""

from __future__ import annotations

import hmac as _hmac

from edubase.crypto.errors import ParameterError
from edubase.crypto.providers import CryptoProvider, get_provider

DIGEST_SIZE = 32
#: Minimum PBKDF2 iterations accepted for new password hashes (OWASP-style floor).
MIN_PBKDF2_ITERATIONS = 1000


def sm3(data: bytes, *, provider: CryptoProvider | None = None) -> bytes:
    """32-byte SM3 digest."""
    return (provider or get_provider()).sm3(bytes(data))


def hmac_sm3(key: bytes, data: bytes, *, provider: CryptoProvider | None = None) -> bytes:
    """HMAC-SM3 (RFC 2104); ``key`` must not be empty."""
    if not key:
        raise ParameterError(detail="HMAC 密钥不能为空")
    return (provider or get_provider()).hmac_sm3(bytes(key), bytes(data))


def hmac_sm3_verify(key: bytes, data: bytes, mac: bytes, *, provider: CryptoProvider | None = None) -> bool:
    """Constant-time check of an HMAC-SM3 value."""
    return _hmac.compare_digest(hmac_sm3(key, data, provider=provider), bytes(mac))


def sm3_kdf(z: bytes, length: int, *, provider: CryptoProvider | None = None) -> bytes:
    """KDF of GB/T 32918.4 §5.4.3: SM3(Z‖ct) for ct = 1, 2, … (32-bit big endian), truncated."""
    if length <= 0 or length > DIGEST_SIZE * 0xFFFFFFFF:
        raise ParameterError(detail="KDF 输出长度超出范围")
    p = provider or get_provider()
    out = bytearray()
    counter = 1
    while len(out) < length:
        out += p.sm3(bytes(z) + counter.to_bytes(4, "big"))
        counter += 1
    return bytes(out[:length])


def pbkdf2_sm3(
    password: bytes | str,
    salt: bytes,
    *,
    iterations: int,
    length: int = 32,
    provider: CryptoProvider | None = None,
) -> bytes:
    """PBKDF2-HMAC-SM3; salt ≥ 8 bytes, iterations ≥ 1 (callers storing passwords use ≥ MIN_PBKDF2_ITERATIONS)."""
    if iterations < 1:
        raise ParameterError(detail="PBKDF2 迭代次数必须为正整数")
    if len(salt) < 8:
        raise ParameterError(detail="PBKDF2 盐值至少 8 字节")
    if length < 1:
        raise ParameterError(detail="PBKDF2 输出长度必须为正整数")
    pw = password.encode("utf-8") if isinstance(password, str) else bytes(password)
    return (provider or get_provider()).pbkdf2_hmac_sm3(pw, bytes(salt), iterations, length)
