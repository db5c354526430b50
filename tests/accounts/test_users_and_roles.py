"""Creating users and granting roles: only where the actor manages, never more than it holds."""

from __future__ import annotations

import pytest

from edubase.accounts.models import Role, RoleAssignment, User
from edubase.accounts.selectors import assignments_for, get_user, users_for
from edubase.accounts.services import assign_role, create_user, create_user_with_role, revoke_assignment
from edubase.core.errors import NotFound, PermissionDenied, ValidationFailed
from edubase.core.models import AuditEvent

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Henan-school-2026"


def role(code: str) -> Role:
    return Role.objects.get(code=code)


def test_a_school_admin_creates_a_teacher_account_for_its_school(world):
    user, assignment = create_user_with_role(
        actor=world.school_admin,
        username="teacher_zhang",
        password=GOOD_PASSWORD,
        display_name="张老师",
        role=role("teacher"),
        org=world.school_a,
    )
    assert user.check_password(GOOD_PASSWORD)
    assert assignment.org == world.school_a and assignment.role.code == "teacher"
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["accounts.user.create", "accounts.assignment.create"]


def test_the_audit_of_a_new_user_holds_no_password(world):
    create_user(actor=world.school_admin, username="teacher_zhang", password=GOOD_PASSWORD)
    event = AuditEvent.objects.get(action="accounts.user.create")
    assert GOOD_PASSWORD not in str(event.after) and "password" not in event.after


def test_a_school_admin_cannot_create_accounts_at_another_school(world):
    with pytest.raises(PermissionDenied):
        create_user_with_role(
            actor=world.school_admin,
            username="intruder",
            password=GOOD_PASSWORD,
            role=role("teacher"),
            org=world.school_b,
        )
    assert not User.objects.filter(username="intruder").exists()


def test_a_teacher_cannot_create_accounts(world):
    with pytest.raises(PermissionDenied):
        create_user(actor=world.teacher, username="x_user", password=GOOD_PASSWORD)


def test_a_weak_password_is_refused_with_chinese_reasons(world):
    with pytest.raises(ValidationFailed) as exc:
        create_user(actor=world.school_admin, username="teacher_zhang", password="12345678")
    assert exc.value.message.startswith("密码不符合要求")
    assert any("密码" in reason for reason in exc.value.details["password"])


def test_a_username_in_use_is_refused(world):
    with pytest.raises(ValidationFailed, match="已被使用"):
        create_user(actor=world.school_admin, username="teacher_wang", password=GOOD_PASSWORD)


def test_a_malformed_username_is_refused(world):
    with pytest.raises(ValidationFailed, match="用户名只能包含"):
        create_user(actor=world.school_admin, username="张 三", password=GOOD_PASSWORD)


def test_a_school_admin_cannot_grant_a_role_stronger_than_its_own(world):
    # county_admin carries orgs.change and audit.view, which a school admin does not hold
    with pytest.raises(PermissionDenied) as exc:
        assign_role(actor=world.school_admin, user=world.teacher, role=role("county_admin"), org=world.school_a)
    assert "audit.view" in exc.value.details["missing_permissions"]
    assert "查看审计日志" in exc.value.message


def test_a_city_admin_cannot_grant_people_reveal_which_it_does_not_hold(world):
    with pytest.raises(PermissionDenied):
        assign_role(actor=world.city_admin, user=world.teacher, role=role("data_officer"), org=world.school_a)


def test_a_school_admin_cannot_escalate_itself(world):
    with pytest.raises(PermissionDenied):
        assign_role(actor=world.school_admin, user=world.school_admin, role=role("county_admin"), org=world.school_a)
    assert not RoleAssignment.objects.filter(user=world.school_admin, role__code="county_admin").exists()


def test_a_province_admin_may_grant_any_role(world):
    assignment = assign_role(
        actor=world.province_admin, user=world.teacher, role=role("data_officer"), org=world.school_a
    )
    assert assignment.pk is not None


def test_a_role_is_granted_only_once_per_org(world):
    with pytest.raises(ValidationFailed, match="已在"):
        assign_role(actor=world.school_admin, user=world.teacher, role=role("teacher"), org=world.school_a)


def test_a_county_admin_grants_a_role_on_a_school_below_it(world):
    assign_role(actor=world.county_admin, user=world.teacher, role=role("school_admin"), org=world.school_a)
    assert RoleAssignment.objects.filter(user=world.teacher, role__code="school_admin").exists()
    event = AuditEvent.objects.get(action="accounts.assignment.create")
    assert event.org_path == world.school_a.path and event.after["role"] == "school_admin"


def test_a_county_admin_cannot_grant_on_another_county(world):
    with pytest.raises(PermissionDenied):
        assign_role(actor=world.county_admin, user=world.teacher, role=role("teacher"), org=world.school_b)


def test_a_school_admin_revokes_a_teacher_role_at_its_school(world):
    assignment = RoleAssignment.objects.get(user=world.teacher)
    pk = assignment.pk
    revoke_assignment(actor=world.school_admin, assignment=assignment)
    assert not RoleAssignment.objects.filter(pk=pk).exists()
    event = AuditEvent.objects.get(action="accounts.assignment.revoke")
    assert event.before["role"] == "teacher" and event.object_id == str(pk)


def test_a_school_admin_cannot_revoke_a_role_it_could_not_grant(world):
    stronger = RoleAssignment.objects.create(user=world.teacher, role=role("county_admin"), org=world.school_a)
    with pytest.raises(PermissionDenied):
        revoke_assignment(actor=world.school_admin, assignment=stronger)


def test_a_teacher_cannot_revoke_roles(world):
    with pytest.raises(PermissionDenied):
        revoke_assignment(actor=world.teacher, assignment=RoleAssignment.objects.get(user=world.student))


def test_users_for_a_school_admin_are_its_school_users_only(world):
    names = set(users_for(world.school_admin).values_list("username", flat=True))
    assert names == {"school_a_admin", "teacher_wang", "student_li"}


def test_users_for_a_city_admin_exclude_the_province_and_the_unassigned(world):
    names = set(users_for(world.city_admin).values_list("username", flat=True))
    assert "province_admin" not in names and "outsider" not in names
    assert {"zz_city_admin", "zy_county_admin", "school_a_admin"} <= names


def test_users_for_an_outsider_is_empty(world):
    assert not users_for(world.outsider).exists()


def test_a_user_out_of_scope_is_not_found(world):
    with pytest.raises(NotFound):
        get_user(world.school_admin, pk=world.city_admin.pk)


def test_assignments_for_show_only_orgs_in_scope(world):
    RoleAssignment.objects.create(user=world.teacher, role=role("teacher"), org=world.school_c)
    orgs = {a.org for a in assignments_for(world.school_admin, user=world.teacher)}
    assert orgs == {world.school_a}
