"""The accounts API: me, users, assignments, roles, tokens."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from edubase.accounts.models import ApiToken, Role, RoleAssignment, User

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Henan-school-2026"


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, url: str, body: dict) -> object:
    return client.post(url, body, content_type="application/json")


def test_anonymous_callers_get_401_with_the_error_envelope(world):
    response = Client().get("/api/v1/accounts/me")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "未登录或令牌无效"


def test_me_lists_my_assignments_and_permissions(world):
    body = as_user(world.teacher).get("/api/v1/accounts/me").json()
    assert body["user"]["username"] == "teacher_wang"
    assert [(a["role"]["code"], a["org"]["code"]) for a in body["assignments"]] == [("teacher", "2141000001")]
    assert body["permissions"] == ["orgs.view", "people.view"] and body["token_permissions"] is None


def test_no_password_hash_in_any_user_output(world):
    client = as_user(world.city_admin)
    for url in ("/api/v1/accounts/me", "/api/v1/accounts/users", f"/api/v1/accounts/users/{world.teacher.pk}"):
        text = client.get(url).content.decode()
        assert '"password"' not in text and world.teacher.password not in text


def test_the_user_list_is_scoped_and_paginated(world):
    client = as_user(world.school_admin)
    first = client.get("/api/v1/accounts/users?limit=2").json()
    assert len(first["items"]) == 2 and first["next"]
    rest = client.get(f"/api/v1/accounts/users?limit=2&cursor={first['next']}").json()
    names = {u["username"] for u in first["items"] + rest["items"]}
    assert names == {"school_a_admin", "teacher_wang", "student_li"} and rest["next"] is None


def test_a_user_out_of_scope_is_404(world):
    response = as_user(world.school_admin).get(f"/api/v1/accounts/users/{world.city_admin.pk}")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_a_school_admin_creates_a_teacher_through_the_api(world):
    response = post(
        as_user(world.school_admin),
        "/api/v1/accounts/users",
        {"username": "teacher_zhang", "password": GOOD_PASSWORD, "role": "teacher", "org_id": world.school_a.pk},
    )
    assert response.status_code == 201, response.content
    assert response.json()["username"] == "teacher_zhang"
    assert RoleAssignment.objects.filter(user__username="teacher_zhang", org=world.school_a).exists()


def test_creating_a_user_with_a_weak_password_gives_422_in_chinese(world):
    response = post(
        as_user(world.school_admin),
        "/api/v1/accounts/users",
        {"username": "teacher_zhang", "password": "123", "role": "teacher", "org_id": world.school_a.pk},
    )
    assert response.status_code == 422 and "密码不符合要求" in response.json()["error"]["message"]
    assert not User.objects.filter(username="teacher_zhang").exists()


def test_creating_a_user_at_a_school_out_of_scope_is_404(world):
    response = post(
        as_user(world.school_admin),
        "/api/v1/accounts/users",
        {"username": "teacher_zhang", "password": GOOD_PASSWORD, "role": "teacher", "org_id": world.school_c.pk},
    )
    assert response.status_code == 404


def test_a_teacher_cannot_create_users(world):
    response = post(
        as_user(world.teacher),
        "/api/v1/accounts/users",
        {"username": "teacher_zhang", "password": GOOD_PASSWORD, "role": "teacher", "org_id": world.school_a.pk},
    )
    assert response.status_code == 403


def test_privilege_escalation_through_the_api_is_refused(world):
    response = post(
        as_user(world.school_admin),
        f"/api/v1/accounts/users/{world.teacher.pk}/assignments",
        {"role": "province_admin", "org_id": world.school_a.pk},
    )
    assert response.status_code == 403
    assert "audit.view" in response.json()["error"]["details"]["missing_permissions"]


def test_assign_and_revoke_through_the_api(world):
    client = as_user(world.county_admin)
    response = post(
        client,
        f"/api/v1/accounts/users/{world.teacher.pk}/assignments",
        {"role": "reviewer", "org_id": world.school_a.pk},
    )
    assert response.status_code == 201
    assignment_id = response.json()["id"]
    assert client.delete(f"/api/v1/accounts/assignments/{assignment_id}").status_code == 204
    assert not RoleAssignment.objects.filter(pk=assignment_id).exists()


def test_an_assignment_out_of_scope_is_404(world):
    assignment = RoleAssignment.objects.get(user=world.city_admin)
    assert as_user(world.county_admin).delete(f"/api/v1/accounts/assignments/{assignment.pk}").status_code == 404


def test_roles_are_listed_for_account_viewers_only(world):
    codes = {r["code"] for r in as_user(world.school_admin).get("/api/v1/accounts/roles").json()}
    assert {"province_admin", "teacher", "auditor"} <= codes
    assert as_user(world.teacher).get("/api/v1/accounts/roles").status_code == 403
    assert Role.objects.count() == len(codes)


def test_a_token_is_shown_once_and_listed_without_its_value(world):
    client = as_user(world.teacher)
    created = post(client, "/api/v1/accounts/tokens", {"name": "脚本", "permissions": ["orgs.view"]})
    assert created.status_code == 201
    value = created.json()["value"]
    listed = client.get("/api/v1/accounts/tokens")
    assert listed.status_code == 200 and value not in listed.content.decode()
    assert [t["name"] for t in listed.json()] == ["脚本"]


def test_a_token_expiry_without_a_zone_is_read_as_local_time(world):
    response = post(
        as_user(world.teacher),
        "/api/v1/accounts/tokens",
        {"name": "限期", "permissions": ["orgs.view"], "expires_at": "2999-01-01T08:00:00"},
    )
    assert response.status_code == 201
    expires = datetime.fromisoformat(response.json()["token"]["expires_at"])
    assert expires == datetime(2999, 1, 1, 0, 0, tzinfo=UTC)  # 08:00 in Asia/Shanghai


def test_i_cannot_revoke_or_see_someone_elses_token(world):
    client = as_user(world.student)
    token_id = post(client, "/api/v1/accounts/tokens", {"name": "学生", "permissions": ["orgs.view"]}).json()["token"][
        "id"
    ]
    other = as_user(world.province_admin)
    assert other.delete(f"/api/v1/accounts/tokens/{token_id}").status_code == 404
    assert other.get("/api/v1/accounts/tokens").json() == []
    assert client.delete(f"/api/v1/accounts/tokens/{token_id}").status_code == 204
    assert ApiToken.objects.get(pk=token_id).revoked_at is not None
