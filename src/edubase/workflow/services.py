"""Workflow services: publishing BPMN definitions (validated at upload)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from lxml import etree
from SpiffWorkflow.exceptions import SpiffWorkflowException

from edubase.accounts.models import Role
from edubase.core import audit
from edubase.core.errors import PermissionDenied, ValidationFailed
from edubase.core.scope import scope_for
from edubase.orgs.models import Org
from edubase.workflow import expressions
from edubase.workflow.engine import APPLICANT, BPMN_NS, EDUBASE_NS, LEVELS, parse_bpmn
from edubase.workflow.models import ProcessDefinition

PROCESSES_DIR = Path(__file__).resolve().parent / "processes"

#: BPMN elements (local names) edubase executes; everything else inside a process is refused
SUPPORTED: frozenset[str] = frozenset(
    {
        "process",
        "startEvent",
        "endEvent",
        "userTask",
        "manualTask",
        "task",
        "exclusiveGateway",
        "parallelGateway",
        "inclusiveGateway",
        "sequenceFlow",
        "conditionExpression",
        "incoming",
        "outgoing",
        "documentation",
        "extensionElements",
        "laneSet",
        "lane",
        "flowNodeRef",
        "textAnnotation",
        "text",
        "association",
    }
)

_REASONS: dict[str, str] = {
    "scriptTask": "不支持脚本任务（脚本会在服务器上执行任意代码）",
    "serviceTask": "服务任务没有对应的 edubase 处理程序",
    "timerEventDefinition": "暂不支持 BPMN 定时事件，请用 edubase:task 的 dueWorkingDays 设置办理时限",
    "callActivity": "暂不支持调用活动",
    "subProcess": "暂不支持子流程",
}

#: service-task handlers edubase provides (none yet); a service task naming another is refused
SERVICE_HANDLERS: dict[str, Any] = {}


class InvalidDefinition(ValidationFailed):
    """The uploaded BPMN cannot be published; ``details`` lists element id and reason."""

    code = "workflow_invalid_bpmn"
    message = "流程定义校验未通过"


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _problem(node: Any, reason: str) -> dict[str, str]:
    return {"element": node.get("id", "") or _local(node.tag), "tag": _local(node.tag), "reason": reason}


def validate_bpmn(*, key: str, bpmn_xml: str) -> list[dict[str, str]]:
    """Every reason the document cannot be published (empty when it can)."""
    try:
        parser, root = parse_bpmn(bpmn_xml)
    except etree.XMLSyntaxError as exc:
        return [{"element": "", "tag": "", "reason": f"XML 格式错误：{exc.msg}（第 {exc.lineno} 行）"}]
    except SpiffWorkflowException as exc:
        return [{"element": getattr(exc, "id", ""), "tag": getattr(exc, "tag", ""), "reason": f"BPMN 解析失败：{exc}"}]
    process_ids = parser.get_process_ids()
    if key not in process_ids:
        return [
            {
                "element": key,
                "tag": "process",
                "reason": f"文件中没有标识为“{key}”的流程（有：{'、'.join(process_ids)}）",
            }
        ]
    try:
        parser.get_spec(key)
    except SpiffWorkflowException as exc:
        element = getattr(exc, "id", "") or ""
        return [{"element": element, "tag": getattr(exc, "tag", ""), "reason": f"BPMN 解析失败：{exc}"}]
    except (KeyError, ValueError, AttributeError) as exc:
        return [{"element": "", "tag": "", "reason": f"BPMN 解析失败：{exc!r}"}]
    problems: list[dict[str, str]] = []
    roles = set(Role.objects.values_list("code", flat=True)) | {APPLICANT}
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        for node in process.iter():
            if not isinstance(node.tag, str):
                continue
            qname = etree.QName(node.tag)
            if qname.namespace == BPMN_NS and qname.localname not in SUPPORTED:
                if qname.localname == "serviceTask" and node.get(f"{{{EDUBASE_NS}}}handler") in SERVICE_HANDLERS:
                    continue
                problems.append(_problem(node, _REASONS.get(qname.localname, f"不支持的 BPMN 元素 {qname.localname}")))
            elif qname.localname == "extensionElements":
                for ext in node:
                    if not isinstance(ext.tag, str):
                        continue
                    if etree.QName(ext.tag).namespace != EDUBASE_NS or etree.QName(ext.tag).localname != "task":
                        problems.append(_problem(node.getparent(), f"未知的扩展元素 {ext.tag}"))
                        continue
                    problems.extend(_check_step(node.getparent(), ext, roles))
            elif qname.localname == "conditionExpression" and qname.namespace == BPMN_NS:
                try:
                    expressions.parse(node.text or "")
                except ValidationFailed as exc:
                    problems.append(_problem(node.getparent(), exc.message))
    for node in root.iter(f"{{{BPMN_NS}}}userTask"):
        if node.find(f"{{{BPMN_NS}}}extensionElements/{{{EDUBASE_NS}}}task") is None:
            problems.append(_problem(node, "用户任务缺少 edubase:task 办理人设置（role、level）"))
    return problems


def _check_step(task_node: Any, ext: Any, roles: set[str]) -> list[dict[str, str]]:
    problems: list[dict[str, str]] = []
    role = ext.get("role", "")
    if role not in roles:
        problems.append(_problem(task_node, f"办理角色“{role}”不存在"))
    levels = [v.strip() for v in ext.get("level", "org").split(",") if v.strip()]
    for level in levels:
        if level not in LEVELS:
            problems.append(_problem(task_node, f"办理层级“{level}”无效，可选：{'、'.join(LEVELS)}"))
    sign = ext.get("sign", "")
    if len(levels) > 1 and sign not in ("all", "any"):
        problems.append(_problem(task_node, '多个办理层级时必须设置 sign="all"（会签）或 sign="any"（或签）'))
    due = ext.get("dueWorkingDays")
    if due is not None and not (due.isdigit() and int(due) > 0):
        problems.append(_problem(task_node, f"办理时限 dueWorkingDays=“{due}”必须是正整数（工作日）"))
    return problems


def _may_publish(actor: Any) -> bool:
    scope = scope_for(actor, "orgs.change")
    return scope.everything or any(scope.covers(root.path) for root in Org.objects.get_root_nodes())


@transaction.atomic
def publish_definition(*, actor: Any, key: str, name: str, bpmn_xml: str) -> ProcessDefinition:
    """Validate a BPMN document and publish it as the next version of ``key`` (province admins only)."""
    if actor is not None and not _may_publish(actor):
        raise PermissionDenied("只有省级管理员可以发布流程定义")
    problems = validate_bpmn(key=key, bpmn_xml=bpmn_xml)
    if problems:
        first = problems[0]
        raise InvalidDefinition(f"流程定义校验未通过：{first['element']} {first['reason']}".strip(), details=problems)
    latest = ProcessDefinition.objects.select_for_update().filter(key=key).aggregate(v=Max("version"))["v"] or 0
    definition = ProcessDefinition.objects.create(
        key=key,
        version=latest + 1,
        name=name,
        bpmn_xml=bpmn_xml,
        digest_sm3=hashlib.new("sm3", bpmn_xml.encode("utf-8")).hexdigest(),
        published_at=timezone.now(),
        published_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit.record(
        actor=actor,
        action="workflow.definition.publish",
        obj=definition,
        after={"key": key, "version": definition.version},
    )
    return definition


#: definitions shipped with edubase: (key, name, file)
SHIPPED: list[tuple[str, str, str]] = [("generic_approval", "通用一步审批", "generic_approval.bpmn")]


def publish_shipped(*, actor: Any = None) -> list[ProcessDefinition]:
    """Publish each shipped definition whose file differs from its latest published version."""
    published: list[ProcessDefinition] = []
    for key, name, filename in SHIPPED:
        xml = (PROCESSES_DIR / filename).read_text(encoding="utf-8")
        digest = hashlib.new("sm3", xml.encode("utf-8")).hexdigest()
        latest = ProcessDefinition.objects.filter(key=key).order_by("-version").first()
        if latest is None or latest.digest_sm3 != digest:
            published.append(publish_definition(actor=actor, key=key, name=name, bpmn_xml=xml))
    return published
