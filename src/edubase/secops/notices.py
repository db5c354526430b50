"""Security notices and rectification (通报—整改): writes and scoped reads.

A provincial or city security officer issues a notice to a school (or bureau) about findings,
incidents or a described problem; the rectification runs as a ``security_notice`` workflow case:
the school acknowledges (签收), fixes, uploads evidence and requests a re-test (申请复测); the
issuer's level verifies (核验) and closes (销号) or reopens (退回整改). ``Notice.status`` follows the
case through ``follow_case`` (a ``case_changed`` receiver), however the case moved. Overdue
notices escalate one org level at a time (``escalate_overdue``), each level exactly once.

The engine offers a step to holders of its role on the case org *or above*; the school's steps
must be answered by the school itself, so ``follow_case`` refuses (and thereby rolls back) any
school step taken by someone who does not hold the handler role on the target org itself —
whichever edge (this module, the workflow inbox or API) the step came through.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from edubase.accounts.models import RoleAssignment
from edubase.core import audit
from edubase.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from edubase.core.scope import require, scope_for
from edubase.core.tabular import write_xlsx
from edubase.orgs.models import Org, OrgKind
from edubase.secops.models import (
    Finding,
    FindingStatus,
    Incident,
    Notice,
    NoticeEscalation,
    NoticeEvidence,
    NoticeSequence,
    NoticeStatus,
    Severity,
)
from edubase.secops.models.findings import FindingChange
from edubase.secops.models.notices import NOTICE_OPEN
from edubase.services import files
from edubase.workflow import engine
from edubase.workflow import services as workflow_services
from edubase.workflow.calendar import add_working_days
from edubase.workflow.models import CaseEvent, InstanceState, ProcessDefinition, ProcessInstance, TaskStatus, WorkTask

PROCESS_KEY = "security_notice"
PROCESS_NAME = "网络安全通报整改"
PROCESS_FILE = Path(__file__).resolve().parent / "processes" / "security_notice.bpmn"

#: default rectification deadlines by severity: ("hours", n) or ("working_days", n);
#: override with ``EDUBASE_SECOPS_NOTICE_SLA`` = {severity: [unit, n]}
DEFAULT_SLA: dict[str, tuple[str, int]] = {
    Severity.CRITICAL: ("hours", 24),
    Severity.HIGH: ("working_days", 3),
    Severity.MEDIUM: ("working_days", 10),
    Severity.LOW: ("working_days", 30),
    Severity.INFO: ("working_days", 30),
}
#: working days between two escalation levels of an overdue notice (``EDUBASE_SECOPS_NOTICE_ESCALATION_DAYS``)
DEFAULT_ESCALATION_DAYS = 2

EVIDENCE_TYPES = ("pdf", "jpg", "png", "xlsx", "docx")
EVIDENCE_MAX_MB = 20

HANDLER_ROLES = ("security_officer", "school_admin")
VERIFY_ROLE = "security_officer"
#: issuing org kinds → the verify step's level (relative to the target)
ISSUER_LEVELS: dict[str, str] = {OrgKind.PROVINCE: "province", OrgKind.PREFECTURE: "city"}
TARGET_KINDS = (OrgKind.SCHOOL, OrgKind.COUNTY, OrgKind.BUREAU, OrgKind.UNIT, OrgKind.PREFECTURE)

#: GB/T 2260 province code (first two digits) → the province's one-character short name
PROVINCE_SHORT = {
    "11": "京", "12": "津", "13": "冀", "14": "晋", "15": "蒙", "21": "辽", "22": "吉", "23": "黑",
    "31": "沪", "32": "苏", "33": "浙", "34": "皖", "35": "闽", "36": "赣", "37": "鲁", "41": "豫",
    "42": "鄂", "43": "湘", "44": "粤", "45": "桂", "46": "琼", "50": "渝", "51": "川", "52": "贵",
    "53": "云", "54": "藏", "61": "陕", "62": "甘", "63": "青", "64": "宁", "65": "新",
}  # fmt: skip

STEP_ACKNOWLEDGE = "acknowledge"
STEP_FIX = "fix"
STEP_VERIFY = "verify"
STEP_LABELS = {STEP_ACKNOWLEDGE: "签收通报", STEP_FIX: "整改并申请复测", STEP_VERIFY: "复测核验"}
DECISIONS = {"close": "核验通过，销号", "reopen": "核验未通过，退回整改"}


class NoticeStateError(DomainError):
    code = "secops_notice_state"
    message = "当前通报状态下不能执行此操作"
    status = 409


class NoReportYet(NoticeStateError):
    code = "secops_notice_no_report"
    message = "学校尚未申请复测，还没有整改报告"


# --- small helpers ---------------------------------------------------------------------------


def step_of(task: WorkTask | None) -> str:
    """The kind of a notice case's step: acknowledge, fix or verify ("" when none)."""
    if task is None:
        return ""
    for step in (STEP_ACKNOWLEDGE, STEP_FIX, STEP_VERIFY):
        if task.element_id.startswith(step):
            return step
    return ""


