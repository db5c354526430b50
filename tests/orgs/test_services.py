"""Writing the org tree: code issue (一校一码), rename, move, category change, close; scope; audit."""

import pytest
from django.db import IntegrityError

from edubase.core.errors import PermissionDenied, ValidationFailed
from edubase.core.models import AuditEvent
from edubase.orgs import services
from edubase.orgs.models import Org, OrgHistory, OrgStatus, SchoolCode

pytestmark = pytest.mark.django_db


def test_a_new_school_gets_the_next_code_of_its_category_in_henan(world):
    school = services.create_school(
        actor=world.city_admin, parent=world.zhongyuan, name="中原区第二小学", category="21"
    )
    assert school.code == "2141000004"  # 2141000001 and 2141000003 are taken, 000002 belongs to category 31
    assert school.region_code == "410102" and school.school_category == "21"
    assert SchoolCode.objects.get(code=school.code).org == school
    assert school.path.startswith(world.zhongyuan.path) and school.depth == world.zhongyuan.depth + 1


def test_the_sequence_is_counted_per_category(world):
    kindergarten = services.create_school(
        actor=world.city_admin, parent=world.jinshui, name="金水区幼儿园", category="11"
    )
    assert kindergarten.code == "1141000001"


def test_creating_a_school_is_audited_and_starts_its_history(world):
    school = services.create_school(
        actor=world.county_admin, parent=world.zhongyuan, name="中原区实验幼儿园", category="11"
    )
    event = AuditEvent.objects.get(action="orgs.school.create")
    assert event.actor == world.county_admin and event.object_id == str(school.pk)
    assert event.before is None and event.after["code"] == school.code and event.org_path == school.path
    period = OrgHistory.objects.get(org=school)
    assert period.change == "created" and period.valid_to is None and period.parent == world.zhongyuan


def test_a_code_is_never_reused_even_after_a_category_change(world):
    school = services.create_school(
        actor=world.city_admin, parent=world.zhongyuan, name="中原区第三小学", category="21"
    )
    old_code = school.code
    school = services.change_school_category(actor=world.city_admin, school=school, category="31")
    assert school.code.startswith("3141") and school.code != old_code
    retired = SchoolCode.objects.get(code=old_code)
    assert retired.retired_at is not None and retired.successor_id == school.code and retired.org == school
    another = services.create_school(
        actor=world.city_admin, parent=world.zhongyuan, name="中原区第四小学", category="21"
    )
    assert another.code != old_code and int(another.code[4:]) > int(old_code[4:])


def test_a_code_retired_at_the_top_of_the_sequence_is_still_never_reissued(world):
    school = services.create_school(actor=world.city_admin, parent=world.jinshui, name="金水区第二小学", category="21")
    top = school.code
    services.change_school_category(actor=world.city_admin, school=school, category="34")
    assert not Org.objects.filter(code=top).exists()
    again = services.create_school(actor=world.city_admin, parent=world.jinshui, name="金水区第三小学", category="21")
    assert again.code > top


def test_a_given_code_that_was_ever_issued_is_refused(world):
    school = services.create_school(
        actor=world.city_admin, parent=world.zhongyuan, name="中原区第五小学", category="21"
    )
    old = school.code
    services.change_school_category(actor=world.city_admin, school=school, category="31")
    with pytest.raises(ValidationFailed, match="已停用"):
        services.create_school(actor=world.city_admin, parent=world.zhongyuan, name="别的学校", category="21", code=old)
    with pytest.raises(ValidationFailed, match="已被"):
        services.create_school(
            actor=world.city_admin, parent=world.zhongyuan, name="别的学校", category="21", code="2141000001"
        )


def test_a_given_code_must_match_the_category_and_the_province(world):
    with pytest.raises(ValidationFailed, match="类别"):
        services.create_school(
            actor=world.city_admin, parent=world.zhongyuan, name="某校", category="21", code="3141000099"
        )
    with pytest.raises(ValidationFailed, match="省代码"):
        services.create_school(
            actor=world.city_admin, parent=world.zhongyuan, name="某校", category="21", code="2111000099"
        )


def test_allocation_retries_when_a_concurrent_writer_took_the_number(world, monkeypatch):
    real = services._next_sequence
    calls = []

    def stale(prefix):
        calls.append(prefix)
        return 1 if len(calls) == 1 else real(prefix)  # first answer is stale: 2141000001 is taken

    monkeypatch.setattr(services, "_next_sequence", stale)
    school = services.create_school(actor=world.city_admin, parent=world.zhongyuan, name="并发小学", category="21")
    assert school.code == "2141000004" and len(calls) == 2


def test_schoolcode_primary_key_is_what_stops_a_double_issue(world):
    with pytest.raises(IntegrityError):
        SchoolCode.objects.create(code="2141000001", org=world.school_b, category="21")


def test_rename_keeps_the_code_and_the_old_name_in_the_history(world):
    school = services.rename_org(actor=world.county_admin, org=world.school_a, name="郑州市中原区实验小学")
    assert school.code == "2141000001"
    periods = list(OrgHistory.objects.filter(org=school).order_by("valid_from", "pk"))
    assert [(p.name, p.change) for p in periods] == [
        ("郑州市中原区第一小学", "created"),
        ("郑州市中原区实验小学", "renamed"),
    ]
    assert periods[0].valid_to == periods[1].valid_from and periods[1].valid_to is None
    event = AuditEvent.objects.get(action="orgs.org.rename")
    assert event.before["name"] == "郑州市中原区第一小学" and event.after["name"] == "郑州市中原区实验小学"


