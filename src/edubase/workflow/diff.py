"""The difference of steps between two versions of a BPMN definition (shown before publishing).

Steps are the flow nodes a reader recognises on the diagram — tasks, gateways and events —
compared by their BPMN id: a step is added, removed, renamed, or changed (its type or its
``edubase:task`` assignment: role, level, countersign, working-day limit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _
from lxml import etree

from edubase.workflow.engine import BPMN_NS, EDUBASE_NS

#: BPMN element (local name) → the label shown in the diff
STEP_KINDS: dict[str, Any] = {
    "startEvent": _("开始事件"),
    "endEvent": _("结束事件"),
    "intermediateCatchEvent": _("中间事件"),
    "intermediateThrowEvent": _("中间事件"),
    "boundaryEvent": _("边界事件"),
    "userTask": _("用户任务"),
    "manualTask": _("人工任务"),
    "task": _("任务"),
    "serviceTask": _("服务任务"),
    "scriptTask": _("脚本任务"),
    "exclusiveGateway": _("排他网关"),
    "parallelGateway": _("并行网关"),
    "inclusiveGateway": _("包容网关"),
}

#: ``edubase:task`` attributes compared, with their labels
ASSIGNMENT: dict[str, Any] = {
    "role": _("办理角色"),
    "level": _("办理层级"),
    "sign": _("会签/或签"),
    "dueWorkingDays": _("办理时限（工作日）"),
}


@dataclass(frozen=True)
class Step:
    """One flow node of a definition."""

    id: str
    kind: str
    name: str
    assignment: dict[str, str] = field(default_factory=dict)

    @property
    def kind_label(self) -> Any:
        return STEP_KINDS.get(self.kind, self.kind)


@dataclass(frozen=True)
class Change:
    """One field of a step that differs between the versions."""

    label: Any
    old: str
    new: str


@dataclass(frozen=True)
class StepDiff:
    """How one step differs: ``status`` is added, removed, renamed, changed or same."""

    id: str
    status: str
    old: Step | None
    new: Step | None
    changes: list[Change] = field(default_factory=list)

    @property
    def step(self) -> Step:
        return self.new or self.old  # type: ignore[return-value]


def steps_of(bpmn_xml: str, *, key: str | None = None) -> dict[str, Step]:
    """The steps of the process ``key`` (or of every process) in a BPMN document, by id, in order."""
    root = etree.fromstring(bpmn_xml.encode("utf-8"), parser=etree.XMLParser(resolve_entities=False, no_network=True))
    steps: dict[str, Step] = {}
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        if key is not None and process.get("id") != key:
            continue
        for node in process.iter():
            if not isinstance(node.tag, str):
                continue
            qname = etree.QName(node.tag)
            if qname.namespace != BPMN_NS or qname.localname not in STEP_KINDS:
                continue
            ext = node.find(f"{{{BPMN_NS}}}extensionElements/{{{EDUBASE_NS}}}task")
            assignment = {k: ext.get(k, "") for k in ASSIGNMENT} if ext is not None else {}
            step_id = node.get("id", "")
            steps[step_id] = Step(id=step_id, kind=qname.localname, name=node.get("name", ""), assignment=assignment)
    return steps


def diff_steps(old_xml: str | None, new_xml: str, *, key: str | None = None) -> list[StepDiff]:
    """Every step of either version with how it changed; the new version's order, removed steps last."""
    old = steps_of(old_xml, key=key) if old_xml else {}
    new = steps_of(new_xml, key=key)
    result: list[StepDiff] = []
    for step_id, step in new.items():
        before = old.get(step_id)
        if before is None:
            result.append(StepDiff(id=step_id, status="added", old=None, new=step))
            continue
        changes: list[Change] = []
        if before.kind != step.kind:
            changes.append(Change(_("类型"), str(before.kind_label), str(step.kind_label)))
        for attr, label in ASSIGNMENT.items():
            was, now = before.assignment.get(attr, ""), step.assignment.get(attr, "")
            if was != now:
                changes.append(Change(label, was, now))
        if changes:
            status = "changed"
        elif before.name != step.name:
            status = "renamed"
        else:
            status = "same"
        if before.name != step.name:
            changes.insert(0, Change(_("名称"), before.name, step.name))
        result.append(StepDiff(id=step_id, status=status, old=before, new=step, changes=changes))
    for step_id, step in old.items():
        if step_id not in new:
            result.append(StepDiff(id=step_id, status="removed", old=step, new=None))
    return result


def process_of(bpmn_xml: str) -> tuple[str, str]:
    """(id, name) of the first executable process in a document (("", "") when there is none)."""
    root = etree.fromstring(bpmn_xml.encode("utf-8"), parser=etree.XMLParser(resolve_entities=False, no_network=True))
    processes = list(root.iter(f"{{{BPMN_NS}}}process"))
    chosen = next((p for p in processes if p.get("isExecutable") == "true"), processes[0] if processes else None)
    if chosen is None:
        return "", ""
    return chosen.get("id", ""), chosen.get("name", "")
