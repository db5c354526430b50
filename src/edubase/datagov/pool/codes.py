"""Code tables used by the roster contract (reference data, with their sources).

* Sex: GB/T 2261.1-2003 人的性别代码 (0 未知, 1 男, 2 女, 9 未说明).
* Ethnic groups: GB 3304-1991 中国各民族名称的罗马字母拼写法和代码 (01–56, plus 97 其他,
  98 外国血统中国籍人士).
* Grades: 年级码 as used by the national student registry (JY/T 1001 教育管理信息 教育管理基础代码):
  11–16 primary, 21–23 junior secondary, 31–33 senior secondary.
"""

from __future__ import annotations

SEX: dict[str, str] = {"0": "未知的性别", "1": "男", "2": "女", "9": "未说明的性别"}

ETHNICITY: dict[str, str] = {
    "01": "汉族", "02": "蒙古族", "03": "回族", "04": "藏族", "05": "维吾尔族", "06": "苗族", "07": "彝族",
    "08": "壮族", "09": "布依族", "10": "朝鲜族", "11": "满族", "12": "侗族", "13": "瑶族", "14": "白族",
    "15": "土家族", "16": "哈尼族", "17": "哈萨克族", "18": "傣族", "19": "黎族", "20": "傈僳族", "21": "佤族",
    "22": "畲族", "23": "高山族", "24": "拉祜族", "25": "水族", "26": "东乡族", "27": "纳西族", "28": "景颇族",
    "29": "柯尔克孜族", "30": "土族", "31": "达斡尔族", "32": "仫佬族", "33": "羌族", "34": "布朗族",
    "35": "撒拉族", "36": "毛南族", "37": "仡佬族", "38": "锡伯族", "39": "阿昌族", "40": "普米族",
    "41": "塔吉克族", "42": "怒族", "43": "乌孜别克族", "44": "俄罗斯族", "45": "鄂温克族", "46": "德昂族",
    "47": "保安族", "48": "裕固族", "49": "京族", "50": "塔塔尔族", "51": "独龙族", "52": "鄂伦春族",
    "53": "赫哲族", "54": "门巴族", "55": "珞巴族", "56": "基诺族", "97": "其他", "98": "外国血统中国籍人士",
}  # fmt: skip

GRADE: dict[str, str] = {
    "11": "一年级", "12": "二年级", "13": "三年级", "14": "四年级", "15": "五年级", "16": "六年级",
    "21": "七年级", "22": "八年级", "23": "九年级",
    "31": "高一", "32": "高二", "33": "高三",
}  # fmt: skip

#: years of schooling a grade stands for (一年级 = 1 … 高三 = 12): the expected age is this + 5 on 1 September
GRADE_YEAR: dict[str, int] = {code: i for i, code in enumerate(GRADE, start=1)}

#: label → code, so rosters typed by hand (「男」「汉族」「三年级」「初一」) are accepted
_ALIASES: dict[str, dict[str, str]] = {
    "sex": {"男性": "1", "女性": "2"},
    "ethnicity": {"汉": "01", "回": "03", "满": "11", "蒙古": "02"},
    "grade": {"初一": "21", "初二": "22", "初三": "23", "高中一年级": "31", "高中二年级": "32", "高中三年级": "33"},
}
TABLES: dict[str, dict[str, str]] = {"sex": SEX, "ethnicity": ETHNICITY, "grade": GRADE}


def normalise_code(table: str, value: str) -> str | None:
    """The code for ``value`` (a code, a zero-padding slip like ``1`` for ``01``, or a label); None if unknown."""
    codes = TABLES[table]
    text = value.strip()
    if text in codes:
        return text
    if text.isdigit() and text.zfill(2) in codes:
        return text.zfill(2)
    for code, label in codes.items():
        if text == label:
            return code
    return _ALIASES.get(table, {}).get(text)
