"""Writes to persons and memberships: validation, scope, audit (masked), history."""

import datetime as dt
import json

import pytest

from edubase.core.errors import PermissionDenied, ValidationFailed
from edubase.core.models import AuditEvent
from edubase.people import selectors, services
from edubase.people.models import Employment, Enrolment, IdKind, Person, PersonEvent
from tests.factories import citizen_id, make_org, make_user

pytestmark = pytest.mark.django_db

NEW_ID = citizen_id("410102", "20160509", "013")  # a boy born 2016-05-09
TEMP_ID = "L41010220160000AB1"


def audit_text(action):
    return json.dumps(
        [[e.before, e.after, e.object_repr] for e in AuditEvent.objects.filter(action=action)], ensure_ascii=False
    )


def register(world, actor=None, **overrides):
    fields = {"name": "周新生", "id_kind": "G", "id_number": NEW_ID, "phone": "13712345678"}
    fields.update(overrides)
    return services.register_person(actor=actor or world.school_admin, **fields)


# --- registration -------------------------------------------------------------------------


def test_registering_derives_gender_and_birth_date_and_masks(world):
    person = register(world)
    assert person.gender == "1" and person.birth_date == dt.date(2016, 5, 9)
    assert person.id_number_masked == NEW_ID[:6] + "********" + NEW_ID[-4:]
    assert person.phone_masked == "137****5678"
    assert PersonEvent.objects.filter(person=person, kind="created").exists()


def test_registration_is_audited_without_the_identifier(world):
    register(world)
    text = audit_text("people.person.create")
    assert NEW_ID[:6] + "********" in text
    assert NEW_ID not in text and "13712345678" not in text and "2016-05-09" not in text


def test_a_registered_identifier_is_refused_with_its_masked_form(world):
    register(world)
    with pytest.raises(services.DuplicatePerson) as caught:
        register(world, name="周某", id_number=NEW_ID.lower())
    assert NEW_ID[:6] + "********" + NEW_ID[-4:] in caught.value.message
    assert Person.objects.filter(name="周某").count() == 0


def test_a_bad_checksum_is_refused_in_chinese(world):
    wrong = NEW_ID[:17] + ("0" if NEW_ID[17] != "0" else "1")
    with pytest.raises(ValidationFailed) as caught:
        register(world, id_number=wrong)
    assert "校验码" in caught.value.message


def test_a_gender_contradicting_the_citizen_id_is_refused(world):
    with pytest.raises(ValidationFailed, match="性别"):
        register(world, gender="2")


def test_an_invalid_phone_is_refused(world):
    with pytest.raises(ValidationFailed, match="手机号码"):
        register(world, phone="12345")


def test_registration_needs_people_change(world):
    for actor in (world.teacher, world.student, world.outsider):
        with pytest.raises(PermissionDenied):
            register(world, actor=actor)


def test_registration_for_an_org_out_of_scope_is_refused(world):
    with pytest.raises(PermissionDenied):
        register(world, org=world.school_c)


# --- enrolment, employment --------------------------------------------------------------


def test_enrol_a_new_person_at_own_school(world):
    person = register(world)
    enrolment = services.enrol(
        actor=world.school_admin,
        person=person,
        school=world.school_a,
        grade="一年级",
        class_name="1班",
        start=dt.date(2025, 9, 1),
    )
    assert enrolment.end is None
    assert person in selectors.persons_for(world.school_admin)
    assert AuditEvent.objects.filter(action="people.enrolment.create", org_path=world.school_a.path).exists()


def test_enrolling_at_another_school_is_refused(world):
    person = register(world)
    with pytest.raises(PermissionDenied):
        services.enrol(actor=world.school_admin, person=person, school=world.school_b, start=dt.date(2025, 9, 1))


def test_a_student_has_at_most_one_open_enrolment(world):
    with pytest.raises(services.MembershipConflict, match="转学"):
        services.enrol(
            actor=world.province_admin, person=world.student_person, school=world.school_b, start=dt.date(2025, 9, 1)
        )


