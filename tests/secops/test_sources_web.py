"""Log sources through the console and the API: scope, the one-time token and the sender
configurations, Chinese errors with nothing written, rotation, enable/disable, edits, recent
events from the event store (and a readable note when it cannot be opened), refusals at the door."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from edubase.core.models import AuditEvent
from edubase.secops import source_admin
from edubase.secops.logs import sources
from edubase.secops.models import IngestRejection, LogSource
from tests.factories import make_user

pytestmark = pytest.mark.django_db
API = "/api/v1/secops/sources"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _json(client: Client, url: str, body: dict[str, Any], method: str = "post") -> Any:
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def made(world: Any) -> dict[str, tuple[LogSource, str]]:
    out = {}
    for key, school, ip in (
        ("a", world.school_a, "10.41.1.10"),
        ("b", world.school_b, "10.41.2.10"),
        ("c", world.school_c, "10.41.3.0/24"),
    ):
        out[key] = sources.register_source(
            actor=world.province_admin, org=school, name=f"日志源{key}", format="nginx", sender_ips=[ip]
        )
    return out


# --- scope ----------------------------------------------------------------------------------


def test_a_school_sees_only_its_own_sources(world: Any, made: Any) -> None:
    client = _client(world.school_admin)
    names = [s["name"] for s in client.get(API).json()["items"]]
    assert names == ["日志源a"]
    page = client.get(reverse("secops:source_list")).content.decode()
    assert "日志源a" in page and "日志源b" not in page and "日志源c" not in page
    assert world.school_b.name not in page


def test_a_city_sees_its_schools_and_another_citys_source_answers_404(world: Any, made: Any) -> None:
    client = _client(world.city_admin)
    assert {s["name"] for s in client.get(API).json()["items"]} == {"日志源a", "日志源b"}
    other = made["c"][0].pk
    response = client.get(f"{API}/{other}")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    for name in ("source_detail", "source_edit"):
        assert client.get(reverse(f"secops:{name}", args=[other])).status_code == 404
    assert client.post(reverse("secops:source_rotate", args=[other])).status_code == 404
    assert client.post(reverse("secops:source_toggle", args=[other]), {"enabled": "0"}).status_code == 404
    assert _json(client, f"{API}/{other}/rotate", {}).status_code == 404
    assert _json(client, f"{API}/{other}", {"sender_ips": ["10.0.0.1"]}, "patch").status_code == 404
    c = LogSource.objects.get(pk=other)
    assert c.enabled and sources.authenticate(made["c"][1]) == c and c.sender_ips == ["10.41.3.0/24"]


def test_a_teacher_is_refused(world: Any, made: Any) -> None:
    client = _client(world.teacher)
    assert client.get(reverse("secops:source_list")).status_code == 403
    assert client.get(reverse("secops:source_new")).status_code == 403
    body = {"org_id": world.school_a.pk, "name": "教师的日志源"}
    assert _json(client, API, body).status_code in {403, 404}
    assert client.get(API).json()["items"] == []
    assert client.get(f"{API}/{made['a'][0].pk}").status_code == 404
    assert client.post(reverse("secops:source_rotate", args=[made["a"][0].pk])).status_code == 403
    assert not LogSource.objects.filter(name="教师的日志源").exists()
    assert sources.authenticate(made["a"][1]) is not None


# --- registration ---------------------------------------------------------------------------


def test_registering_through_the_api_returns_a_working_token_stored_only_as_its_digest(world: Any) -> None:
    client = _client(world.school_admin)
    response = _json(
        client,
        API,
        {"org_code": world.school_a.code, "name": "门户网站", "format": "nginx", "sender_ips": "10.1.2.3, 10.1.3.0/24"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    token = body["token"]
    source = LogSource.objects.get(pk=body["source"]["id"])
    assert sources.authenticate(token) == source
    assert source.token_digest == sources.token_digest(token)
    assert token not in json.dumps(list(LogSource.objects.values()), default=str)
    assert source.sender_ips == ["10.1.2.3", "10.1.3.0/24"] and source.org == world.school_a
    event = AuditEvent.objects.get(action="secops.logsource.create", object_id=str(source.pk))
    assert token not in json.dumps(event.after)
    # ready-to-paste configurations carry the token and the ingest ports
    texts = {s["key"]: s["text"] for s in body["snippets"]}
    assert set(texts) == {"rsyslog", "filebeat", "vector", "fluentbit", "nxlog"}
    assert 'TCP_Framing="octet-counted"' in texts["rsyslog"] and 'port="5514"' in texts["rsyslog"]
    assert "http://testserver:9200" in texts["filebeat"] and f"Bearer {token}" in texts["filebeat"]
    assert f'auth.password = "{token}"' in texts["vector"] and 'strategy = "basic"' in texts["vector"]
    assert f"HTTP_Passwd        {token}" in texts["fluentbit"] and "om_tcp" in texts["nxlog"]
    # the token is never answered again
    detail = client.get(f"{API}/{source.pk}").json()
    assert token not in json.dumps(detail, ensure_ascii=False)
    assert all("<接入令牌>" in s["text"] for s in detail["snippets"] if s["key"] != "rsyslog")


def test_registering_in_the_console_shows_the_token_once(world: Any) -> None:
    client = _client(world.county_admin)
    form = {"org_code": world.school_a.code, "name": "校园网防火墙", "format": "firewall", "sender_ips": "10.2.0.0/16"}
    with override_settings(EDUBASE_INGEST_HOST="logs.ha.edu.cn", EDUBASE_INGEST_HTTP_PORT=19200):
        response = client.post(reverse("secops:source_new"), form)
    assert response.status_code == 200
    token = response.context["token"]
    page = response.content.decode()
    assert token in page and "只显示这一次" in page and response["Cache-Control"] == "no-store"
    assert 'target="logs.ha.edu.cn" port="5514"' in page.replace("&quot;", '"')
    assert "http://logs.ha.edu.cn:19200" in page
    source = LogSource.objects.get(name="校园网防火墙")
    assert sources.authenticate(token) == source and source.format == "firewall"
    detail = client.get(reverse("secops:source_detail", args=[source.pk])).content.decode()
    assert token not in detail and f"ebl_{source.token_prefix}_" in detail


@pytest.mark.parametrize("bad", ["10.1.2.300", "10.1.2.0/33", "学校服务器", "10.1.2.3/24/1"])
def test_a_bad_sender_address_is_a_chinese_error_and_nothing_is_written(world: Any, bad: str) -> None:
    client = _client(world.school_admin)
    before = AuditEvent.objects.count()
    response = _json(client, API, {"org_id": world.school_a.pk, "name": "坏地址", "sender_ips": ["10.1.1.1", bad]})
    assert response.status_code == 422
    assert "发送端地址无效" in response.json()["error"]["message"] and bad in response.json()["error"]["message"]
    page = client.post(
        reverse("secops:source_new"),
        {"org_code": world.school_a.code, "name": "坏地址", "sender_ips": f"10.1.1.1\n{bad}"},
    )
    assert page.status_code == 422
    text = page.content.decode()
    assert "发送端地址无效" in text and "is-invalid" in text and "坏地址" in text  # the form keeps what was typed
    assert not LogSource.objects.exists() and AuditEvent.objects.count() == before


def test_an_org_code_outside_the_scope_is_refused_in_chinese(world: Any) -> None:
    client = _client(world.school_admin)
    response = client.post(reverse("secops:source_new"), {"org_code": world.school_b.code, "name": "别校"})
    assert response.status_code == 422 and "不在您的管辖范围内" in response.content.decode()
    response = client.post(reverse("secops:source_new"), {"org_code": "", "name": "无单位"})
    assert response.status_code == 422 and "请填写所属单位代码" in response.content.decode()
    assert _json(client, API, {"org_id": world.school_c.pk, "name": "别市"}).status_code == 404
    assert _json(client, API, {"org_id": world.school_b.pk, "name": "别校"}).status_code == 404
    assert not LogSource.objects.exists()


def test_a_duplicate_name_is_refused(world: Any, made: Any) -> None:
    client = _client(world.school_admin)
    response = _json(client, API, {"org_id": world.school_a.pk, "name": "日志源a"})
    assert response.status_code == 422 and "已有名为“日志源a”" in response.json()["error"]["message"]
    assert LogSource.objects.filter(org=world.school_a).count() == 1


# --- rotation, enable/disable, edits ---------------------------------------------------------


def test_rotating_invalidates_the_old_token(world: Any, made: Any) -> None:
    source, old = made["a"]
    client = _client(world.school_admin)
    response = _json(client, f"{API}/{source.pk}/rotate", {})
    assert response.status_code == 200
    new = response.json()["token"]
    assert new != old and sources.authenticate(old) is None and sources.authenticate(new) == source
    page = client.post(reverse("secops:source_rotate", args=[source.pk]))
    newest = page.context["token"]
    assert (
        page.status_code == 200
        and newest in page.content.decode()
        and "旧令牌将在 30 秒内失效" in page.content.decode()
    )
    assert sources.authenticate(new) is None and sources.authenticate(newest) == source
    assert AuditEvent.objects.filter(action="secops.logsource.rotate_token", object_id=str(source.pk)).count() == 2


def test_disabling_stops_the_token_and_is_audited(world: Any, made: Any) -> None:
    source, token = made["a"]
    client = _client(world.school_admin)
    response = client.post(reverse("secops:source_toggle", args=[source.pk]), {"enabled": "0"})
    assert response.status_code == 302
    assert sources.authenticate(token) is None and not LogSource.objects.get(pk=source.pk).enabled
    assert all(e.id != source.pk for e in sources.source_table())
    body = _json(client, f"{API}/{source.pk}/toggle", {"enabled": True}).json()
    assert body["enabled"] is True and sources.authenticate(token) == source
    actions = list(AuditEvent.objects.filter(object_id=str(source.pk)).values_list("action", flat=True))
    assert "secops.logsource.disable" in actions and "secops.logsource.enable" in actions
    assert client.post(reverse("secops:source_toggle", args=[source.pk]), {"enabled": "x"}).status_code == 422


def test_editing_sender_addresses_is_validated_and_audited(world: Any, made: Any) -> None:
    source, _token = made["a"]
    client = _client(world.school_admin)
    response = client.post(
        reverse("secops:source_edit", args=[source.pk]),
        {"name": "门户网站", "format": "apache", "sender_ips": "10.1.2.3\n10.1.2.0/28"},
    )
    assert response.status_code == 302
    source.refresh_from_db()
    assert (source.name, source.format, source.sender_ips) == ("门户网站", "apache", ["10.1.2.0/28", "10.1.2.3"])
    event = AuditEvent.objects.get(action="secops.logsource.update", object_id=str(source.pk))
    assert event.before["sender_ips"] == ["10.41.1.10"] and event.after["format"] == "apache"
    bad = client.post(
        reverse("secops:source_edit", args=[source.pk]),
        {"name": "新名字", "format": "apache", "sender_ips": "10.1.2.256"},
    )
    assert bad.status_code == 422 and "发送端地址无效：10.1.2.256" in bad.content.decode()
    source.refresh_from_db()
    assert source.name == "门户网站" and source.sender_ips == ["10.1.2.0/28", "10.1.2.3"]
    patched = _json(client, f"{API}/{source.pk}", {"sender_ips": []}, "patch").json()
    assert patched["sender_ips"] == [] and patched["name"] == "门户网站"
    assert _json(client, f"{API}/{source.pk}", {"format": "cisco"}, "patch").status_code == 422


def test_a_county_reads_its_schools_source_and_another_citys_officer_cannot_touch_it(world: Any, made: Any) -> None:
    viewer = make_user("zy_viewer", role="county_admin", org=world.zhongyuan)
    officer_elsewhere = make_user("ly_sec", role="security_officer", org=world.luoyang)
    source, token = made["a"]
    assert _client(viewer).get(f"{API}/{source.pk}").status_code == 200
    assert _json(_client(officer_elsewhere), f"{API}/{source.pk}/rotate", {}).status_code == 404
    assert sources.authenticate(token) == source


# --- detail: recent events ------------------------------------------------------------------


def test_the_detail_lists_the_sources_recent_events(world: Any, made: Any, tmp_path: Path) -> None:
    from edubase.secops.logs.store import DuckDBStore, reset_stores

    source, _token = made["a"]
    other, _ = made["b"]
    now = timezone.now()
    events = [
        {
            "@timestamp": now - dt.timedelta(minutes=i),
            "event.id": f"src-{i}",
            "event.dataset": "nginx.access",
            "event.action": "http_request",
            "source.ip": "203.0.113.5",
            "url.original": f"/page-{i}",
            "edubase.source_id": source.pk,
            "edubase.parsed": True,
        }
        for i in range(3)
    ]
    events.append(
        {
            "@timestamp": now,
            "event.id": "raw-1",
            "log.original": "???garbage",
            "edubase.source_id": source.pk,
            "edubase.parsed": False,
        }
    )
    events.append(
        {"@timestamp": now, "event.id": "other-1", "url.original": "/other-school", "edubase.source_id": other.pk}
    )
    store = DuckDBStore(tmp_path / "ev")
    store.write(events)
    store.close()
    reset_stores()
    try:
        with override_settings(EDUBASE_EVENT_STORE="duckdb", EDUBASE_EVENT_DIR=tmp_path / "ev"):
            client = _client(world.school_admin)
            page = client.get(reverse("secops:source_detail", args=[source.pk])).content.decode()
            body = client.get(f"{API}/{source.pk}").json()
    finally:
        reset_stores()
    assert "/page-0" in page and "/page-2" in page and "???garbage" in page and "未解析" in page
    assert "/other-school" not in page
    assert body["events"][-1]["id"] == "src-2"  # newest first
    assert {e["id"] for e in body["events"]} == {"src-0", "src-1", "src-2", "raw-1"}
    assert body["store_note"] == ""


def test_an_unavailable_store_is_said_in_chinese(world: Any, made: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from edubase.secops.logs.store import StoreError

    def locked() -> Any:
        raise StoreError("event partition 2025-01-01.duckdb stayed locked by another process")

    monkeypatch.setattr(source_admin, "_readable_store", locked)
    source, _token = made["a"]
    client = _client(world.school_admin)
    response = client.get(reverse("secops:source_detail", args=[source.pk]))
    assert response.status_code == 200 and "事件存储暂时无法打开" in response.content.decode()
    body = client.get(f"{API}/{source.pk}").json()
    assert body["events"] == [] and "事件存储暂时无法打开" in body["store_note"]


# --- refusals at the door -------------------------------------------------------------------


def test_refusals_are_shown_to_province_and_city_monitoring_only(world: Any) -> None:
    IngestRejection.objects.create(peer="198.51.100.7", reason="unknown_source", count=40)
    IngestRejection.objects.create(peer="198.51.100.8", reason="bad_token", count=3)
    city_officer = make_user("zz_sec", role="security_officer", org=world.zhengzhou)
    county_officer = make_user("zy_sec", role="security_officer", org=world.zhongyuan)
    for user in (world.province_admin, city_officer):
        client = _client(user)
        rows = client.get(f"{API}/rejections").json()
        assert {(r["peer"], r["reason_label"], r["count"]) for r in rows} == {
            ("198.51.100.7", "未登记的发送端地址", 40),
            ("198.51.100.8", "接入令牌无效", 3),
        }
        page = client.get(reverse("secops:source_list")).content.decode()
        assert "接入拒绝记录" in page and "198.51.100.7" in page and "sender_ips=198.51.100.7" in page
    for user in (county_officer, world.city_admin, world.school_admin):
        client = _client(user)
        response = client.get(f"{API}/rejections")
        assert response.status_code == 403 and "省级、市级" in response.json()["error"]["message"]
        assert "198.51.100.7" not in client.get(reverse("secops:source_list")).content.decode()


def test_the_register_form_is_prefilled_from_a_refusal(world: Any) -> None:
    page = _client(world.province_admin).get(reverse("secops:source_new"), {"sender_ips": "198.51.100.7"})
    assert page.status_code == 200 and "198.51.100.7" in page.content.decode()


def test_the_logs_tabs_link_to_the_sources(world: Any) -> None:
    page = _client(world.city_admin).get(reverse("secops:alert_list")).content.decode()
    assert reverse("secops:source_list") in page and "日志源" in page
