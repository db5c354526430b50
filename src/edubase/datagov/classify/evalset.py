"""The labelled evaluation set (评测集) for classification, generated, seeded and reproducible.

Every value is synthetic but real-format: checksum-valid citizen IDs on Henan (and other)
region codes — including codes created after the holder's birth year and abolished codes —,
residence permits, USCCs with a valid embedded organisation code, mobile numbers of allocated
segments, Luhn-valid UnionPay cards, national student numbers, passports, permits, plates,
names of many kinds (single and compound surnames, rare surnames missing from the detector's
list, Uyghur/Kazakh dotted names, Tibetan and Mongolian names without surname) and Henan
addresses built from GB/T 2260 codes. No Faker: its addresses mix provinces.

Decoys are labelled ``None``: year and academic-year codes, term and class codes, school
codes, order numbers (date + serial), random 18-digit numbers that fail the MOD 11-2 check,
ID-shaped numbers with a wrong check digit, 62-prefixed numbers that fail Luhn, USCC-shaped
codes that fail MOD 31, random 16-digit voucher numbers, enrolment dates, amounts, scores,
and Han words that look like names or addresses: course names, job titles (高级教师),
positions (班主任), school names (中原区第一中学).

Columns carry realistic names (JY/T pinyin abbreviations, English snake/camel case, Chinese)
and a share of uninformative names (``col_7``, ``字段3``) so that values must carry the proof.
"""

from __future__ import annotations

import datetime as dt
import random
import string
from dataclasses import dataclass, field

from edubase.datagov.classify.names import COMPOUND_SURNAMES
from edubase.datagov.classify.validators import PLATE_PROVINCES, id_check_character
from edubase.datagov.classify.vocab import words
from edubase.orgs.standards.gb2260 import current_counties, current_prefectures, divisions

DEFAULT_SEED = 20240901


@dataclass
class EvalColumn:
    """One labelled column: ``truth`` is the entity (``None`` for a decoy); ``value_truth`` labels
    each value (``None`` for blanks, junk and deliberate typos, which are not scored per value)."""

    name: str
    comment: str
    values: list[str | None]
    truth: str | None
    kind: str  # "entity" | "decoy"
    decoy: str = ""
    value_truth: list[str | None] = field(default_factory=list)
    scored: list[bool] = field(default_factory=list)


_COMMON_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
_RARE_SURNAMES = "禚兀暴撖郇菅蹇"  # real surnames that the detector's list does not hold
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌浩"
    "宇轩梓涵子豪欣怡雨萱博一诺思远嘉晨阳佳琪俊雪梅海燕春金凤翠霖铭睿瑶琳"
)
_UYGHUR = words(
    "阿依古丽 买买提 热依拉 古丽娜尔 艾合买提 努尔 阿不都 热合曼 迪丽 吐尔逊 帕提古丽 伊力哈木 艾则孜 阿布都热依木"
)
_KAZAKH = words("努尔兰 哈那提 阿依达娜 叶尔兰 别克 阿斯哈尔 加娜尔")
_TIBETAN = words("扎西 顿珠 卓玛 次仁 央金 旺姆 多吉 拉姆 格桑 平措 达瓦 尼玛 普布 边巴")
_MONGOLIAN = words("巴特尔 乌云 其其格 斯琴 额尔敦 苏和 宝音 那仁 敖日格乐 图雅 格日勒")
_TOWNS = words("城关镇 龙湖镇 新华街道 建设路街道 花园路街道 南关镇 黄河路街道 柳林镇 高新街道 白沙镇 古城乡 三官庙乡")
_ROADS = words("建设路 人民路 中原路 文化路 解放路 黄河路 嵩山路 工业路 农业路 金水路 经三路 纬五路 迎宾大道 和平街")
_VILLAGES = words("王庄村 李营村 张湾村 刘楼村 陈寨村 杨店村 新庄村 东关村 后河村 小李庄")
_MOBILE_PREFIXES = words(
    "130 131 132 133 135 136 137 138 139 150 151 152 155 157 158 159 166 173 177 180 182 186 187 188 189 191 198 199"
)
_COURSES = words("语文 数学 英语 物理 化学 生物 历史 地理 政治 音乐 美术 体育 信息技术 劳动 科学 道德与法治")

