"""Moving running cases to a newer version of their process definition (流程实例迁移).

A running case stays on the version it started with. ``migrate`` moves one case to a newer
version of the same process *where safe*, using SpiffWorkflow's spec diff: every task of the
case (done, waiting or ready) must still exist in the new version (matched by BPMN element id);
otherwise the case is left alone and the reason names the missing steps. Ready and waiting tasks
are re-predicted under the new version, so changed outgoing flows, new steps after the current
one and changed assignments (role, level, time limit) take effect from the next transition. The
open work tasks are kept when their step survives (same SpiffWorkflow task), re-created otherwise.

Each migration is one transaction with the case row locked, a ``migrated`` history entry and an
audit event; ``--dry-run`` reports what would happen and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from edubase.core.errors import NotFound, ValidationFailed
from edubase.workflow import engine
from edubase.workflow.models import InstanceState, ProcessDefinition, ProcessInstance


@dataclass
class MigrationResult:
    instance: int
    from_version: int
    to_version: int
    migrated: bool
    reason: str = ""
    changed_steps: list[str] = field(default_factory=list)
    added_steps: list[str] = field(default_factory=list)


def _check(instance: ProcessInstance, target: ProcessDefinition) -> str:
    if instance.state != InstanceState.RUNNING:
        return "案件已办结或已撤销，无需迁移"
    if target.key != instance.definition.key:
        return f"目标流程“{target.key}”与案件的流程“{instance.definition.key}”不同"
    if target.version <= instance.definition.version:
        return f"案件已在 v{instance.definition.version}，目标 v{target.version} 不是更新的版本"
    return ""


def _plan(instance: ProcessInstance, target: ProcessDefinition) -> tuple[Any, Any, MigrationResult]:
    result = MigrationResult(
        instance=instance.pk,
        from_version=instance.definition.version,
        to_version=target.version,
        migrated=False,
    )
    workflow = engine._load(instance)
    new_spec = engine.compiled(target).spec
    top_diff, _sub = diff_workflow(engine.SERIALIZER.registry, workflow, new_spec, {})
    removed = {t.task_spec.bpmn_id for t in top_diff.removed if t.task_spec.bpmn_id}
    # SpiffWorkflow also aligns a step to a differently named one by its flows; a case's history
    # names steps by id, so a step that changed its id counts as removed here
    removed |= {
        task.task_spec.bpmn_id
        for task, new in top_diff.alignment.items()
        if new is not None and task.task_spec.bpmn_id and task.task_spec.bpmn_id != new.bpmn_id
    }
    if removed:
        result.reason = f"新版本删除了案件已经过或正在办理的步骤：{'、'.join(sorted(removed))}，不能安全迁移"
    result.changed_steps = sorted({t.task_spec.bpmn_id for t in top_diff.changed if t.task_spec.bpmn_id})
    old_ids = {s.bpmn_id for s in workflow.spec.task_specs.values() if s.bpmn_id}
    result.added_steps = sorted(
        {s.bpmn_id for s in new_spec.task_specs.values() if s.bpmn_id and s.bpmn_id not in old_ids}
    )
    return workflow, top_diff, result


@transaction.atomic
def migrate(
    instance: ProcessInstance, *, target: ProcessDefinition, actor: Any, dry_run: bool = False
) -> MigrationResult:
    """Move ``instance`` to ``target`` if safe; the result says what happened and why not."""
    instance = engine._lock(instance)
    reason = _check(instance, target)
    if reason:
        return MigrationResult(instance.pk, instance.definition.version, target.version, False, reason)
    workflow, top_diff, result = _plan(instance, target)
    if result.reason or dry_run:
        return result
    new_spec = engine.compiled(target).spec
    migrate_workflow(top_diff, workflow, new_spec, reset_mask=TaskState.READY | TaskState.WAITING)
    engine._advance(workflow)
    before = instance.definition.version
    instance.definition = target
    engine._sync(instance, workflow, actor=actor)
    engine._save(instance, workflow)
    engine._event(
        instance,
        actor=actor,
        action="migrated",
        data={"from": before, "to": target.version, "added": result.added_steps},
    )
    engine._audit(actor, "instance.migrate", instance, instance, from_version=before, to_version=target.version)
    engine.changed(instance, action="migrated", task=None, actor=actor)
    result.migrated = True
    return result


def migrate_all(
    key: str, *, actor: Any, version: int | None = None, dry_run: bool = False, instance_ids: list[int] | None = None
) -> list[MigrationResult]:
    """Migrate the running cases of ``key`` (or the named ones) to ``version`` (default: the latest)."""
    definitions = ProcessDefinition.objects.filter(key=key)
    target = definitions.filter(version=version).first() if version else definitions.order_by("-version").first()
    if target is None:
        raise NotFound(f"流程“{key}”没有{'版本 v' + str(version) if version else '已发布的版本'}")
    running = ProcessInstance.objects.filter(definition__key=key, state=InstanceState.RUNNING).exclude(
        definition=target
    )
    if instance_ids:
        running = running.filter(pk__in=instance_ids)
        missing = set(instance_ids) - set(running.values_list("pk", flat=True))
        if missing:
            raise ValidationFailed(f"这些案件不存在、已办结或已在目标版本：{sorted(missing)}")
    pks = list(running.order_by("pk").values_list("pk", flat=True))
    return [
        migrate(
            ProcessInstance.objects.select_related("definition").get(pk=pk), target=target, actor=actor, dry_run=dry_run
        )
        for pk in pks
    ]
