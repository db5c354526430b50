"""Notice documents as PDF (reportlab): the notice (网络安全通报) and the rectification report (整改报告).

Chinese text is set in the embedded document font of ``core.pdf`` (WenQuanYi Zen Hei), so
the files stay small and the text searchable.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from edubase.core.pdf import font_name
from edubase.secops.models import Notice, NoticeStatus
from edubase.secops.notices import NoReportYet


@lru_cache(maxsize=1)
def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=font_name(), fontSize=11, leading=17, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=20, leading=28, alignment=1, textColor=colors.red),
        "number": ParagraphStyle("number", parent=base, alignment=1),
        "heading": ParagraphStyle("heading", parent=base, fontSize=13, leading=20, spaceBefore=8),
        "body": base,
        "cell": ParagraphStyle("cell", parent=base, fontSize=9, leading=12),
        "right": ParagraphStyle("right", parent=base, alignment=2),
    }


def _p(text: Any, style: str = "body") -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), _styles()[style])


def _table(headers: list[str], rows: list[list[Any]], widths: list[float]) -> Table:
    data = [[_p(h, "cell") for h in headers]] + [[_p(c, "cell") for c in row] for row in rows]
    table = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _build(story: list[Any], title: str) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=title,
        author="edubase",
    )
    doc.build(story)
    return buffer.getvalue()


def _when(value: Any) -> str:
    return f"{timezone.localtime(value):%Y年%m月%d日 %H:%M}" if value else "—"


def _findings_rows(notice: Notice) -> list[list[Any]]:
    return [
        [
            f.pk,
            f.host + (f":{f.port}" if f.port else ""),
            f.name,
            ", ".join(f.cves or []) or "—",
            f.get_severity_display(),
        ]
        for f in notice.findings.all().order_by("pk")
    ]


def notice_pdf(notice: Notice) -> bytes:
    """The notice itself: number, issuer, target, findings, deadline and required actions."""
    story: list[Any] = [
        _p(f"{notice.issuer_org.name}网络安全通报", "title"),
        Spacer(1, 4 * mm),
        _p(notice.number, "number"),
        Spacer(1, 6 * mm),
        _p(f"{notice.org.name}：", "heading"),
        _p(
            f"经监测发现，你单位存在以下网络安全问题（危险等级：{notice.get_severity_display()}）。"
            f"请于 {_when(notice.deadline)} 前完成整改，上传整改佐证材料并申请复测。"
        ),
        _p(f"通报事项：{notice.title}", "heading"),
    ]
    if notice.issue_text:
        story += [_p(notice.issue_text)]
    rows = _findings_rows(notice)
    if rows:
        story += [
            _p("漏洞清单", "heading"),
            _table(["编号", "主机/端口", "漏洞名称", "CVE", "危险等级"], rows, [14, 36, 70, 30, 20]),
        ]
    incidents = list(notice.incidents.all().order_by("pk"))
    if incidents:
        story += [_p("关联安全事件", "heading")] + [_p(f"· {i}") for i in incidents]
    story += [
        _p("整改要求", "heading"),
        _p(notice.required_actions),
        _p("整改期限", "heading"),
        _p(_when(notice.deadline)),
        Spacer(1, 12 * mm),
        _p(notice.issuer_org.name, "right"),
        _p(_when(notice.issued_at), "right"),
    ]
    return _build(story, notice.number)


def rectification_report_pdf(notice: Notice) -> bytes:
    """The rectification report (整改报告): what was done, evidence with SM3 digests, the verification."""
    if notice.status not in (NoticeStatus.RETEST_REQUESTED, NoticeStatus.CLOSED) and not notice.retest_requested_at:
        raise NoReportYet()
    if notice.status == NoticeStatus.CLOSED:
        result = f"核验通过，已于 {_when(notice.closed_at)} 销号。{notice.verification_comment}"
    elif notice.status == NoticeStatus.REOPENED:
        result = f"核验未通过，已退回整改：{notice.last_reopen_reason}"
    else:
        result = "待核验"
    evidence = [
        [e.original_name, e.kind.upper(), f"{e.size:,}", e.digest_sm3, _when(e.uploaded_at)]
        for e in notice.evidence.all()
    ]
    story: list[Any] = [
        _p(f"{notice.org.name}网络安全整改报告", "title"),
        Spacer(1, 4 * mm),
        _p(f"关于 {notice.number}《{notice.title}》的整改情况", "number"),
        Spacer(1, 6 * mm),
        _p(f"{notice.issuer_org.name}：", "heading"),
        _p(
            f"我单位于 {_when(notice.acknowledged_at)} 签收通报，"
            f"于 {_when(notice.retest_requested_at)} 完成整改并申请复测。"
        ),
        _p("整改情况", "heading"),
        _p(notice.fix_summary or "—"),
    ]
    rows = _findings_rows(notice)
    if rows:
        story += [
            _p("涉及漏洞", "heading"),
            _table(["编号", "主机/端口", "漏洞名称", "CVE", "危险等级"], rows, [14, 36, 70, 30, 20]),
        ]
    story += [
        _p("佐证材料（SM3 摘要）", "heading"),
        _table(
            ["文件", "类型", "大小（字节）", "SM3", "上传时间"],
            evidence or [["—", "", "", "", ""]],
            [40, 12, 20, 68, 30],
        ),
        _p("核验结果", "heading"),
        _p(result),
        Spacer(1, 12 * mm),
        _p(notice.org.name, "right"),
    ]
    return _build(story, f"{notice.number} 整改报告")
