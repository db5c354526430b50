"""The crypto provider interface.

A provider implements the SM2/SM3/SM4 primitives. edubase ships two: ``native``
(system OpenSSL 3 libcrypto through ``hashlib``, ``cryptography`` and a ctypes
binding for SM2) used in production, and ``pure`` (pure Python) used only as an
independent test oracle. Nonce policy, padding, encodings and key formats live
above this layer (``edubase.crypto.sm2``, ``edubase.crypto.sm4``), so both providers
are held to exactly the same contract.

SM2 methods receive key objects from ``edubase.crypto.sm2``; a provider may cache
a native handle in ``key._handles[self.name]``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from edubase.crypto.sm2 import SM2PrivateKey, SM2PublicKey


class SM2CiphertextParts(NamedTuple):
    """SM2 ciphertext (GB/T 32918.4): C1 = kG as (x, y), C3 = SM3(x2‖M‖y2), C2 = M xor t."""

    c1x: int
    c1y: int
    c3: bytes
    c2: bytes


class CryptoProvider(ABC):
    """One implementation of the commercial-cryptography primitives."""

    #: short name used in settings and in ``key._handles``
    name: str = ""
    #: True when operations run in native code at production speed
    native: bool = False

    # -- SM3 (GB/T 32905) -------------------------------------------------------
    @abstractmethod
    def sm3(self, data: bytes) -> bytes:
        """Return the 32-byte SM3 digest of ``data``."""

    @abstractmethod
    def hmac_sm3(self, key: bytes, data: bytes) -> bytes:
        """Return HMAC-SM3 (RFC 2104 construction, 64-byte block) of ``data``."""

    @abstractmethod
    def pbkdf2_hmac_sm3(self, password: bytes, salt: bytes, iterations: int, dklen: int) -> bytes:
        """Return PBKDF2 (RFC 8018) with HMAC-SM3 as PRF."""

    # -- SM4 (GB/T 32907) raw modes; inputs are already validated ----------------
    @abstractmethod
    def sm4_ecb_encrypt(self, key: bytes, data: bytes) -> bytes:
        """Encrypt whole 16-byte blocks in ECB mode (no padding)."""

    @abstractmethod
    def sm4_ecb_decrypt(self, key: bytes, data: bytes) -> bytes:
        """Decrypt whole 16-byte blocks in ECB mode (no padding)."""

    @abstractmethod
    def sm4_cbc_encrypt(self, key: bytes, iv: bytes, data: bytes) -> bytes:
        """Encrypt whole 16-byte blocks in CBC mode (no padding)."""

    @abstractmethod
    def sm4_cbc_decrypt(self, key: bytes, iv: bytes, data: bytes) -> bytes:
        """Decrypt whole 16-byte blocks in CBC mode (no padding)."""

    @abstractmethod
    def sm4_ctr(self, key: bytes, counter_block: bytes, data: bytes) -> bytes:
        """Apply CTR mode keystream (128-bit big-endian counter) to ``data`` of any length."""

    @abstractmethod
    def sm4_gcm_encrypt(self, key: bytes, nonce: bytes, data: bytes, aad: bytes) -> tuple[bytes, bytes]:
        """Encrypt in GCM mode; return (ciphertext, 16-byte tag)."""

    @abstractmethod
    def sm4_gcm_decrypt(self, key: bytes, nonce: bytes, ciphertext: bytes, tag: bytes, aad: bytes) -> bytes:
        """Decrypt and authenticate in GCM mode; raise ``DecryptionError`` on any mismatch."""

    # -- SM2 (GB/T 32918) on sm2p256v1 ------------------------------------------
    @abstractmethod
    def sm2_generate(self) -> int:
        """Return a fresh private scalar d in [1, n-2] from a CSPRNG."""

    @abstractmethod
    def sm2_public_from_private(self, d: int) -> tuple[int, int]:
        """Return the public point dG as (x, y)."""

    @abstractmethod
    def sm2_sign(self, key: SM2PrivateKey, message: bytes, uid: bytes) -> tuple[int, int]:
        """Sign ``message`` (Z_A computed from ``uid`` and the public key, SM3 digest); return (r, s)."""

    @abstractmethod
    def sm2_verify(self, key: SM2PublicKey, message: bytes, uid: bytes, r: int, s: int) -> bool:
        """Return True only if (r, s) is a valid signature; never raise for a bad signature."""

    @abstractmethod
    def sm2_encrypt(self, key: SM2PublicKey, message: bytes) -> SM2CiphertextParts:
        """Encrypt ``message`` (non-empty) to the public key."""

    @abstractmethod
    def sm2_decrypt(self, key: SM2PrivateKey, parts: SM2CiphertextParts) -> bytes:
        """Decrypt; raise ``DecryptionError`` if C1 is not on the curve or C3 does not match."""
