"""edubase's workflow engine: a small interface over SpiffWorkflow that domains call.

Domains call ``start``, ``claim``, ``complete``, ``return_for_correction``, ``delegate`` and
``cancel``; they never import SpiffWorkflow. Each call is one database transaction with the
instance row locked and its ``version`` checked (optimistic locking), so a worker killed
mid-transition leaves the previous consistent state. Every change is audited and written to
the case history.

Task assignment is declared in the BPMN with edubase's one extension element::

    <bpmn:extensionElements>
      <edubase:task role="reviewer" level="county" dueWorkingDays="5" />
    </bpmn:extensionElements>

``role`` is a role code, or ``applicant`` for the user who started the case; ``level`` names
the org relative to the case org whose role holders (on that org or above) are candidates:
``org`` (the case org itself), ``county``, ``city`` or ``province``. Countersign (会签) and
or-sign (或签) are declared as several levels with ``sign="all"`` or ``sign="any"``, e.g.
``level="county,city" sign="all"``: one work task per level, and the BPMN step completes when
all of them (会签) or the first of them (或签, the others are cancelled) are done.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from edubase.accounts.models import RoleAssignment, User
from edubase.core import audit
from edubase.core.errors import DomainError, NotFound, PermissionDenied
from edubase.orgs.models import Org, OrgKind
from edubase.workflow import expressions
from edubase.workflow.calendar import add_working_days
from edubase.workflow.models import (
    CaseEvent,
    InstanceState,
    ProcessDefinition,
    ProcessInstance,
    TaskStatus,
    Timer,
    TimerKind,
    WorkTask,
)
from edubase.workflow.signals import case_changed

EDUBASE_NS = "https://edubase.henan.edu.cn/bpmn"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
APPLICANT = "applicant"

#: ``level`` values → the org kind looked up among the case org's ancestors (None: the case org)
LEVELS: dict[str, str | None] = {
    "org": None,
    "county": OrgKind.COUNTY,
    "city": OrgKind.PREFECTURE,
    "province": OrgKind.PROVINCE,
}


class WorkflowError(DomainError):
    """A workflow step cannot be taken in the case's current state."""

    code = "workflow_state"
    message = "当前办理状态下不能执行此操作"
    status = 409


class ConcurrentChange(WorkflowError):
    """The case changed since the caller read it."""

    code = "workflow_conflict"
    message = "案件已被他人办理或更新，请刷新后重试"


class NotCandidate(PermissionDenied):
    """The actor is not among the task's candidates."""

    code = "workflow_not_candidate"
    message = "您不是该待办事项的办理人，不能办理"


# --- SpiffWorkflow behind a sandbox ----------------------------------------------------------


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Conditions go through ``expressions.evaluate``; scripts and services never run."""

    def evaluate(self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> Any:
        return expressions.evaluate(expression, {**(external_context or {}), **context})

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> Any:
        raise WorkflowError("流程中不允许脚本任务")

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise WorkflowError("流程中的服务任务没有对应的 edubase 处理程序")


class SandboxScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine with the sandbox environment; errors stay ``DomainError``."""

    def __init__(self) -> None:
        super().__init__(environment=SandboxEnvironment())

    def validate(self, expression: str) -> None:
        expressions.parse(expression)

    def evaluate(self, task: Any, expression: str, external_context: dict[str, Any] | None = None) -> Any:
        return self.environment.evaluate(expression, task.data, external_context)


SCRIPT_ENGINE = SandboxScriptEngine()
SERIALIZER = BpmnWorkflowSerializer()


@dataclass(frozen=True)
class StepMeta:
    """Assignment of one user task, read from its ``edubase:task`` extension."""

    role: str
    levels: tuple[str, ...]
    sign: str
    due_working_days: int | None


@dataclass(frozen=True)
class CompiledDefinition:
    spec: Any
    steps: dict[str, StepMeta]


