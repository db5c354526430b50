"""Reads of accounts, scoped: users and assignments are seen where the actor holds ``accounts.view``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from edubase.accounts.models import ApiToken, Role, RoleAssignment, User
from edubase.accounts.permissions import PERMISSIONS
from edubase.core.errors import NotFound
from edubase.core.scope import Actor, has_anywhere, scope_for


def users_for(actor: Actor | Any) -> QuerySet[User]:
    """Users holding at least one role on an org in the actor's ``accounts.view`` scope.

    Everything-scope (superusers) also sees users without any role.
    """
    scope = scope_for(actor, "accounts.view")
    if scope.everything:
        return User.objects.all()
    in_scope = RoleAssignment.objects.filter(scope.q("org__path")).values("user_id")
    return User.objects.filter(pk__in=in_scope)


def get_user(actor: Actor | Any, *, pk: int) -> User:
    """One user of the actor's scope (``NotFound`` when missing or out of scope: no existence leak)."""
    user = users_for(actor).filter(pk=pk).first()
    if user is None:
        raise NotFound("用户不存在或不在您的管辖范围内")
    return user


def assignments_for(actor: Actor | Any, *, user: User | None = None) -> QuerySet[RoleAssignment]:
    """Role assignments on orgs in the actor's ``accounts.view`` scope (optionally of one user)."""
    rows = RoleAssignment.objects.filter(scope_for(actor, "accounts.view").q("org__path"))
    if user is not None:
        rows = rows.filter(user=user)
    return rows.select_related("role", "org", "user").order_by("org__path", "role__code")


def get_assignment(actor: Actor | Any, *, pk: int) -> RoleAssignment:
    """One role assignment in the actor's scope (``NotFound`` otherwise)."""
    row = assignments_for(actor).filter(pk=pk).first()
    if row is None:
        raise NotFound("授权记录不存在或不在您的管辖范围内")
    return row


def roles() -> QuerySet[Role]:
    """Every role (roles are data, not scoped)."""
    return Role.objects.order_by("-builtin", "code")


def get_role(*, code: str) -> Role:
    """The role with ``code`` (``NotFound`` with the code in the message)."""
    role = Role.objects.filter(code=code).first()
    if role is None:
        raise NotFound(f"角色「{code}」不存在")
    return role


def can_view_accounts(actor: Actor | Any) -> bool:
    """Whether the actor may open the users and roles pages at all."""
    return has_anywhere(actor, "accounts.view")


def permissions_anywhere(actor: Actor | Any) -> set[str]:
    """Every permission code the actor holds on at least one org (narrowed by its API token)."""
    return {code for code in PERMISSIONS if has_anywhere(actor, code)}


@dataclass(frozen=True)
class Me:
    """The signed-in user as it sees itself: roles held and the permissions in effect."""

    user: User
    assignments: list[RoleAssignment]
    permissions: list[str]
    token_permissions: list[str] | None


def me(actor: User) -> Me:
    """The actor's own account, roles and effective permissions (narrowed by its API token)."""
    assignments = list(
        RoleAssignment.objects.filter(user=actor).select_related("role", "org").order_by("org__path", "role__code")
    )
    effective = sorted(permissions_anywhere(actor))
    narrowed = actor.token_permissions
    return Me(actor, assignments, effective, sorted(narrowed) if narrowed is not None else None)


def tokens_of(user: User) -> QuerySet[ApiToken]:
    """The user's own API tokens, newest first (the digest never leaves the database)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


def get_own_token(user: User, *, pk: int) -> ApiToken:
    """One of the user's own tokens (``NotFound`` for anyone else's)."""
    token = ApiToken.objects.filter(user=user, pk=pk).select_related("user").first()
    if token is None:
        raise NotFound("令牌不存在")
    return token
