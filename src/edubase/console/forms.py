"""Console forms: parse and validate input; the services decide what the input means."""

from __future__ import annotations

from functools import cache
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from edubase.accounts.models import Role
from edubase.orgs.standards import gb2260
from edubase.orgs.standards.school_categories import SCHOOL_CATEGORIES

_TEXT = {"class": "form-control"}
_SELECT = {"class": "form-select"}


class LoginForm(forms.Form):
    """Username and password."""

    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        widget=forms.TextInput(attrs={**_TEXT, "autocomplete": "username", "autofocus": True}),
        error_messages={"required": _("请输入用户名")},
    )
    password = forms.CharField(
        label=_("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={**_TEXT, "autocomplete": "current-password"}),
        error_messages={"required": _("请输入密码")},
    )


class OrgSearchForm(forms.Form):
    """Find orgs by name or code."""

    q = forms.CharField(
        label=_("名称或代码"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={**_TEXT, "placeholder": _("输入机构名称或代码"), "type": "search"}),
    )


@cache
def _prefecture_choices() -> tuple[tuple[str, Any], ...]:
    return (("", _("全部地市")), *((d.code, d.name or d.code) for d in gb2260.current_prefectures("41")))


@cache
def _county_choices(prefecture: str) -> tuple[tuple[str, Any], ...]:
    if not prefecture:
        return (("", _("请先选择地市")),)
    return (("", _("全部县区")), *((d.code, d.name or d.code) for d in gb2260.current_counties(prefecture)))


class SchoolFilterForm(forms.Form):
    """Filters of the school list: GB/T 2260 prefecture and county, category, text."""

    prefecture = forms.ChoiceField(
        label=_("地市"),
        required=False,
        widget=forms.Select(attrs={**_SELECT, "data-autosubmit": True, "data-clears": "county"}),
    )
    county = forms.ChoiceField(label=_("县区"), required=False, widget=forms.Select(attrs=_SELECT))
    category = forms.ChoiceField(label=_("学校类别"), required=False, widget=forms.Select(attrs=_SELECT))
    q = forms.CharField(
        label=_("名称或标识码"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={**_TEXT, "placeholder": _("学校名称或学校标识码"), "type": "search"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        prefecture = str(self.data.get("prefecture", "")) if self.is_bound else ""
        self.fields["prefecture"].choices = _prefecture_choices()  # type: ignore[attr-defined]
        self.fields["county"].choices = _county_choices(  # type: ignore[attr-defined]
            prefecture if prefecture in {c for c, _ in _prefecture_choices()} else ""
        )
        self.fields["category"].choices = [("", _("全部类别"))] + [  # type: ignore[attr-defined]
            (code, f"{code} {label}") for code, label in SCHOOL_CATEGORIES.items()
        ]

    def filters(self) -> dict[str, str | None]:
        """The keyword filters for ``orgs.selectors.schools_for``; an unknown choice (a stale link) is no filter."""
        if not self.is_bound:
            return {"prefecture": None, "county": None, "category": None, "q": None}
        self.is_valid()  # keeps the fields that are valid in cleaned_data
        data = self.cleaned_data
        prefecture = data.get("prefecture") or None
        county = data.get("county") or None
        if county and (not prefecture or not county.startswith(prefecture[:4])):
            county = None
        return {
            "prefecture": prefecture,
            "county": county,
            "category": data.get("category") or None,
            "q": data.get("q") or None,
        }


class PersonSearchForm(forms.Form):
    """Find persons by name (contains) or by exact identifier."""

    name = forms.CharField(
        label=_("姓名"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={**_TEXT, "placeholder": _("姓名或姓氏，如：李小明、李")}),
    )
    id_number = forms.CharField(
        label=_("证件号码"),
        required=False,
        max_length=19,
        widget=forms.TextInput(
            attrs={
                **_TEXT,
                "placeholder": _("完整的 18 位证件号码（精确查找）"),
                "autocomplete": "off",
                "spellcheck": "false",
            }
        ),
    )

    def clean_id_number(self) -> str:
        value: str = self.cleaned_data["id_number"].strip().upper()
        if value and len(value) == 19 and value[0] in "GJL":
            value = value[1:]  # the 19-character national form (kind letter + 18)
        if value and len(value) != 18:
            raise forms.ValidationError(_("证件号码应为 18 位，请输入完整号码（按号码查找须完全一致）"))
        return value

    def has_criteria(self) -> bool:
        return bool(self.cleaned_data.get("name") or self.cleaned_data.get("id_number"))

    def criteria(self) -> dict[str, str | None]:
        """The keyword arguments of ``people.selectors.search_persons``."""
        return {"name": self.cleaned_data["name"].strip() or None, "id_number": self.cleaned_data["id_number"] or None}


class UserSearchForm(forms.Form):
    """Find users by username or display name."""

    q = forms.CharField(
        label=_("用户名或姓名"),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={**_TEXT, "placeholder": _("用户名或显示名称"), "type": "search"}),
    )


class AssignRoleForm(forms.Form):
    """Grant a role on an org, the org named by its code (行政区划代码 or 学校标识码)."""

    role = forms.ModelChoiceField(
        label=_("角色"),
        queryset=Role.objects.none(),
        empty_label=_("请选择角色"),
        widget=forms.Select(attrs=_SELECT),
        error_messages={"required": _("请选择角色"), "invalid_choice": _("所选角色不存在")},
    )
    org_code = forms.CharField(
        label=_("机构代码"),
        max_length=20,
        widget=forms.TextInput(attrs={**_TEXT, "placeholder": _("如 410102 或 2141000001")}),
        error_messages={"required": _("请输入机构代码")},
    )

    def __init__(self, *args: Any, roles: QuerySet[Role], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = roles  # type: ignore[attr-defined]

    def clean_org_code(self) -> str:
        return str(self.cleaned_data["org_code"]).strip()


class AuditFilterForm(forms.Form):
    """Filters of the audit log."""

    action = forms.CharField(
        label=_("操作"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={**_TEXT, "placeholder": _("如 people.person.reveal"), "list": "audit-actions"}),
    )
    actor = forms.CharField(
        label=_("操作人"),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={**_TEXT, "placeholder": _("用户名")}),
    )
    since = forms.DateField(
        label=_("起始日期"),
        required=False,
        widget=forms.DateInput(attrs={**_TEXT, "type": "date"}),
        error_messages={"invalid": _("日期格式应为 年-月-日")},
    )
    until = forms.DateField(
        label=_("截止日期"),
        required=False,
        widget=forms.DateInput(attrs={**_TEXT, "type": "date"}),
        error_messages={"invalid": _("日期格式应为 年-月-日")},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(_("起始日期不能晚于截止日期"))
        return data