def read_steps(root: Any) -> dict[str, StepMeta]:
    """The ``edubase:task`` assignment of every user task in a parsed BPMN document."""
    steps: dict[str, StepMeta] = {}
    for node in root.iter(f"{{{BPMN_NS}}}userTask"):
        ext = node.find(f"{{{BPMN_NS}}}extensionElements/{{{EDUBASE_NS}}}task")
        if ext is None:
            continue
        due = ext.get("dueWorkingDays")
        steps[node.get("id", "")] = StepMeta(
            role=ext.get("role", ""),
            levels=tuple(v.strip() for v in ext.get("level", "org").split(",") if v.strip()) or ("org",),
            sign=ext.get("sign", ""),
            due_working_days=int(due) if due and due.isdigit() else None,
        )
    return steps


def parse_bpmn(bpmn_xml: str) -> tuple[BpmnParser, Any]:
    """Parse a BPMN document with SpiffWorkflow (raises lxml / SpiffWorkflow errors unchanged)."""
    parser = BpmnParser()
    root = etree.fromstring(bpmn_xml.encode("utf-8"), parser=etree.XMLParser(resolve_entities=False, no_network=True))
    parser.add_bpmn_xml(root)
    return parser, root


@lru_cache(maxsize=64)
def _compiled(definition_pk: int, digest: str, key: str, bpmn_xml: str) -> CompiledDefinition:
    parser, root = parse_bpmn(bpmn_xml)
    return CompiledDefinition(spec=parser.get_spec(key), steps=read_steps(root))


def compiled(definition: ProcessDefinition) -> CompiledDefinition:
    """The parsed spec and step assignments of a definition (cached per version)."""
    return _compiled(definition.pk, definition.digest_sm3, definition.key, definition.bpmn_xml)


def _dump(workflow: BpmnWorkflow) -> str:
    return str(SERIALIZER.serialize_json(workflow))


def _load(instance: ProcessInstance) -> BpmnWorkflow:
    workflow = SERIALIZER.deserialize_json(instance.serialized)
    workflow.script_engine = SCRIPT_ENGINE
    return workflow


def _advance(workflow: BpmnWorkflow) -> None:
    try:
        workflow.do_engine_steps()
    except SpiffWorkflowException as exc:
        cause = getattr(exc, "error", None) or exc.__cause__
        if isinstance(cause, DomainError):
            raise cause from exc
        raise WorkflowError(f"流程无法继续流转：{exc}") from exc


# --- candidates ------------------------------------------------------------------------------


def _org_at_level(org: Org, level: str) -> Org:
    kind = LEVELS.get(level)
    if kind is None:
        return org
    for candidate in [org, *reversed(list(Org.objects.get_ancestors(org)))]:
        if candidate.kind == kind:
            return candidate
    return org


def holds_role_over(user: User, role_code: str, path: str) -> bool:
    """Whether ``user`` holds ``role_code`` on the org at ``path`` or an org above it."""
    paths = RoleAssignment.objects.filter(user=user, role__code=role_code).values_list("org__path", flat=True)
    return any(path.startswith(p) for p in paths)


