"""Notices and rectification (通报—整改): issue, acknowledge, fix, re-test, reopen, close, escalate."""

from __future__ import annotations

import datetime as dt
import io
import threading
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from edubase.accounts.models import Role, RoleAssignment, User
from edubase.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from edubase.core.models import AuditEvent
from edubase.orgs.models import Org
from edubase.secops import notice_documents, notices
from edubase.secops.models import Finding, FindingStatus, Notice, NoticeEscalation, NoticeEvidence, NoticeStatus
from edubase.workflow import engine
from edubase.workflow.calendar import add_working_days
from edubase.workflow.models import CaseEvent, ProcessDefinition, WorkTask
from tests.conftest import ON_POSTGRES
from tests.factories import World, make_user

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% evidence\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@dataclass
class Desk:
    """The world plus security officers: the province's, Zhengzhou's, school A's and school B's."""

    world: World
    province_officer: User
    city_officer: User
    school_officer: User
    school_b_officer: User


def build_desk(world: World) -> Desk:
    notices.publish_process(actor=None)
    return Desk(
        world=world,
        province_officer=make_user("hn_sec", role="security_officer", org=world.province),
        city_officer=make_user("zz_sec", role="security_officer", org=world.zhengzhou),
        school_officer=make_user("sa_sec", role="security_officer", org=world.school_a),
        school_b_officer=make_user("sb_sec", role="security_officer", org=world.school_b),
    )


@pytest.fixture
def desk(world: World) -> Desk:
    return build_desk(world)


_HOSTS = iter(range(1, 250))


def make_finding(org: Org, *, severity: str = "high", status: str = FindingStatus.OPEN) -> Finding:
    now = timezone.now()
    n = next(_HOSTS)
    return Finding.objects.create(
        org=org,
        org_path=org.path,
        fingerprint=f"fp-{org.pk}-{n}",
        host=f"10.1.{org.pk}.{n}",
        port="443",
        name=f"OpenSSH 远程代码执行漏洞 {n}",
        cves=["CVE-2024-6387"],
        severity=severity,
        status=status,
        first_seen=now,
        last_seen=now,
    )


def issue(desk: Desk, *, by: Any = None, target: Org | None = None, **kwargs: Any) -> Notice:
    target = target or desk.world.school_a
    if "finding_ids" not in kwargs and "issue_text" not in kwargs:
        kwargs["finding_ids"] = [make_finding(target).pk]
    fields: dict[str, Any] = {
        "title": "关于门户网站存在高危漏洞的通报",
        "severity": "high",
        "required_actions": "立即升级 OpenSSH 至 9.8p1 以上版本，并提交整改报告。",
    }
    fields.update(kwargs)
    return notices.issue_notice(actor=by or desk.province_officer, target=target, **fields)


def to_fix(desk: Desk, notice: Notice) -> Notice:
    return notices.acknowledge(actor=desk.school_officer, notice=notice)


def to_retest(desk: Desk, notice: Notice) -> Notice:
    notice = to_fix(desk, notice)
    notices.upload_evidence(actor=desk.school_officer, notice=notice, filename="升级截图.pdf", data=PDF)
    return notices.request_retest(actor=desk.school_officer, notice=notice, summary="已升级 OpenSSH 并重启服务。")


def reload(notice: Notice) -> Notice:
    return Notice.objects.get(pk=notice.pk)


def step(notice: Notice) -> str:
    return notices.step_of(notices.live_task(notice))


# --- issuing ---------------------------------------------------------------------------------


def test_a_provincial_officer_issues_a_numbered_notice_with_an_sla_deadline(desk: Desk) -> None:
    notice = issue(desk)
    year = timezone.localtime(notice.issued_at).year
    assert notice.number == f"豫教网安通〔{year}〕1号"
    assert notice.status == NoticeStatus.ISSUED
    assert notice.deadline == add_working_days(notice.issued_at, 3)
    assert notice.verify_level == "province" and notice.handler_role == "security_officer"
    assert step(notice) == "acknowledge"
    assert AuditEvent.objects.filter(action="secops.notice.issue", object_id=str(notice.pk)).exists()


def test_numbers_count_per_issuing_org_and_year(desk: Desk) -> None:
    first, second = issue(desk), issue(desk)
    city = issue(desk, by=desk.city_officer)
    assert (first.sequence, second.sequence) == (1, 2)
    assert city.number.startswith("郑教网安通〔") and city.number.endswith("〕1号")
    assert city.verify_level == "city"


