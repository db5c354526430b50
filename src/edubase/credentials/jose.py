"""Compact JWS (RFC 7515) for e-certificates, with SM2 as first algorithm.

Algorithms (an allow-list; everything else, ``none`` included, is refused before any key is used):

- ``SM2``: SM2 signature with SM3 (GB/T 32918, GM/T 0009), distinguishing ID ``1234567812345678``,
  signature encoded as raw r‖s (64 bytes, like ES256). Not an IANA-registered JOSE name: the issuer
  metadata states it.
- ``ES256``: ECDSA P-256 with SHA-256 (RFC 7518 §3.4), r‖s, through ``cryptography``.
- ``EdDSA``: Ed25519 (RFC 8037), through ``cryptography``.

The header is ``{"alg", "kid", "typ": "vc+jwt", "cty": "vc"}`` as VC-JOSE-COSE asks. Parsing is
strict: base64url without padding, JSON objects without duplicate member names (two readers must
never see different claims), no ``crit`` or ``b64`` (unencoded payloads) header, bounded size.
No Django here.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from cryptography.exceptions import InvalidSignature as _CryptographyInvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from edubase.crypto.curves import DEFAULT_SM2_ID
from edubase.crypto.errors import CryptoError
from edubase.crypto.sm2 import SM2PrivateKey, SM2PublicKey

ALLOWED_ALGS: tuple[str, ...] = ("SM2", "ES256", "EdDSA")
SM2_UID = DEFAULT_SM2_ID.decode("ascii")
DEFAULT_MAX_BYTES = 262144

_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")
_SIGNATURE_LENGTH = {"SM2": 64, "ES256": 64, "EdDSA": 64}


class JoseError(ValueError):
    """A JWS is malformed, uses a refused algorithm, or a key does not fit the algorithm."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh} ({message_en})")


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url without padding; raise ``JoseError`` on anything else."""
    if not _B64URL.match(text) or len(text) % 4 == 1:
        raise JoseError("bad_base64", "JWS 片段不是合法的 base64url 编码", "JWS segment is not valid base64url")
    try:
        decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise JoseError(
            "bad_base64", "JWS 片段不是合法的 base64url 编码", "JWS segment is not valid base64url"
        ) from exc
    # Non-canonical trailing bits would let two texts carry one signature: refuse them.
    if b64url_encode(decoded) != text:
        raise JoseError("bad_base64", "JWS 片段的 base64url 编码不规范", "JWS segment has non-canonical base64url")
    return decoded


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise JoseError("duplicate_member", f"JSON 中成员 {key!r} 重复", f"JSON member {key!r} appears twice")
        result[key] = value
    return result


def strict_json_loads(data: bytes | str) -> Any:
    """``json.loads`` refusing duplicate member names, NaN/Infinity and absurd nesting."""

    def _bad_constant(name: str) -> Any:
        raise JoseError("bad_json", f"JSON 含非法常量 {name}", f"JSON contains the invalid constant {name}")

    try:
        return json.loads(data, object_pairs_hook=_no_duplicates, parse_constant=_bad_constant)
    except JoseError:
        raise
    except (ValueError, RecursionError, UnicodeDecodeError) as exc:
        raise JoseError("bad_json", "不是合法的 JSON", "not valid JSON") from exc


def canonical_json(payload: dict[str, Any]) -> bytes:
    """The JSON bytes that get signed: UTF-8, no spaces, members in the given order."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _check_alg(alg: object) -> str:
    if not isinstance(alg, str):
        raise JoseError("bad_header", "JWS 头部缺少 alg", "JWS header lacks alg")
    if alg.lower() == "none":
        raise JoseError("alg_none", "拒绝未签名的 JWS（alg 为 none）", "unsigned JWS refused (alg is none)")
    if alg not in ALLOWED_ALGS:
        raise JoseError(
            "alg_not_allowed",
            f"不接受的签名算法 {alg!r}（只接受 {'、'.join(ALLOWED_ALGS)}）",
            f"signature algorithm {alg!r} is not accepted (only {', '.join(ALLOWED_ALGS)})",
        )
    return alg


def sign_bytes(alg: str, key: object, signing_input: bytes) -> bytes:
    """Raw signature (r‖s for SM2/ES256) of ``signing_input``; the algorithm must be allowed."""
    _check_alg(alg)
    if alg == "SM2":
        if not isinstance(key, SM2PrivateKey):
            raise JoseError("key_mismatch", "SM2 签名需要 SM2 私钥", "SM2 signing needs an SM2 private key")
        return key.sign(signing_input, uid=SM2_UID, fmt="raw")
    if alg == "ES256":
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
            raise JoseError("key_mismatch", "ES256 签名需要 P-256 私钥", "ES256 signing needs a P-256 private key")
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    if alg == "EdDSA":
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            raise JoseError("key_mismatch", "EdDSA 签名需要 Ed25519 私钥", "EdDSA signing needs an Ed25519 private key")
        return key.sign(signing_input)
    raise AssertionError(alg)  # _check_alg ran first