def is_candidate(user: Any, task: WorkTask) -> bool:
    """Whether ``user`` may act on ``task`` (claim, complete, return, delegate)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if task.claimed_by_id is not None and task.claimed_by_id != user.pk:
        return False
    if task.assignee_id is not None:
        return bool(task.assignee_id == user.pk)
    return holds_role_over(user, task.role_code, task.candidate_path)


# --- transitions -----------------------------------------------------------------------------


def _event(
    instance: ProcessInstance,
    *,
    actor: Any,
    action: str,
    task: WorkTask | None = None,
    comment: str = "",
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    user = actor if isinstance(actor, User) else None
    label = str(actor) if actor is not None else "system"
    return CaseEvent.objects.create(
        instance=instance,
        at=timezone.now(),
        actor=user,
        actor_label=label[:150],
        action=action,
        task=task,
        comment=comment,
        data=data or {},
    )


def _lock(instance: ProcessInstance) -> ProcessInstance:
    locked = (
        ProcessInstance.objects.select_for_update(of=("self",)).select_related("definition", "org").get(pk=instance.pk)
    )
    if locked.version != instance.version:
        raise ConcurrentChange()
    return locked


def _save(instance: ProcessInstance, workflow: BpmnWorkflow | None) -> None:
    if workflow is not None:
        instance.serialized = _dump(workflow)
    instance.version += 1
    instance.save()


def _create_tasks(instance: ProcessInstance, spiff_task: Any, meta: StepMeta | None, now: dt.datetime) -> None:
    title = spiff_task.task_spec.bpmn_name or spiff_task.task_spec.bpmn_id
    element = spiff_task.task_spec.bpmn_id or spiff_task.task_spec.name
    due_at = add_working_days(now, meta.due_working_days) if meta and meta.due_working_days else None
    role = meta.role if meta else APPLICANT
    levels = meta.levels if meta and role != APPLICANT else ("org",)
    for level in levels:
        org = _org_at_level(instance.org, level)
        task = WorkTask.objects.create(
            instance=instance,
            spiff_task_id=str(spiff_task.id),
            element_id=element,
            title=title,
            role_code="" if role == APPLICANT else role,
            candidate_org=org,
            candidate_path=org.path,
            assignee=instance.started_by if role == APPLICANT else None,
            sign_group=(meta.sign if meta and len(levels) > 1 else ""),
            due_at=due_at,
        )
        if due_at is not None and meta is not None and meta.due_working_days:
            if meta.due_working_days > 1:
                Timer.objects.create(
                    instance=instance,
                    task=task,
                    kind=TimerKind.REMINDER,
                    fire_at=add_working_days(now, meta.due_working_days - 1),
                )
            Timer.objects.create(instance=instance, task=task, kind=TimerKind.ESCALATION, fire_at=due_at)


def _close_task(task: WorkTask, status: str) -> None:
    task.status = status
    task.save()
    Timer.objects.filter(task=task, fired_at__isnull=True).delete()


def _sync(instance: ProcessInstance, workflow: BpmnWorkflow, *, actor: Any) -> None:
    """Make the work tasks match SpiffWorkflow's ready user tasks; finish the case when it ends."""
    steps = compiled(instance.definition).steps
    now = timezone.now()
    ready = {str(t.id): t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
    live = WorkTask.objects.filter(instance=instance, status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED])
    for task in live:
        if task.spiff_task_id not in ready:
            _close_task(task, TaskStatus.CANCELLED)
    present = set(live.values_list("spiff_task_id", flat=True))
    for spiff_id, spiff_task in ready.items():
        if spiff_id not in present:
            _create_tasks(instance, spiff_task, steps.get(spiff_task.task_spec.bpmn_id), now)
    if workflow.completed:
        ends = [t for t in workflow.get_tasks(state=TaskState.COMPLETED) if isinstance(t.task_spec, EndEvent)]
        instance.state = InstanceState.COMPLETED
        instance.outcome = ends[-1].task_spec.bpmn_id if ends else ""
        _event(instance, actor=actor, action="finished", data={"outcome": instance.outcome})


def _audit(actor: Any, action: str, instance: ProcessInstance, obj: models.Model, **after: Any) -> None:
    audit.record(actor=actor, action=f"workflow.{action}", obj=obj, org=instance.org, after=after or None)


def changed(instance: ProcessInstance, *, action: str, task: WorkTask | None, actor: Any) -> None:
    """Tell subscribed domains that ``instance`` changed (see ``workflow.signals``)."""
    case_changed.send(sender=ProcessInstance, instance=instance, action=action, task=task, actor=actor)


def _latest(process_key: str) -> ProcessDefinition:
    definition = ProcessDefinition.objects.filter(key=process_key).order_by("-version").first()
    if definition is None:
        raise NotFound(f"流程“{process_key}”尚未发布")
    return definition


