"""SM2 public-key cryptography (GB/T 32918): keys, signatures, encryption.

Signatures hash Z_A‖M with SM3, where Z_A binds the signer's distinguishing ID
(default ``1234567812345678``, GM/T 0009) and public key; the ID must be the same
on both sides. Signatures are DER by default (what OpenSSL and X.509 use) or raw
r‖s (64 bytes) on request. Ciphertexts are C1‖C3‖C2 (GB/T 32918-2016) by default;
the legacy C1‖C2‖C3 order and the GM/T 0009 ASN.1 form are explicit options.
"""

from __future__ import annotations

from typing import Any, Literal

from edubase.crypto import encoding
from edubase.crypto.curves import DEFAULT_SM2_ID, SM2P256V1
from edubase.crypto.errors import InvalidKey, InvalidSignature, KeyFormatError, ParameterError
from edubase.crypto.providers import CryptoProvider, SM2CiphertextParts, get_provider

SignatureEncoding = Literal["der", "raw"]
CiphertextEncoding = Literal["c1c3c2", "c1c2c3", "asn1"]

_C = SM2P256V1


def _uid(uid: bytes | str) -> bytes:
    value = uid.encode("utf-8") if isinstance(uid, str) else bytes(uid)
    if not value or len(value) > 8191:
        raise ParameterError(detail="区分标识 ID 长度必须在 1 到 8191 字节之间")
    return value


def _on_curve(x: int, y: int) -> bool:
    return 0 <= x < _C.p and 0 <= y < _C.p and (y * y - (x * x * x + _C.a * x + _C.b)) % _C.p == 0


class SM2PublicKey:
    """An SM2 public key (point on sm2p256v1)."""

    __slots__ = ("_handles", "x", "y")

    def __init__(self, x: int, y: int) -> None:
        if not _on_curve(x, y):
            raise InvalidKey(detail="公钥点不在 SM2 曲线上")
        self.x = x
        self.y = y
        self._handles: dict[str, Any] = {}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SM2PublicKey) and (self.x, self.y) == (other.x, other.y)

    def __hash__(self) -> int:
        return hash((self.x, self.y))

    def __repr__(self) -> str:
        return f"<SM2PublicKey {self.fingerprint()[:16]}>"

    # -- encodings --
    def to_bytes(self) -> bytes:
        """Uncompressed point 04‖x‖y (65 bytes)."""
        return b"\x04" + self.x.to_bytes(32, "big") + self.y.to_bytes(32, "big")

    @classmethod
    def from_bytes(cls, data: bytes) -> SM2PublicKey:
        """Parse an uncompressed point."""
        return cls(*encoding.parse_point(data))

    def to_der(self) -> bytes:
        """SubjectPublicKeyInfo DER."""
        return encoding.public_key_to_der(self.x, self.y)

    def to_pem(self) -> bytes:
        """SubjectPublicKeyInfo PEM (``PUBLIC KEY``), readable by ``openssl pkey -pubin``."""
        return encoding.pem_encode("PUBLIC KEY", self.to_der())

    @classmethod
    def from_der(cls, der: bytes) -> SM2PublicKey:
        """Parse SubjectPublicKeyInfo DER."""
        return cls(*encoding.public_key_from_der(der))

    @classmethod
    def from_pem(cls, pem: bytes | str) -> SM2PublicKey:
        """Parse a ``PUBLIC KEY`` PEM block (a private key PEM yields its public key)."""
        raw = pem.encode() if isinstance(pem, str) else pem
        label, der = encoding.pem_decode(raw)
        if label == "PUBLIC KEY":
            return cls.from_der(der)
        if label in ("PRIVATE KEY", "EC PRIVATE KEY"):
            return SM2PrivateKey.from_der(der).public_key()
        raise KeyFormatError(detail=f"PEM 类型 {label} 不是 SM2 公钥")

    def fingerprint(self) -> str:
        """SM3 of the SubjectPublicKeyInfo DER, hex (stable key identifier)."""
        from edubase.crypto.sm3 import sm3

        return sm3(self.to_der()).hex()

    # -- operations --
    def verify(
        self,
        message: bytes,
        signature: bytes,
        *,
        uid: bytes | str = DEFAULT_SM2_ID,
        fmt: SignatureEncoding = "der",
        provider: CryptoProvider | None = None,
    ) -> None:
        """Verify ``signature`` over ``message``; raise ``InvalidSignature`` if it does not hold."""
        if fmt == "der":
            r, s = encoding.signature_from_der(signature)
        elif fmt == "raw":
            r, s = encoding.signature_from_raw(signature)
        else:
            raise ParameterError(detail=f"未知的签名编码 {fmt!r}")
        if not (provider or get_provider()).sm2_verify(self, bytes(message), _uid(uid), r, s):
            raise InvalidSignature()

    def encrypt(
        self,
        message: bytes,
        *,
        order: CiphertextEncoding = "c1c3c2",
        provider: CryptoProvider | None = None,
    ) -> bytes:
        """Encrypt to this key; output C1‖C3‖C2 unless another order is asked for."""
        if not message:
            raise ParameterError(detail="SM2 加密的明文不能为空")
        parts = (provider or get_provider()).sm2_encrypt(self, bytes(message))
        if order == "asn1":
            return encoding.ciphertext_to_der(*parts)
        return encoding.ciphertext_to_bytes(*parts, order=order)


