"""Workflow reads: the inbox (我的待办) and a case's history, both starting from the actor."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from edubase.accounts.models import RoleAssignment
from edubase.core.errors import NotFound
from edubase.core.scope import scope_for, subtree_q
from edubase.workflow.engine import is_candidate
from edubase.workflow.models import CaseEvent, ProcessInstance, TaskStatus, WorkTask

LIVE = [TaskStatus.OPEN, TaskStatus.CLAIMED]


def inbox_for(actor: Any) -> QuerySet[WorkTask]:
    """Open and claimed tasks the actor may act on: by role on the candidate org subtree, or by name.

    The actor's role assignments are read first (a handful of rows); the tasks then come from one
    query answered by the ``workflow_task_inbox`` / ``_assignee`` / ``_claimed`` indexes.
    """
    if actor is None or not getattr(actor, "is_authenticated", False):
        return WorkTask.objects.none()
    by_role = Q()
    for role_code, path in RoleAssignment.objects.filter(user=actor).values_list("role__code", "org__path"):
        by_role |= Q(role_code=role_code) & subtree_q(path, "candidate_path")
    offered = Q(status=TaskStatus.OPEN, assignee__isnull=True) & by_role if by_role else Q(pk__in=[])
    claimed_by_role = Q(status=TaskStatus.CLAIMED, assignee__isnull=True) & by_role if by_role else Q(pk__in=[])
    mine = Q(status__in=LIVE, assignee=actor, claimed_by__isnull=True) | Q(status=TaskStatus.CLAIMED, claimed_by=actor)
    return (
        WorkTask.objects.filter(offered | claimed_by_role | mine)
        .select_related("instance__definition", "candidate_org", "claimed_by")
        # a list never needs the case state (~8 KB of JSON) or the process's BPMN XML
        .defer("instance__serialized", "instance__definition__bpmn_xml")
        .order_by("due_at", "pk")
    )


def get_task(actor: Any, *, pk: int) -> WorkTask:
    """A task the actor may see: a candidate, the claimer, or someone who may view the case."""
    task = WorkTask.objects.select_related("instance__definition", "instance__org", "claimed_by").filter(pk=pk).first()
    if task is None:
        raise NotFound()
    if is_candidate(actor, task) or task.claimed_by_id == getattr(actor, "pk", None):
        return task
    get_instance(actor, pk=task.instance_id)
    return task


def get_instance(actor: Any, *, pk: int) -> ProcessInstance:
    """A case the actor may see: its applicant, anyone who acted on it, or an org viewer over its org."""
    instance = ProcessInstance.objects.select_related("definition", "org").filter(pk=pk).first()
    if instance is None:
        raise NotFound()
    user_pk = getattr(actor, "pk", None)
    if user_pk is not None and (
        instance.started_by_id == user_pk or CaseEvent.objects.filter(instance=instance, actor_id=user_pk).exists()
    ):
        return instance
    if scope_for(actor, "orgs.view").covers(instance.org_path):
        return instance
    raise NotFound()


def case_history(actor: Any, instance: ProcessInstance) -> QuerySet[CaseEvent]:
    """The case's history, oldest first (NotFound when the actor may not see the case)."""
    get_instance(actor, pk=instance.pk)
    return CaseEvent.objects.filter(instance=instance).select_related("actor", "task").order_by("at", "pk")