@transaction.atomic
def start(
    process_key: str, *, subject: models.Model | None, org: Org, actor: Any, data: dict[str, Any] | None = None
) -> ProcessInstance:
    """Start a case of the latest published version of ``process_key`` about ``subject`` at ``org``."""
    definition = _latest(process_key)
    workflow = BpmnWorkflow(compiled(definition).spec, script_engine=SCRIPT_ENGINE)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data or {})
    _advance(workflow)
    instance = ProcessInstance.objects.create(
        definition=definition,
        subject_type=subject._meta.label_lower if subject is not None else "",
        subject_id=str(subject.pk) if subject is not None else "",
        org=org,
        org_path=org.path,
        started_by=actor if isinstance(actor, User) else None,
        serialized=_dump(workflow),
    )
    _event(instance, actor=actor, action="started", data={"definition": definition.key, "version": definition.version})
    _sync(instance, workflow, actor=actor)
    instance.save()
    _audit(actor, "instance.start", instance, instance, key=definition.key, version=definition.version)
    changed(instance, action="started", task=None, actor=actor)
    return instance


def _check_actionable(instance: ProcessInstance, task: WorkTask, actor: Any) -> None:
    if instance.state == InstanceState.CANCELLED:
        raise WorkflowError("案件已撤销，不能再办理")
    if instance.state == InstanceState.COMPLETED:
        raise WorkflowError("案件已办结，不能再办理")
    if task.status == TaskStatus.COMPLETED:
        raise WorkflowError("该待办事项已办理，不能重复提交")
    if task.status in (TaskStatus.CANCELLED, TaskStatus.RETURNED):
        raise WorkflowError("该待办事项已取消或已退回，不能再办理")
    if task.claimed_by_id is not None and task.claimed_by_id != getattr(actor, "pk", None):
        raise WorkflowError(f"该待办事项已由“{task.claimed_by}”签收，只有签收人可以办理")
    if not is_candidate(actor, task):
        raise NotCandidate()


def _lock_task(task: WorkTask, actor: Any) -> tuple[ProcessInstance, WorkTask]:
    instance = _lock(task.instance)
    locked = WorkTask.objects.select_for_update(of=("self",)).select_related("claimed_by").get(pk=task.pk)
    _check_actionable(instance, locked, actor)
    return instance, locked


@transaction.atomic
def claim(task: WorkTask, *, actor: Any) -> WorkTask:
    """Claim (签收) an open task so that only the actor works on it."""
    instance, task = _lock_task(task, actor)
    if task.status == TaskStatus.CLAIMED:
        return task
    task.status = TaskStatus.CLAIMED
    task.claimed_by = actor
    task.save()
    _save(instance, None)
    _event(instance, actor=actor, action="claimed", task=task)
    _audit(actor, "task.claim", instance, task, status=task.status)
    changed(instance, action="claimed", task=task, actor=actor)
    return task


@transaction.atomic
def complete(task: WorkTask, *, actor: Any, data: dict[str, Any] | None = None, comment: str = "") -> WorkTask:
    """Complete a task with its form data; the case moves on through the BPMN."""
    instance, task = _lock_task(task, actor)
    data = dict(data or {})
    task.status = TaskStatus.COMPLETED
    task.completed_by = actor
    task.completed_at = timezone.now()
    task.form_data = data
    task.comment = comment
    _close_task(task, TaskStatus.COMPLETED)
    _event(instance, actor=actor, action="completed", task=task, comment=comment, data=data)
    siblings = WorkTask.objects.filter(instance=instance, spiff_task_id=task.spiff_task_id).exclude(pk=task.pk)
    pending = siblings.filter(status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED])
    workflow: BpmnWorkflow | None = None
    if task.sign_group != "all" or not pending.exists():
        workflow = _load(instance)
        spiff_task = workflow.get_task_from_id(uuid.UUID(task.spiff_task_id))
        if spiff_task is None or spiff_task.state != TaskState.READY:
            raise WorkflowError("流程状态与待办不一致，不能办理")
        merged: dict[str, Any] = {}
        for done in siblings.filter(status=TaskStatus.COMPLETED):
            merged.update(done.form_data)
        merged.update(data)
        spiff_task.data.update(merged)
        spiff_task.run()
        _advance(workflow)
        _sync(instance, workflow, actor=actor)
    _save(instance, workflow)
    _audit(actor, "task.complete", instance, task, status=task.status, fields=sorted(data))
    changed(instance, action="completed", task=task, actor=actor)
    return task