def test_a_critical_notice_is_due_in_24_hours(desk: Desk) -> None:
    now = timezone.now()
    notice = issue(desk, severity="critical", now=now)
    assert notice.deadline == now + dt.timedelta(hours=24)


def test_the_sla_is_configurable(desk: Desk, settings: Any) -> None:
    settings.EDUBASE_SECOPS_NOTICE_SLA = {"high": ("hours", 8)}
    now = timezone.now()
    assert issue(desk, now=now).deadline == now + dt.timedelta(hours=8)


def test_issuing_moves_the_findings_to_fixing(desk: Desk) -> None:
    finding = make_finding(desk.world.school_a)
    issue(desk, finding_ids=[finding.pk])
    finding.refresh_from_db()
    assert finding.status == FindingStatus.FIXING
    assert finding.changes.filter(to_status=FindingStatus.FIXING).exists()


def test_a_free_text_issue_needs_no_findings(desk: Desk) -> None:
    notice = issue(desk, issue_text="门户网站首页被篡改。")
    assert notice.findings.count() == 0


def test_a_school_without_its_own_officer_is_answered_by_its_admin(desk: Desk) -> None:
    notice = issue(desk, target=desk.world.school_c, by=desk.province_officer)
    assert notice.handler_role == "school_admin"
    assert step(notice) == "acknowledge"
    assert notices.live_task(notice).element_id == "acknowledge_admin"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"deadline": "past"}, "早于当前时间"),
        ({"title": "  "}, "通报标题不能为空"),
        ({"required_actions": ""}, "整改要求不能为空"),
        ({"severity": "urgent"}, "危险等级“urgent”无效"),
        ({"finding_ids": [], "issue_text": ""}, "必须关联"),
        ({"finding_ids": "other_school"}, "不是“郑州市中原区第一小学”的漏洞"),
        ({"finding_ids": "fixed"}, "不需要整改"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_nothing_is_written(
    desk: Desk, change: dict[str, Any], message: str
) -> None:
    kwargs = dict(change)
    if kwargs.get("deadline") == "past":
        kwargs["deadline"] = timezone.now() - dt.timedelta(hours=1)
    if kwargs.get("finding_ids") == "other_school":
        kwargs["finding_ids"] = [make_finding(desk.world.school_b).pk]
    if kwargs.get("finding_ids") == "fixed":
        kwargs["finding_ids"] = [make_finding(desk.world.school_a, status=FindingStatus.FIXED).pk]
    before = (Notice.objects.count(), CaseEvent.objects.count(), Finding.objects.filter(status="fixing").count())
    with pytest.raises(ValidationFailed, match=message):
        issue(desk, **kwargs)
    after = (Notice.objects.count(), CaseEvent.objects.count(), Finding.objects.filter(status="fixing").count())
    assert before == after


@pytest.mark.parametrize("who", ["school_officer", "teacher", "county_admin", "city_admin"])
def test_only_provincial_or_city_officers_issue(desk: Desk, who: str) -> None:
    actor = getattr(desk, who, None) or getattr(desk.world, who)
    with pytest.raises(PermissionDenied):
        issue(desk, by=actor)
    assert not Notice.objects.exists()


def test_a_city_officer_cannot_issue_to_another_city(desk: Desk) -> None:
    with pytest.raises(PermissionDenied):
        issue(desk, by=desk.city_officer, target=desk.world.school_c)


# --- the flow --------------------------------------------------------------------------------


def test_the_school_acknowledges(desk: Desk) -> None:
    notice = to_fix(desk, issue(desk))
    assert notice.status == NoticeStatus.ACKNOWLEDGED and notice.acknowledged_at is not None
    assert step(notice) == "fix"


def test_uploading_evidence_marks_the_notice_fixing_with_an_sm3_digest(desk: Desk) -> None:
    notice = to_fix(desk, issue(desk))
    evidence = notices.upload_evidence(actor=desk.school_officer, notice=notice, filename="a.png", data=PNG)
    assert evidence.kind == "png" and len(evidence.digest_sm3) == 64
    assert reload(notice).status == NoticeStatus.FIXING


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.pdf", b"", "空文件"),
        ("a.exe", b"MZ\x90\x00", "不是允许的类型"),
        ("a.png", PDF, "扩展名与内容不符"),
    ],
)
def test_bad_evidence_is_refused(desk: Desk, name: str, data: bytes, message: str) -> None:
    notice = to_fix(desk, issue(desk))
    with pytest.raises(ValidationFailed, match=message):
        notices.upload_evidence(actor=desk.school_officer, notice=notice, filename=name, data=data)
    assert not NoticeEvidence.objects.exists()


