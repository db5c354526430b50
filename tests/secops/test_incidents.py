"""Incidents and drills: reporting deadlines with a controllable clock, escalation exactly once,
state transitions, evidence, playbook tasks, scope and bad input."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from typing import Any

import pytest
from django.db import connections
from django.test import override_settings

from edubase.core.errors import NotFound, PermissionDenied, ValidationFailed
from edubase.core.models import AuditEvent
from edubase.secops import incidents
from edubase.secops.models import (
    Asset,
    AssetKind,
    Incident,
    IncidentAction,
    IncidentEvidence,
    IncidentGrade,
    IncidentState,
    IncidentTask,
    InformationSystem,
)
from edubase.services.files import MaterialRejected
from tests.conftest import ON_POSTGRES
from tests.factories import World, make_user

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)


def hours(n: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=n)


def register(world: World, **overrides: Any) -> Incident:
    values: dict[str, Any] = {
        "actor": world.school_admin,
        "org": world.school_a,
        "title": "学校门户网站首页被篡改",
        "grade": IncidentGrade.GENERAL,
        "category": "attack",
        "discovered_at": T0,
        "report_now": False,
        "now": T0,
    }
    values.update(overrides)
    return incidents.create_incident(**values)


def luoyang_incident(world: World) -> Incident:
    officer = make_user("ly_officer", role="security_officer", org=world.luoyang)
    return register(world, actor=officer, org=world.school_c, title="洛阳学校勒索病毒")


# --- deadlines -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("grade", "cii", "allowed"),
    [
        (IncidentGrade.ESPECIALLY_MAJOR, False, 2),
        (IncidentGrade.MAJOR, False, 2),
        (IncidentGrade.RELATIVELY_MAJOR, False, 4),
        (IncidentGrade.GENERAL, False, 4),
        (IncidentGrade.GENERAL, True, 1),
        (IncidentGrade.MAJOR, True, 1),
    ],
)
def test_the_report_deadline_runs_from_discovery_by_grade_and_cii(world, grade, cii, allowed):
    incident = register(world, grade=grade, cii=cii)
    assert incident.report_deadline == hours(allowed)


def test_a_cii_system_among_the_affected_makes_the_deadline_one_hour(world):
    system = InformationSystem.objects.create(
        org=world.school_a, org_path=world.school_a.path, name="招生系统", mlps_level=3, cii=True
    )
    incident = register(world, system_ids=[system.pk])
    assert incident.cii is True
    assert incident.report_deadline == hours(1)


@override_settings(SECOPS_INCIDENT_REPORT_HOURS={"general": 8, "cii": 0.5})
def test_the_deadlines_are_configurable(world):
    assert register(world).report_deadline == hours(8)
    assert register(world, title="关基事件", cii=True).report_deadline == hours(0.5)


def test_the_countdown_shows_time_left_then_time_over(world):
    incident = register(world)
    before = incidents.countdown(incident, now=hours(2.5))
    assert before.running and before.seconds == 90 * 60 and before.text == "剩余 1 小时 30 分钟"
    after = incidents.countdown(incident, now=hours(5))
    assert after.late and after.text == "已超时 1 小时 0 分钟"


def test_a_report_after_the_deadline_is_marked_late(world):
    incident = register(world)
    incidents.report(actor=world.school_admin, incident=incident, now=hours(5))
    incident.refresh_from_db()
    assert incident.state == IncidentState.REPORTED
    assert incident.reported_late is True
    on_time = register(world, title="按时上报的事件")
    incidents.report(actor=world.school_admin, incident=on_time, now=hours(3))
    on_time.refresh_from_db()
    assert on_time.reported_late is False


# --- escalation ------------------------------------------------------------------------------


def test_nothing_escalates_before_the_deadline(world):
    register(world)
    assert incidents.escalate_overdue(now=hours(3.9)) == 0


def test_an_unreported_incident_escalates_to_the_next_level_exactly_once(world):
    incident = register(world)
    assert incidents.escalate_overdue(now=hours(4.5)) == 1
    assert incidents.escalate_overdue(now=hours(5)) == 0
    assert incidents.escalate_overdue(now=hours(50)) == 0
    incident.refresh_from_db()
    assert incident.escalated_to == world.zhongyuan  # the county above the school
    assert incident.reported_late is True
    events = IncidentAction.objects.filter(incident=incident, kind="escalated")
    assert events.count() == 1 and "中原区" in events.get().text
    assert AuditEvent.objects.filter(action="secops.incident.escalate", object_id=str(incident.pk)).count() == 1


def test_a_late_report_escalates_once_and_an_on_time_one_never(world):
    late = register(world, title="迟报事件")
    incidents.report(actor=world.school_admin, incident=late, now=hours(6))
    on_time = register(world, title="按时事件")
    incidents.report(actor=world.school_admin, incident=on_time, now=hours(1))
    assert incidents.escalate_overdue(now=hours(7)) == 1
    late.refresh_from_db()
    on_time.refresh_from_db()
    assert late.escalated_at is not None and on_time.escalated_at is None


def test_drills_are_never_escalated(world):
    register(world, is_exercise=True, scenario="模拟勒索病毒感染教务服务器")
    assert incidents.escalate_overdue(now=hours(10)) == 0


@pytest.mark.postgres
@pytest.mark.skipif(
    not ON_POSTGRES,
    reason="SKIP LOCKED racing needs PostgreSQL; SQLite serialises writers, so there is no race to test",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_racing_escalate_each_incident_exactly_once(world):
    for n in range(12):
        register(world, title=f"并发事件 {n}")
    counts: list[int] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            barrier.wait()
            while True:
                done = incidents.escalate_overdue(now=hours(9), limit=3)
                counts.append(done)
                if not done:
                    break
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts) == 12
    assert Incident.objects.filter(escalated_at__isnull=True).count() == 0
    assert IncidentAction.objects.filter(kind="escalated").count() == 12


# --- states ----------------------------------------------------------------------------------


def _walk_to(world: World, incident: Incident, state: str) -> Incident:
    order = [IncidentState.RESPONDING, IncidentState.RECOVERED]
    if incident.state == IncidentState.DISCOVERED:
        incidents.report(actor=world.school_admin, incident=incident, now=hours(1))
    for step in order:
        incident.refresh_from_db()
        if incident.state == state:
            break
        incidents.transition(actor=world.school_admin, incident=incident, to=step, now=hours(2))
    incident.refresh_from_db()
    return incident


def test_an_incident_runs_from_report_to_closure(world):
    incident = _walk_to(world, register(world, playbook="defacement"), IncidentState.RECOVERED)
    assert incident.state == IncidentState.RECOVERED and incident.recovered_at is not None
    incidents.transition(
        actor=world.school_admin,
        incident=incident,
        to=IncidentState.CLOSED,
        post_report="首页于 2 小时内恢复。",
        root_cause="CMS 插件存在文件上传漏洞。",
        lessons="及时升级 CMS，启用网页防篡改。",
        now=hours(30),
    )
    incident.refresh_from_db()
    assert incident.state == IncidentState.CLOSED and incident.closed_at == hours(30)
    kinds = list(incident.actions.values_list("kind", flat=True))
    assert kinds == ["created", "reported", "state", "state", "state"]
    pdf = incidents.post_incident_pdf(incident)
    assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf


def _nothing_written(incident: Incident, before_actions: int, before_audit: int, state: str) -> None:
    incident.refresh_from_db()
    assert incident.state == state
    assert incident.actions.count() == before_actions
    assert AuditEvent.objects.count() == before_audit


def test_a_wrong_transition_is_refused_in_chinese_and_writes_nothing(world):
    incident = register(world, report_now=True)
    actions, events = incident.actions.count(), AuditEvent.objects.count()
    with pytest.raises(incidents.IncidentStateError, match="当前状态为“已上报”，不能变为“已结案”") as refused:
        incidents.transition(
            actor=world.school_admin,
            incident=incident,
            to=IncidentState.CLOSED,
            post_report="x",
            root_cause="y",
            lessons="z",
        )
    assert refused.value.status == 409
    _nothing_written(incident, actions, events, IncidentState.REPORTED)


def test_reporting_twice_is_refused(world):
    incident = register(world, report_now=True)
    with pytest.raises(incidents.IncidentStateError, match="不能重复上报"):
        incidents.report(actor=world.school_admin, incident=incident)


def test_closing_without_the_post_incident_report_is_refused(world):
    incident = _walk_to(world, register(world), IncidentState.RECOVERED)
    actions, events = incident.actions.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationFailed, match="结案必须填写事件总结报告") as refused:
        incidents.transition(actor=world.school_admin, incident=incident, to=IncidentState.CLOSED, root_cause="漏洞")
    assert {d["field"] for d in refused.value.details} == {"事件总结报告", "经验教训"}
    _nothing_written(incident, actions, events, IncidentState.RECOVERED)


def test_an_unknown_target_state_is_refused(world):
    incident = register(world, report_now=True)
    with pytest.raises(ValidationFailed, match="目标状态“finished”无效"):
        incidents.transition(actor=world.school_admin, incident=incident, to="finished")


def test_the_pdf_waits_for_closure(world):
    with pytest.raises(incidents.IncidentStateError, match="结案后"):
        incidents.post_incident_pdf(register(world))


# --- bad input -------------------------------------------------------------------------------


def test_bad_input_names_every_problem_and_writes_nothing(world):
    with pytest.raises(ValidationFailed) as refused:
        register(world, title="", grade="huge", category="alien", playbook="nope", discovered_at=T0, now=hours(-1))
    fields = {d["field"] for d in refused.value.details}
    assert fields == {"事件名称", "事件分级", "事件分类", "发现时间", "处置预案"}
    assert "“huge”不是有效的事件分级（可选：特别重大、重大、较大、一般）" in refused.value.message
    assert Incident.objects.count() == 0 and AuditEvent.objects.filter(action__startswith="secops.").count() == 0


def test_an_asset_of_another_school_cannot_be_named(world):
    other = Asset.objects.create(
        org=world.school_b, org_path=world.school_b.path, kind=AssetKind.DOMAIN, name="金水网站", domain="js.edu.cn"
    )
    with pytest.raises(ValidationFailed, match="不存在或不属于“郑州市中原区第一小学”"):
        register(world, asset_ids=[other.pk])
    assert Incident.objects.count() == 0


def test_a_drill_needs_a_scenario(world):
    with pytest.raises(ValidationFailed, match="演练必须填写演练场景"):
        register(world, is_exercise=True)


def test_a_teacher_cannot_report_an_incident(world):
    with pytest.raises(PermissionDenied):
        register(world, actor=world.teacher)


# --- tasks, actions, evidence, drills --------------------------------------------------------


def test_a_playbook_creates_its_checklist(world):
    incident = register(world, playbook="ransomware")
    titles = list(incident.tasks.values_list("title", flat=True))
    assert titles == list(incidents.PLAYBOOKS["ransomware"][1])
    task = incident.tasks.first()
    assert task is not None
    incidents.update_task(actor=world.school_admin, incident=incident, task_pk=task.pk, done=True, now=hours(1))
    incidents.update_task(actor=world.school_admin, incident=incident, task_pk=task.pk, assignee="zy_county_admin")
    task.refresh_from_db()
    assert task.done and task.done_by == world.school_admin and task.assignee == world.county_admin


def test_a_task_cannot_go_to_someone_without_rights_on_the_school(world):
    incident = register(world, playbook="ddos")
    task = incident.tasks.first()
    assert task is not None
    with pytest.raises(ValidationFailed, match="无权处置"):
        incidents.update_task(actor=world.school_admin, incident=incident, task_pk=task.pk, assignee="teacher_wang")
    added = incidents.add_task(actor=world.school_admin, incident=incident, title="通知运营商")
    assert added.position == len(incidents.PLAYBOOKS["ddos"][1]) + 1


def test_an_action_keeps_its_evidence_with_an_sm3_digest(world):
    incident = register(world)
    data = b"2025-03-03 07:58:01 POST /upload.php 200\n"
    action = incidents.add_action(
        actor=world.school_admin, incident=incident, text="保全访问日志", evidence=[("access.log", data)]
    )
    evidence = action.evidence.get()
    assert evidence.digest_sm3 == hashlib.new("sm3", data).hexdigest()
    assert evidence.kind == "log" and evidence.size == len(data)
    with evidence.file.open("rb") as stored:
        assert stored.read() == data


def test_a_bad_evidence_file_refuses_the_whole_action(world):
    incident = register(world)
    with pytest.raises(MaterialRejected, match=r"“a\.exe”的类型不被接受"):
        incidents.add_action(
            actor=world.school_admin,
            incident=incident,
            text="上传证据",
            evidence=[("ok.txt", b"fine"), ("a.exe", b"MZ")],
        )
    with pytest.raises(MaterialRejected, match=r"内容不是允许的类型"):
        incidents.add_action(
            actor=world.school_admin, incident=incident, text="上传证据", evidence=[("fake.pdf", b"not a pdf")]
        )
    assert IncidentAction.objects.filter(kind="action").count() == 0 and IncidentEvidence.objects.count() == 0


def test_a_drill_is_evaluated_by_a_superior_only(world):
    drill = register(world, is_exercise=True, scenario="模拟数据泄露", report_now=True)
    assert drill.number and drill.number.startswith("YL")
    with pytest.raises(PermissionDenied):
        incidents.evaluate_drill(actor=world.school_admin, incident=drill, score=90, text="好")
    with pytest.raises(ValidationFailed, match="演练评分 120 超出"):
        incidents.evaluate_drill(actor=world.province_admin, incident=drill, score=120, text="好")
    incidents.evaluate_drill(actor=world.province_admin, incident=drill, score=86, text="响应及时，预案熟练")
    drill.refresh_from_db()
    assert drill.evaluation_score == 86
    assert incidents.post_incident_pdf(drill).startswith(b"%PDF")


def test_a_real_incident_cannot_be_evaluated_as_a_drill(world):
    with pytest.raises(incidents.IncidentStateError, match="只有应急演练可以评估"):
        incidents.evaluate_drill(actor=world.province_admin, incident=register(world), score=80, text="x")


# --- scope -----------------------------------------------------------------------------------


def test_a_school_sees_only_its_own_incidents(world):
    own = register(world)
    other = luoyang_incident(world)
    assert list(incidents.incidents_for(world.school_admin)) == [own]
    with pytest.raises(NotFound):
        incidents.get_incident(world.school_admin, pk=other.pk)
    with pytest.raises(NotFound):
        incidents.get_incident(world.city_admin, pk=other.pk)
    assert set(incidents.incidents_for(world.province_admin)) == {own, other}
    assert list(incidents.incidents_for(world.teacher)) == []


def test_a_school_cannot_act_on_another_schools_incident(world):
    other = luoyang_incident(world)
    with pytest.raises(PermissionDenied):
        incidents.report(actor=world.school_admin, incident=other)
    other.refresh_from_db()
    assert other.state == IncidentState.DISCOVERED


def test_the_list_filters_by_grade_state_org_and_exercise(world):
    general = register(world)
    major = register(world, title="重大事件", grade=IncidentGrade.MAJOR, report_now=True)
    drill = register(world, title="演练", is_exercise=True, scenario="演练场景")
    admin = world.province_admin
    assert list(incidents.incidents_for(admin, grade=IncidentGrade.MAJOR)) == [major]
    assert list(incidents.incidents_for(admin, state=IncidentState.REPORTED)) == [major]
    assert set(incidents.incidents_for(admin, exercise=False)) == {general, major}
    assert list(incidents.incidents_for(admin, exercise=True)) == [drill]
    assert incidents.incidents_for(admin, org=world.luoyang).count() == 0
    assert IncidentTask.objects.count() == 0
