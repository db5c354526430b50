"""The audit log page: scoped, filtered, paginated."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from edubase.core import audit
from tests.console.conftest import text

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(world):  # type: ignore[no-untyped-def]
    audit.record(actor=world.province_admin, action="orgs.school.rename", obj=world.school_a, org=world.school_a)
    audit.record(actor=world.province_admin, action="orgs.school.rename", obj=world.school_c, org=world.school_c)
    audit.record(actor=world.city_admin, action="people.person.reveal", obj=world.student_person, org=world.school_a)


def rows(body: str) -> list[tuple[str, str]]:
    if 'id="audit-table"' not in body:
        return []
    table = body[body.index('id="audit-table"') :]
    return re.findall(r'<td>([^<]*)</td>\s*<td><div>[^<]*</div><code class="small">([^<]+)</code></td>', table)


def test_the_province_admin_sees_every_event(signed_in, world, events):
    assert len(rows(text(signed_in(world.province_admin).get("/audit/")))) == 3


def test_the_city_admin_sees_only_its_city(signed_in, world, events):
    found = rows(text(signed_in(world.city_admin).get("/audit/")))
    assert len(found) == 2
    assert "洛阳市老城区第一小学" not in text(signed_in(world.city_admin).get("/audit/"))


def test_it_filters_by_action_and_actor(signed_in, world, events):
    client = signed_in(world.province_admin)
    assert rows(text(client.get("/audit/", {"action": "people.person.reveal"}))) == [
        ("zz_city_admin", "people.person.reveal")
    ]
    assert len(rows(text(client.get("/audit/", {"actor": "province_admin"})))) == 2
    assert len(rows(text(client.get("/audit/", {"action": "orgs.*"})))) == 2


def test_it_filters_by_date_range(signed_in, world, events):
    client = signed_in(world.province_admin)
    today = timezone.localdate()
    assert len(rows(text(client.get("/audit/", {"since": today.isoformat(), "until": today.isoformat()})))) == 3
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    body = text(client.get("/audit/", {"since": tomorrow}))
    assert rows(body) == [] and "没有符合条件的审计记录" in body


def test_a_reversed_date_range_is_explained_in_chinese(signed_in, world, events):
    body = text(signed_in(world.province_admin).get("/audit/", {"since": "2026-02-01", "until": "2026-01-01"}))
    assert "起始日期不能晚于截止日期" in body


def test_the_school_admin_has_no_audit_page(signed_in, world):
    assert signed_in(world.school_admin).get("/audit/").status_code == 403


def test_actions_are_named_in_chinese(signed_in, world, events):
    body = text(signed_in(world.province_admin).get("/audit/", {"action": "people.person.reveal"}))
    assert "查看完整证件号码/手机号码" in body
