"""The printable certificate (PDF) and reading one back for verification.

The page shows the human-readable content taken from the *signed* credential (so what is printed
is exactly what was signed), the identifier, and a small QR code with the short verification URL
``<public>/v/<identifier>?d=<first 16 hex of the SM3 digest>``; the offline variant adds a second
QR with the compact signed ``EBC1:`` payload. The compact JWS travels inside the PDF as an embedded
file (``credential.jwt``), so a verifier reads it back with pypdf and compares the page text with
the signed content: a PDF whose printed text was altered fails even though its signature is intact.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import segno
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table, TableStyle

from edubase.core.pdf import Document
from edubase.credentials import issuers
from edubase.credentials.jose import b64url_decode
from edubase.credentials.vc import credential_digest

ATTACHMENT = "credential.jwt"
MAX_PDF_BYTES = 5 * 1024 * 1024

#: subject keys → printed labels (the five shipped templates; unknown keys print as they are)
LABELS = {
    "education_level": "学历层次",
    "major": "专业",
    "study_from": "入学日期",
    "study_to": "毕业日期",
    "program_length": "学制",
    "degree_name": "学位",
    "discipline": "学科门类",
    "conferred_on": "授予日期",
    "total_credits": "总学分",
    "qualification_type": "资格种类",
    "teaching_subject": "任教学科",
    "recognized_on": "认定日期",
    "program": "培训项目",
    "hours": "学时",
    "finished_on": "结业日期",
}
_SKIP = {"holder", "courses", "certificateType", "id"}


def verification_url(identifier: str, jws: str) -> str:
    """The short URL in the QR: the identifier and the first 16 hex characters of the digest."""
    return f"{issuers.public_base()}/v/{identifier}?d={credential_digest(jws)[:16]}"


def payload_of(jws: str) -> dict[str, Any]:
    """The credential inside a compact JWS (no verification: for printing what was signed)."""
    return json.loads(b64url_decode(jws.split(".")[1]))


def printed_rows(credential: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs printed on the page, all taken from the signed credential."""
    subject = credential.get("credentialSubject") or {}
    meta = credential.get("certificateMetadata") or {}
    holder = subject.get("holder") or {}
    rows = [("姓名", str(holder.get("name", ""))), ("证件号码", str(holder.get("idMasked", "")))]
    for key, value in subject.items():
        if key in _SKIP or isinstance(value, (dict, list)):
            continue
        rows.append((LABELS.get(key, key), str(value)))
    rows += [
        ("发证机构", str(meta.get("issuerName", ""))),
        ("发证日期", str(meta.get("issueDate", ""))[:10]),
        ("有效期至", str(meta.get("validUntil") or "长期")[:10]),
        ("证照标识", str(credential.get("certificateIdentifier", ""))),
    ]
    return rows


def printed_courses(credential: dict[str, Any]) -> list[tuple[str, str, str]]:
    courses = (credential.get("credentialSubject") or {}).get("courses") or []
    return [(str(c.get("course", "")), str(c.get("credit", "")), str(c.get("score", ""))) for c in courses]


class QRCode(Flowable):
    """A QR code drawn as one filled path (one rectangle per run of dark modules, written as raw
    path operators in module units): a few hundred operators, a fraction of a millisecond."""

    def __init__(self, text: str, size_mm: float) -> None:
        super().__init__()
        # a fixed mask: evaluating all eight (segno's default) costs more than the rest of the page
        self.matrix = segno.make(text, error="m", micro=False, mask=0).matrix
        self.width = self.height = size_mm * mm

    def draw(self) -> None:
        count = len(self.matrix)
        cell = self.width / (count + 8)
        # one rectangle per run of dark modules, in module units (integers) under a scaling
        # transform: reportlab formats each float of ``path.rect`` in pure Python, which was half
        # the time of a whole page
        runs: list[str] = []
        for y, row in enumerate(self.matrix):
            x = 0
            while x < count:
                if row[x]:
                    start = x
                    while x < count and row[x]:
                        x += 1
                    runs.append(f"{start + 4} {count + 3 - y} {x - start} 1 re")
                else:
                    x += 1
        canvas = self.canv
        canvas.saveState()
        canvas.setFillColor(colors.black)
        canvas.transform(cell, 0, 0, cell, 0, 0)
        canvas.addLiteral("\n".join(runs) + "\nf")
        canvas.restoreState()


