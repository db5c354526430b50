"""Incidents and drills: scoped reads, every write, the overdue-report sweep and the post-incident PDF.

Reporting deadlines run from the time of discovery: 1 hour when critical information
infrastructure (关键信息基础设施) is involved, otherwise 2 hours for 特别重大/重大 and 4 hours for
较大/一般; ``settings.SECOPS_INCIDENT_REPORT_HOURS`` (same keys as ``DEFAULT_REPORT_HOURS``)
overrides any of them. ``escalate_overdue`` marks each late report and notifies the next level up
(the parent of the incident's org) exactly once: the ``escalated_at`` marker is set in the same
transaction as the escalation event, rows picked with ``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL so that two workers take disjoint incidents.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from edubase.core import audit
from edubase.core.errors import DomainError, NotFound, ValidationFailed
from edubase.core.scope import require, scope_for, subtree_q
from edubase.orgs.models import Org
from edubase.secops.models import (
    Asset,
    Incident,
    IncidentAction,
    IncidentCategory,
    IncidentEvidence,
    IncidentGrade,
    IncidentState,
    IncidentTask,
    InformationSystem,
)
from edubase.services import files

logger = logging.getLogger(__name__)

VIEW = "secops.view"
CHANGE = "secops.change"
MANAGE = "secops.manage"

#: hours from discovery to the report (上报时限); "cii" wins over the grade
DEFAULT_REPORT_HOURS: dict[str, float] = {
    "cii": 1,
    IncidentGrade.ESPECIALLY_MAJOR: 2,
    IncidentGrade.MAJOR: 2,
    IncidentGrade.RELATIVELY_MAJOR: 4,
    IncidentGrade.GENERAL: 4,
}

#: shipped playbooks (处置预案): key → (name, checklist steps)
PLAYBOOKS: dict[str, tuple[str, tuple[str, ...]]] = {
    "defacement": (
        "网页篡改",
        (
            "确认篡改页面范围并截图、保存页面快照留证",
            "断开被篡改网站的互联网访问或切换至维护页面",
            "保全 Web 服务器日志、访问日志与篡改文件",
            "排查 Webshell、后门账号与被利用漏洞",
            "从可信备份恢复网页并修补漏洞",
            "复核恢复后的页面内容，经审核后重新上线",
            "按要求向上级主管部门和公安机关报告",
        ),
    ),
    "ransomware": (
        "勒索病毒",
        (
            "立即隔离受感染主机（断网，不关机）",
            "确认感染范围，排查同网段主机与共享存储",
            "保全勒索信、样本与系统日志",
            "识别勒索病毒家族，检索可用的解密工具",
            "封堵传播途径（关闭 SMB/RDP 暴露端口，修补漏洞）",
            "从离线备份恢复业务数据与系统",
            "全网查杀并修改相关账号口令",
            "按要求向上级主管部门和公安机关报告",
        ),
    ),
    "data_leak": (
        "数据泄露",
        (
            "确认泄露数据的类型、数量及涉及的个人信息主体",
            "切断泄露源头（下线接口、吊销凭据、关闭共享）",
            "保全访问日志、导出记录与相关证据",
            "评估对个人信息主体的影响，必要时告知受影响人员",
            "修复导致泄露的漏洞或管理缺陷",
            "按《数据安全法》《个人信息保护法》要求报告主管部门",
        ),
    ),
    "ddos": (
        "DDoS 攻击",
        (
            "确认攻击类型、流量规模与受影响业务",
            "联系运营商或云服务商启用流量清洗/黑洞",
            "启用 CDN、限流与访问控制策略",
            "保全攻击流量样本与设备日志",
            "攻击结束后恢复业务并复核服务可用性",
            "按要求向上级主管部门报告",
        ),
    ),
}

#: evidence files: extensions accepted; the first five are also checked by content
EVIDENCE_TYPES = ("pdf", "jpg", "png", "xlsx", "docx", "txt", "log", "csv", "json", "xml", "zip", "pcap")
_SNIFFED = {"pdf", "jpg", "png", "xlsx", "docx"}
EVIDENCE_MAX_MB = 20

_NEXT: dict[str, tuple[str, ...]] = {
    IncidentState.DISCOVERED: (IncidentState.REPORTED,),
    IncidentState.REPORTED: (IncidentState.RESPONDING,),
    IncidentState.RESPONDING: (IncidentState.RECOVERED,),
    IncidentState.RECOVERED: (IncidentState.CLOSED,),
    IncidentState.CLOSED: (),
}
_STAMP: dict[str, str] = {
    IncidentState.RESPONDING: "responding_at",
    IncidentState.RECOVERED: "recovered_at",
    IncidentState.CLOSED: "closed_at",
}
#: a clock skew tolerated when a discovery time is typed in
_FUTURE_SLACK = dt.timedelta(minutes=5)


class IncidentStateError(DomainError):
    code = "secops_incident_state"
    message = "当前事件状态下不能执行此操作"
    status = 409


def _label(state: str) -> str:
    return str(IncidentState(state).label)


# --- deadlines -------------------------------------------------------------------------------


def report_hours(*, grade: str, cii: bool) -> float:
    """Hours allowed from discovery to report, from the defaults and the settings override."""
    table = {**DEFAULT_REPORT_HOURS, **getattr(settings, "SECOPS_INCIDENT_REPORT_HOURS", {})}
    return float(table["cii"] if cii else table[grade])


def report_deadline(*, discovered_at: dt.datetime, grade: str, cii: bool) -> dt.datetime:
    return discovered_at + dt.timedelta(hours=report_hours(grade=grade, cii=cii))


@dataclass(frozen=True)
class Countdown:
    """Time left to report (negative when late); ``running`` is False once reported."""

    running: bool
    seconds: int
    late: bool

    @property
    def text(self) -> str:
        if not self.running:
            return "已迟报" if self.late else "已按时上报"
        minutes = abs(self.seconds) // 60
        span = f"{minutes // 60} 小时 {minutes % 60} 分钟" if minutes >= 60 else f"{minutes} 分钟"
        return f"已超时 {span}" if self.seconds < 0 else f"剩余 {span}"


def countdown(incident: Incident, *, now: dt.datetime | None = None) -> Countdown:
    if incident.reported_at is not None:
        return Countdown(False, 0, incident.reported_late)
    left = int((incident.report_deadline - (now or timezone.now())).total_seconds())
    return Countdown(True, left, left < 0)


# --- reads -----------------------------------------------------------------------------------


def incidents_for(
    actor: Any,
    *,
    grade: str | None = None,
    state: str | None = None,
    org: Org | None = None,
    exercise: bool | None = None,
    open_only: bool = False,
    escalated: bool | None = None,
) -> QuerySet[Incident]:
    """Incidents and drills at orgs in the actor's ``secops.view`` scope, filtered."""
    rows = Incident.objects.filter(scope_for(actor, VIEW).q("org_path")).select_related("org", "escalated_to")
    if grade:
        rows = rows.filter(grade=grade)
    if state:
        rows = rows.filter(state=state)
    if org is not None:
        rows = rows.filter(subtree_q(org.path, "org_path"))
    if exercise is not None:
        rows = rows.filter(is_exercise=exercise)
    if open_only:
        rows = rows.exclude(state=IncidentState.CLOSED)
    if escalated is not None:
        rows = rows.filter(escalated_at__isnull=not escalated)
    return rows


