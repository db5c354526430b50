"""Publishing definitions: versions, validation with element and reason, province admins only."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from edubase.core.errors import PermissionDenied
from edubase.workflow import services
from edubase.workflow.models import ProcessDefinition
from tests.factories import World

SHIPPED = (services.PROCESSES_DIR / "generic_approval.bpmn").read_text(encoding="utf-8")


def publish(world: World, xml: str, key: str = "generic_approval") -> ProcessDefinition:
    return services.publish_definition(actor=world.province_admin, key=key, name="测试", bpmn_xml=xml)


def problems_of(world: World, xml: str) -> list[dict[str, str]]:
    with pytest.raises(services.InvalidDefinition) as caught:
        publish(world, xml)
    return list(caught.value.details)


def test_versions_count_up(world: World) -> None:
    assert publish(world, SHIPPED).version == 1
    assert publish(world, SHIPPED).version == 2


def test_the_shipped_definition_has_a_diagram_for_bpmn_io() -> None:
    assert "bpmndi:BPMNDiagram" in SHIPPED and "bpmndi:BPMNEdge" in SHIPPED


def test_publish_shipped_is_idempotent(world: World) -> None:
    call_command("workflow", "publish-shipped")
    call_command("workflow", "publish-shipped")
    assert ProcessDefinition.objects.filter(key="generic_approval").count() == 1


@pytest.mark.parametrize("persona", ["city_admin", "county_admin", "school_admin", "outsider"])
def test_only_a_province_admin_may_publish(world: World, persona: str) -> None:
    with pytest.raises(PermissionDenied):
        services.publish_definition(actor=world.personas()[persona], key="generic_approval", name="x", bpmn_xml=SHIPPED)


def test_malformed_xml_is_refused_with_the_line(world: World) -> None:
    [problem] = problems_of(world, "<bpmn:definitions")
    assert "XML 格式错误" in problem["reason"]


def test_a_script_task_is_refused_with_its_id(world: World) -> None:
    xml = SHIPPED.replace(
        '<bpmn:endEvent id="rejected"',
        '<bpmn:scriptTask id="evil"><bpmn:script>import os</bpmn:script></bpmn:scriptTask><bpmn:endEvent id="rejected"',
    )
    problems = problems_of(world, xml)
    assert {"element": "evil", "tag": "scriptTask", "reason": services._REASONS["scriptTask"]} in problems


def test_a_service_task_without_handler_is_refused(world: World) -> None:
    xml = SHIPPED.replace(
        '<bpmn:endEvent id="rejected"', '<bpmn:serviceTask id="call_out" /><bpmn:endEvent id="rejected"'
    )
    assert any(p["element"] == "call_out" and "处理程序" in p["reason"] for p in problems_of(world, xml))


def test_an_unknown_extension_is_refused(world: World) -> None:
    xml = SHIPPED.replace(
        '<edubase:task role="reviewer"',
        '<camunda:properties xmlns:camunda="http://camunda.org/schema/1.0/bpmn" /><edubase:task role="reviewer"',
    )
    assert any(p["element"] == "review" and "未知的扩展元素" in p["reason"] for p in problems_of(world, xml))


def test_an_unsafe_condition_is_refused_naming_the_flow(world: World) -> None:
    xml = SHIPPED.replace('decision == "approve"', "__import__('os').getcwd()")
    assert any(p["element"] == "flow_approved" and "函数调用" in p["reason"] for p in problems_of(world, xml))


def test_an_unknown_role_or_level_is_refused(world: World) -> None:
    xml = SHIPPED.replace('role="reviewer" level="county"', 'role="wizard" level="galaxy"')
    reasons = [p["reason"] for p in problems_of(world, xml)]
    assert any("wizard" in r for r in reasons) and any("galaxy" in r for r in reasons)


def test_a_key_not_in_the_file_is_refused(world: World) -> None:
    with pytest.raises(services.InvalidDefinition, match="other"):
        publish(world, SHIPPED, key="other")


def test_a_spiffworkflow_parse_error_is_reported(world: World) -> None:
    xml = SHIPPED.replace('targetRef="review" />', 'targetRef="nowhere" />')
    assert problems_of(world, xml)
