"""Data elements (数据元) of the education management information standards JY/T 1001–1006-2012.

The identifiers are those the standards use (the pinyin initials of the Chinese name:
姓名 XM, 身份证件号 SFZJH, …); the common person, school and student elements are listed,
each with the code table that constrains it and the classification entity whose columns map
to it. Source: JY/T 1001–1006-2012 《教育管理信息》 series (基础代码, 基础信息, and the school
sector parts), as published by the Ministry of Education.
"""

from __future__ import annotations

from dataclasses import dataclass

STANDARD = "JY/T 1001–1006-2012"
SOURCE = "JY/T 1001–1006-2012《教育管理信息》系列标准"


@dataclass(frozen=True)
class Element:
    code: str
    name: str
    data_type: str  # C text, N number, D date (as the standards write it)
    length: str
    code_table: str = ""  # slug of a code table in ``reference.TABLES``
    entity: str = ""  # ``classify.ENTITIES`` code
    description: str = ""


ELEMENTS: tuple[Element, ...] = (
    Element(
        "XM", "姓名", "C", "36", entity="person_name", description="户籍登记、人事档案中正式记载的姓名"
    ),
    Element("YWXM", "英文姓名", "C", "60", entity="person_name"),
    Element("XMPY", "姓名拼音", "C", "60"),
    Element("CYM", "曾用名", "C", "36", entity="person_name"),
    Element("XBM", "性别码", "C", "1", code_table="gb2261-1", entity="sex"),
    Element("CSRQ", "出生日期", "D", "8", entity="birth_date", description="格式 YYYYMMDD"),
    Element("CSDM", "出生地码", "C", "6", code_table="gb2260"),
    Element("JG", "籍贯", "C", "20"),
    Element("MZM", "民族码", "C", "2", code_table="gb3304", entity="ethnicity"),
    Element("GJDQM", "国籍/地区码", "C", "3", description="GB/T 2659"),
    Element("SFZJLXM", "身份证件类型码", "C", "1"),
    Element("SFZJH", "身份证件号", "C", "20", entity="citizen_id"),
    Element("ZZMMM", "政治面貌码", "C", "2", code_table="gb4762", entity="political_status"),
    Element("JKZKM", "健康状况码", "C", "2", entity="health", description="GB/T 2261.3"),
    Element("ZJXYM", "宗教信仰码", "C", "2", entity="religion"),
    Element("XXM", "血型码", "C", "1", entity="health"),
    Element("LXDH", "联系电话", "C", "30", entity="mobile"),
    Element("DZXX", "电子信箱", "C", "40", entity="email"),
    Element("JTZZ", "家庭住址", "C", "180", entity="address"),
    Element("XZZ", "现住址", "C", "180", entity="address"),
    Element("HKSZD", "户口所在地", "C", "180", entity="address"),
    Element("YZBM", "邮政编码", "C", "6"),
    Element("XXDM", "学校代码", "C", "10", description="教育部学校（机构）标识码"),
    Element("XXMC", "学校名称", "C", "60"),
    Element("TYSHXYDM", "统一社会信用代码", "C", "18", entity="uscc"),
    Element("XH", "学号", "C", "20"),
    Element("XJH", "学籍号", "C", "19", entity="student_number", description="全国学籍号：G/J/L + 18 位"),
    Element("RXNY", "入学年月", "D", "6"),
    Element("NJ", "年级", "C", "4"),
    Element("BH", "班号", "C", "10"),
    Element("GH", "工号", "C", "20"),
)  # fmt: skip