def _audit(actor: Any, action: str, notice: Notice, **after: Any) -> None:
    audit.record(actor=actor, action=f"secops.notice.{action}", obj=notice, org=notice.org, after=after or None)


def _lock(notice: Notice) -> Notice:
    return Notice.objects.select_for_update(of=("self",)).select_related("org", "issuer_org").get(pk=notice.pk)


def sla_deadline(severity: str, start: dt.datetime) -> dt.datetime:
    """The rectification deadline of a notice of ``severity`` issued at ``start``."""
    table: dict[str, Any] = {**DEFAULT_SLA, **(getattr(settings, "EDUBASE_SECOPS_NOTICE_SLA", None) or {})}
    unit, amount = table.get(severity, DEFAULT_SLA[Severity.LOW])
    if unit == "hours":
        return start + dt.timedelta(hours=int(amount))
    return add_working_days(start, int(amount))


def _escalation_days() -> int:
    return int(getattr(settings, "EDUBASE_SECOPS_NOTICE_ESCALATION_DAYS", DEFAULT_ESCALATION_DAYS))


def number_prefix(org: Org) -> str:
    """The document-number word of an issuing org, e.g. 豫教网安通 (province), 郑教网安通 (city)."""
    if org.kind == OrgKind.PROVINCE:
        short = PROVINCE_SHORT.get(org.code[:2], org.name[:1])
    elif org.kind == OrgKind.PREFECTURE:
        short = org.name[:1]
    else:
        short = org.name[:2]
    return f"{short}教网安通"


def allocate_number(issuer: Org, year: int) -> tuple[int, str]:
    """The next sequence number and document number of ``issuer`` in ``year`` (safe under concurrency).

    The counter row is incremented with one ``UPDATE … SET last = last + 1``: on PostgreSQL the row
    lock makes concurrent issuers wait for each other; SQLite serialises writers anyway. The unique
    constraint on (issuer, year, sequence) is the last line of defence.
    """
    counter, _ = NoticeSequence.objects.get_or_create(org=issuer, year=year)
    NoticeSequence.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    sequence = NoticeSequence.objects.values_list("last", flat=True).get(pk=counter.pk)
    return sequence, f"{number_prefix(issuer)}〔{year}〕{sequence}号"


