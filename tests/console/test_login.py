"""Sign-in and sign-out through the console, with the service's Chinese answers."""

from __future__ import annotations

import pytest
from django.urls import reverse

from edubase.core.models import AuditEvent
from tests.console.conftest import text
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/login/"


def test_the_login_page_is_in_chinese(client, world):
    response = client.get(LOGIN)
    assert response.status_code == 200
    body = text(response)
    assert "登录账号" in body and "用户名" in body and "密码" in body and 'lang="zh-hans"' in body


def test_the_right_password_signs_in_and_goes_home(client, world):
    response = client.post(LOGIN, {"username": "province_admin", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("console:home")
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="accounts.login", actor=world.province_admin).exists()


def test_a_wrong_password_shows_the_chinese_error(client, world):
    response = client.post(LOGIN, {"username": "province_admin", "password": "not-the-password"})
    assert response.status_code == 401
    assert "用户名或密码错误" in text(response)
    assert client.get("/").status_code == 302  # still signed out


def test_the_failure_is_recorded_although_the_page_answers_with_an_error(client, world):
    client.post(LOGIN, {"username": "province_admin", "password": "not-the-password"})
    assert AuditEvent.objects.filter(action="accounts.login_failed").exists()


def test_empty_fields_are_asked_for_in_chinese(client, world):
    body = text(client.post(LOGIN, {"username": "", "password": ""}))
    assert "请输入用户名" in body and "请输入密码" in body


def test_repeated_failures_lock_the_account_with_a_chinese_message(client, world, settings):
    settings.EDUBASE_LOGIN_MAX_FAILURES = 3
    for _ in range(2):
        client.post(LOGIN, {"username": "teacher_wang", "password": "wrong-password"})
    response = client.post(LOGIN, {"username": "teacher_wang", "password": "wrong-password"})
    assert response.status_code == 403 and "账号已临时锁定" in text(response)
    locked = client.post(LOGIN, {"username": "teacher_wang", "password": PASSWORD})
    assert locked.status_code == 403 and "账号已临时锁定" in text(locked)


def test_it_follows_next_within_the_site_only(client, world):
    response = client.post(LOGIN, {"username": "province_admin", "password": PASSWORD, "next": "/schools/"})
    assert response["Location"] == "/schools/"
    client.logout()
    response = client.post(LOGIN, {"username": "province_admin", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == reverse("console:home")


def test_a_signed_in_user_opening_login_goes_home(client, world):
    client.force_login(world.teacher)
    assert client.get(LOGIN)["Location"] == reverse("console:home")


def test_logout_needs_post_and_signs_out(client, world):
    client.force_login(world.teacher)
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == reverse("console:login")
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "url", ["/", "/orgs/", "/schools/", "/schools/export.xlsx", "/people/", "/users/", "/roles/", "/audit/"]
)
def test_every_page_sends_anonymous_visitors_to_login(client, world, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
