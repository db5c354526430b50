"""The audit log API (scoped, filterable, newest first) and ``edubase audit verify``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from edubase.accounts.models import User
from edubase.core import audit
from edubase.core.models import AuditEvent
from edubase.core.selectors import audit_events_for

pytestmark = pytest.mark.django_db


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def events(world):  # type: ignore[no-untyped-def]
    """One event per school, one about the city, one without an org."""
    made = {}
    for key in ("school_a", "school_b", "school_c", "zhengzhou"):
        org = getattr(world, key)
        made[key] = audit.record(actor=world.province_admin, action="test.touch", obj=org, org=org)
    made["system"] = audit.record(actor="system", action="system.maintenance")
    return made


@pytest.fixture
def superuser(world):  # type: ignore[no-untyped-def]
    return User.objects.create_superuser(username="root", password="Root-password-2026")


def ids(response) -> set[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return {e["id"] for e in response.json()["items"]}


def test_a_county_admin_sees_events_of_its_county_only(world, events):
    seen = {e.pk for e in audit_events_for(world.county_admin)}
    assert seen == {events["school_a"].pk}


def test_a_city_admin_sees_its_city_but_not_another_city_or_the_system(world, events):
    seen = ids(as_user(world.city_admin).get("/api/v1/audit/events"))
    assert seen == {events["school_a"].pk, events["school_b"].pk, events["zhengzhou"].pk}


def test_a_province_admin_sees_every_org_event_but_not_system_events(world, events):
    seen = ids(as_user(world.province_admin).get("/api/v1/audit/events"))
    assert events["school_c"].pk in seen and events["system"].pk not in seen


def test_a_superuser_sees_system_events_too(world, events, superuser):
    assert events["system"].pk in ids(as_user(superuser).get("/api/v1/audit/events"))


def test_a_school_admin_without_audit_view_sees_nothing(world, events):
    assert ids(as_user(world.school_admin).get("/api/v1/audit/events")) == set()


def test_events_come_newest_first_and_page_by_cursor(world, events):
    client = as_user(world.province_admin)
    first = client.get("/api/v1/audit/events?limit=2").json()
    got = [e["id"] for e in first["items"]]
    assert got == sorted(got, reverse=True) and first["next"]
    second = client.get(f"/api/v1/audit/events?limit=2&cursor={first['next']}").json()
    assert max(e["id"] for e in second["items"]) < min(got)
    assert len(got) + len(second["items"]) == 4 and second["next"] is None


def test_a_bad_cursor_is_a_chinese_422(world, events):
    response = as_user(world.province_admin).get("/api/v1/audit/events?cursor=abc")
    assert response.status_code == 422 and response.json()["error"]["message"] == "分页游标无效"


def test_events_filter_by_action_actor_object_type_and_time(world, events):
    client = as_user(world.province_admin)
    audit.record(actor=world.city_admin, action="people.person.reveal", obj=world.school_b, org=world.school_b)
    assert len(ids(client.get("/api/v1/audit/events?action=people.person.reveal"))) == 1
    assert len(ids(client.get("/api/v1/audit/events?action=people.*"))) == 1
    assert len(ids(client.get("/api/v1/audit/events?actor=zz_city_admin"))) == 1
    assert len(ids(client.get("/api/v1/audit/events?object_type=orgs.org"))) == 5
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    assert ids(client.get("/api/v1/audit/events", {"since": future})) == set()
    assert len(ids(client.get("/api/v1/audit/events", {"until": future}))) == 5
    naive = timezone.localtime().replace(tzinfo=None) - timedelta(hours=1)
    assert len(ids(client.get("/api/v1/audit/events", {"since": naive.isoformat()}))) == 5


def test_verify_through_the_api_is_for_everything_scope_only(world, events, superuser):
    assert as_user(world.province_admin).get("/api/v1/audit/verify").status_code == 403
    body = as_user(superuser).get("/api/v1/audit/verify").json()
    assert body["ok"] is True and body["checked"] == AuditEvent.objects.count()


def test_anonymous_callers_get_401(world):
    assert Client().get("/api/v1/audit/events").status_code == 401
    assert Client().get("/api/v1/audit/verify").status_code == 401


def test_the_verify_command_reports_an_intact_chain(world, events, capsys):
    call_command("audit", "verify")
    out = capsys.readouterr().out
    assert f"已校验 {AuditEvent.objects.count()} 条审计记录" in out and "审计链完整" in out


def test_the_verify_command_detects_a_tampered_row_and_exits_1(world, events, capsys):
    bad = events["school_b"].pk
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET object_repr = %s WHERE id = %s", ["改过的学校名称", bad])
    with pytest.raises(SystemExit) as exc:
        call_command("audit", "verify")
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert f"审计记录 #{bad}" in err and "审计链校验失败" in err


def test_the_verify_command_detects_a_deleted_row(world, events, capsys):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [events["school_a"].pk])
    with pytest.raises(SystemExit) as exc:
        call_command("audit", "verify")
    assert exc.value.code == 1
    assert f"审计记录 #{events['school_b'].pk}" in capsys.readouterr().err
