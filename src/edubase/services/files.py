"""Checking uploaded materials: type by content (magic bytes) and by extension, size, emptiness."""

from __future__ import annotations

import io
import zipfile

from edubase.core.errors import ValidationFailed

#: kind → (extensions, label)
KINDS: dict[str, tuple[tuple[str, ...], str]] = {
    "pdf": ((".pdf",), "PDF"),
    "jpg": ((".jpg", ".jpeg"), "JPEG 图片"),
    "png": ((".png",), "PNG 图片"),
    "xlsx": ((".xlsx",), "Excel 表格（xlsx）"),
    "docx": ((".docx",), "Word 文档（docx）"),
}
DEFAULT_TYPES = ("pdf", "jpg", "png")
DEFAULT_MAX_MB = 10


class MaterialRejected(ValidationFailed):
    code = "services_material_rejected"
    message = "材料不符合要求"


def sniff(data: bytes) -> str | None:
    """The kind of ``data`` judged by its first bytes (and, for OOXML, the package's parts)."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as package:
                names = set(package.namelist())
        except (zipfile.BadZipFile, ValueError):
            return None
        if "[Content_Types].xml" in names:
            if any(n.startswith("xl/") for n in names):
                return "xlsx"
            if any(n.startswith("word/") for n in names):
                return "docx"
    return None


def check(*, data: bytes, filename: str, types: list[str] | tuple[str, ...], max_mb: int | float) -> str:
    """The file's kind, or ``MaterialRejected`` with a reason the applicant can act on."""
    allowed = [t for t in types if t in KINDS] or list(DEFAULT_TYPES)
    labels = "、".join(KINDS[t][1] for t in allowed)
    if not data:
        raise MaterialRejected(f"文件“{filename}”是空文件，请重新选择")
    if len(data) > max_mb * 1024 * 1024:
        raise MaterialRejected(f"文件“{filename}”大小 {len(data) / 1024 / 1024:.1f} MB，超过 {max_mb} MB 的上限")
    kind = sniff(data)
    if kind is None or kind not in allowed:
        raise MaterialRejected(f"文件“{filename}”的内容不是允许的类型（允许：{labels}）")
    if not filename.lower().endswith(KINDS[kind][0]):
        raise MaterialRejected(
            f"文件“{filename}”的扩展名与内容不符：内容是 {KINDS[kind][1]}，扩展名应为 {'/'.join(KINDS[kind][0])}"
        )
    return kind
