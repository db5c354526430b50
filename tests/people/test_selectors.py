"""Who sees which persons: open memberships at orgs in scope; province-wide sees everyone."""

import datetime as dt

import pytest

from edubase.core.errors import NotFound
from edubase.people import selectors, services
from edubase.people.models import Enrolment, Person
from tests.factories import citizen_id, make_org, make_person, make_user

pytestmark = pytest.mark.django_db


def names(queryset):
    return set(queryset.values_list("name", flat=True))


def test_school_admin_sees_only_its_own_school(world):
    assert names(selectors.persons_for(world.school_admin)) == {"李小明", "王老师"}


def test_teacher_sees_own_school(world):
    assert names(selectors.persons_for(world.teacher)) == {"李小明", "王老师"}


def test_city_admin_never_sees_another_city(world):
    seen = names(selectors.persons_for(world.city_admin))
    assert seen == {"李小明", "王老师", "钱小刚"}
    assert "赵小红" not in seen


def test_county_admin_sees_its_county_only(world):
    assert names(selectors.persons_for(world.county_admin)) == {"李小明", "王老师"}


def test_outsider_and_student_see_nobody(world):
    assert not selectors.persons_for(world.outsider).exists()
    assert not selectors.persons_for(world.student).exists()


def test_province_admin_sees_everyone_including_unattached(world):
    make_person("孙无籍", citizen_id("410105", "20100101", "007"))
    assert names(selectors.persons_for(world.province_admin)) == {"李小明", "王老师", "赵小红", "钱小刚", "孙无籍"}


def test_an_unattached_person_is_invisible_below_province(world):
    make_person("孙无籍", citizen_id("410105", "20100101", "007"))
    assert "孙无籍" not in names(selectors.persons_for(world.city_admin))


def test_a_closed_enrolment_no_longer_gives_visibility(world):
    Enrolment.objects.filter(person=world.jinshui_student).update(end=dt.date(2025, 1, 31))
    assert "钱小刚" not in names(selectors.persons_for(world.city_admin))


def test_get_person_out_of_scope_is_not_found(world):
    with pytest.raises(NotFound):
        selectors.get_person(world.school_admin, pk=world.luoyang_student.pk)
    with pytest.raises(NotFound):
        selectors.get_person(world.school_admin, pk="not-a-uuid")
    assert selectors.get_person(world.school_admin, pk=world.student_person.pk) == world.student_person


def test_exact_id_search_uses_the_blind_index(world):
    number = citizen_id("410102", "20150307", "001")
    found = selectors.search_persons(world.school_admin, id_number=f" {number.lower()} ")
    assert list(found) == [world.student_person]
    assert list(selectors.search_persons(world.school_admin, id_number="G" + number)) == [world.student_person]


def test_exact_id_search_never_crosses_scope(world):
    number = citizen_id("410302", "20140101", "003")
    assert not selectors.search_persons(world.school_admin, id_number=number).exists()
    assert list(selectors.search_persons(world.province_admin, id_number=number)) == [world.luoyang_student]


def test_a_partial_id_finds_nothing(world):
    assert not selectors.search_persons(world.province_admin, id_number="410102").exists()


def test_name_search_matches_the_start_of_the_name_in_scope(world):
    assert names(selectors.search_persons(world.city_admin, name="李")) == {"李小明"}
    assert names(selectors.search_persons(world.city_admin, name=" 钱小刚 ")) == {"钱小刚"}
    assert not selectors.search_persons(world.city_admin, name="小明").exists()  # prefix, not substring
    assert not selectors.search_persons(world.city_admin, name="赵").exists()  # 洛阳, out of scope


def test_memberships_of_a_visible_person_include_history(world):
    enrolments, employments = selectors.memberships_of(world.school_admin, world.student_person)
    assert [e.school for e in enrolments] == [world.school_a] and employments == []
    with pytest.raises(NotFound):
        selectors.memberships_of(world.school_admin, world.luoyang_student)