def test_renaming_to_the_same_name_writes_nothing(world):
    services.rename_org(actor=world.county_admin, org=world.school_a, name="郑州市中原区第一小学")
    assert not AuditEvent.objects.exists() and not OrgHistory.objects.exists()


def test_a_school_name_is_unique_among_its_siblings(world):
    services.create_school(actor=world.county_admin, parent=world.zhongyuan, name="中原区第六小学", category="21")
    with pytest.raises(ValidationFailed, match="同名"):
        services.rename_org(actor=world.county_admin, org=world.school_a, name="中原区第六小学")
    with pytest.raises(ValidationFailed, match="同名"):
        services.create_school(actor=world.county_admin, parent=world.zhongyuan, name="中原区第六小学", category="31")


def test_move_changes_the_parent_and_keeps_the_old_parent_in_the_history(world):
    old_path = world.school_a.path
    school = services.move_org(actor=world.city_admin, org=world.school_a, new_parent=world.jinshui)
    assert school.path.startswith(world.jinshui.path) and school.region_code == "410105"
    assert school.code == "2141000001"
    periods = list(OrgHistory.objects.filter(org=school).order_by("valid_from", "pk"))
    assert [(p.parent_id, p.change) for p in periods] == [(world.zhongyuan.pk, "created"), (world.jinshui.pk, "moved")]
    assert Org.objects.get(pk=world.zhongyuan.pk).numchild == 0
    assert AuditEvent.objects.get(action="orgs.org.move").before["path"] == old_path


def test_an_org_cannot_be_moved_below_itself_or_below_a_school(world):
    with pytest.raises(ValidationFailed):
        services.move_org(actor=world.province_admin, org=world.zhengzhou, new_parent=world.zhongyuan)
    with pytest.raises(ValidationFailed, match="学校下不能再设学校"):
        services.move_org(actor=world.province_admin, org=world.school_a, new_parent=world.school_b)


def test_category_change_keeps_siblings_in_code_order_and_records_the_new_code(world):
    for name in ("中原区甲小学", "中原区乙小学"):
        services.create_school(actor=world.city_admin, parent=world.zhongyuan, name=name, category="21")
    school = services.change_school_category(actor=world.city_admin, school=world.school_a, category="11")
    children = list(Org.objects.filter(path__startswith=world.zhongyuan.path, depth=4).order_by("path"))
    assert [c.code for c in children] == sorted(c.code for c in children) and children[0] == school
    periods = list(OrgHistory.objects.filter(org=school).order_by("valid_from", "pk"))
    assert [(p.code, p.change) for p in periods] == [("2141000001", "created"), (school.code, "recoded")]
    event = AuditEvent.objects.get(action="orgs.school.change_category")
    assert event.before["code"] == "2141000001" and event.after["code"] == school.code


def test_unknown_category_is_refused(world):
    with pytest.raises(ValidationFailed, match="学校类别码"):
        services.change_school_category(actor=world.city_admin, school=world.school_a, category="99")


def test_close_sets_the_status_and_keeps_the_code_issued(world):
    school = services.close_org(actor=world.county_admin, org=world.school_a)
    assert school.status == OrgStatus.CLOSED
    assert SchoolCode.objects.filter(code="2141000001", retired_at__isnull=True).exists()
    with pytest.raises(ValidationFailed, match="已经撤销"):
        services.close_org(actor=world.county_admin, org=school)


def test_a_county_with_open_schools_cannot_be_closed(world):
    with pytest.raises(ValidationFailed, match="未撤销"):
        services.close_org(actor=world.city_admin, org=world.zhongyuan)


# --- scope ----------------------------------------------------------------------------------


def test_city_admin_cannot_create_a_school_in_another_city(world):
    with pytest.raises(PermissionDenied):
        services.create_school(actor=world.city_admin, parent=world.laocheng, name="老城区新学校", category="21")
    assert not Org.objects.filter(name="老城区新学校").exists()


@pytest.mark.parametrize("persona", ["school_admin", "teacher", "student", "outsider"])
def test_personas_without_orgs_change_are_refused(world, persona):
    actor = getattr(world, persona)
    with pytest.raises(PermissionDenied):
        services.create_school(actor=actor, parent=world.zhongyuan, name="无权新建", category="21")
    with pytest.raises(PermissionDenied):
        services.rename_org(actor=actor, org=world.school_a, name="无权更名")
    with pytest.raises(PermissionDenied):
        services.change_school_category(actor=actor, school=world.school_a, category="31")
    with pytest.raises(PermissionDenied):
        services.close_org(actor=actor, org=world.school_a)


def test_county_admin_cannot_touch_a_school_of_the_neighbouring_county(world):
    with pytest.raises(PermissionDenied):
        services.rename_org(actor=world.county_admin, org=world.school_b, name="越权更名")


def test_moving_needs_orgs_change_at_both_ends(world):
    with pytest.raises(PermissionDenied):
        services.move_org(actor=world.county_admin, org=world.school_a, new_parent=world.jinshui)
    with pytest.raises(PermissionDenied):
        services.move_org(actor=world.city_admin, org=world.school_a, new_parent=world.laocheng)
    assert Org.objects.get(pk=world.school_a.pk).path == world.school_a.path
