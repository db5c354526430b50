"""The information-asset registry: scope, writes with history and audit, MLPS date rules, zombies,
compliance per region, bulk edit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from edubase.core.errors import NotFound, PermissionDenied, ValidationFailed
from edubase.core.models import AuditEvent
from edubase.secops import registry
from edubase.secops.models import Asset, InformationSystem, RegistryChange
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _system(world, org=None, **data):
    fields = {"name": "教务管理系统"} | data
    return registry.create_system(actor=world.province_admin, org=org or world.school_a, data=fields)


# --- MLPS date rules ---------------------------------------------------------------------------


def test_level_three_is_assessed_a_year_after_its_last_assessment():
    due = registry.next_assessment_due(level=3, last_assessed_on=dt.date(2024, 5, 10), graded_on=dt.date(2023, 1, 1))
    assert due == dt.date(2025, 5, 10)


def test_levels_four_and_five_are_assessed_every_six_months():
    for level in (4, 5):
        due = registry.next_assessment_due(level=level, last_assessed_on=dt.date(2024, 8, 31), graded_on=None)
        assert due == dt.date(2025, 2, 28)


def test_levels_one_and_two_have_no_periodic_assessment():
    for level in (1, 2, None):
        assert registry.next_assessment_due(level=level, last_assessed_on=dt.date(2024, 1, 1), graded_on=None) is None


def test_before_the_first_assessment_the_cycle_counts_from_grading():
    due = registry.next_assessment_due(level=3, last_assessed_on=None, graded_on=dt.date(2024, 2, 29))
    assert due == dt.date(2025, 2, 28)


def test_filing_is_due_thirty_days_after_the_later_of_grading_and_going_live():
    due = registry.filing_due(level=2, graded_on=dt.date(2024, 3, 1), went_live_on=dt.date(2024, 4, 10))
    assert due == dt.date(2024, 5, 10)
    assert registry.filing_due(level=1, graded_on=dt.date(2024, 3, 1), went_live_on=None) is None
    assert registry.filing_due(level=3, graded_on=None, went_live_on=None) is None


@pytest.mark.parametrize("value", ["3", 3, "3级", "三级", "第三级"])
def test_a_level_is_read_in_the_forms_officials_write(value):
    assert registry.parse_level(value) == 3


@pytest.mark.parametrize("value", ["0", "6", 7, "六级", "abc", True])
def test_a_level_outside_one_to_five_is_refused_in_chinese(value):
    with pytest.raises(registry.FieldError, match="等保级别应为 1–5 级"):
        registry.parse_level(value)


def test_an_impossible_date_is_refused():
    with pytest.raises(registry.FieldError, match="不存在的日期"):
        registry.parse_date("2024-02-30")
    assert registry.parse_date("2024/2/29") == dt.date(2024, 2, 29)
    assert registry.parse_date("2024-02-29 00:00:00") == dt.date(2024, 2, 29)


# --- writes ------------------------------------------------------------------------------------


def test_creating_a_system_stores_its_computed_dates(world):
    system = _system(world, mlps_level=3, graded_on="2024-01-15", went_live_on="2023-09-01")
    assert system.filing_due == dt.date(2024, 2, 14)
    assert system.next_assessment_due == dt.date(2025, 1, 15)
    assert registry.filing_overdue(system, today=dt.date(2024, 2, 15))
    assert not registry.filing_overdue(system, today=dt.date(2024, 2, 14))


def test_filing_clears_the_overdue_flag(world):
    system = _system(world, mlps_level=2, graded_on="2024-01-15")
    system = registry.update_system(
        actor=world.school_admin, system=system, data={"filing_number": "41010099001-24001", "filed_on": "2024-03-01"}
    )
    assert not registry.filing_overdue(system, today=dt.date(2025, 1, 1))
    overdue = registry.systems_for(world.school_admin, overdue="filing", today=dt.date(2025, 1, 1))
    assert system not in overdue


def test_an_assessment_moves_the_next_due_date(world):
    system = _system(world, mlps_level=4, graded_on="2023-01-10")
    registry.add_assessment(actor=world.school_admin, system=system, assessed_on="2024-06-01", conclusion="基本符合")
    system.refresh_from_db()
    assert system.last_assessed_on == dt.date(2024, 6, 1)
    assert system.next_assessment_due == dt.date(2024, 12, 1)
    change = RegistryChange.objects.filter(target_type="system", target_id=system.pk, action="assess").get()
    assert change.changes["next_assessment_due"] == ["2023-07-10", "2024-12-01"]


def test_an_assessment_of_an_ungraded_system_or_in_the_future_is_refused(world):
    system = _system(world)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationFailed) as caught:
        registry.add_assessment(actor=world.school_admin, system=system, assessed_on=tomorrow, conclusion="优秀")
    reasons = {d["field"]: d["reason"] for d in caught.value.details}
    assert (
        "尚未定级" in reasons["system"] and "晚于今天" in reasons["assessed_on"] and "测评结论" in reasons["conclusion"]
    )
    assert not system.assessments.exists()


def test_every_change_is_kept_with_before_and_after_and_audited(world):
    system = _system(world, responsible_name="张老师", responsible_phone="13812341234")
    registry.update_system(
        actor=world.school_admin, system=system, data={"responsible_name": "李老师", "mlps_level": "二级"}
    )
    changes = list(RegistryChange.objects.filter(target_type="system", target_id=system.pk).order_by("pk"))
    assert [c.action for c in changes] == ["create", "update"]
    assert changes[0].changes["responsible_phone"] == [None, "138****1234"]  # never the plain phone
    assert changes[1].changes == {"responsible_name": ["张老师", "李老师"], "mlps_level": [None, 2]}
    assert changes[1].actor == world.school_admin
    event = AuditEvent.objects.filter(action="secops.system.update", object_id=str(system.pk)).get()
    assert event.after == {"responsible_name": "李老师", "mlps_level": 2}
    assert "13812341234" not in str(AuditEvent.objects.filter(object_id=str(system.pk)).values_list("after"))


def test_the_phone_is_stored_encrypted_and_shown_masked(world):
    system = _system(world, responsible_phone="0371-12345678")
    stored = InformationSystem.objects.filter(pk=system.pk).values_list("responsible_phone", flat=True).get()
    assert "12345678" not in str(stored)
    assert InformationSystem.objects.get(pk=system.pk).responsible_phone == "0371-12345678"
    assert system.responsible_phone_masked == "0371****5678"


def test_bad_input_changes_nothing(world):
    system = _system(world, mlps_level=2)
    with pytest.raises(ValidationFailed) as caught:
        registry.update_system(
            actor=world.school_admin,
            system=system,
            data={"responsible_name": "王老师", "mlps_level": 6, "graded_on": "2024-13-01"},
        )
    fields = {d["field"] for d in caught.value.details}
    assert fields == {"mlps_level", "graded_on"}
    system.refresh_from_db()
    assert system.responsible_name == "" and system.mlps_level == 2
    assert RegistryChange.objects.filter(target_id=system.pk, action="update").count() == 0


def test_filing_before_grading_is_refused(world):
    with pytest.raises(ValidationFailed, match="备案日期不能早于定级日期"):
        _system(world, mlps_level=2, graded_on="2024-05-01", filing_number="X-1", filed_on="2024-04-01")


def test_a_system_name_is_unique_within_its_org(world):
    _system(world)
    with pytest.raises(ValidationFailed, match="已有名为"):
        _system(world)
    _system(world, org=world.school_b)  # another school may use the name


def test_decommissioning_a_system_takes_its_parts_down(world):
    system = _system(world)
    asset = registry.create_asset(
        actor=world.school_admin, org=world.school_a, system=system, data={"kind": "域名", "domain": "WWW.ZY1.EDU.CN"}
    )
    assert asset.domain == "www.zy1.edu.cn" and asset.name == "www.zy1.edu.cn"
    registry.decommission_system(actor=world.school_admin, system=system)
    asset.refresh_from_db()
    system.refresh_from_db()
    assert system.status == asset.status == "decommissioned"
    assert system.decommissioned_at is not None and asset.decommissioned_at == system.decommissioned_at


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "domain", "domain": "not a domain"}, "domain"),
        ({"kind": "ip", "ip": "10.0.0.300"}, "ip"),
        ({"kind": "ip_range", "ip_range": "10.0.0.9-10.0.0.1"}, "ip_range"),
        ({"kind": "路由器", "name": "核心路由"}, "kind"),
        ({"kind": "ip"}, "ip"),
    ],
)
def test_bad_asset_values_are_refused_naming_the_field(world, data, field):
    with pytest.raises(ValidationFailed) as caught:
        registry.create_asset(actor=world.school_admin, org=world.school_a, data=data)
    assert field in {d["field"] for d in caught.value.details}
    assert not Asset.objects.exists()


def test_an_ip_is_registered_once_per_org(world):
    registry.create_asset(actor=world.school_admin, org=world.school_a, data={"kind": "ip", "ip": "10.1.1.1"})
    with pytest.raises(ValidationFailed, match="已登记 IP 地址"):
        registry.create_asset(actor=world.school_admin, org=world.school_a, data={"kind": "server", "ip": "10.1.1.1"})


# --- scope -------------------------------------------------------------------------------------


def test_a_school_sees_only_its_own_systems(world):
    own, other_school, other_city = _system(world), _system(world, org=world.school_b), _system(world, world.school_c)
    assert list(registry.systems_for(world.school_admin)) == [own]
    assert set(registry.systems_for(world.city_admin)) == {own, other_school}
    assert set(registry.systems_for(world.province_admin)) == {own, other_school, other_city}
    with pytest.raises(NotFound):
        registry.get_system(world.city_admin, pk=other_city.pk)
    assert not registry.systems_for(world.teacher).exists()


def test_a_school_cannot_register_for_another_school(world):
    with pytest.raises(PermissionDenied):
        registry.create_system(actor=world.school_admin, org=world.school_b, data={"name": "越权系统"})
    with pytest.raises(NotFound):
        registry.org_for(world.school_admin, pk=world.school_b.pk)


def test_a_security_officer_maintains_the_registry_of_their_city(world):
    officer = make_user("zz_secops", role="security_officer", org=world.zhengzhou)
    system = registry.create_system(actor=officer, org=world.school_b, data={"name": "一卡通系统"})
    assert registry.get_system(officer, pk=system.pk) == system
    with pytest.raises(PermissionDenied):
        registry.create_system(actor=officer, org=world.school_c, data={"name": "一卡通系统"})


# --- bulk edit ---------------------------------------------------------------------------------


def test_bulk_edit_sets_status_on_every_listed_system(world):
    a1, a2 = _system(world), _system(world, name="门户网站")
    result = registry.bulk_edit(
        actor=world.county_admin, target="system", ids=[a1.pk, a2.pk], status="停用", responsible_name="赵主任"
    )
    assert result.changed == 2
    assert set(InformationSystem.objects.values_list("status", "responsible_name")) == {("offline", "赵主任")}


def test_bulk_edit_with_one_object_out_of_scope_changes_nothing(world):
    own, other = _system(world), _system(world, org=world.school_c)
    with pytest.raises(NotFound) as caught:
        registry.bulk_edit(actor=world.city_admin, target="system", ids=[own.pk, other.pk], status="offline")
    assert str(other.pk) in caught.value.message
    own.refresh_from_db()
    assert own.status == "online"


def test_bulk_edit_moves_assets_into_a_system_of_their_org(world):
    system = _system(world)
    ips = [
        registry.create_asset(actor=world.school_admin, org=world.school_a, data={"kind": "ip", "ip": f"10.0.0.{i}"})
        for i in (1, 2)
    ]
    registry.bulk_edit(actor=world.school_admin, target="asset", ids=[a.pk for a in ips], system_id=system.pk)
    assert system.assets.count() == 2
    foreign = _system(world, org=world.school_b)
    with pytest.raises(ValidationFailed, match="不属于同一单位"):
        registry.bulk_edit(actor=world.city_admin, target="asset", ids=[ips[0].pk], system_id=foreign.pk)


def test_bulk_edit_with_a_bad_status_changes_nothing(world):
    system = _system(world)
    with pytest.raises(ValidationFailed, match="无法识别的状态"):
        registry.bulk_edit(actor=world.school_admin, target="system", ids=[system.pk], status="archived")


# --- zombies and compliance --------------------------------------------------------------------


def test_zombies_are_unregistered_assets_and_decommissioned_ones_still_seen(world):
    system = _system(world)
    quiet = registry.create_asset(actor=world.school_admin, org=world.school_a, data={"kind": "ip", "ip": "10.0.0.1"})
    loud = registry.create_asset(
        actor=world.school_admin, org=world.school_a, system=system, data={"kind": "ip", "ip": "10.0.0.2"}
    )
    registry.decommission_asset(actor=world.school_admin, asset=quiet)
    registry.decommission_system(actor=world.school_admin, system=system)
    later = timezone.now() + dt.timedelta(hours=1)
    registry.note_seen(org=world.school_a, host="10.0.0.2", seen_at=later)
    unknown = registry.note_seen(org=world.school_a, host="old.zy1.edu.cn", seen_at=later)
    registry.note_seen(org=world.school_c, host="ly.example.edu.cn", seen_at=later)
    assert unknown.registered is False
    assert set(registry.zombies(world.school_admin)) == {loud, unknown}
    system.refresh_from_db()
    InformationSystem.objects.filter(pk=system.pk).update(last_seen_at=later)
    assert list(registry.zombie_systems(world.school_admin)) == [system]
    assert not registry.zombie_systems(world.school_admin).exclude(pk=system.pk).exists()


def test_compliance_is_counted_per_city_and_per_county(world):
    today = dt.date(2025, 6, 1)
    _system(world, name="已备案", mlps_level=3, graded_on="2024-08-01", filing_number="A", filed_on="2024-08-20")
    _system(world, name="未备案超期", mlps_level=2, graded_on="2024-01-01")
    _system(
        world,
        world.school_b,
        name="测评超期",
        mlps_level=3,
        graded_on="2023-01-01",
        filing_number="B",
        filed_on="2023-01-05",
    )
    _system(world, world.school_c, name="洛阳", mlps_level=2, graded_on="2025-05-20")
    _system(world, world.school_c, name="一级不计", mlps_level=1)
    cities = {r["code"]: r for r in registry.compliance_by_region(world.province_admin, level="city", today=today)}
    assert set(cities) == {"410100", "410300"}
    zz = cities["410100"]
    assert (zz["systems"], zz["filed"], zz["filing_overdue"], zz["filing_rate"]) == (3, 2, 1, 0.6667)
    assert (zz["assessment_due"], zz["assessment_overdue"], zz["assessment_rate"]) == (2, 1, 0.5)
    assert cities["410300"]["filing_overdue"] == 0 and cities["410300"]["assessment_rate"] is None
    counties = registry.compliance_by_region(world.city_admin, level="county", today=today)
    assert [(r["name"], r["systems"]) for r in counties] == [("中原区", 2), ("金水区", 1)]
    with pytest.raises(ValidationFailed):
        registry.compliance_by_region(world.city_admin, level="school")


def test_searching_an_address_finds_that_asset_exactly_and_text_finds_names_and_domains(world):
    admin = world.school_admin
    registry.create_asset(
        actor=admin, org=world.school_a, data={"kind": "server", "name": "教务服务器", "ip": "10.1.2.3"}
    )
    registry.create_asset(
        actor=admin, org=world.school_a, data={"kind": "server", "name": "备份 10.1.2.30", "ip": "10.1.2.30"}
    )
    registry.create_asset(
        actor=admin, org=world.school_a, data={"kind": "domain", "name": "门户", "domain": "www.a.edu.cn"}
    )
    assert [a.name for a in registry.assets_for(admin, q="10.1.2.3")] == ["教务服务器"]
    assert {a.name for a in registry.assets_for(admin, q="服务器")} == {"教务服务器"}
    assert [a.name for a in registry.assets_for(admin, q="A.EDU")] == ["门户"]
    assert [a.name for a in registry.assets_for(world.city_admin, q="10.1.2.30")] == ["备份 10.1.2.30"]
    assert not registry.assets_for(world.outsider, q="10.1.2.3")  # nothing outside the scope
