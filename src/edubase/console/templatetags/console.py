"""Template helpers of the console: navigation by permission, icons, standard-code labels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from edubase.core.scope import has_anywhere
from edubase.orgs.standards import gb2260
from edubase.orgs.standards.school_categories import SCHOOL_CATEGORIES

register = template.Library()

# Outline icons drawn on Tabler Icons' 24-unit grid (stroke only, so they follow the text colour).
_ICON_PATHS: dict[str, str] = {
    "home": '<path d="M5 12H3l9-9 9 9h-2"/><path d="M5 12v7a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2v-7"/>'
    '<path d="M9 21v-6a2 2 0 0 1 2-2h2a2 2 0 0 1 2 2v6"/>',
    "tree": '<rect x="9" y="3" width="6" height="5" rx="1"/><rect x="3" y="16" width="6" height="5" rx="1"/>'
    '<rect x="15" y="16" width="6" height="5" rx="1"/><path d="M12 8v4M6 16v-2a2 2 0 0 1 2-2h8a2 2 0 0 1 2 2v2"/>',
    "school": '<path d="M22 9 12 5 2 9l10 4 10-4v6"/><path d="M6 10.6V16a6 3 0 0 0 12 0v-5.4"/>',
    "people": '<circle cx="9" cy="7" r="4"/><path d="M3 21v-2a4 4 0 0 1 4-4h4a4 4 0 0 1 4 4v2"/>'
    '<path d="M16 3.13a4 4 0 0 1 0 7.75M21 21v-2a4 4 0 0 0-3-3.85"/>',
    "shield": '<path d="M12 3a12 12 0 0 0 8.5 3A12 12 0 0 1 12 21 12 12 0 0 1 3.5 6 12 12 0 0 0 12 3"/>'
    '<circle cx="12" cy="11" r="1"/><path d="M12 12v2.5"/>',
    "audit": '<path d="M9 5H7a2 2 0 0 0-2 2v12a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2h-2"/>'
    '<rect x="9" y="3" width="6" height="4" rx="2"/><path d="M9 12h6M9 16h6"/>',
    "logout": '<path d="M14 8V6a2 2 0 0 0-2-2H5a2 2 0 0 0-2 2v12a2 2 0 0 0 2 2h7a2 2 0 0 0 2-2v-2"/>'
    '<path d="M9 12h12l-3-3M18 15l3-3"/>',
    "search": '<circle cx="10" cy="10" r="7"/><path d="m21 21-6-6"/>',
    "download": '<path d="M4 17v2a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-2M7 11l5 5 5-5M12 4v12"/>',
    "eye": '<circle cx="12" cy="12" r="2"/><path d="M22 12c-2.67 4.67-6 7-10 7s-7.33-2.33-10-7c2.67-4.67 6-7 10-7s7.33'
    ' 2.33 10 7"/>',
    "inbox": '<rect x="4" y="4" width="16" height="16" rx="2"/><path d="M4 13h3l3 3h4l3-3h3"/>',
    "alert": '<circle cx="12" cy="12" r="9"/><path d="M12 8v4M12 16h.01"/>',
}


@register.simple_tag
def icon(name: str, css_class: str = "icon") -> SafeString:
    """An inline SVG icon (no icon font to fetch)."""
    paths = _ICON_PATHS.get(name, _ICON_PATHS["alert"])
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="{}" width="24" height="24" viewBox="0 0 24 24" '
        'fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" '
        'aria-hidden="true">{}</svg>',
        css_class,
        mark_safe(paths),  # noqa: S308 - constant markup defined above
    )


@dataclass(frozen=True)
class NavSection:
    """One entry of the console navigation."""

    key: str
    label: Any
    url_name: str
    icon: str
    permission: str | None
    url_names: tuple[str, ...]


SECTIONS: tuple[NavSection, ...] = (
    NavSection("home", _("首页"), "console:home", "home", None, ("home",)),
    NavSection("orgs", _("机构树"), "console:org_tree", "tree", "orgs.view", ("org_tree", "org_children")),
    NavSection(
        "schools",
        pgettext_lazy("navigation", "学校"),
        "console:school_list",
        "school",
        "orgs.view",
        ("school_list", "school_detail"),
    ),
    NavSection(
        "people", _("人员查询"), "console:person_search", "people", "people.view", ("person_search", "person_detail")
    ),
    NavSection(
        "users",
        _("用户与角色"),
        "console:user_list",
        "shield",
        "accounts.view",
        ("user_list", "user_detail", "role_list"),
    ),
    NavSection("audit", _("审计日志"), "console:audit_log", "audit", "audit.view", ("audit_log",)),
)


def visible_sections(user: Any) -> list[NavSection]:
    """The sections the user holds a permission for somewhere."""
    return [s for s in SECTIONS if s.permission is None or has_anywhere(user, s.permission)]


@register.simple_tag(takes_context=True)
def nav_sections(context: template.Context) -> list[dict[str, Any]]:
    """Navigation entries for the signed-in user, the current one marked active."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    match = getattr(request, "resolver_match", None)
    current = match.url_name if match is not None and match.namespace == "console" else None
    return [
        {"key": s.key, "label": s.label, "url": reverse(s.url_name), "icon": s.icon, "active": current in s.url_names}
        for s in visible_sections(user)
    ]


