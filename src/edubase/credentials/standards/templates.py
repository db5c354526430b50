"""The shipped certificate templates (version 1 of each type), seeded by migration 0002.

Type codes (GB/T 36904 证照类型代码): the defining authority's unified social credit code + a type
suffix. The Ministry of Education (教育部) defines all five types here: 11100000000013338W (its
published code; the GB 32100 check character verifies) + 001…005.
"""

from __future__ import annotations

from typing import Any

MOE_USCC = "11100000000013338W"

_SCHOOLS = ["school", "unit"]
_AUTHORITIES = ["province", "prefecture", "county", "bureau"]

TEMPLATES: list[dict[str, Any]] = [
    {
        "code": "graduation",
        "kind": "graduation",
        "name": "毕业证书",
        "type_code": MOE_USCC + "001",
        "fields": [
            {"key": "education_level", "label": "学历层次", "type": "text", "required": True},
            {"key": "major", "label": "专业", "type": "text", "required": False},
            {"key": "study_from", "label": "入学日期", "type": "date", "required": True},
            {"key": "study_to", "label": "毕业日期", "type": "date", "required": True},
            {"key": "program_length", "label": "学制", "type": "text", "required": False},
        ],
        "rules": {"validity_years": None},
        "issuer_kinds": _SCHOOLS,
        "layout": {
            "title": "毕业证书",
            "order": ["education_level", "major", "study_from", "study_to"],
            "footer": "经审核，准予毕业。",
        },
    },
    {
        "code": "degree",
        "kind": "degree",
        "name": "学位证书",
        "type_code": MOE_USCC + "002",
        "fields": [
            {"key": "degree_name", "label": "学位", "type": "text", "required": True},
            {"key": "discipline", "label": "学科门类", "type": "text", "required": True},
            {"key": "major", "label": "专业", "type": "text", "required": False},
            {"key": "conferred_on", "label": "授予日期", "type": "date", "required": True},
        ],
        "rules": {"validity_years": None},
        "issuer_kinds": _SCHOOLS,
        "layout": {
            "title": "学位证书",
            "order": ["degree_name", "discipline", "major", "conferred_on"],
            "footer": "依照《中华人民共和国学位法》的规定，授予学位。",
        },
    },
    {
        "code": "transcript",
        "kind": "transcript",
        "name": "成绩单",
        "type_code": MOE_USCC + "003",
        "fields": [
            {"key": "major", "label": "专业", "type": "text", "required": False},
            {"key": "courses", "label": "课程成绩", "type": "courses", "required": True},
            {"key": "total_credits", "label": "总学分", "type": "number", "required": False},
        ],
        "rules": {"validity_years": None, "min_courses": 1},
        "issuer_kinds": _SCHOOLS,
        "layout": {"title": "成绩单", "order": ["major", "total_credits", "courses"], "footer": ""},
    },
    {
        "code": "teacher_qualification",
        "kind": "teacher_qualification",
        "name": "教师资格证书",
        "type_code": MOE_USCC + "004",
        "fields": [
            {"key": "qualification_type", "label": "资格种类", "type": "text", "required": True},
            {"key": "teaching_subject", "label": "任教学科", "type": "text", "required": True},
            {"key": "recognized_on", "label": "认定日期", "type": "date", "required": True},
        ],
        "rules": {"validity_years": None},
        "issuer_kinds": _AUTHORITIES,
        "layout": {
            "title": "教师资格证书",
            "order": ["qualification_type", "teaching_subject", "recognized_on"],
            "footer": "经认定，具备教师资格。",
        },
    },
    {
        "code": "training",
        "kind": "training",
        "name": "培训合格证书",
        "type_code": MOE_USCC + "005",
        "fields": [
            {"key": "program", "label": "培训项目", "type": "text", "required": True},
            {"key": "hours", "label": "学时", "type": "number", "required": True},
            {"key": "finished_on", "label": "结业日期", "type": "date", "required": True},
        ],
        "rules": {"validity_years": 5},
        "issuer_kinds": _SCHOOLS + _AUTHORITIES,
        "layout": {
            "title": "培训合格证书",
            "order": ["program", "hours", "finished_on"],
            "footer": "完成规定学时，考核合格。",
        },
    },
]
