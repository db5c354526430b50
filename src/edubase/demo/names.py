"""Synthetic Chinese personal names, mobile numbers and street addresses for the demo province.

Everything here is generated from short lists of common characters: surname frequency
roughly follows published surname rankings, given names follow the fashions of the
birth decade, and about one person in seventy gets a minority-style name (Uyghur names
with the middle dot, Tibetan and Mongolian names, Manchu compound surnames). No list
holds a real person's full name; any match with a real person is chance.
"""

from __future__ import annotations

import random

#: common single-character surnames with rough relative frequency (per mille of the population)
_SURNAMES: tuple[tuple[str, int], ...] = (
    ("王", 72),
    ("李", 71),
    ("张", 68),
    ("刘", 54),
    ("陈", 45),
    ("杨", 31),
    ("赵", 20),
    ("黄", 22),
    ("周", 17),
    ("吴", 15),
    ("徐", 13),
    ("孙", 12),
    ("胡", 12),
    ("朱", 11),
    ("高", 11),
    ("林", 10),
    ("何", 10),
    ("郭", 10),
    ("马", 10),
    ("罗", 8),
    ("梁", 7),
    ("宋", 7),
    ("郑", 7),
    ("谢", 6),
    ("韩", 6),
    ("唐", 6),
    ("冯", 6),
    ("于", 6),
    ("董", 5),
    ("萧", 5),
    ("程", 5),
    ("曹", 5),
    ("袁", 5),
    ("邓", 5),
    ("许", 5),
    ("傅", 5),
    ("沈", 4),
    ("曾", 4),
    ("彭", 4),
    ("吕", 4),
    ("苏", 4),
    ("卢", 4),
    ("蒋", 4),
    ("蔡", 4),
    ("贾", 4),
    ("丁", 4),
    ("魏", 4),
    ("薛", 3),
    ("叶", 3),
    ("阎", 3),
    ("余", 3),
    ("潘", 3),
    ("杜", 3),
    ("戴", 3),
    ("夏", 3),
    ("钟", 3),
    ("汪", 3),
    ("田", 3),
    ("任", 3),
    ("姜", 3),
    ("范", 3),
    ("方", 3),
    ("石", 3),
    ("姚", 3),
    ("谭", 2),
    ("廖", 2),
    ("邹", 2),
    ("熊", 2),
    ("金", 2),
    ("陆", 2),
    ("郝", 2),
    ("孔", 2),
    ("白", 2),
    ("崔", 2),
    ("康", 2),
    ("毛", 2),
    ("邱", 2),
    ("秦", 2),
    ("江", 2),
    ("史", 2),
    ("顾", 2),
    ("侯", 2),
    ("邵", 2),
    ("孟", 2),
    ("龙", 2),
    ("万", 2),
    ("段", 2),
    ("雷", 2),
    ("钱", 2),
    ("汤", 2),
    ("尹", 2),
    ("黎", 2),
    ("易", 2),
    ("常", 2),
    ("武", 2),
    ("乔", 2),
    ("贺", 2),
    ("赖", 1),
    ("龚", 1),
    ("文", 1),
    ("闫", 2),
    ("牛", 1),
    ("申", 1),
    ("岳", 1),
    ("翟", 1),
    ("祁", 1),
    ("楚", 1),
    ("殷", 1),
    ("海", 1),
    ("沙", 1),
)

#: compound surnames (复姓), each rare; together about one name in two hundred
_COMPOUND_SURNAMES: tuple[str, ...] = (
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "慕容",
    "令狐",
    "尉迟",
    "公孙",
    "司徒",
    "夏侯",
    "端木",
    "宇文",
    "长孙",
)

#: given-name characters in fashion for people born before 1990 (teachers, staff, adult learners)
_OLDER_MALE = "伟强磊军勇杰涛明超刚平辉建国华志红新峰斌波宏亮林鹏飞俊海东军民永庆德文富贵"
_OLDER_FEMALE = "芳娜敏静丽艳娟霞秀英玲桂兰红梅萍燕琴慧莉雪华玉凤云洁丹晶颖琳"
#: given-name characters in fashion for people born from 1990 (students, young teachers)
_YOUNGER_MALE = "浩然宇轩子涵睿博文皓辰泽逸晨阳俊熙铭昊天瑞彦一诺梓煜佑嘉明哲翔宸锦航"
_YOUNGER_FEMALE = "欣怡梓萱雨涵诗琪可馨语嫣若曦思彤佳琪紫涵一诺梦瑶雅静心悦欣妍雨桐沐晴"

