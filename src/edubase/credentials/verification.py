"""Verification at every edge (API, CLI, public page, upload form, share links): one function.

``verify_input`` accepts what people bring — a certificate file (JSON), a bare compact JWS, an
offline QR payload (``EBC1:…``), a PDF (the embedded JWS is verified and the page text compared
with the signed content), or an identifier / QR URL (the certificate is looked up and its stored
JWS verified) — runs ``verify.verify_credential`` with the database resolver, and records who
verified what and when (``VerificationEvent`` + the audit chain).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.db import transaction

from edubase.core import audit
from edubase.credentials import pdf
from edubase.credentials.identifiers import IdentifierError, parse_identifier
from edubase.credentials.models import Certificate, ShareLink, VerificationEvent
from edubase.credentials.resolver import DatabaseResolver
from edubase.credentials.vc import credential_digest
from edubase.credentials.verify import Check, Report, verify_credential

MAX_INPUT = 5 * 1024 * 1024
_URL_ID = re.compile(r"/v/(1\.2\.156\.3005\.2\.[0-9A-Z.]+)")

DOCUMENT_LABEL = ("打印件文字", "Printed text")


def _failure(code: str, zh: str, en: str, **detail: Any) -> Report:
    return Report(checks=[Check(code, False, zh, en, detail)], valid=False, credential=None, identifier=None)


def _with_document_check(report: Report, missing: list[str] | None, *, no_jws: bool = False) -> Report:
    if no_jws:
        return _failure(
            "format",
            "PDF 中没有嵌入签名凭证（不是本平台签发的电子证照，或已被重新生成）",
            "the PDF carries no embedded signed credential",
            reason="pdf_without_credential",
        )
    if missing is None or report.credential is None or report.check("signature").ok is not True:
        return report
    if missing:
        report.checks.append(
            Check(
                "document",
                False,
                f"打印件文字与签名内容不一致（{'、'.join(missing[:5])}）：文件可能被篡改",
                f"the printed text differs from the signed content ({len(missing)} item(s)): "
                "the file may have been altered",
                {"reason": "pdf_text_altered", "fields": missing[:20]},
            )
        )
        report.valid = False
    else:
        report.checks.append(
            Check("document", True, "打印件文字与签名内容一致", "printed text matches the signed content", {})
        )
    return report


def identifier_from(text: str) -> tuple[str, str | None] | None:
    """(identifier, digest prefix) from an identifier or a verification URL, else None."""
    text = text.strip()
    if text.startswith("1.2.156.3005.2."):
        return text, None
    if text.startswith(("http://", "https://", "/v/")):
        parts = urlsplit(text)
        found = _URL_ID.search(parts.path)
        if found:
            digests = parse_qs(parts.query).get("d") or []
            return found.group(1).rstrip("."), (digests[0] if digests else None)
    return None


def verify_stored(
    identifier: str, *, digest: str | None = None, allow_bare: bool = False, now: dt.datetime | None = None
) -> Report:
    """Verify the certificate stored under ``identifier`` (a QR scan: ``digest`` must match too).

    An identifier alone is refused unless ``allow_bare`` (a share link, whose token is the secret, or an
    official's CLI): identifiers are printed and their serials guessable, and the report shows the holder."""
    try:
        parse_identifier(identifier)
    except IdentifierError as exc:
        return _failure("format", exc.message_zh, exc.message_en, reason=exc.code)
    if not allow_bare and (digest is None or len(digest.strip()) < 16):
        return _failure(
            "format",
            "仅凭证照标识不能核验：请扫描证书上的二维码，或上传证照文件（PDF/JSON）",
            "an identifier alone cannot be verified: scan the QR code or upload the certificate file",
            reason="digest_required",
        )
    certificate = Certificate.objects.filter(identifier=identifier).only("jws", "identifier").first()
    if certificate is None:
        return _failure(
            "format",
            "本平台没有该标识的电子证照",
            "no certificate with this identifier was issued here",
            reason="unknown_identifier",
        )
    if digest is not None and not credential_digest(certificate.jws).startswith(digest.lower()[:16] or "-"):
        return _failure(
            "format",
            "二维码中的摘要与证照不符（二维码可能被替换，或属于其他证照）",
            "the digest in the QR code does not match the certificate",
            reason="digest_mismatch",
        )
    return verify_credential(certificate.jws, resolver=DatabaseResolver(), now=now)


def run_checks(data: bytes | str, *, allow_bare: bool = False, now: dt.datetime | None = None) -> Report:
    """Verify whatever was brought (see the module docstring); never raises for bad input."""
    if isinstance(data, str):
        data = data.encode("utf-8", errors="replace")
    if len(data) > MAX_INPUT:
        return _failure("format", "输入过大", "input is too large", reason="oversized")
    if data.startswith(b"%PDF"):
        try:
            jws, text = pdf.read_pdf(data)
        except ValueError as exc:
            return _failure("format", str(exc), "the PDF cannot be read", reason="bad_pdf")
        if not jws:
            return _with_document_check(Report([], False, None, None), None, no_jws=True)
        report = verify_credential(jws, resolver=DatabaseResolver(), now=now)
        missing = pdf.text_mismatches(report.credential, text) if report.credential is not None else None
        return _with_document_check(report, missing)
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        return _failure(
            "format", "无法识别的文件（应为 JSON、JWS、PDF 或证照标识）", "unrecognised input", reason="bad_input"
        )
    found = identifier_from(text) if len(text) < 512 else None
    if found is not None:
        return verify_stored(found[0], digest=found[1], allow_bare=allow_bare, now=now)
    return verify_credential(text, resolver=DatabaseResolver(), now=now)


@transaction.atomic
def record(
    report: Report,
    *,
    channel: str,
    actor: Any = None,
    ip: str | None = None,
    share_link: ShareLink | None = None,
) -> VerificationEvent:
    """Record a verification (the holder sees it) and audit it."""
    certificate = (
        Certificate.objects.filter(identifier=report.identifier).select_related("issuer").first()
        if report.identifier
        else None
    )
    failed = report.failed
    user = actor if getattr(actor, "is_authenticated", False) else None
    event = VerificationEvent.objects.create(
        certificate=certificate,
        identifier=(report.identifier or "")[:96],
        org_path=certificate.org_path if certificate else "",
        channel=channel,
        valid=report.valid,
        failed_check=failed.code if failed else "",
        verifier=(user.get_username() if user else "匿名核验方")[:150],
        ip=ip or None,
        share_link=share_link,
    )
    audit.record(
        actor=user or "anonymous",
        action="credentials.certificate.verify",
        obj=event,
        object_repr=report.identifier or "(unidentified)",
        org=certificate.issuer.org if certificate else None,
        after={"channel": channel, "valid": report.valid, "failed": failed.code if failed else None},
    )
    return event


def verify_input(
    data: bytes | str,
    *,
    channel: str,
    actor: Any = None,
    ip: str | None = None,
    share_link: ShareLink | None = None,
    now: dt.datetime | None = None,
) -> Report:
    """Verify and record (the one entry point of every edge)."""
    # an official at the command line may look a certificate up by its identifier alone
    report = run_checks(data, allow_bare=channel == "cli", now=now)
    record(report, channel=channel, actor=actor, ip=ip, share_link=share_link)
    return report