def test_a_member_of_another_school_cannot_be_attached_by_a_school_admin(world):
    school_b_admin = make_user("school_b_admin", role="school_admin", org=world.school_b)
    with pytest.raises(PermissionDenied, match="离职"):
        services.employ(
            actor=school_b_admin, person=world.teacher_person, org=world.school_b, start=dt.date(2025, 9, 1)
        )


def test_county_admin_may_add_a_second_employment_in_its_county(world):
    school_d = make_org(
        world.zhongyuan, kind="school", name="郑州市中原区第二小学", code="2141000009", region="410102", category="21"
    )
    employment = services.employ(
        actor=world.county_admin, person=world.teacher_person, org=school_d, post="交流教师", start=dt.date(2025, 9, 1)
    )
    assert employment.org == school_d
    assert Employment.objects.filter(person=world.teacher_person, end__isnull=True).count() == 2


def test_end_membership_closes_it_and_hides_the_person(world):
    enrolment = Enrolment.objects.get(person=world.student_person)
    services.end_membership(actor=world.school_admin, membership=enrolment, end=dt.date(2025, 7, 1))
    assert Enrolment.objects.get(pk=enrolment.pk).end == dt.date(2025, 7, 1)
    assert world.student_person not in selectors.persons_for(world.school_admin)
    with pytest.raises(services.MembershipConflict):
        services.end_membership(actor=world.school_admin, membership=enrolment, end=dt.date(2025, 7, 2))


def test_end_membership_needs_scope_on_its_org(world):
    enrolment = Enrolment.objects.get(person=world.luoyang_student)
    with pytest.raises(PermissionDenied):
        services.end_membership(actor=world.city_admin, membership=enrolment, end=dt.date(2025, 7, 1))


# --- transfer ---------------------------------------------------------------------------------


def test_a_receiving_school_alone_cannot_pull_another_schools_student(world):
    school_c_admin = make_user("school_c_admin", role="school_admin", org=world.school_c)
    with pytest.raises(PermissionDenied, match="同时管辖"):
        services.transfer_student(
            actor=school_c_admin, person=world.student_person, to_school=world.school_c, start=dt.date(2025, 3, 1)
        )
    assert Enrolment.objects.get(person=world.student_person, end__isnull=True).school == world.school_a


def test_transfer_is_done_by_an_administrator_over_both_schools(world):
    school_c_admin = make_user("school_c_admin", role="school_admin", org=world.school_c)
    new = services.transfer_student(
        actor=world.province_admin, person=world.student_person, to_school=world.school_c, start=dt.date(2025, 3, 1)
    )
    old = Enrolment.objects.get(person=world.student_person, school=world.school_a)
    assert old.end == dt.date(2025, 2, 28)
    assert (new.school, new.grade, new.class_name, new.end) == (world.school_c, "三年级", "2班", None)
    assert world.student_person in selectors.persons_for(school_c_admin)
    assert world.student_person not in selectors.persons_for(world.school_admin)
    out = AuditEvent.objects.get(action="people.enrolment.transfer_out")
    into = AuditEvent.objects.get(action="people.enrolment.transfer_in")
    assert out.org_path == world.school_a.path and into.org_path == world.school_c.path
    assert into.before["from_school"] == world.school_a.code


def test_transfer_needs_scope_on_the_destination(world):
    with pytest.raises(PermissionDenied):
        services.transfer_student(
            actor=world.school_admin, person=world.luoyang_student, to_school=world.school_b, start=dt.date(2025, 3, 1)
        )
    assert Enrolment.objects.get(person=world.luoyang_student).end is None


def test_transfer_without_open_enrolment_is_refused(world):
    with pytest.raises(services.MembershipConflict, match="入学"):
        services.transfer_student(
            actor=world.province_admin, person=world.teacher_person, to_school=world.school_b, start=dt.date(2025, 3, 1)
        )


