"""Password storage (PBKDF2-HMAC-SM3 by default, Argon2 accepted and upgraded) and session settings."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import get_hasher, identify_hasher, make_password

from edubase import settings as production
from edubase.accounts.models import User
from tests.accounts.helpers import try_login
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def production_hashers(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS


def test_pbkdf2_sm3_is_the_default_hasher_of_the_project():
    assert production.PASSWORD_HASHERS[0] == "edubase.accounts.hashers.PBKDF2SM3PasswordHasher"


def test_a_new_password_is_stored_as_pbkdf2_sm3(production_hashers, world):
    user = User.objects.create_user(username="new_user", password="Long-enough-2026")
    assert user.password.startswith("pbkdf2_sm3$")
    assert get_hasher("default").algorithm == "pbkdf2_sm3"
    assert user.check_password("Long-enough-2026") and not user.check_password("long-enough-2026")


def test_an_argon2_hash_is_accepted_and_upgraded_on_login(production_hashers, world):
    User.objects.filter(pk=world.teacher.pk).update(password=make_password(PASSWORD, hasher="argon2"))
    assert identify_hasher(User.objects.get(pk=world.teacher.pk).password).algorithm == "argon2"
    try_login("teacher_wang", PASSWORD)
    assert User.objects.get(pk=world.teacher.pk).password.startswith("pbkdf2_sm3$")


def test_sessions_expire_when_idle_and_cookies_are_protected():
    assert production.SESSION_COOKIE_AGE <= 3600
    assert "edubase.core.middleware.IdleTimeoutMiddleware" in production.MIDDLEWARE  # expiry slides on activity
    assert production.SESSION_COOKIE_HTTPONLY is True
    assert production.SESSION_COOKIE_SAMESITE in {"Lax", "Strict"}
    assert "django.middleware.csrf.CsrfViewMiddleware" in production.MIDDLEWARE