_UYGHUR_GIVEN = ("买买提", "艾力", "阿不都", "努尔", "艾克拜尔", "依明", "阿迪力", "卡德尔", "吐尔逊", "麦麦提")
_UYGHUR_GIVEN_F = ("阿依古丽", "热依拉", "迪丽娜尔", "帕提古丽", "米热古丽", "古丽娜", "阿娜尔", "再努尔")
_TIBETAN = ("扎西", "次仁", "格桑", "旦增", "平措", "顿珠", "多吉", "白玛", "德吉", "索朗")
_TIBETAN_F = ("卓玛", "央金", "拉姆", "曲珍", "德央", "措姆", "白珍", "仁增")
_MONGOLIAN = ("巴特尔", "那日苏", "苏和", "额尔敦", "宝音", "阿拉坦", "朝鲁", "毕力格")
_MONGOLIAN_F = ("其其格", "乌云", "斯琴", "图雅", "萨仁", "娜仁", "高娃", "塔娜")
_MANCHU_SURNAMES = ("爱新觉罗", "叶赫那拉", "钮祜禄", "瓜尔佳")

#: mobile number segments (号段) in use by the three operators
_MOBILE_PREFIXES: tuple[str, ...] = (
    *(f"13{d}" for d in range(10)),
    *("150", "151", "152", "153", "155", "156", "157", "158", "159", "166", "172", "173", "175"),
    *("176", "177", "178", *(f"18{d}" for d in range(10)), "191", "193", "195", "197", "198", "199"),
)

STREETS: tuple[str, ...] = (
    "人民路",
    "建设路",
    "解放路",
    "文化路",
    "中山路",
    "黄河路",
    "嵩山路",
    "农业路",
    "花园路",
    "纬五路",
    "经三路",
    "桐柏路",
    "伏牛路",
    "大学路",
    "民主路",
    "工业路",
    "新华路",
    "育才街",
    "学院路",
    "滨河路",
)

TOWNS: tuple[str, ...] = (
    "城关",
    "东关",
    "西关",
    "柳林",
    "李庄",
    "王楼",
    "张集",
    "大营",
    "白沙",
    "石桥",
    "古城",
    "新店",
    "龙湖",
    "桃园",
    "杏花营",
    "双庙",
    "高庙",
    "马寨",
    "黄店",
    "刘集",
)

_SURNAME_CHOICES = tuple(s for s, _ in _SURNAMES)
_SURNAME_WEIGHTS = tuple(w for _, w in _SURNAMES)
_CUM_WEIGHTS: list[int] = []
_total = 0
for _w in _SURNAME_WEIGHTS:
    _total += _w
    _CUM_WEIGHTS.append(_total)


def surname(rng: random.Random) -> str:
    """A surname: mostly common single characters, sometimes a compound one."""
    if rng.random() < 0.005:
        return rng.choice(_COMPOUND_SURNAMES)
    return rng.choices(_SURNAME_CHOICES, cum_weights=_CUM_WEIGHTS)[0]


def _given(rng: random.Random, *, female: bool, birth_year: int) -> str:
    if birth_year < 1990:
        pool = _OLDER_FEMALE if female else _OLDER_MALE
        length = 1 if rng.random() < 0.45 else 2
    else:
        pool = _YOUNGER_FEMALE if female else _YOUNGER_MALE
        length = 1 if rng.random() < 0.15 else 2
    return "".join(rng.choice(pool) for _ in range(length))


def _minority_name(rng: random.Random, *, female: bool) -> str:
    style = rng.randrange(4)
    if style == 0:
        first = rng.choice(_UYGHUR_GIVEN_F if female else _UYGHUR_GIVEN)
        return f"{first}·{rng.choice(_UYGHUR_GIVEN)}"
    if style == 1:
        return rng.choice(_TIBETAN) + rng.choice(_TIBETAN_F if female else _TIBETAN)
    if style == 2:
        return rng.choice(_MONGOLIAN_F if female else _MONGOLIAN)
    return rng.choice(_MANCHU_SURNAMES) + _given(rng, female=female, birth_year=2000)


def person_name(rng: random.Random, *, female: bool, birth_year: int) -> str:
    """A plausible full name for someone of this sex and birth year."""
    if rng.random() < 0.014:
        return _minority_name(rng, female=female)
    return surname(rng) + _given(rng, female=female, birth_year=birth_year)


def mobile_number(rng: random.Random) -> str:
    """An 11-digit mainland mobile number on a real operator segment."""
    return rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"


def chinese_number(n: int) -> str:
    """``1`` → ``一``, ``12`` → ``十二``, ``105`` → ``一百零五`` (1–9999), as in 第十二中学."""
    digits = "零一二三四五六七八九"
    if not 0 < n < 10_000:
        raise ValueError(n)
    units = ((1000, "千"), (100, "百"), (10, "十"), (1, ""))
    out: list[str] = []
    pending_zero = False
    for value, unit in units:
        d = (n // value) % 10
        if d == 0:
            if out:
                pending_zero = True
            continue
        if pending_zero:
            out.append("零")
            pending_zero = False
        out.append(digits[d] + unit)
    text = "".join(out)
    return text[1:] if text.startswith("一十") else text
