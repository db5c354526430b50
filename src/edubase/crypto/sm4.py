"""SM4 block cipher (GB/T 32907) in ECB (test vectors only), CBC with PKCS#7
padding, CTR, and GCM (NIST SP 800-38D, RFC 8998) — the default for data at rest.

Nonce policy: GCM nonces are 96 bits from ``secrets`` and are never chosen by the
caller on the normal path. The explicit-nonce call exists for interoperability and
known-answer tests; it refuses a nonce already used with the same key object.
Tags are always 128 bits: shorter tags are refused on input.
"""

from __future__ import annotations

import secrets
import threading

from edubase.crypto.errors import DecryptionError, NonceReuseError, ParameterError
from edubase.crypto.providers import CryptoProvider, get_provider

KEY_SIZE = 16
BLOCK_SIZE = 16
GCM_NONCE_SIZE = 12
GCM_TAG_SIZE = 16
#: bytes added by ``SM4GCM.encrypt``: nonce + tag
GCM_OVERHEAD = GCM_NONCE_SIZE + GCM_TAG_SIZE


def _key(key: bytes) -> bytes:
    if len(key) != KEY_SIZE:
        raise ParameterError(detail=f"SM4 密钥必须为 16 字节，实际 {len(key)} 字节")
    return bytes(key)


def _iv(iv: bytes) -> bytes:
    if len(iv) != BLOCK_SIZE:
        raise ParameterError(detail=f"SM4 IV 必须为 16 字节，实际 {len(iv)} 字节")
    return bytes(iv)


def sm4_ecb_encrypt_blocks(key: bytes, data: bytes, *, provider: CryptoProvider | None = None) -> bytes:
    """ECB over whole blocks. Leaks equal blocks: for test vectors only, never for data."""
    if len(data) % BLOCK_SIZE:
        raise ParameterError(detail="ECB 数据长度必须是 16 的倍数")
    return (provider or get_provider()).sm4_ecb_encrypt(_key(key), bytes(data))


def sm4_ecb_decrypt_blocks(key: bytes, data: bytes, *, provider: CryptoProvider | None = None) -> bytes:
    """ECB decryption over whole blocks (test vectors only)."""
    if len(data) % BLOCK_SIZE:
        raise ParameterError(detail="ECB 数据长度必须是 16 的倍数")
    return (provider or get_provider()).sm4_ecb_decrypt(_key(key), bytes(data))


def _pad(data: bytes) -> bytes:
    n = BLOCK_SIZE - len(data) % BLOCK_SIZE
    return data + bytes([n]) * n


def _unpad(data: bytes) -> bytes:
    if not data or len(data) % BLOCK_SIZE:
        raise DecryptionError(detail="CBC 密文长度错误")
    n = data[-1]
    if not 1 <= n <= BLOCK_SIZE or data[-n:] != bytes([n]) * n:
        raise DecryptionError(detail="CBC 填充错误")
    return data[:-n]


def sm4_cbc_encrypt(
    key: bytes, plaintext: bytes, *, iv: bytes | None = None, provider: CryptoProvider | None = None
) -> bytes:
    """CBC with PKCS#7 padding; returns IV‖ciphertext (random IV unless given)."""
    iv = _iv(iv) if iv is not None else secrets.token_bytes(BLOCK_SIZE)
    return iv + (provider or get_provider()).sm4_cbc_encrypt(_key(key), iv, _pad(bytes(plaintext)))


def sm4_cbc_decrypt(key: bytes, data: bytes, *, provider: CryptoProvider | None = None) -> bytes:
    """Inverse of ``sm4_cbc_encrypt`` (unauthenticated: prefer GCM for new data)."""
    if len(data) < 2 * BLOCK_SIZE or len(data) % BLOCK_SIZE:
        raise DecryptionError(detail="CBC 密文长度错误")
    plain = (provider or get_provider()).sm4_cbc_decrypt(_key(key), data[:BLOCK_SIZE], bytes(data[BLOCK_SIZE:]))
    return _unpad(plain)


def sm4_ctr(key: bytes, counter_block: bytes, data: bytes, *, provider: CryptoProvider | None = None) -> bytes:
    """CTR keystream XOR (encrypts and decrypts); the caller owns counter uniqueness."""
    return (provider or get_provider()).sm4_ctr(_key(key), _iv(counter_block), bytes(data))


class SM4GCM:
    """Authenticated encryption with SM4-GCM under one key.

    ``encrypt`` returns nonce(12)‖ciphertext‖tag(16); ``decrypt`` takes the same.
    """

    __slots__ = ("_key", "_lock", "_provider", "_used")

    def __init__(self, key: bytes, *, provider: CryptoProvider | None = None) -> None:
        self._key = _key(key)
        self._provider = provider or get_provider()
        self._used: set[bytes] = set()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "<SM4GCM key=***>"

    def encrypt(self, plaintext: bytes, aad: bytes = b"") -> bytes:
        """Encrypt with a fresh random 96-bit nonce."""
        nonce = secrets.token_bytes(GCM_NONCE_SIZE)
        ct, tag = self._provider.sm4_gcm_encrypt(self._key, nonce, plaintext, aad)
        return nonce + ct + tag

    def encrypt_with_nonce(self, nonce: bytes, plaintext: bytes, aad: bytes = b"") -> tuple[bytes, bytes]:
        """Encrypt with a caller-chosen nonce (interop/vectors); refuses reuse under this key object."""
        if not 1 <= len(nonce) <= 128:
            raise ParameterError(detail="GCM nonce 长度不合法")
        with self._lock:
            if nonce in self._used:
                raise NonceReuseError()
            self._used.add(bytes(nonce))
        return self._provider.sm4_gcm_encrypt(self._key, bytes(nonce), bytes(plaintext), bytes(aad))

    def decrypt(self, data: bytes, aad: bytes = b"") -> bytes:
        """Decrypt nonce‖ciphertext‖tag; raise ``DecryptionError`` if anything was altered."""
        if len(data) < GCM_OVERHEAD:
            raise DecryptionError(detail="密文过短")
        nonce, ct, tag = data[:GCM_NONCE_SIZE], data[GCM_NONCE_SIZE:-GCM_TAG_SIZE], data[-GCM_TAG_SIZE:]
        return self._provider.sm4_gcm_decrypt(self._key, nonce, ct, tag, aad)

    def decrypt_parts(self, nonce: bytes, ciphertext: bytes, tag: bytes, aad: bytes = b"") -> bytes:
        """Decrypt separately-held parts; tags shorter than 128 bits are refused."""
        if len(tag) != GCM_TAG_SIZE:
            raise ParameterError(detail=f"GCM 认证标签必须为 16 字节，实际 {len(tag)} 字节")
        return self._provider.sm4_gcm_decrypt(self._key, bytes(nonce), bytes(ciphertext), bytes(tag), bytes(aad))


def generate_sm4_key() -> bytes:
    """A fresh 128-bit key from ``secrets``."""
    return secrets.token_bytes(KEY_SIZE)
