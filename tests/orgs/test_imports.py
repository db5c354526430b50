"""Importing and exporting schools: all-or-nothing, every problem in Chinese with row and column."""

import io

import pytest
from openpyxl import load_workbook

from edubase.core.errors import PermissionDenied
from edubase.core.tabular import ImportRejected
from edubase.orgs import services
from edubase.orgs.imports import EXPORT_COLUMNS, export_schools, import_schools
from edubase.orgs.models import Org, OrgHistory, SchoolCode
from tests.orgs.conftest import HEADER, csv_bytes, row_counts, xlsx

pytestmark = pytest.mark.django_db


def rejected(actor, data, filename="学校.xlsx"):
    """Import that must fail: returns the problems as (row, column, reason) and checks nothing was written."""
    before = row_counts()
    with pytest.raises(ImportRejected) as info:
        import_schools(actor=actor, data=data, filename=filename)
    assert row_counts() == before, "a rejected import wrote something"
    assert info.value.status == 422 and "未写入任何数据" in info.value.message
    return [(p.row, p.column, p.reason) for p in info.value.problems]


# --- accepted files ---------------------------------------------------------------------------


def test_a_good_xlsx_creates_schools_and_issues_codes_for_blank_ones(world):
    data = xlsx(
        [
            ["", "中原区第二小学", "小学", "410102", "郑州市中原区建设路 1 号"],
            ["3141000010", "金水区第二初级中学", "31", "410105", ""],
        ]
    )
    report = import_schools(actor=world.city_admin, data=data, filename="学校.xlsx")
    assert (report.created, report.updated) == (2, 0)
    new = Org.objects.get(name="中原区第二小学")
    assert (
        new.code == "2141000004"
        and new.address == "郑州市中原区建设路 1 号"
        and new.path.startswith(world.zhongyuan.path)
    )
    given = Org.objects.get(code="3141000010")
    assert given.school_category == "31" and given.path.startswith(world.jinshui.path)
    assert SchoolCode.objects.filter(code__in=["2141000004", "3141000010"]).count() == 2
    assert report.codes == ["2141000004", "3141000010"]


def test_an_existing_code_updates_name_and_address_with_history(world):
    data = xlsx([["2141000001", "郑州市中原区实验小学", "小学", "410102", "中原路 9 号"]])
    report = import_schools(actor=world.county_admin, data=data, filename="学校.xlsx")
    assert (report.created, report.updated) == (0, 1)
    school = Org.objects.get(code="2141000001")
    assert school.name == "郑州市中原区实验小学" and school.address == "中原路 9 号"
    assert list(OrgHistory.objects.filter(org=school).values_list("change", flat=True)) == ["created", "renamed"]


def test_a_utf8_csv_is_accepted(world):
    data = csv_bytes([["", "中原区第七小学", "21", "410102", ""]])
    report = import_schools(actor=world.county_admin, data=data, filename="schools.csv")
    assert report.created == 1 and report.encoding == "utf-8"


def test_a_gbk_csv_from_excel_is_accepted(world):
    data = csv_bytes([["", "中原区第八小学", "普通小学", "410102", "郑州市中原区"]], encoding="gbk")
    report = import_schools(actor=world.county_admin, data=data, filename="学校名单.CSV")
    assert report.created == 1 and report.encoding == "gb18030"
    assert Org.objects.get(name="中原区第八小学").address == "郑州市中原区"


def test_the_code_column_may_be_left_out(world):
    data = xlsx([["中原区第九小学", "小学", "410102"]], header=["学校名称", "学校类别", "所在县区代码"])
    assert import_schools(actor=world.county_admin, data=data, filename="a.xlsx").created == 1


def test_an_accepted_import_is_audited_row_by_row_and_as_a_whole(world):
    from edubase.core.models import AuditEvent

    data = xlsx([["", "中原区第十小学", "小学", "410102", ""]])
    import_schools(actor=world.county_admin, data=data, filename="学校.xlsx")
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["orgs.school.create", "orgs.school.import"]


# --- rejected files: nothing written ----------------------------------------------------------