def holds_role_on(user: Any, role_code: str, org: Org) -> bool:
    """Whether ``user`` holds ``role_code`` on ``org`` itself (not merely above it)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return RoleAssignment.objects.filter(user=user, role__code=role_code, org=org).exists()


def _handler_role(target: Org) -> str:
    if RoleAssignment.objects.filter(role__code="security_officer", org=target).exists():
        return "security_officer"
    if target.kind == OrgKind.SCHOOL:
        return "school_admin"
    raise ValidationFailed(
        f"“{target.name}”没有设置网络安全员，无法下发通报：请先为该单位指定网络安全员（security_officer）",
        details=[{"field": "target_org_id", "reason": "被通报单位没有网络安全员"}],
    )


def _issuer(actor: Any, target: Org, issuer: Org | None) -> Org:
    """The issuing org: the one named, else the nearest province/city above the target where the actor may issue."""
    scope = scope_for(actor, "secops.manage")
    if issuer is not None:
        if issuer.kind not in ISSUER_LEVELS:
            raise ValidationFailed(f"“{issuer.name}”不是省级或市级教育行政部门，不能下发网络安全通报")
        if not scope.covers(issuer.path):
            raise PermissionDenied(f"您不能以“{issuer.name}”的名义下发通报")
        if not target.path.startswith(issuer.path) or target.pk == issuer.pk:
            raise ValidationFailed(f"“{target.name}”不在“{issuer.name}”的管辖范围内")
        return issuer
    ancestors = [o for o in (Org.objects.get_ancestors(target) if target.depth > 1 else []) if o.kind in ISSUER_LEVELS]
    if scope.everything and ancestors:
        return ancestors[0]
    # the org where the actor's grant sits (a provincial officer issues as the province, not as a city)
    for candidate in reversed(ancestors):
        if candidate.path in scope.paths:
            return candidate
    raise PermissionDenied("只有省级或市级网络安全员可以下发通报")


# --- issuing ---------------------------------------------------------------------------------


def _check_text(value: str, label: str, limit: int, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(f"{label}不能为空", details=[{"field": field, "reason": "必填"}])
    if len(value) > limit:
        raise ValidationFailed(f"{label}不能超过 {limit} 个字", details=[{"field": field, "reason": "过长"}])
    return value


def _findings_of(target: Org, ids: Sequence[int]) -> list[Finding]:
    wanted = list(dict.fromkeys(int(i) for i in ids))
    found = {f.pk: f for f in Finding.objects.filter(pk__in=wanted)}
    problems: list[dict[str, Any]] = []
    for pk in wanted:
        finding = found.get(pk)
        if finding is None or not finding.org_path.startswith(target.path):
            problems.append({"field": "finding_ids", "finding": pk, "reason": f"漏洞 #{pk} 不是“{target.name}”的漏洞"})
        elif finding.status not in (FindingStatus.OPEN, FindingStatus.FIXING):
            problems.append(
                {
                    "field": "finding_ids",
                    "finding": pk,
                    "reason": f"漏洞 #{pk} 状态为“{finding.get_status_display()}”，不需要整改",
                }
            )
    if problems:
        raise ValidationFailed("；".join(str(p["reason"]) for p in problems), details=problems)
    return [found[pk] for pk in wanted]


def _incidents_of(target: Org, ids: Sequence[int]) -> list[Incident]:
    wanted = list(dict.fromkeys(int(i) for i in ids))
    found = {i.pk: i for i in Incident.objects.filter(pk__in=wanted)}
    problems = [
        {"field": "incident_ids", "incident": pk, "reason": f"安全事件 #{pk} 不是“{target.name}”的事件"}
        for pk in wanted
        if pk not in found or not found[pk].org_path.startswith(target.path)
    ]
    if problems:
        raise ValidationFailed("；".join(str(p["reason"]) for p in problems), details=problems)
    return [found[pk] for pk in wanted]


def _move_findings(notice: Notice, to_status: str, *, actor: Any, now: dt.datetime, reason: str) -> None:
    """Move the notice's findings still being handled to ``to_status``, with a history row each."""
    moving = [f for f in notice.findings.all() if f.status in (FindingStatus.OPEN, FindingStatus.FIXING)]
    user = actor if getattr(actor, "is_authenticated", False) else None
    for finding in moving:
        if finding.status == to_status:
            continue
        FindingChange.objects.create(
            finding=finding, at=now, actor=user, from_status=finding.status, to_status=to_status, reason=reason[:500]
        )
        finding.status = to_status
        if to_status == FindingStatus.FIXED:
            finding.fixed_at = now
        finding.save(update_fields=["status", "fixed_at"])


