"""The stored case state round-trips exactly on every database (start data survives many saves)."""

from __future__ import annotations

import pytest

from edubase.workflow import engine, services
from edubase.workflow.models import ProcessInstance
from tests.workflow.conftest import open_task

pytestmark = pytest.mark.django_db

ROUTED = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:edubase="https://edubase.henan.edu.cn/bpmn" id="d" targetNamespace="https://edubase.henan.edu.cn/t">
  <bpmn:process id="routed_by_start_data" name="按启动数据分流" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="fill" name="填写">
      <bpmn:extensionElements><edubase:task role="applicant" /></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="check" name="初审">
      <bpmn:extensionElements><edubase:task role="reviewer" level="county" /></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="route" default="f_low"><bpmn:incoming>f3</bpmn:incoming>
      <bpmn:outgoing>f_high</bpmn:outgoing><bpmn:outgoing>f_low</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:userTask id="city_check" name="市级复核">
      <bpmn:extensionElements><edubase:task role="reviewer" level="city" /></bpmn:extensionElements>
      <bpmn:incoming>f_high</bpmn:incoming><bpmn:outgoing>f_end</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="done"><bpmn:incoming>f_low</bpmn:incoming><bpmn:incoming>f_end</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fill" />
    <bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="check" />
    <bpmn:sequenceFlow id="f3" sourceRef="check" targetRef="route" />
    <bpmn:sequenceFlow id="f_high" sourceRef="route" targetRef="city_check">
      <bpmn:conditionExpression>level == "high"</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_low" sourceRef="route" targetRef="done" />
    <bpmn:sequenceFlow id="f_end" sourceRef="city_check" targetRef="done" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_start_data_reaches_a_gateway_after_several_saved_steps(desk):
    w = desk.world
    services.publish_definition(actor=w.province_admin, key="routed_by_start_data", name="分流", bpmn_xml=ROUTED)
    case = engine.start(
        "routed_by_start_data", subject=w.school_a, org=w.school_a, actor=w.school_admin, data={"level": "high"}
    )
    engine.complete(open_task(case, "fill"), actor=w.school_admin, data={"note": "已填写"})
    engine.complete(open_task(case, "check"), actor=desk.county_reviewer, data={"ok": True})
    case = ProcessInstance.objects.get(pk=case.pk)
    assert case.state == "running"
    assert open_task(case, "city_check").candidate_org == w.zhengzhou  # routed by the start data


def test_the_stored_state_is_the_serializers_text_unchanged(desk):
    w = desk.world
    case = engine.start(
        "generic_approval", subject=w.school_a, org=w.school_a, actor=w.school_admin, data={"z": 1, "a": 2}
    )
    stored = ProcessInstance.objects.get(pk=case.pk).serialized
    assert isinstance(stored, str) and stored == engine.SERIALIZER.serialize_json(engine._load(case))
