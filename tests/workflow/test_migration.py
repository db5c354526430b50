"""Moving running cases to a new definition version, where safe (and refusing where not)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

import edubase.workflow
from edubase.core.models import AuditEvent
from edubase.workflow import engine, migration, services
from edubase.workflow.models import CaseEvent, ProcessInstance, WorkTask
from tests.workflow.conftest import Desk, open_task, submitted_case

pytestmark = pytest.mark.django_db

SHIPPED = (Path(edubase.workflow.__file__).parent / "processes" / "generic_approval.bpmn").read_text(encoding="utf-8")

#: v2: after the review, an archive step (归档) by the county admin before the case ends approved
WITH_ARCHIVE = SHIPPED.replace(
    '<bpmn:sequenceFlow id="flow_approved" name="同意" sourceRef="decide" targetRef="approved">',
    '<bpmn:sequenceFlow id="flow_approved" name="同意" sourceRef="decide" targetRef="archive">',
).replace(
    '<bpmn:endEvent id="approved" name="准予">\n      <bpmn:incoming>flow_approved</bpmn:incoming>',
    """<bpmn:userTask id="archive" name="归档">
      <bpmn:extensionElements><edubase:task role="county_admin" level="county" /></bpmn:extensionElements>
      <bpmn:incoming>flow_approved</bpmn:incoming>
      <bpmn:outgoing>flow_archive_end</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="flow_archive_end" sourceRef="archive" targetRef="approved" />
    <bpmn:endEvent id="approved" name="准予">
      <bpmn:incoming>flow_archive_end</bpmn:incoming>""",
)


def _publish(desk: Desk, xml: str):
    return services.publish_definition(
        actor=desk.world.province_admin, key="generic_approval", name="通用一步审批", bpmn_xml=xml
    )


def test_a_waiting_case_moves_to_the_new_version_and_follows_it(desk):
    case = submitted_case(desk)
    review = open_task(case, "review")
    v2 = _publish(desk, WITH_ARCHIVE)
    (result,) = migration.migrate_all("generic_approval", actor=desk.world.province_admin)
    assert result.migrated and (result.from_version, result.to_version) == (1, v2.version)
    assert result.added_steps == ["archive", "flow_archive_end"] or "archive" in result.added_steps
    case.refresh_from_db()
    assert case.definition_id == v2.pk
    # the open review task survived the move: same row, still open, nothing lost
    assert open_task(case, "review").pk == review.pk
    engine.complete(open_task(case, "review"), actor=desk.county_reviewer, data={"decision": "approve"})
    archive = open_task(case, "archive")  # the step that only v2 has
    engine.complete(archive, actor=desk.world.county_admin)
    case.refresh_from_db()
    assert case.state == "completed" and case.outcome == "approved"
    assert CaseEvent.objects.filter(instance=case, action="migrated", data__to=v2.version).exists()
    assert AuditEvent.objects.filter(action="workflow.instance.migrate").count() == 1


def test_a_version_that_drops_a_step_the_case_went_through_is_refused_and_nothing_changes(desk):
    case = submitted_case(desk)
    before = ProcessInstance.objects.get(pk=case.pk)
    without_review = SHIPPED.replace('id="review"', 'id="check"').replace('targetRef="review"', 'targetRef="check"')
    without_review = without_review.replace('sourceRef="review"', 'sourceRef="check"').replace(
        'bpmnElement="review"', 'bpmnElement="check"'
    )
    _publish(desk, without_review)
    (result,) = migration.migrate_all("generic_approval", actor=desk.world.province_admin)
    assert not result.migrated and "review" in result.reason and "不能安全迁移" in result.reason
    after = ProcessInstance.objects.get(pk=case.pk)
    assert (after.definition_id, after.version, after.serialized) == (
        before.definition_id,
        before.version,
        before.serialized,
    )
    assert not CaseEvent.objects.filter(instance=case, action="migrated").exists()


def test_a_dry_run_reports_and_changes_nothing(desk):
    case = submitted_case(desk)
    _publish(desk, WITH_ARCHIVE)
    (result,) = migration.migrate_all("generic_approval", actor=None, dry_run=True)
    assert not result.migrated and not result.reason and "archive" in result.added_steps
    case.refresh_from_db()
    assert case.definition.version == 1


def test_finished_cases_stay_and_the_command_reports(desk, capsys):
    done = submitted_case(desk)
    engine.complete(open_task(done, "review"), actor=desk.county_reviewer, data={"decision": "reject"})
    waiting = submitted_case(desk)
    _publish(desk, WITH_ARCHIVE)
    call_command("workflow", "migrate-instances", "generic_approval")
    out = capsys.readouterr().out
    assert f"案件 {waiting.pk}：v1 → v2 已迁移" in out and f"案件 {done.pk}：" not in out
    done.refresh_from_db()
    waiting.refresh_from_db()
    assert done.definition.version == 1 and waiting.definition.version == 2
    assert WorkTask.objects.filter(instance=waiting, element_id="review", status="open").count() == 1
