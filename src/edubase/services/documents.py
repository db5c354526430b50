"""Result documents (决定书) as PDF.

reportlab is not among edubase's dependencies, so the PDF is written directly: one A4 page, the
Chinese text set in the standard Adobe-GB1 font ``STSong-Light`` (a non-embedded CID font every
PDF reader supplies, encoded ``UniGB-UCS2-H``), numbers and codes also in Helvetica so that the
application number is searchable as plain text.
"""

from __future__ import annotations

from django.utils import timezone

from edubase.core.errors import DomainError
from edubase.services.models import Application, ApplicationStatus


class NoResultYet(DomainError):
    code = "services_no_result"
    message = "办件尚未办结，还没有决定文书"
    status = 409


def _cjk(text: str) -> str:
    return "<" + "".join(f"{ord(c):04X}" if ord(c) < 0x10000 else "FF1F" for c in text) + ">"


def _latin(text: str) -> str:
    safe = "".join(c if 32 <= ord(c) < 127 else "?" for c in text)
    return "(" + safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def _pdf(lines: list[tuple[str, int, str]]) -> bytes:
    """A one-page PDF; each line is (font "cjk"|"latin", size, text), laid out top to bottom."""
    ops = ["BT"]
    y = 780
    for font, size, text in lines:
        name, shown = ("F1", _cjk(text)) if font == "cjk" else ("F2", _latin(text))
        ops.append(f"/{name} {size} Tf 1 0 0 1 72 {y} Tm {shown} Tj")
        y -= size + 14
    ops.append("ET")
    stream = "\n".join(ops).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R /F2 7 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [6 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor 8 0 R /DW 1000 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
        b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def result_pdf(application: Application) -> bytes:
    """The decision document (准予/不予决定书) of a completed application."""
    if application.status not in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED):
        raise NoResultYet()
    approved = application.status == ApplicationStatus.APPROVED
    applicant = application.applicant
    who = getattr(applicant, "display_name", "") or applicant.get_username()
    done = timezone.localtime(application.completed_at or timezone.now())
    title = f"{application.item.name}{'准予' if approved else '不予'}决定书"
    lines: list[tuple[str, int, str]] = [
        ("cjk", 20, title),
        ("cjk", 12, f"文书编号：{application.result_number or '—'}"),
        ("latin", 10, f"No. {application.result_number or '-'} / Application {application.number}"),
        ("cjk", 12, f"申请编号：{application.number}"),
        ("cjk", 12, f"申请人：{who}"),
        ("cjk", 12, f"申请事项：{application.item.name}（{application.item.code}）"),
        ("cjk", 12, f"决定：{'准予' if approved else '不予'}"),
    ]
    if application.decision_reason and not approved:
        lines.append(("cjk", 12, f"理由：{application.decision_reason[:60]}"))
    lines += [
        ("cjk", 12, f"日期：{done:%Y年%m月%d日}"),
        ("cjk", 12, f"发证机关：{application.org.name}"),
        ("latin", 10, f"Date {done:%Y-%m-%d}"),
    ]
    return _pdf(lines)
