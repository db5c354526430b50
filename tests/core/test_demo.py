"""The demo province (`edubase demo`): a synthetic Henan that is complete, well-formed and idempotent.

One small province (60 schools) is built per module inside a transaction that is rolled
back at the end; each test runs in its own savepoint on top of it.
"""

from __future__ import annotations

import io
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import QuerySet

from edubase.accounts.models import RoleAssignment, User
from edubase.accounts.permissions import BUILTIN_ROLES
from edubase.core.models import AuditEvent
from edubase.demo import DemoReport, build_demo, plan
from edubase.demo.names import chinese_number, person_name
from edubase.orgs.models import Org, OrgKind, SchoolCode
from edubase.orgs.standards.gb2260 import current_counties, current_prefectures
from edubase.orgs.standards.school_categories import SCHOOL_CATEGORIES, validate_school_code
from edubase.people.models import Employment, Enrolment, Person
from edubase.people.standards.gb11643 import check_citizen_id, check_phone

SCALE = 60


@pytest.fixture(scope="module")
def credentials_file() -> Iterator[Path]:
    path = Path(settings.VAR_DIR) / "demo-credentials.txt"  # a private temporary var/ per test process
    yield path
    path.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker, credentials_file: Path) -> Iterator[DemoReport]:  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock(), transaction.atomic():
        report = build_demo(scale=SCALE)
        yield report
        transaction.set_rollback(True)


def children(org: Org) -> QuerySet[Org]:
    return Org.objects.filter(path__startswith=org.path, depth=org.depth + 1)


def parent(org: Org) -> Org:
    return Org.objects.get(path=org.path[: -Org.steplen])


def tree_problems() -> list[object]:
    return [problem for problems in Org.objects.find_problems() for problem in problems]


pytestmark = pytest.mark.django_db


def test_it_builds_all_18_prefecture_level_units_including_jiyuan(demo: DemoReport) -> None:
    units = Org.objects.filter(kind=OrgKind.PREFECTURE)
    assert units.count() == 18
    assert units.filter(code="419001", name="济源市").exists()
    assert {u.code for u in units} == {p.code for p in current_prefectures("41")}


def test_the_province_has_its_education_department_and_directly_run_units(demo: DemoReport) -> None:
    province = Org.objects.get(code="410000")
    department = Org.objects.get(name="河南省教育厅")
    assert province.kind == OrgKind.PROVINCE and parent(department) == province
    assert children(department).filter(kind=OrgKind.UNIT).count() >= 3
    assert children(department).filter(kind=OrgKind.SCHOOL).exists()  # 委管学校


def test_every_current_county_is_present_with_its_education_bureau(demo: DemoReport) -> None:
    for prefecture in current_prefectures("41"):
        city = Org.objects.get(code=prefecture.code)
        assert children(city).filter(kind=OrgKind.BUREAU, name__endswith="教育局").count() == 1
        for county in current_counties(prefecture.code):
            node = Org.objects.get(code=county.code)
            assert node.kind == OrgKind.COUNTY and parent(node) == city
            assert children(node).filter(kind=OrgKind.BUREAU).count() == 1


def test_every_school_category_is_present(demo: DemoReport) -> None:
    present = set(Org.objects.filter(kind=OrgKind.SCHOOL).values_list("school_category", flat=True))
    assert present == set(SCHOOL_CATEGORIES)
    assert Org.objects.filter(kind=OrgKind.SCHOOL).count() == SCALE


def test_school_codes_are_well_formed_and_registered(demo: DemoReport) -> None:
    schools = list(Org.objects.filter(kind=OrgKind.SCHOOL))
    for school in schools:
        assert validate_school_code(school.code) == [], school.code
        assert school.code[:2] == school.school_category and school.code[2:4] == "41"
    registered = dict(SchoolCode.objects.values_list("code", "org_id"))
    assert registered == {s.code: s.pk for s in schools}


def test_the_tree_is_consistent_for_treebeard(demo: DemoReport) -> None:
    assert tree_problems() == []


def test_school_names_are_unique_under_their_parent(demo: DemoReport) -> None:
    seen: set[tuple[str, str]] = set()
    for path, name in Org.objects.filter(kind=OrgKind.SCHOOL).values_list("path", "name"):
        key = (path[: -Org.steplen], name)
        assert key not in seen, name
        seen.add(key)


def test_every_person_has_a_checksum_valid_citizen_id_from_their_county(demo: DemoReport) -> None:
    persons = list(Person.objects.all())
    assert len(persons) > SCALE * 10
    for person in persons:
        number = str(person.id_number)
        assert check_citizen_id(number) == [], number
        assert person.id_number_masked == number[:6] + "********" + number[-4:]
        assert person.birth_date is not None and number[6:14] == person.birth_date.strftime("%Y%m%d")
        assert int(number[16]) % 2 == (1 if person.gender == "1" else 0)
    for enrolment in Enrolment.objects.select_related("person", "school")[:200]:
        assert str(enrolment.person.id_number)[:6] == enrolment.school.region_code


def test_students_are_of_an_age_that_fits_their_school(demo: DemoReport) -> None:
    ages = {"11": (3, 5), "21": (6, 11), "31": (12, 14), "34": (15, 17)}
    for enrolment in Enrolment.objects.select_related("person", "school"):
        bounds = ages.get(enrolment.school.school_category)
        if bounds and enrolment.person.birth_date:
            age = 2025 - enrolment.person.birth_date.year - (enrolment.person.birth_date.month >= 9)
            assert bounds[0] <= age <= bounds[1], (enrolment.school.name, enrolment.person.birth_date)