def test_oversized_evidence_is_refused(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notices, "EVIDENCE_MAX_MB", 0.00001)
    notice = to_fix(desk, issue(desk))
    with pytest.raises(ValidationFailed, match="超过"):
        notices.upload_evidence(actor=desk.school_officer, notice=notice, filename="a.pdf", data=PDF * 10)


def test_the_same_evidence_twice_is_refused(desk: Desk) -> None:
    notice = to_fix(desk, issue(desk))
    notices.upload_evidence(actor=desk.school_officer, notice=notice, filename="a.pdf", data=PDF)
    with pytest.raises(ValidationFailed, match="已经上传过"):
        notices.upload_evidence(actor=desk.school_officer, notice=notice, filename="b.pdf", data=PDF)


def test_a_retest_needs_evidence_and_a_summary(desk: Desk) -> None:
    notice = to_fix(desk, issue(desk))
    with pytest.raises(ValidationFailed, match="至少上传一份"):
        notices.request_retest(actor=desk.school_officer, notice=notice, summary="已整改")
    notices.upload_evidence(actor=desk.school_officer, notice=notice, filename="a.pdf", data=PDF)
    with pytest.raises(ValidationFailed, match="整改情况说明不能为空"):
        notices.request_retest(actor=desk.school_officer, notice=notice, summary=" ")
    assert step(notice) == "fix"


def test_the_school_requests_a_retest(desk: Desk) -> None:
    notice = to_retest(desk, issue(desk))
    assert notice.status == NoticeStatus.RETEST_REQUESTED
    assert notice.fix_summary == "已升级 OpenSSH 并重启服务。"
    assert step(notice) == "verify"
    assert notices.live_task(notice).element_id == "verify_province"


def test_the_issuer_closes_and_the_findings_are_fixed(desk: Desk) -> None:
    notice = issue(desk)
    finding = notice.findings.get()
    notice = notices.verify(
        actor=desk.province_officer, notice=to_retest(desk, notice), decision="close", comment="复测通过"
    )
    assert notice.status == NoticeStatus.CLOSED and notice.closed_at is not None
    assert notice.verification_comment == "复测通过"
    finding.refresh_from_db()
    assert finding.status == FindingStatus.FIXED and finding.fixed_at is not None


def test_the_issuer_reopens_with_a_reason_back_to_the_fix_step(desk: Desk) -> None:
    notice = to_retest(desk, issue(desk))
    notice = notices.verify(actor=desk.province_officer, notice=notice, decision="reopen", comment="端口仍可访问")
    assert notice.status == NoticeStatus.REOPENED
    assert notice.reopen_count == 1 and notice.last_reopen_reason == "端口仍可访问"
    assert step(notice) == "fix"
    assert notice.findings.get().status == FindingStatus.FIXING
    notices.upload_evidence(actor=desk.school_officer, notice=notice, filename="b.png", data=PNG)
    assert reload(notice).status == NoticeStatus.FIXING
    notice = notices.request_retest(actor=desk.school_officer, notice=notice, summary="已关闭端口")
    notice = notices.verify(actor=desk.province_officer, notice=notice, decision="close")
    assert notice.status == NoticeStatus.CLOSED


def test_reopening_without_a_reason_is_refused_and_nothing_changes(desk: Desk) -> None:
    notice = to_retest(desk, issue(desk))
    with pytest.raises(ValidationFailed, match="退回整改必须填写理由"):
        notices.verify(actor=desk.province_officer, notice=notice, decision="reopen", comment="  ")
    assert reload(notice).status == NoticeStatus.RETEST_REQUESTED and step(notice) == "verify"


def test_a_city_notice_is_verified_by_the_city(desk: Desk) -> None:
    notice = to_retest(desk, issue(desk, by=desk.city_officer))
    assert notices.live_task(notice).element_id == "verify_city"
    assert notices.verify(actor=desk.city_officer, notice=notice, decision="close").status == NoticeStatus.CLOSED


