"""Share requests through the approval chain, grants, masked extracts, tokens, revocation, leak tracing."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone

from edubase.core.errors import NotFound, PermissionDenied, ValidationFailed
from edubase.core.models import AuditEvent
from edubase.datagov.sharing import selectors, services, watermark
from edubase.datagov.sharing.models import Delivery, ShareGrant, ShareStatus
from edubase.workflow.models import TaskStatus, WorkTask
from tests.datagov_sharing.conftest import Sharing

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def _submit(s: Sharing, *, dataset=None, actor=None, org=None, fields=("XM", "SFZJH", "NJ", "JKZK"), **kw):
    return services.submit_request(
        actor=actor or s.requester,
        dataset=dataset or s.dataset,
        requester_org=org or s.world.laocheng,
        fields=list(fields),
        purpose=kw.pop("purpose", "student_status"),
        purpose_detail="跨市转学学籍核查",
        period_start=kw.pop("period_start", TODAY),
        period_end=kw.pop("period_end", TODAY + dt.timedelta(days=30)),
        **kw,
    )


def _open_steps(request) -> list[tuple[str, str]]:
    return list(
        WorkTask.objects.filter(instance_id=request.instance_id, status=TaskStatus.OPEN).values_list(
            "element_id", "candidate_org__name"
        )
    )


def _approve_all(s: Sharing, request):
    for officer in (s.county_officer, s.city_officer, s.province_officer):
        request = services.handle(actor=officer, request=request, decision="approve")
    return request


def test_sensitive_data_goes_owner_then_city_then_province_and_grants_on_approval(sharing):
    request = _submit(sharing)
    assert request.number.startswith("GX") and request.approval_levels == ["org", "city", "province"]
    assert _open_steps(request) == [("owner_review", "中原区")]
    request = services.handle(actor=sharing.county_officer, request=request, decision="approve")
    assert request.status == ShareStatus.IN_REVIEW and _open_steps(request) == [("city_review", "郑州市")]
    request = services.handle(actor=sharing.city_officer, request=request, decision="approve")
    assert _open_steps(request) == [("province_review", "河南省")]
    request = services.handle(actor=sharing.province_officer, request=request, decision="approve")
    assert request.status == ShareStatus.APPROVED
    grant = ShareGrant.objects.get(request=request)
    assert grant.effects == {"XM": "mask", "SFZJH": "mask", "NJ": "allow", "JKZK": "mask"}
    assert grant.state == "active" and grant.recipient == sharing.requester


def test_general_data_needs_only_the_owner_org(sharing):
    request = _submit(sharing, dataset=sharing.plain, fields=("XM", "NJ"), purpose="administration")
    assert request.approval_levels == ["org"]
    assert _open_steps(request) == [("owner_review", "郑州市中原区第一小学")]
    request = services.handle(actor=sharing.school_officer, request=request, decision="approve")
    assert request.status == ShareStatus.APPROVED


def test_a_rejection_needs_a_reason_and_ends_the_request(sharing):
    request = _submit(sharing)
    with pytest.raises(ValidationFailed):
        services.handle(actor=sharing.county_officer, request=request, decision="reject")
    request = services.handle(actor=sharing.county_officer, request=request, decision="reject", reason="用途不明确")
    assert request.status == ShareStatus.REJECTED and request.decision_reason == "用途不明确"
    assert not ShareGrant.objects.filter(request=request).exists()


def test_the_wrong_officers_are_refused_at_each_step(sharing):
    request = _submit(sharing)
    # (the city officer, above 中原区, may act: the engine offers a step to holders on the org or above)
    for wrong in (sharing.world.county_admin, sharing.world.school_admin, sharing.requester, sharing.school_officer):
        with pytest.raises(PermissionDenied):
            services.handle(actor=wrong, request=request, decision="approve")
    services.handle(actor=sharing.county_officer, request=request, decision="approve")
    with pytest.raises(PermissionDenied):
        services.handle(actor=sharing.county_officer, request=request, decision="approve")


def test_nobody_approves_their_own_request(sharing):
    request = _submit(sharing, actor=sharing.county_officer, org=sharing.world.zhongyuan)
    with pytest.raises(PermissionDenied, match="本人"):
        services.handle(actor=sharing.county_officer, request=request, decision="approve")


def test_the_policy_refuses_sensitive_fields_to_a_county_admin_and_says_why(sharing):
    with pytest.raises(services.PolicyDenied) as caught:
        _submit(sharing, actor=sharing.ly_admin, fields=("XM", "JKZK"))
    assert "JKZK" in caught.value.message and "敏感个人信息需用途" in caught.value.message
    assert caught.value.details[0]["field"] == "JKZK"


def test_a_request_needs_change_permission_on_the_requesting_org(sharing):
    with pytest.raises(PermissionDenied):
        _submit(sharing, actor=sharing.world.teacher, org=sharing.world.school_a)
    with pytest.raises(PermissionDenied):
        _submit(sharing, actor=sharing.requester, org=sharing.world.zhongyuan)  # not its org


def test_period_and_fields_are_validated(sharing):
    with pytest.raises(ValidationFailed, match="366"):
        _submit(sharing, period_end=TODAY + dt.timedelta(days=400))
    with pytest.raises(ValidationFailed, match="早于"):
        _submit(sharing, period_start=TODAY, period_end=TODAY - dt.timedelta(days=1))
    with pytest.raises(ValidationFailed, match="没有字段"):
        _submit(sharing, fields=("XM", "SALARY"))


def test_the_requester_withdraws_and_others_may_not(sharing):
    request = _submit(sharing)
    with pytest.raises(PermissionDenied):
        services.withdraw(actor=sharing.county_officer, request=request, reason="x")
    request = services.withdraw(actor=sharing.requester, request=request, reason="不再需要")
    assert request.status == ShareStatus.WITHDRAWN
    assert _open_steps(request) == []


def _granted(s: Sharing, **kw) -> ShareGrant:
    request = _approve_all(s, _submit(s, **kw))
    return ShareGrant.objects.select_related("request", "dataset", "recipient_org").get(request=request)


def test_the_extract_is_masked_watermarked_and_its_download_audited(sharing):
    grant = _granted(sharing)
    name, data, extract = services.build_extract(actor=sharing.requester, grant=grant, fmt="xlsx")
    headers, rows = watermark.read_file(data, name)
    assert headers == ["XM", "SFZJH", "NJ", "JKZK", watermark.REF_COLUMN]
    assert len(rows) == len(sharing.rows) + watermark.marker_count(len(sharing.rows))
    clear_ids = {r[1] for r in sharing.rows}
    assert not any(r[1] in clear_ids for r in rows)
    assert all(r[1].endswith("********") for r in rows)
    assert all("*" in r[0] for r in rows)
    assert extract.rows == len(sharing.rows) and len(extract.markers) == watermark.marker_count(len(sharing.rows))
    event = AuditEvent.objects.filter(action="datagov_sharing.grant.read").latest("id")
    assert event.after["channel"] == "extract" and event.after["rows"] == len(sharing.rows)
    grant.refresh_from_db()
    assert grant.reads == 1


def test_only_the_recipient_downloads(sharing):
    grant = _granted(sharing)
    for other in (sharing.county_officer, sharing.world.province_admin):
        with pytest.raises(PermissionDenied):
            services.build_extract(actor=other, grant=grant)


def test_a_leaked_cut_of_the_extract_identifies_the_recipient(sharing):
    grant = _granted(sharing)
    other = _granted(sharing, purpose="financial_aid")
    name, data, _ = services.build_extract(actor=sharing.requester, grant=grant, fmt="csv")
    services.build_extract(actor=sharing.requester, grant=other, fmt="csv")
    headers, rows = watermark.read_file(data, name)
    cut = random.Random(2).sample(rows, len(rows) // 10)
    from edubase.core.tabular import write_xlsx

    found, trace = services.identify_leak(write_xlsx(headers, cut), "泄露.xlsx")
    assert found == grant and trace.method == "trace_code"
    no_ref = [r[:-1] for r in rows]
    random.Random(4).shuffle(no_ref)
    found, trace = services.identify_leak(write_xlsx(headers[:-1], no_ref), "泄露.xlsx")
    assert found == grant and trace.method == "marker_rows"


def test_leak_tracing_is_for_data_officers_and_recorded(sharing):
    grant = _granted(sharing)
    name, data, _ = services.build_extract(actor=sharing.requester, grant=grant)
    with pytest.raises(PermissionDenied):
        services.trace_leak(actor=sharing.world.teacher, filename=name, data=data)
    trace = services.trace_leak(actor=sharing.county_officer, filename=name, data=data)
    assert trace.grant == grant
    elsewhere = services.trace_leak(actor=sharing.requester, filename=name, data=data)  # 老城区: not the owner
    assert elsewhere.grant is None


def test_rows_are_cut_to_the_requested_part_of_the_owners_scope(sharing):
    grant = _granted(sharing, row_org=sharing.world.school_a)
    _headers, rows = services.shared_rows(grant)
    expected = sum(1 for r in sharing.rows if r[3] == sharing.world.school_a.code)
    assert len(rows) == expected and grant.row_column == "XXDM"
    assert "郑州市中原区第一小学" in grant.row_scope


def test_a_row_scope_outside_the_owner_is_refused(sharing):
    with pytest.raises(ValidationFailed, match="不在数据提供单位"):
        _submit(sharing, row_org=sharing.world.school_c)


def test_statistics_purpose_gets_joinable_pseudonyms(sharing):
    grant = _granted(sharing, fields=("SFZJH", "NJ"), purpose="statistics")
    assert grant.effects["SFZJH"] == "pseudonym"
    _h, first = services.shared_rows(grant)
    again = _granted(sharing, fields=("SFZJH",), purpose="statistics")
    _h, second = services.shared_rows(again)
    assert [r[0] for r in first] == [r[0] for r in second]  # same recipient org: joinable
    assert all(len(r[0]) == 24 for r in first)


def test_revoked_and_expired_grants_cannot_be_read(sharing):
    grant = _granted(sharing)
    with pytest.raises(PermissionDenied):
        services.revoke_grant(actor=sharing.world.teacher, grant=grant, reason="x")
    services.revoke_grant(actor=sharing.county_officer, grant=grant, reason="用途已完成")
    grant.refresh_from_db()
    with pytest.raises(services.GrantInactive, match="撤销"):
        services.build_extract(actor=sharing.requester, grant=grant)
    later = _granted(sharing)
    ShareGrant.objects.filter(pk=later.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    later.refresh_from_db()
    assert later.state == "expired"
    with pytest.raises(services.GrantInactive, match="到期"):
        services.build_extract(actor=sharing.requester, grant=later)


def test_a_share_token_reads_masked_rows_through_the_api_until_revoked(sharing, client):
    grant = _granted(sharing, delivery=Delivery.API)
    with pytest.raises(PermissionDenied):
        services.issue_token(actor=sharing.county_officer, grant=grant)
    _token, raw = services.issue_token(actor=sharing.requester, grant=grant)
    response = client.get("/api/v1/datagov/sharing/feed?limit=5", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["fields"] == ["XM", "SFZJH", "NJ", "JKZK"] and len(body["rows"]) == 5
    assert all(r[1].endswith("********") for r in body["rows"])
    assert AuditEvent.objects.filter(action="datagov_sharing.grant.read", after__channel="api").exists()
    services.revoke_grant(actor=sharing.requester, grant=grant, reason="接收方主动放弃")
    response = client.get("/api/v1/datagov/sharing/feed", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 401


def test_an_extract_grant_issues_no_token(sharing):
    grant = _granted(sharing)
    with pytest.raises(services.ShareStateError):
        services.issue_token(actor=sharing.requester, grant=grant)


def test_requests_are_seen_from_both_ends_and_by_nobody_else(sharing):
    request = _submit(sharing)
    assert selectors.get_request(sharing.requester, request.pk) == request
    assert selectors.get_request(sharing.world.county_admin, request.pk) == request  # owner side (中原区)
    assert selectors.get_request(sharing.world.city_admin, request.pk) == request
    for persona in (sharing.world.outsider, sharing.world.school_admin, sharing.world.teacher):
        with pytest.raises(NotFound):
            selectors.get_request(persona, request.pk)


def test_published_policy_versions_apply_and_only_the_province_publishes(sharing):
    from edubase.datagov.sharing.policy import DEFAULT_RULES

    with pytest.raises(PermissionDenied):
        services.publish_policy(actor=sharing.city_officer, rules=DEFAULT_RULES)
    with pytest.raises(ValidationFailed):
        services.publish_policy(actor=sharing.province_officer, rules={"rules": []})
    strict = {"rules": [{"id": "none", "label": "全部", "data": {}, "actor": {}, "effect": "deny"}]}
    row = services.publish_policy(actor=sharing.province_officer, rules=strict, note="冻结共享")
    assert services.active_policy() == (row.version, strict)
    with pytest.raises(services.PolicyDenied):
        _submit(sharing, fields=("NJ",))


def test_a_scoped_read_cuts_rows_to_the_actors_own_subtree_and_applies_the_policy(sharing, tmp_path):
    from tests.datagov_sharing.conftest import make_dataset, make_roster_db

    pool = make_dataset(
        sharing.world.province, make_roster_db(tmp_path / "pool.sqlite3", sharing.rows), name="全省汇聚"
    )
    fields = ["XM", "XXDM", "JKZK"]
    headers, rows, verdicts, rows_filter = services.scoped_read(
        actor=sharing.world.county_admin, dataset=pool, fields=fields, purpose="administration", limit=1000
    )
    assert headers == ["XM", "XXDM"] and [d.field for d in verdicts.denied()] == ["JKZK"]
    assert {r[1] for r in rows} == {sharing.world.school_a.code} and "本人管辖范围" in rows_filter.reason
    assert all("*" in r[0] for r in rows)
    _h, city_rows, _v, _f = services.scoped_read(
        actor=sharing.world.city_admin, dataset=pool, fields=fields, purpose="administration", limit=1000
    )
    assert {r[1] for r in city_rows} == {sharing.world.school_a.code, sharing.world.school_b.code}
    _h, luoyang_rows, _v, _f = services.scoped_read(
        actor=sharing.ly_admin, dataset=pool, fields=fields, purpose="administration", limit=1000
    )
    assert luoyang_rows == []
    with pytest.raises(NotFound):
        services.scoped_read(actor=sharing.world.teacher, dataset=pool, fields=fields, purpose="administration")
    with pytest.raises(NotFound):  # a sibling's dataset: not above, not in scope
        services.scoped_read(actor=sharing.ly_admin, dataset=sharing.dataset, fields=fields, purpose="administration")
    event = AuditEvent.objects.filter(action="datagov_sharing.dataset.read").order_by("id").first()
    assert event.after["denied"] == ["JKZK"] and event.after["rows"] == len(rows)