class SM2PrivateKey:
    """An SM2 private key. Its scalar never appears in ``repr`` or logs."""

    __slots__ = ("_handles", "_public", "d")

    def __init__(self, d: int, public: SM2PublicKey | None = None, *, provider: CryptoProvider | None = None) -> None:
        if not 1 <= d <= _C.n - 2:
            raise InvalidKey(detail="私钥 d 必须在 [1, n-2] 之间")
        self.d = d
        if public is None:
            public = SM2PublicKey(*(provider or get_provider()).sm2_public_from_private(d))
        self._public = public
        self._handles: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"<SM2PrivateKey for {self._public.fingerprint()[:16]}>"

    def __reduce__(self) -> Any:
        raise TypeError("SM2PrivateKey cannot be pickled")

    @classmethod
    def generate(cls, *, provider: CryptoProvider | None = None) -> SM2PrivateKey:
        """A fresh key from the provider's CSPRNG."""
        p = provider or get_provider()
        return cls(p.sm2_generate(), provider=p)

    def public_key(self) -> SM2PublicKey:
        """The matching public key."""
        return self._public

    def private_bytes(self) -> bytes:
        """The raw 32-byte scalar; for key stores only."""
        return self.d.to_bytes(32, "big")

    @classmethod
    def from_bytes(cls, data: bytes, *, provider: CryptoProvider | None = None) -> SM2PrivateKey:
        """Load from a raw 32-byte scalar."""
        if len(data) != 32:
            raise KeyFormatError(detail="SM2 私钥应为 32 字节")
        return cls(int.from_bytes(data, "big"), provider=provider)

    def to_der(self) -> bytes:
        """Unencrypted PKCS#8 DER."""
        return encoding.private_key_to_der(self.d, self._public.x, self._public.y)

    def to_pem(self) -> bytes:
        """Unencrypted PKCS#8 PEM (``PRIVATE KEY``), as ``openssl genpkey`` writes."""
        return encoding.pem_encode("PRIVATE KEY", self.to_der())

    @classmethod
    def from_der(cls, der: bytes, *, provider: CryptoProvider | None = None) -> SM2PrivateKey:
        """Load PKCS#8 or SEC1 DER; a public key inside must match the scalar."""
        d, point = encoding.private_key_from_der(der)
        key = cls(d, provider=provider)
        if point is not None and point != (key._public.x, key._public.y):
            raise KeyFormatError(detail="私钥文件中的公钥与私钥不匹配")
        return key

    @classmethod
    def from_pem(cls, pem: bytes | str, *, provider: CryptoProvider | None = None) -> SM2PrivateKey:
        """Load a ``PRIVATE KEY`` (PKCS#8) or ``EC PRIVATE KEY`` (SEC1) PEM block."""
        raw = pem.encode() if isinstance(pem, str) else pem
        label, der = encoding.pem_decode(raw)
        if label not in ("PRIVATE KEY", "EC PRIVATE KEY"):
            raise KeyFormatError(detail=f"PEM 类型 {label} 不是未加密的 SM2 私钥")
        return cls.from_der(der, provider=provider)

    def sign(
        self,
        message: bytes,
        *,
        uid: bytes | str = DEFAULT_SM2_ID,
        fmt: SignatureEncoding = "der",
        provider: CryptoProvider | None = None,
    ) -> bytes:
        """Sign ``message``; DER by default, raw r‖s on request."""
        r, s = (provider or get_provider()).sm2_sign(self, bytes(message), _uid(uid))
        if fmt == "der":
            return encoding.signature_to_der(r, s)
        if fmt == "raw":
            return encoding.signature_to_raw(r, s)
        raise ParameterError(detail=f"未知的签名编码 {fmt!r}")

    def decrypt(
        self,
        ciphertext: bytes,
        *,
        order: CiphertextEncoding = "c1c3c2",
        provider: CryptoProvider | None = None,
    ) -> bytes:
        """Decrypt; raise ``DecryptionError`` if the ciphertext was altered or is not for this key."""
        if order == "asn1":
            parts = SM2CiphertextParts(*encoding.ciphertext_from_der(bytes(ciphertext)))
        else:
            parts = SM2CiphertextParts(*encoding.ciphertext_from_bytes(bytes(ciphertext), order=order))
        return (provider or get_provider()).sm2_decrypt(self, parts)
