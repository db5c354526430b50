"""Console pages of sharing and the life cycle, driven like an official would."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from edubase.datagov.sharing import lifecycle, services
from edubase.datagov.sharing.models import DeletionCertificate, RetentionRule, ShareGrant, ShareRequest
from tests.datagov_sharing.conftest import Sharing

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _grant(s: Sharing, delivery: str = "extract") -> ShareGrant:
    request = services.submit_request(
        actor=s.requester,
        dataset=s.dataset,
        requester_org=s.world.laocheng,
        fields=["XM", "SFZJH", "NJ"],
        purpose="student_status",
        purpose_detail="核查",
        period_start=TODAY,
        period_end=TODAY + dt.timedelta(days=5),
        delivery=delivery,
    )
    for officer in (s.county_officer, s.city_officer, s.province_officer):
        request = services.handle(actor=officer, request=request, decision="approve")
    return ShareGrant.objects.get(request=request)


def test_the_request_form_previews_verdicts_and_submits(sharing):
    client = _client(sharing.requester)
    url = reverse("datagov_sharing:request_new")
    page = client.get(url, {"dataset": sharing.dataset.pk, "purpose": "teaching"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "拒绝：敏感个人信息需用途" in text and 'value="JKZK" disabled' in text
    response = client.post(
        url,
        {
            "dataset": sharing.dataset.pk,
            "org": sharing.world.laocheng.pk,
            "purpose": "student_status",
            "fields": ["XM", "NJ"],
            "purpose_detail": "转学核查",
            "period_start": TODAY.isoformat(),
            "period_end": (TODAY + dt.timedelta(days=30)).isoformat(),
            "delivery": "extract",
        },
    )
    created = ShareRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "datagov_sharing:request_detail", args=[created.pk]
    )
    detail = client.get(response["Location"]).content.decode()
    assert created.number in detail and "数据提供单位审批" in detail


def test_a_policy_refusal_rerenders_the_form_with_the_reason(sharing):
    response = _client(sharing.ly_admin).post(
        reverse("datagov_sharing:request_new"),
        {
            "dataset": sharing.dataset.pk,
            "org": sharing.world.laocheng.pk,
            "purpose": "teaching",
            "fields": ["JKZK"],
            "purpose_detail": "x",
            "period_start": TODAY.isoformat(),
            "period_end": TODAY.isoformat(),
        },
    )
    assert response.status_code == 403 and "访问策略不允许共享以下字段" in response.content.decode()
    assert not ShareRequest.objects.exists()


def test_the_recipient_downloads_the_extract_and_the_owner_traces_it(sharing):
    grant = _grant(sharing)
    recipient = _client(sharing.requester)
    page = recipient.get(reverse("datagov_sharing:grant_detail", args=[grant.pk])).content.decode()
    assert "下载脱敏文件" in page
    download = recipient.get(reverse("datagov_sharing:grant_extract", args=[grant.pk]), {"format": "csv"})
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    refused = _client(sharing.county_officer).get(reverse("datagov_sharing:grant_extract", args=[grant.pk]))
    assert refused.status_code == 403
    traced = _client(sharing.county_officer).post(
        reverse("datagov_sharing:trace"), {"file": SimpleUploadedFile("leak.csv", download.content)}
    )
    assert traced.status_code == 200 and "老城区" in traced.content.decode()


def test_a_token_is_shown_once_and_revocation_works_from_the_page(sharing):
    grant = _grant(sharing, delivery="api")
    client = _client(sharing.requester)
    shown = client.post(reverse("datagov_sharing:grant_token", args=[grant.pk])).content.decode()
    assert "只显示这一次" in shown and "dgs_" in shown
    again = client.get(reverse("datagov_sharing:grant_detail", args=[grant.pk])).content.decode()
    assert "只显示这一次" not in again
    response = _client(sharing.county_officer).post(
        reverse("datagov_sharing:grant_revoke", args=[grant.pk]), {"reason": "提前终止"}
    )
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.state == "revoked"


def test_the_lifecycle_page_sets_rules_holds_and_deletes_with_a_certificate(sharing):
    client = _client(sharing.county_officer)
    response = client.post(
        reverse("datagov_sharing:retention_set"),
        {"dataset": sharing.dataset.pk, "retain_days": "30", "on_expiry": "delete", "basis": "期满删除"},
    )
    assert response.status_code == 302
    rule = RetentionRule.objects.get(dataset=sharing.dataset)
    action = reverse("datagov_sharing:retention_action", args=[rule.pk])
    client.post(action, {"action": "hold", "reason": "审计调取"})
    refused = client.post(action, {"action": "delete", "reason": "期满"})
    assert refused.status_code == 409 and "法律保全" in refused.content.decode()
    client.post(action, {"action": "release", "reason": "审计结束"})
    assert client.post(action, {"action": "delete", "reason": "期满"}).status_code == 302
    certificate = DeletionCertificate.objects.get()
    assert lifecycle.verify_certificate(certificate)
    page = client.get(reverse("datagov_sharing:lifecycle")).content.decode()
    assert certificate.number in page
    pdf = client.get(reverse("datagov_sharing:certificate_pdf", args=[certificate.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_wrong_personas_are_refused(sharing):
    teacher = _client(sharing.world.teacher)
    for name in ("request_list", "grant_list", "policy", "lifecycle", "trace"):
        assert teacher.get(reverse(f"datagov_sharing:{name}")).status_code == 403, name
    school_admin = _client(sharing.world.school_admin)  # datagov.view but not manage
    assert school_admin.get(reverse("datagov_sharing:trace")).status_code == 403
    assert school_admin.post(reverse("datagov_sharing:retention_set"), {"dataset": sharing.plain.pk}).status_code == 403
    rule = lifecycle.set_retention(
        actor=sharing.county_officer, dataset=sharing.dataset, retain_days=9, on_expiry="archive"
    )
    other_city = _client(sharing.requester)  # a data officer, but of 洛阳
    response = other_city.post(reverse("datagov_sharing:retention_action", args=[rule.pk]), {"action": "archive"})
    assert response.status_code == 404


def test_the_policy_page_lists_the_rules(sharing):
    text = _client(sharing.world.school_admin).get(reverse("datagov_sharing:policy")).content.decode()
    assert "敏感个人信息" in text and "数据专员" in text and "学籍管理" in text


def test_approvers_decide_in_the_generic_workflow_inbox(sharing):
    request = services.submit_request(
        actor=sharing.requester,
        dataset=sharing.dataset,
        requester_org=sharing.world.laocheng,
        fields=["NJ"],
        purpose="student_status",
        purpose_detail="核查",
        period_start=TODAY,
        period_end=TODAY,
    )
    from edubase.workflow.models import WorkTask

    task = WorkTask.objects.get(instance_id=request.instance_id, element_id="owner_review")
    officer = _client(sharing.county_officer)
    inbox = officer.get(reverse("workflow:inbox")).content.decode()
    assert "数据提供单位审批" in inbox
    response = officer.post(reverse("workflow:task", args=[task.pk]), {"decision": "approve"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "in_review"
    city_task = WorkTask.objects.get(instance_id=request.instance_id, element_id="city_review")
    _client(sharing.city_officer).post(
        reverse("workflow:task", args=[city_task.pk]), {"decision": "reject", "reason": "范围过大"}
    )
    request.refresh_from_db()
    assert request.status == "rejected" and request.decision_reason == "范围过大"
    assert not ShareGrant.objects.filter(request=request).exists()


def test_the_province_publishes_a_policy_version_from_the_page_and_others_may_not(sharing):
    import json

    from edubase.datagov.sharing.models import AccessPolicy

    url = reverse("datagov_sharing:policy_publish")
    strict = {"rules": [{"id": "all", "label": "全部", "data": {}, "actor": {}, "effect": "deny"}]}
    assert _client(sharing.city_officer).post(url, {"rules": json.dumps(strict)}).status_code == 403
    province = _client(sharing.province_officer)
    page = province.get(reverse("datagov_sharing:policy")).content.decode()
    assert "发布新版本" in page
    bad = province.post(url, {"rules": "{not json"})
    assert bad.status_code == 422 and "不是有效的 JSON" in bad.content.decode()
    assert province.post(url, {"rules": json.dumps(strict), "note": "暂停共享"}).status_code == 302
    assert AccessPolicy.objects.get(active=True).rules == strict
