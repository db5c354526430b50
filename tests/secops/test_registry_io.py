"""Import of the asset registers schools keep (XLSX/CSV) and export in the same format."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from edubase.core.errors import PermissionDenied
from edubase.core.tabular import ImportRejected, write_xlsx
from edubase.secops import registry, registry_io
from edubase.secops.models import Asset, InformationSystem, RegistryChange

pytestmark = pytest.mark.django_db

HEADER = (
    "单位代码,系统名称,等保级别,定级日期,备案编号,备案日期,上线日期,关键信息基础设施,"
    "责任人,联系电话,资产类型,资产名称,域名,IP地址,状态,互联网暴露"
)


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _good_file(world) -> bytes:
    a, b = world.school_a.code, world.school_b.code
    return _csv(
        f"{a},学校门户网站,2,2024-03-01,41010099001-24001,2024-03-20,2023-09-01,否,张老师,13812341234,,,,,在用,是",
        f"{a},学校门户网站,,,,,,,,,网站/域名,门户网站,www.zy1.edu.cn,,在用,是",
        f"{a},学校门户网站,,,,,,,,,服务器,门户服务器,,10.1.1.10,在用,否",
        f"{a},,,,,,,,,,IP,,,10.1.1.99,停用,否",
        f"{b},一卡通系统,3,2024-01-10,,,2024-01-01,是,钱老师,0371-12345678,,,,,在用,否",
    )


def test_a_register_imports_systems_and_their_parts(world):
    report = registry_io.import_registry(actor=world.city_admin, data=_good_file(world), filename="台账.csv")
    assert (report.systems_created, report.assets_created) == (2, 3)
    portal = InformationSystem.objects.get(org=world.school_a, name="学校门户网站")
    assert portal.mlps_level == 2 and portal.filing_number == "41010099001-24001" and portal.internet_facing
    assert portal.responsible_phone == "13812341234"
    assert set(portal.assets.values_list("name", flat=True)) == {"门户网站", "门户服务器"}
    loose = Asset.objects.get(ip="10.1.1.99")
    assert loose.system is None and loose.status == "offline" and loose.name == "10.1.1.99"
    card = InformationSystem.objects.get(org=world.school_b)
    assert card.cii and card.filing_due is not None and card.next_assessment_due is not None
    assert RegistryChange.objects.filter(action="import").count() == 5


def test_importing_again_updates_instead_of_duplicating(world):
    registry_io.import_registry(actor=world.city_admin, data=_good_file(world), filename="台账.csv")
    a = world.school_a.code
    again = _csv(
        f"{a},学校门户网站,3,,,,,,李老师,,,,,,,",
        f"{a},学校门户网站,,,,,,,,,网站/域名,门户网站（新版）,WWW.ZY1.EDU.CN,,,",
        f"{a},,,,,,,,,,,,,10.1.1.99,在用,",
    )
    report = registry_io.import_registry(actor=world.city_admin, data=again, filename="台账.csv")
    assert (report.systems_created, report.systems_updated, report.assets_created, report.assets_updated) == (
        0,
        1,
        0,
        2,
    )
    assert InformationSystem.objects.count() == 2 and Asset.objects.count() == 3
    portal = InformationSystem.objects.get(org=world.school_a)
    assert (portal.mlps_level, portal.responsible_name, portal.responsible_phone) == (3, "李老师", "13812341234")
    assert Asset.objects.get(domain="www.zy1.edu.cn").name == "门户网站（新版）"
    change = RegistryChange.objects.filter(target_type="system", target_id=portal.pk, action="import").first()
    assert change is not None and change.changes["mlps_level"] == [2, 3]


def test_every_problem_is_reported_with_row_and_column_and_nothing_is_written(world):
    a = world.school_a.code
    bad = _csv(
        f"{a},门户,7,2024-02-30,,,,,,,,,,,,",
        f"{a},门户,,,,,,,,138,,,,,,",
        f"{a},,,,,,,,,,域名,,not_a_domain,,,",
        f"{a},,,,,,,,,,,,,10.0.0.256,,",
        f"{a},,,,,,,,,,路由器,核心路由,,,,",
        f"{world.school_c.code},洛阳系统,,,,,,,,,,,,,,",
        "9999999999,某系统,,,,,,,,,,,,,,",
        f"{a},一卡通,2,2024-05-01,X-1,2024-04-01,,,,,,,,,,",
        f"{a},,,,,,,,,,IP,,,10.0.0.1,,",
        f"{a},,,,,,,,,,IP,,,10.0.0.1,,",
        f"{a},一卡通,3,,,,,,,,,,,,,",
    )
    with pytest.raises(ImportRejected) as caught:
        registry_io.import_registry(actor=world.city_admin, data=bad, filename="bad.csv")
    found = {(p.row, p.column) for p in caught.value.problems}
    assert {(2, "等保级别"), (2, "定级日期"), (3, "联系电话"), (4, "域名"), (5, "IP地址"), (6, "资产类型")} <= found
    assert {(7, "单位代码"), (8, "单位代码"), (9, "备案日期"), (11, "IP地址"), (12, "等保级别")} <= found
    messages = {(p.row, p.column): p.reason for p in caught.value.problems}
    assert "1–5" in messages[(2, "等保级别")] and "不存在的日期" in messages[(2, "定级日期")]
    assert "无权" in messages[(7, "单位代码")] and "不一致" in messages[(12, "等保级别")]
    assert not InformationSystem.objects.exists() and not Asset.objects.exists()


def test_unknown_columns_are_refused(world):
    data = _csv(f"{world.school_a.code},门户,x", header="单位代码,系统名称,机房温度")
    with pytest.raises(ImportRejected) as caught:
        registry_io.import_registry(actor=world.school_admin, data=data, filename="x.csv")
    assert [(p.row, p.column) for p in caught.value.problems] == [(1, "机房温度")]


def test_english_headers_are_accepted(world):
    data = _csv(f"{world.school_a.code},Portal,2,www.zy1.edu.cn", header="org_code,system_name,mlps_level,domain")
    report = registry_io.import_registry(actor=world.school_admin, data=data, filename="x.csv")
    assert report.systems_created == 1 and Asset.objects.get().kind == "domain"


def test_a_teacher_cannot_import(world):
    with pytest.raises(PermissionDenied):
        registry_io.import_registry(actor=world.teacher, data=_good_file(world), filename="x.csv")


def test_an_xlsx_register_imports(world):
    rows = [[world.school_a.code, "OA 系统", "三级", "2024-03-01", "服务器", "OA-DB", "10.2.0.5"]]
    data = write_xlsx(["学校标识码", "系统名称", "等保级别", "定级日期", "资产类型", "资产名称", "IP地址"], rows)
    registry_io.import_registry(actor=world.school_admin, data=data, filename="台账.xlsx")
    assert InformationSystem.objects.get().mlps_level == 3 and Asset.objects.get().ip == "10.2.0.5"


def test_an_export_imports_back_without_changes(world):
    registry_io.import_registry(actor=world.city_admin, data=_good_file(world), filename="台账.csv")
    portal = InformationSystem.objects.get(org=world.school_a)
    registry.add_assessment(actor=world.school_admin, system=portal, assessed_on="2024-06-01", conclusion="符合")
    exported = registry_io.export_registry(actor=world.city_admin)
    sheet = load_workbook(io.BytesIO(exported), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(registry_io.HEADERS)
    assert len(rows) == 1 + 2 + 3  # two systems, three assets
    assert "13812341234" not in str(rows) and "138****1234" in str(rows)
    before = RegistryChange.objects.count()
    report = registry_io.import_registry(actor=world.city_admin, data=exported, filename="导出.xlsx")
    assert (report.systems_created, report.systems_updated, report.systems_unchanged) == (0, 0, 2)
    assert (report.assets_created, report.assets_updated, report.assets_unchanged) == (0, 0, 3)
    assert RegistryChange.objects.count() == before


def test_the_export_holds_only_the_scope(world):
    registry_io.import_registry(actor=world.city_admin, data=_good_file(world), filename="台账.csv")
    exported = registry_io.export_registry(actor=world.school_admin)
    text = str(list(load_workbook(io.BytesIO(exported), read_only=True).worksheets[0].iter_rows(values_only=True)))
    assert world.school_a.code in text and world.school_b.code not in text


def test_the_template_has_the_import_headers():
    sheet = load_workbook(io.BytesIO(registry_io.template()), read_only=True).worksheets[0]
    assert list(next(sheet.iter_rows(values_only=True))) == list(registry_io.HEADERS)