@register.filter
def category_label(code: str | None) -> str:
    """The Chinese label of a school category code (学校类别码), or the code itself if unknown."""
    if not code:
        return ""
    return SCHOOL_CATEGORIES.get(code, code)


@register.filter
def region_name(code: str | None) -> str:
    """The GB/T 2260 name of a region code, or the code itself if unknown."""
    if not code:
        return ""
    return gb2260.name_of(code) or code


#: Chinese names of the audit actions the services record (unknown actions show their code)
ACTION_LABELS: dict[str, Any] = {
    "accounts.login": _("登录"),
    "accounts.login_failed": _("登录失败"),
    "accounts.login_refused": _("登录被拒（账号锁定）"),
    "accounts.locked": _("账号锁定"),
    "accounts.unlock": _("解除锁定"),
    "accounts.user.create": _("创建用户"),
    "accounts.assignment.create": _("授予角色"),
    "accounts.assignment.revoke": _("撤销授权"),
    "accounts.token.create": _("创建接口令牌"),
    "accounts.token.revoke": _("撤销接口令牌"),
    "orgs.school.create": _("新建学校"),
    "orgs.school.import": _("导入学校"),
    "orgs.school.change_category": _("变更学校类别"),
    "orgs.org.rename": _("机构更名"),
    "orgs.org.move": _("调整隶属关系"),
    "orgs.org.update": _("修改机构信息"),
    "orgs.org.close": _("撤销机构"),
    "people.person.create": _("登记人员"),
    "people.person.reveal": _("查看完整证件号码/手机号码"),
    "people.person.promote": _("临时编号转正"),
    "people.person.merge": _("合并重复人员"),
    "people.import": _("导入人员"),
    "people.enrolment.create": _("建立学籍"),
    "people.enrolment.transfer_out": _("转出"),
    "people.enrolment.transfer_in": _("转入"),
    "people.enrolment.end": _("学籍结束"),
    "people.employment.create": _("建立任职"),
    "people.employment.end": _("任职结束"),
    "demo.build": _("生成演示数据"),
}


@register.filter
def action_label(code: str) -> str:
    """The Chinese name of an audit action code (the code itself when unknown)."""
    return str(ACTION_LABELS.get(code, code))


@register.simple_tag
def known_actions() -> list[tuple[str, str]]:
    """(code, label) of every named audit action, for the filter's suggestions."""
    return [(code, str(label)) for code, label in ACTION_LABELS.items()]