@transaction.atomic
def issue_notice(
    *,
    actor: Any,
    target: Org,
    title: str,
    severity: str,
    required_actions: str,
    finding_ids: Sequence[int] = (),
    incident_ids: Sequence[int] = (),
    issue_text: str = "",
    deadline: dt.datetime | None = None,
    issuer_org: Org | None = None,
    now: dt.datetime | None = None,
) -> Notice:
    """Issue (下发) a notice to ``target`` and start its rectification case."""
    now = now or timezone.now()
    require(actor, "secops.manage", path=target.path)
    issuer = _issuer(actor, target, issuer_org)
    if target.kind not in TARGET_KINDS:
        raise ValidationFailed(f"“{target.name}”不能作为被通报单位（应为学校或下级教育行政部门）")
    title = _check_text(title, "通报标题", 200, "title")
    required_actions = _check_text(required_actions, "整改要求", 5000, "required_actions")
    if severity not in Severity.values:
        raise ValidationFailed(
            f"危险等级“{severity}”无效，可选：{'、'.join(f'{v}（{label}）' for v, label in Severity.choices)}",
            details=[{"field": "severity", "reason": "无效取值"}],
        )
    findings = _findings_of(target, finding_ids)
    incidents = _incidents_of(target, incident_ids)
    issue_text = (issue_text or "").strip()
    if not findings and not incidents and not issue_text:
        raise ValidationFailed(
            f"通报必须关联“{target.name}”的漏洞或安全事件，或填写问题描述",
            details=[{"field": "finding_ids", "reason": "没有关联的漏洞、事件或问题描述"}],
        )
    if deadline is not None:
        if timezone.is_naive(deadline):
            deadline = timezone.make_aware(deadline)
        if deadline <= now:
            raise ValidationFailed(
                f"整改期限 {timezone.localtime(deadline):%Y-%m-%d %H:%M} 早于当前时间，请选择以后的时间",
                details=[{"field": "deadline", "reason": "早于当前时间"}],
            )
    handler = _handler_role(target)
    deadline = deadline or sla_deadline(severity, now)
    year = timezone.localtime(now).year
    sequence, number = allocate_number(issuer, year)
    notice = Notice.objects.create(
        number=number,
        year=year,
        sequence=sequence,
        issuer_org=issuer,
        issuer_path=issuer.path,
        org=target,
        org_path=target.path,
        title=title,
        severity=severity,
        issue_text=issue_text,
        required_actions=required_actions,
        deadline=deadline,
        next_escalation_at=deadline,
        handler_role=handler,
        verify_level=ISSUER_LEVELS[issuer.kind],
        issued_by=actor,
        issued_at=now,
    )
    notice.findings.set(findings)
    notice.incidents.set(incidents)
    _move_findings(notice, FindingStatus.FIXING, actor=actor, now=now, reason=f"通报 {number} 要求整改")
    notice.instance = engine.start(
        PROCESS_KEY,
        subject=notice,
        org=target,
        actor=actor,
        data={"handler": handler, "verify_level": notice.verify_level, "number": number},
    )
    notice.save(update_fields=["instance"])
    _audit(
        actor,
        "issue",
        notice,
        number=number,
        target=target.code,
        severity=severity,
        deadline=notice.deadline.isoformat(),
        findings=[f.pk for f in findings],
        incidents=[i.pk for i in incidents],
    )
    return notice


# --- following the case ----------------------------------------------------------------------


def live_task(notice: Notice) -> WorkTask | None:
    """The notice case's open step (None when closed)."""
    if notice.instance_id is None:
        return None
    return (
        WorkTask.objects.filter(instance_id=notice.instance_id, status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED])
        .select_related("candidate_org", "claimed_by")
        .order_by("-pk")
        .first()
    )


