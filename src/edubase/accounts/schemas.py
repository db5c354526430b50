"""API schemas of accounts. No password hash, token digest or token value leaves except where stated."""

from __future__ import annotations

import uuid
from datetime import datetime

from ninja import Field, Schema


class RoleOut(Schema):
    id: int
    code: str
    name: str
    description: str
    permissions: list[str]
    builtin: bool


class RoleRef(Schema):
    code: str
    name: str


class OrgRef(Schema):
    id: int
    code: str
    name: str


class AssignmentOut(Schema):
    id: int
    user_id: int
    username: str = Field(..., alias="user.username")
    role: RoleRef
    org: OrgRef
    created_at: datetime


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    person_id: uuid.UUID | None
    is_active: bool
    is_superuser: bool
    locked_until: datetime | None
    must_change_password: bool
    last_login: datetime | None
    date_joined: datetime


class MeOut(Schema):
    user: UserOut
    assignments: list[AssignmentOut]
    permissions: list[str] = Field(..., description="当前生效的权限（经令牌收窄后）")
    token_permissions: list[str] | None = Field(None, description="通过接口令牌访问时令牌允许的权限")


class UserIn(Schema):
    username: str = Field(..., max_length=150, description="用户名（字母、数字及 @.+-_）")
    password: str = Field(..., description="初始密码，至少 10 位，不能是常见密码或纯数字")
    display_name: str = Field("", max_length=50)
    person_id: uuid.UUID | None = Field(None, description="关联人员（须在您的管辖范围内）")
    role: str = Field(..., description="首个角色代码，如 teacher")
    org_id: int = Field(..., description="授予角色的机构")


class AssignmentIn(Schema):
    role: str = Field(..., description="角色代码")
    org_id: int = Field(..., description="机构")


class TokenIn(Schema):
    name: str = Field(..., max_length=100, description="令牌用途")
    permissions: list[str] = Field(..., description="令牌权限，须为账号自身权限的子集")
    expires_at: datetime | None = Field(None, description="过期时间（不填为长期有效，直至撤销）")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    permissions: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreatedOut(Schema):
    token: TokenOut
    value: str = Field(..., description="令牌明文，仅此一次显示，请立即妥善保存")