def test_transfer_must_start_after_the_current_enrolment(world):
    with pytest.raises(ValidationFailed):
        services.transfer_student(
            actor=world.province_admin, person=world.student_person, to_school=world.school_b, start=dt.date(2024, 9, 1)
        )


# --- promotion L → G ----------------------------------------------------------------------------


def temporary_student(world):
    person = register(world, name="吴临时", id_kind="L", id_number=TEMP_ID, gender="9", phone=None)
    services.enrol(actor=world.school_admin, person=person, school=world.school_a, start=dt.date(2025, 9, 1))
    return person


def test_promotion_keeps_the_person_and_records_the_old_number(world):
    person = temporary_student(world)
    promoted = services.promote_temporary_id(actor=world.school_admin, person=person, id_number=NEW_ID)
    assert promoted.pk == person.pk
    fresh = Person.objects.get(pk=person.pk)
    assert (fresh.id_kind, fresh.id_number, fresh.gender) == (IdKind.CITIZEN, NEW_ID, "1")
    assert list(selectors.search_persons(world.school_admin, id_number=NEW_ID)) == [fresh]
    event = PersonEvent.objects.get(person=person, kind="promoted")
    assert event.detail["from"] == "L41010********0AB1" and event.detail["to"].startswith("410102****")
    assert [e.kind for e in PersonEvent.objects.filter(person=person).order_by("at", "pk")] == ["created", "promoted"]
    assert TEMP_ID not in audit_text("people.person.promote") and NEW_ID not in audit_text("people.person.promote")


def test_promotion_refuses_a_registered_citizen_id(world):
    person = temporary_student(world)
    taken = citizen_id("410102", "20150307", "001")
    with pytest.raises(services.DuplicatePerson, match="合并"):
        services.promote_temporary_id(actor=world.school_admin, person=person, id_number=taken)


def test_promotion_refuses_an_invalid_citizen_id(world):
    person = temporary_student(world)
    with pytest.raises(ValidationFailed):
        services.promote_temporary_id(actor=world.school_admin, person=person, id_number=NEW_ID[:17] + "Y")


def test_promotion_of_another_schools_person_is_refused(world):
    person = temporary_student(world)
    school_b_admin = make_user("school_b_admin", role="school_admin", org=world.school_b)
    with pytest.raises(PermissionDenied):
        services.promote_temporary_id(actor=school_b_admin, person=person, id_number=NEW_ID)


def test_only_temporary_numbers_are_promoted(world):
    with pytest.raises(services.MembershipConflict):
        services.promote_temporary_id(actor=world.school_admin, person=world.student_person, id_number=NEW_ID)


# --- merge -----------------------------------------------------------------------------------------


def test_merge_moves_memberships_and_users_and_keeps_history(world):
    duplicate = register(world, actor=world.county_admin, name="李小明", id_kind="L", id_number=TEMP_ID, phone=None)
    old = Enrolment.objects.get(person=world.student_person)
    services.end_membership(actor=world.school_admin, membership=old, end=dt.date(2025, 1, 31))
    services.enrol(actor=world.county_admin, person=duplicate, school=world.school_a, start=dt.date(2025, 2, 1))
    user = make_user("li_dup", person=duplicate)
    kept = services.merge_persons(actor=world.county_admin, keep=world.student_person, duplicate=duplicate)
    assert kept == world.student_person
    assert Enrolment.objects.filter(person=kept).count() == 2
    assert not Enrolment.objects.filter(person=duplicate).exists()
    user.refresh_from_db()
    assert user.person_id == kept.pk
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == kept.pk
    assert PersonEvent.objects.get(person=kept, kind="merged").detail["duplicate"] == str(duplicate.pk)
    assert PersonEvent.objects.get(person=duplicate, kind="merged_into").detail["into"] == str(kept.pk)
    assert list(PersonEvent.objects.filter(person=duplicate).values_list("kind", flat=True)) == [
        "created",
        "merged_into",
    ]
    assert TEMP_ID not in audit_text("people.person.merge")