def test_count_members_follows_scope(world):
    assert selectors.count_members(world.province_admin) == {"students": 3, "staff": 1}
    assert selectors.count_members(world.city_admin) == {"students": 2, "staff": 1}
    assert selectors.count_members(world.school_admin) == {"students": 1, "staff": 1}
    assert selectors.count_members(world.city_admin, org=world.jinshui) == {"students": 1, "staff": 0}
    assert selectors.count_members(world.city_admin, org=world.luoyang) == {"students": 0, "staff": 0}
    assert selectors.count_members(world.outsider) == {"students": 0, "staff": 0}


def test_a_superuser_sees_everyone(world):
    root = make_user("root", superuser=True)
    assert selectors.persons_for(root).count() == Person.objects.count()
    assert selectors.count_members(root) == {"students": 3, "staff": 1}


def test_a_merged_person_is_found_by_its_old_identifier(world):
    dup = services.register_person(
        actor=world.province_admin, name="李小明", id_kind="L", id_number="L41010220150000AB1", gender="1"
    )
    services.merge_persons(actor=world.province_admin, keep=world.student_person, duplicate=dup)
    found = selectors.search_persons(world.school_admin, id_number="L41010220150000AB1")
    assert list(found) == [world.student_person]
    assert names(selectors.search_persons(world.province_admin, name="李小明")) == {"李小明"}
    assert selectors.search_persons(world.province_admin, name="李小明").count() == 1


@pytest.mark.parametrize("persona", ["city_admin", "school_admin"])
def test_scope_query_is_one_statement(world, persona, django_assert_max_num_queries):
    actor = getattr(world, persona)
    actor.grants()
    with django_assert_max_num_queries(3):  # the top nodes, the scope's size, then the persons
        list(selectors.persons_for(actor))


def test_a_broad_and_a_narrow_scope_see_the_same_persons(world, monkeypatch):
    narrow = set(selectors.persons_for(world.city_admin))
    monkeypatch.setattr(selectors, "NARROW_SCOPE_ORGS", 0)
    assert set(selectors.persons_for(world.city_admin)) == narrow


def test_with_two_provinces_each_admin_sees_only_its_own_and_its_unattached(world):
    hubei = make_org(None, kind="province", name="湖北省", code="420000", region="420000")
    wuhan_school = make_org(
        hubei, kind="school", name="武汉市第一小学", code="2142000001", region="420102", category="21"
    )
    hubei_student = make_person("周湖北", citizen_id("420102", "20150101", "009"))
    Enrolment.objects.create(person=hubei_student, school=wuhan_school, start=dt.date(2024, 9, 1))
    unattached = make_person("孙无籍", citizen_id("410105", "20100101", "007"))
    seen = set(selectors.persons_for(world.province_admin))
    assert unattached in seen and world.luoyang_student in seen
    assert hubei_student not in seen


def test_a_writer_may_name_an_unattached_person_but_not_another_schools(world):
    unattached = make_person("孙无籍", citizen_id("410105", "20100101", "007"))
    assert selectors.find_person_for_write(world.school_admin, pk=unattached.pk) == unattached
    assert selectors.find_person_for_write(world.school_admin, pk=world.student_person.pk) == world.student_person
    with pytest.raises(NotFound):
        selectors.find_person_for_write(world.school_admin, pk=world.luoyang_student.pk)


def test_a_receiving_school_may_name_any_student_for_a_transfer(world):
    found = selectors.find_person_for_write(world.school_admin, pk=world.luoyang_student.pk, transfer=True)
    assert found == world.luoyang_student


def test_readers_cannot_name_persons_for_writes(world):
    for persona in ("teacher", "student", "outsider"):
        with pytest.raises(NotFound):
            selectors.find_person_for_write(getattr(world, persona), pk=world.student_person.pk, transfer=True)
