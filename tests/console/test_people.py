"""Person search (by name, by exact identifier), the masked person page and the audited reveal."""

from __future__ import annotations

import re

import pytest

from edubase.core.models import AuditEvent
from tests.console.conftest import text
from tests.factories import citizen_id, mask_id

pytestmark = pytest.mark.django_db

STUDENT_ID = citizen_id("410102", "20150307", "001")
LUOYANG_ID = citizen_id("410302", "20140101", "003")


def result_names(body: str) -> list[str]:
    if 'id="person-results"' not in body:
        return []
    table = body[body.index('id="person-results"') :]
    return re.findall(r'<a href="/people/[0-9a-f-]+/">([^<]+)</a>', table)


def test_search_by_the_beginning_of_the_name(signed_in, world):
    client = signed_in(world.province_admin)
    assert result_names(text(client.get("/people/", {"name": "李"}))) == ["李小明"]
    assert result_names(text(client.get("/people/", {"name": "钱小刚"}))) == ["钱小刚"]


def test_search_by_exact_citizen_id_finds_the_person_masked(signed_in, world):
    body = text(signed_in(world.province_admin).get("/people/", {"id_number": STUDENT_ID}))
    assert result_names(body) == ["李小明"]
    assert mask_id(STUDENT_ID) in body
    results = body[body.index('id="person-results"') :]
    assert STUDENT_ID not in results


def test_the_identifier_may_be_typed_in_lower_case_or_with_its_kind_letter(signed_in, world):
    client = signed_in(world.province_admin)
    with_x = citizen_id("410105", "19850612", "002")
    assert result_names(text(client.get("/people/", {"id_number": with_x.lower()}))) == ["王老师"]
    assert result_names(text(client.get("/people/", {"id_number": "G" + STUDENT_ID}))) == ["李小明"]


def test_a_partial_identifier_is_refused_with_a_chinese_reason(signed_in, world):
    body = text(signed_in(world.province_admin).get("/people/", {"id_number": STUDENT_ID[:10]}))
    assert "证件号码应为 18 位" in body and result_names(body) == []


def test_a_person_of_another_city_is_not_found_by_identifier(signed_in, world):
    body = text(signed_in(world.city_admin).get("/people/", {"id_number": LUOYANG_ID}))
    assert result_names(body) == [] and "没有找到符合条件的人员" in body


def test_the_school_admin_finds_only_its_own_persons(signed_in, world):
    client = signed_in(world.school_admin)
    assert result_names(text(client.get("/people/", {"name": "李"}))) == ["李小明"]
    assert result_names(text(client.get("/people/", {"name": "钱"}))) == []


def test_the_empty_search_page_invites_a_query(signed_in, world):
    assert "请输入姓名或证件号码开始查询" in text(signed_in(world.teacher).get("/people/"))


def test_the_person_page_is_masked(signed_in, world):
    body = text(signed_in(world.city_admin).get(f"/people/{world.student_person.pk}/"))
    assert mask_id(STUDENT_ID) in body and "138****1234" in body
    assert STUDENT_ID not in body and "13812341234" not in body
    assert "郑州市中原区第一小学" in body and "三年级" in body


def test_no_reveal_button_without_the_reveal_permission(signed_in, world):
    body = text(signed_in(world.city_admin).get(f"/people/{world.student_person.pk}/"))
    assert "显示完整号码" not in body


def test_the_reveal_button_is_shown_to_the_province_admin(signed_in, world):
    body = text(signed_in(world.province_admin).get(f"/people/{world.student_person.pk}/"))
    assert "显示完整号码" in body and f'hx-post="/people/{world.student_person.pk}/reveal/"' in body


def test_the_reveal_returns_the_full_number_and_is_audited(signed_in, world):
    response = signed_in(world.province_admin).post(
        f"/people/{world.student_person.pk}/reveal/", {"field": "id_number"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and STUDENT_ID in text(response)
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="people.person.reveal")
    assert event.actor_id == world.province_admin.pk and event.object_id == str(world.student_person.pk)
    assert STUDENT_ID not in str(event.after)


def test_the_phone_can_be_revealed_too(signed_in, world):
    response = signed_in(world.province_admin).post(f"/people/{world.student_person.pk}/reveal/", {"field": "phone"})
    assert "13812341234" in text(response)


def test_the_reveal_is_refused_without_the_permission(signed_in, world):
    response = signed_in(world.city_admin).post(f"/people/{world.student_person.pk}/reveal/", {"field": "id_number"})
    assert response.status_code == 403 and STUDENT_ID not in text(response)
    assert "没有查看该人员完整证件号码" in text(response)
    assert not AuditEvent.objects.filter(action="people.person.reveal").exists()


def test_the_reveal_needs_post(signed_in, world):
    assert signed_in(world.province_admin).get(f"/people/{world.student_person.pk}/reveal/").status_code == 405


def test_an_unknown_field_is_refused(signed_in, world):
    response = signed_in(world.province_admin).post(f"/people/{world.student_person.pk}/reveal/", {"field": "name"})
    assert response.status_code == 400


def test_a_person_out_of_scope_is_not_found(signed_in, world):
    client = signed_in(world.school_admin)
    assert client.get(f"/people/{world.jinshui_student.pk}/").status_code == 404
    assert client.post(f"/people/{world.jinshui_student.pk}/reveal/", {"field": "id_number"}).status_code == 404


def test_a_student_cannot_search_persons(signed_in, world):
    assert signed_in(world.student).get("/people/", {"name": "李"}).status_code == 403