def test_wrong_columns_are_named(world):
    data = xlsx([["中原区某小学", "小学", "410102"]], header=["学校", "学校类别", "县区"])
    problems = rejected(world.city_admin, data)
    assert (1, "学校名称", "缺少必需的列") in problems
    assert (1, "所在县区代码", "缺少必需的列") in problems
    assert (1, "学校", "无法识别的列名") in problems


def test_bad_codes_and_categories_are_reported_per_cell(world):
    data = xlsx(
        [
            ["21410000", "甲校", "小学", "410102", ""],
            ["2941000011", "乙校", "小学", "410102", ""],
            ["2141000000", "丙校", "小学", "410102", ""],
            ["3141000011", "丁校", "小学", "410102", ""],
            ["", "戊校", "大学预科", "410102", ""],
            ["2142000011", "己校", "小学", "410102", ""],
        ]
    )
    problems = rejected(world.city_admin, data)
    by_row = {row: (column, reason) for row, column, reason in problems}
    assert by_row[2][0] == "学校标识码" and "10 位数字" in by_row[2][1]
    assert by_row[3][0] == "学校标识码" and "学校类别码" in by_row[3][1]
    assert by_row[4][0] == "学校标识码" and "000000" in by_row[4][1]
    assert by_row[5][0] == "学校标识码" and "不一致" in by_row[5][1]
    assert by_row[6] == ("学校类别", "无法识别的学校类别“大学预科”（应填类别码如 21，或类别名称如 小学）")
    assert by_row[7][0] == "学校标识码" and "省级代码" in by_row[7][1]


def test_unknown_or_malformed_county_is_refused(world):
    data = xlsx(
        [
            ["", "甲校", "小学", "410103", ""],  # 二七区: a real division, but no node in the system
            ["", "乙校", "小学", "419999", ""],  # no such division
            ["", "丙校", "小学", "4101", ""],
            ["", "丁校", "小学", "", ""],
        ]
    )
    problems = rejected(world.city_admin, data)
    assert [(r, c) for r, c, _ in problems] == [
        (2, "所在县区代码"),
        (3, "所在县区代码"),
        (4, "所在县区代码"),
        (5, "所在县区代码"),
    ]
    assert "请先建立该县区" in problems[0][2] and "不是 GB/T 2260" in problems[1][2]
    assert "6 位数字" in problems[2][2] and "不能为空" in problems[3][2]


def test_duplicate_rows_within_the_file_are_refused(world):
    data = xlsx(
        [
            ["2141000020", "中原区甲小学", "小学", "410102", ""],
            ["2141000020", "中原区乙小学", "小学", "410102", ""],
            ["", "中原区甲小学", "小学", "410102", ""],
        ]
    )
    problems = rejected(world.city_admin, data)
    assert (3, "学校标识码", "与第 2 行的学校标识码重复") in problems
    assert (4, "学校名称", "与第 2 行的学校名称重复（同一县区）") in problems


def test_a_code_used_by_another_school_is_refused(world):
    data = xlsx([["3141000002", "中原区冒用初中", "31", "410102", ""]])  # school_b's code, in another county
    problems = rejected(world.city_admin, data)
    assert problems[0][:2] == (2, "学校标识码") and "已被“郑州市金水区第一初级中学”" in problems[0][2]


def test_a_retired_code_is_refused(world):
    school = services.change_school_category(actor=world.city_admin, school=world.school_a, category="31")
    data = xlsx([["2141000001", "中原区复用小学", "小学", "410102", ""]])
    problems = rejected(world.city_admin, data)
    assert problems[0][1] == "学校标识码" and "已停用" in problems[0][2] and school.code in problems[0][2]


def test_a_new_school_with_the_name_of_an_existing_one_is_refused(world):
    data = xlsx([["", "郑州市中原区第一小学", "小学", "410102", ""]])
    problems = rejected(world.city_admin, data)
    assert problems[0][1] == "学校名称" and "2141000001" in problems[0][2]


