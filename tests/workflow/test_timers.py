"""Durable timers: reminders and escalation with a controllable clock, fired exactly once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from edubase.workflow import engine, timers
from edubase.workflow.models import CaseEvent, Timer, TimerKind
from tests.conftest import ON_POSTGRES
from tests.workflow.conftest import Desk, build_desk, open_task, submitted_case


def later(days: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


def test_a_review_gets_a_reminder_and_an_escalation_timer(desk: Desk) -> None:
    instance = submitted_case(desk)
    review = open_task(instance, "review")
    kinds = set(Timer.objects.filter(task=review).values_list("kind", flat=True))
    assert kinds == {TimerKind.REMINDER, TimerKind.ESCALATION}
    assert Timer.objects.get(task=review, kind=TimerKind.ESCALATION).fire_at == review.due_at


def test_nothing_fires_before_it_is_due(desk: Desk) -> None:
    submitted_case(desk)
    assert timers.fire_due_timers(timezone.now()) == 0


def test_an_overdue_review_escalates_to_the_city(desk: Desk) -> None:
    instance = submitted_case(desk)
    assert timers.fire_due_timers(later(30)) == 2
    review = open_task(instance, "review")
    assert review.candidate_org == desk.world.zhengzhou
    assert not engine.is_candidate(desk.county_reviewer, review)
    assert engine.is_candidate(desk.city_reviewer, review)
    actions = list(CaseEvent.objects.filter(instance=instance).values_list("action", flat=True))
    assert actions[-2:] == ["reminded", "escalated"]


def test_each_timer_fires_once_across_sweeps(desk: Desk) -> None:
    submitted_case(desk)
    assert timers.fire_due_timers(later(30)) == 2
    assert timers.fire_due_timers(later(60)) == 0
    assert CaseEvent.objects.filter(action="escalated").count() == 1


def test_completing_the_task_drops_its_timers(desk: Desk) -> None:
    instance = submitted_case(desk)
    engine.complete(open_task(instance, "review"), actor=desk.county_reviewer, data={"decision": "approve"})
    assert timers.fire_due_timers(later(30)) == 0


def test_the_command_fires_due_timers(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    submitted_case(desk)
    Timer.objects.update(fire_at=timezone.now() - dt.timedelta(minutes=1))
    call_command("workflow", "fire-timers")
    assert "2" in capsys.readouterr().out


@pytest.mark.postgres
@pytest.mark.skipif(
    not ON_POSTGRES,
    reason="SKIP LOCKED racing needs PostgreSQL; SQLite serialises writers, so there is no race to test",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_racing_fire_each_timer_exactly_once(world: object) -> None:
    d = build_desk(world)  # type: ignore[arg-type]
    for _ in range(10):
        submitted_case(d)
    Timer.objects.update(fire_at=timezone.now() - dt.timedelta(minutes=1))
    total = Timer.objects.count()
    counts: list[int] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            barrier.wait()
            while True:
                fired = timers.fire_due_timers(limit=3)
                counts.append(fired)
                if not fired:
                    break
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts) == total
    assert Timer.objects.filter(fired_at__isnull=True).count() == 0
    assert CaseEvent.objects.filter(action__in=["reminded", "escalated"]).count() == total
