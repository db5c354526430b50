"""The engine: start, claim, complete, return, delegate, cancel — and the refusals."""

from __future__ import annotations

import pytest

from edubase.core.errors import DomainError, PermissionDenied
from edubase.core.models import AuditEvent
from edubase.workflow import engine
from edubase.workflow.models import CaseEvent, InstanceState, ProcessInstance, TaskStatus, WorkTask
from tests.workflow.conftest import Desk, open_task, submitted_case


def test_starting_a_case_offers_the_submit_step_to_the_applicant(desk: Desk) -> None:
    w = desk.world
    instance = engine.start("generic_approval", subject=w.school_a, org=w.school_a, actor=w.school_admin)
    task = open_task(instance, "submit")
    assert task.assignee == w.school_admin
    assert instance.subject_type == "orgs.org" and instance.subject_id == str(w.school_a.pk)
    assert instance.definition.version == 1
    assert AuditEvent.objects.filter(action="workflow.instance.start").count() == 1


def test_the_review_goes_to_reviewers_of_the_schools_county(desk: Desk) -> None:
    instance = submitted_case(desk)
    review = open_task(instance, "review")
    assert review.candidate_org == desk.world.zhongyuan
    assert engine.is_candidate(desk.county_reviewer, review)
    assert engine.is_candidate(desk.city_reviewer, review)  # a reviewer above the county also covers it
    assert not engine.is_candidate(desk.other_county_reviewer, review)
    assert not engine.is_candidate(desk.luoyang_reviewer, review)
    assert not engine.is_candidate(desk.world.outsider, review)
    assert review.due_at is not None


def test_approving_completes_the_case_with_its_outcome(desk: Desk) -> None:
    instance = submitted_case(desk)
    engine.complete(
        open_task(instance, "review"), actor=desk.county_reviewer, data={"decision": "approve"}, comment="同意"
    )
    instance.refresh_from_db()
    assert instance.state == InstanceState.COMPLETED
    assert instance.outcome == "approved"
    assert list(CaseEvent.objects.filter(instance=instance).values_list("action", flat=True)) == [
        "started",
        "completed",
        "completed",
        "finished",
    ]


def test_any_other_decision_takes_the_default_flow_to_rejection(desk: Desk) -> None:
    instance = submitted_case(desk)
    engine.complete(open_task(instance, "review"), actor=desk.county_reviewer, data={"decision": "reject"})
    instance.refresh_from_db()
    assert instance.outcome == "rejected"


def test_the_return_decision_loops_back_to_the_applicant(desk: Desk) -> None:
    instance = submitted_case(desk)
    engine.complete(open_task(instance, "review"), actor=desk.county_reviewer, data={"decision": "return"})
    assert open_task(instance, "submit").assignee == desk.world.school_admin


def test_a_reviewer_of_another_county_cannot_complete(desk: Desk) -> None:
    instance = submitted_case(desk)
    review = open_task(instance, "review")
    with pytest.raises(PermissionDenied, match="不是该待办事项的办理人"):
        engine.complete(review, actor=desk.other_county_reviewer, data={"decision": "approve"})
    review.refresh_from_db()
    assert review.status == TaskStatus.OPEN


@pytest.mark.parametrize("persona", ["outsider", "teacher", "student", "county_admin"])
def test_wrong_personas_cannot_complete_the_review(desk: Desk, persona: str) -> None:
    instance = submitted_case(desk)
    with pytest.raises(PermissionDenied):
        engine.complete(open_task(instance, "review"), actor=desk.world.personas()[persona], data={})


def test_someone_else_cannot_do_the_applicants_step(desk: Desk) -> None:
    w = desk.world
    instance = engine.start("generic_approval", subject=None, org=w.school_a, actor=w.school_admin)
    with pytest.raises(PermissionDenied):
        engine.complete(open_task(instance, "submit"), actor=w.teacher, data={})


def test_completing_twice_is_refused_and_changes_nothing(desk: Desk) -> None:
    instance = submitted_case(desk)
    review = open_task(instance, "review")
    engine.complete(review, actor=desk.county_reviewer, data={"decision": "approve"})
    events = CaseEvent.objects.count()
    stale = WorkTask.objects.get(pk=review.pk)
    with pytest.raises(DomainError, match=r"已办结|已办理"):
        engine.complete(stale, actor=desk.county_reviewer, data={"decision": "reject"})
    assert CaseEvent.objects.count() == events
    instance.refresh_from_db()
    assert instance.outcome == "approved"


