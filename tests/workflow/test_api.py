"""The /workflow API: inbox, claim, complete, return, case history, publishing."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from edubase.accounts.models import User
from edubase.workflow import selectors
from edubase.workflow.models import InstanceState, ProcessInstance
from tests.workflow.conftest import Desk, open_task, submitted_case
from tests.workflow.test_definitions import SHIPPED


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, body or {}, content_type="application/json")


def test_the_county_reviewer_sees_the_review_in_the_inbox(desk: Desk) -> None:
    instance = submitted_case(desk)
    items = as_user(desk.county_reviewer).get("/api/v1/workflow/tasks").json()["items"]
    assert [(t["instance_id"], t["element_id"], t["candidate_org"]) for t in items] == [
        (instance.pk, "review", "中原区")
    ]


def test_reviewers_elsewhere_and_outsiders_see_an_empty_inbox(desk: Desk) -> None:
    submitted_case(desk)
    for user in (desk.other_county_reviewer, desk.luoyang_reviewer, desk.world.outsider, desk.world.teacher):
        assert as_user(user).get("/api/v1/workflow/tasks").json()["items"] == []


def test_a_claimed_task_leaves_other_candidates_inbox_but_not_the_claimers(desk: Desk) -> None:
    instance = submitted_case(desk)
    task = open_task(instance, "review")
    assert post(as_user(desk.city_reviewer), f"/api/v1/workflow/tasks/{task.pk}/claim").json()["status"] == "claimed"
    assert [t["id"] for t in as_user(desk.city_reviewer).get("/api/v1/workflow/tasks").json()["items"]] == [task.pk]
    reply = post(
        as_user(desk.county_reviewer), f"/api/v1/workflow/tasks/{task.pk}/complete", {"data": {"decision": "approve"}}
    )
    assert reply.status_code == 409
    assert "签收" in reply.json()["error"]["message"]


def test_completing_through_the_api_moves_the_case_on(desk: Desk) -> None:
    instance = submitted_case(desk)
    task = open_task(instance, "review")
    reply = post(
        as_user(desk.county_reviewer),
        f"/api/v1/workflow/tasks/{task.pk}/complete",
        {"data": {"decision": "approve"}, "comment": "材料齐全，同意"},
    )
    assert reply.status_code == 200, reply.content
    instance.refresh_from_db()
    assert instance.state == InstanceState.COMPLETED


def test_an_outsider_gets_404_for_the_task_and_the_case(desk: Desk) -> None:
    instance = submitted_case(desk)
    task = open_task(instance, "review")
    client = as_user(desk.world.outsider)
    assert post(client, f"/api/v1/workflow/tasks/{task.pk}/complete", {"data": {}}).status_code == 404
    assert client.get(f"/api/v1/workflow/instances/{instance.pk}").status_code == 404


def test_a_teacher_who_sees_the_school_still_cannot_complete(desk: Desk) -> None:
    instance = submitted_case(desk)
    task = open_task(instance, "review")
    reply = post(as_user(desk.world.teacher), f"/api/v1/workflow/tasks/{task.pk}/complete", {"data": {}})
    assert reply.status_code == 403
    assert reply.json()["error"]["code"] == "workflow_not_candidate"


def test_return_through_the_api_needs_a_reason_and_reopens_submit(desk: Desk) -> None:
    instance = submitted_case(desk)
    task = open_task(instance, "review")
    client = as_user(desk.county_reviewer)
    assert post(client, f"/api/v1/workflow/tasks/{task.pk}/return", {"comment": ""}).status_code == 422
    assert post(client, f"/api/v1/workflow/tasks/{task.pk}/return", {"comment": "缺少公章"}).status_code == 200
    items = as_user(desk.world.school_admin).get("/api/v1/workflow/tasks").json()["items"]
    assert [t["element_id"] for t in items] == ["submit"]


def test_the_case_history_is_readable_by_the_applicant_and_scoped(desk: Desk) -> None:
    instance = submitted_case(desk)
    body = as_user(desk.world.school_admin).get(f"/api/v1/workflow/instances/{instance.pk}").json()
    assert [e["action"] for e in body["history"]] == ["started", "completed"]
    assert body["open_tasks"][0]["element_id"] == "review"
    assert as_user(desk.world.city_admin).get(f"/api/v1/workflow/instances/{instance.pk}").status_code == 200
    assert as_user(desk.luoyang_reviewer).get(f"/api/v1/workflow/instances/{instance.pk}").status_code == 404


def test_a_province_admin_publishes_and_a_city_admin_is_refused(desk: Desk) -> None:
    body = {"key": "generic_approval", "name": "通用一步审批", "bpmn_xml": SHIPPED}
    assert post(as_user(desk.world.city_admin), "/api/v1/workflow/definitions", body).status_code == 403
    reply = post(as_user(desk.world.province_admin), "/api/v1/workflow/definitions", body)
    assert reply.status_code == 201 and reply.json()["version"] == 2


def test_invalid_bpmn_is_422_with_element_and_reason(desk: Desk) -> None:
    xml = SHIPPED.replace('<bpmn:endEvent id="rejected"', '<bpmn:scriptTask id="evil" /><bpmn:endEvent id="rejected"')
    body = {"key": "generic_approval", "name": "x", "bpmn_xml": xml}
    reply = post(as_user(desk.world.province_admin), "/api/v1/workflow/definitions", body)
    assert reply.status_code == 422
    assert reply.json()["error"]["details"][0]["element"] == "evil"


def test_the_inbox_is_one_query_after_the_role_lookup(desk: Desk) -> None:
    for _ in range(3):
        submitted_case(desk)
    with CaptureQueriesContext(connection) as queries:
        tasks = list(selectors.inbox_for(desk.city_reviewer))
        _ = [(t.instance.definition.name, t.candidate_org.name) for t in tasks]
    assert len(tasks) == 3
    assert len(queries) == 2


def test_the_inbox_includes_cases_of_the_actors_whole_subtree(desk: Desk) -> None:
    instances = [submitted_case(desk) for _ in range(2)]
    assert {t.instance_id for t in selectors.inbox_for(desk.city_reviewer)} == {i.pk for i in instances}
    assert not ProcessInstance.objects.filter(org=desk.world.school_c).exists()
