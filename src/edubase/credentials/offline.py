"""Offline QR payload (离线二维码): a compact signed summary verifiable without network.

Text: ``EBC1:`` + base45 (RFC 9285; the QR alphanumeric alphabet, so the QR stays small) of::

    alg (1 byte: 1 = SM2, 2 = ES256, 3 = EdDSA) ‖ len(kid) (1 byte) ‖ kid (UTF-8)
    ‖ zlib(claims JSON, short keys) ‖ signature (64 bytes, r‖s)

The signature covers ``b"EBC1"`` ‖ everything before it, with the same algorithms and SM2 ID as
the JWS. Claims (short keys keep the QR small; :func:`claims_from_credential` builds them):

- ``id``  GB/T 36904 identifier (required)      - ``iss`` issuer id (required)
- ``iat`` issue time, epoch seconds (required)    - ``nbf`` valid from, epoch seconds (required)
- ``exp`` valid until, epoch seconds (optional)  - ``t``   certificate type name (e.g. 毕业证书)
- ``in``  issuer name                             - ``hn``  holder name
- ``hm``  holder's masked identifier              - ``f``   a few display fields {label: value}
- ``dg``  first 16 hex of the full JWS's SM3 digest (links to the online certificate)

Revocation cannot be checked offline: the report says so (status check skipped).
"""

from __future__ import annotations

import logging
import zlib
from datetime import UTC, datetime
from typing import Any

from edubase.credentials import messages
from edubase.credentials.identifiers import IdentifierError, parse_identifier
from edubase.credentials.jose import JoseError, canonical_json, sign_bytes, strict_json_loads
from edubase.credentials.vc import credential_digest, issued_at_of, issuer_of, parse_iso
from edubase.credentials.verify import (
    OFFLINE_PREFIX,
    Report,
    Resolver,
    _Failure,
    _now,
    _Run,
    check_key,
    check_signature,
    check_validity,
    internal_error_report,
)

log = logging.getLogger(__name__)

PREFIX = OFFLINE_PREFIX
MAX_TEXT = 4096
MAX_CLAIMS_BYTES = 8192
_ALG_CODES = {"SM2": 1, "ES256": 2, "EdDSA": 3}
_ALG_NAMES = {v: k for k, v in _ALG_CODES.items()}
_REQUIRED = ("id", "iss", "iat", "nbf")

BASE45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_BASE45_VALUE = {c: i for i, c in enumerate(BASE45_ALPHABET)}