def test_completing_after_cancellation_is_refused(desk: Desk) -> None:
    instance = submitted_case(desk)
    engine.cancel(instance, actor=desk.world.school_admin, reason="不再需要")
    review = WorkTask.objects.get(instance=instance, element_id="review")
    assert review.status == TaskStatus.CANCELLED
    with pytest.raises(DomainError, match="已撤销"):
        engine.complete(review, actor=desk.county_reviewer, data={"decision": "approve"})


def test_an_outsider_cannot_cancel_a_case(desk: Desk) -> None:
    instance = submitted_case(desk)
    with pytest.raises(PermissionDenied):
        engine.cancel(instance, actor=desk.world.outsider, reason="捣乱")
    instance.refresh_from_db()
    assert instance.state == InstanceState.RUNNING


def test_a_stale_instance_is_refused_as_a_concurrent_change(desk: Desk) -> None:
    instance = submitted_case(desk)
    stale = ProcessInstance.objects.get(pk=instance.pk)
    engine.claim(open_task(instance, "review"), actor=desk.county_reviewer)
    with pytest.raises(engine.ConcurrentChange):
        engine.cancel(stale, actor=desk.world.school_admin, reason="撤回")


def test_a_claimed_task_can_only_be_completed_by_its_claimer(desk: Desk) -> None:
    instance = submitted_case(desk)
    engine.claim(open_task(instance, "review"), actor=desk.city_reviewer)
    with pytest.raises(DomainError, match="已由"):
        engine.complete(open_task(instance, "review"), actor=desk.county_reviewer, data={"decision": "approve"})
    engine.complete(open_task(instance, "review"), actor=desk.city_reviewer, data={"decision": "approve"})


def test_return_for_correction_reopens_the_applicants_step(desk: Desk) -> None:
    instance = submitted_case(desk)
    engine.return_for_correction(open_task(instance, "review"), actor=desk.county_reviewer, comment="缺少材料")
    assert WorkTask.objects.get(instance=instance, element_id="review").status == TaskStatus.RETURNED
    resubmit = open_task(instance, "submit")
    assert resubmit.assignee == desk.world.school_admin
    engine.complete(resubmit, actor=desk.world.school_admin, data={"reason": "已补正"})
    engine.complete(open_task(instance, "review"), actor=desk.county_reviewer, data={"decision": "approve"})
    instance.refresh_from_db()
    assert instance.state == InstanceState.COMPLETED


def test_return_needs_a_reason(desk: Desk) -> None:
    instance = submitted_case(desk)
    with pytest.raises(DomainError, match="理由"):
        engine.return_for_correction(open_task(instance, "review"), actor=desk.county_reviewer, comment=" ")


def test_delegation_hands_the_task_to_one_other_reviewer(desk: Desk) -> None:
    instance = submitted_case(desk)
    engine.delegate(open_task(instance, "review"), actor=desk.city_reviewer, to_user=desk.county_reviewer)
    task = open_task(instance, "review")
    assert not engine.is_candidate(desk.city_reviewer, task)
    engine.complete(task, actor=desk.county_reviewer, data={"decision": "approve"})


def test_delegating_to_someone_without_the_role_is_refused(desk: Desk) -> None:
    instance = submitted_case(desk)
    with pytest.raises(DomainError, match="不具备"):
        engine.delegate(open_task(instance, "review"), actor=desk.county_reviewer, to_user=desk.world.outsider)


def test_a_failing_transition_leaves_the_previous_state(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    instance = submitted_case(desk)
    before = ProcessInstance.objects.get(pk=instance.pk)

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("worker killed")

    monkeypatch.setattr(engine, "_sync", crash)
    with pytest.raises(RuntimeError):
        engine.complete(open_task(instance, "review"), actor=desk.county_reviewer, data={"decision": "approve"})
    after = ProcessInstance.objects.get(pk=instance.pk)
    assert (after.version, after.serialized, after.state) == (before.version, before.serialized, before.state)
    assert open_task(instance, "review").status == TaskStatus.OPEN


def test_a_running_case_stays_on_its_version_when_a_new_one_is_published(desk: Desk) -> None:
    from edubase.workflow import services

    instance = submitted_case(desk)
    xml = instance.definition.bpmn_xml.replace('dueWorkingDays="5"', 'dueWorkingDays="3"')
    v2 = services.publish_definition(actor=desk.world.province_admin, key="generic_approval", name="通用", bpmn_xml=xml)
    assert v2.version == 2
    engine.complete(open_task(instance, "review"), actor=desk.county_reviewer, data={"decision": "approve"})
    instance.refresh_from_db()
    assert instance.definition.version == 1 and instance.state == InstanceState.COMPLETED
    new = engine.start("generic_approval", subject=None, org=desk.world.school_a, actor=desk.world.school_admin)
    assert new.definition == v2