#: column names per entity: JY/T pinyin abbreviations, English, Chinese (name, comment)
COLUMN_NAMES: dict[str, list[tuple[str, str]]] = {
    "citizen_id": [("SFZJH", "身份证件号"), ("sfzh", ""), ("id_card_no", ""), ("身份证号码", ""), ("idCardNumber", "")],
    "residence_permit": [("JZZH", "港澳台居民居住证号"), ("residence_permit_no", ""), ("居住证号码", "")],
    "uscc": [("TYSHXYDM", "统一社会信用代码"), ("credit_code", ""), ("统一社会信用代码", "")],
    "mobile": [
        ("LXDH", "联系电话"),
        ("YDDH", ""),
        ("mobile", ""),
        ("parentPhone", ""),
        ("家长手机", ""),
        ("JZLXDH", ""),
    ],
    "bank_card": [("YHKH", "银行卡号"), ("bank_card_no", ""), ("资助发放卡号", ""), ("cardNo", "")],
    "student_number": [("XJH", "全国学籍号"), ("QGXJH", ""), ("学籍号", ""), ("national_student_id", "")],
    "passport": [("HZH", "护照号码"), ("passport_no", ""), ("护照号", "")],
    "travel_permit": [("TXZH", "通行证号码"), ("travel_permit_no", ""), ("港澳通行证号", "")],
    "plate": [("CPH", "车牌号"), ("plate_no", ""), ("接送车辆车牌", "")],
    "email": [("DZXX", "电子信箱"), ("email", ""), ("邮箱", "")],
    "person_name": [("XM", "姓名"), ("student_name", ""), ("JHRXM", "监护人姓名"), ("姓名", ""), ("teacherName", "")],
    "address": [("JTZZ", "家庭住址"), ("home_address", ""), ("现住址", ""), ("HKSZD", "户口所在地")],
    "birth_date": [("CSRQ", "出生日期"), ("birthday", ""), ("出生日期", ""), ("date_of_birth", "")],
    "sex": [("XBM", "性别码"), ("gender", ""), ("性别", "")],
    "ethnicity": [("MZM", "民族码"), ("ethnicity", ""), ("民族", "")],
    "political_status": [("ZZMMM", "政治面貌码"), ("political_status", ""), ("政治面貌", "")],
    "religion": [("ZJXYM", "宗教信仰码"), ("religion", ""), ("宗教信仰", "")],
    "health": [("JKZKM", "健康状况码"), ("health_status", ""), ("健康状况", ""), ("既往病史", "")],
    "hardship_subsidy": [
        ("JTJJKNLX", "家庭经济困难类型"),
        ("subsidy_type", ""),
        ("资助类别", ""),
        ("困难认定等级", ""),
    ],
    "discipline": [("CFMC", "处分名称"), ("discipline_record", ""), ("违纪处分", "")],
    "psych_assessment": [("XLCPJG", "心理测评结果"), ("psych_screening", ""), ("心理筛查预警等级", "")],
    "landline": [("GDDH", "固定电话"), ("office_phone", ""), ("办公电话", "")],
}
_UNINFORMATIVE = ["col_{n}", "F{n}", "字段{n}", "field{n}", "备用{n}", "ext_{n}"]


