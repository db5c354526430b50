"""Users, roles, role assignments on org subtrees, API tokens, login failures."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from edubase.core.scope import Grant
from edubase.orgs.models import Org
from edubase.people.models import Person


class User(AbstractUser):
    """User account (用户账号), optionally linked to a person (一人一号)."""

    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="users", verbose_name=_("人员")
    )
    display_name = models.CharField(_("显示名称"), max_length=50, blank=True)
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)
    must_change_password = models.BooleanField(_("须修改密码"), default=False)

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户")  # type: ignore[assignment]
        verbose_name_plural = _("用户")  # type: ignore[assignment]
        swappable = "AUTH_USER_MODEL"

    #: set by token authentication: the permission codes the token allows (None = session)
    token_permissions: frozenset[str] | None = None

    def grants(self) -> Sequence[Grant]:
        """Every (org subtree, permissions) from this user's role assignments (cached per instance)."""
        cached: Sequence[Grant] | None = getattr(self, "_grants_cache", None)
        if cached is None:
            rows = RoleAssignment.objects.filter(user=self).select_related("role", "org")
            cached = tuple(Grant(r.org.path, frozenset(r.role.permissions)) for r in rows)
            self._grants_cache = cached
        return cached

    def __str__(self) -> str:
        return self.display_name or self.username


class Role(models.Model):
    """Role (角色): a named set of permission codes such as ``people.view``."""

    code = models.SlugField(_("角色代码"), max_length=50, unique=True)
    name = models.CharField(_("角色名称"), max_length=50)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    permissions = models.JSONField(_("权限"), default=list)
    builtin = models.BooleanField(_("内置"), default=False)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class RoleAssignment(models.Model):
    """Role assignment (授权): a role held on an org and everything below it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("用户"))
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("角色"))
    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("机构"))
    created_at = models.DateTimeField(_("授权时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("授权")
        verbose_name_plural = _("授权")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "org"], name="accounts_assignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.role_id}@{self.org_id}"


class ApiToken(models.Model):
    """Personal API token (接口令牌): stored as an HMAC-SM3 digest, narrowed to permission codes."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("用户"))
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=12, unique=True)
    digest = models.CharField(_("摘要"), max_length=64)
    permissions = models.JSONField(_("权限范围"), default=list)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class LoginFailure(models.Model):
    """A failed login, for lockout after repeated failures."""

    username = models.CharField(_("用户名"), max_length=150, db_index=True)
    ip = models.CharField(_("地址"), max_length=45, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("登录失败记录")
        verbose_name_plural = _("登录失败记录")

    def __str__(self) -> str:
        return f"{self.username} {self.at:%Y-%m-%d %H:%M}"
