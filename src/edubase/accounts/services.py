"""Writes of accounts: login with lockout, users, role assignments, API tokens. All audited.

Two rules keep delegation safe:
- an actor manages accounts only where it holds ``accounts.manage`` (an org subtree);
- an actor grants only what it holds itself: a role (or a token) whose permissions are not
  all held by the actor on that org is refused, so nobody can create a stronger account
  than their own (no privilege escalation).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth import login as django_login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from django.utils import timezone

from edubase.accounts.models import ApiToken, LoginFailure, Role, RoleAssignment, User
from edubase.accounts.permissions import PERMISSIONS
from edubase.accounts.selectors import permissions_anywhere
from edubase.accounts.tokens import new_token_value, token_digest
from edubase.core import audit, context
from edubase.core.errors import DomainError, PermissionDenied, ValidationFailed
from edubase.core.scope import Actor, has_anywhere, require, scope_for
from edubase.orgs.models import Org
from edubase.people.models import Person
from edubase.people.selectors import get_person


class InvalidCredentials(DomainError):
    """Wrong username or password (the same answer for both: no account enumeration)."""

    code = "invalid_credentials"
    message = "用户名或密码错误"
    status = 401


class LoginLocked(DomainError):
    """Too many failed logins: the account is locked until a given time."""

    code = "account_locked"
    message = "登录失败次数过多，账号已临时锁定，请稍后再试"
    status = 403

    def __init__(self, until: datetime) -> None:
        local = timezone.localtime(until)
        super().__init__(
            f"登录失败次数过多，账号已临时锁定，请于 {local:%Y-%m-%d %H:%M} 后重试，或联系管理员解锁",
            details={"locked_until": local.isoformat()},
        )
        self.until = until


# --- helpers -----------------------------------------------------------------

#: the actor label of audit events written before anyone is authenticated
ANONYMOUS = "anonymous"


def _lock_window() -> timedelta:
    return timedelta(minutes=settings.EDUBASE_LOGIN_LOCK_MINUTES)


def _home_org(user: User) -> Org | None:
    """The highest org where the user holds a role: where events about the user are filed."""
    row = RoleAssignment.objects.filter(user=user).select_related("org").order_by("org__path").first()
    return row.org if row is not None else None


def _user_snapshot(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "person": str(user.person_id) if user.person_id else None,
        "is_active": user.is_active,
    }


def _assignment_snapshot(assignment: RoleAssignment) -> dict[str, Any]:
    return {
        "user": assignment.user.username,
        "role": assignment.role.code,
        "org": assignment.org.code,
        "permissions": sorted(assignment.role.permissions),
    }


def _missing_permissions(actor: Actor | Any, permissions: Iterable[str], *, path: str) -> list[str]:
    """Permissions the actor does not hold on the org at ``path`` (an API token narrows them)."""
    return sorted(p for p in set(permissions) if not scope_for(actor, p).covers(path))


def _labels(codes: Iterable[str]) -> str:
    return "、".join(PERMISSIONS.get(code, code) for code in codes)


def _require_manage_over(actor: Actor | Any, user: User, *, permissions: Iterable[str] = ()) -> None:
    """The actor must hold ``accounts.manage`` (and ``permissions``) on every org of ``user``'s roles.

    Acting on another account (its tokens, its lock) reaches everything that account may do,
    so the actor must be at least as strong as the account everywhere it reaches.
    """
    if scope_for(actor, "accounts.manage").everything:
        return
    orgs = [a.org for a in RoleAssignment.objects.filter(user=user).select_related("org")]
    if not orgs:
        raise PermissionDenied("该用户不在您的管辖范围内，只有省级管理员可以操作未授权的账号")
    for org in orgs:
        require(actor, "accounts.manage", path=org.path)
        missing = _missing_permissions(actor, permissions, path=org.path)
        if missing:
            raise PermissionDenied(f"您在「{org.name}」不具备以下权限，不能代为授予：{_labels(missing)}")


# --- login -------------------------------------------------------------------


def _client_ip(request: HttpRequest | None) -> str:
    ip = context.current().ip
    if not ip and request is not None:
        ip = str(request.META.get("REMOTE_ADDR", ""))
    return ip[:45]


def _recent_failures(username: str, *, now: datetime) -> list[datetime]:
    since = now - _lock_window()
    rows = LoginFailure.objects.filter(username=username, at__gt=since).order_by("-at")
    return list(rows.values_list("at", flat=True))


def login(*, request: HttpRequest, username: str, password: str) -> User:
    """Check the password, enforce lockout and start a fresh session (the session key rotates).

    Failures are counted per username within ``EDUBASE_LOGIN_LOCK_MINUTES``; reaching
    ``EDUBASE_LOGIN_MAX_FAILURES`` locks the username for that window, and while locked even
    the right password is refused. A success clears the failures. The failure rows and audit
    events are written in the caller's transaction: callers render ``InvalidCredentials`` /
    ``LoginLocked`` as a response rather than letting them roll the request back.
    """
    now = timezone.now()
    username = username.strip()
    user = User.objects.filter(username=username).first()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        audit.record(
            actor=ANONYMOUS,
            action="accounts.login_refused",
            obj=user,
            org=_home_org(user),
            after={"reason": "locked", "locked_until": user.locked_until.isoformat()},
        )
        raise LoginLocked(user.locked_until)
    failures = _recent_failures(username, now=now)
    if user is None and len(failures) >= settings.EDUBASE_LOGIN_MAX_FAILURES:
        raise LoginLocked(failures[0] + _lock_window())

    authenticated = authenticate(request, username=username, password=password)
    if authenticated is None:
        LoginFailure.objects.create(username=username[:150], ip=_client_ip(request))
        failures = _recent_failures(username, now=now)
        org = _home_org(user) if user is not None else None
        target: dict[str, Any] = (
            {"obj": user} if user is not None else {"object_type": "accounts.user", "object_repr": username[:200]}
        )
        audit.record(
            actor=ANONYMOUS, action="accounts.login_failed", org=org, after={"failures": len(failures)}, **target
        )
        if len(failures) >= settings.EDUBASE_LOGIN_MAX_FAILURES:
            until = failures[0] + _lock_window()
            if user is not None:
                user.locked_until = until
                user.save(update_fields=["locked_until"])
                audit.record(
                    actor=ANONYMOUS,
                    action="accounts.locked",
                    obj=user,
                    org=org,
                    after={"locked_until": until.isoformat(), "failures": len(failures)},
                )
            raise LoginLocked(until)
        raise InvalidCredentials()

    assert isinstance(authenticated, User)
    LoginFailure.objects.filter(username=username).delete()
    if authenticated.locked_until is not None:
        authenticated.locked_until = None
        authenticated.save(update_fields=["locked_until"])
    django_login(request, authenticated)  # cycles the session key: no session fixation
    audit.record(actor=authenticated, action="accounts.login", obj=authenticated, org=_home_org(authenticated))
    return authenticated


def unlock_user(*, actor: Actor | Any, user: User) -> User:
    """Lift a login lock early and forget the failures that caused it."""
    _require_manage_over(actor, user)
    before = {"locked_until": user.locked_until.isoformat() if user.locked_until else None}
    user.locked_until = None
    user.save(update_fields=["locked_until"])
    LoginFailure.objects.filter(username=user.username).delete()
    audit.record(actor=actor, action="accounts.unlock", obj=user, org=_home_org(user), before=before)
    return user


# --- users and roles ---------------------------------------------------------


def _check_password(password: str, *, username: str, display_name: str) -> None:
    try:
        validate_password(password, user=User(username=username, display_name=display_name))
    except DjangoValidationError as exc:
        reasons = [str(m) for m in exc.messages]
        raise ValidationFailed("密码不符合要求：" + "；".join(reasons), details={"password": reasons}) from exc


def _check_username(username: str) -> str:
    username = username.strip()
    if not username:
        raise ValidationFailed("用户名不能为空", details={"username": ["用户名不能为空"]})
    try:
        User.username_validator(username)
    except DjangoValidationError as exc:
        reason = "用户名只能包含字母、数字和 @ . + - _ 字符，且不超过 150 个字符"
        raise ValidationFailed(reason, details={"username": [reason]}) from exc
    if len(username) > 150:
        raise ValidationFailed("用户名不能超过 150 个字符", details={"username": ["用户名不能超过 150 个字符"]})
    if User.objects.filter(username=username).exists():
        raise ValidationFailed(f"用户名「{username}」已被使用，请换一个", details={"username": ["用户名已被使用"]})
    return username


def _check_person(actor: Actor | Any, person: Person | None) -> None:
    """A linked person must be one the actor may see (no linking to strangers)."""
    if person is not None:
        get_person(actor, pk=person.pk)


def create_user(
    *,
    actor: Actor | Any,
    username: str,
    password: str,
    display_name: str = "",
    person: Person | None = None,
) -> User:
    """Create a user account without roles (needs ``accounts.manage`` somewhere)."""
    if not has_anywhere(actor, "accounts.manage"):
        raise PermissionDenied("您没有管理用户的权限")
    username = _check_username(username)
    display_name = display_name.strip()[:50]
    _check_password(password, username=username, display_name=display_name)
    _check_person(actor, person)
    user = User.objects.create_user(username=username, password=password, display_name=display_name, person=person)
    audit.record(actor=actor, action="accounts.user.create", obj=user, after=_user_snapshot(user))
    return user


def create_user_with_role(
    *,
    actor: Actor | Any,
    username: str,
    password: str,
    role: Role,
    org: Org,
    display_name: str = "",
    person: Person | None = None,
) -> tuple[User, RoleAssignment]:
    """Create a user and its first role assignment (the usual way a manager adds an account)."""
    _check_grant(actor, role=role, org=org)
    user = create_user(actor=actor, username=username, password=password, display_name=display_name, person=person)
    assignment = assign_role(actor=actor, user=user, role=role, org=org)
    return user, assignment


def _check_grant(actor: Actor | Any, *, role: Role, org: Org) -> None:
    require(actor, "accounts.manage", path=org.path)
    missing = _missing_permissions(actor, role.permissions, path=org.path)
    if missing:
        raise PermissionDenied(
            f"不能授予角色「{role.name}」：您在「{org.name}」不具备该角色包含的以下权限：{_labels(missing)}",
            details={"missing_permissions": missing},
        )


def assign_role(*, actor: Actor | Any, user: User, role: Role, org: Org) -> RoleAssignment:
    """Grant ``role`` to ``user`` on ``org`` and its subtree (only roles the actor could hold there)."""
    _check_grant(actor, role=role, org=org)
    if RoleAssignment.objects.filter(user=user, role=role, org=org).exists():
        raise ValidationFailed(f"用户「{user}」已在「{org.name}」拥有角色「{role.name}」")
    assignment = RoleAssignment.objects.create(user=user, role=role, org=org)
    audit.record(
        actor=actor,
        action="accounts.assignment.create",
        obj=assignment,
        object_repr=f"{user.username} · {role.name} @ {org.name}",
        org=org,
        after=_assignment_snapshot(assignment),
    )
    return assignment


def revoke_assignment(*, actor: Actor | Any, assignment: RoleAssignment) -> None:
    """Remove a role assignment (only one the actor could have granted)."""
    _check_grant(actor, role=assignment.role, org=assignment.org)
    before = _assignment_snapshot(assignment)
    pk = assignment.pk
    assignment.delete()
    audit.record(
        actor=actor,
        action="accounts.assignment.revoke",
        object_type="accounts.roleassignment",
        object_id=str(pk),
        object_repr=f"{before['user']} · {assignment.role.name} @ {assignment.org.name}",
        org=assignment.org,
        before=before,
    )


# --- API tokens --------------------------------------------------------------


def create_api_token(
    *,
    actor: Actor | Any,
    user: User,
    name: str,
    permissions: Iterable[str],
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Issue a personal API token narrowed to ``permissions``; the value is returned once, never stored.

    The permissions must be a subset of what the user holds (and, when issued by a manager for
    someone else, of what the manager holds wherever that user has roles).
    """
    name = name.strip()
    if not name:
        raise ValidationFailed("请填写令牌名称（用途）", details={"name": ["令牌名称不能为空"]})
    codes = sorted(set(permissions))
    if not codes:
        raise ValidationFailed("请至少选择一项令牌权限", details={"permissions": ["至少选择一项权限"]})
    unknown = [c for c in codes if c not in PERMISSIONS]
    if unknown:
        raise ValidationFailed(f"未知的权限代码：{'、'.join(unknown)}", details={"permissions": unknown})
    if expires_at is not None and timezone.is_naive(expires_at):
        expires_at = timezone.make_aware(expires_at)  # read in the server's zone (Asia/Shanghai)
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed("过期时间必须晚于当前时间", details={"expires_at": ["过期时间已过"]})

    is_self = getattr(actor, "pk", None) == user.pk
    if not is_self:
        _require_manage_over(actor, user, permissions=codes)
    held = permissions_anywhere(actor if is_self else user)
    missing = [c for c in codes if c not in held]
    if missing:
        raise PermissionDenied(
            f"令牌权限不能超出账号本身的权限，以下权限账号并不具备：{_labels(missing)}",
            details={"missing_permissions": missing},
        )

    prefix, value = new_token_value()
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=prefix, digest=token_digest(value), permissions=codes, expires_at=expires_at
    )
    audit.record(
        actor=actor,
        action="accounts.token.create",
        obj=token,
        org=_home_org(user),
        after={
            "user": user.username,
            "name": token.name,
            "prefix": prefix,
            "permissions": codes,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return token, value


def revoke_api_token(*, actor: Actor | Any, token: ApiToken) -> ApiToken:
    """Revoke a token at once (its owner, or a manager of the owner); revoking twice is harmless."""
    if getattr(actor, "pk", None) != token.user_id:
        _require_manage_over(actor, token.user)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(
        actor=actor,
        action="accounts.token.revoke",
        obj=token,
        org=_home_org(token.user),
        after={"user": token.user.username, "prefix": token.prefix, "revoked_at": token.revoked_at.isoformat()},
    )
    return token
