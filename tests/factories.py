"""Factories for tests: a small province and the standard personas.

Personas (CONVENTIONS.md §8): province admin, Zhengzhou city admin, a county admin
(中原区), a school admin, a teacher and a student (both of school A in 中原区), and an
outsider with no role. A second city (洛阳) has its own county, school and persons, so
"never sees another city's / school's" can be tested.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from edubase.accounts.models import Role, RoleAssignment, User
from edubase.orgs.models import Org, OrgKind, SchoolCode
from edubase.people.models import Employment, Enrolment, IdKind, Person

PASSWORD = "Edubase-test-2026"


def citizen_id(region: str, birth: str, seq: str) -> str:
    """A checksum-valid 18-char citizen ID (GB 11643, ISO 7064 MOD 11-2)."""
    body = region + birth + seq
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * w for c, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


def mask_id(value: str) -> str:
    return value[:6] + "*" * 8 + value[-4:]


def mask_phone(value: str) -> str:
    return value[:3] + "****" + value[-4:]


def make_org(parent: Org | None, *, kind: str, name: str, code: str, region: str, category: str = "") -> Org:
    fields = {"kind": kind, "name": name, "code": code, "region_code": region, "school_category": category}
    org = Org.objects.add_root(fields) if parent is None else Org.objects.add_child(parent, fields)
    if kind == OrgKind.SCHOOL:
        SchoolCode.objects.create(code=code, org=org, category=category)
    return org


def make_person(name: str, id_number: str, *, phone: str = "", birth: dt.date | None = None) -> Person:
    return Person.objects.create(
        name=name,
        id_kind=IdKind.CITIZEN,
        id_number=id_number,
        id_number_masked=mask_id(id_number),
        phone=phone or None,
        phone_masked=mask_phone(phone) if phone else "",
        birth_date=birth,
    )


def make_user(
    username: str,
    *,
    role: str | None = None,
    org: Org | None = None,
    person: Person | None = None,
    superuser: bool = False,
) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, person=person, is_superuser=superuser)
    if role is not None and org is not None:
        RoleAssignment.objects.create(user=user, role=Role.objects.get(code=role), org=org)
    return user


@dataclass
class World:
    """The small province and its personas."""

    province: Org
    zhengzhou: Org
    zhongyuan: Org
    jinshui: Org
    luoyang: Org
    laocheng: Org
    school_a: Org
    school_b: Org
    school_c: Org
    student_person: Person
    teacher_person: Person
    luoyang_student: Person
    jinshui_student: Person
    province_admin: User
    city_admin: User
    county_admin: User
    school_admin: User
    teacher: User
    student: User
    outsider: User

    def personas(self) -> dict[str, User]:
        return {
            "province_admin": self.province_admin,
            "city_admin": self.city_admin,
            "county_admin": self.county_admin,
            "school_admin": self.school_admin,
            "teacher": self.teacher,
            "student": self.student,
            "outsider": self.outsider,
        }


def build_world() -> World:
    """Create the small province (needs the ``db`` fixture)."""
    province = make_org(None, kind=OrgKind.PROVINCE, name="河南省", code="410000", region="410000")
    zhengzhou = make_org(province, kind=OrgKind.PREFECTURE, name="郑州市", code="410100", region="410100")
    zhongyuan = make_org(zhengzhou, kind=OrgKind.COUNTY, name="中原区", code="410102", region="410102")
    jinshui = make_org(zhengzhou, kind=OrgKind.COUNTY, name="金水区", code="410105", region="410105")
    luoyang = make_org(province, kind=OrgKind.PREFECTURE, name="洛阳市", code="410300", region="410300")
    laocheng = make_org(luoyang, kind=OrgKind.COUNTY, name="老城区", code="410302", region="410302")
    school_a = make_org(
        zhongyuan, kind=OrgKind.SCHOOL, name="郑州市中原区第一小学", code="2141000001", region="410102", category="21"
    )
    school_b = make_org(
        jinshui, kind=OrgKind.SCHOOL, name="郑州市金水区第一初级中学", code="3141000002", region="410105", category="31"
    )
    school_c = make_org(
        laocheng, kind=OrgKind.SCHOOL, name="洛阳市老城区第一小学", code="2141000003", region="410302", category="21"
    )
    start = dt.date(2024, 9, 1)
    student_person = make_person("李小明", citizen_id("410102", "20150307", "001"), phone="13812341234")
    teacher_person = make_person("王老师", citizen_id("410105", "19850612", "002"), phone="13912345678")
    luoyang_student = make_person("赵小红", citizen_id("410302", "20140101", "003"))
    jinshui_student = make_person("钱小刚", citizen_id("410105", "20120505", "005"))
    Enrolment.objects.create(person=student_person, school=school_a, grade="三年级", class_name="2班", start=start)
    Enrolment.objects.create(person=luoyang_student, school=school_c, grade="四年级", class_name="1班", start=start)
    Enrolment.objects.create(person=jinshui_student, school=school_b, grade="七年级", class_name="3班", start=start)
    Employment.objects.create(person=teacher_person, org=school_a, post="语文教师", staff_number="T001", start=start)
    return World(
        province=province,
        zhengzhou=zhengzhou,
        zhongyuan=zhongyuan,
        jinshui=jinshui,
        luoyang=luoyang,
        laocheng=laocheng,
        school_a=school_a,
        school_b=school_b,
        school_c=school_c,
        student_person=student_person,
        teacher_person=teacher_person,
        luoyang_student=luoyang_student,
        jinshui_student=jinshui_student,
        province_admin=make_user("province_admin", role="province_admin", org=province),
        city_admin=make_user("zz_city_admin", role="city_admin", org=zhengzhou),
        county_admin=make_user("zy_county_admin", role="county_admin", org=zhongyuan),
        school_admin=make_user("school_a_admin", role="school_admin", org=school_a),
        teacher=make_user("teacher_wang", role="teacher", org=school_a, person=teacher_person),
        student=make_user("student_li", role="student", org=school_a, person=student_person),
        outsider=make_user("outsider"),
    )
