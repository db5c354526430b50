"""Scanning a source fills the catalogue: fields classified (D1), graded, samples masked, a review
queue for low confidence, corrections remembered across scans, nothing half-written on failure."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from edubase.core.errors import PermissionDenied
from edubase.core.models import AuditEvent
from edubase.datagov import services
from edubase.datagov.connectors import SourceError
from edubase.datagov.models import ClassificationCorrection, DataField, Dataset, ReviewState
from tests.factories import citizen_id, make_user

NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "欧阳明", "司马南", "赵丽", "孙强", "周敏"]


def _student_db(path: Path, *, rows: int = 40) -> Path:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE xsjbxx (XM TEXT, SFZJH TEXT, LXDH TEXT, ACADEMIC_YEAR_CODE TEXT, BZ TEXT, JTZZ TEXT)")
    for i in range(rows):
        db.execute(
            "INSERT INTO xsjbxx VALUES (?, ?, ?, ?, ?, ?)",
            (
                NAMES[i % len(NAMES)],
                citizen_id("410102", f"2012{(i % 12) + 1:02d}{(i % 27) + 1:02d}", f"{i:03d}"),
                f"1381234{i:04d}",
                f"20{20 + i % 5}",
                "",
                f"河南省郑州市中原区建设路{i + 1}号",
            ),
        )
    db.commit()
    db.close()
    return path


@pytest.fixture
def source(world, tmp_path):  # type: ignore[no-untyped-def]
    path = _student_db(tmp_path / "xj.db")
    return services.create_source(
        actor=world.school_admin, org=world.school_a, name="学籍系统", kind="sqlite", location=str(path)
    )


def _fields(dataset: Dataset) -> dict[str, DataField]:
    return {f.name: f for f in dataset.fields.all()}


def test_scan_classifies_grades_and_masks(world, source) -> None:  # type: ignore[no-untyped-def]
    report = services.scan_source(actor=world.school_admin, source=source)
    assert [t.table for t in report.tables] == ["xsjbxx"]
    dataset = Dataset.objects.get(source=source, source_table="xsjbxx")
    assert dataset.org == world.school_a and dataset.row_count == 40
    fields = _fields(dataset)
    assert fields["SFZJH"].entity == "citizen_id"
    assert fields["SFZJH"].sensitive and fields["SFZJH"].grade_level == 4
    assert fields["LXDH"].entity == "mobile"
    assert fields["ACADEMIC_YEAR_CODE"].entity == ""  # a year code is not a card or an ID
    assert dataset.grade_category == "general" and dataset.grade_level == 4 and dataset.sensitive
    # raw identifiers never stored: every kept sample is masked
    for sample in fields["SFZJH"].samples_masked:
        assert "*" in sample and len(sample) == 18
    assert all("****" in s for s in fields["LXDH"].samples_masked)
    assert fields["SFZJH"].data_element is None or fields["SFZJH"].data_element.code == "SFZJH"
    assert AuditEvent.objects.filter(action="datagov.source.scanned", object_id=str(source.pk)).exists()


def test_minors_under_14_make_every_personal_field_sensitive(world, source) -> None:  # type: ignore[no-untyped-def]
    services.scan_source(actor=world.school_admin, source=source)
    dataset = Dataset.objects.get(source=source)
    assert not _fields(dataset)["LXDH"].sensitive
    services.update_dataset(actor=world.school_admin, dataset=dataset, minors_under_14=True)
    assert _fields(dataset)["LXDH"].sensitive
    assert _fields(dataset)["LXDH"].grade_level == 4


def test_corrections_are_remembered_for_the_next_scan(world, source) -> None:  # type: ignore[no-untyped-def]
    services.scan_source(actor=world.school_admin, source=source)
    dataset = Dataset.objects.get(source=source)
    field = _fields(dataset)["JTZZ"]
    services.review_field(actor=world.school_admin, field=field, entity=None, note="测试更正：不是住址")
    assert ClassificationCorrection.objects.get(dataset=dataset).entity == ""
    services.scan_source(actor=world.school_admin, source=source)
    again = _fields(dataset)["JTZZ"]
    assert again.entity == "" and again.review_state == ReviewState.CORRECTED
    assert not again.personal


def test_review_confirms_and_clears_the_queue(world, source) -> None:  # type: ignore[no-untyped-def]
    services.scan_source(actor=world.school_admin, source=source)
    dataset = Dataset.objects.get(source=source)
    field = _fields(dataset)["SFZJH"]
    services.review_field(actor=world.school_admin, field=field, entity="citizen_id")
    field.refresh_from_db()
    assert field.review_state == ReviewState.CONFIRMED
    assert field.reviewed_by == world.school_admin


def test_a_failed_scan_writes_nothing(world, source, tmp_path) -> None:  # type: ignore[no-untyped-def]
    services.scan_source(actor=world.school_admin, source=source)
    before = DataField.objects.count()
    Path(source.location).write_bytes(b"no longer a database" * 50)
    with pytest.raises(SourceError):
        services.scan_source(actor=world.school_admin, source=source)
    assert DataField.objects.count() == before


def test_unknown_table_is_refused(world, source) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(services.ScanRefused, match="不存在表"):
        services.scan_source(actor=world.school_admin, source=source, tables=["nope"])
    assert not Dataset.objects.exists()


def test_other_cities_and_viewers_may_not_scan(world, source) -> None:  # type: ignore[no-untyped-def]
    luoyang = make_user("ly_officer", role="data_officer", org=world.luoyang)
    with pytest.raises(PermissionDenied):
        services.scan_source(actor=luoyang, source=source)
    with pytest.raises(PermissionDenied):
        services.scan_source(actor=world.teacher, source=source)


def test_reference_data_loads_once_and_maps_elements(world, source) -> None:  # type: ignore[no-untyped-def]
    first = services.load_reference(actor=world.province_admin)
    assert first["tables"]["gb3304"]["items"] == 58 and first["tables"]["gb3304"]["loaded"]
    assert first["rules_seeded"]
    second = services.load_reference(actor=world.province_admin)
    assert not second["tables"]["gb2260"]["loaded"]
    services.scan_source(actor=world.school_admin, source=source)
    fields = _fields(Dataset.objects.get(source=source))
    assert fields["SFZJH"].data_element.code == "SFZJH"
    assert fields["XM"].data_element.code == "XM"


def test_only_province_data_managers_load_reference_data(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        services.load_reference(actor=world.city_admin)


def test_the_command_line_scans_as_a_named_user(world, source) -> None:  # type: ignore[no-untyped-def]
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("datagov", "scan", source.name, "--user", world.school_admin.username, stdout=out)
    assert "xsjbxx: 40 行" in out.getvalue()
    with pytest.raises(CommandError, match="不存在"):
        call_command("datagov", "scan", source.name, "--user", world.teacher.username, stdout=StringIO())


def test_a_changed_code_table_gets_a_new_version(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from edubase.datagov.models import CodeTableVersion
    from edubase.datagov.reference import gb4762

    services.load_reference(actor=None)
    monkeypatch.setattr(gb4762, "ITEMS", (*gb4762.ITEMS, ("14", "测试新增")))
    summary = services.load_reference(actor=None)
    assert summary["tables"]["gb4762"]["loaded"]
    versions = CodeTableVersion.objects.filter(table__slug="gb4762")
    assert versions.count() == 2 and versions.filter(current=True).get().items.count() == 14


def test_a_spreadsheet_with_a_title_row_is_scanned_by_its_real_header(world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "七年级"
    sheet.append(["郑州市第一中学 2026 级学生名单"])
    sheet.merge_cells("A1:C1")
    sheet.append(["姓名", "身份证件号", "备注"])
    for i in range(20):
        note = f"已核对证件 {citizen_id('410102', '20130305', f'{i:03d}')}" if i == 0 else "无"
        sheet.append([NAMES[i % len(NAMES)], citizen_id("410102", "20130305", f"{i:03d}"), note])
    workbook.save(tmp_path / "名单.xlsx")
    source = services.create_source(
        actor=world.school_admin, org=world.school_a, name="名单", kind="file", location=str(tmp_path)
    )
    services.scan_source(actor=world.school_admin, source=source)
    dataset = Dataset.objects.get(source=source, source_table="名单.xlsx#七年级")
    fields = _fields(dataset)
    assert list(fields) == ["姓名", "身份证件号", "备注"]
    assert fields["身份证件号"].entity == "citizen_id"
    # an identifier inside free text is masked in the stored samples too
    raw = citizen_id("410102", "20130305", "000")
    assert all(raw not in s for s in fields["备注"].samples_masked)