def test_phone_numbers_are_valid_mainland_mobiles(demo: DemoReport) -> None:
    phones = [p for p in Person.objects.exclude(phone__isnull=True)]
    assert phones
    for person in phones:
        assert check_phone(str(person.phone)) == []
        assert person.phone_masked == f"{str(person.phone)[:3]}****{str(person.phone)[-4:]}"


def test_students_are_enrolled_and_staff_employed_in_the_demo_orgs(demo: DemoReport) -> None:
    assert Enrolment.objects.filter(school__kind=OrgKind.SCHOOL).count() == Enrolment.objects.count() > 0
    assert Employment.objects.filter(org__kind=OrgKind.SCHOOL).exists()
    assert Employment.objects.filter(org__kind=OrgKind.BUREAU).exists()
    members = Enrolment.objects.count() + Employment.objects.count()
    assert members == Person.objects.count()  # each person holds exactly one membership


def test_every_builtin_role_has_a_user_at_a_sensible_org(demo: DemoReport) -> None:
    held = {a.role.code: a.org for a in RoleAssignment.objects.select_related("role", "org")}
    assert set(held) == {code for code, *_ in BUILTIN_ROLES}
    assert held["province_admin"].code == "410000"
    assert held["city_admin"].name == "郑州市"
    assert held["county_admin"].name == "中原区"
    school = held["school_admin"]
    assert school.kind == OrgKind.SCHOOL and school.region_code.startswith("4101")
    assert held["teacher"] == school and held["student"] == school


def test_teacher_and_student_users_are_linked_to_persons_of_their_school(demo: DemoReport) -> None:
    school = Org.objects.get(code=plan.anchor_school_code())
    teacher = User.objects.get(username="teacher")
    student = User.objects.get(username="student")
    assert Employment.objects.filter(person=teacher.person, org=school).exists()
    assert Enrolment.objects.filter(person=student.person, school=school).exists()


def test_printed_credentials_log_in_and_are_kept_in_a_private_file(demo: DemoReport, credentials_file: Path) -> None:
    # one per built-in role, plus the credentials demo's second officer and graduate
    assert len(demo.credentials) == len(BUILTIN_ROLES) + 2
    for credential in demo.credentials:
        assert User.objects.get(username=credential.username).check_password(credential.password)
    assert stat.S_IMODE(credentials_file.stat().st_mode) == 0o600
    text = credentials_file.read_text(encoding="utf-8")
    assert all(f"{c.username}\t" in text and c.password in text for c in demo.credentials)


def test_the_build_is_recorded_as_one_audit_event_with_counts(demo: DemoReport) -> None:
    events = AuditEvent.objects.filter(action="demo.build")
    assert events.count() == 1
    assert events[0].after["created"]["schools"] == SCALE
    # not one event per row; the security, data governance and certificate pictures go through their services
    # and the workflow engine, which audit each action (a few hundred at most)
    services = AuditEvent.objects.filter(
        action__regex=r"^((secops|workflow|datagov(_sharing|_pool)?|credentials)\.|people\.enrolment\.end)"
    )
    assert AuditEvent.objects.exclude(action="demo.build").exclude(pk__in=services).count() == 0
    assert services.count() < 500


def test_running_it_again_creates_nothing_new(demo: DemoReport, credentials_file: Path) -> None:
    before = (Org.objects.count(), Person.objects.count(), User.objects.count(), AuditEvent.objects.count())
    again = build_demo(scale=SCALE)
    assert not again.created_anything, again.created
    after = (Org.objects.count(), Person.objects.count(), User.objects.count(), AuditEvent.objects.count())
    assert after == before
    assert [c.password for c in again.credentials] == [c.password for c in demo.credentials]


def test_a_larger_scale_only_adds_schools_and_their_people(demo: DemoReport, credentials_file: Path) -> None:
    codes_before = set(Org.objects.values_list("code", flat=True))
    persons_before = Person.objects.count()
    grown = build_demo(scale=SCALE + 20)
    assert grown.created["schools"] == len(set(Org.objects.values_list("code", flat=True)) - codes_before) > 0
    assert grown.created["users"] == 0
    assert Person.objects.count() == persons_before + grown.created["persons"]
    assert tree_problems() == []


def test_the_command_prints_the_logins_in_a_chinese_table(demo: DemoReport, credentials_file: Path) -> None:
    out = io.StringIO()
    call_command("demo", scale=SCALE, no_serve=True, stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert "演示账号" in text and "用户名" in text and "密码" in text
    assert "本次新建：无" in text
    assert all(c.username in text for c in demo.credentials)


def test_the_command_refuses_a_scale_out_of_range(demo: DemoReport) -> None:
    with pytest.raises(CommandError, match="--scale"):
        call_command("demo", scale=0, no_serve=True, stdout=io.StringIO())


def test_generated_names_include_compound_surnames_and_minority_styles() -> None:
    import random

    rng = random.Random(7)
    names = [person_name(rng, female=i % 2 == 0, birth_year=1970 + i % 50) for i in range(20_000)]
    assert all(re.fullmatch(r"[\u4e00-\u9fff·]{2,10}", n) for n in names)
    assert any(n.startswith(("欧阳", "司马", "上官", "诸葛")) for n in names)
    assert any("·" in n for n in names)


def test_chinese_ordinals_read_as_in_school_names() -> None:
    assert [chinese_number(n) for n in (1, 10, 12, 20, 105, 110)] == [
        "一",
        "十",
        "十二",
        "二十",
        "一百零五",
        "一百一十",
    ]


def test_the_plan_is_the_same_for_the_same_scale() -> None:
    first = plan.schools(500, SCHOOL_CATEGORIES)
    assert first == plan.schools(500, SCHOOL_CATEGORIES)
    assert len({s.code for s in first}) == 500