@transaction.atomic
def return_for_correction(task: WorkTask, *, actor: Any, comment: str) -> WorkTask:
    """Return the case to the previous user task (补正/退回), usually the applicant's."""
    if not comment.strip():
        raise WorkflowError("退回补正必须填写退回理由")
    instance, task = _lock_task(task, actor)
    previous = (
        WorkTask.objects.filter(instance=instance, status=TaskStatus.COMPLETED)
        .exclude(spiff_task_id=task.spiff_task_id)
        .order_by("-completed_at", "-pk")
        .first()
    )
    if previous is None:
        raise WorkflowError("这是流程的第一个办理步骤，没有可以退回的上一步")
    task.comment = comment
    task.completed_by = actor
    task.completed_at = timezone.now()
    _close_task(task, TaskStatus.RETURNED)
    workflow = _load(instance)
    workflow.reset_from_task_id(uuid.UUID(previous.spiff_task_id))
    _advance(workflow)
    _event(instance, actor=actor, action="returned", task=task, comment=comment, data={"to": previous.element_id})
    _sync(instance, workflow, actor=actor)
    _save(instance, workflow)
    _audit(actor, "task.return", instance, task, status=task.status, to=previous.element_id)
    changed(instance, action="returned", task=task, actor=actor)
    return task


@transaction.atomic
def delegate(task: WorkTask, *, actor: Any, to_user: User) -> WorkTask:
    """Hand a task to another candidate (转办); only that user may act on it afterwards."""
    instance, task = _lock_task(task, actor)
    if task.role_code and not holds_role_over(to_user, task.role_code, task.candidate_path):
        raise WorkflowError(f"“{to_user}”不具备该步骤的办理角色，不能转办给他")
    task.assignee = to_user
    task.claimed_by = None
    task.status = TaskStatus.OPEN
    task.save()
    _save(instance, None)
    _event(instance, actor=actor, action="delegated", task=task, data={"to": to_user.get_username()})
    _audit(actor, "task.delegate", instance, task, to=to_user.get_username())
    changed(instance, action="delegated", task=task, actor=actor)
    return task


def _may_cancel(actor: Any, instance: ProcessInstance) -> bool:
    from edubase.core.scope import scope_for

    if instance.started_by_id is not None and instance.started_by_id == getattr(actor, "pk", None):
        return True
    return scope_for(actor, "orgs.change").covers(instance.org_path)


@transaction.atomic
def cancel(instance: ProcessInstance, *, actor: Any, reason: str) -> ProcessInstance:
    """Cancel (撤销) a running case: by its applicant, or an admin over the case's org."""
    if not reason.strip():
        raise WorkflowError("撤销案件必须填写理由")
    instance = _lock(instance)
    if instance.state != InstanceState.RUNNING:
        raise WorkflowError("案件已办结或已撤销，不能撤销")
    if not _may_cancel(actor, instance):
        raise PermissionDenied("只有申请人或该机构的管理员可以撤销案件")
    for task in WorkTask.objects.filter(instance=instance, status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED]):
        _close_task(task, TaskStatus.CANCELLED)
    Timer.objects.filter(instance=instance, fired_at__isnull=True).delete()
    instance.state = InstanceState.CANCELLED
    _save(instance, None)
    _event(instance, actor=actor, action="cancelled", comment=reason)
    _audit(actor, "instance.cancel", instance, instance, state=instance.state)
    changed(instance, action="cancelled", task=None, actor=actor)
    return instance
