"""Personal API tokens: hashed at rest, narrowed, revocable, expiring; shown once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from edubase.accounts.models import ApiToken
from edubase.accounts.services import create_api_token, revoke_api_token
from edubase.core.errors import PermissionDenied, ValidationFailed
from edubase.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def bearer(value: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {value}")


def test_a_token_is_stored_only_as_a_digest(world):
    token, value = create_api_token(actor=world.teacher, user=world.teacher, name="统计脚本", permissions=["orgs.view"])
    assert value.startswith(f"eb_{token.prefix}_")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        stored = " ".join(str(cell) for row in cursor.fetchall() for cell in row)
    assert value not in stored and value.split("_")[2] not in stored
    event = AuditEvent.objects.get(action="accounts.token.create")
    assert value not in str(event.after) and event.after["prefix"] == token.prefix


def test_a_token_authenticates_api_calls(world):
    _, value = create_api_token(actor=world.teacher, user=world.teacher, name="统计脚本", permissions=["orgs.view"])
    response = bearer(value).get("/api/v1/accounts/me")
    assert response.status_code == 200
    assert response.json()["user"]["username"] == "teacher_wang"


def test_a_token_narrows_the_permissions_of_its_user(world):
    _, value = create_api_token(
        actor=world.school_admin, user=world.school_admin, name="只读", permissions=["orgs.view"]
    )
    body = bearer(value).get("/api/v1/accounts/me").json()
    assert body["permissions"] == ["orgs.view"] and body["token_permissions"] == ["orgs.view"]
    assert bearer(value).get("/api/v1/accounts/users").json()["items"] == []  # accounts.view not in the token
    assert bearer(value).get("/api/v1/accounts/roles").status_code == 403


def test_a_narrowed_token_cannot_mint_a_wider_token(world):
    _, value = create_api_token(
        actor=world.school_admin, user=world.school_admin, name="只读", permissions=["orgs.view"]
    )
    response = bearer(value).post(
        "/api/v1/accounts/tokens",
        {"name": "更宽", "permissions": ["accounts.manage"]},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_a_token_cannot_carry_permissions_its_user_lacks(world):
    with pytest.raises(PermissionDenied) as exc:
        create_api_token(actor=world.teacher, user=world.teacher, name="越权", permissions=["people.reveal"])
    assert exc.value.details["missing_permissions"] == ["people.reveal"]


def test_an_outsider_cannot_make_any_token(world):
    with pytest.raises(PermissionDenied):
        create_api_token(actor=world.outsider, user=world.outsider, name="x", permissions=["orgs.view"])


def test_unknown_or_empty_permissions_are_refused(world):
    with pytest.raises(ValidationFailed, match="未知的权限代码"):
        create_api_token(actor=world.teacher, user=world.teacher, name="x", permissions=["orgs.destroy"])
    with pytest.raises(ValidationFailed, match="至少选择一项"):
        create_api_token(actor=world.teacher, user=world.teacher, name="x", permissions=[])


def test_a_revoked_token_is_refused(world):
    token, value = create_api_token(actor=world.teacher, user=world.teacher, name="临时", permissions=["orgs.view"])
    revoke_api_token(actor=world.teacher, token=token)
    response = bearer(value).get("/api/v1/accounts/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert AuditEvent.objects.filter(action="accounts.token.revoke").exists()


def test_an_expired_token_is_refused(world):
    token, value = create_api_token(
        actor=world.teacher,
        user=world.teacher,
        name="一小时",
        permissions=["orgs.view"],
        expires_at=timezone.now() + timedelta(hours=1),
    )
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert bearer(value).get("/api/v1/accounts/me").status_code == 401


def test_an_expiry_in_the_past_is_refused(world):
    with pytest.raises(ValidationFailed, match="过期时间"):
        create_api_token(
            actor=world.teacher,
            user=world.teacher,
            name="x",
            permissions=["orgs.view"],
            expires_at=timezone.now() - timedelta(minutes=1),
        )


def test_a_made_up_token_is_refused(world):
    assert bearer("eb_00000000_" + "x" * 43).get("/api/v1/accounts/me").status_code == 401


def test_a_school_admin_issues_a_token_for_a_teacher_of_its_school(world):
    token, _ = create_api_token(actor=world.school_admin, user=world.teacher, name="代办", permissions=["people.view"])
    assert token.user == world.teacher


def test_a_school_admin_cannot_issue_a_token_for_the_city_admin(world):
    with pytest.raises(PermissionDenied):
        create_api_token(actor=world.school_admin, user=world.city_admin, name="冒用", permissions=["orgs.view"])


def test_a_teacher_cannot_revoke_another_users_token(world):
    token, _ = create_api_token(actor=world.student, user=world.student, name="学生", permissions=["orgs.view"])
    with pytest.raises(PermissionDenied):
        revoke_api_token(actor=world.teacher, token=token)


def test_a_token_whose_secret_contains_underscores_authenticates(world, monkeypatch):
    # token_urlsafe draws from A-Z a-z 0-9 - _ : about half of all secrets contain "_"
    monkeypatch.setattr("edubase.accounts.tokens.secrets.token_urlsafe", lambda n: "ab_cd-ef_" + "x" * 34)
    _, value = create_api_token(actor=world.teacher, user=world.teacher, name="下划线", permissions=["orgs.view"])
    assert value.count("_") > 2
    assert bearer(value).get("/api/v1/accounts/me").status_code == 200
