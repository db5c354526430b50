"""Console views: thin edges over services and selectors.

Each view parses its input, calls one selector or service, and renders. Scope is the
selectors' business: an object outside the actor's scope comes back as ``NotFound`` and
is answered 404, exactly like one that does not exist. A section the actor holds no
permission for anywhere is answered 403.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from edubase.accounts import selectors as account_selectors
from edubase.accounts import services as account_services
from edubase.accounts.permissions import PERMISSIONS
from edubase.console import forms
from edubase.console.dashboard import dashboard_for
from edubase.core import selectors as core_selectors
from edubase.core.errors import DomainError, NotFound, PermissionDenied
from edubase.core.middleware import abort_writes
from edubase.core.scope import has_anywhere
from edubase.orgs import imports as org_imports
from edubase.orgs import selectors as org_selectors
from edubase.people import selectors as people_selectors
from edubase.people import services as people_services

View = Callable[..., HttpResponse]

#: rows per page of every console list
PAGE_SIZE = 50


def _error_page(request: HttpRequest, error: DomainError) -> HttpResponse:
    abort_writes()  # answered, not raised: the request's earlier writes must not commit
    return render(request, "console/error.html", {"failure": error}, status=error.status)


def console_page(permission: str | None = None) -> Callable[[View], View]:
    """Sign-in required; ``permission`` held somewhere; a ``DomainError`` becomes a Chinese error page."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if permission is not None and not has_anywhere(request.user, permission):
                return _error_page(request, PermissionDenied())
            try:
                return view(request, *args, **kwargs)
            except DomainError as error:
                return _error_page(request, error)

        return login_required(wrapper)

    return decorate


def _page(request: HttpRequest, queryset: QuerySet[Any]) -> Page:
    """One page of ``queryset`` (``?page=``; out-of-range numbers give the last page)."""
    if not queryset.ordered:
        queryset = queryset.order_by("pk")
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