def get_incident(actor: Any, *, pk: int) -> Incident:
    """One incident in scope; outside it answers exactly like a missing one."""
    incident = incidents_for(actor).filter(pk=pk).first()
    if incident is None:
        raise NotFound("事件不存在或不在您的管辖范围内")
    return incident


def get_evidence(actor: Any, *, incident_pk: int, pk: int) -> IncidentEvidence:
    incident = get_incident(actor, pk=incident_pk)
    evidence = IncidentEvidence.objects.filter(pk=pk, action__incident=incident).first()
    if evidence is None:
        raise NotFound("证据文件不存在")
    return evidence


def evidence_response(evidence: IncidentEvidence) -> HttpResponse:
    """An evidence file as a download (never rendered inline), with its SM3 digest in a header."""
    with evidence.file.open("rb") as stored:
        response = HttpResponse(stored.read(), content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, evidence.original_name)
    response["X-Content-SM3"] = evidence.digest_sm3
    return response


def timeline(incident: Incident) -> QuerySet[IncidentAction]:
    return incident.actions.select_related("actor").prefetch_related("evidence")


def tasks_of(incident: Incident) -> QuerySet[IncidentTask]:
    return incident.tasks.select_related("assignee", "done_by")


def reporting_orgs(actor: Any) -> QuerySet[Org]:
    """Orgs where the actor may report an incident (for the report form)."""
    return Org.objects.filter(scope_for(actor, CHANGE).q("path")).order_by("path")


