"""School identification code (学校标识码) ``AABBCCCCCC`` and its category part.

Source: Ministry of Education, 《学校（机构）代码管理办法》 (教育部, 2011-07-20) and its
coding rules: 10 digits = 2-digit school category code (学校类别码, "行业分类码") + 2-digit
provincial division code (GB/T 2260, first two digits) + 6-digit sequence (for higher
education institutions "0" + the former 5-digit institution code). No check digit.
The category list below is the one published with those rules (16 codes).
"""

from __future__ import annotations

from edubase.orgs.standards import gb2260

#: 2-digit category code → Chinese label (教育部《学校（机构）代码管理办法》, 2011)
SCHOOL_CATEGORIES: dict[str, str] = {
    "11": "幼儿园",
    "21": "小学",
    "22": "成人小学",
    "31": "普通初中",
    "32": "职业初中",
    "33": "成人初中",
    "34": "普通高中",
    "35": "成人高中",
    "36": "中等职业学校",
    "37": "工读学校",
    "41": "普通高等学校",
    "42": "成人高等学校",
    "51": "特殊教育学校",
    "91": "培养研究生的科研机构",
    "92": "民办的其他高等教育机构",
    "93": "中等职业培训机构",
}

#: other names officials write in the 学校类别 column, mapped to the code
_ALIASES: dict[str, str] = {
    "学前教育": "11",
    "普通小学": "21",
    "初中": "31",
    "初级中学": "31",
    "高中": "34",
    "高级中学": "34",
    "完全中学": "34",
    "中职": "36",
    "中等职业教育": "36",
    "普通高校": "41",
    "高校": "41",
    "成人高校": "42",
    "特殊教育": "51",
    "特教学校": "51",
}

CODE_LENGTH = 10


def category_label(code: str) -> str:
    """The Chinese label of a category code (the code itself if unknown)."""
    return SCHOOL_CATEGORIES.get(code, code)


def parse_category(value: str) -> str | None:
    """A category code from a code (``"21"``) or a label (``"小学"``); ``None`` if not recognised."""
    text = value.strip()
    if text in SCHOOL_CATEGORIES:
        return text
    for code, label in SCHOOL_CATEGORIES.items():
        if text == label:
            return code
    return _ALIASES.get(text)


def province_prefixes() -> frozenset[str]:
    """The 2-digit provincial codes of GB/T 2260 (11 北京 … 65 新疆, 71, 81, 82)."""
    return frozenset(code[:2] for code in gb2260.divisions() if code.endswith("0000"))


def validate_school_code(code: str) -> list[str]:
    """Every reason ``code`` is not a well-formed school identification code (empty list = valid)."""
    if len(code) != CODE_LENGTH or not code.isascii() or not code.isdigit():
        return [f"学校标识码应为 {CODE_LENGTH} 位数字（当前为“{code}”）"]
    reasons = []
    if code[:2] not in SCHOOL_CATEGORIES:
        reasons.append(f"学校标识码前 2 位“{code[:2]}”不是教育部规定的学校类别码")
    if code[2:4] not in province_prefixes():
        reasons.append(f"学校标识码第 3–4 位“{code[2:4]}”不是有效的省级行政区划代码")
    if code[4:] == "000000":
        reasons.append("学校标识码后 6 位顺序号不能为 000000")
    return reasons