def _guard_school_step(notice: Notice, task: WorkTask | None, actor: Any, action: str) -> None:
    if action not in ("claimed", "completed", "delegated") or step_of(task) not in (STEP_ACKNOWLEDGE, STEP_FIX):
        return
    if not holds_role_on(actor, notice.handler_role, notice.org):
        raise PermissionDenied(f"整改步骤只能由“{notice.org.name}”本单位的办理人员办理，上级单位不能代为办理")


def follow_case(*, instance: ProcessInstance, action: str = "", task: WorkTask | None = None, **kwargs: Any) -> None:
    """``case_changed`` receiver: the notice of a case follows it (and school steps stay the school's)."""
    if instance.subject_type != Notice._meta.label_lower or not instance.subject_id:
        return
    notice = (
        Notice.objects.select_for_update(of=("self",)).select_related("org").filter(pk=int(instance.subject_id)).first()
    )
    if notice is None:
        return
    _guard_school_step(notice, task, kwargs.get("actor"), action)
    now = timezone.now()
    notice.instance_id = instance.pk
    before = notice.status
    if instance.state == InstanceState.COMPLETED:
        notice.status = NoticeStatus.CLOSED
        notice.closed_at = now
        if task is not None:
            notice.verification_comment = task.comment
        _move_findings(
            notice, FindingStatus.FIXED, actor=kwargs.get("actor"), now=now, reason=f"通报 {notice} 核验销号"
        )
    elif instance.state == InstanceState.CANCELLED:
        notice.status = NoticeStatus.CANCELLED
    else:
        step = step_of(live_task(notice))
        if step == STEP_ACKNOWLEDGE:
            notice.status = NoticeStatus.ISSUED
        elif step == STEP_VERIFY:
            notice.status = NoticeStatus.RETEST_REQUESTED
            if action == "completed":
                notice.retest_requested_at = now
                notice.fix_summary = str((task.form_data if task else {}).get("summary", "")) or notice.fix_summary
        elif step == STEP_FIX:
            if action == "returned":
                notice.status = NoticeStatus.REOPENED
                notice.reopen_count += 1
                notice.last_reopen_reason = task.comment if task is not None else ""
            elif action == "completed" and before == NoticeStatus.ISSUED:
                notice.status = NoticeStatus.ACKNOWLEDGED
                notice.acknowledged_at = now
    notice.save()


# --- the school's steps ----------------------------------------------------------------------


def _routing(notice: Notice) -> dict[str, str]:
    """The case data the BPMN's gateways read, sent again with every step.

    Data given at ``engine.start`` does not survive a round trip through PostgreSQL's ``jsonb``
    (SpiffWorkflow rebuilds task data from deltas in the stored order of its task dict, which
    ``jsonb`` re-sorts), so the gateway after the fix step would not find ``verify_level``.
    """
    return {"handler": notice.handler_role, "verify_level": notice.verify_level}


def _school_step(notice: Notice, actor: Any, expected: str) -> WorkTask:
    """The open school step ``expected``, after checking that the actor answers for the target itself."""
    require(actor, "secops.change", path=notice.org_path)
    if not holds_role_on(actor, notice.handler_role, notice.org):
        raise PermissionDenied(f"只有“{notice.org.name}”本单位的办理人员可以办理此通报")
    task = live_task(notice)
    if step_of(task) != expected or task is None:
        raise NoticeStateError(
            f"通报当前状态为“{notice.get_status_display()}”，不能{STEP_LABELS[expected]}"
            + ("（请先签收）" if step_of(task) == STEP_ACKNOWLEDGE else "")
        )
    return task


@transaction.atomic
def acknowledge(*, actor: Any, notice: Notice, comment: str = "") -> Notice:
    """The school acknowledges (签收) the notice."""
    notice = _lock(notice)
    task = _school_step(notice, actor, STEP_ACKNOWLEDGE)
    engine.complete(
        task, actor=actor, data={"acknowledged": True, **_routing(notice)}, comment=comment.strip() or "签收"
    )
    notice.refresh_from_db()
    _audit(actor, "acknowledge", notice, status=notice.status)
    return notice