def render(jws: str, *, offline_payload: str | None = None, layout: dict[str, Any] | None = None) -> bytes:
    """The certificate PDF with the JWS embedded; ``offline_payload`` adds the offline QR."""
    from pypdf import PdfReader, PdfWriter

    credential = payload_of(jws)
    identifier = str(credential.get("certificateIdentifier", ""))
    meta = credential.get("certificateMetadata") or {}
    title = (layout or {}).get("title") or str(meta.get("typeName") or "电子证照")
    title = str((credential.get("credentialSubject") or {}).get("certificateType") or title)
    doc = Document(title=title, number=identifier, subject=f"电子证照 {identifier}")
    doc.fields(printed_rows(credential))
    courses = printed_courses(credential)
    if courses:
        doc.table(["课程", "学分", "成绩"], courses, widths=[110, 30, 30])
    footer = (layout or {}).get("footer")
    if footer:
        doc.paragraph(str(footer))
    url = verification_url(identifier, jws)
    codes: list[Any] = [QRCode(url, 30)]
    captions = ["扫码核验（联网）"]
    if offline_payload:
        codes.append(QRCode(offline_payload, 45))
        captions.append("离线核验码")
    table = Table([codes], colWidths=[50 * mm] * len(codes))
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    doc.flow += [Spacer(1, 4 * mm), table]
    doc.paragraph(" ／ ".join(captions) + f"：{url}", size=8)
    doc.paragraph("本证照为教育电子证照，已使用 SM2 数字签名，可扫码或上传本文件在线核验。", size=8)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(doc.render())))
    writer.add_attachment(ATTACHMENT, jws.encode("ascii"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


_SPACE = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _SPACE.sub("", text)


def read_pdf(data: bytes) -> tuple[str | None, str]:
    """(embedded JWS or None, the pages' text) of an uploaded PDF; ``ValueError`` if unreadable."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if len(data) > MAX_PDF_BYTES:
        raise ValueError("PDF 文件过大")
    try:
        reader = PdfReader(io.BytesIO(data))
        attachments = reader.attachments
        found = attachments.get(ATTACHMENT)
        jws = found[0].decode("ascii", errors="replace").strip() if found else None
        text = "\n".join(page.extract_text() or "" for page in reader.pages[:5])
    except (PyPdfError, OSError, KeyError, TypeError) as exc:
        raise ValueError(f"无法读取 PDF：{type(exc).__name__}") from exc
    return jws, text


def text_mismatches(credential: dict[str, Any], page_text: str) -> list[str]:
    """Printed labels whose signed value is missing from the page text (empty: the text matches)."""
    page = _squash(page_text)
    missing = [label for label, value in printed_rows(credential) if value and _squash(value) not in page]
    missing += [c for c, credit, score in printed_courses(credential) if _squash(c + credit + score) not in page]
    return missing


def offline_payload(certificate: Any) -> str:
    """The compact signed ``EBC1:`` payload of a certificate (signed now with its issuer's current key)."""
    from edubase.credentials import issuers
    from edubase.credentials.offline import claims_from_credential, encode_offline

    # no extra display lines: the issuer URL in ``iss`` and ``kid`` already takes a sixth of the
    # budget, and the holder, type and issuer name are in the claims anyway (QR < 600 characters)
    claims = claims_from_credential(payload_of(certificate.jws), jws=certificate.jws)
    key = issuers.current_key(certificate.issuer)
    return encode_offline(claims=claims, key=issuers.signing_key(certificate.issuer, key.key_version), kid=key.kid)


def certificate_pdf(certificate: Any, *, offline: bool = False) -> bytes:
    """The printable PDF of a stored certificate (optionally with the offline QR)."""
    return render(
        certificate.jws,
        offline_payload=offline_payload(certificate) if offline else None,
        layout=certificate.template.layout,
    )