class OfflineError(ValueError):
    """An offline payload cannot be built or decoded."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh} ({message_en})")


def b45encode(data: bytes) -> str:
    """Base45 (RFC 9285)."""
    out: list[str] = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        c, n = n % 45, n // 45
        d, e = n % 45, n // 45
        out += (BASE45_ALPHABET[c], BASE45_ALPHABET[d], BASE45_ALPHABET[e])
    if len(data) % 2:
        c, d = data[-1] % 45, data[-1] // 45
        out += (BASE45_ALPHABET[c], BASE45_ALPHABET[d])
    return "".join(out)


def b45decode(text: str) -> bytes:
    """Base45 (RFC 9285); raise ``OfflineError`` on characters or groups outside the encoding."""
    bad = OfflineError("bad_base45", "离线二维码内容不是合法的 base45 编码", "offline QR content is not valid base45")
    try:
        values = [_BASE45_VALUE[c] for c in text]
    except KeyError:
        raise bad from None
    if len(values) % 3 == 1:
        raise bad
    out = bytearray()
    for i in range(0, len(values), 3):
        group = values[i : i + 3]
        if len(group) == 3:
            n = group[0] + group[1] * 45 + group[2] * 2025
            if n > 0xFFFF:
                raise bad
            out += n.to_bytes(2, "big")
        else:
            n = group[0] + group[1] * 45
            if n > 0xFF:
                raise bad
            out.append(n)
    return bytes(out)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def claims_from_credential(
    credential: dict[str, Any], *, jws: str | None = None, fields: dict[str, str] | None = None
) -> dict[str, Any]:
    """Offline claims for a credential document (``vc.build_credential``'s output).

    ``fields`` are a few short display lines (e.g. ``{"专业": "软件工程", "学位": "工学学士"}``);
    keep them short: the QR must stay < 600 characters.
    """
    meta = credential.get("certificateMetadata") or {}
    subject = credential.get("credentialSubject") or {}
    holder = subject.get("holder") or {}
    issuer = credential.get("issuer")
    types = [t for t in credential.get("type", []) if t != "VerifiableCredential"]
    claims: dict[str, Any] = {
        "id": credential["certificateIdentifier"],
        "iss": issuer_of(credential),
        "iat": _epoch(issued_at_of(credential)),
        "nbf": _epoch(parse_iso(credential["validFrom"])),
    }
    if credential.get("validUntil"):
        claims["exp"] = _epoch(parse_iso(credential["validUntil"]))
    claims["t"] = meta.get("typeName") or (types[0] if types else "")
    if isinstance(issuer, dict) and issuer.get("name"):
        claims["in"] = issuer["name"]
    if holder.get("name"):
        claims["hn"] = holder["name"]
    if holder.get("idMasked"):
        claims["hm"] = holder["idMasked"]
    if fields:
        claims["f"] = dict(fields)
    if jws:
        claims["dg"] = credential_digest(jws)[:16]
    return claims


def encode_offline(*, claims: dict[str, Any], key: object, kid: str, alg: str = "SM2") -> str:
    """The ``EBC1:`` text for an offline QR code, signed with ``key`` (SM2 by default)."""
    missing = [k for k in _REQUIRED if k not in claims]
    if missing:
        raise OfflineError("missing_claims", f"离线载荷缺少字段 {missing}", f"offline payload lacks claims {missing}")
    kid_bytes = kid.encode("utf-8")
    if not kid_bytes or len(kid_bytes) > 64:
        raise OfflineError("bad_kid", "密钥标识长度应为 1 到 64 字节", "key id must be 1 to 64 bytes")
    if alg not in _ALG_CODES:
        raise OfflineError("alg_not_allowed", f"不接受的签名算法 {alg!r}", f"signature algorithm {alg!r} not accepted")
    body = bytes([_ALG_CODES[alg], len(kid_bytes)]) + kid_bytes + zlib.compress(canonical_json(claims), 9)
    signature = sign_bytes(alg, key, PREFIX[:-1].encode("ascii") + body)
    return PREFIX + b45encode(body + signature)


def _decode(text: str) -> tuple[str, str, dict[str, Any], bytes, bytes]:
    """(alg, kid, claims, signed bytes, signature) or ``_Failure``."""
    if len(text) > MAX_TEXT:
        raise _Failure(
            "oversized",
            f"离线二维码内容过大（上限 {MAX_TEXT} 字符）",
            f"offline QR content too large (limit {MAX_TEXT})",
        )
    if not text.startswith(PREFIX):
        raise _Failure(
            "unknown_format",
            "不是离线核验二维码（应以 EBC1: 开头）",
            "not an offline QR payload (must start with EBC1:)",
        )
    try:
        raw = b45decode(text[len(PREFIX) :])
    except OfflineError as exc:
        raise _Failure(exc.code, exc.message_zh, exc.message_en) from exc
    if len(raw) < 2 + 1 + 64:
        raise _Failure("truncated", "离线二维码内容不完整", "offline QR content is truncated")
    alg = _ALG_NAMES.get(raw[0])
    if alg is None:
        raise _Failure(
            "alg_not_allowed",
            "离线二维码使用了不接受的签名算法",
            "offline QR uses a signature algorithm that is not accepted",
        )
    kid_len = raw[1]
    body_end = len(raw) - 64
    if kid_len == 0 or 2 + kid_len >= body_end:
        raise _Failure("truncated", "离线二维码内容不完整", "offline QR content is truncated")
    try:
        kid = raw[2 : 2 + kid_len].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Failure("bad_kid", "离线二维码密钥标识无效", "offline QR key id is invalid") from exc
    inflater = zlib.decompressobj()
    try:
        claims_json = inflater.decompress(raw[2 + kid_len : body_end], MAX_CLAIMS_BYTES + 1)
    except zlib.error as exc:
        raise _Failure(
            "bad_compression",
            "离线二维码内容无法解压（可能被篡改）",
            "offline QR content cannot be decompressed (altered?)",
        ) from exc
    if len(claims_json) > MAX_CLAIMS_BYTES or not inflater.eof or inflater.unused_data:
        raise _Failure(
            "bad_compression",
            "离线二维码内容无法解压（可能被篡改）",
            "offline QR content cannot be decompressed (altered?)",
        )
    try:
        claims = strict_json_loads(claims_json)
    except JoseError as exc:
        raise _Failure(exc.code, exc.message_zh, exc.message_en) from exc
    if not isinstance(claims, dict):
        raise _Failure("bad_payload", "离线二维码内容不是 JSON 对象", "offline QR content is not a JSON object")
    return alg, kid, claims, PREFIX[:-1].encode("ascii") + raw[:body_end], raw[body_end:]


def _claim_time(claims: dict[str, Any], name: str) -> datetime:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**40:
        raise _Failure("bad_dates", f"离线二维码时间字段 {name} 无效", f"offline QR time claim {name} is invalid")
    return datetime.fromtimestamp(value, UTC)


def verify_offline(text: str, *, resolver: Resolver, now: datetime | None = None) -> Report:
    """Verify an ``EBC1:`` payload with the issuer keys at hand (a resolver over a cached registry);
    the status check is skipped and says so. Never raises for bad input (an internal failure gives an
    invalid report with reason ``internal_error``)."""
    try:
        return _verify_offline(text, resolver=resolver, now=now)
    except Exception:
        log.exception("offline certificate verification failed unexpectedly")
        return internal_error_report(offline=True, kind="offline")


def _verify_offline(text: str, *, resolver: Resolver, now: datetime | None) -> Report:
    moment = _now(now)
    run = _Run()
    text = text.strip() if isinstance(text, str) else ""
    try:
        alg, kid, claims, signed, signature = _decode(text)
        missing = [k for k in _REQUIRED if k not in claims]
        if missing:
            raise _Failure("missing_claims", f"离线二维码缺少字段 {missing}", f"offline QR lacks claims {missing}")
        if not isinstance(claims["id"], str) or not isinstance(claims["iss"], str):
            raise _Failure("bad_payload", "离线二维码字段类型无效", "offline QR claims have invalid types")
        try:
            identifier = parse_identifier(claims["id"])
        except IdentifierError as exc:
            raise _Failure(
                "bad_identifier",
                f"电子证照标识无效：{exc.message_zh}",
                f"certificate identifier is invalid: {exc.message_en}",
                identifier_reason=exc.code,
            ) from exc
        issued_at = _claim_time(claims, "iat")
        valid_from = _claim_time(claims, "nbf")
        valid_until = _claim_time(claims, "exp") if "exp" in claims else None
    except _Failure as failure:
        run.failed("format", failure)
        return run.finish(credential=None, identifier=None, offline=True, kind="offline")
    run.passed("format", f"离线二维码格式正确（{alg}）", f"Offline QR format OK ({alg})", alg=alg)

    try:
        key = check_key(
            resolver.issuer_key(kid),
            kid=kid,
            issuer_id=claims["iss"],
            issuer_code=identifier.issuer_code,
            issued_at=issued_at,
            now=moment,
        )
    except _Failure as failure:
        run.failed("issuer", failure)
        return run.finish(credential=claims, identifier=str(identifier), offline=True, kind="offline")
    name = key.issuer_name or str(claims.get("in", "")) or key.issuer_id
    run.passed(
        "issuer",
        f"签发单位已登记：{name}（密钥 {key.kid}，签发时有效）",
        f"Issuer registered: {name} (key {key.kid}, valid at issuance)",
        issuer_id=key.issuer_id,
        kids=[key.kid],
    )

    try:
        check_signature(key, alg=alg, signing_input=signed, signature=signature)
    except _Failure as failure:
        run.failed("signature", failure)
        return run.finish(credential=claims, identifier=str(identifier), offline=True, kind="offline")
    run.passed(
        "signature",
        f"签名有效（{alg}），内容未被篡改",
        f"Signature valid ({alg}); the content is unaltered",
        algs=[alg],
    )

    run.skipped("status", *messages.OFFLINE_STATUS, reason="offline")

    try:
        check_validity(valid_from=valid_from, valid_until=valid_until, issued_at=issued_at, now=moment)
    except _Failure as failure:
        run.failed("validity", failure)
    else:
        run.passed("validity", "在有效期内", "Within its validity period")
    return run.finish(credential=claims, identifier=str(identifier), offline=True, kind="offline")