@transaction.atomic
def upload_evidence(*, actor: Any, notice: Notice, filename: str, data: bytes, note: str = "") -> NoticeEvidence:
    """Attach one evidence file (整改佐证) during the fix step: type by content, size, SM3 digest."""
    notice = _lock(notice)
    _school_step(notice, actor, STEP_FIX)
    kind = files.check(data=data, filename=filename, types=EVIDENCE_TYPES, max_mb=EVIDENCE_MAX_MB)
    digest = hashlib.new("sm3", data).hexdigest()
    if notice.evidence.filter(digest_sm3=digest).exists():
        raise files.MaterialRejected(f"文件“{filename}”已经上传过，不需要重复上传")
    evidence = NoticeEvidence(
        notice=notice,
        original_name=filename[:255],
        kind=kind,
        size=len(data),
        digest_sm3=digest,
        note=(note or "").strip()[:200],
        uploaded_by=actor,
    )
    evidence.file.save(f"{notice.pk}-{digest[:16]}.{kind}", ContentFile(data), save=False)
    evidence.save()
    if notice.status != NoticeStatus.FIXING:
        notice.status = NoticeStatus.FIXING
        notice.save(update_fields=["status"])
    _audit(actor, "evidence", notice, name=evidence.original_name, kind=kind, size=len(data), sm3=digest)
    return evidence


@transaction.atomic
def request_retest(*, actor: Any, notice: Notice, summary: str) -> Notice:
    """The school reports what it did and requests a re-test (申请复测)."""
    notice = _lock(notice)
    task = _school_step(notice, actor, STEP_FIX)
    summary = _check_text(summary, "整改情况说明", 5000, "summary")
    if not notice.evidence.exists():
        raise ValidationFailed(
            "申请复测前请至少上传一份整改佐证材料", details=[{"field": "evidence", "reason": "未上传"}]
        )
    engine.complete(task, actor=actor, data={"summary": summary, **_routing(notice)}, comment=summary[:500])
    notice.refresh_from_db()
    _audit(actor, "retest", notice, status=notice.status)
    return notice


# --- the issuer's step -----------------------------------------------------------------------


@transaction.atomic
def verify(*, actor: Any, notice: Notice, decision: str, comment: str = "") -> Notice:
    """The issuer's level verifies (核验) the re-test: close (销号) or reopen (退回整改, with a reason)."""
    notice = _lock(notice)
    require(actor, "secops.manage", path=notice.org_path)
    if decision not in DECISIONS:
        raise ValidationFailed(
            f"核验结论“{decision}”无效，可选：{'、'.join(f'{k}（{v}）' for k, v in DECISIONS.items())}",
            details=[{"field": "decision", "reason": "无效取值"}],
        )
    comment = (comment or "").strip()
    if decision == "reopen" and not comment:
        raise ValidationFailed("退回整改必须填写理由", details=[{"field": "comment", "reason": "必填"}])
    task = live_task(notice)
    if step_of(task) != STEP_VERIFY or task is None:
        raise NoticeStateError(f"通报当前状态为“{notice.get_status_display()}”，学校尚未申请复测，不能核验")
    if not engine.is_candidate(actor, task):
        raise PermissionDenied(f"核验由{task.candidate_org.name}的网络安全员办理，您不是该步骤的办理人")
    if decision == "close":
        engine.complete(task, actor=actor, data={"decision": "close"}, comment=comment or "核验通过")
    else:
        engine.return_for_correction(task, actor=actor, comment=comment)
    notice.refresh_from_db()
    _audit(actor, "verify", notice, decision=decision, status=notice.status)
    return notice


# --- overdue escalation ----------------------------------------------------------------------


def escalation_chain(notice: Notice) -> list[Org]:
    """The orgs an overdue notice escalates to, nearest first: the target's ancestors below the issuer."""
    if notice.org.depth <= 1:
        return []
    ancestors = list(Org.objects.get_ancestors(notice.org))
    return [org for org in reversed(ancestors) if org.depth > notice.issuer_org.depth]


