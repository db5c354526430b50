"""The worker: registered periodic jobs run when due; a failing job does not stop the others."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from edubase.core import jobs
from edubase.workflow.models import CaseEvent, Timer
from tests.workflow.conftest import build_desk, submitted_case


@pytest.fixture
def isolated_jobs(monkeypatch: pytest.MonkeyPatch) -> dict[str, jobs.Job]:
    table: dict[str, jobs.Job] = {}
    monkeypatch.setattr(jobs, "_JOBS", table)
    return table


def test_due_jobs_run_once_per_interval_and_failures_are_contained(isolated_jobs):
    calls: list[str] = []

    def broken() -> None:
        raise RuntimeError("boom")

    jobs.register("a", lambda: calls.append("a") or 1, every_s=10, label="A")
    jobs.register("b", broken, every_s=10, label="B")
    results = jobs.run_due(now=100.0)
    assert calls == ["a"] and isinstance(dict((j.name, r) for j, r in results)["b"], RuntimeError)
    assert jobs.run_due(now=105.0) == []  # not due again yet
    jobs.run_due(now=110.0, only={"a"})
    assert calls == ["a", "a"]


def test_the_shipped_jobs_are_registered():
    names = {job.name for job in jobs.registered()}
    assert {"workflow.timers", "workflow.outbox"} <= names


@pytest.mark.django_db
def test_the_worker_fires_due_timers_once(world, capsys):
    case = submitted_case(build_desk(world))
    Timer.objects.update(fire_at=timezone.now() - dt.timedelta(minutes=1))
    for job in jobs.registered():
        job.next_at = 0.0
    call_command("worker", "--once", "--only", "workflow.timers")
    assert "流程定时器：2" in capsys.readouterr().out
    assert CaseEvent.objects.filter(instance=case, action="escalated").count() == 1
    for job in jobs.registered():
        job.next_at = 0.0
    call_command("worker", "--once", "--only", "workflow.timers")
    assert CaseEvent.objects.filter(instance=case, action="escalated").count() == 1
