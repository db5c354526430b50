"""Certificate verification (证书核验), one code path for the library, CLI, HTTP API and web page.

Checks run in a fixed order, each with a bilingual message and a machine-readable reason:

1. ``format``    size bound, certificate file or bare compact JWS, allowed ``alg``, strict JSON,
                 VC 2.0 shape, GB/T 36904 identifier valid and consistent with the issuer;
2. ``issuer``    the ``kid`` resolves in the issuer registry, the key belongs to the credential's
                 issuer (id and USCC), was valid when the certificate was issued (so certificates
                 signed before a rotation still verify) and has not been revoked;
3. ``signature`` the key's algorithm is the header's, and the signature holds (and the optional
                 interoperability proof too, over the same payload);
4. ``status``    every revocation/suspension entry: the signed status list is fetched through the
                 resolver, its own signature, issuer, id, purpose and freshness checked, then the bit;
                 ``offline=True`` skips this check and says so;
5. ``validity``  ``validFrom`` / ``validUntil`` against ``now``.

A failed format/issuer/signature check stops the run (later checks are "not reached", ``ok=None``):
content that is not proven authentic is not worth checking further. ``Report.valid`` is true only
when every check passed, except the status check skipped in offline mode. ``Report.credential`` is
the decoded payload and is authentic only when the signature check passed.

Pure library: no Django; the resolver (C2's issuer registry) supplies keys and status lists.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from edubase.credentials import messages
from edubase.credentials.identifiers import CertificateIdentifier, IdentifierError, parse_identifier
from edubase.credentials.jose import (
    DEFAULT_MAX_BYTES,
    JoseError,
    parse_compact,
    public_key_bytes,
    strict_json_loads,
    verify_signature,
)
from edubase.credentials.statuslist import PURPOSES, StatusList, StatusListError
from edubase.credentials.vc import FILE_FORMAT, ID_PREFIX, VC_CONTEXT, issued_at_of, issuer_of, parse_iso

#: Clock skew tolerated for "not yet valid" (issuer and verifier clocks differ slightly).
LEEWAY = timedelta(minutes=5)
#: Largest signed status list accepted from a resolver.
MAX_STATUS_LIST_BYTES = 4 * 1024 * 1024
OFFLINE_PREFIX = "EBC1:"
_INDEX = re.compile(r"^(0|[1-9][0-9]{0,11})$")
log = logging.getLogger(__name__)


@dataclass
class Check:
    """One step of the report: ``ok`` True (passed), False (failed) or None (not reached/skipped)."""

    code: str
    ok: bool | None
    message_zh: str
    message_en: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        label_zh, label_en = messages.label(self.code)
        return {
            "code": self.code,
            "label_zh": label_zh,
            "label_en": label_en,
            "ok": self.ok,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "detail": self.detail,
        }


@dataclass
class Report:
    """The verification report (核验报告)."""

    checks: list[Check]
    valid: bool
    credential: dict[str, Any] | None
    identifier: str | None
    offline: bool = False
    kind: str = "jws"  # "jws" (file or bare JWS) or "offline" (EBC1 QR payload)

    def check(self, code: str) -> Check:
        """The check with this code."""
        return next(c for c in self.checks if c.code == code)

    @property
    def failed(self) -> Check | None:
        """The first failed check, if any."""
        return next((c for c in self.checks if c.ok is False), None)

    @property
    def summary(self) -> tuple[str, str]:
        """A one-line (Chinese, English) verdict."""
        if not self.valid:
            failed = self.failed
            if failed is None:
                return messages.INVALID
            return (f"{messages.INVALID[0]}：{failed.message_zh}", f"{messages.INVALID[1]}: {failed.message_en}")
        return messages.VALID_OFFLINE if self.offline else messages.VALID

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for the API and the CLI."""
        summary_zh, summary_en = self.summary
        failed = self.failed
        return {
            "valid": self.valid,
            "summary_zh": summary_zh,
            "summary_en": summary_en,
            "failed_check": failed.code if failed else None,
            "reason": failed.detail.get("reason") if failed else None,
            "identifier": self.identifier,
            "offline": self.offline,
            "kind": self.kind,
            "checks": [c.to_dict() for c in self.checks],
            "credential": self.credential,
        }