def _next_due(notice: Notice, level: int) -> dt.datetime:
    """When escalation ``level`` (1 = the first) falls due."""
    return add_working_days(notice.deadline, (level - 1) * _escalation_days())


def _escalate(notice: Notice, now: dt.datetime) -> int:
    done = 0
    if not notice.overdue:
        notice.overdue = True
        _audit("system", "overdue", notice, deadline=notice.deadline.isoformat())
    chain = escalation_chain(notice)
    level = notice.escalation_level + 1
    while level <= len(chain) and _next_due(notice, level) <= now:
        org = chain[level - 1]
        try:
            with transaction.atomic():
                NoticeEscalation.objects.create(notice=notice, level=level, org=org, at=now)
        except IntegrityError:
            # another worker recorded this level first: it is done, exactly once
            level += 1
            continue
        notice.escalation_level = level
        notice.escalated_to = org
        _audit("system", "escalate", notice, level=level, notified=org.name, org_code=org.code)
        done += 1
        level += 1
    notice.next_escalation_at = _next_due(notice, level) if level <= len(chain) else None
    notice.save(update_fields=["overdue", "escalation_level", "escalated_to", "next_escalation_at"])
    return done


def escalate_overdue(now: dt.datetime | None = None, *, limit: int = 500) -> int:
    """Mark notices past their deadline overdue and escalate each due level once; return escalations made.

    Several workers may sweep at once: on PostgreSQL each takes the notices it locks and skips
    those another holds (``SKIP LOCKED``); the (notice, level) unique constraint keeps every
    level to one escalation whatever happens.
    """
    now = now or timezone.now()
    made = 0
    with transaction.atomic():
        due = Notice.objects.filter(status__in=NOTICE_OPEN, next_escalation_at__lt=now)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        for notice in due.select_related("org", "issuer_org").order_by("next_escalation_at", "pk")[:limit]:
            made += _escalate(notice, now)
    return made


# --- reads -----------------------------------------------------------------------------------


def notices_for(
    actor: Any,
    *,
    status: str | None = None,
    overdue: bool | None = None,
    severity: str | None = None,
    org_id: int | None = None,
    q: str | None = None,
) -> QuerySet[Notice]:
    """Notices whose target lies in the actor's ``secops.view`` scope, filtered."""
    notices = Notice.objects.filter(scope_for(actor, "secops.view").q("org_path")).select_related(
        "org", "issuer_org", "escalated_to"
    )
    if status:
        notices = notices.filter(status=status)
    if overdue is not None:
        notices = notices.filter(overdue=overdue)
    if severity:
        notices = notices.filter(severity=severity)
    if org_id:
        org = Org.objects.filter(pk=org_id).first()
        notices = notices.filter(org_path__startswith=org.path) if org is not None else notices.none()
    if q:
        notices = notices.filter(Q(number__icontains=q) | Q(title__icontains=q) | Q(org__name__icontains=q))
    return notices


def get_notice(actor: Any, *, pk: int) -> Notice:
    """A notice in the actor's scope (NotFound otherwise, exactly like a missing one)."""
    notice = notices_for(actor).select_related("issued_by").filter(pk=pk).first()
    if notice is None:
        raise NotFound("通报不存在或不在您的管辖范围内")
    return notice


def get_evidence(actor: Any, *, notice_pk: int, pk: int) -> NoticeEvidence:
    notice = get_notice(actor, pk=notice_pk)
    evidence = notice.evidence.filter(pk=pk).first()
    if evidence is None:
        raise NotFound("佐证材料不存在")
    return evidence


EVIDENCE_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def evidence_content(evidence: NoticeEvidence) -> tuple[bytes, str]:
    """The stored bytes of an evidence file and their content type."""
    with evidence.file.open("rb") as handle:
        data = handle.read()
    return data, EVIDENCE_CONTENT_TYPES.get(evidence.kind, "application/octet-stream")