def assets_choosable(actor: Any, org: Org) -> QuerySet[Asset]:
    return Asset.objects.filter(scope_for(actor, VIEW).q("org_path"), subtree_q(org.path, "org_path"))


def systems_choosable(actor: Any, org: Org) -> QuerySet[InformationSystem]:
    return InformationSystem.objects.filter(scope_for(actor, VIEW).q("org_path"), subtree_q(org.path, "org_path"))


# --- writes ----------------------------------------------------------------------------------


def _audit(actor: Any, verb: str, incident: Incident, **after: Any) -> None:
    audit.record(actor=actor, action=f"secops.incident.{verb}", obj=incident, org=incident.org, after=after or None)


def _note(incident: Incident, *, actor: Any, kind: str, text: str, at: dt.datetime, **data: Any) -> IncidentAction:
    user = actor if getattr(actor, "is_authenticated", False) else None
    return IncidentAction.objects.create(incident=incident, at=at, actor=user, kind=kind, text=text, data=data)


def _lock(incident: Incident) -> Incident:
    return Incident.objects.select_for_update(of=("self",)).select_related("org").get(pk=incident.pk)


def _choice(value: str, choices: type[Any], what: str, problems: list[dict[str, str]]) -> None:
    if value not in choices.values:
        allowed = "、".join(str(label) for label in choices.labels)
        problems.append({"field": what, "reason": f"“{value}”不是有效的{what}（可选：{allowed}）"})


def _fail(problems: list[dict[str, str]]) -> None:
    if problems:
        raise ValidationFailed("；".join(p["reason"] for p in problems), details=problems)


