"""core.pdf: official documents with an embedded Chinese font, escaped user input, searchable numbers.

The embedded font comes from Debian's fonts-wqy-zenhei, which ``make test`` installs (``browser``)."""

from __future__ import annotations

from edubase.core.pdf import Document


def test_a_document_renders_chinese_tables_and_escapes_markup():
    doc = Document(title="网络安全通报", number="ABC-2026-0001")
    doc.paragraph("理由：<b>未授权</b> & <script>alert(1)</script>" * 20)  # user text is not markup
    doc.fields([("单位", "郑州市中原区第一小学"), ("期限", "2026年12月01日")])
    doc.table(["主机", "漏洞"], [["10.0.0.1", "OpenSSH 远程代码执行"]] * 60)  # several pages
    pdf = doc.render()
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")
    assert b"ABC-2026-0001" in pdf
    assert b"/FontFile2" in pdf  # the Chinese font travels inside the document (a subset)
    assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 2


def test_the_same_document_renders_the_same_bytes():
    def make() -> bytes:
        return Document(title="决定书", number="N-1").paragraph("内容").render()

    assert make() == make()