# --- sign-in ------------------------------------------------------------------------------


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Sign in with username and password; lockout and failures are the service's business."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=False):
        next_url = ""
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url or "console:home")
    form = forms.LoginForm(request.POST if request.method == "POST" else None)
    error: DomainError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            account_services.login(
                request=request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
            )
        except DomainError as exc:
            error = exc
        else:
            return HttpResponseRedirect(next_url or reverse("console:home"))
    status = error.status if error is not None else 200
    return render(request, "console/login.html", {"form": form, "error": error, "next": next_url}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Sign out and return to the sign-in page."""
    auth_logout(request)
    return redirect("console:login")


# --- home ---------------------------------------------------------------------------------


@console_page()
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Dashboard: totals and schools by prefecture and by category within the actor's scope."""
    figures = dashboard_for(request.user)
    counts = figures["counts"]
    context: dict[str, Any] = {"has_orgs": counts is not None, "as_of": figures["as_of"]}
    if counts is not None:
        context["counts"] = counts
        context["chart_prefecture"] = [
            {"name": row["name"], "value": row["schools"]} for row in counts["by_prefecture"]
        ]
        context["chart_category"] = [{"name": row["label"], "value": row["schools"]} for row in counts["by_category"]]
    if figures["members"] is not None:
        context["members"] = figures["members"]
    return render(request, "console/home.html", context)


# --- org tree -----------------------------------------------------------------------------


@console_page("orgs.view")
@require_GET
def org_tree(request: HttpRequest) -> HttpResponse:
    """The org tree from the top of the actor's scope, or the orgs matching a search."""
    form = forms.OrgSearchForm(request.GET or None)
    context: dict[str, Any] = {"form": form}
    if form.is_valid() and form.cleaned_data["q"]:
        text = form.cleaned_data["q"]
        matches = org_selectors.orgs_for(request.user).filter(Q(name__icontains=text) | Q(code__startswith=text))
        context["page_obj"] = _page(request, matches.order_by("path"))
        context["searching"] = True
    else:
        context["nodes"] = org_selectors.children_of(request.user, None)
    return render(request, "console/org_tree.html", context)


@console_page("orgs.view")
@require_GET
def org_children(request: HttpRequest, pk: int) -> HttpResponse:
    """The children of one org (htmx fragment of the tree)."""
    parent = org_selectors.get_org(request.user, pk=pk)
    return render(request, "console/_org_nodes.html", {"nodes": org_selectors.children_of(request.user, parent)})


# --- schools ------------------------------------------------------------------------------


@console_page("orgs.view")
@require_GET
def school_list(request: HttpRequest) -> HttpResponse:
    """Schools in scope, filtered by prefecture, county, category and text."""
    form = forms.SchoolFilterForm(request.GET)
    filters = form.filters()
    page_obj = _page(request, org_selectors.schools_for(request.user, **filters))
    return render(
        request, "console/school_list.html", {"form": form, "page_obj": page_obj, "filtered": any(filters.values())}
    )


@console_page("orgs.view")
@require_GET
def school_export(request: HttpRequest) -> HttpResponse:
    """The filtered school list as an XLSX file."""
    form = forms.SchoolFilterForm(request.GET)
    data = org_imports.export_schools(actor=request.user, **form.filters())
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    stamp = timezone.localtime().strftime("%Y%m%d")
    response["Content-Disposition"] = content_disposition_header(True, f"学校名单-{stamp}.xlsx")
    return response


@console_page("orgs.view")
@require_GET
def school_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One school: codes, category, region, status, history and member counts."""
    school = org_selectors.get_school(request.user, pk=pk)
    members = None
    if has_anywhere(request.user, "people.view"):
        members = people_selectors.count_members(request.user, org=school)
    context = {
        "school": school,
        "parent": org_selectors.parent_of(school),
        "codes": org_selectors.school_codes_of(request.user, school),
        "history": org_selectors.history_of(request.user, school),
        "members": members,
    }
    return render(request, "console/school_detail.html", context)


# --- people -------------------------------------------------------------------------------


@console_page("people.view")
@require_GET
def person_search(request: HttpRequest) -> HttpResponse:
    """Find persons by name or by exact identifier (blind index); results are masked."""
    form = forms.PersonSearchForm(request.GET or None)
    context: dict[str, Any] = {"form": form}
    if form.is_bound and form.is_valid() and form.has_criteria():
        persons = people_selectors.search_persons(request.user, **form.criteria())
        context["page_obj"] = _page(request, persons)
        context["searching"] = True
    return render(request, "console/person_search.html", context)


@console_page("people.view")
@require_GET
def person_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    """One person, masked: identifiers, memberships, and the reveal button where allowed."""
    person = people_selectors.get_person(request.user, pk=pk)
    enrolments, employments = people_selectors.memberships_of(request.user, person)
    context = {
        "person": person,
        "enrolments": enrolments,
        "employments": employments,
        "can_reveal": people_selectors.can_reveal(request.user, person),
    }
    return render(request, "console/person_detail.html", context)


@never_cache
@console_page("people.view")
@require_POST
def person_reveal(request: HttpRequest, pk: UUID) -> HttpResponse:
    """The full identifier or phone number (htmx fragment); the service checks scope and audits."""
    field = request.POST.get("field", "")
    if field not in {"id_number", "phone"}:
        return render(request, "console/_reveal.html", {"error": _("请求的字段无效")}, status=400)
    person = people_selectors.get_person(request.user, pk=pk)
    try:
        with transaction.atomic():
            value = people_services.reveal_identifier(actor=request.user, person=person, field=field)
    except DomainError as exc:
        return render(request, "console/_reveal.html", {"error": exc.message}, status=exc.status)
    return render(request, "console/_reveal.html", {"value": value, "field": field})


# --- users and roles ----------------------------------------------------------------------


@console_page("accounts.view")
@require_GET
def user_list(request: HttpRequest) -> HttpResponse:
    """Users holding a role somewhere in the actor's scope."""
    form = forms.UserSearchForm(request.GET or None)
    users = account_selectors.users_for(request.user)
    if form.is_bound and form.is_valid() and form.cleaned_data["q"]:
        text = form.cleaned_data["q"]
        users = users.filter(Q(username__icontains=text) | Q(display_name__icontains=text))
    context = {"form": form, "page_obj": _page(request, users.order_by("username")), "now_ts": timezone.now()}
    return render(request, "console/user_list.html", context)


def _user_detail_context(request: HttpRequest, pk: int, form: forms.AssignRoleForm | None) -> dict[str, Any]:
    account = account_selectors.get_user(request.user, pk=pk)
    can_manage = has_anywhere(request.user, "accounts.manage")
    return {
        "account": account,
        "assignments": account_selectors.assignments_for(request.user, user=account),
        "can_manage": can_manage,
        "locked": account.locked_until is not None and account.locked_until > timezone.now(),
        "form": form or (forms.AssignRoleForm(roles=account_selectors.roles()) if can_manage else None),
    }


@console_page("accounts.view")
@require_GET
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One user with the role assignments the actor may see, and the assign-role form."""
    return render(request, "console/user_detail.html", _user_detail_context(request, pk, None))


@console_page("accounts.manage")
@require_POST
def user_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Grant a role on an org (named by its code) to a user; the service checks scope and audits."""
    account = account_selectors.get_user(request.user, pk=pk)
    form = forms.AssignRoleForm(request.POST, roles=account_selectors.roles())
    error: DomainError | None = None
    if form.is_valid():
        role = form.cleaned_data["role"]
        code = form.cleaned_data["org_code"]
        org = org_selectors.orgs_for(request.user, permission="accounts.manage").filter(code=code).first()
        try:
            if org is None:
                raise NotFound(_("机构代码「%(code)s」不存在或不在您的管辖范围内") % {"code": code})
            with transaction.atomic():
                account_services.assign_role(actor=request.user, user=account, role=role, org=org)
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("已授予角色「%(role)s」（%(org)s）") % {"role": role.name, "org": org.name})
            return redirect("console:user_detail", pk=account.pk)
    context = _user_detail_context(request, pk, form)
    context["error"] = error
    return render(request, "console/user_detail.html", context, status=error.status if error else 422)