def test_a_county_outside_the_actors_scope_is_refused(world):
    data = xlsx([["", "老城区新小学", "小学", "410302", ""], ["", "金水区新小学", "小学", "410105", ""]])
    problems = rejected(world.city_admin, data)
    assert problems == [(2, "所在县区代码", "您无权维护“老城区”的学校")]
    problems = rejected(world.county_admin, data)
    assert {p[0] for p in problems} == {2, 3}


@pytest.mark.parametrize("persona", ["school_admin", "teacher", "student", "outsider"])
def test_personas_without_orgs_change_anywhere_are_refused_before_the_file_is_read(world, persona):
    before = row_counts()
    data = xlsx([["", "中原区无权小学", "小学", "410102", ""]])
    with pytest.raises(PermissionDenied, match="不能导入学校"):
        import_schools(actor=getattr(world, persona), data=data, filename="学校.xlsx")
    assert row_counts() == before


def test_an_empty_file_is_refused(world):
    assert rejected(world.city_admin, b"") == [(0, "", "文件为空")]
    assert rejected(world.city_admin, b"", "a.csv") == [(0, "", "文件为空")]


def test_non_xlsx_bytes_named_xlsx_are_refused(world):
    problems = rejected(world.city_admin, "学校名称,学校类别\n".encode(), "学校.xlsx")
    assert problems == [(0, "", "文件扩展名为 .xlsx，但内容不是有效的 Excel 文件")]


def test_a_header_only_file_is_refused(world):
    assert rejected(world.city_admin, xlsx([])) == [(0, "", "只有表头，没有数据行")]
    assert rejected(world.city_admin, csv_bytes([]), "a.csv") == [(0, "", "只有表头，没有数据行")]


def test_another_file_type_is_refused(world):
    assert rejected(world.city_admin, b"%PDF-1.4", "学校.pdf") == [(0, "", "仅支持 .xlsx 或 .csv 文件")]


def test_one_bad_row_stops_the_good_ones_too(world):
    data = xlsx([["", "中原区好小学", "小学", "410102", ""], ["", "", "小学", "410102", ""]])
    assert rejected(world.city_admin, data) == [(3, "学校名称", "学校名称不能为空")]
    assert not Org.objects.filter(name="中原区好小学").exists()


def test_every_problem_of_every_row_is_reported_at_once(world):
    data = xlsx([["1", "", "x", "1", "地" * 201]])
    columns = [c for _, c, _ in rejected(world.city_admin, data)]
    assert set(columns) == {"学校标识码", "学校名称", "学校类别", "所在县区代码", "地址"}


# --- export ---------------------------------------------------------------------------------


def read_xlsx(data):
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_export_has_the_import_columns_plus_prefecture_and_status(world):
    services.close_org(actor=world.city_admin, org=world.school_b)
    rows = read_xlsx(export_schools(actor=world.city_admin))
    assert tuple(rows[0]) == EXPORT_COLUMNS and list(EXPORT_COLUMNS[:5]) == HEADER
    assert rows[1:] == [
        ["2141000001", "郑州市中原区第一小学", "小学", "410102", None, "郑州市", "正常"],
        ["3141000002", "郑州市金水区第一初级中学", "普通初中", "410105", None, "郑州市", "已撤销"],
    ]


def test_export_is_scoped_and_filtered(world):
    assert len(read_xlsx(export_schools(actor=world.province_admin))) == 4
    assert len(read_xlsx(export_schools(actor=world.province_admin, prefecture="410300"))) == 2
    assert len(read_xlsx(export_schools(actor=world.outsider))) == 1


def test_export_then_import_changes_nothing(world):
    services.set_address(actor=world.province_admin, org=world.school_c, address="洛阳市老城区")
    data = export_schools(actor=world.province_admin)
    before = row_counts()
    snapshot = list(Org.objects.order_by("pk").values())
    report = import_schools(actor=world.province_admin, data=data, filename="export.xlsx")
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert list(Org.objects.order_by("pk").values()) == snapshot
    org_rows, codes, history, audit_rows = row_counts()
    assert (org_rows, codes, history) == before[:3] and audit_rows == before[3] + 1  # only the import summary