def history(actor: Any, notice: Notice) -> list[CaseEvent]:
    """The case history of a notice the actor may see, oldest first."""
    if notice.instance_id is None:
        return []
    return list(CaseEvent.objects.filter(instance_id=notice.instance_id).select_related("actor", "task"))


def actions_for(actor: Any, notice: Notice) -> set[str]:
    """What the actor may do on the notice now: acknowledge, evidence, retest, verify."""
    task = live_task(notice)
    step = step_of(task)
    if task is None:
        return set()
    if step in (STEP_ACKNOWLEDGE, STEP_FIX):
        if not holds_role_on(actor, notice.handler_role, notice.org):
            return set()
        return {"acknowledge"} if step == STEP_ACKNOWLEDGE else {"evidence", "retest"}
    if scope_for(actor, "secops.manage").covers(notice.org_path) and engine.is_candidate(actor, task):
        return {"verify"}
    return set()


LEDGER_HEADERS = (
    "通报编号",
    "标题",
    "地市",
    "县区",
    "被通报单位",
    "单位代码",
    "通报单位",
    "危险等级",
    "状态",
    "下发时间",
    "整改期限",
    "是否超期",
    "升级督办至",
    "销号时间",
    "关联漏洞数",
)
LEDGER_ORDERS = {
    "org": ("org_path", "issued_at", "pk"),
    "deadline": ("deadline", "pk"),
    "status": ("status", "deadline", "pk"),
    "issued": ("-issued_at", "-pk"),
}


def _local(value: dt.datetime | None) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value is not None else ""


def ledger_rows(actor: Any, *, order: str = "org", **filters: Any) -> Iterable[list[Any]]:
    """Ledger (台账) rows in scope, grouped by city / county / school: two queries whatever the size."""
    notices = (
        notices_for(actor, **filters)
        .annotate(finding_count=Count("findings"))
        .order_by(*LEDGER_ORDERS.get(order, LEDGER_ORDERS["org"]))
    )
    # ancestors by path prefix, read once: the cities and counties of the whole tree are few
    regions = {o.path: o.name for o in Org.objects.filter(kind__in=[OrgKind.PREFECTURE, OrgKind.COUNTY])}
    statuses = dict(NoticeStatus.choices)
    severities = dict(Severity.choices)
    step = Org.steplen
    for n in notices.iterator(chunk_size=2000):
        city = regions.get(n.org_path[: 2 * step], "") if len(n.org_path) > 2 * step else ""
        county = regions.get(n.org_path[: 3 * step], "") if len(n.org_path) > 3 * step else ""
        yield [
            n.number,
            n.title,
            city,
            county,
            n.org.name,
            n.org.code,
            n.issuer_org.name,
            str(severities.get(n.severity, n.severity)),
            str(statuses.get(n.status, n.status)),
            _local(n.issued_at),
            _local(n.deadline),
            "是" if n.overdue else "否",
            n.escalated_to.name if n.escalated_to is not None else "",
            _local(n.closed_at),
            n.finding_count,
        ]


def ledger_xlsx(actor: Any, *, order: str = "org", **filters: Any) -> bytes:
    """The notice ledger (通报整改台账) of the actor's scope as XLSX."""
    return write_xlsx(LEDGER_HEADERS, ledger_rows(actor, order=order, **filters), sheet="通报整改台账")


# --- publishing ------------------------------------------------------------------------------


def publish_process(*, actor: Any = None) -> ProcessDefinition | None:
    """Publish the shipped ``security_notice`` BPMN when it differs from the latest version."""
    xml = PROCESS_FILE.read_text(encoding="utf-8")
    digest = hashlib.new("sm3", xml.encode("utf-8")).hexdigest()
    latest = ProcessDefinition.objects.filter(key=PROCESS_KEY).order_by("-version").first()
    if latest is not None and latest.digest_sm3 == digest:
        return None
    return workflow_services.publish_definition(actor=actor, key=PROCESS_KEY, name=PROCESS_NAME, bpmn_xml=xml)