@console_page("accounts.manage")
@require_POST
def user_revoke(request: HttpRequest, pk: int, assignment_pk: int) -> HttpResponse:
    """Withdraw one role assignment; the service checks scope and audits."""
    account = account_selectors.get_user(request.user, pk=pk)
    assignment = account_selectors.get_assignment(request.user, pk=assignment_pk)
    if assignment.user_id != account.pk:
        raise NotFound()
    try:
        with transaction.atomic():
            account_services.revoke_assignment(actor=request.user, assignment=assignment)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已撤销授权"))
    return redirect("console:user_detail", pk=account.pk)


@console_page("accounts.manage")
@require_POST
def user_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    """Lift a login lock early; the service checks scope and audits."""
    account = account_selectors.get_user(request.user, pk=pk)
    try:
        with transaction.atomic():
            account_services.unlock_user(actor=request.user, user=account)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已解除登录锁定"))
    return redirect("console:user_detail", pk=account.pk)


@console_page("accounts.view")
@require_GET
def role_list(request: HttpRequest) -> HttpResponse:
    """Roles with the labels of their permissions."""
    rows = [
        {"role": role, "permissions": [PERMISSIONS.get(code, code) for code in role.permissions]}
        for role in account_selectors.roles()
    ]
    return render(request, "console/role_list.html", {"rows": rows})


# --- audit --------------------------------------------------------------------------------


def _day_start(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@console_page("audit.view")
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """Audit events in scope, newest first, filtered by action, actor and date range."""
    form = forms.AuditFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        until = data["until"] + dt.timedelta(days=1) if data["until"] else None
        filters = {
            "action": data["action"] or None,
            "actor_label": data["actor"] or None,
            "since": _day_start(data["since"]),
            "until": _day_start(until),
        }
    events = core_selectors.audit_events_for(request.user, **filters)
    return render(request, "console/audit_log.html", {"form": form, "page_obj": _page(request, events)})