@transaction.atomic
def create_incident(
    *,
    actor: Any,
    org: Org,
    title: str,
    grade: str,
    category: str,
    discovered_at: dt.datetime,
    description: str = "",
    cii: bool = False,
    asset_ids: Sequence[int] = (),
    system_ids: Sequence[int] = (),
    playbook: str = "",
    report_now: bool = True,
    is_exercise: bool = False,
    scenario: str = "",
    now: dt.datetime | None = None,
) -> Incident:
    """Register an incident (or a drill) of ``org``; reported at once unless ``report_now`` is False."""
    require(actor, CHANGE, path=org.path)
    now = now or timezone.now()
    problems: list[dict[str, str]] = []
    title = (title or "").strip()
    if not title:
        problems.append({"field": "事件名称", "reason": "事件名称不能为空"})
    elif len(title) > 200:
        problems.append({"field": "事件名称", "reason": "事件名称不能超过 200 个字"})
    _choice(grade, IncidentGrade, "事件分级", problems)
    _choice(category, IncidentCategory, "事件分类", problems)
    if timezone.is_naive(discovered_at):
        discovered_at = timezone.make_aware(discovered_at)
    if discovered_at > now + _FUTURE_SLACK:
        problems.append(
            {"field": "发现时间", "reason": f"发现时间 {timezone.localtime(discovered_at):%Y-%m-%d %H:%M} 晚于当前时间"}
        )
    elif discovered_at.year < 2000:
        problems.append({"field": "发现时间", "reason": "发现时间不合理（早于 2000 年）"})
    if playbook and playbook not in PLAYBOOKS:
        known = "、".join(f"{k}（{v[0]}）" for k, v in PLAYBOOKS.items())
        problems.append({"field": "处置预案", "reason": f"处置预案“{playbook}”不存在（可选：{known}）"})
    if is_exercise and not scenario.strip():
        problems.append({"field": "演练场景", "reason": "应急演练必须填写演练场景"})
    assets = list(assets_choosable(actor, org).filter(pk__in=list(asset_ids)))
    missing_assets = sorted(set(asset_ids) - {a.pk for a in assets})
    if missing_assets:
        problems.append({"field": "受影响资产", "reason": f"资产 {missing_assets} 不存在或不属于“{org.name}”"})
    systems = list(systems_choosable(actor, org).filter(pk__in=list(system_ids)))
    missing_systems = sorted(set(system_ids) - {s.pk for s in systems})
    if missing_systems:
        problems.append({"field": "受影响信息系统", "reason": f"信息系统 {missing_systems} 不存在或不属于“{org.name}”"})
    _fail(problems)
    involves_cii = cii or any(s.cii for s in systems)
    incident = Incident.objects.create(
        org=org,
        org_path=org.path,
        title=title,
        description=description.strip(),
        grade=grade,
        category=category,
        cii=involves_cii,
        discovered_at=discovered_at,
        report_deadline=report_deadline(discovered_at=discovered_at, grade=grade, cii=involves_cii),
        playbook=playbook,
        is_exercise=is_exercise,
        scenario=scenario.strip(),
        created_by=actor,
    )
    incident.number = f"{'YL' if is_exercise else 'SJ'}{timezone.localtime(now):%Y%m%d}{incident.pk:06d}"
    incident.save(update_fields=["number"])
    incident.assets.set(assets)
    incident.systems.set(systems)
    if playbook:
        IncidentTask.objects.bulk_create(
            IncidentTask(incident=incident, position=i, title=step)
            for i, step in enumerate(PLAYBOOKS[playbook][1], start=1)
        )
    what = "登记应急演练" if is_exercise else "登记安全事件"
    _note(incident, actor=actor, kind="created", text=f"{what}：{title}", at=now, playbook=playbook)
    _audit(
        actor,
        "create",
        incident,
        number=incident.number,
        grade=grade,
        category=category,
        cii=involves_cii,
        exercise=is_exercise,
        deadline=incident.report_deadline.isoformat(),
    )
    if report_now:
        _report(incident, actor=actor, now=now)
    return incident


def _report(incident: Incident, *, actor: Any, now: dt.datetime) -> None:
    incident.reported_at = now
    incident.reported_late = now > incident.report_deadline
    incident.state = IncidentState.REPORTED
    incident.save(update_fields=["reported_at", "reported_late", "state", "updated_at"])
    text = "事件已上报" + ("（迟报）" if incident.reported_late else "")
    _note(incident, actor=actor, kind="reported", text=text, at=now, late=incident.reported_late)
    _audit(actor, "report", incident, late=incident.reported_late)


@transaction.atomic
def report(*, actor: Any, incident: Incident, now: dt.datetime | None = None) -> Incident:
    """Report (上报) a registered incident to the superior; late when past its deadline."""
    incident = _lock(incident)
    require(actor, CHANGE, path=incident.org_path)
    if incident.state != IncidentState.DISCOVERED:
        raise IncidentStateError(f"事件当前状态为“{_label(incident.state)}”，已经上报过，不能重复上报")
    _report(incident, actor=actor, now=now or timezone.now())
    return incident


