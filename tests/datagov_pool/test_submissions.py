"""Roster submissions: encodings, XLSX layouts, row-level errors, all-or-nothing, idempotence."""

from __future__ import annotations

import pytest

from edubase.core.errors import NotFound, PermissionDenied
from edubase.core.models import AuditEvent
from edubase.datagov.pool import services
from edubase.datagov.pool.models import RosterRecord, Submission, SubmissionStatus
from tests.datagov_pool.rosters import api_row, csv_bytes, pupil, xlsx_bytes

pytestmark = pytest.mark.django_db


def _two(code: str) -> list[list[str]]:
    return [pupil(code), pupil(code, name="李小红", seq="022", phone="13912345678")]


def test_a_utf8_csv_lands_in_the_pool(world):
    result = services.submit_file(
        actor=world.school_admin,
        school=world.school_a,
        filename="roster.csv",
        data=csv_bytes(_two(world.school_a.code)),
    )
    sub = result.submission
    assert sub.status == SubmissionStatus.ACCEPTED
    assert (sub.created, sub.updated, sub.unchanged, sub.encoding) == (2, 0, 0, "UTF-8")
    record = RosterRecord.objects.get(name="张小明")
    assert record.org_path == world.school_a.path
    assert record.number_masked.startswith("G4101022016") and record.number_masked.endswith("*" * 8)
    assert record.student_number.startswith("G410102")  # decrypts
    assert record.guardian_phone_masked == "138****5678"
    assert AuditEvent.objects.filter(action="datagov_pool.submission.accepted").count() == 1


def test_a_gbk_csv_is_detected_and_said(world):
    data = csv_bytes(_two(world.school_a.code), encoding="gbk")
    sub = services.submit_file(
        actor=world.school_admin, school=world.school_a, filename="名单.csv", data=data
    ).submission
    assert sub.status == SubmissionStatus.ACCEPTED
    assert sub.encoding == "GB18030（GBK）"
    assert RosterRecord.objects.filter(name="李小红").exists()


def test_an_xlsx_with_a_title_row_and_a_merged_school_column_is_read(world):
    data = xlsx_bytes(_two(world.school_a.code), title="郑州市中原区第一小学2026年春季学生花名册", merge_school=True)
    sub = services.submit_file(actor=world.school_admin, school=world.school_a, filename="r.xlsx", data=data).submission
    assert sub.status == SubmissionStatus.ACCEPTED, sub.errors
    assert sub.created == 2


def test_one_bad_row_refuses_the_whole_file_with_masked_chinese_errors(world):
    bad = pupil(world.school_a.code, name="王五", seq="033")
    bad[1] = bad[1][:-1] + ("0" if bad[1][-1] != "0" else "1")  # break the MOD 11-2 check character
    bad[3] = "7"
    rows = [*_two(world.school_a.code), bad]
    sub = services.submit_file(
        actor=world.school_admin, school=world.school_a, filename="r.csv", data=csv_bytes(rows)
    ).submission
    assert sub.status == SubmissionStatus.REJECTED
    assert RosterRecord.objects.count() == 0
    by_column = {e["column"]: e for e in sub.errors}
    assert by_column["学籍号"]["row"] == 4
    assert "校验码" in by_column["学籍号"]["reason"]
    assert by_column["学籍号"]["value"].endswith("********")  # the number never appears whole
    assert by_column["性别码"]["reason"].startswith("不在代码表中")


def test_a_row_of_another_school_is_refused(world):
    rows = [pupil(world.school_c.code)]
    sub = services.submit_file(
        actor=world.school_admin, school=world.school_a, filename="r.csv", data=csv_bytes(rows)
    ).submission
    assert sub.status == SubmissionStatus.REJECTED
    assert "只能报送本校学生" in sub.errors[0]["reason"]


def test_a_duplicate_row_in_the_file_is_refused(world):
    row = pupil(world.school_a.code)
    sub = services.submit_file(
        actor=world.school_admin, school=world.school_a, filename="r.csv", data=csv_bytes([row, row])
    ).submission
    assert sub.status == SubmissionStatus.REJECTED
    assert sub.errors[0]["reason"] == "与第 2 行重复"


def test_resending_the_same_file_changes_nothing(world):
    data = csv_bytes(_two(world.school_a.code))
    first = services.submit_file(actor=world.school_admin, school=world.school_a, filename="r.csv", data=data)
    before = list(RosterRecord.objects.order_by("pk").values_list("pk", "updated_at", "row_digest"))
    again = services.submit_file(actor=world.school_admin, school=world.school_a, filename="r.csv", data=data)
    assert again.duplicate and again.submission.pk == first.submission.pk
    assert Submission.objects.count() == 1
    assert list(RosterRecord.objects.order_by("pk").values_list("pk", "updated_at", "row_digest")) == before


def test_the_same_rows_in_another_file_are_unchanged_rows(world):
    services.submit_file(
        actor=world.school_admin, school=world.school_a, filename="r.csv", data=csv_bytes(_two(world.school_a.code))
    )
    xlsx = xlsx_bytes(_two(world.school_a.code))
    sub = services.submit_file(actor=world.school_admin, school=world.school_a, filename="r.xlsx", data=xlsx).submission
    assert (sub.created, sub.updated, sub.unchanged) == (0, 0, 2)


