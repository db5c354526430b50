"""Importing persons with memberships: all-or-nothing, every problem in Chinese with row and column."""

import json

import pytest

from edubase.core.errors import PermissionDenied
from edubase.core.models import AuditEvent
from edubase.core.tabular import ImportRejected, write_xlsx
from edubase.crypto.sm3 import sm3
from edubase.people import imports, selectors
from edubase.people.models import Employment, Enrolment, Person, PersonEvent
from tests.factories import citizen_id

pytestmark = pytest.mark.django_db

HEADER = [
    "姓名",
    "证件类型",
    "证件号码",
    "性别",
    "手机号码",
    "学校标识码",
    "身份",
    "年级",
    "班级",
    "岗位",
    "教职工号",
    "入学/入职日期",
]
NEW_STUDENT = citizen_id("410102", "20170101", "021")
NEW_TEACHER = citizen_id("410105", "19900307", "013")
EXISTING = citizen_id("410102", "20150307", "001")  # 李小明, enrolled at school A in 三年级 2班


def good_rows():
    return [
        ["张小华", "G", NEW_STUDENT, "", "", "2141000001", "学生", "二年级", "1班", "", "", "2024-09-01"],
        [
            "刘老师",
            "居民身份证",
            NEW_TEACHER,
            "男",
            "13612345678",
            "2141000001",
            "教职工",
            "",
            "",
            "数学教师",
            "T002",
            "2024/9/1",
        ],
        ["李小明", "G", EXISTING, "", "", "2141000001", "学生", "三年级", "2班", "", "", "2024-09-01"],
    ]


