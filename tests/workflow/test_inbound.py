"""The connector API: cases created by other systems (idempotent) and webhook subscriptions."""

from __future__ import annotations

from typing import Any

from django.test import Client

from edubase.accounts.models import User
from edubase.core.models import AuditEvent
from edubase.workflow.models import InboundCase, OutboxEvent, ProcessInstance, WebhookSubscription, WorkTask
from tests.workflow.conftest import Desk

URL = "/api/v1/workflow/connectors"


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def create(user: User, org: Any, external_id: str = "XJ-2026-0001", **extra: Any) -> Any:
    body = {
        "source": "学籍系统",
        "external_id": external_id,
        "process_key": "generic_approval",
        "org_id": org.pk,
        "data": {"reason": "学籍异动"},
        **extra,
    }
    return as_user(user).post(f"{URL}/cases", body, content_type="application/json")


def test_a_county_admin_creates_a_submitted_case_from_another_system(desk: Desk) -> None:
    w = desk.world
    response = create(w.county_admin, w.school_a)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] is True and body["state"] == "running"
    case = ProcessInstance.objects.get(pk=body["case_id"])
    assert WorkTask.objects.get(instance=case, status="open").element_id == "review"
    assert case.inbound.external_id == "XJ-2026-0001"
    assert AuditEvent.objects.filter(action="workflow.inbound.create").count() == 1
    assert OutboxEvent.objects.filter(instance=case, event_type="case.started").exists()


def test_the_same_external_id_twice_gives_the_same_case_with_200(desk: Desk) -> None:
    w = desk.world
    first = create(w.county_admin, w.school_a).json()
    again = create(w.county_admin, w.school_a)
    assert again.status_code == 200 and again.json()["case_id"] == first["case_id"] and not again.json()["created"]
    assert ProcessInstance.objects.count() == 1 and InboundCase.objects.count() == 1


def test_an_external_id_reused_for_another_org_is_refused(desk: Desk) -> None:
    w = desk.world
    create(w.city_admin, w.school_a)
    response = create(w.city_admin, w.school_b)
    assert response.status_code == 409 and "外部编号" in response.json()["error"]["message"]
    assert ProcessInstance.objects.count() == 1


def test_a_school_admin_without_orgs_change_is_refused(desk: Desk) -> None:
    w = desk.world
    response = create(w.school_admin, w.school_a)
    assert response.status_code == 403 and "权限" in response.json()["error"]["message"]
    assert ProcessInstance.objects.count() == 0


def test_a_county_admin_cannot_create_a_case_in_another_city(desk: Desk) -> None:
    w = desk.world
    assert create(w.county_admin, w.school_c).status_code == 404
    assert ProcessInstance.objects.count() == 0


def test_bad_payloads_get_chinese_reasons(desk: Desk) -> None:
    w = desk.world
    response = create(w.county_admin, w.school_a, external_id=" ", process_key="")
    assert response.status_code == 422
    reasons = {d["field"]: d["reason"] for d in response.json()["error"]["details"]}
    assert reasons == {"external_id": "外部编号不能为空", "process_key": "流程标识不能为空"}
    response = create(w.county_admin, w.school_a, process_key="no_such_process")
    assert response.status_code == 422 and "尚未发布" in response.json()["error"]["message"]


def test_submit_false_leaves_the_applicant_step_open(desk: Desk) -> None:
    w = desk.world
    body = create(w.county_admin, w.school_a, submit=False).json()
    assert WorkTask.objects.get(instance_id=body["case_id"], status="open").element_id == "submit"


def subscribe(user: User, org: Any, **extra: Any) -> Any:
    body = {"org_id": org.pk, "name": "学籍系统", "url": "https://xj.example.cn/hook", **extra}
    return as_user(user).post(f"{URL}/subscriptions", body, content_type="application/json")


def test_a_city_admin_subscribes_and_sees_the_secret_once(desk: Desk) -> None:
    w = desk.world
    response = subscribe(w.city_admin, w.zhengzhou, event_types=["case.approved"])
    assert response.status_code == 201, response.content
    secret = response.json()["secret"]
    assert len(secret) >= 32 and WebhookSubscription.objects.get().secret == secret
    listed = as_user(w.city_admin).get(f"{URL}/subscriptions").json()
    assert [s["name"] for s in listed] == ["学籍系统"] and "secret" not in listed[0]
    audit = AuditEvent.objects.get(action="workflow.subscription.create")
    assert secret not in str(audit.after)


def test_subscriptions_are_listed_only_within_scope(desk: Desk) -> None:
    w = desk.world
    subscribe(w.province_admin, w.luoyang)
    assert as_user(w.city_admin).get(f"{URL}/subscriptions").json() == []
    assert len(as_user(w.province_admin).get(f"{URL}/subscriptions").json()) == 1


def test_a_subscription_needs_orgs_change_and_valid_fields(desk: Desk) -> None:
    w = desk.world
    assert subscribe(w.school_admin, w.school_a).status_code == 403
    assert subscribe(w.city_admin, w.luoyang).status_code == 404
    response = subscribe(w.city_admin, w.zhengzhou, url="ftp://x", event_types=["case.exploded"], secret="short")
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert fields == {"url", "event_types", "secret"}
    assert WebhookSubscription.objects.count() == 0
