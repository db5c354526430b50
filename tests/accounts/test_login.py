"""Login: lockout after repeated failures, unlock after the window, session rotation, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from edubase.accounts.models import LoginFailure, User
from edubase.accounts.services import InvalidCredentials, LoginLocked, login, unlock_user
from edubase.core.errors import PermissionDenied
from edubase.core.models import AuditEvent
from tests.accounts.helpers import login_request, try_login
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _three_strikes(settings):  # type: ignore[no-untyped-def]
    settings.EDUBASE_LOGIN_MAX_FAILURES = 3
    settings.EDUBASE_LOGIN_LOCK_MINUTES = 15


def fail(username: str, times: int) -> None:
    for _ in range(times):
        with pytest.raises((InvalidCredentials, LoginLocked)):
            try_login(username, "wrong-password")


def test_the_right_password_logs_in_and_is_audited(world):
    user = try_login("teacher_wang", PASSWORD)
    assert user == world.teacher
    event = AuditEvent.objects.filter(action="accounts.login").get()
    assert event.actor_id == world.teacher.pk and event.org_path == world.school_a.path


def test_a_wrong_password_is_refused_with_a_chinese_message_and_recorded(world):
    with pytest.raises(InvalidCredentials) as exc:
        try_login("teacher_wang", "wrong-password")
    assert exc.value.message == "用户名或密码错误"
    assert LoginFailure.objects.filter(username="teacher_wang", ip="192.0.2.10").count() == 1
    assert AuditEvent.objects.filter(action="accounts.login_failed", object_id=str(world.teacher.pk)).exists()


def test_an_unknown_username_gets_the_same_answer_as_a_wrong_password(world):
    with pytest.raises(InvalidCredentials) as exc:
        try_login("nobody-here", "whatever-password")
    assert exc.value.message == "用户名或密码错误"


def test_it_locks_after_the_maximum_failures(world):
    fail("teacher_wang", 2)
    with pytest.raises(LoginLocked) as exc:
        try_login("teacher_wang", "wrong-password")
    assert "锁定" in exc.value.message and "后重试" in exc.value.message
    world.teacher.refresh_from_db()
    assert world.teacher.locked_until is not None and world.teacher.locked_until > timezone.now()
    assert AuditEvent.objects.filter(action="accounts.locked", object_id=str(world.teacher.pk)).exists()


def test_a_locked_account_refuses_even_the_right_password(world):
    fail("teacher_wang", 3)
    with pytest.raises(LoginLocked) as exc:
        try_login("teacher_wang", PASSWORD)
    local = timezone.localtime(User.objects.get(pk=world.teacher.pk).locked_until)
    assert f"{local:%Y-%m-%d %H:%M}" in exc.value.message
    assert AuditEvent.objects.filter(action="accounts.login_refused").exists()


def test_an_unknown_username_is_locked_too_so_lockout_does_not_reveal_which_accounts_exist(world):
    fail("nobody-here", 3)
    with pytest.raises(LoginLocked):
        try_login("nobody-here", "whatever-password")


def test_it_unlocks_once_the_window_has_passed(world):
    fail("teacher_wang", 3)
    earlier = timezone.now() - timedelta(minutes=16)
    LoginFailure.objects.filter(username="teacher_wang").update(at=earlier)
    User.objects.filter(pk=world.teacher.pk).update(locked_until=earlier + timedelta(minutes=15))
    assert try_login("teacher_wang", PASSWORD) == world.teacher


def test_failures_outside_the_window_do_not_count(world):
    fail("teacher_wang", 2)
    LoginFailure.objects.filter(username="teacher_wang").update(at=timezone.now() - timedelta(minutes=20))
    with pytest.raises(InvalidCredentials):
        try_login("teacher_wang", "wrong-password")


def test_a_successful_login_clears_earlier_failures(world):
    fail("teacher_wang", 2)
    try_login("teacher_wang", PASSWORD)
    assert not LoginFailure.objects.filter(username="teacher_wang").exists()
    fail("teacher_wang", 2)  # two more failures do not reach the limit of three
    assert try_login("teacher_wang", PASSWORD) == world.teacher


def test_login_rotates_the_session_key(world):
    request = login_request()
    before = request.session.session_key
    login(request=request, username="teacher_wang", password=PASSWORD)
    assert request.session.session_key != before
    assert request.user == world.teacher


def test_an_inactive_user_cannot_log_in(world):
    User.objects.filter(pk=world.teacher.pk).update(is_active=False)
    with pytest.raises(InvalidCredentials):
        try_login("teacher_wang", PASSWORD)


def test_a_school_admin_unlocks_a_teacher_of_its_school(world):
    fail("teacher_wang", 3)
    unlock_user(actor=world.school_admin, user=User.objects.get(pk=world.teacher.pk))
    assert try_login("teacher_wang", PASSWORD) == world.teacher
    assert AuditEvent.objects.filter(action="accounts.unlock").exists()


def test_a_teacher_cannot_unlock_anyone(world):
    fail("student_li", 3)
    with pytest.raises(PermissionDenied):
        unlock_user(actor=world.teacher, user=User.objects.get(pk=world.student.pk))


def test_a_school_admin_cannot_unlock_the_city_admin(world):
    with pytest.raises(PermissionDenied):
        unlock_user(actor=world.school_admin, user=world.city_admin)