class _Gen:
    """Value generators sharing one seeded ``random.Random``."""

    def __init__(self, rng: random.Random) -> None:
        self.r = rng
        codes = divisions()
        self.henan_counties = [d for p in current_prefectures("41") for d in current_counties(p.code)]
        self.henan_prefectures = current_prefectures("41")
        self.all_county_codes = [c for c in codes if not c.endswith("00")]
        self.abolished = [c for c, d in codes.items() if not c.endswith("00") and not d.current]

    # identifiers -----------------------------------------------------------------------
    def birth(self, lo: int = 1950, hi: int = 2021) -> dt.date:
        return dt.date(lo, 1, 1) + dt.timedelta(days=self.r.randrange((dt.date(hi, 12, 31) - dt.date(lo, 1, 1)).days))

    def region(self) -> str:
        roll = self.r.random()
        if roll < 0.75:
            return self.r.choice(self.henan_counties).code
        if roll < 0.9:
            return self.r.choice(self.all_county_codes)
        return self.r.choice(self.abolished or self.all_county_codes)

    def citizen_id(self, *, valid: bool = True, region: str | None = None) -> str:
        body = (region or self.region()) + self.birth().strftime("%Y%m%d") + f"{self.r.randrange(1000):03d}"
        check = id_check_character(body)
        if not valid:
            check = self.r.choice([c for c in "0123456789X" if c != check])
        out = body + check
        return out.lower() if out.endswith("X") and self.r.random() < 0.2 else out

    def residence_permit(self) -> str:
        return self.citizen_id(region=self.r.choice(["810000", "820000", "830000"]))

    def uscc(self) -> str:
        from edubase.datagov.classify.validators import _ORG_WEIGHTS, _USCC_ALPHABET, _USCC_TYPES, _USCC_WEIGHTS

        authority = self.r.choice("1234579ANY" if self.r.random() < 0.3 else "95")
        kind = self.r.choice(_USCC_TYPES[authority])
        region = self.r.choice(self.henan_counties).code
        body = "".join(self.r.choice(string.digits + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
        total = sum((ord(c) - 55 if c.isalpha() else int(c)) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
        c9 = 11 - total % 11
        org = body + ("X" if c9 == 10 else "0" if c9 == 11 else str(c9))
        first17 = authority + kind + region + org
        value = {c: i for i, c in enumerate(_USCC_ALPHABET)}
        total = sum(value[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
        return first17 + _USCC_ALPHABET[(31 - total % 31) % 31]

    def mobile(self) -> str:
        prefix = self.r.choice(_MOBILE_PREFIXES)
        number = prefix + f"{self.r.randrange(10**8):08d}"
        roll = self.r.random()
        if roll < 0.05:
            return "+86 " + number
        if roll < 0.1:
            return f"{number[:3]}-{number[3:7]}-{number[7:]}"
        return number

    def luhn_complete(self, partial: str) -> str:
        total = 0
        for i, ch in enumerate(reversed(partial)):
            d = int(ch)
            if i % 2 == 0:
                d = d * 2 - 9 if d > 4 else d * 2
            total += d
        return partial + str((10 - total % 10) % 10)

    def bank_card(self) -> str:
        roll = self.r.random()
        if roll < 0.8:
            length = self.r.choice([16, 19, 19, 18, 17])
            bin6 = self.r.choice(["622202", "622848", "621700", "622700", "623058", "621226", "622588", "625965"])
        else:
            length = 16
            bin6 = self.r.choice(["436742", "524047", "512315", "404119"])
        partial = bin6 + "".join(self.r.choice(string.digits) for _ in range(length - 7))
        card = self.luhn_complete(partial)
        if self.r.random() < 0.1:
            card = " ".join(card[i : i + 4] for i in range(0, len(card), 4))
        return card

    def student_number(self) -> str:
        roll = self.r.random()
        if roll < 0.8:
            return "G" + self.citizen_id().upper()
        if roll < 0.9:
            return "J" + self.residence_permit().upper()
        return "L" + "".join(self.r.choice(string.digits + string.ascii_uppercase) for _ in range(18))

    def passport(self) -> str:
        if self.r.random() < 0.5:
            return "E" + f"{self.r.randrange(10**8):08d}"
        return "E" + self.r.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") + f"{self.r.randrange(10**7):07d}"

    def travel_permit(self) -> str:
        roll = self.r.random()
        if roll < 0.5:
            return "C" + self.r.choice("ABCDEFGHJKLMN") + f"{self.r.randrange(10**7):07d}"
        if roll < 0.8:
            return "T" + f"{self.r.randrange(10**8):08d}"
        return self.r.choice("HM") + f"{self.r.randrange(10**8):08d}"

    def plate(self) -> str:
        letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
        head = self.r.choice("豫豫豫豫" + PLATE_PROVINCES) + self.r.choice(letters[:17])
        if self.r.random() < 0.2:
            tail = self.r.choice("DF") + self.r.choice(letters + string.digits) + f"{self.r.randrange(10**4):04d}"
        else:
            tail = "".join(
                self.r.choice(string.digits + letters) if i < 2 else self.r.choice(string.digits) for i in range(5)
            )
        return head + ("·" if self.r.random() < 0.1 else "") + tail

    def email(self) -> str:
        local = "".join(self.r.choice(string.ascii_lowercase) for _ in range(self.r.randrange(3, 9)))
        local += str(self.r.randrange(100)) if self.r.random() < 0.5 else ""
        return local + "@" + self.r.choice(["qq.com", "163.com", "126.com", "haedu.gov.cn", "zzu.edu.cn", "sina.com"])

    def landline(self) -> str:
        area = self.r.choice(["0371", "0379", "0372", "0373", "0375", "0377", "010", "021"])
        number = (
            str(self.r.randrange(2, 9))
            + f"{self.r.randrange(10**6 if len(area) == 4 else 10**7):0{6 if len(area) == 4 else 7}d}"
        )
        return f"{area}-{number}"

    # people and places -----------------------------------------------------------------
    def person_name(self) -> str:
        roll = self.r.random()
        given = "".join(self.r.choice(_GIVEN) for _ in range(self.r.choice([1, 2, 2, 2])))
        if roll < 0.8:
            return self.r.choice(_COMMON_SURNAMES) + given
        if roll < 0.86:
            return self.r.choice(sorted(COMPOUND_SURNAMES)) + given
        if roll < 0.88:
            return self.r.choice(_RARE_SURNAMES) + given
        if roll < 0.94:
            pool = _UYGHUR if self.r.random() < 0.7 else _KAZAKH
            return "·".join(self.r.sample(pool, 2))
        if roll < 0.97:
            return "".join(self.r.sample(_TIBETAN, 2))
        return self.r.choice(_MONGOLIAN)

    def address(self) -> str:
        county = self.r.choice(self.henan_counties)
        prefecture = next((p for p in self.henan_prefectures if p.code[:4] == county.code[:4]), None)
        parts = []
        if self.r.random() < 0.6:
            parts.append("河南省")
        if prefecture and self.r.random() < 0.9:
            parts.append(prefecture.name or "")
        parts.append(county.name or "")
        if self.r.random() < 0.5:
            parts.append(self.r.choice(_TOWNS) + self.r.choice(_VILLAGES) + f"{self.r.randrange(1, 12)}组")
        else:
            parts.append(self.r.choice(_ROADS) + f"{self.r.randrange(1, 300)}号")
            if self.r.random() < 0.5:
                parts.append(
                    f"{self.r.randrange(1, 30)}号楼{self.r.randrange(1, 6)}单元{self.r.randrange(101, 2400)}室"
                )
        return "".join(parts)

    def birth_date(self) -> str:
        d = self.birth(1960, 2021)
        fmt = self.r.choice(["%Y-%m-%d", "%Y%m%d", "slash", "cn"])
        if fmt == "slash":
            return f"{d.year}/{d.month}/{d.day}"
        if fmt == "cn":
            return f"{d.year}年{d.month}月{d.day}日"
        return d.strftime(fmt)

    def categorical(self, entity: str, *, coded: bool = False) -> str:
        """A code-table label (``汉族``) or, with ``coded``, a code (``01``) of a categorical entity."""
        tables = {
            "sex": (["男", "女"], ["1", "2"]),
            "ethnicity": (
                ["汉族"] * 8 + ["回族", "蒙古族", "满族", "维吾尔族", "土家族"],
                ["01"] * 8 + ["03", "02", "11"],
            ),
            "political_status": (["群众", "共青团员", "少先队员", "中共党员"], ["13", "03", "01", "12"]),
            "religion": (
                ["无宗教信仰"] * 4 + ["佛教", "伊斯兰教", "基督教", "天主教", "道教"],
                ["00", "10", "20", "30", "40"],
            ),
            "health": (
                ["健康或良好"] * 5 + ["一般或较弱", "有慢性病", "残疾", "哮喘", "先天性心脏病", "过敏体质"],
                ["1", "2", "3", "6"],
            ),
            "hardship_subsidy": (
                ["非困难", "一般困难", "比较困难", "特别困难", "建档立卡贫困户", "低保家庭", "孤儿"],
                ["1", "2", "3", "9"],
            ),
            "discipline": (["警告", "严重警告", "记过", "留校察看", "通报批评", "已撤销"], ["1", "2", "3", "4"]),
            "psych_assessment": (
                ["未见异常", "需关注", "一级预警", "二级预警", "三级预警", "轻度焦虑", "中度抑郁"],
                ["0", "1", "2", "3"],
            ),
        }
        labels, codes = tables[entity]
        return self.r.choice(codes if coded else labels)

    # decoys -----------------------------------------------------------------------------
    def decoy(self, kind: str) -> str:
        r = self.r
        year = r.randrange(2000, 2026)
        if kind == "academic_year":
            return f"{year}-{year + 1}"
        if kind == "year":
            return str(year)
        if kind == "term":
            return f"{year}-{year + 1}-{r.randrange(1, 3)}"
        if kind == "class_code":
            return f"{year}{r.randrange(1, 13):02d}{r.randrange(1, 30):02d}"
        if kind == "school_code":
            return f"41{r.randrange(10**8):08d}"
        if kind == "order_number":
            day = self.birth(2019, 2025)
            return day.strftime("%Y%m%d") + f"{r.randrange(10**10):010d}"
        if kind == "random18":
            while True:
                digits = "".join(r.choice(string.digits) for _ in range(18))
                if id_check_character(digits[:17]) != digits[17]:
                    return digits
        if kind == "id_typo":
            return self.citizen_id(valid=False)
        if kind == "prefix62":
            while True:
                partial = "62" + "".join(r.choice(string.digits) for _ in range(r.choice([14, 17])))
                if self.luhn_complete(partial[:-1]) != partial:
                    return partial
        if kind == "uscc_bad":
            good = self.uscc()
            return good[:-1] + r.choice([c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY" if c != good[-1]])
        if kind == "amount":
            return f"{r.randrange(0, 20000)}.{r.randrange(100):02d}"
        if kind == "score":
            return str(r.randrange(0, 151))
        if kind == "course":
            return r.choice(_COURSES)
        if kind == "serial":
            # sequential row numbers, zero-padded (a fresh start per call keeps columns independent)
            self._serial = getattr(self, "_serial", r.randrange(10**6)) + 1
            return f"{self._serial:011d}"
        if kind == "serial16":
            return "".join(r.choice(string.digits) for _ in range(16))
        if kind == "enrol_date":
            d = self.birth(2005, 2025)
            return d.strftime(r.choice(["%Y-%m-%d", "%Y%m%d"]))
        if kind == "job_title":
            return r.choice(
                ["正高级教师", "高级教师", "一级教师", "二级教师", "三级教师", "未定职级", "讲师", "副教授"]
            )
        if kind == "position":
            return r.choice(["校长", "副校长", "教导主任", "班主任", "教研组长", "年级主任", "团委书记", "总务主任"])
        if kind == "school_name":
            county = r.choice(self.henan_counties).name or ""
            return county + r.choice(["第一中学", "实验小学", "第二初级中学", "职业中专", "中心幼儿园", "第三小学"])
        if kind == "student_local":
            return f"{year}{r.randrange(10**7):07d}"
        raise ValueError(kind)


DECOYS: dict[str, list[tuple[str, str]]] = {
    "academic_year": [("ACADEMIC_YEAR_CODE", ""), ("XN", "学年"), ("学年", "")],
    "year": [("ND", "年度"), ("enrol_year", ""), ("入学年份", "")],
    "term": [("XQDM", "学期代码"), ("term_code", "")],
    "class_code": [("BJDM", "班级代码"), ("class_code", ""), ("班级编号", "")],
    "school_code": [("XXDM", "学校代码"), ("school_code", "")],
    "order_number": [("DDH", "订单号"), ("order_no", ""), ("流水号", "")],
    "random18": [("YWBH", "业务编号"), ("biz_no", ""), ("trace_id", "")],
    "id_typo": [("col_{n}", "")],
    "prefix62": [("JYLSH", "交易流水号"), ("transaction_no", "")],
    "uscc_bad": [("BM", "编码"), ("code", "")],
    "amount": [("JE", "金额"), ("amount", ""), ("学费", "")],
    "score": [("CJ", "成绩"), ("score", ""), ("总分", "")],
    "course": [("KCMC", "课程名称"), ("course_name", "")],
    "serial": [("XH", "序号"), ("seq_no", "")],
    "student_local": [("XSBH", "学生编号"), ("student_code", "")],
    "serial16": [("PZH", "凭证号"), ("voucher_no", "")],
    "enrol_date": [("RXRQ", "入学日期"), ("enrol_date", ""), ("登记日期", "")],
    "job_title": [("ZC", "职称"), ("title", ""), ("专业技术职务", "")],
    "position": [("ZW", "职务"), ("position", ""), ("行政职务", "")],
    "school_name": [("XXMC", "学校名称"), ("school_name", ""), ("学校", "")],
}
#: decoy kinds that are "code or year" columns for the false-positive target
CODE_YEAR_DECOYS = (
    "academic_year",
    "year",
    "term",
    "class_code",
    "school_code",
    "order_number",
    "serial",
    "student_local",
)


def generate(*, seed: int = DEFAULT_SEED, columns_per_entity: int = 40, rows: int = 50) -> list[EvalColumn]:
    """The evaluation set: ``columns_per_entity`` columns per entity and per decoy kind,
    ``rows`` values each; the same seed gives the same set."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    gen = _Gen(rng)
    out: list[EvalColumn] = []
    counter = 0
    for entity, names in COLUMN_NAMES.items():
        make = getattr(gen, entity, None)
        for i in range(columns_per_entity):
            counter += 1
            if rng.random() < 0.15:
                name, comment = rng.choice(_UNINFORMATIVE).format(n=counter), ""
            else:
                name, comment = names[i % len(names)]
                if comment and rng.random() < 0.5:
                    comment = ""
            values: list[str | None] = []
            truth: list[str | None] = []
            scored: list[bool] = []
            coded = entity in _CODED_SOMETIMES and rng.random() < 0.3
            for _ in range(rows):
                roll = rng.random()
                if roll < 0.03:
                    values.append(rng.choice([None, "", " "]))
                    truth.append(None)
                    scored.append(False)
                    continue
                if roll < 0.05:
                    values.append(rng.choice(["不详", "无", "-", "暂无", "待补充"]))
                    truth.append(None)
                    scored.append(False)
                    continue
                if entity == "citizen_id" and roll < 0.07:
                    values.append(gen.citizen_id(valid=False))  # a typo: the column is still IDs
                    truth.append(None)
                    scored.append(False)
                    continue
                value = make() if make is not None else gen.categorical(entity, coded=coded)
                values.append(value)
                truth.append(entity)
                scored.append(True)
            out.append(EvalColumn(name, comment, values, entity, "entity", "", truth, scored))
    for kind, names in DECOYS.items():
        for i in range(columns_per_entity):
            counter += 1
            name, comment = names[i % len(names)]
            name = name.format(n=counter)
            values = [gen.decoy(kind) for _ in range(rows)]
            out.append(EvalColumn(name, comment, list(values), None, "decoy", kind, [None] * rows, [True] * rows))
    return out


_CODED_SOMETIMES = frozenset(
    words("sex ethnicity political_status religion health hardship_subsidy discipline psych_assessment")
)


@dataclass
class EvalText:
    """A free-text remark with its labelled entity spans ``(entity, start, end)``."""

    text: str
    spans: list[tuple[str, int, int]]


#: remark templates: ``{entity}`` slots are labelled spans, ``{~decoy}`` slots are decoys (no span)
_TEXT_TEMPLATES = (
    "学生{person_name}，身份证号{citizen_id}，家长手机{mobile}。",
    "联系人：{person_name}，电话{mobile}，家住{address}。",
    "{~academic_year}学年资助发放至卡号{bank_card}，凭证号{~serial16}。",
    "该生学籍号{student_number}，于{~year}年转入，班级代码{~class_code}。",
    "订单号{~order_number}已支付，收据抄送{email}。",
    "业务编号{~random18}，交易流水{~prefix62}，经办单位信用代码{uscc}。",
    "接送车辆{plate}，驾驶员{person_name}，联系电话{mobile}。",
    "港澳台学生{person_name}居住证号码{residence_permit}，通行证{travel_permit}。",
    "出国交流学生护照号{passport}，学校代码{~school_code}，办公电话{landline}。",
    "证件号{~id_typo}有误，请核对后重新提交。",
)


def generate_texts(*, seed: int = DEFAULT_SEED, count: int = 2000) -> list[EvalText]:
    """Remarks built from templates with real-format entities and decoys, spans labelled."""
    rng = random.Random(seed + 1)  # noqa: S311 - reproducible test data, not secrets
    gen = _Gen(rng)
    out: list[EvalText] = []
    for _ in range(count):
        template = rng.choice(_TEXT_TEMPLATES)
        text, spans = "", []
        for literal, slot in _slots(template):
            text += literal
            if not slot:
                continue
            if slot.startswith("~"):
                text += gen.decoy(slot[1:])
                continue
            value = getattr(gen, slot)()
            spans.append((slot, len(text), len(text) + len(value)))
            text += value
        out.append(EvalText(text, spans))
    return out


def _slots(template: str) -> list[tuple[str, str]]:
    """``"a{x}b{y}"`` → ``[("a", "x"), ("b", "y"), ("", "")]``."""
    parts: list[tuple[str, str]] = []
    rest = template
    while "{" in rest:
        literal, _, tail = rest.partition("{")
        slot, _, rest = tail.partition("}")
        parts.append((literal, slot))
    parts.append((rest, ""))
    return parts
