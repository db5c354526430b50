"""Countersign (会签, all of N) and or-sign (或签, any of N) by several levels on one step."""

from __future__ import annotations

import pytest

from edubase.workflow import engine, services
from edubase.workflow.models import InstanceState, ProcessInstance, TaskStatus, WorkTask
from tests.workflow.conftest import Desk, open_task

SHIPPED = (services.PROCESSES_DIR / "generic_approval.bpmn").read_text(encoding="utf-8")


def signed_case(desk: Desk, sign: str) -> ProcessInstance:
    xml = SHIPPED.replace('level="county"', f'level="county,city" sign="{sign}"')
    w = desk.world
    services.publish_definition(actor=w.province_admin, key="generic_approval", name="会签", bpmn_xml=xml)
    instance = engine.start("generic_approval", subject=None, org=w.school_a, actor=w.school_admin)
    engine.complete(open_task(instance, "submit"), actor=w.school_admin, data={})
    return instance


def reviews(instance: ProcessInstance) -> dict[str, WorkTask]:
    tasks = WorkTask.objects.filter(instance=instance, element_id="review").select_related("candidate_org")
    return {t.candidate_org.kind: t for t in tasks}


def test_countersign_waits_for_every_level(desk: Desk) -> None:
    instance = signed_case(desk, "all")
    tasks = reviews(instance)
    assert set(tasks) == {"county", "prefecture"}
    engine.complete(tasks["county"], actor=desk.county_reviewer, data={"decision": "approve"})
    instance.refresh_from_db()
    assert instance.state == InstanceState.RUNNING
    city = WorkTask.objects.get(pk=tasks["prefecture"].pk)
    assert city.status == TaskStatus.OPEN
    engine.complete(city, actor=desk.city_reviewer, data={"decision": "approve"})
    instance.refresh_from_db()
    assert instance.outcome == "approved"


def test_or_sign_finishes_with_the_first_and_cancels_the_rest(desk: Desk) -> None:
    instance = signed_case(desk, "any")
    tasks = reviews(instance)
    engine.complete(tasks["county"], actor=desk.county_reviewer, data={"decision": "approve"})
    instance.refresh_from_db()
    assert instance.outcome == "approved"
    assert WorkTask.objects.get(pk=tasks["prefecture"].pk).status == TaskStatus.CANCELLED


def test_several_levels_without_a_sign_rule_are_refused(desk: Desk) -> None:
    xml = SHIPPED.replace('level="county"', 'level="county,city"')
    with pytest.raises(services.InvalidDefinition, match="会签"):
        services.publish_definition(actor=desk.world.province_admin, key="generic_approval", name="x", bpmn_xml=xml)
