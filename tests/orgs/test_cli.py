"""``edubase import schools FILE`` and ``edubase export schools FILE.xlsx``."""

import pytest
from django.core.management import CommandError, call_command

from edubase.core.models import AuditEvent
from edubase.orgs.models import Org
from tests.orgs.conftest import row_counts, xlsx

pytestmark = pytest.mark.django_db(transaction=False)


def test_import_as_a_named_user_prints_a_summary(world, tmp_path, capsys):
    path = tmp_path / "学校.xlsx"
    path.write_bytes(xlsx([["", "中原区第二小学", "小学", "410102", ""]]))
    call_command("import", "schools", str(path), "--as", world.county_admin.username)
    assert "新建 1 条" in capsys.readouterr().out
    assert Org.objects.filter(name="中原区第二小学").exists()
    event = AuditEvent.objects.get(action="orgs.school.create")
    assert event.channel == "cli" and event.actor == world.county_admin


def test_a_rejected_import_prints_every_problem_and_exits_1(world, tmp_path, capsys):
    path = tmp_path / "学校.csv"
    path.write_text("学校名称,学校类别,所在县区代码\n老城区某小学,小学,410302\n,小学,410102\n", encoding="utf-8")
    before = row_counts()
    with pytest.raises(SystemExit) as exit_info:
        call_command("import", "schools", str(path), "--as", world.city_admin.username)
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "第 2 行「所在县区代码」列：您无权维护“老城区”的学校" in err
    assert "第 3 行「学校名称」列：学校名称不能为空" in err and "未写入任何数据" in err
    assert row_counts() == before


def test_without_as_the_first_superuser_acts(world, superuser, tmp_path):
    path = tmp_path / "学校.xlsx"
    path.write_bytes(xlsx([["", "老城区第二小学", "小学", "410302", ""]]))
    call_command("import", "schools", str(path))
    assert AuditEvent.objects.get(action="orgs.school.create").actor == superuser


def test_without_as_and_without_a_superuser_it_asks_for_as(world, tmp_path):
    path = tmp_path / "学校.xlsx"
    path.write_bytes(xlsx([["", "老城区第二小学", "小学", "410302", ""]]))
    with pytest.raises(CommandError, match="--as"):
        call_command("import", "schools", str(path))


def test_an_unknown_user_or_missing_file_is_a_chinese_error(world, tmp_path):
    with pytest.raises(CommandError, match="不存在"):
        call_command("import", "schools", str(tmp_path / "x.xlsx"), "--as", "nobody")
    path = tmp_path / "学校.xlsx"
    path.write_bytes(b"x")
    with pytest.raises(CommandError, match="不存在或已停用"):
        call_command("import", "schools", str(path), "--as", "nobody")


def test_export_writes_the_actors_schools(world, tmp_path, capsys):
    from openpyxl import load_workbook

    path = tmp_path / "学校.xlsx"
    call_command("export", "schools", str(path), "--as", world.city_admin.username, "--county", "410105")
    rows = list(load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["3141000002"]
    assert "已导出" in capsys.readouterr().out


def test_export_refuses_a_name_that_is_not_xlsx(world, tmp_path):
    with pytest.raises(CommandError, match=r"\.xlsx"):
        call_command("export", "schools", str(tmp_path / "a.csv"), "--as", world.city_admin.username)


def test_export_then_import_through_the_cli_changes_nothing(world, superuser, tmp_path, capsys):
    path = tmp_path / "全省学校.xlsx"
    call_command("export", "schools", str(path))
    before = row_counts()
    call_command("import", "schools", str(path))
    assert "新建 0 条，更新 0 条，未变化 3 条" in capsys.readouterr().out
    assert row_counts()[:3] == before[:3]


def test_people_files_are_handed_to_the_people_importer(world, tmp_path, monkeypatch, capsys):
    import sys
    import types

    from edubase.orgs.imports import ImportReport

    seen = {}

    def import_people(*, actor, data, filename):
        seen.update(actor=actor, data=data, filename=filename)
        return ImportReport(created=2, updated=1)

    monkeypatch.setitem(sys.modules, "edubase.people.imports", types.SimpleNamespace(import_people=import_people))
    path = tmp_path / "人员.csv"
    path.write_bytes(b"x")
    call_command("import", "people", str(path), "--as", world.school_admin.username)
    assert seen == {"actor": world.school_admin, "data": b"x", "filename": "人员.csv"}
    assert "新建 2 条，更新 1 条" in capsys.readouterr().out


def test_an_import_as_a_user_without_orgs_change_exits_1(world, tmp_path, capsys):
    path = tmp_path / "学校.xlsx"
    path.write_bytes(xlsx([["", "中原区第二小学", "小学", "410102", ""]]))
    with pytest.raises(SystemExit) as exit_info:
        call_command("import", "schools", str(path), "--as", world.teacher.username)
    assert exit_info.value.code == 1 and "不能导入学校" in capsys.readouterr().err
