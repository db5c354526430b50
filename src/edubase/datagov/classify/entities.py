"""The entities classification looks for (识别对象), with their category and flags.

Categories follow GB/T 35273-2020 appendix A/B (personal information and sensitive personal
information) and GB/T 43697-2024 for data that is not personal; ``jyt_element`` is the data
element identifier of the national education management information standards
(JY/T 1001–1006, e.g. 身份证件号 SFZJH) when one exists.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entity:
    """A kind of data classification can find (识别对象)."""

    code: str
    label_zh: str
    category: str
    personal: bool
    sensitive: bool
    jyt_element: str | None


#: category code → Chinese label (GB/T 35273-2020 appendix A/B; GB/T 43697-2024 for the rest)
CATEGORIES: dict[str, str] = {
    "identity": "个人身份信息",
    "basic": "个人基本资料",
    "contact": "个人通信信息",
    "financial": "个人财产信息",
    "health": "个人健康生理信息",
    "education": "个人教育工作信息",
    "special": "特定身份信息",
    "location": "个人位置信息",
    "organisation": "组织机构信息",
}

_ROWS: tuple[Entity, ...] = (
    Entity("citizen_id", "居民身份证号码", "identity", True, True, "SFZJH"),
    Entity("residence_permit", "港澳台居民居住证号码", "identity", True, True, "SFZJH"),
    Entity("passport", "护照号码", "identity", True, True, "SFZJH"),
    Entity("travel_permit", "出入境通行证号码", "identity", True, True, "SFZJH"),
    Entity("student_number", "全国学籍号", "education", True, False, "XJH"),
    Entity("person_name", "姓名", "basic", True, False, "XM"),
    Entity("birth_date", "出生日期", "basic", True, False, "CSRQ"),
    Entity("sex", "性别", "basic", True, False, "XBM"),
    Entity("ethnicity", "民族", "basic", True, False, "MZM"),
    Entity("political_status", "政治面貌", "basic", True, False, "ZZMMM"),
    Entity("mobile", "手机号码", "contact", True, False, "LXDH"),
    Entity("landline", "固定电话", "contact", True, False, "LXDH"),
    Entity("email", "电子信箱", "contact", True, False, "DZXX"),
    Entity("address", "住址", "location", True, False, "JTZZ"),
    Entity("plate", "机动车号牌", "basic", True, False, None),
    Entity("bank_card", "银行卡号", "financial", True, True, None),
    Entity("hardship_subsidy", "家庭经济困难及资助信息", "financial", True, True, None),
    Entity("health", "健康状况", "health", True, True, "JKZKM"),
    Entity("psych_assessment", "心理测评结果", "health", True, True, None),
    Entity("religion", "宗教信仰", "special", True, True, "ZJXYM"),
    Entity("discipline", "违纪处分记录", "special", True, True, None),
    Entity("uscc", "统一社会信用代码", "organisation", False, False, "TYSHXYDM"),
)

ENTITIES: dict[str, Entity] = {e.code: e for e in _ROWS}

#: entities whose values carry a checksum; the evaluation targets ≥ 0.99 precision and recall
CHECKSUM_ENTITIES = ("citizen_id", "residence_permit", "uscc", "bank_card", "student_number")
