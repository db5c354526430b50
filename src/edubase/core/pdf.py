"""PDF documents (决定书、通报、报告) with reportlab's platypus, the Chinese font embedded.

Printed documents must carry their font: the text is set in WenQuanYi Zen Hei (TrueType, Debian
``fonts-wqy-zenhei``, installed by ``make``), embedded as a subset of the glyphs used (a one-page
document is ~15 KB). ``EDUBASE_PDF_FONT`` names another TrueType/TTC file. Where no such file
exists the documents fall back to STSong-Light, an Adobe-GB1 CID font readers supply but which
is not embedded — logged as a warning. Long Chinese lines wrap by character (``wordWrap="CJK"``);
output is deterministic (``invariant``), which keeps documents diffable.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

logger = logging.getLogger(__name__)

EMBEDDED = "EdubaseCJK"
FALLBACK = "STSong-Light"
FONT_FILES = ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


@lru_cache(maxsize=1)
def _fonts() -> str:
    """Register the document font once; returns its name (embedded when a font file exists)."""
    candidates = [os.environ.get("EDUBASE_PDF_FONT", ""), *FONT_FILES]
    name = FALLBACK
    for path in (Path(c) for c in candidates if c):
        if path.is_file():
            pdfmetrics.registerFont(TTFont(EMBEDDED, str(path), subfontIndex=0))
            name = EMBEDDED
            break
    else:
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK))
        logger.warning("no CJK TrueType font found (%s): PDFs use the non-embedded STSong-Light", ", ".join(FONT_FILES))
    pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)
    return name


def font_name() -> str:
    return _fonts()


def _style(size: float, *, leading: float | None = None, align: int = 0) -> ParagraphStyle:
    return ParagraphStyle(
        name=f"cjk{size}{align}",
        fontName=_fonts(),
        fontSize=size,
        leading=leading or size * 1.5,
        alignment=align,
        wordWrap="CJK",
    )


def text(value: Any) -> str:
    """Escape user text for a Paragraph (it is markup)."""
    return escape("" if value is None else str(value))


@dataclass
class Document:
    """A simple official document: title, optional number line, blocks of paragraphs and tables."""

    title: str
    number: str = ""
    subject: str = ""
    flow: list[Any] = field(default_factory=list)

    def heading(self, value: str) -> Document:
        self.flow += [Spacer(1, 4 * mm), Paragraph(text(value), _style(13, leading=20))]
        return self

    def paragraph(self, value: str, *, size: float = 11) -> Document:
        self.flow.append(Paragraph(text(value), _style(size)))
        return self

    def fields(self, rows: Sequence[tuple[str, Any]]) -> Document:
        """Label / value pairs as a two-column table."""
        body = [[Paragraph(text(k), _style(10.5)), Paragraph(text(v), _style(10.5))] for k, v in rows]
        table = Table(body, colWidths=[35 * mm, 135 * mm])
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f1f5f9")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        self.flow += [Spacer(1, 2 * mm), table]
        return self

    def table(
        self, headers: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float] | None = None
    ) -> Document:
        body = [[Paragraph(text(h), _style(9.5)) for h in headers]]
        body += [[Paragraph(text(c), _style(9)) for c in row] for row in rows]
        table = Table(body, colWidths=[w * mm for w in widths] if widths else None, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e2e8f0")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        self.flow += [Spacer(1, 2 * mm), table]
        return self

    def render(self) -> bytes:
        _fonts()
        out = io.BytesIO()
        doc = SimpleDocTemplate(
            out,
            pagesize=A4,
            leftMargin=20 * mm,
            rightMargin=20 * mm,
            topMargin=20 * mm,
            bottomMargin=20 * mm,
            title=self.title,
            subject=self.subject or self.title,
            creator="edubase",
            invariant=1,
            pageCompression=0,
        )
        story: list[Any] = [Paragraph(text(self.title), _style(20, leading=30, align=1))]
        if self.number:
            story.append(Paragraph(text(self.number), _style(11, align=1)))
        story.append(Spacer(1, 6 * mm))
        story += self.flow

        def footer(canvas: Any, document: Any) -> None:
            canvas.saveState()
            canvas.setFont("Helvetica", 8)
            canvas.drawRightString(A4[0] - 20 * mm, 12 * mm, f"{self.number}  {document.page}")
            canvas.restoreState()

        doc.build(story, onFirstPage=footer, onLaterPages=footer)
        return out.getvalue()
