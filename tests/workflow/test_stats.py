"""Workflow statistics: on-time rate, handling times, correction rate, by process and prefecture."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from edubase.workflow import engine, stats
from edubase.workflow.models import ProcessInstance, WorkTask
from tests.workflow.conftest import Desk, open_task, submitted_case


def decide(desk: Desk, instance: ProcessInstance, decision: str) -> None:
    engine.complete(open_task(instance, "review"), actor=desk.county_reviewer, data={"decision": decision})


def test_the_figures_for_approved_late_and_corrected_cases(desk: Desk) -> None:
    w = desk.world
    on_time = submitted_case(desk)
    decide(desk, on_time, "approve")
    late = submitted_case(desk)
    WorkTask.objects.filter(instance=late, element_id="review").update(due_at=timezone.now() - dt.timedelta(hours=1))
    decide(desk, late, "reject")
    corrected = submitted_case(desk)
    decide(desk, corrected, "return")
    engine.complete(open_task(corrected, "submit"), actor=w.school_admin, data={"reason": "补正"})
    decide(desk, corrected, "approve")
    submitted_case(desk)  # still running: not finished, its review not completed

    figures = stats.workflow_stats(w.province_admin)
    overall = figures["overall"]
    assert figures["cases"] == 4
    assert overall["cases_finished"] == 3
    assert overall["corrected_cases"] == 1 and overall["correction_rate"] == round(1 / 3, 4)
    assert overall["tasks_with_limit"] == 4 and overall["on_time_rate"] == 0.75
    assert overall["avg_task_hours"] is not None and overall["avg_case_hours"] is not None
    assert [p["process"] for p in figures["by_process"]] == ["generic_approval"]
    assert [(p["code"], p["name"], p["cases_finished"]) for p in figures["by_prefecture"]] == [("410100", "郑州市", 3)]


def test_figures_stay_within_the_actors_scope(desk: Desk) -> None:
    w = desk.world
    decide(desk, submitted_case(desk), "approve")
    assert stats.workflow_stats(w.city_admin)["overall"]["cases_finished"] == 1
    luoyang = stats.workflow_stats(desk.luoyang_reviewer)
    assert luoyang["cases"] == 0 and luoyang["overall"]["on_time_rate"] is None
    assert stats.workflow_stats(w.province_admin, process="other")["cases"] == 0


def test_the_stats_route_answers_with_the_figures(desk: Desk) -> None:
    w = desk.world
    decide(desk, submitted_case(desk), "approve")
    client = Client()
    client.force_login(w.county_admin)
    body = client.get("/api/v1/workflow/connectors/stats").json()
    assert body["overall"]["cases_finished"] == 1 and body["by_prefecture"][0]["name"] == "郑州市"
    assert client.get("/api/v1/workflow/connectors/stats?since=2999-01-01").json()["cases"] == 0
    client.force_login(w.outsider)
    assert client.get("/api/v1/workflow/connectors/stats").status_code == 403
