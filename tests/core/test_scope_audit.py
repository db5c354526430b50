"""Scope turns grants into subtrees; audit events form a verifiable chain."""

import pytest
from django.db import connection

from edubase.core import audit
from edubase.core.errors import PermissionDenied
from edubase.core.scope import require, scope_for
from edubase.orgs.models import Org

pytestmark = pytest.mark.django_db


def test_city_admin_scope_covers_its_subtree_only(world):
    scope = scope_for(world.city_admin, "people.view")
    assert scope.covers(world.school_a.path) and scope.covers(world.school_b.path)
    assert not scope.covers(world.school_c.path)
    visible = set(Org.objects.filter(scope.q("path")).values_list("code", flat=True))
    assert "2141000003" not in visible and {"410100", "2141000001"} <= visible


def test_outsider_and_anonymous_have_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert scope_for(world.outsider, "orgs.view").empty
    assert scope_for(AnonymousUser(), "orgs.view").empty
    assert not Org.objects.filter(scope_for(world.outsider, "orgs.view").q()).exists()
    with pytest.raises(PermissionDenied):
        require(world.outsider, "orgs.view", path=world.school_a.path)


def test_permission_not_in_role_gives_empty_scope(world):
    assert scope_for(world.student, "people.view").empty
    assert not scope_for(world.student, "orgs.view").empty


def test_token_permissions_narrow_a_superuser(world):
    world.province_admin.is_superuser = True
    assert scope_for(world.province_admin, "audit.view").everything
    world.province_admin.token_permissions = frozenset({"orgs.view"})
    assert scope_for(world.province_admin, "audit.view").empty


def test_audit_chain_verifies_and_detects_edits_and_deletions(world):
    for i in range(5):
        audit.record(
            actor=world.province_admin,
            action="test.write",
            obj=world.school_a,
            org=world.school_a,
            before={"n": i},
            after={"n": i + 1},
        )
    result = audit.verify()
    assert result.ok and result.checked == 5
    ids = list(audit.AuditEvent.objects.order_by("id").values_list("id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET action = 'tampered' WHERE id = %s", [ids[2]])
    bad = audit.verify()
    assert not bad.ok and bad.first_bad_id == ids[2]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET action = 'test.write' WHERE id = %s", [ids[2]])
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [ids[1]])
    assert audit.verify().first_bad_id == ids[2]


def test_audit_detects_a_deleted_tail(world):
    for _ in range(3):
        audit.record(actor=world.province_admin, action="test.write", obj=world.school_a)
    last = audit.AuditEvent.objects.order_by("-id").first()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [last.pk])
    assert not audit.verify().ok