def test_a_school_admin_answers_when_the_school_has_no_officer(desk: Desk) -> None:
    RoleAssignment.objects.filter(user=desk.school_officer).delete()
    notice = issue(desk)
    admin = desk.world.school_admin
    notice = notices.acknowledge(actor=admin, notice=notice)
    notices.upload_evidence(actor=admin, notice=notice, filename="a.pdf", data=PDF)
    notice = notices.request_retest(actor=admin, notice=notice, summary="已整改")
    assert notice.status == NoticeStatus.RETEST_REQUESTED


# --- wrong personas --------------------------------------------------------------------------


def test_a_teacher_cannot_acknowledge(desk: Desk) -> None:
    notice = issue(desk)
    with pytest.raises(PermissionDenied):
        notices.acknowledge(actor=desk.world.teacher, notice=notice)
    assert reload(notice).status == NoticeStatus.ISSUED


def test_the_issuer_cannot_act_for_the_school(desk: Desk) -> None:
    notice = issue(desk)
    with pytest.raises(PermissionDenied):
        notices.acknowledge(actor=desk.province_officer, notice=notice)
    # nor through the engine (the workflow inbox or API): the engine offers the step above the school
    task = notices.live_task(notice)
    assert engine.is_candidate(desk.province_officer, task)
    with pytest.raises(PermissionDenied, match="本单位"):
        engine.complete(task, actor=desk.province_officer, data={})
    assert reload(notice).status == NoticeStatus.ISSUED and step(notice) == "acknowledge"
    assert not CaseEvent.objects.filter(action="completed").exists()


def test_a_school_cannot_verify(desk: Desk) -> None:
    notice = to_retest(desk, issue(desk))
    with pytest.raises(PermissionDenied):
        notices.verify(actor=desk.school_officer, notice=notice, decision="close")
    assert reload(notice).status == NoticeStatus.RETEST_REQUESTED


def test_another_school_cannot_see_or_answer(desk: Desk) -> None:
    notice = issue(desk)
    with pytest.raises(NotFound):
        notices.get_notice(desk.school_b_officer, pk=notice.pk)
    assert not notices.notices_for(desk.school_b_officer).exists()
    with pytest.raises(PermissionDenied):
        notices.acknowledge(actor=desk.school_b_officer, notice=notice)


def test_steps_out_of_order_are_refused(desk: Desk) -> None:
    notice = issue(desk)
    with pytest.raises(DomainError, match="请先签收"):
        notices.upload_evidence(actor=desk.school_officer, notice=notice, filename="a.pdf", data=PDF)
    with pytest.raises(DomainError, match="尚未申请复测"):
        notices.verify(actor=desk.province_officer, notice=notice, decision="close")


def test_scope_follows_the_target(desk: Desk) -> None:
    a, c = issue(desk), issue(desk, target=desk.world.school_c)
    w = desk.world
    assert set(notices.notices_for(w.school_admin)) == {a}
    assert set(notices.notices_for(w.county_admin)) == {a}
    assert set(notices.notices_for(w.city_admin)) == {a}
    assert set(notices.notices_for(w.province_admin)) == {a, c}
    assert not notices.notices_for(w.teacher).exists()


# --- overdue escalation ----------------------------------------------------------------------


def test_an_overdue_notice_escalates_to_the_county_then_the_city_once_each(desk: Desk) -> None:
    notice = issue(desk)
    assert notices.escalate_overdue(now=notice.deadline - dt.timedelta(minutes=1)) == 0
    assert not reload(notice).overdue
    assert notices.escalate_overdue(now=notice.deadline + dt.timedelta(minutes=1)) == 1
    notice = reload(notice)
    assert notice.overdue and notice.escalated_to == desk.world.zhongyuan and notice.escalation_level == 1
    assert notices.escalate_overdue(now=notice.deadline + dt.timedelta(hours=2)) == 0
    later = add_working_days(notice.deadline, notices.DEFAULT_ESCALATION_DAYS) + dt.timedelta(minutes=1)
    assert notices.escalate_overdue(now=later) == 1
    notice = reload(notice)
    assert notice.escalated_to == desk.world.zhengzhou and notice.escalation_level == 2
    assert notices.escalate_overdue(now=later + dt.timedelta(days=90)) == 0  # the province issued it
    assert list(NoticeEscalation.objects.values_list("level", "org__name")) == [(1, "中原区"), (2, "郑州市")]
    assert AuditEvent.objects.filter(action="secops.notice.escalate").count() == 2


def test_a_late_sweep_escalates_every_level_that_fell_due(desk: Desk) -> None:
    notice = issue(desk)
    assert notices.escalate_overdue(now=notice.deadline + dt.timedelta(days=60)) == 2
    assert reload(notice).escalated_to == desk.world.zhengzhou