@dataclass(frozen=True)
class IssuerKey:
    """A published issuer key (签发密钥) as the issuer registry knows it.

    ``valid_until`` is set when the key was rotated out: certificates issued before still verify.
    ``revoked_at`` is set when the key was compromised: nothing signed with it verifies any longer
    (a thief can backdate, so the issue date cannot be trusted).
    """

    kid: str
    issuer_id: str
    issuer_code: str
    alg: str
    public_key: object
    valid_from: datetime
    valid_until: datetime | None
    revoked_at: datetime | None = None
    issuer_name: str = ""


class Resolver(Protocol):
    """What the verifier needs from the outside world (the issuer registry and status list files)."""

    def issuer_key(self, kid: str) -> IssuerKey | None: ...

    def status_list(self, url: str) -> str | None: ...  # the signed status-list JWS, None if unavailable


class _Failure(Exception):
    """A check failed: carries the reason code, messages and detail."""

    def __init__(self, reason: str, message_zh: str, message_en: str, **detail: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message_zh = message_zh
        self.message_en = message_en
        self.detail = {"reason": reason, **detail}


def _from_error(error: JoseError | IdentifierError | StatusListError, **detail: Any) -> _Failure:
    return _Failure(error.code, error.message_zh, error.message_en, **detail)


class _Run:
    """Accumulates checks in order."""

    def __init__(self) -> None:
        self.checks: list[Check] = []

    def passed(self, code: str, zh: str, en: str, **detail: Any) -> None:
        self.checks.append(Check(code, True, zh, en, detail))

    def failed(self, code: str, failure: _Failure) -> None:
        self.checks.append(Check(code, False, failure.message_zh, failure.message_en, failure.detail))

    def skipped(self, code: str, zh: str, en: str, **detail: Any) -> None:
        self.checks.append(Check(code, None, zh, en, detail))

    def finish(
        self,
        *,
        credential: dict[str, Any] | None,
        identifier: str | None,
        offline: bool,
        kind: str,
    ) -> Report:
        done = {c.code for c in self.checks}
        for code in messages.CHECK_ORDER:
            if code not in done:
                self.checks.append(Check(code, None, *messages.NOT_REACHED, {}))
        self.checks.sort(key=lambda c: messages.CHECK_ORDER.index(c.code))
        valid = all(c.ok is True or (c.code == "status" and offline and c.ok is None) for c in self.checks)
        # Not-reached checks are None: a report with one is never valid (only offline status may be None).
        if any(c.ok is None and not (c.code == "status" and offline) for c in self.checks):
            valid = False
        return Report(self.checks, valid, credential, identifier, offline, kind)


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return _aware(now)


def _aware(moment: datetime) -> datetime:
    """Naive datetimes (a resolver on a database without time zones) are read as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- format


@dataclass
class _Parsed:
    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes
    jws: str


def _input_size(data: bytes | str | dict[str, Any]) -> int:
    if isinstance(data, bytes):
        return len(data)
    if isinstance(data, str):
        return len(data.encode("utf-8"))
    try:
        return len(json.dumps(data, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError, RecursionError) as exc:
        raise _Failure("bad_json", "输入不是合法的 JSON 数据", "input is not valid JSON data") from exc


def _oversized(max_bytes: int) -> _Failure:
    return _Failure(
        "oversized", f"输入过大（上限 {max_bytes} 字节）", f"input too large (limit {max_bytes} bytes)", limit=max_bytes
    )


def _load_container(data: bytes | str | dict[str, Any], max_bytes: int) -> tuple[str, str | None] | str:
    """The (jws, jws_interop) pair, or the text of an offline payload (starts with EBC1:)."""
    if not isinstance(data, bytes | str | dict):
        raise _Failure("unknown_format", "无法识别的输入类型", "unrecognised input type")
    if _input_size(data) > max_bytes:
        raise _oversized(max_bytes)
    document: Any = data
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _Failure("not_utf8", "输入不是 UTF-8 文本", "input is not UTF-8 text") from exc
    if isinstance(data, str):
        text = data.strip()
        if text.startswith(OFFLINE_PREFIX):
            return text
        if not text.startswith("{"):
            return (text, None)
        try:
            document = strict_json_loads(text)
        except JoseError as exc:
            raise _from_error(exc) from exc
    if not isinstance(document, dict):
        raise _Failure("unknown_format", "无法识别的证书文件格式", "unrecognised certificate file format")
    if "format" in document or "jws" in document:
        if document.get("format") != FILE_FORMAT:
            raise _Failure(
                "unknown_format",
                f"证书文件格式应为 {FILE_FORMAT}",
                f"certificate file format must be {FILE_FORMAT}",
                format=str(document.get("format"))[:64],
            )
        jws, interop = document.get("jws"), document.get("jws_interop")
        if not isinstance(jws, str) or (interop is not None and not isinstance(interop, str)):
            raise _Failure(
                "unknown_format", "证书文件缺少签名数据（jws）", "certificate file lacks its signed data (jws)"
            )
        return (jws, interop)
    if "@context" in document or "credentialSubject" in document:
        raise _Failure(
            "unsigned",
            "这是未签名的 JSON 证书内容，无法证明真实性（请提供下载的证书文件或二维码）",
            "this is unsigned certificate JSON whose authenticity cannot be proven "
            "(use the downloaded certificate file or the QR code)",
        )
    raise _Failure("unknown_format", "无法识别的证书文件格式", "unrecognised certificate file format")


def _parse_jws(jws: str, max_bytes: int) -> _Parsed:
    try:
        header, payload, signing_input, signature = parse_compact(jws, max_bytes=max_bytes)
    except JoseError as exc:
        raise _from_error(exc) from exc
    if header.get("typ") != "vc+jwt":
        raise _Failure(
            "bad_typ", "JWS 类型（typ）应为 vc+jwt", "JWS type (typ) must be vc+jwt", typ=str(header.get("typ"))[:40]
        )
    if not isinstance(header.get("kid"), str):
        raise _Failure("no_kid", "JWS 头部缺少密钥标识 kid", "JWS header lacks the key id (kid)")
    return _Parsed(header, payload, signing_input, signature, jws.strip())


def _validate_credential(payload: dict[str, Any]) -> tuple[CertificateIdentifier, datetime]:
    """VC 2.0 shape and GB/T 36904 identifier; returns the identifier and the issue moment."""
    context = payload.get("@context")
    if not isinstance(context, list) or not context or context[0] != VC_CONTEXT:
        raise _Failure("not_vc", "不是 W3C 可验证凭证 2.0（@context 不符）", "not a W3C VC 2.0 document (@context)")
    types = payload.get("type")
    if not isinstance(types, list) or "VerifiableCredential" not in types:
        raise _Failure("not_vc", "不是可验证凭证（type 不符）", "not a verifiable credential (type)")
    if "BitstringStatusListCredential" in types:
        raise _Failure("not_certificate", "这是状态列表，不是证书", "this is a status list, not a certificate")
    if issuer_of(payload) is None:
        raise _Failure("not_vc", "凭证缺少签发单位（issuer）", "credential lacks its issuer")
    if not isinstance(payload.get("credentialSubject"), dict):
        raise _Failure("not_vc", "凭证缺少证书内容（credentialSubject）", "credential lacks its subject")
    text = payload.get("certificateIdentifier")
    if not isinstance(text, str):
        raise _Failure("bad_identifier", "凭证缺少电子证照标识", "credential lacks its certificate identifier")
    try:
        identifier = parse_identifier(text)
    except IdentifierError as exc:
        raise _Failure(
            "bad_identifier",
            f"电子证照标识无效：{exc.message_zh}",
            f"certificate identifier is invalid: {exc.message_en}",
            identifier_reason=exc.code,
        ) from exc
    if payload.get("id") != ID_PREFIX + text:
        raise _Failure("bad_identifier", "凭证 id 与电子证照标识不一致", "credential id does not match its identifier")
    issuer = payload.get("issuer")
    if isinstance(issuer, dict) and issuer.get("code") not in (None, identifier.issuer_code):
        raise _Failure(
            "identifier_issuer_mismatch",
            "标识中的颁证单位代码与签发单位不一致",
            "issuer code in the identifier differs from the credential's issuer",
        )
    try:
        parse_iso(payload.get("validFrom"))
        if "validUntil" in payload:
            parse_iso(payload["validUntil"])
        issued = issued_at_of(payload)
    except ValueError as exc:
        raise _Failure("bad_dates", "凭证日期格式无效", "credential dates are malformed") from exc
    status = payload.get("credentialStatus", [])
    entries = status if isinstance(status, list) else [status]
    if not all(isinstance(e, dict) for e in entries):
        raise _Failure("bad_status_entry", "凭证状态条目格式无效", "credential status entries are malformed")
    return identifier, issued


# --------------------------------------------------------------------------- issuer and signature


def check_key(
    key: IssuerKey | None,
    *,
    kid: str,
    issuer_id: str | None,
    issuer_code: str,
    issued_at: datetime,
    now: datetime,
) -> IssuerKey:
    """The issuer check shared with the offline verifier; raises ``_Failure``."""
    if key is None:
        raise _Failure(
            "unknown_key",
            f"签发密钥 {kid[:80]} 未在签发单位登记簿中登记",
            f"signing key {kid[:80]} is not in the issuer registry",
            kid=kid[:200],
        )
    key = replace(
        key,
        valid_from=_aware(key.valid_from),
        valid_until=_aware(key.valid_until) if key.valid_until else None,
        revoked_at=_aware(key.revoked_at) if key.revoked_at else None,
    )
    if key.issuer_id != issuer_id:
        raise _Failure(
            "issuer_mismatch",
            "签名密钥属于另一签发单位（可能是其他单位的证书或二维码）",
            "the signing key belongs to another issuer (certificate or QR of another issuer)",
            kid=key.kid,
            key_issuer=key.issuer_id,
            claimed_issuer=issuer_id,
        )
    if key.issuer_code != issuer_code:
        raise _Failure(
            "issuer_code_mismatch",
            "签发密钥所属单位代码与电子证照标识中的颁证单位代码不一致",
            "the key's issuer code differs from the issuer code in the identifier",
            kid=key.kid,
        )
    if key.revoked_at is not None and key.revoked_at <= now:
        raise _Failure(
            "key_revoked",
            "签发密钥已被吊销（可能泄露），用它签发的证书不再可信",
            "the signing key was revoked (possibly compromised); certificates it signed are no longer trusted",
            kid=key.kid,
            revoked_at=key.revoked_at.isoformat(),
        )
    if issued_at < key.valid_from or (key.valid_until is not None and issued_at >= key.valid_until):
        raise _Failure(
            "key_not_valid_at_issuance",
            "签发日期不在签发密钥的有效期内",
            "the issue date is outside the signing key's validity period",
            kid=key.kid,
            issued_at=issued_at.isoformat(),
            key_valid_from=key.valid_from.isoformat(),
            key_valid_until=key.valid_until.isoformat() if key.valid_until else None,
        )
    return key


def check_signature(key: IssuerKey, *, alg: str, signing_input: bytes, signature: bytes) -> None:
    """The signature check shared with the offline verifier; raises ``_Failure``."""
    if key.alg != alg:
        raise _Failure(
            "alg_key_mismatch",
            f"签名算法 {alg} 与登记的密钥算法 {key.alg} 不符",
            f"signature algorithm {alg} differs from the registered key algorithm {key.alg}",
            kid=key.kid,
        )
    try:
        holds = verify_signature(alg=alg, key=key.public_key, signing_input=signing_input, signature=signature)
    except JoseError as exc:
        raise _from_error(exc, kid=key.kid) from exc
    if not holds:
        raise _Failure(
            "bad_signature",
            "签名验证失败：内容被篡改，或不是该密钥签发",
            "signature does not verify: the content was altered or not signed with this key",
            kid=key.kid,
            alg=alg,
        )


# --------------------------------------------------------------------------- status


@functools.lru_cache(maxsize=64)
def _parse_status_list(jws: str) -> _Parsed:
    try:
        header, payload, signing_input, signature = parse_compact(jws, max_bytes=MAX_STATUS_LIST_BYTES)
    except JoseError as exc:
        raise _from_error(exc) from exc
    if not isinstance(header.get("kid"), str):
        raise _Failure("status_list_invalid", "状态列表缺少密钥标识", "status list lacks a key id")
    return _Parsed(header, payload, signing_input, signature, jws)


@functools.lru_cache(maxsize=64)
def _decode_list(encoded: str) -> StatusList:
    return StatusList.decode(encoded)


_LIST_SIGNATURES: dict[tuple[str, str, bytes], bool] = {}


def _list_signature_ok(parsed: _Parsed, alg: str, key: IssuerKey) -> bool:
    """Signature of a status list, remembered per (list text, key): a list is re-verified only when
    it changes, which keeps bulk verification at one SM2 verification per certificate."""
    cache_key = (parsed.jws, alg, public_key_bytes(key.public_key))
    cached = _LIST_SIGNATURES.get(cache_key)
    if cached is None:
        try:
            cached = verify_signature(
                alg=alg, key=key.public_key, signing_input=parsed.signing_input, signature=parsed.signature
            )
        except JoseError:
            cached = False
        if len(_LIST_SIGNATURES) >= 256:
            _LIST_SIGNATURES.clear()
        _LIST_SIGNATURES[cache_key] = cached
    return cached


def _status_list_for(url: str, purpose: str, *, resolver: Resolver, issuer_id: str, now: datetime) -> StatusList:
    jws = resolver.status_list(url)
    if jws is None:
        raise _Failure(
            "status_unavailable",
            "无法获取状态列表，不能确认证书未被撤销",
            "the status list is unavailable; cannot confirm the certificate is not revoked",
            url=url,
        )
    if len(jws) > MAX_STATUS_LIST_BYTES:
        raise _Failure("status_list_invalid", "状态列表过大", "status list too large", url=url)
    try:
        parsed = _parse_status_list(jws)
    except _Failure as exc:
        raise _Failure(
            "status_list_invalid",
            f"状态列表格式无效：{exc.message_zh}",
            f"status list is malformed: {exc.message_en}",
            url=url,
        ) from exc
    kid = parsed.header["kid"]
    key = resolver.issuer_key(kid)
    if key is not None:
        key = replace(
            key,
            valid_from=_aware(key.valid_from),
            valid_until=_aware(key.valid_until) if key.valid_until else None,
            revoked_at=_aware(key.revoked_at) if key.revoked_at else None,
        )
    if key is None or key.issuer_id != issuer_id:
        raise _Failure(
            "status_list_invalid",
            "状态列表不是由证书的签发单位签名",
            "the status list is not signed by the certificate's issuer",
            url=url,
        )
    if key.revoked_at is not None and key.revoked_at <= now:
        raise _Failure(
            "status_list_invalid", "状态列表的签名密钥已被吊销", "the status list's key was revoked", url=url
        )
    alg = parsed.header["alg"]
    if key.alg != alg:
        raise _Failure(
            "status_list_invalid", "状态列表签名算法与密钥不符", "status list algorithm differs from its key", url=url
        )
    if not _list_signature_ok(parsed, alg, key):
        raise _Failure("status_list_invalid", "状态列表签名验证失败", "status list signature does not verify", url=url)
    payload = parsed.payload
    subject = payload.get("credentialSubject")
    types = payload.get("type")
    if (
        not isinstance(types, list)
        or "BitstringStatusListCredential" not in types
        or payload.get("id") != url
        or issuer_of(payload) != issuer_id
        or not isinstance(subject, dict)
    ):
        raise _Failure(
            "status_list_invalid",
            "状态列表内容与证书引用不符",
            "status list does not match the certificate's reference",
            url=url,
        )
    purposes = subject.get("statusPurpose")
    if purpose != purposes and not (isinstance(purposes, list) and purpose in purposes):
        raise _Failure("status_list_invalid", "状态列表用途不符", "status list purpose does not match", url=url)
    try:
        if "validUntil" in payload and parse_iso(payload["validUntil"]) <= now:
            raise _Failure(
                "status_list_stale",
                "状态列表已过期，不能确认最新状态",
                "the status list has expired; the current status cannot be confirmed",
                url=url,
            )
        list_from = parse_iso(payload.get("validFrom"))
    except ValueError as exc:
        raise _Failure("status_list_invalid", "状态列表日期无效", "status list dates are malformed", url=url) from exc
    if list_from > now + LEEWAY or list_from < key.valid_from or (key.valid_until and list_from >= key.valid_until):
        raise _Failure(
            "status_list_invalid",
            "状态列表签发时间不在其签名密钥有效期内",
            "status list issue time is outside its key's validity",
            url=url,
        )
    encoded = subject.get("encodedList")
    if not isinstance(encoded, str):
        raise _Failure("status_list_invalid", "状态列表缺少 encodedList", "status list lacks encodedList", url=url)
    try:
        return _decode_list(encoded)
    except StatusListError as exc:
        raise _Failure(
            "status_list_invalid",
            f"状态列表无法解码：{exc.message_zh}",
            f"status list cannot be decoded: {exc.message_en}",
            url=url,
        ) from exc


def check_status(payload: dict[str, Any], *, resolver: Resolver, now: datetime) -> list[dict[str, Any]]:
    """Check every revocation/suspension entry; returns what was checked; raises ``_Failure``."""
    status = payload.get("credentialStatus", [])
    entries = status if isinstance(status, list) else [status]
    issuer_id = issuer_of(payload) or ""
    checked: list[dict[str, Any]] = []
    for entry in entries:
        purpose = entry.get("statusPurpose")
        if entry.get("type") != "BitstringStatusListEntry" or purpose not in PURPOSES:
            checked.append({"purpose": str(purpose)[:32], "skipped": True})
            continue
        url, index_text = entry.get("statusListCredential"), entry.get("statusListIndex")
        if not isinstance(url, str) or not isinstance(index_text, str) or not _INDEX.match(index_text):
            raise _Failure("bad_status_entry", "凭证状态条目格式无效", "credential status entry is malformed")
        index = int(index_text)
        status_list = _status_list_for(url, purpose, resolver=resolver, issuer_id=issuer_id, now=now)
        if index >= status_list.size:
            raise _Failure(
                "status_index_out_of_range",
                "状态索引超出状态列表范围",
                "status index is outside the status list",
                url=url,
            )
        if status_list.get(index):
            if purpose == "revocation":
                raise _Failure("revoked", "证书已被撤销", "the certificate has been revoked", url=url, index=index)
            raise _Failure(
                "suspended", "证书已被暂扣（暂停使用）", "the certificate is suspended", url=url, index=index
            )
        checked.append({"purpose": purpose, "index": index, "url": url, "set": False})
    return checked


def check_validity(*, valid_from: datetime, valid_until: datetime | None, issued_at: datetime, now: datetime) -> None:
    """The validity-date check shared with the offline verifier; raises ``_Failure``."""
    if issued_at > now + LEEWAY:
        raise _Failure(
            "issued_in_future",
            "签发日期晚于当前时间",
            "the issue date is in the future",
            issued_at=issued_at.isoformat(),
        )
    if valid_from > now + LEEWAY:
        raise _Failure(
            "not_yet_valid", "证书尚未生效", "the certificate is not yet valid", valid_from=valid_from.isoformat()
        )
    if valid_until is not None and valid_until <= now:
        raise _Failure("expired", "证书已过有效期", "the certificate has expired", valid_until=valid_until.isoformat())


# --------------------------------------------------------------------------- entry point


def verify_credential(
    data: bytes | str | dict[str, Any],
    *,
    resolver: Resolver,
    now: datetime | None = None,
    offline: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Report:
    """Verify a certificate file (``edubase-credential/1`` JSON), a bare compact JWS, or an offline
    QR payload (``EBC1:…``, handed to ``offline.verify_offline``); never raises for bad input.

    An unexpected error inside the verifier (a bug, a resolver failure) yields an invalid report
    with reason ``internal_error`` rather than an exception: the answer is never "valid" by accident.
    """
    try:
        return _verify(data, resolver=resolver, now=now, offline=offline, max_bytes=max_bytes)
    except Exception:
        log.exception("certificate verification failed unexpectedly")
        return internal_error_report(offline=offline)


def internal_error_report(*, offline: bool = False, kind: str = "jws") -> Report:
    """The report given when the verifier itself fails: invalid, the failure stated."""
    run = _Run()
    run.failed(
        "format",
        _Failure(
            "internal_error",
            "核验过程出错（如签发单位登记簿暂不可用），无法确认证书有效，请稍后重试",
            "verification could not be completed (e.g. the issuer registry is unavailable); "
            "the certificate cannot be confirmed valid, try again later",
        ),
    )
    return run.finish(credential=None, identifier=None, offline=offline, kind=kind)


def _verify(
    data: bytes | str | dict[str, Any],
    *,
    resolver: Resolver,
    now: datetime | None,
    offline: bool,
    max_bytes: int,
) -> Report:
    moment = _now(now)
    run = _Run()
    try:
        container = _load_container(data, max_bytes)
    except _Failure as failure:
        run.failed("format", failure)
        return run.finish(credential=None, identifier=None, offline=offline, kind="jws")
    if isinstance(container, str):
        from edubase.credentials.offline import verify_offline

        return verify_offline(container, resolver=resolver, now=moment)
    jws_text, interop_text = container

    # 1. format
    try:
        main = _parse_jws(jws_text, max_bytes)
        identifier, issued_at = _validate_credential(main.payload)
        interop = _parse_jws(interop_text, max_bytes) if interop_text else None
        if interop is not None and interop.payload != main.payload:
            raise _Failure(
                "interop_payload_mismatch",
                "两份签名所签内容不一致",
                "the two proofs sign different content",
            )
    except _Failure as failure:
        run.failed("format", failure)
        return run.finish(credential=None, identifier=None, offline=offline, kind="jws")
    payload = main.payload
    identifier_text = str(identifier)
    algs = [main.header["alg"]] + ([interop.header["alg"]] if interop else [])
    run.passed(
        "format",
        f"格式正确：W3C 可验证凭证 2.0，紧凑 JWS（{'、'.join(algs)}），电子证照标识有效",
        f"Format OK: W3C VC 2.0, compact JWS ({', '.join(algs)}), valid certificate identifier",
        algs=algs,
    )

    # 2. issuer
    proofs = [main] + ([interop] if interop else [])
    try:
        keys = [
            check_key(
                resolver.issuer_key(p.header["kid"]),
                kid=p.header["kid"],
                issuer_id=issuer_of(payload),
                issuer_code=identifier.issuer_code,
                issued_at=issued_at,
                now=moment,
            )
            for p in proofs
        ]
    except _Failure as failure:
        run.failed("issuer", failure)
        return run.finish(credential=payload, identifier=identifier_text, offline=offline, kind="jws")
    claimed = payload.get("issuer")
    name = keys[0].issuer_name or (str(claimed.get("name", "")) if isinstance(claimed, dict) else "")
    run.passed(
        "issuer",
        f"签发单位已登记：{name or keys[0].issuer_id}（密钥 {keys[0].kid}，签发时有效）",
        f"Issuer registered: {name or keys[0].issuer_id} (key {keys[0].kid}, valid at issuance)",
        issuer_id=keys[0].issuer_id,
        kids=[k.kid for k in keys],
    )

    # 3. signature
    try:
        for proof, key in zip(proofs, keys, strict=True):
            check_signature(key, alg=proof.header["alg"], signing_input=proof.signing_input, signature=proof.signature)
    except _Failure as failure:
        run.failed("signature", failure)
        return run.finish(credential=payload, identifier=identifier_text, offline=offline, kind="jws")
    run.passed(
        "signature",
        f"签名有效（{'、'.join(algs)}），内容未被篡改",
        f"Signature valid ({', '.join(algs)}); the content is unaltered",
        algs=algs,
    )

    # 4. status
    if offline:
        run.skipped("status", *messages.OFFLINE_STATUS, reason="offline")
    else:
        try:
            checked = check_status(payload, resolver=resolver, now=moment)
        except _Failure as failure:
            run.failed("status", failure)
        else:
            if checked:
                run.passed("status", "未被撤销或暂扣", "Not revoked or suspended", entries=checked)
            else:
                run.passed(
                    "status",
                    "证书未登记状态列表（签发单位不支持撤销）",
                    "No status list entry (the issuer does not publish revocation)",
                )

    # 5. validity
    try:
        valid_from = parse_iso(payload["validFrom"])
        valid_until = parse_iso(payload["validUntil"]) if "validUntil" in payload else None
        check_validity(valid_from=valid_from, valid_until=valid_until, issued_at=issued_at, now=moment)
    except _Failure as failure:
        run.failed("validity", failure)
    else:
        run.passed(
            "validity",
            "在有效期内" + ("（长期有效）" if valid_until is None else f"（至 {valid_until.date().isoformat()}）"),
            "Within its validity period"
            + (" (no end date)" if valid_until is None else f" (until {valid_until.date().isoformat()})"),
        )
    return run.finish(credential=payload, identifier=identifier_text, offline=offline, kind="jws")


class StaticResolver:
    """A resolver over keys and status lists held in memory: tests, the CLI with a downloaded
    registry, and offline verification with a cached key set."""

    def __init__(self, keys: list[IssuerKey] | None = None, status_lists: dict[str, str] | None = None) -> None:
        self.keys: dict[str, IssuerKey] = {k.kid: k for k in keys or []}
        self.status_lists: dict[str, str] = dict(status_lists or {})

    def add_key(self, key: IssuerKey) -> None:
        """Register (or replace) a key."""
        self.keys[key.kid] = key

    def issuer_key(self, kid: str) -> IssuerKey | None:
        return self.keys.get(kid)

    def status_list(self, url: str) -> str | None:
        return self.status_lists.get(url)

    @classmethod
    def from_registry(cls, document: dict[str, Any]) -> StaticResolver:
        """A resolver over a registry document (see :func:`registry_document`); ``ValueError`` if malformed."""
        if not isinstance(document, dict) or document.get("format") != REGISTRY_FORMAT:
            raise ValueError(f"not an issuer registry ({REGISTRY_FORMAT})")
        entries = document.get("keys")
        if not isinstance(entries, list):
            raise ValueError("issuer registry lacks its keys")
        return cls([key_from_dict(entry) for entry in entries])


# --------------------------------------------------------------------------- issuer registry export

REGISTRY_FORMAT = "edubase-issuer-registry/1"


def key_to_dict(key: IssuerKey) -> dict[str, Any]:
    """JSON form of a published key (public key as SubjectPublicKeyInfo PEM)."""
    from cryptography.hazmat.primitives import serialization

    from edubase.crypto.sm2 import SM2PublicKey

    public = key.public_key
    if isinstance(public, SM2PublicKey):
        pem = public.to_pem().decode("ascii")
    else:
        pem = public.public_bytes(  # type: ignore[attr-defined]
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")
    return {
        "kid": key.kid,
        "issuer": key.issuer_id,
        "issuerCode": key.issuer_code,
        "issuerName": key.issuer_name,
        "alg": key.alg,
        "sm2Uid": "1234567812345678" if key.alg == "SM2" else None,
        "publicKeyPem": pem,
        "validFrom": _aware(key.valid_from).isoformat(),
        "validUntil": _aware(key.valid_until).isoformat() if key.valid_until else None,
        "revokedAt": _aware(key.revoked_at).isoformat() if key.revoked_at else None,
    }


def key_from_dict(entry: dict[str, Any]) -> IssuerKey:
    """Parse :func:`key_to_dict`'s output; raise ``ValueError`` if anything is missing or malformed."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    from edubase.credentials.jose import ALLOWED_ALGS, key_matches_alg
    from edubase.crypto.errors import CryptoError
    from edubase.crypto.sm2 import SM2PublicKey

    try:
        alg = entry["alg"]
        if alg not in ALLOWED_ALGS:
            raise ValueError(f"algorithm {alg!r} not accepted")
        pem = entry["publicKeyPem"].encode("ascii")
        public: object = SM2PublicKey.from_pem(pem) if alg == "SM2" else serialization.load_pem_public_key(pem)
        if not key_matches_alg(alg, public):
            raise ValueError(f"public key does not fit {alg}")

        def moment(name: str) -> datetime | None:
            value = entry.get(name)
            return _aware(datetime.fromisoformat(value)) if value else None

        valid_from = moment("validFrom")
        if valid_from is None:
            raise ValueError("validFrom missing")
        return IssuerKey(
            kid=str(entry["kid"]),
            issuer_id=str(entry["issuer"]),
            issuer_code=str(entry["issuerCode"]),
            alg=alg,
            public_key=public,
            valid_from=valid_from,
            valid_until=moment("validUntil"),
            revoked_at=moment("revokedAt"),
            issuer_name=str(entry.get("issuerName") or ""),
        )
    except (KeyError, TypeError, AttributeError, ValueError, CryptoError, UnicodeError, UnsupportedAlgorithm) as exc:
        raise ValueError(f"malformed registry entry: {exc}") from exc


def registry_document(keys: list[IssuerKey], *, published_at: datetime) -> dict[str, Any]:
    """The issuer registry as one JSON document, for offline verifiers (sign it with
    ``jose.sign_compact`` under the provincial root key so that a copy can be trusted)."""
    return {
        "format": REGISTRY_FORMAT,
        "publishedAt": _aware(published_at).isoformat(),
        "keys": [key_to_dict(k) for k in keys],
    }
