"""Notices through the API and the console: issue, the school's steps, verify, documents, ledger."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from edubase.secops.models import FindingStatus, Notice, NoticeStatus
from tests.factories import World
from tests.secops.test_notices import PDF, Desk, build_desk, issue, make_finding, to_fix, to_retest

pytestmark = pytest.mark.django_db

API = "/api/v1/secops/notices"


@pytest.fixture
def desk(world: World) -> Desk:
    return build_desk(world)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, json.dumps(body or {}), content_type="application/json")


# --- API -------------------------------------------------------------------------------------


def test_an_officer_issues_through_the_api(desk: Desk) -> None:
    finding = make_finding(desk.world.school_a)
    response = post(
        client_for(desk.province_officer),
        API,
        {
            "target_org_id": desk.world.school_a.pk,
            "title": "关于 OpenSSH 漏洞的通报",
            "severity": "critical",
            "required_actions": "立即升级",
            "finding_ids": [finding.pk],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("豫教网安通〔") and body["status"] == "issued"
    assert body["current_step"]["step"] == "acknowledge"
    assert [f["id"] for f in body["findings"]] == [finding.pk]
    assert body["actions"] == []  # the issuer may not acknowledge for the school


def test_a_deadline_in_the_past_is_a_chinese_422_and_nothing_is_written(desk: Desk) -> None:
    response = post(
        client_for(desk.province_officer),
        API,
        {
            "target_org_id": desk.world.school_a.pk,
            "title": "通报",
            "severity": "high",
            "required_actions": "整改",
            "issue_text": "弱口令",
            "deadline": (timezone.now() - dt.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 422
    assert "早于当前时间" in response.json()["error"]["message"]
    assert not Notice.objects.exists()


def test_findings_of_another_school_are_refused(desk: Desk) -> None:
    other = make_finding(desk.world.school_b)
    response = post(
        client_for(desk.province_officer),
        API,
        {
            "target_org_id": desk.world.school_a.pk,
            "title": "通报",
            "severity": "high",
            "required_actions": "整改",
            "finding_ids": [other.pk],
        },
    )
    assert response.status_code == 422 and "不是“郑州市中原区第一小学”的漏洞" in response.json()["error"]["message"]
    other.refresh_from_db()
    assert other.status == FindingStatus.OPEN and not Notice.objects.exists()


def test_the_whole_flow_through_the_api(desk: Desk) -> None:
    notice = issue(desk)
    school, issuer = client_for(desk.school_officer), client_for(desk.province_officer)
    detail = school.get(f"{API}/{notice.pk}").json()
    assert detail["actions"] == ["acknowledge"]
    assert post(school, f"{API}/{notice.pk}/acknowledge").json()["status"] == "acknowledged"
    upload = school.post(f"{API}/{notice.pk}/evidence", {"file": SimpleUploadedFile("fix.pdf", PDF), "note": "截图"})
    assert upload.status_code == 201 and len(upload.json()["digest_sm3"]) == 64
    evidence_id = upload.json()["id"]
    assert school.get(f"{API}/{notice.pk}/evidence/{evidence_id}").content == PDF
    assert post(school, f"{API}/{notice.pk}/retest", {"summary": "已升级"}).json()["status"] == "retest_requested"
    refused = post(school, f"{API}/{notice.pk}/verify", {"decision": "close"})
    assert refused.status_code == 403
    empty = post(issuer, f"{API}/{notice.pk}/verify", {"decision": "reopen", "comment": ""})
    assert empty.status_code == 422 and "理由" in empty.json()["error"]["message"]
    reopened = post(issuer, f"{API}/{notice.pk}/verify", {"decision": "reopen", "comment": "仍可利用"}).json()
    assert reopened["status"] == "reopened" and reopened["current_step"]["step"] == "fix"
    assert post(school, f"{API}/{notice.pk}/retest", {"summary": "已彻底修复"}).json()["status"] == "retest_requested"
    closed = post(issuer, f"{API}/{notice.pk}/verify", {"decision": "close", "comment": "复测通过"}).json()
    assert closed["status"] == "closed"
    actions = [h["action"] for h in closed["history"]]
    assert actions.count("returned") == 1 and actions[-1] == "finished"
    report = issuer.get(f"{API}/{notice.pk}/report.pdf")
    assert report.status_code == 200 and report.content.startswith(b"%PDF-")


def test_another_school_gets_404(desk: Desk) -> None:
    notice = issue(desk)
    other = client_for(desk.school_b_officer)
    assert other.get(f"{API}/{notice.pk}").status_code == 404
    assert post(other, f"{API}/{notice.pk}/acknowledge").status_code == 404
    assert other.get(API).json()["items"] == []


def test_a_teacher_cannot_acknowledge_through_the_api(desk: Desk) -> None:
    notice = issue(desk)
    response = post(client_for(desk.world.teacher), f"{API}/{notice.pk}/acknowledge")
    assert response.status_code in (403, 404)
    assert Notice.objects.get(pk=notice.pk).status == NoticeStatus.ISSUED


def test_the_list_filters(desk: Desk) -> None:
    a = issue(desk)
    b = issue(desk, severity="low", target=desk.world.school_b, issue_text="弱口令")
    to_fix(desk, a)
    client = client_for(desk.province_officer)

    def ids(query: str) -> set[int]:
        return {n["id"] for n in client.get(f"{API}?{query}").json()["items"]}

    assert ids("") == {a.pk, b.pk}
    assert ids("status=acknowledged") == {a.pk}
    assert ids("severity=low") == {b.pk}
    assert ids(f"org_id={desk.world.jinshui.pk}") == {b.pk}
    assert ids("overdue=true") == set()


def test_the_ledger_download(desk: Desk) -> None:
    from openpyxl import load_workbook

    notice = issue(desk)
    response = client_for(desk.world.city_admin).get(f"{API}/ledger.xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[1][0] == notice.number


def test_the_notice_pdf_download(desk: Desk) -> None:
    notice = issue(desk)
    response = client_for(desk.school_officer).get(f"{API}/{notice.pk}/notice.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


# --- console ---------------------------------------------------------------------------------


def test_the_console_issues_and_the_school_answers(desk: Desk) -> None:
    finding = make_finding(desk.world.school_a)
    issuer = client_for(desk.province_officer)
    assert issuer.get(reverse("secops:notice_new")).status_code == 200
    response = issuer.post(
        reverse("secops:notice_new"),
        {
            "target": desk.world.school_a.pk,
            "severity": "high",
            "title": "关于高危漏洞的通报",
            "findings": str(finding.pk),
            "required_actions": "限期整改",
        },
    )
    assert response.status_code == 302
    notice = Notice.objects.get()
    school = client_for(desk.school_officer)
    page = school.get(reverse("secops:notice_detail", args=[notice.pk])).content.decode()
    assert "acknowledge-form" in page and notice.number in page
    assert school.post(reverse("secops:notice_acknowledge", args=[notice.pk])).status_code == 302
    upload = school.post(
        reverse("secops:notice_evidence", args=[notice.pk]), {"file": SimpleUploadedFile("a.pdf", PDF)}
    )
    assert upload.status_code == 302
    assert school.post(reverse("secops:notice_retest", args=[notice.pk]), {"summary": "已修复"}).status_code == 302
    page = issuer.get(reverse("secops:notice_detail", args=[notice.pk])).content.decode()
    assert "verify-form" in page
    done = issuer.post(reverse("secops:notice_verify", args=[notice.pk]), {"decision": "close"})
    assert done.status_code == 302
    assert Notice.objects.get().status == NoticeStatus.CLOSED


def test_the_console_form_shows_bad_input_in_chinese(desk: Desk) -> None:
    response = client_for(desk.province_officer).post(
        reverse("secops:notice_new"),
        {"target": desk.world.school_a.pk, "severity": "high", "title": "通报", "required_actions": "整改"},
    )
    assert response.status_code == 422
    assert "必须关联" in response.content.decode()
    assert not Notice.objects.exists()


def test_the_console_refuses_the_issuer_acting_for_the_school(desk: Desk) -> None:
    notice = issue(desk)
    response = client_for(desk.province_officer).post(reverse("secops:notice_acknowledge", args=[notice.pk]))
    assert response.status_code == 403
    assert Notice.objects.get().status == NoticeStatus.ISSUED


def test_the_console_list_and_filters(desk: Desk) -> None:
    notice = issue(desk)
    client = client_for(desk.world.county_admin)
    page = client.get(reverse("secops:notice_list")).content.decode()
    assert notice.number in page
    assert notice.number not in client.get(reverse("secops:notice_list") + "?status=closed").content.decode()


def test_the_console_detail_shows_escalations(desk: Desk) -> None:
    from edubase.secops import notices

    notice = issue(desk)
    notices.escalate_overdue(now=notice.deadline + dt.timedelta(days=60))
    page = client_for(desk.school_officer).get(reverse("secops:notice_detail", args=[notice.pk])).content.decode()
    assert "已超期" in page and "已通报郑州市" in page


def test_the_report_download_after_retest(desk: Desk) -> None:
    notice = to_retest(desk, issue(desk))
    response = client_for(desk.school_officer).get(reverse("secops:notice_report", args=[notice.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
