"""GB/T 2261.1-2003 《个人基本信息分类与代码 第1部分：人的性别代码》 (sex codes)."""

from __future__ import annotations

STANDARD = "GB/T 2261.1-2003"
NAME = "人的性别代码"
VERSION = "2003"
SOURCE = "GB/T 2261.1-2003 表 1"

ITEMS: tuple[tuple[str, str], ...] = (
    ("0", "未知的性别"),
    ("1", "男性"),
    ("2", "女性"),
    ("9", "未说明的性别"),
)
