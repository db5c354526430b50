"""Life cycle: retention rules, archival, legal hold, deletion with an SM2-signed certificate."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from edubase.core.errors import PermissionDenied, ValidationFailed
from edubase.core.models import AuditEvent
from edubase.datagov.sharing import lifecycle, services
from edubase.datagov.sharing.models import LifecycleState, ShareGrant, ShareToken
from tests.datagov_sharing.conftest import Sharing

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def _rule(s: Sharing, **kw):
    return lifecycle.set_retention(
        actor=s.county_officer,
        dataset=s.dataset,
        retain_days=kw.pop("retain_days", 365 * 3),
        on_expiry=kw.pop("on_expiry", "delete"),
        basis="《中小学生学籍管理办法》：毕业后保存三年",
        **kw,
    )


def _grant_with_token(s: Sharing) -> ShareGrant:
    request = services.submit_request(
        actor=s.requester,
        dataset=s.dataset,
        requester_org=s.world.laocheng,
        fields=["XM", "NJ"],
        purpose="student_status",
        purpose_detail="核查",
        period_start=TODAY,
        period_end=TODAY + dt.timedelta(days=10),
        delivery="api",
    )
    for officer in (s.county_officer, s.city_officer, s.province_officer):
        request = services.handle(actor=officer, request=request, decision="approve")
    grant = ShareGrant.objects.get(request=request)
    services.issue_token(actor=s.requester, grant=grant)
    return grant


def test_only_the_owners_data_officers_set_retention(sharing):
    with pytest.raises(PermissionDenied):
        lifecycle.set_retention(
            actor=sharing.world.county_admin, dataset=sharing.dataset, retain_days=30, on_expiry="archive"
        )
    with pytest.raises(PermissionDenied):
        lifecycle.set_retention(actor=sharing.requester, dataset=sharing.dataset, retain_days=30, on_expiry="archive")
    rule = _rule(sharing)
    assert rule.org == sharing.world.zhongyuan and rule.state == LifecycleState.ACTIVE
    with pytest.raises(ValidationFailed):
        _rule(sharing, on_expiry="burn")


def test_a_legal_hold_blocks_archival_and_deletion_until_released(sharing):
    rule = _rule(sharing)
    with pytest.raises(ValidationFailed):
        lifecycle.place_hold(actor=sharing.county_officer, rule=rule, reason=" ")
    lifecycle.place_hold(actor=sharing.county_officer, rule=rule, reason="（2026）豫0102民初123号调取")
    with pytest.raises(lifecycle.LegalHoldActive, match="法律保全"):
        lifecycle.delete(actor=sharing.county_officer, rule=rule, reason="期满")
    with pytest.raises(lifecycle.LegalHoldActive):
        lifecycle.archive(actor=sharing.county_officer, rule=rule)
    lifecycle.release_hold(actor=sharing.county_officer, rule=rule, reason="案件已结")
    lifecycle.archive(actor=sharing.county_officer, rule=rule)
    rule.refresh_from_db()
    assert rule.state == LifecycleState.ARCHIVED


def test_an_archived_dataset_takes_no_new_share_requests(sharing):
    rule = _rule(sharing)
    lifecycle.archive(actor=sharing.county_officer, rule=rule)
    with pytest.raises(services.ShareStateError, match="归档"):
        services.submit_request(
            actor=sharing.requester,
            dataset=sharing.dataset,
            requester_org=sharing.world.laocheng,
            fields=["NJ"],
            purpose="student_status",
            purpose_detail="核查",
            period_start=TODAY,
            period_end=TODAY,
        )


def test_deletion_revokes_every_use_runs_purgers_and_issues_a_signed_certificate(sharing):
    grant = _grant_with_token(sharing)
    purged: list[int] = []
    lifecycle.register_purger("test_copies", lambda dataset: purged.append(dataset.pk) or 7)
    try:
        rule = _rule(sharing)
        certificate = lifecycle.delete(actor=sharing.county_officer, rule=rule, reason="保存期满，依规删除")
    finally:
        lifecycle._PURGERS.pop("test_copies", None)
    assert purged == [sharing.dataset.pk]
    grant.refresh_from_db()
    assert grant.state == "revoked" and not ShareToken.objects.filter(grant=grant, revoked_at__isnull=True).exists()
    payload = json.loads(certificate.payload)
    # other apps' purgers (the catalogue's samples, the pool's copies) report alongside
    assert {k: payload["purged"][k] for k in ("share_grants_revoked", "share_tokens_revoked", "test_copies")} == {
        "share_grants_revoked": 1,
        "share_tokens_revoked": 1,
        "test_copies": 7,
    }
    assert set(payload["purged"]) >= {"catalogue_samples"}
    assert payload["dataset"]["name"] == sharing.dataset.name and payload["signer"]["node"] == "41"
    assert lifecycle.verify_certificate(certificate)
    tampered = certificate.payload.replace("保存期满", "保存未满")
    assert not lifecycle.verify_payload(
        tampered, certificate.signature, certificate.signer_node, certificate.key_version
    )
    assert AuditEvent.objects.filter(action="datagov_sharing.lifecycle.delete", object_id=str(rule.pk)).exists()
    with pytest.raises(lifecycle.LifecycleError):
        lifecycle.delete(actor=sharing.county_officer, rule=rule, reason="again")


def test_the_certificate_renders_as_a_pdf(sharing):
    certificate = lifecycle.delete(actor=sharing.county_officer, rule=_rule(sharing), reason="保存期满")
    pdf = lifecycle.certificate_pdf(certificate)
    assert pdf.startswith(b"%PDF") and certificate.number.encode() in pdf


def test_the_retention_sweep_archives_due_datasets_but_skips_holds_and_deletions(sharing):
    due = _rule(sharing, retain_days=10, on_expiry="archive", starts_on=TODAY - dt.timedelta(days=11))
    held = lifecycle.set_retention(
        actor=sharing.school_officer,
        dataset=sharing.plain,
        retain_days=10,
        on_expiry="archive",
        starts_on=TODAY - dt.timedelta(days=11),
    )
    lifecycle.place_hold(actor=sharing.school_officer, rule=held, reason="审计保全")
    assert lifecycle.sweep_retention() == 1
    due.refresh_from_db()
    held.refresh_from_db()
    assert due.state == LifecycleState.ARCHIVED and held.state == LifecycleState.ACTIVE
    deleting = _rule(sharing, retain_days=1, on_expiry="delete")  # the same dataset's rule, changed
    assert deleting.pk == due.pk


def test_deletion_due_list(sharing):
    rule = _rule(sharing, retain_days=5, starts_on=TODAY - dt.timedelta(days=6))
    from edubase.datagov.sharing.models import RetentionRule

    assert lifecycle.due_for_deletion(RetentionRule.objects.all()) == [rule]


def test_the_cli_verifies_a_certificate_and_traces_a_file(sharing, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    certificate = lifecycle.delete(actor=sharing.county_officer, rule=_rule(sharing), reason="保存期满")
    out = StringIO()
    call_command("datagov_sharing", "verify", certificate.number, stdout=out)
    assert "签名有效" in out.getvalue()
    leak = tmp_path / "leak.csv"
    leak.write_text("XM,NJ\n张*明,一年级\n", encoding="utf-8")
    out = StringIO()
    call_command("datagov_sharing", "trace", str(leak), stdout=out)
    assert "未识别到水印" in out.getvalue()