def test_merge_refuses_two_different_citizen_ids(world):
    with pytest.raises(services.MergeRefused, match="不是同一人"):
        services.merge_persons(actor=world.province_admin, keep=world.student_person, duplicate=world.jinshui_student)


def test_merge_refuses_two_open_enrolments(world):
    duplicate = register(world, actor=world.province_admin, name="李小明", id_kind="L", id_number=TEMP_ID, phone=None)
    services.enrol(actor=world.province_admin, person=duplicate, school=world.school_b, start=dt.date(2025, 2, 1))
    with pytest.raises(services.MergeRefused, match="在读学籍"):
        services.merge_persons(actor=world.province_admin, keep=world.student_person, duplicate=duplicate)


def test_merge_keeps_the_citizen_id_holder(world):
    duplicate = register(world, actor=world.province_admin, name="李小明", id_kind="L", id_number=TEMP_ID, phone=None)
    with pytest.raises(services.MergeRefused, match="保留对象"):
        services.merge_persons(actor=world.province_admin, keep=duplicate, duplicate=world.student_person)


def test_merge_needs_scope_on_both_persons(world):
    duplicate = register(world, actor=world.province_admin, name="赵小红", id_kind="L", id_number=TEMP_ID, phone=None)
    services.enrol(actor=world.province_admin, person=duplicate, school=world.school_a, start=dt.date(2025, 2, 1))
    with pytest.raises(PermissionDenied):
        services.merge_persons(actor=world.school_admin, keep=world.luoyang_student, duplicate=duplicate)


# --- reveal ---------------------------------------------------------------------------------------


def test_data_officer_may_reveal_and_it_is_audited_without_the_value(world, data_officer):
    number = citizen_id("410102", "20150307", "001")
    assert services.reveal_identifier(actor=data_officer, person=world.student_person, field="id_number") == number
    assert services.reveal_identifier(actor=data_officer, person=world.student_person, field="phone") == "13812341234"
    events = AuditEvent.objects.filter(action="people.person.reveal").order_by("id")
    assert [(e.actor_id, e.object_id, e.after) for e in events] == [
        (data_officer.pk, str(world.student_person.pk), {"field": "id_number"}),
        (data_officer.pk, str(world.student_person.pk), {"field": "phone"}),
    ]
    assert number not in audit_text("people.person.reveal") and "13812341234" not in audit_text("people.person.reveal")


def test_province_admin_may_reveal_anyone(world):
    value = services.reveal_identifier(actor=world.province_admin, person=world.luoyang_student, field="id_number")
    assert value == citizen_id("410302", "20140101", "003")


def test_data_officer_of_one_city_may_not_reveal_another_citys_person(world, data_officer):
    with pytest.raises(PermissionDenied):
        services.reveal_identifier(actor=data_officer, person=world.luoyang_student, field="id_number")


@pytest.mark.parametrize("persona", ["school_admin", "teacher", "city_admin", "county_admin", "student", "outsider"])
def test_other_personas_may_not_reveal(world, persona):
    with pytest.raises(PermissionDenied):
        services.reveal_identifier(actor=getattr(world, persona), person=world.student_person, field="id_number")
    assert not AuditEvent.objects.filter(action="people.person.reveal").exists()


def test_reveal_of_an_unknown_field_is_refused(world):
    with pytest.raises(ValidationFailed):
        services.reveal_identifier(actor=world.province_admin, person=world.student_person, field="name")


def test_an_overlong_class_name_is_refused_in_chinese(world):
    person = register(world)
    with pytest.raises(ValidationFailed, match="班级"):
        services.enrol(
            actor=world.school_admin,
            person=person,
            school=world.school_a,
            class_name="班" * 51,
            start=dt.date(2025, 9, 1),
        )
