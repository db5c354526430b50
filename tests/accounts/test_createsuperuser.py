"""``edubase createsuperuser`` (Django's command) works with the custom user model."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from edubase.accounts.models import User
from edubase.core.scope import scope_for

pytestmark = pytest.mark.django_db


def test_createsuperuser_makes_a_superuser_with_everything_scope(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Root-password-2026")
    call_command("createsuperuser", interactive=False, username="root", email="root@example.edu.cn", verbosity=0)
    user = User.objects.get(username="root")
    assert user.is_superuser and user.is_staff and user.check_password("Root-password-2026")
    assert user.person is None and user.locked_until is None
    assert scope_for(user, "audit.view").everything
