"""The registry through the API and the console: filters, pagination, scope, errors in Chinese."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from edubase.secops import registry
from edubase.secops.models import InformationSystem, RegistryChange

pytestmark = pytest.mark.django_db
API = "/api/v1/secops"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client: Client, url: str, body: dict, method: str = "post"):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def systems(world):
    made = {}
    for key, org, level in (("a", world.school_a, 3), ("b", world.school_b, 2), ("c", world.school_c, 4)):
        made[key] = registry.create_system(
            actor=world.province_admin,
            org=org,
            data={"name": f"系统{key}", "mlps_level": level, "graded_on": "2020-01-01"},
        )
    return made


def test_the_list_filters_and_pages_in_scope(world, systems):
    client = _client(world.city_admin)
    body = client.get(f"{API}/systems", {"limit": 1}).json()
    assert len(body["items"]) == 1 and body["next"]
    rest = client.get(f"{API}/systems", {"limit": 5, "cursor": body["next"]}).json()
    assert {s["name"] for s in body["items"] + rest["items"]} == {"系统a", "系统b"}
    by_level = client.get(f"{API}/systems", {"level": 3}).json()["items"]
    assert [s["name"] for s in by_level] == ["系统a"]
    overdue = client.get(f"{API}/systems", {"overdue": "filing"}).json()["items"]
    assert {s["name"] for s in overdue} == {"系统a", "系统b"} and all(s["filing_overdue"] for s in overdue)
    assert client.get(f"{API}/systems", {"q": "系统c"}).json()["items"] == []


def test_another_citys_system_answers_404(world, systems):
    client = _client(world.city_admin)
    response = client.get(f"{API}/systems/{systems['c'].pk}")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert _post(client, f"{API}/systems/{systems['c'].pk}", {"name": "x"}, "patch").status_code == 404


def test_a_bad_level_is_a_chinese_422_naming_the_field(world, systems):
    client = _client(world.school_admin)
    response = _post(client, f"{API}/systems/{systems['a'].pk}", {"mlps_level": 6, "graded_on": "2024-02-30"}, "patch")
    assert response.status_code == 422
    details = {d["field"]: d["reason"] for d in response.json()["error"]["details"]}
    assert "1–5" in details["mlps_level"] and "不存在的日期" in details["graded_on"]
    systems["a"].refresh_from_db()
    assert systems["a"].mlps_level == 3


def test_create_assess_and_read_the_history(world):
    client = _client(world.school_admin)
    created = _post(client, f"{API}/systems", {"org_id": world.school_a.pk, "name": "OA", "mlps_level": "第三级"})
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assessed = _post(client, f"{API}/systems/{pk}/assessments", {"assessed_on": "2024-05-01", "conclusion": "basic"})
    assert assessed.status_code == 201
    system = client.get(f"{API}/systems/{pk}").json()
    assert system["next_assessment_due"] == "2025-05-01"
    history = client.get(f"{API}/systems/{pk}/history").json()
    assert [h["action"] for h in history] == ["assess", "create"]
    assert client.get(f"{API}/systems/{pk}/assessments").json()[0]["conclusion_label"] == "基本符合"


def test_a_school_cannot_register_for_another_school(world):
    response = _post(_client(world.school_admin), f"{API}/systems", {"org_id": world.school_b.pk, "name": "x"})
    assert response.status_code == 404
    assert not InformationSystem.objects.exists()


def test_bulk_edit_is_all_or_nothing(world, systems):
    client = _client(world.city_admin)
    ids = [systems["a"].pk, systems["c"].pk]
    response = _post(client, f"{API}/bulk", {"target": "system", "ids": ids, "status": "offline"})
    assert response.status_code == 404
    assert not InformationSystem.objects.filter(status="offline").exists()
    ok = _post(client, f"{API}/bulk", {"target": "system", "ids": [systems["a"].pk, systems["b"].pk], "status": "停用"})
    assert ok.json() == {"changed": 2, "unchanged": 0}


def test_assets_are_searched_by_ip_and_decommissioned(world, systems):
    client = _client(world.school_admin)
    made = _post(
        client,
        f"{API}/assets",
        {"org_id": world.school_a.pk, "system_id": systems["a"].pk, "kind": "ip", "ip": "10.0.0.7"},
    )
    assert made.status_code == 201
    found = client.get(f"{API}/assets", {"q": "10.0.0.7"}).json()["items"]
    assert [a["system_name"] for a in found] == ["系统a"]
    down = client.post(f"{API}/assets/{found[0]['id']}/decommission")
    assert down.json()["status"] == "decommissioned" and down.json()["decommissioned_at"]


def test_import_errors_come_back_with_rows_and_export_round_trips(world):
    client = _client(world.school_admin)
    bad = f"单位代码,系统名称,等保级别\n{world.school_a.code},门户,9\n".encode()
    response = client.post(f"{API}/import", {"file": SimpleUploadedFile("r.csv", bad)})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0] == {
        "row": 2,
        "column": "等保级别",
        "reason": "等保级别应为 1–5 级（当前为“9”）",
    }
    good = f"单位代码,系统名称,等保级别,域名\n{world.school_a.code},门户,2,www.zy1.edu.cn\n".encode()
    assert client.post(f"{API}/import", {"file": SimpleUploadedFile("r.csv", good)}).json()["assets_created"] == 1
    exported = client.get(f"{API}/export")
    assert exported["Content-Type"].startswith("application/vnd.openxmlformats")
    again = client.post(f"{API}/import", {"file": SimpleUploadedFile("r.xlsx", exported.content)}).json()
    assert (again["systems_unchanged"], again["assets_unchanged"]) == (1, 1)


def test_compliance_answers_per_county(world, systems):
    rows = _client(world.city_admin).get(f"{API}/compliance", {"level": "county"}).json()
    assert [(r["name"], r["systems"], r["filing_rate"]) for r in rows] == [("中原区", 1, 0.0), ("金水区", 1, 0.0)]


def test_console_pages_show_the_scope(world, systems):
    client = _client(world.city_admin)
    listing = client.get("/secops/systems/", {"overdue": "filing"}).content.decode()
    assert "系统a" in listing and "系统b" in listing and "系统c" not in listing and "备案超期" in listing
    assert client.get(f"/secops/systems/{systems['c'].pk}/").status_code == 404
    detail = client.get(f"/secops/systems/{systems['a'].pk}/").content.decode()
    assert "等级保护" in detail and "登记" in detail


def test_console_import_lists_problems_and_writes_nothing(world):
    client = _client(world.school_admin)
    bad = f"单位代码,系统名称,定级日期\n{world.school_a.code},门户,2024-13-01\n".encode()
    response = client.post("/secops/registry/import/", {"file": SimpleUploadedFile("r.csv", bad)})
    assert response.status_code == 422
    assert "第 2 行" in response.content.decode() and "定级日期" in response.content.decode()
    assert not RegistryChange.objects.exists()


def test_console_assessment_form_records_one(world, systems):
    client = _client(world.school_admin)
    response = client.post(
        f"/secops/systems/{systems['a'].pk}/assess/", {"assessed_on": "2024-06-01", "conclusion": "pass"}
    )
    assert response.status_code == 302
    assert systems["a"].assessments.count() == 1
    wrong = client.post(f"/secops/systems/{systems['a'].pk}/assess/", {"assessed_on": "2024-02-30", "conclusion": "x"})
    assert wrong.status_code == 422 and systems["a"].assessments.count() == 1