@transaction.atomic
def transition(
    *,
    actor: Any,
    incident: Incident,
    to: str,
    note: str = "",
    post_report: str = "",
    root_cause: str = "",
    lessons: str = "",
    now: dt.datetime | None = None,
) -> Incident:
    """Move an incident one step: reported → responding → recovered → closed (closing needs the report)."""
    if to == IncidentState.REPORTED:
        return report(actor=actor, incident=incident, now=now)
    incident = _lock(incident)
    require(actor, CHANGE, path=incident.org_path)
    if to not in IncidentState.values:
        allowed = "、".join(f"{v}（{label}）" for v, label in IncidentState.choices)
        raise ValidationFailed(f"目标状态“{to}”无效（可选：{allowed}）")
    if to not in _NEXT[incident.state]:
        following = "、".join(f"“{_label(s)}”" for s in _NEXT[incident.state]) or "（无，事件已结案）"
        raise IncidentStateError(
            f"事件当前状态为“{_label(incident.state)}”，不能变为“{_label(to)}”（下一步只能是：{following}）"
        )
    now = now or timezone.now()
    if to == IncidentState.CLOSED:
        problems = [
            {"field": field, "reason": f"结案必须填写{field}"}
            for field, value in (("事件总结报告", post_report), ("原因分析", root_cause), ("经验教训", lessons))
            if not value.strip()
        ]
        _fail(problems)
        incident.post_report = post_report.strip()
        incident.root_cause = root_cause.strip()
        incident.lessons = lessons.strip()
    before = incident.state
    incident.state = to
    setattr(incident, _STAMP[to], now)
    incident.save()
    text = f"状态：{_label(before)} → {_label(to)}" + (f"。{note.strip()}" if note.strip() else "")
    _note(incident, actor=actor, kind="state", text=text, at=now, before=before, after=to)
    _audit(actor, "transition", incident, before=before, state=to)
    return incident


def _evidence_kind(filename: str, data: bytes) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension in ("jpeg",):
        extension = "jpg"
    if extension not in EVIDENCE_TYPES:
        raise files.MaterialRejected(f"证据文件“{filename}”的类型不被接受（允许：{'、'.join(EVIDENCE_TYPES)}）")
    if extension in _SNIFFED:
        return files.check(data=data, filename=filename, types=[extension], max_mb=EVIDENCE_MAX_MB)
    if not data:
        raise files.MaterialRejected(f"证据文件“{filename}”是空文件，请重新选择")
    if len(data) > EVIDENCE_MAX_MB * 1024 * 1024:
        raise files.MaterialRejected(f"证据文件“{filename}”超过 {EVIDENCE_MAX_MB} MB 的上限")
    return extension


@transaction.atomic
def add_action(
    *,
    actor: Any,
    incident: Incident,
    text: str,
    evidence: Iterable[tuple[str, bytes]] = (),
    now: dt.datetime | None = None,
) -> IncidentAction:
    """Record one response action (处置记录) with its evidence files (SM3 digest kept)."""
    incident = _lock(incident)
    require(actor, CHANGE, path=incident.org_path)
    text = (text or "").strip()
    uploads = list(evidence)
    if not text:
        raise ValidationFailed("处置记录的内容不能为空")
    if incident.state == IncidentState.CLOSED:
        raise IncidentStateError("事件已结案，不能再添加处置记录")
    kinds = [_evidence_kind(name, data) for name, data in uploads]  # all checked before anything is written
    action = _note(incident, actor=actor, kind="action", text=text, at=now or timezone.now())
    stored = []
    for (name, data), kind in zip(uploads, kinds, strict=True):
        digest = hashlib.new("sm3", data).hexdigest()
        item = IncidentEvidence(action=action, original_name=name[:255], kind=kind, size=len(data), digest_sm3=digest)
        item.file.save(f"{incident.pk}-{digest[:16]}.{kind}", ContentFile(data), save=False)
        item.save()
        stored.append({"name": name, "sm3": digest, "size": len(data)})
    _audit(actor, "action", incident, text=text[:200], evidence=stored)
    return action


@transaction.atomic
def add_task(*, actor: Any, incident: Incident, title: str) -> IncidentTask:
    """Add a checklist step by hand."""
    incident = _lock(incident)
    require(actor, CHANGE, path=incident.org_path)
    title = (title or "").strip()
    if not title:
        raise ValidationFailed("任务内容不能为空")
    if incident.state == IncidentState.CLOSED:
        raise IncidentStateError("事件已结案，不能再添加任务")
    last = incident.tasks.order_by("-position").values_list("position", flat=True).first() or 0
    task = IncidentTask.objects.create(incident=incident, position=last + 1, title=title[:200])
    _audit(actor, "task.add", incident, task=task.title)
    return task


