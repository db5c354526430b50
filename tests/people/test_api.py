"""The people API with the personas: masked output, scope, reveal, writes and import."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from edubase.core.models import AuditEvent
from edubase.people.models import Enrolment, Person
from tests.factories import citizen_id, make_user

pytestmark = pytest.mark.django_db

API = "/api/v1/people"
STUDENT_ID = citizen_id("410102", "20150307", "001")
NEW_ID = citizen_id("410102", "20160509", "013")


def client_for(user=None):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def post(client, path, payload):
    return client.post(API + path, json.dumps(payload), content_type="application/json")


def no_plain_identifiers(response):
    body = response.content.decode()
    for value in (STUDENT_ID, NEW_ID, "13812341234", "13912345678", "2015-03-07"):
        assert value not in body


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ""),
        ("get", "/00000000-0000-0000-0000-000000000001"),
        ("post", ""),
        ("post", "/import"),
        ("post", "/00000000-0000-0000-0000-000000000001/enrolments"),
        ("post", "/00000000-0000-0000-0000-000000000001/employments"),
        ("post", "/00000000-0000-0000-0000-000000000001/transfer"),
        ("post", "/00000000-0000-0000-0000-000000000001/reveal"),
    ],
)
def test_anonymous_callers_get_401_on_every_route(world, method, path):
    assert getattr(Client(), method)(API + path, content_type="application/json").status_code == 401


def test_the_list_is_masked_and_scoped(world):
    response = client_for(world.school_admin).get(API)
    assert response.status_code == 200
    items = response.json()["items"]
    assert {p["name"] for p in items} == {"李小明", "王老师"}
    student = next(p for p in items if p["name"] == "李小明")
    assert student["id_number_masked"] == STUDENT_ID[:6] + "********" + STUDENT_ID[-4:]
    assert student["phone_masked"] == "138****1234" and "birth_date" not in student
    no_plain_identifiers(response)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("province_admin", {"李小明", "王老师", "赵小红", "钱小刚"}),
        ("city_admin", {"李小明", "王老师", "钱小刚"}),
        ("county_admin", {"李小明", "王老师"}),
        ("school_admin", {"李小明", "王老师"}),
        ("teacher", {"李小明", "王老师"}),
        ("student", set()),
        ("outsider", set()),
    ],
)
def test_each_persona_lists_exactly_its_scope(world, persona, expected):
    items = client_for(getattr(world, persona)).get(API).json()["items"]
    assert {p["name"] for p in items} == expected


def test_search_by_exact_identifier_and_by_name(world):
    client = client_for(world.city_admin)
    assert [p["name"] for p in client.get(API, {"id_number": STUDENT_ID}).json()["items"]] == ["李小明"]
    assert [p["name"] for p in client.get(API, {"name": "钱"}).json()["items"]] == ["钱小刚"]
    assert client.get(API, {"id_number": citizen_id("410302", "20140101", "003")}).json()["items"] == []


def test_cursor_pagination_walks_every_page(world):
    client = client_for(world.province_admin)
    first = client.get(API, {"limit": 3}).json()
    second = client.get(API, {"limit": 3, "cursor": first["next"]}).json()
    assert len(first["items"]) == 3 and len(second["items"]) == 1 and second["next"] is None


def test_detail_is_masked_with_memberships_and_history(world):
    response = client_for(world.school_admin).get(f"{API}/{world.student_person.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["enrolments"][0]["school"]["code"] == "2141000001" and body["employments"] == []
    no_plain_identifiers(response)


def test_detail_of_another_schools_person_is_404(world):
    assert client_for(world.school_admin).get(f"{API}/{world.luoyang_student.pk}").status_code == 404
    assert client_for(world.city_admin).get(f"{API}/{world.luoyang_student.pk}").status_code == 404
    assert client_for(world.outsider).get(f"{API}/{world.student_person.pk}").status_code == 404


def test_register_then_enrol_a_new_student(world):
    client = client_for(world.school_admin)
    payload = {
        "name": "周新生",
        "id_kind": "G",
        "id_number": NEW_ID,
        "phone": "13712345678",
        "org_id": world.school_a.pk,
    }
    response = post(client, "", payload)
    assert response.status_code == 201, response.content
    no_plain_identifiers(response)
    person_id = response.json()["id"]
    response = post(
        client, f"/{person_id}/enrolments", {"school_id": world.school_a.pk, "grade": "一年级", "start": "2025-09-01"}
    )
    assert response.status_code == 201, response.content
    assert client.get(f"{API}/{person_id}").status_code == 200


def test_a_duplicate_registration_is_409_with_the_masked_number(world):
    response = post(client_for(world.school_admin), "", {"name": "某某", "id_kind": "G", "id_number": STUDENT_ID})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "duplicate_person" and STUDENT_ID[:6] + "********" in error["message"]
    no_plain_identifiers(response)


def test_a_bad_identifier_is_422_in_chinese(world):
    response = post(
        client_for(world.school_admin), "", {"name": "某某", "id_kind": "G", "id_number": "410102201605090000"}
    )
    assert response.status_code == 422 and "校验码" in response.json()["error"]["message"]


def test_teacher_cannot_register_or_enrol(world):
    client = client_for(world.teacher)
    assert post(client, "", {"name": "周新生", "id_kind": "G", "id_number": NEW_ID}).status_code == 403
    response = post(
        client, f"/{world.student_person.pk}/employments", {"org_id": world.school_a.pk, "start": "2025-09-01"}
    )
    assert response.status_code == 404
    assert not Person.objects.filter(name="周新生").exists()


def test_another_schools_person_cannot_be_named_for_enrolment_or_employment(world):
    client = client_for(world.school_admin)
    response = post(
        client, f"/{world.luoyang_student.pk}/enrolments", {"school_id": world.school_a.pk, "start": "2025-09-01"}
    )
    assert response.status_code == 404
    response = post(
        client, f"/{world.jinshui_student.pk}/employments", {"org_id": world.school_a.pk, "start": "2025-09-01"}
    )
    assert response.status_code == 404
    assert not Enrolment.objects.filter(school=world.school_a, person=world.luoyang_student).exists()


def test_enrolling_into_another_school_is_404_for_the_school(world):
    client = client_for(world.school_admin)
    person_id = post(client, "", {"name": "周新生", "id_kind": "G", "id_number": NEW_ID}).json()["id"]
    response = post(client, f"/{person_id}/enrolments", {"school_id": world.school_b.pk, "start": "2025-09-01"})
    assert response.status_code == 404


def test_transfer_by_a_city_admin_over_both_schools(world):
    school_b_admin = make_user("school_b_admin", role="school_admin", org=world.school_b)
    refused = post(
        client_for(school_b_admin),
        f"/{world.student_person.pk}/transfer",
        {"to_school_id": world.school_b.pk, "start": "2025-03-01"},
    )
    assert refused.status_code == 403
    response = post(
        client_for(world.city_admin),
        f"/{world.student_person.pk}/transfer",
        {"to_school_id": world.school_b.pk, "start": "2025-03-01"},
    )
    assert response.status_code == 201, response.content
    client = client_for(school_b_admin)
    assert Enrolment.objects.get(person=world.student_person, end__isnull=True).school == world.school_b
    assert client.get(f"{API}/{world.student_person.pk}").status_code == 200
    assert client_for(world.school_admin).get(f"{API}/{world.student_person.pk}").status_code == 404


def test_transfer_into_a_school_out_of_scope_is_refused(world):
    client = client_for(world.school_admin)
    response = post(
        client, f"/{world.luoyang_student.pk}/transfer", {"to_school_id": world.school_b.pk, "start": "2025-03-01"}
    )
    assert response.status_code == 404
    assert Enrolment.objects.get(person=world.luoyang_student).end is None


def test_data_officer_reveals_and_the_reveal_is_audited(world, data_officer):
    response = post(client_for(data_officer), f"/{world.student_person.pk}/reveal", {"field": "id_number"})
    assert response.status_code == 200 and response.json() == {"field": "id_number", "value": STUDENT_ID}
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action="people.person.reveal")
    assert event.actor_id == data_officer.pk and event.after == {"field": "id_number"}
    assert STUDENT_ID not in json.dumps([event.before, event.after, event.object_repr])


def test_province_admin_reveals_a_phone(world):
    response = post(client_for(world.province_admin), f"/{world.student_person.pk}/reveal", {"field": "phone"})
    assert response.json()["value"] == "13812341234"


@pytest.mark.parametrize(
    ("persona", "status"), [("school_admin", 403), ("teacher", 403), ("city_admin", 403), ("outsider", 404)]
)
def test_other_personas_cannot_reveal(world, persona, status):
    response = post(client_for(getattr(world, persona)), f"/{world.student_person.pk}/reveal", {"field": "id_number"})
    assert response.status_code == status
    no_plain_identifiers(response)
    assert not AuditEvent.objects.filter(action="people.person.reveal").exists()


def test_a_token_without_reveal_cannot_reveal(world):
    import secrets

    from edubase.accounts.models import ApiToken
    from edubase.accounts.tokens import token_digest

    prefix = secrets.token_hex(4)
    value = f"eb_{prefix}_{secrets.token_hex(32)}"
    ApiToken.objects.create(
        user=world.province_admin, name="只读", prefix=prefix, digest=token_digest(value), permissions=["people.view"]
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {value}")
    assert client.get(API).status_code == 200
    response = post(client, f"/{world.student_person.pk}/reveal", {"field": "id_number"})
    assert response.status_code == 403


def test_import_through_the_api(world):
    rows = f"姓名,证件类型,证件号码,学校标识码,身份,入学/入职日期\n周新生,G,{NEW_ID},2141000001,学生,2025-09-01\n"
    upload = SimpleUploadedFile("people.csv", rows.encode(), content_type="text/csv")
    response = client_for(world.school_admin).post(f"{API}/import", {"file": upload})
    assert response.status_code == 200, response.content
    assert response.json()["persons_created"] == 1 and "新建人员 1 人" in response.json()["summary"]


def test_a_rejected_import_is_422_with_every_problem(world):
    rows = "姓名,证件类型,证件号码\n周新生,G,410102201605090000\n"
    upload = SimpleUploadedFile("people.csv", rows.encode(), content_type="text/csv")
    response = client_for(world.province_admin).post(f"{API}/import", {"file": upload})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "import_rejected" and error["details"][0]["row"] == 2
    assert not Person.objects.filter(name="周新生").exists()


def test_import_by_a_teacher_is_403(world):
    upload = SimpleUploadedFile("people.csv", b"x", content_type="text/csv")
    assert client_for(world.teacher).post(f"{API}/import", {"file": upload}).status_code == 403