def test_a_city_notice_escalates_only_to_the_county(desk: Desk) -> None:
    notice = issue(desk, by=desk.city_officer)
    assert notices.escalate_overdue(now=notice.deadline + dt.timedelta(days=60)) == 1
    assert reload(notice).escalated_to == desk.world.zhongyuan


def test_a_closed_notice_never_escalates(desk: Desk) -> None:
    notice = to_retest(desk, issue(desk))
    notices.verify(actor=desk.province_officer, notice=notice, decision="close")
    assert notices.escalate_overdue(now=notice.deadline + dt.timedelta(days=60)) == 0
    assert not reload(notice).overdue


def test_the_sweep_command_takes_a_clock(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    notice = issue(desk)
    when = (notice.deadline + dt.timedelta(minutes=5)).isoformat()
    call_command("secops", "sweep", "--now", when)
    assert "1 次" in capsys.readouterr().out
    assert reload(notice).overdue


def test_the_publish_command_publishes_once(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("secops", "publish")
    call_command("secops", "publish")
    out = capsys.readouterr().out
    assert "已发布流程 security_notice v1" in out and "已是最新版本" in out
    assert ProcessDefinition.objects.filter(key="security_notice").count() == 1


@pytest.mark.postgres
@pytest.mark.skipif(
    not ON_POSTGRES,
    reason="SKIP LOCKED racing needs PostgreSQL; SQLite serialises writers, so there is no race to test",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_racing_escalate_each_level_exactly_once(world: World) -> None:
    d = build_desk(world)
    batch = [issue(d) for _ in range(8)]
    when = max(n.deadline for n in batch) + dt.timedelta(days=60)
    counts: list[int] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            barrier.wait()
            for _ in range(3):
                counts.append(notices.escalate_overdue(now=when, limit=3))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts) == 16
    assert NoticeEscalation.objects.count() == 16
    assert Notice.objects.filter(overdue=True, escalation_level=2).count() == 8


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent number allocation needs PostgreSQL's row locks")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_officers_issuing_at_once_get_distinct_numbers(world: World) -> None:
    d = build_desk(world)
    findings = [make_finding(world.school_a).pk for _ in range(6)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker(ids: list[int]) -> None:
        try:
            barrier.wait()
            for pk in ids:
                issue(d, finding_ids=[pk])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(findings[i::2],)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(Notice.objects.values_list("sequence", flat=True)) == [1, 2, 3, 4, 5, 6]


# --- documents and ledger --------------------------------------------------------------------


def test_the_notice_pdf_is_a_pdf(desk: Desk) -> None:
    data = notice_documents.notice_pdf(issue(desk))
    assert data.startswith(b"%PDF-") and b"/FontFile2" in data


def test_the_report_exists_only_after_a_retest_request(desk: Desk) -> None:
    notice = issue(desk)
    with pytest.raises(DomainError, match="尚未申请复测"):
        notice_documents.rectification_report_pdf(notice)
    notice = to_retest(desk, notice)
    assert notice_documents.rectification_report_pdf(notice).startswith(b"%PDF-")


def test_the_ledger_groups_by_city_county_and_school_without_a_query_per_row(
    desk: Desk, django_assert_max_num_queries: Any
) -> None:
    from openpyxl import load_workbook

    for _ in range(5):
        issue(desk)
    issue(desk, target=desk.world.school_c)
    issue(desk, target=desk.world.school_b, issue_text="弱口令")
    with django_assert_max_num_queries(4):
        data = notices.ledger_xlsx(desk.world.province_admin)
    rows = list(load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[0][:5] == ("通报编号", "标题", "地市", "县区", "被通报单位")
    body = rows[1:]
    assert len(body) == 7
    assert [r[2:4] for r in body] == [("郑州市", "中原区")] * 5 + [("郑州市", "金水区"), ("洛阳市", "老城区")]


def test_the_ledger_of_a_school_holds_only_its_notices(desk: Desk) -> None:
    issue(desk)
    issue(desk, target=desk.world.school_c)
    rows = list(notices.ledger_rows(desk.world.school_admin))
    assert [r[4] for r in rows] == [desk.world.school_a.name]


def test_a_handler_role_is_a_role(desk: Desk) -> None:
    assert set(notices.HANDLER_ROLES) <= set(Role.objects.values_list("code", flat=True))
    assert WorkTask.objects.count() == 0
