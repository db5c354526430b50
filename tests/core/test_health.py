"""Health page, health JSON and API docs are served (what `make demo` shows first)."""

import pytest

pytestmark = pytest.mark.django_db


def test_home_page_shows_health_in_chinese(client):
    response = client.get("/status")
    assert response.status_code == 200
    body = response.content.decode()
    assert "实例运行状态" in body and "native" in body and 'lang="zh-hans"' in body


def test_home_page_in_english(client):
    response = client.get("/status", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200


def test_healthz_json(client):
    data = client.get("/healthz").json()
    assert data["ok"] is True and data["crypto_native"] is True and data["database_ok"] is True


def test_api_health_and_openapi(client):
    assert client.get("/api/v1/health").json()["crypto_provider"] == "native"
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/health" in schema["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"cdn.jsdelivr" not in docs.content and b"unpkg" not in docs.content  # intranet: no CDN


def test_request_id_is_echoed(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abcdef0123456789")
    assert response["X-Request-ID"] == "abcdef0123456789"
    assert len(client.get("/healthz", HTTP_X_REQUEST_ID="bad id!")["X-Request-ID"]) == 32