def _task(incident: Incident, task_pk: int) -> IncidentTask:
    task = IncidentTask.objects.select_for_update().filter(pk=task_pk, incident=incident).first()
    if task is None:
        raise NotFound("任务不存在")
    return task


@transaction.atomic
def update_task(
    *,
    actor: Any,
    incident: Incident,
    task_pk: int,
    done: bool | None = None,
    assignee: str | None = None,
    now: dt.datetime | None = None,
) -> IncidentTask:
    """Mark a task done/undone, or assign it (by username; "" unassigns) to a user who may act on
    the incident's org."""
    incident = _lock(incident)
    require(actor, CHANGE, path=incident.org_path)
    if incident.state == IncidentState.CLOSED:
        raise IncidentStateError("事件已结案，不能再修改任务")
    task = _task(incident, task_pk)
    now = now or timezone.now()
    changes: dict[str, Any] = {}
    if assignee is not None:
        username = assignee.strip()
        if not username:
            task.assignee = None
        else:
            from edubase.accounts.models import User

            user = User.objects.filter(username=username, is_active=True).first()
            if user is None or not scope_for(user, CHANGE).covers(incident.org_path):
                raise ValidationFailed(f"用户“{username}”不存在或无权处置“{incident.org.name}”的事件，不能指派")
            task.assignee = user
        changes["assignee"] = task.assignee.get_username() if task.assignee else None
    if done is not None and done != task.done:
        task.done = done
        task.done_at = now if done else None
        task.done_by = actor if done and getattr(actor, "is_authenticated", False) else None
        changes["done"] = done
    task.save()
    if changes:
        what = "完成" if changes.get("done") else ("重新打开" if "done" in changes else "指派")
        _note(incident, actor=actor, kind="task", text=f"任务{what}：{task.title}", at=now, task=task.pk, **changes)
        _audit(actor, "task.update", incident, task=task.title, **changes)
    return task


@transaction.atomic
def evaluate_drill(*, actor: Any, incident: Incident, score: int, text: str) -> Incident:
    """Evaluate (演练评估) a drill: a score 0–100 and a written assessment, by a superior (secops.manage)."""
    incident = _lock(incident)
    require(actor, MANAGE, path=incident.org_path)
    if not incident.is_exercise:
        raise IncidentStateError("只有应急演练可以评估，真实事件请填写事件总结报告")
    problems = []
    if not 0 <= score <= 100:
        problems.append({"field": "演练评分", "reason": f"演练评分 {score} 超出 0–100 的范围"})
    if not (text or "").strip():
        problems.append({"field": "演练评估", "reason": "演练评估内容不能为空"})
    _fail(problems)
    incident.evaluation_score = score
    incident.evaluation = text.strip()
    incident.save(update_fields=["evaluation_score", "evaluation", "updated_at"])
    _note(incident, actor=actor, kind="evaluated", text=f"演练评估：{score} 分", at=timezone.now(), score=score)
    _audit(actor, "evaluate", incident, score=score)
    return incident


# --- the overdue-report sweep ----------------------------------------------------------------


def _overdue(now: dt.datetime) -> QuerySet[Incident]:
    return Incident.objects.filter(
        Q(reported_at__isnull=True) | Q(reported_at__gt=F("report_deadline")),
        escalated_at__isnull=True,
        is_exercise=False,
        report_deadline__lt=now,
    )