def test_a_changed_row_is_updated_incrementally(world):
    code = world.school_a.code
    services.submit_file(actor=world.school_admin, school=world.school_a, filename="r.csv", data=csv_bytes(_two(code)))
    moved = [
        pupil(code, grade="14"),
        pupil(code, name="李小红", seq="022", phone="13912345678"),
        pupil(code, name="赵六", seq="055"),
    ]
    sub = services.submit_file(
        actor=world.school_admin, school=world.school_a, filename="r2.csv", data=csv_bytes(moved)
    ).submission
    assert (sub.created, sub.updated, sub.unchanged) == (1, 1, 1)
    assert RosterRecord.objects.get(name="张小明").grade == "14"


def test_api_rows_are_validated_like_files(world):
    code = world.school_a.code
    good = api_row(code)
    sub = services.submit_rows(actor=world.school_admin, school=world.school_a, rows=[good]).submission
    assert sub.status == SubmissionStatus.ACCEPTED and sub.channel == "api"
    again = services.submit_rows(actor=world.school_admin, school=world.school_a, rows=[good])
    assert again.duplicate


@pytest.mark.parametrize(
    ("filename", "data", "reason"),
    [
        ("r.xlsx", b"PK\x03\x04 not really a zip", "不是有效的 Excel 文件"),
        ("r.xls", b"\xd0\xcf\x11\xe0", "另存为 .xlsx"),
        ("r.csv", b"", "文件为空"),
        ("r.csv", "名字,年龄\n张三,5\n".encode(), "找不到表头行"),
        ("r.csv", b"\x00\x01\x02binary", "不是文本"),
    ],
)
def test_unreadable_files_are_refused_with_a_chinese_reason(world, filename, data, reason):
    sub = services.submit_file(actor=world.school_admin, school=world.school_a, filename=filename, data=data).submission
    assert sub.status == SubmissionStatus.REJECTED
    assert reason in sub.errors[0]["reason"]
    assert RosterRecord.objects.count() == 0


def test_a_missing_required_column_is_named(world):
    header = ["学校标识码", "学籍号", "姓名", "出生日期", "年级码"]
    row = pupil(world.school_a.code)
    data = csv_bytes([[row[0], row[1], row[2], row[4], row[6]]], header=header)
    sub = services.submit_file(actor=world.school_admin, school=world.school_a, filename="r.csv", data=data).submission
    assert [(e["column"], e["reason"]) for e in sub.errors] == [("性别码", "缺少必需的列")]


def test_another_schools_admin_may_not_submit(world):
    with pytest.raises(PermissionDenied):
        services.submit_file(
            actor=world.school_admin,
            school=world.school_c,
            filename="r.csv",
            data=csv_bytes([pupil(world.school_c.code)]),
        )


def test_a_teacher_may_not_submit(world):
    with pytest.raises(PermissionDenied):
        services.submit_file(
            actor=world.teacher, school=world.school_a, filename="r.csv", data=csv_bytes([pupil(world.school_a.code)])
        )


def test_the_school_picker_is_scoped(world):
    from edubase.datagov.pool import selectors

    assert list(selectors.schools_for_submission(world.county_admin)) == [world.school_a]
    with pytest.raises(NotFound):
        selectors.get_school_for_submission(world.county_admin, pk=world.school_b.pk)


def test_a_huge_file_is_refused_before_parsing(world, monkeypatch):
    from edubase.datagov.pool import submissions

    monkeypatch.setattr(submissions, "MAX_BYTES", 1024)
    data = csv_bytes([pupil(world.school_a.code, seq=f"{i:03d}") for i in range(1, 40)])
    sub = services.submit_file(actor=world.school_admin, school=world.school_a, filename="r.csv", data=data).submission
    assert sub.status == SubmissionStatus.REJECTED
    assert "文件过大" in sub.errors[0]["reason"]


def test_a_utf16_tab_separated_export_is_read(world):
    rows = [pupil(world.school_a.code)]
    lines = ["\t".join(["学校标识码", "学籍号", "姓名", "性别码", "出生日期", "年级码"])]
    lines += ["\t".join([r[0], r[1], r[2], r[3], r[4], r[6]]) for r in rows]
    data = ("\n".join(lines) + "\n").encode("utf-16")
    sub = services.submit_file(actor=world.school_admin, school=world.school_a, filename="r.txt", data=data).submission
    assert sub.status == SubmissionStatus.ACCEPTED, sub.errors
    assert sub.encoding == "UTF-16"


def test_a_new_roster_with_the_same_rows_reconfirms_them_without_rewriting(world):
    code = world.school_a.code
    services.submit_file(actor=world.school_admin, school=world.school_a, filename="r.csv", data=csv_bytes(_two(code)))
    before = RosterRecord.objects.get(name="张小明")
    services.submit_file(
        actor=world.school_admin, school=world.school_a, filename="r2.csv", data=csv_bytes(_two(code)) + b"\n"
    )
    after = RosterRecord.objects.get(name="张小明")
    assert after.updated_at == before.updated_at and after.submission_id == before.submission_id
    assert after.confirmed_at > before.confirmed_at
