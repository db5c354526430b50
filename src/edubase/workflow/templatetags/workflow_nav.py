"""Console navigation entries of workflow: 我的待办 (with its count) and 流程定义 for the province."""

from __future__ import annotations

from typing import Any

from django import template
from django.db import connection
from django.utils.translation import gettext_lazy as _

from edubase.workflow import selectors, services

register = template.Library()


@register.simple_tag(takes_context=True)
def workflow_nav(context: template.Context) -> dict[str, Any]:
    """Open-task count, whether definitions are shown, and which entry is active."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    if connection.in_atomic_block and connection.get_rollback():
        return {"show": False}  # an error page after abort_writes(): no more queries in this request
    match = getattr(request, "resolver_match", None)
    current = match.url_name if match is not None and match.namespace == "workflow" else ""
    return {
        "show": True,
        "open_tasks": selectors.inbox_for(user).count(),
        "definitions": services._may_publish(user),
        "inbox_active": current in ("inbox", "task", "case"),
        "definitions_active": current.startswith("definition"),
    }


@register.filter
def who(user: Any, see_usernames: bool = False) -> str:
    """A user as shown on a case: the display name; the username only to those who see accounts."""
    if user is None:
        return str(_("系统"))
    if getattr(user, "display_name", ""):
        return str(user.display_name)
    return str(user.get_username()) if see_usernames else str(_("经办人"))