def escalate_overdue(now: dt.datetime | None = None, *, limit: int = 100) -> int:
    """Mark incidents whose report is late and notify the next level up, each exactly once."""
    now = now or timezone.now()
    escalated = 0
    with transaction.atomic():
        due = _overdue(now).order_by("report_deadline", "pk")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        for incident in list(due.select_related("org")[:limit]):
            parent = Org.objects.get_parent(incident.org) if incident.org.depth > 1 else None
            claimed = Incident.objects.filter(pk=incident.pk, escalated_at__isnull=True).update(
                escalated_at=now, escalated_to=parent, reported_late=True
            )
            if claimed != 1:
                continue
            to = parent.name if parent is not None else incident.org.name
            deadline = f"{timezone.localtime(incident.report_deadline):%Y-%m-%d %H:%M}"
            late = (
                f"超过上报时限（{deadline}）仍未上报"
                if incident.reported_at is None
                else f"事件迟报（时限 {deadline}）"
            )
            _note(
                incident,
                actor=None,
                kind="escalated",
                text=f"{late}，已通报上一级：{to}",
                at=now,
                to_org=parent.pk if parent is not None else None,
                to=to,
            )
            audit.record(
                actor=None,
                action="secops.incident.escalate",
                obj=incident,
                org=incident.org,
                after={"to": to, "deadline": incident.report_deadline.isoformat()},
            )
            escalated += 1
    if escalated:
        logger.info("escalated %d overdue incident reports", escalated)
    return escalated


# --- the post-incident report (PDF) ----------------------------------------------------------


def post_incident_pdf(incident: Incident) -> bytes:
    """The post-incident report (事件总结报告) or drill report as an A4 PDF (the embedded document font)."""
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from edubase.core.pdf import font_name

    if incident.state != IncidentState.CLOSED and not incident.is_exercise:
        raise IncidentStateError("事件结案后才能生成事件总结报告")
    font = font_name()
    title_style = ParagraphStyle("t", fontName=font, fontSize=18, leading=26, alignment=1)
    head = ParagraphStyle("h", fontName=font, fontSize=13, leading=20, spaceBefore=8)
    body = ParagraphStyle("b", fontName=font, fontSize=10.5, leading=17, wordWrap="CJK")

    def para(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text or "—").replace("\n", "<br/>"), style)

    def when(value: dt.datetime | None) -> str:
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else "—"

    kind = "应急演练总结报告" if incident.is_exercise else "网络安全事件总结报告"
    rows = [
        ("事件编号", incident.number or str(incident.pk)),
        ("事件名称", incident.title),
        ("发生单位", incident.org.name),
        ("事件分级", incident.get_grade_display()),
        ("事件分类", incident.get_category_display()),
        ("涉及关键信息基础设施", "是" if incident.cii else "否"),
        ("发现时间", when(incident.discovered_at)),
        ("上报时限", when(incident.report_deadline)),
        ("上报时间", when(incident.reported_at) + ("（迟报）" if incident.reported_late else "")),
        ("恢复时间", when(incident.recovered_at)),
        ("结案时间", when(incident.closed_at)),
        ("受影响资产", "、".join(a.name for a in incident.assets.all()) or "—"),
        ("受影响信息系统", "、".join(s.name for s in incident.systems.all()) or "—"),
    ]
    table = Table([[para(k), para(v)] for k, v in rows], colWidths=[42 * mm, 120 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "#999999"), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story: list[Any] = [para(kind, title_style), Spacer(1, 6 * mm), table]
    if incident.is_exercise:
        score = "—" if incident.evaluation_score is None else f"{incident.evaluation_score} 分"
        story += [
            para("演练场景", head),
            para(incident.scenario),
            para(f"演练评估（{score}）", head),
            para(incident.evaluation),
        ]
    story += [
        para("事件经过与处置", head),
        para(incident.description),
        para("事件总结", head),
        para(incident.post_report),
        para("原因分析", head),
        para(incident.root_cause),
        para("经验教训与整改措施", head),
        para(incident.lessons),
        para("处置记录", head),
    ]
    for action in incident.actions.select_related("actor").order_by("at", "pk"):
        who = action.actor.get_username() if action.actor else "系统"
        story.append(para(f"{when(action.at)}　{who}　{action.text}"))
    tasks = list(incident.tasks.order_by("position"))
    if tasks:
        story.append(para("处置任务", head))
        story += [para(f"{t.position}. {t.title}（{'已完成' if t.done else '未完成'}）") for t in tasks]
    out = io.BytesIO()
    SimpleDocTemplate(
        out, pagesize=A4, title=kind, author=incident.org.name, leftMargin=20 * mm, rightMargin=20 * mm
    ).build(story)
    return out.getvalue()
