"""Users and roles: the scoped user list, the user page, granting and withdrawing roles."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from edubase.accounts.models import Role, RoleAssignment
from edubase.core.models import AuditEvent
from tests.console.conftest import text

pytestmark = pytest.mark.django_db


def usernames(body: str) -> list[str]:
    if 'id="user-table"' not in body:
        return []
    return re.findall(r'<a href="/users/[0-9]+/">([^<]+)</a>', body[body.index('id="user-table"') :])


def test_the_school_admin_lists_the_users_of_its_school(signed_in, world):
    assert usernames(text(signed_in(world.school_admin).get("/users/"))) == [
        "school_a_admin",
        "student_li",
        "teacher_wang",
    ]


def test_the_user_list_can_be_searched(signed_in, world):
    assert usernames(text(signed_in(world.province_admin).get("/users/", {"q": "admin"}))) == [
        "province_admin",
        "school_a_admin",
        "zy_county_admin",
        "zz_city_admin",
    ]


def test_the_user_page_shows_the_assignments(signed_in, world):
    body = text(signed_in(world.county_admin).get(f"/users/{world.teacher.pk}/"))
    assert "teacher_wang" in body and "教师" in body and "郑州市中原区第一小学" in body
    assert 'id="assign-form"' in body


def test_a_user_out_of_scope_is_not_found(signed_in, world):
    assert signed_in(world.school_admin).get(f"/users/{world.city_admin.pk}/").status_code == 404


def test_granting_a_role_by_org_code(signed_in, world):
    reviewer = Role.objects.get(code="reviewer")
    response = signed_in(world.county_admin).post(
        f"/users/{world.teacher.pk}/assign/", {"role": reviewer.pk, "org_code": "2141000001"}
    )
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(user=world.teacher, role=reviewer, org=world.school_a).exists()
    assert AuditEvent.objects.filter(action="accounts.assignment.create").exists()


def test_granting_on_an_org_out_of_scope_is_refused_in_chinese(signed_in, world):
    reviewer = Role.objects.get(code="reviewer")
    response = signed_in(world.county_admin).post(
        f"/users/{world.teacher.pk}/assign/", {"role": reviewer.pk, "org_code": "2141000003"}
    )
    assert response.status_code == 404
    assert "机构代码「2141000003」不存在或不在您的管辖范围内" in text(response)
    assert not RoleAssignment.objects.filter(user=world.teacher, role=reviewer).exists()


def test_granting_a_role_the_actor_does_not_hold_is_refused_with_the_services_message(signed_in, world):
    officer = Role.objects.get(code="data_officer")
    response = signed_in(world.county_admin).post(
        f"/users/{world.teacher.pk}/assign/", {"role": officer.pk, "org_code": "2141000001"}
    )
    assert (
        response.status_code == 403
        and "不能授予角色" in text(response)
        and 'class="alert alert-danger"' in text(response)
    )


def test_a_missing_role_is_asked_for(signed_in, world):
    response = signed_in(world.county_admin).post(f"/users/{world.teacher.pk}/assign/", {"org_code": "2141000001"})
    assert response.status_code == 422 and "请选择角色" in text(response)


def test_a_teacher_cannot_grant_roles(signed_in, world):
    reviewer = Role.objects.get(code="reviewer")
    response = signed_in(world.teacher).post(
        f"/users/{world.student.pk}/assign/", {"role": reviewer.pk, "org_code": "2141000001"}
    )
    assert response.status_code == 403


def test_withdrawing_an_assignment(signed_in, world):
    assignment = RoleAssignment.objects.get(user=world.teacher)
    response = signed_in(world.county_admin).post(f"/users/{world.teacher.pk}/assignments/{assignment.pk}/revoke/")
    assert response.status_code == 302
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_withdrawing_an_assignment_out_of_scope_is_not_found(signed_in, world):
    assignment = RoleAssignment.objects.get(user=world.city_admin)
    response = signed_in(world.county_admin).post(f"/users/{world.city_admin.pk}/assignments/{assignment.pk}/revoke/")
    assert response.status_code == 404 and RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_the_roles_page_lists_roles_with_permission_labels(signed_in, world):
    body = text(signed_in(world.school_admin).get("/roles/"))
    assert "省级管理员" in body and "审计员" in body and "查看审计日志" in body and "查看完整证件号码与手机号码" in body


def test_the_roles_page_is_refused_to_a_teacher(signed_in, world):
    assert signed_in(world.teacher).get("/roles/").status_code == 403


def test_a_locked_user_can_be_unlocked_by_a_manager(signed_in, world):
    world.teacher.locked_until = timezone.now() + dt.timedelta(minutes=10)
    world.teacher.save(update_fields=["locked_until"])
    client = signed_in(world.county_admin)
    assert "解除登录锁定" in text(client.get(f"/users/{world.teacher.pk}/"))
    response = client.post(f"/users/{world.teacher.pk}/unlock/")
    assert response.status_code == 302
    world.teacher.refresh_from_db()
    assert world.teacher.locked_until is None
    assert AuditEvent.objects.filter(action="accounts.unlock").exists()


def test_a_viewer_without_manage_sees_no_grant_form(signed_in, world):
    from edubase.accounts.models import Role as RoleModel
    from tests.factories import make_user

    auditor_like = make_user("viewer")
    viewer_role = RoleModel.objects.create(code="viewer", name="只读账号", permissions=["accounts.view"])
    RoleAssignment.objects.create(user=auditor_like, role=viewer_role, org=world.zhongyuan)
    body = text(signed_in(auditor_like).get(f"/users/{world.teacher.pk}/"))
    assert 'id="assign-form"' not in body and "撤销" not in body
