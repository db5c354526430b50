"""Errors raised by edubase.crypto.

Every failure of a cryptographic operation surfaces as a ``CryptoError``
subclass with a Chinese message for users and an English ``code`` for logs;
callers never see a bare ``ValueError`` from a backend, nor a silent ``False``.
"""

from __future__ import annotations


class CryptoError(Exception):
    """Base class of every error raised by edubase.crypto."""

    code = "crypto_error"
    message = "密码运算失败"

    def __init__(self, message: str | None = None, *, detail: str = "") -> None:
        self.message = message or type(self).message
        self.detail = detail
        super().__init__(self.message if not detail else f"{self.message}（{detail}）")


class InvalidSignature(CryptoError):
    """The signature does not verify for this key, message and distinguishing ID."""

    code = "invalid_signature"
    message = "签名验证失败"


class MalformedSignature(InvalidSignature):
    """The signature bytes are not a valid DER or raw r‖s encoding."""

    code = "malformed_signature"
    message = "签名格式错误"


class DecryptionError(CryptoError):
    """Ciphertext, tag or associated data failed authentication or parsing."""

    code = "decryption_failed"
    message = "解密失败：密文或附加数据已被篡改，或密钥不匹配"


class InvalidKey(CryptoError):
    """Key material is malformed, of the wrong type or out of range."""

    code = "invalid_key"
    message = "密钥无效"


class KeyFormatError(InvalidKey):
    """PEM/DER key encoding could not be parsed or is not an SM2 key."""

    code = "key_format"
    message = "密钥文件格式错误或不是 SM2 密钥"


class ParameterError(CryptoError):
    """An argument (length of a nonce, tag, IV, block size…) is not acceptable."""

    code = "bad_parameter"
    message = "密码参数错误"


class NonceReuseError(ParameterError):
    """A GCM nonce was presented twice under the same key."""

    code = "nonce_reuse"
    message = "同一密钥下重复使用了 GCM 随机数（nonce），已拒绝"


class ProviderUnavailable(CryptoError):
    """The requested crypto provider cannot be loaded on this machine."""

    code = "provider_unavailable"
    message = "密码服务提供者不可用"


class KeyNotFound(CryptoError):
    """No key with this identifier or version exists in the key store."""

    code = "key_not_found"
    message = "找不到指定的密钥"