def sign_compact(
    payload: dict[str, Any],
    *,
    alg: str,
    key: object,
    kid: str,
    typ: str = "vc+jwt",
    cty: str | None = "vc",
) -> str:
    """Sign ``payload`` (a JSON object) and return the compact serialization ``h.p.s``."""
    _check_alg(alg)
    if not isinstance(kid, str) or not kid:
        raise JoseError("bad_header", "JWS 头部必须带 kid", "JWS header must carry a kid")
    header: dict[str, Any] = {"alg": alg, "kid": kid, "typ": typ}
    if cty is not None:
        header["cty"] = cty
    signing_input = f"{b64url_encode(canonical_json(header))}.{b64url_encode(canonical_json(payload))}".encode("ascii")
    return f"{signing_input.decode('ascii')}.{b64url_encode(sign_bytes(alg, key, signing_input))}"


def parse_compact(
    token: str | bytes, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """Split and decode a compact JWS without checking its signature.

    Returns ``(header, payload, signing_input, signature)``. Raises ``JoseError`` (``oversized``,
    ``not_jws``, ``bad_base64``, ``bad_json``, ``duplicate_member``, ``bad_header``, ``alg_none``,
    ``alg_not_allowed``, ``crit_unsupported``, ``bad_payload``).
    """
    if isinstance(token, bytes):
        if len(token) > max_bytes:
            raise _oversized(max_bytes)
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError as exc:
            raise JoseError("not_jws", "不是紧凑格式的 JWS", "not a compact JWS") from exc
    if not isinstance(token, str):
        raise JoseError("not_jws", "不是紧凑格式的 JWS", "not a compact JWS")
    if len(token) > max_bytes:
        raise _oversized(max_bytes)
    token = token.strip()
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise JoseError("not_jws", "不是紧凑格式的 JWS（应为三段）", "not a compact JWS (three segments expected)")
    header = strict_json_loads(b64url_decode(parts[0]))
    if not isinstance(header, dict):
        raise JoseError("bad_header", "JWS 头部不是 JSON 对象", "JWS header is not a JSON object")
    _check_alg(header.get("alg"))
    if "crit" in header:
        raise JoseError("crit_unsupported", "不支持带 crit 的 JWS 头部", "JWS header with crit is not supported")
    if "b64" in header:
        raise JoseError("crit_unsupported", "不支持未编码载荷（b64）", "unencoded payload (b64) is not supported")
    if "kid" in header and (not isinstance(header["kid"], str) or not header["kid"]):
        raise JoseError("bad_header", "JWS 头部 kid 无效", "JWS header kid is invalid")
    payload = strict_json_loads(b64url_decode(parts[1]))
    if not isinstance(payload, dict):
        raise JoseError("bad_payload", "JWS 载荷不是 JSON 对象", "JWS payload is not a JSON object")
    signature = b64url_decode(parts[2])
    return header, payload, f"{parts[0]}.{parts[1]}".encode("ascii"), signature


def _oversized(max_bytes: int) -> JoseError:
    return JoseError("oversized", f"输入过大（上限 {max_bytes} 字节）", f"input too large (limit {max_bytes} bytes)")


def _public(key: object) -> object:
    if isinstance(key, SM2PrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        return key.public_key()
    return key


def key_matches_alg(alg: str, key: object) -> bool:
    """Whether ``key`` (public or private) is of the kind ``alg`` needs."""
    key = _public(key)
    if alg == "SM2":
        return isinstance(key, SM2PublicKey)
    if alg == "ES256":
        return isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1)
    if alg == "EdDSA":
        return isinstance(key, ed25519.Ed25519PublicKey)
    return False


def verify_signature(*, alg: str, key: object, signing_input: bytes, signature: bytes) -> bool:
    """Whether ``signature`` over ``signing_input`` holds for ``key`` under ``alg``.

    Raises ``JoseError`` for a refused algorithm (``alg_none``, ``alg_not_allowed``) or a key of
    another kind (``key_mismatch``); a wrong or malformed signature returns ``False``.
    """
    _check_alg(alg)
    if not key_matches_alg(alg, key):
        raise JoseError(
            "key_mismatch",
            f"签名算法 {alg} 与签发密钥类型不符",
            f"signature algorithm {alg} does not match the issuer key type",
        )
    if len(signature) != _SIGNATURE_LENGTH[alg]:
        return False
    public = _public(key)
    try:
        if alg == "SM2":
            assert isinstance(public, SM2PublicKey)
            public.verify(signing_input, signature, uid=SM2_UID, fmt="raw")
        elif alg == "ES256":
            assert isinstance(public, ec.EllipticCurvePublicKey)
            der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
            public.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
        else:
            assert isinstance(public, ed25519.Ed25519PublicKey)
            public.verify(signature, signing_input)
    except (CryptoError, _CryptographyInvalidSignature, ValueError):
        return False
    return True


def public_key_bytes(key: object) -> bytes:
    """A stable byte form of a public key (for caches and fingerprints)."""
    from cryptography.hazmat.primitives import serialization

    public = _public(key)
    if isinstance(public, SM2PublicKey):
        return public.to_bytes()
    if isinstance(public, ec.EllipticCurvePublicKey):
        return public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    if isinstance(public, ed25519.Ed25519PublicKey):
        return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    raise JoseError("key_mismatch", "不支持的密钥类型", "unsupported key type")
