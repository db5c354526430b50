"""Incidents through the API and the console pages."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from edubase.secops import incidents
from edubase.secops.models import Incident, IncidentState
from tests.factories import World, make_user

pytestmark = pytest.mark.django_db

API = "/api/v1/secops/incidents"


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def body(world: World, **overrides: Any) -> dict[str, Any]:
    values = {
        "org_id": world.school_a.pk,
        "title": "教务系统感染勒索病毒",
        "grade": "major",
        "category": "malware",
        "discovered_at": (timezone.now() - dt.timedelta(minutes=30)).isoformat(),
        "playbook": "ransomware",
    }
    values.update(overrides)
    return values


def test_a_school_reports_an_incident_and_gets_its_checklist(world):
    client = client_for(world.school_admin)
    response = post(client, API, body(world))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["state"] == "reported" and data["grade_label"] == "重大" and not data["reported_late"]
    assert len(data["tasks"]) == len(incidents.PLAYBOOKS["ransomware"][1])
    assert [a["kind"] for a in data["actions"]] == ["created", "reported"]


def test_an_unreported_incident_shows_its_countdown(world):
    client = client_for(world.school_admin)
    data = post(client, API, body(world, report_now=False)).json()
    assert data["state"] == "discovered"
    assert 0 < data["seconds_to_deadline"] <= 90 * 60  # 2 h for 重大, 30 min gone


def test_bad_input_answers_422_in_chinese(world):
    response = post(client_for(world.school_admin), API, body(world, grade="5级"))
    assert response.status_code == 422
    assert "“5级”不是有效的事件分级" in response.json()["error"]["message"]
    assert Incident.objects.count() == 0


def test_a_wrong_step_answers_409_and_changes_nothing(world):
    client = client_for(world.school_admin)
    pk = post(client, API, body(world)).json()["id"]
    response = post(client, f"{API}/{pk}/transition", {"to": "closed"})
    assert response.status_code == 409
    assert "不能变为“已结案”" in response.json()["error"]["message"]
    assert Incident.objects.get(pk=pk).state == IncidentState.REPORTED


def test_the_whole_response_through_the_api(world):
    client = client_for(world.school_admin)
    pk = post(client, API, body(world)).json()["id"]
    assert post(client, f"{API}/{pk}/transition", {"to": "responding"}).status_code == 200
    task_id = client.get(f"{API}/{pk}").json()["tasks"][0]["id"]
    patched = client.patch(f"{API}/{pk}/tasks/{task_id}", json.dumps({"done": True}), content_type="application/json")
    assert patched.status_code == 200 and patched.json()["done"] is True
    upload = client.post(
        f"{API}/{pk}/actions",
        {"text": "隔离主机并保全样本", "files": [SimpleUploadedFile("ransom-note.txt", b"YOUR FILES ARE ENCRYPTED")]},
    )
    assert upload.status_code == 201, upload.content
    evidence = upload.json()["evidence"][0]
    download = client.get(f"{API}/{pk}/evidence/{evidence['id']}")
    assert download.status_code == 200 and download.content == b"YOUR FILES ARE ENCRYPTED"
    assert post(client, f"{API}/{pk}/transition", {"to": "recovered"}).status_code == 200
    closed = post(
        client,
        f"{API}/{pk}/transition",
        {"to": "closed", "post_report": "已从离线备份恢复", "root_cause": "RDP 弱口令", "lessons": "关闭公网 RDP"},
    )
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    pdf = client.get(f"{API}/{pk}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_another_citys_incident_answers_404(world):
    officer = make_user("ly_officer", role="security_officer", org=world.luoyang)
    pk = post(client_for(officer), API, body(world, org_id=world.school_c.pk)).json()["id"]
    for user in (world.school_admin, world.city_admin):
        client = client_for(user)
        assert client.get(f"{API}/{pk}").status_code == 404
        assert post(client, f"{API}/{pk}/transition", {"to": "responding"}).status_code == 404
        assert client.get(API).json()["items"] == []
    assert client_for(world.province_admin).get(f"{API}/{pk}").status_code == 200


def test_reporting_for_another_school_is_refused(world):
    response = post(client_for(world.school_admin), API, body(world, org_id=world.school_b.pk))
    assert response.status_code == 403
    assert Incident.objects.count() == 0


def test_the_list_filters_drills_out(world):
    client = client_for(world.school_admin)
    post(client, API, body(world))
    post(client, API, body(world, title="勒索病毒应急演练", is_exercise=True, scenario="模拟感染"))
    real = client.get(API, {"exercise": "false"}).json()["items"]
    drills = client.get(API, {"exercise": "true"}).json()["items"]
    assert [i["title"] for i in real] == ["教务系统感染勒索病毒"]
    assert [i["title"] for i in drills] == ["勒索病毒应急演练"]


def test_the_console_report_form_and_detail_page(world):
    client = client_for(world.school_admin)
    assert client.get(reverse("secops:incident_new")).status_code == 200
    response = client.post(
        reverse("secops:incident_new"),
        {
            "form": "1",
            "org": world.school_a.pk,
            "title": "网站被挂马",
            "grade": "general",
            "category": "malware",
            "discovered_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "playbook": "defacement",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    incident = Incident.objects.get()
    assert incident.state == IncidentState.DISCOVERED  # "report now" left unticked
    page = client.get(reverse("secops:incident_detail", args=[incident.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "网站被挂马" in text and "立即上报" in text and "剩余" in text
    listing = client.get(reverse("secops:incident_list"), {"grade": "general"}).content.decode()
    assert "网站被挂马" in listing


def test_the_console_form_shows_problems_and_writes_nothing(world):
    response = client_for(world.school_admin).post(
        reverse("secops:incident_new"),
        {
            "form": "1",
            "org": world.school_a.pk,
            "title": "",
            "grade": "general",
            "category": "x",
            "discovered_at": "昨天",
        },
    )
    assert response.status_code == 422
    assert "发现时间“昨天”不是有效的日期时间" in response.content.decode()
    assert Incident.objects.count() == 0
