"""Workflow statistics (办理统计): on-time rate, handling times and correction rate.

Figures, each over the cases whose org lies in the actor's ``orgs.view`` scope:

- on-time completion rate (按时办结率): tasks with a time limit completed by ``due_at`` / tasks
  with a time limit completed;
- average handling time: of a task (created → completed), and of a case (started → finished);
- correction rate (补正率): finished cases that were returned for correction at least once
  (a ``returned`` history entry, or a decision ``return``) / finished cases.

Grouped overall, by process key and by prefecture (市级: the case org's ancestor at depth 2).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from edubase.core.scope import scope_for
from edubase.orgs.models import Org
from edubase.workflow.models import CaseEvent, InstanceState, ProcessInstance, TaskStatus, WorkTask


@dataclass
class _Acc:
    tasks_with_limit: int = 0
    tasks_on_time: int = 0
    task_seconds: list[float] = field(default_factory=list)
    case_seconds: list[float] = field(default_factory=list)
    finished: int = 0
    corrected: int = 0

    def figures(self) -> dict[str, Any]:
        def avg(values: list[float]) -> float | None:
            return round(sum(values) / len(values) / 3600, 2) if values else None

        return {
            "tasks_completed": len(self.task_seconds),
            "tasks_with_limit": self.tasks_with_limit,
            "on_time_rate": round(self.tasks_on_time / self.tasks_with_limit, 4) if self.tasks_with_limit else None,
            "avg_task_hours": avg(self.task_seconds),
            "cases_finished": self.finished,
            "avg_case_hours": avg(self.case_seconds),
            "corrected_cases": self.corrected,
            "correction_rate": round(self.corrected / self.finished, 4) if self.finished else None,
        }


def _prefecture_path(org_path: str) -> str:
    step = Org.steplen
    return org_path[: 2 * step] if len(org_path) >= 2 * step else org_path


def workflow_stats(
    actor: Any, *, process: str | None = None, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> dict[str, Any]:
    """The figures overall, ``by_process`` and ``by_prefecture`` for the actor's scope."""
    cases = ProcessInstance.objects.filter(scope_for(actor, "orgs.view").q("org_path"))
    if process:
        cases = cases.filter(definition__key=process)
    if since is not None:
        cases = cases.filter(created__gte=since)
    if until is not None:
        cases = cases.filter(created__lt=until)
    info = {
        pk: (key, path, created)
        for pk, key, path, created in cases.values_list("pk", "definition__key", "org_path", "created")
    }
    overall = _Acc()
    by_process: defaultdict[str, _Acc] = defaultdict(_Acc)
    by_pref: defaultdict[str, _Acc] = defaultdict(_Acc)

    def accs(case_pk: int) -> list[_Acc]:
        key, path, _ = info[case_pk]
        return [overall, by_process[key], by_pref[_prefecture_path(path)]]

    tasks = WorkTask.objects.filter(instance__in=cases, status=TaskStatus.COMPLETED, completed_at__isnull=False)
    for case_pk, created, completed, due in tasks.values_list("instance_id", "created", "completed_at", "due_at"):
        if completed is None:
            continue
        for acc in accs(case_pk):
            acc.task_seconds.append((completed - created).total_seconds())
            if due is not None:
                acc.tasks_with_limit += 1
                acc.tasks_on_time += completed <= due
    finished = CaseEvent.objects.filter(
        instance__in=cases.filter(state=InstanceState.COMPLETED), action="finished"
    ).values_list("instance_id", "at")
    corrected = set(
        CaseEvent.objects.filter(instance__in=cases)
        .filter(Q(action="returned") | Q(action="completed", data__decision="return"))
        .values_list("instance_id", flat=True)
    )
    for case_pk, at in finished:
        for acc in accs(case_pk):
            acc.finished += 1
            acc.case_seconds.append((at - info[case_pk][2]).total_seconds())
            acc.corrected += case_pk in corrected
    names = dict(Org.objects.filter(path__in=list(by_pref)).values_list("path", "name"))
    codes = dict(Org.objects.filter(path__in=list(by_pref)).values_list("path", "region_code"))
    return {
        "cases": len(info),
        "overall": overall.figures(),
        "by_process": [{"process": key, **acc.figures()} for key, acc in sorted(by_process.items())],
        "by_prefecture": [
            {"code": codes.get(path, ""), "name": names.get(path, ""), **acc.figures()}
            for path, acc in sorted(by_pref.items())
        ],
    }
