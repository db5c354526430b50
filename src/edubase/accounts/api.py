"""API routes of accounts (mounted at ``/accounts`` by edubase.api): me, users, assignments, roles, tokens."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from edubase.accounts import selectors, services
from edubase.accounts.models import ApiToken, RoleAssignment, User
from edubase.accounts.schemas import (
    AssignmentIn,
    AssignmentOut,
    MeOut,
    RoleOut,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
)
from edubase.core.errors import PermissionDenied
from edubase.core.pagination import CursorPagination
from edubase.orgs.selectors import get_org
from edubase.people.selectors import get_person

router = Router()


def _actor(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


@router.get("/me", response=MeOut, summary="当前用户、授权与生效权限 / the signed-in user")
def me(request: HttpRequest) -> selectors.Me:
    """The signed-in user, its role assignments and the permissions in effect (narrowed by a token)."""
    return selectors.me(_actor(request))


@router.get("/users", response=list[UserOut], summary="用户列表（管辖范围内） / users in scope")
@paginate(CursorPagination)
def list_users(request: HttpRequest, **kwargs: Any) -> Any:
    """Users holding a role on an org where the caller has ``accounts.view``."""
    return selectors.users_for(_actor(request))


@router.get("/users/{user_id}", response=UserOut, summary="用户详情 / one user")
def get_user(request: HttpRequest, user_id: int) -> User:
    """One user in scope (404 when missing or out of scope)."""
    return selectors.get_user(_actor(request), pk=user_id)


@router.get(
    "/users/{user_id}/assignments", response=list[AssignmentOut], summary="用户的授权（管辖范围内） / its roles"
)
def list_user_assignments(request: HttpRequest, user_id: int) -> list[RoleAssignment]:
    """The user's role assignments on orgs in the caller's scope."""
    actor = _actor(request)
    user = selectors.get_user(actor, pk=user_id)
    return list(selectors.assignments_for(actor, user=user))


@router.post("/users", response={201: UserOut}, summary="新建用户并授予首个角色 / create a user")
def create_user(request: HttpRequest, payload: UserIn) -> Status[User]:
    """Create a user with its first role on an org where the caller has ``accounts.manage``."""
    actor = _actor(request)
    role = selectors.get_role(code=payload.role)
    org = get_org(actor, pk=payload.org_id)
    person = get_person(actor, pk=payload.person_id) if payload.person_id else None
    user, _ = services.create_user_with_role(
        actor=actor,
        username=payload.username,
        password=payload.password,
        display_name=payload.display_name,
        person=person,
        role=role,
        org=org,
    )
    return Status(201, user)


@router.post(
    "/users/{user_id}/assignments", response={201: AssignmentOut}, summary="授予角色 / assign a role on an org"
)
def assign_role(request: HttpRequest, user_id: int, payload: AssignmentIn) -> Status[RoleAssignment]:
    """Grant a role on an org (only roles whose permissions the caller itself holds there)."""
    actor = _actor(request)
    user = selectors.get_user(actor, pk=user_id)
    role = selectors.get_role(code=payload.role)
    org = get_org(actor, pk=payload.org_id)
    return Status(201, services.assign_role(actor=actor, user=user, role=role, org=org))


@router.delete("/assignments/{assignment_id}", response={204: None}, summary="撤销授权 / revoke an assignment")
def revoke_assignment(request: HttpRequest, assignment_id: int) -> Status[None]:
    """Remove a role assignment in scope."""
    actor = _actor(request)
    services.revoke_assignment(actor=actor, assignment=selectors.get_assignment(actor, pk=assignment_id))
    return Status(204, None)


@router.get("/roles", response=list[RoleOut], summary="角色列表 / roles")
def list_roles(request: HttpRequest) -> list[Any]:
    """Every role with its permission codes (for anyone who may view accounts)."""
    if not selectors.can_view_accounts(_actor(request)):
        raise PermissionDenied("您没有查看角色的权限")
    return list(selectors.roles())


@router.get("/tokens", response=list[TokenOut], summary="我的接口令牌 / my API tokens")
def list_tokens(request: HttpRequest) -> list[ApiToken]:
    """The caller's own tokens (values are never shown again)."""
    return list(selectors.tokens_of(_actor(request)))


@router.post("/tokens", response={201: TokenCreatedOut}, summary="新建接口令牌 / create an API token")
def create_token(request: HttpRequest, payload: TokenIn) -> Status[dict[str, Any]]:
    """A new token for the caller, narrowed to a subset of its own permissions; the value is shown once."""
    actor = _actor(request)
    token, value = services.create_api_token(
        actor=actor, user=actor, name=payload.name, permissions=payload.permissions, expires_at=payload.expires_at
    )
    return Status(201, {"token": token, "value": value})


@router.delete("/tokens/{token_id}", response={204: None}, summary="撤销接口令牌 / revoke an API token")
def revoke_token(request: HttpRequest, token_id: int) -> Status[None]:
    """Revoke one of the caller's own tokens."""
    actor = _actor(request)
    services.revoke_api_token(actor=actor, token=selectors.get_own_token(actor, pk=token_id))
    return Status(204, None)
