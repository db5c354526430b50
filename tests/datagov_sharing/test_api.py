"""The sharing API end to end: submit, approve, download, revoke, trace, life cycle."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from tests.datagov_sharing.conftest import Sharing

pytestmark = pytest.mark.django_db
API = "/api/v1/datagov/sharing"
TODAY = dt.date.today()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client: Client, path: str, body: dict) -> object:
    return client.post(API + path, json.dumps(body), content_type="application/json")


def test_a_share_from_request_to_revocation_through_the_api(sharing: Sharing):
    requester = _client(sharing.requester)
    body = {
        "dataset_id": sharing.dataset.pk,
        "requester_org_id": sharing.world.laocheng.pk,
        "fields": ["XM", "NJ"],
        "purpose": "student_status",
        "purpose_detail": "转学核查",
        "period_start": TODAY.isoformat(),
        "period_end": (TODAY + dt.timedelta(days=7)).isoformat(),
    }
    verdicts = _post(
        requester, "/evaluate", {k: body[k] for k in ("dataset_id", "requester_org_id", "fields", "purpose")}
    )
    assert [d["effect"] for d in verdicts.json()] == ["mask", "allow"]
    created = _post(requester, "/requests", body)
    assert created.status_code == 201, created.content
    request_id = created.json()["id"]
    assert created.json()["approval_levels"] == ["org", "city", "province"]
    assert created.json()["dataset_name"] == sharing.dataset.name
    for officer in (sharing.county_officer, sharing.city_officer, sharing.province_officer):
        answer = _post(_client(officer), f"/requests/{request_id}/handle", {"decision": "approve"})
        assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "approved"
    grants = requester.get(f"{API}/grants").json()
    grant_id = grants[0]["id"]
    assert grants[0]["effects"] == {"XM": "mask", "NJ": "allow"} and grants[0]["state"] == "active"
    extract = requester.get(f"{API}/grants/{grant_id}/extract", {"format": "csv"})
    assert extract.status_code == 200 and "追溯码" in extract.content.decode("utf-8-sig")
    assert _client(sharing.county_officer).get(f"{API}/grants/{grant_id}/extract").status_code == 403
    traced = _client(sharing.county_officer).post(f"{API}/trace", {"file": _upload("leak.csv", extract.content)})
    assert traced.json()["grant_id"] == grant_id and traced.json()["method"] == "trace_code"
    revoked = _post(_client(sharing.county_officer), f"/grants/{grant_id}/revoke", {"reason": "用途完成"})
    assert revoked.json()["state"] == "revoked"
    assert requester.get(f"{API}/grants/{grant_id}/extract").status_code == 410


def _upload(name: str, data: bytes) -> object:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_the_policy_denial_is_a_403_with_reasons(sharing: Sharing):
    response = _post(
        _client(sharing.ly_admin),
        "/requests",
        {
            "dataset_id": sharing.dataset.pk,
            "requester_org_id": sharing.world.laocheng.pk,
            "fields": ["JKZK"],
            "purpose": "teaching",
            "purpose_detail": "x",
            "period_start": TODAY.isoformat(),
            "period_end": TODAY.isoformat(),
        },
    )
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "datagov_policy_denied" and error["details"][0]["field"] == "JKZK"


def test_deletion_through_the_api_returns_a_valid_certificate(sharing: Sharing):
    officer = _client(sharing.county_officer)
    rule = _post(officer, "/retention", {"dataset_id": sharing.dataset.pk, "retain_days": 30, "on_expiry": "delete"})
    assert rule.status_code == 201
    certificate = _post(officer, f"/retention/{rule.json()['id']}/delete", {"reason": "期满"})
    assert certificate.status_code == 201 and certificate.json()["valid"] is True
    again = officer.get(f"{API}/certificates/{certificate.json()['id']}")
    assert again.json()["number"] == certificate.json()["number"]
    assert _client(sharing.requester).get(f"{API}/certificates/{certificate.json()['id']}").status_code == 404
