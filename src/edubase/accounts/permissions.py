"""Permission codes and the built-in roles (roles are data; these are seeded by migration)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

#: every permission code known to edubase, with a Chinese label
PERMISSIONS: dict[str, str] = {
    "orgs.view": "查看机构",
    "orgs.change": "维护机构与学校",
    "people.view": "查看人员",
    "people.change": "维护人员与学籍/任职",
    "people.import": "批量导入人员",
    "people.reveal": "查看完整证件号码与手机号码",
    "accounts.view": "查看用户与角色",
    "accounts.manage": "管理用户与授权",
    "audit.view": "查看审计日志",
    "secops.view": "查看网络安全资产、漏洞、通报与事件",
    "secops.change": "登记与维护信息资产，处置本单位漏洞与通报",
    "secops.manage": "导入扫描结果、下发通报、核验整改、处置安全事件",
    "datagov.view": "查看数据目录、分类分级结果与数据质量",
    "datagov.change": "登记数据源与数据集、提交花名册、申请数据共享",
    "datagov.manage": "审核分类分级、维护规则与代码表、审批共享、数据生命周期处置",
    "credentials.view": "查看电子证照",
    "credentials.issue": "制发电子证照（批量签发须经审批）",
    "credentials.manage": "证照模板、签发机构密钥登记、撤销/暂扣/恢复/换发",
}

_ALL = list(PERMISSIONS)
_ADMIN = [
    "orgs.view",
    "orgs.change",
    "people.view",
    "people.change",
    "people.import",
    "accounts.view",
    "accounts.manage",
    "audit.view",
    "secops.view",
    "secops.change",
    "datagov.view",
    "datagov.change",
    "credentials.view",
]

#: (code, name, description, permissions)
BUILTIN_ROLES: list[tuple[str, str, str, list[str]]] = [
    ("province_admin", "省级管理员", "全省机构、人员、账号与审计", _ALL),
    ("city_admin", "市级管理员", "本市及下辖县区、学校", _ADMIN),
    ("county_admin", "县级管理员", "本县区及下辖学校", _ADMIN),
    (
        "school_admin",
        "学校管理员",
        "本校人员与账号",
        [
            "orgs.view",
            "people.view",
            "people.change",
            "people.import",
            "accounts.view",
            "accounts.manage",
            "secops.view",
            "secops.change",
            "datagov.view",
            "datagov.change",
            "credentials.view",
        ],
    ),
    (
        "security_officer",
        "网络安全员",
        "网络安全监测与处置：资产、漏洞、通报整改、安全事件",
        ["orgs.view", "audit.view", "secops.view", "secops.change", "secops.manage"],
    ),
    (
        "data_officer",
        "数据专员",
        "数据治理：目录、分类分级、共享审批、质量与汇聚；可查看完整个人信息（留痕）",
        ["orgs.view", "people.view", "people.reveal", "audit.view", "datagov.view", "datagov.change", "datagov.manage"],
    ),
    (
        "credential_officer",
        "证照管理员",
        "电子证照模板、签发、撤销与换发",
        ["orgs.view", "people.view", "audit.view", "credentials.view", "credentials.issue", "credentials.manage"],
    ),
    ("reviewer", "审核员", "审批与评审", ["orgs.view", "people.view"]),
    ("teacher", "教师", "本校教学", ["orgs.view", "people.view"]),
    ("student", "学生", "本人学习", ["orgs.view"]),
    ("auditor", "审计员", "只读查看审计日志", ["orgs.view", "audit.view"]),
]

ROLE_LABEL = _("角色")