def csv_bytes(rows, header=HEADER, encoding="utf-8"):
    lines = [",".join(header)] + [",".join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def snapshot():
    return (Person.objects.count(), Enrolment.objects.count(), Employment.objects.count(), AuditEvent.objects.count())


def rejected(actor, data, filename="people.csv"):
    before = snapshot()
    with pytest.raises(ImportRejected) as caught:
        imports.import_people(actor=actor, data=data, filename=filename)
    assert snapshot() == before, "a rejected import must write nothing"
    return caught.value.problems


# --- accepted files ---------------------------------------------------------------------------


def test_a_good_xlsx_creates_persons_and_memberships_and_reuses_the_existing(world):
    data = write_xlsx(HEADER, good_rows())
    report = imports.import_people(actor=world.school_admin, data=data, filename="人员.xlsx")
    assert (report.rows, report.persons_created, report.persons_reused) == (3, 2, 1)
    assert (report.enrolments, report.employments, report.unchanged) == (1, 1, 1)
    assert report.sm3 == sm3(data).hex()
    student = selectors.search_persons(world.school_admin, id_number=NEW_STUDENT).get()
    assert (student.name, student.gender, str(student.birth_date)) == ("张小华", "1", "2017-01-01")
    teacher = selectors.search_persons(world.school_admin, id_number=NEW_TEACHER).get()
    assert teacher.phone == "13612345678" and teacher.phone_masked == "136****5678"
    assert Employment.objects.get(person=teacher).post == "数学教师"
    assert Person.objects.filter(name="李小明").count() == 1
    assert PersonEvent.objects.filter(kind="created", person__in=[student, teacher]).count() == 2


def test_an_import_is_one_audit_event_with_counts_and_digest_and_no_identifiers(world):
    data = csv_bytes(good_rows())
    imports.import_people(actor=world.school_admin, data=data, filename="people.csv")
    event = AuditEvent.objects.get(action="people.import")
    assert event.after["sm3"] == sm3(data).hex() and event.after["persons_created"] == 2
    assert event.org_path == world.school_a.path
    text = json.dumps([e.after for e in AuditEvent.objects.all()], ensure_ascii=False)
    assert NEW_STUDENT not in text and NEW_TEACHER not in text and "13612345678" not in text


def test_importing_the_same_file_twice_changes_nothing_the_second_time(world):
    data = csv_bytes(good_rows())
    imports.import_people(actor=world.school_admin, data=data, filename="people.csv")
    again = imports.import_people(actor=world.school_admin, data=data, filename="people.csv")
    assert (again.persons_created, again.persons_reused, again.unchanged) == (0, 3, 3)
    assert (again.enrolments, again.employments) == (0, 0)


def test_a_gbk_csv_is_read(world):
    report = imports.import_people(
        actor=world.school_admin, data=csv_bytes(good_rows(), encoding="gbk"), filename="a.csv"
    )
    assert report.encoding == "gb18030" and report.persons_created == 2


def test_province_admin_may_import_persons_without_a_school(world):
    header = ["姓名", "证件类型", "证件号码"]
    report = imports.import_people(
        actor=world.province_admin, data=csv_bytes([["孙无籍", "L", "L41010520150000AB1"]], header), filename="a.csv"
    )
    assert report.persons_created == 1 and report.enrolments == 0


def test_a_large_file_is_written_in_bulk(world, django_assert_max_num_queries):
    rows = [
        [
            f"学生{i}",
            "G",
            citizen_id("410102", "20160101", f"{i:03d}"),
            "",
            "",
            "2141000001",
            "学生",
            "一年级",
            "1班",
            "",
            "",
            "2025-09-01",
        ]
        for i in range(600)
    ]
    with django_assert_max_num_queries(60):
        report = imports.import_people(actor=world.school_admin, data=csv_bytes(rows), filename="big.csv")
    assert report.persons_created == 600 and Enrolment.objects.filter(school=world.school_a).count() == 601


# --- refused files ----------------------------------------------------------------------------


def test_wrong_columns_are_refused(world):
    problems = rejected(world.school_admin, csv_bytes([["张三", "G"]], header=["姓名", "证件种类"]))
    reasons = {(p.column, p.reason) for p in problems}
    assert ("证件类型", "缺少必需的列") in reasons and ("证件号码", "缺少必需的列") in reasons
    assert ("证件种类", "无法识别的列名") in reasons


def test_an_empty_file_is_refused(world):
    assert rejected(world.school_admin, b"")[0].reason == "文件为空"


def test_non_xlsx_bytes_are_refused(world):
    problems = rejected(world.school_admin, b"this is not a spreadsheet", filename="people.xlsx")
    assert "不是有效的 Excel 文件" in problems[0].reason


def test_bad_checksums_and_dates_are_reported_per_row(world):
    rows = good_rows()
    rows[0][2] = NEW_STUDENT[:17] + ("0" if NEW_STUDENT[17] != "0" else "1")
    rows[1][2] = citizen_id("410105", "19900230", "013")
    problems = rejected(world.school_admin, csv_bytes(rows))
    assert (problems[0].row, problems[0].column) == (2, "证件号码") and "校验码" in problems[0].reason
    assert (problems[1].row, problems[1].column) == (3, "证件号码") and "19900230" in problems[1].reason


def test_duplicate_rows_are_refused(world):
    rows = good_rows()
    rows.append(list(rows[0]))
    problems = rejected(world.school_admin, csv_bytes(rows))
    assert [(p.row, p.column, p.reason) for p in problems] == [(5, "证件号码", "与第 2 行的证件号码重复")]


def test_an_unknown_school_code_is_refused(world):
    rows = good_rows()
    rows[0][5] = "2141999999"
    problems = rejected(world.school_admin, csv_bytes(rows))
    assert [(p.row, p.column, p.reason) for p in problems] == [(2, "学校标识码", "学校标识码 2141999999 不存在")]


def test_a_school_outside_the_actors_scope_is_refused(world):
    rows = good_rows()
    rows[0][5] = world.school_b.code
    problems = rejected(world.school_admin, csv_bytes(rows))
    assert [(p.row, p.column) for p in problems] == [(2, "学校标识码")] and "管辖范围" in problems[0].reason


def test_an_identifier_registered_under_another_name_is_refused(world):
    rows = good_rows()
    rows[2][0] = "李晓明"
    problems = rejected(world.school_admin, csv_bytes(rows))
    assert [(p.row, p.column) for p in problems] == [(4, "证件号码")] and "姓名" in problems[0].reason


def test_a_student_enrolled_elsewhere_must_be_transferred(world):
    rows = [
        [
            "钱小刚",
            "G",
            citizen_id("410105", "20120505", "005"),
            "",
            "",
            "2141000001",
            "学生",
            "",
            "",
            "",
            "",
            "2025-03-01",
        ]
    ]
    problems = rejected(world.school_admin, csv_bytes(rows))
    assert "转学" in problems[0].reason


def test_every_problem_is_reported_at_once(world):
    rows = good_rows()
    rows[0][1] = "护照"
    rows[1][3] = "男性"
    rows[1][4] = "12345"
    rows[2][11] = "去年九月"
    problems = rejected(world.school_admin, csv_bytes(rows))
    assert [(p.row, p.column) for p in problems] == [
        (2, "证件类型"),
        (3, "性别"),
        (3, "手机号码"),
        (4, "入学/入职日期"),
    ]


def test_school_admin_may_not_import_persons_without_a_school(world):
    rows = [["孙无籍", "L", "L41010520150000AB1", "", "", "", "", "", "", "", "", ""]]
    problems = rejected(world.school_admin, csv_bytes(rows))
    assert problems[0].column == "学校标识码" and "省级" in problems[0].reason


def test_import_needs_the_import_permission(world):
    for actor in (world.teacher, world.student, world.outsider):
        with pytest.raises(PermissionDenied):
            imports.import_people(actor=actor, data=csv_bytes(good_rows()), filename="a.csv")
    assert not Person.objects.filter(name="张小华").exists()


def test_an_import_across_schools_is_audited_at_their_common_parent(world):
    rows = good_rows()
    rows[0][5] = world.school_b.code
    imports.import_people(actor=world.city_admin, data=csv_bytes(rows), filename="people.csv")
    assert AuditEvent.objects.get(action="people.import").org_path == world.zhengzhou.path


def test_a_retired_school_code_still_names_its_school(world):
    from edubase.orgs.models import SchoolCode

    SchoolCode.objects.create(code="2141000099", org=world.school_a, category="21")
    rows = good_rows()[:1]
    rows[0][5] = "2141000099"
    report = imports.import_people(actor=world.school_admin, data=csv_bytes(rows), filename="people.csv")
    assert report.enrolments == 1 and Enrolment.objects.filter(school=world.school_a).count() == 2
