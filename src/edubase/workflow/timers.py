"""Durable timers, each fired exactly once.

``fire_due_timers`` picks due, unfired timers with ``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL (concurrent workers take disjoint rows; on SQLite the write transaction serialises
them) and marks each fired in the same transaction as its effect, so a crash fires nothing
twice and loses nothing: the timer stays due until a sweep commits.

Effects: a reminder (催办) writes a case event; an escalation (超期升级) marks the task overdue
and offers it to the same role on the parent of its candidate org.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from edubase.core import audit
from edubase.orgs.models import Org
from edubase.workflow.engine import _event, changed
from edubase.workflow.models import InstanceState, TaskStatus, Timer, TimerKind

logger = logging.getLogger(__name__)


def _fire(timer: Timer, now: dt.datetime) -> None:
    instance = timer.instance
    task = timer.task
    live = (
        instance.state == InstanceState.RUNNING
        and task is not None
        and task.status in (TaskStatus.OPEN, TaskStatus.CLAIMED)
    )
    if live and task is not None and timer.kind == TimerKind.REMINDER:
        _event(
            instance,
            actor=None,
            action="reminded",
            task=task,
            data={"due_at": task.due_at.isoformat() if task.due_at else None},
        )
        changed(instance, action="reminded", task=task, actor=None)
    elif live and task is not None and timer.kind in (TimerKind.ESCALATION, TimerKind.DEADLINE):
        parent = Org.objects.get_parent(task.candidate_org) if task.candidate_org.depth > 1 else None
        before = {"candidate_org": task.candidate_org.name}
        if parent is not None and not task.assignee_id:
            task.candidate_org = parent
            task.candidate_path = parent.path
            task.claimed_by = None
            task.status = TaskStatus.OPEN
            task.save()
        _event(instance, actor=None, action="escalated", task=task, data={**before, "to": task.candidate_org.name})
        audit.record(
            actor=None,
            action="workflow.task.escalate",
            obj=task,
            org=instance.org,
            before=before,
            after={"candidate_org": task.candidate_org.name},
        )
        changed(instance, action="escalated", task=task, actor=None)


def fire_due_timers(now: dt.datetime | None = None, *, limit: int = 100) -> int:
    """Fire up to ``limit`` timers due at ``now``; return how many this call fired."""
    now = now or timezone.now()
    with transaction.atomic():
        due = Timer.objects.filter(fired_at__isnull=True, fire_at__lte=now).order_by("fire_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        timers = list(due.select_related("instance__org", "task__candidate_org")[:limit])
        fired = 0
        for timer in timers:
            claimed = Timer.objects.filter(pk=timer.pk, fired_at__isnull=True).update(
                fired_at=now, attempts=timer.attempts + 1
            )
            if claimed != 1:
                continue
            _fire(timer, now)
            fired += 1
    if fired:
        logger.info("fired %d workflow timers", fired)
    return fired


def pending(*, now: dt.datetime | None = None) -> Any:
    """Due, unfired timers (for monitoring)."""
    return Timer.objects.filter(fired_at__isnull=True, fire_at__lte=now or timezone.now())
