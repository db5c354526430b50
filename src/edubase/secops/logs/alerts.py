"""Alerts and detection rules: scoped reads, triage, one-click follow-ups, rule management.

Reads start from ``scope_for(actor, "secops.view")`` on the alert's org path (a school sees its own
alerts, a city those of its schools); an alert outside the scope answers 404 exactly like a missing
one. Triage and assignment need ``secops.change`` on the alert's org; the one-click follow-ups
check what their target service checks (a finding: ``secops.change``; a notice: ``secops.manage``,
inside ``notices.issue_notice``; an incident: ``secops.change``, inside ``incidents.create_incident``).

Rules are province-wide objects: every ``secops.view`` holder may read them; switching a rule on or
off for the whole province and importing packs needs ``secops.manage`` on the province (the top of
the tree); per-scope switches and exceptions need ``secops.manage`` on that org.

Every write is audited and validated before anything is written (a ``DomainError`` with a Chinese
message otherwise). Rule changes touch ``DetectionRule.updated_at`` so that the detectors' rule
cache (``detect``) reloads.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from edubase.core import audit
from edubase.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from edubase.core.scope import require, scope_for, subtree_q
from edubase.orgs.models import Org
from edubase.secops import findings as findings_service
from edubase.secops import incidents as incidents_service
from edubase.secops import notices as notices_service
from edubase.secops.models import Finding, FindingChange, FindingStatus
from edubase.secops.models.detection import (
    Alert,
    AlertStatus,
    DetectionRule,
    RuleException,
    RuleLevel,
    RuleScope,
)
from edubase.secops.models.findings import Severity

VIEW = "secops.view"
CHANGE = "secops.change"
MANAGE = "secops.manage"

#: Sigma level → finding / notice severity
LEVEL_SEVERITY: dict[str, str] = {
    RuleLevel.INFORMATIONAL: Severity.INFO,
    RuleLevel.LOW: Severity.LOW,
    RuleLevel.MEDIUM: Severity.MEDIUM,
    RuleLevel.HIGH: Severity.HIGH,
    RuleLevel.CRITICAL: Severity.CRITICAL,
}
#: Sigma level → incident grade (an alert is at most a 较大 incident until people judge otherwise)
LEVEL_GRADE: dict[str, str] = {RuleLevel.CRITICAL: "relatively_major"}
LEVEL_ORDER = [RuleLevel.CRITICAL, RuleLevel.HIGH, RuleLevel.MEDIUM, RuleLevel.LOW, RuleLevel.INFORMATIONAL]

#: triage: where an alert may go from each state
NEXT: dict[str, tuple[str, ...]] = {
    AlertStatus.NEW: (AlertStatus.TRIAGING, AlertStatus.FALSE_POSITIVE),
    AlertStatus.TRIAGING: (AlertStatus.CONFIRMED, AlertStatus.FALSE_POSITIVE),
    AlertStatus.CONFIRMED: (AlertStatus.CLOSED,),
    AlertStatus.FALSE_POSITIVE: (AlertStatus.CLOSED,),
    AlertStatus.CLOSED: (),
}
#: states that need a note saying why
NOTE_REQUIRED = frozenset({AlertStatus.CONFIRMED, AlertStatus.FALSE_POSITIVE, AlertStatus.CLOSED})
OPEN_STATUSES = (AlertStatus.NEW, AlertStatus.TRIAGING, AlertStatus.CONFIRMED)
NOTE_LIMIT = 2000


class AlertStateError(DomainError):
    """The alert is not in a state where this action is possible."""

    code = "alert_state"
    message = "告警当前状态不允许此操作"
    status = 409


def _status_label(value: str) -> str:
    return str(AlertStatus(value).label) if value in AlertStatus.values else value


def _audit(actor: Any, verb: str, alert: Alert, **after: Any) -> None:
    audit.record(actor=actor, action=f"secops.alert.{verb}", obj=alert, org=alert.org, after=after)


def _lock(alert: Alert) -> Alert:
    return (
        Alert.objects.select_for_update(of=("self",)).select_related("rule", "org", "asset", "finding").get(pk=alert.pk)
    )


# --- reads -----------------------------------------------------------------------------------


def _org_in_scope(actor: Any, org_id: int | None) -> Org | None:
    if org_id is None:
        return None
    org = Org.objects.filter(pk=org_id).first()
    if org is None or not scope_for(actor, VIEW).covers(org.path):
        raise NotFound("单位不存在或不在您的管辖范围内")
    return org


def alerts_for(
    actor: Any,
    *,
    severity: str | None = None,
    status: str | None = None,
    rule: str | None = None,
    org_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    open_only: bool = False,
) -> QuerySet[Alert]:
    """Alerts whose org lies in the actor's ``secops.view`` scope, filtered.

    ``severity`` and ``status`` accept comma-separated values; ``rule`` is a rule id (the Sigma id)
    or the primary key; ``since``/``until`` bound ``last_seen``.
    """
    rows = Alert.objects.filter(scope_for(actor, VIEW).q("org_path")).select_related("rule", "org", "asset")
    if severity:
        rows = rows.filter(severity__in=[s for s in severity.split(",") if s])
    if status:
        rows = rows.filter(status__in=[s for s in status.split(",") if s])
    if open_only:
        rows = rows.filter(status__in=OPEN_STATUSES)
    if rule:
        rows = rows.filter(Q(rule__rule_id=rule) | (Q(rule_id=int(rule)) if rule.isdigit() else Q(pk__in=[])))
    org = _org_in_scope(actor, org_id)
    if org is not None:
        rows = rows.filter(subtree_q(org.path, "org_path"))
    if since is not None:
        rows = rows.filter(last_seen__gte=since)
    if until is not None:
        rows = rows.filter(last_seen__lt=until)
    return rows


def counts(rows: QuerySet[Alert]) -> dict[str, Any]:
    """Totals of a filtered alert list by severity and by status (two GROUP BYs)."""
    by_severity = dict(rows.order_by().values_list("severity").annotate(n=Count("pk")))
    by_status = dict(rows.order_by().values_list("status").annotate(n=Count("pk")))
    return {
        "total": sum(by_status.values()),
        "by_severity": [{"key": v, "name": str(label), "value": by_severity.get(v, 0)} for v, label in _levels()],
        "by_status": [{"key": v, "name": str(label), "value": by_status.get(v, 0)} for v, label in AlertStatus.choices],
    }


def _levels() -> list[tuple[str, Any]]:
    labels = dict(RuleLevel.choices)
    return [(v, labels[v]) for v in LEVEL_ORDER]


def get_alert(actor: Any, *, pk: int) -> Alert:
    """One alert in scope (404 when missing or outside it)."""
    alert = alerts_for(actor).select_related("assignee", "finding", "notice", "incident").filter(pk=pk).first()
    if alert is None:
        raise NotFound("告警不存在或不在您的管辖范围内")
    return alert


def actions_for(actor: Any, alert: Alert) -> dict[str, Any]:
    """What the actor may do on the alert now (the console shows these buttons)."""
    change = scope_for(actor, CHANGE).covers(alert.org_path)
    manage = scope_for(actor, MANAGE).covers(alert.org_path)
    return {
        "transitions": [(s, _status_label(s)) for s in NEXT.get(alert.status, ())] if change else [],
        "assign": change and alert.status != AlertStatus.CLOSED,
        "finding": change and alert.finding_id is None and alert.org_id is not None,
        "notice": manage and alert.notice_id is None and alert.org_id is not None,
        "incident": change and alert.incident_id is None and alert.org_id is not None,
    }


# --- triage ----------------------------------------------------------------------------------


def _note_line(actor: Any, text: str, now: dt.datetime) -> str:
    who = getattr(actor, "get_username", lambda: "system")()
    return f"[{timezone.localtime(now):%Y-%m-%d %H:%M}] {who}：{text}"


def _clean_note(note: str, *, required: bool, what: str) -> str:
    text = (note or "").strip()
    if required and not text:
        raise ValidationFailed(f"{what}必须填写研判说明", details=[{"field": "note", "reason": "必填"}])
    if len(text) > NOTE_LIMIT:
        raise ValidationFailed(f"研判说明不能超过 {NOTE_LIMIT} 个字", details=[{"field": "note", "reason": "过长"}])
    return text


@transaction.atomic
def triage(*, actor: Any, alert: Alert, to: str, note: str = "", now: dt.datetime | None = None) -> Alert:
    """Move an alert one step: new → triaging → confirmed / false_positive → closed (a note says why)."""
    require(actor, CHANGE, path=alert.org_path)
    now = now or timezone.now()
    alert = _lock(alert)
    if to not in AlertStatus.values:
        known = "、".join(f"{v}（{label}）" for v, label in AlertStatus.choices)
        raise ValidationFailed(f"告警状态“{to}”无效，可选：{known}", details=[{"field": "to", "reason": "无效取值"}])
    allowed = NEXT.get(alert.status, ())
    if to not in allowed:
        following = "、".join(_status_label(s) for s in allowed) or "无（已关闭）"
        raise AlertStateError(
            f"告警当前为“{_status_label(alert.status)}”，不能改为“{_status_label(to)}”（可改为：{following}）"
        )
    text = _clean_note(note, required=to in NOTE_REQUIRED, what=f"改为“{_status_label(to)}”")
    before = alert.status
    alert.status = to
    line = _note_line(actor, f"{_status_label(before)} → {_status_label(to)}" + (f"：{text}" if text else ""), now)
    alert.note = f"{alert.note}\n{line}".strip()
    if to == AlertStatus.TRIAGING and alert.assignee_id is None and getattr(actor, "is_authenticated", False):
        alert.assignee = actor
    alert.save(update_fields=["status", "note", "assignee"])
    _audit(actor, "triage", alert, **{"from": before, "to": to, "note": text})
    return alert


@transaction.atomic
def assign(*, actor: Any, alert: Alert, assignee: str | int | None) -> Alert:
    """Give the alert to someone who can see it (``None``/blank: nobody)."""
    require(actor, CHANGE, path=alert.org_path)
    alert = _lock(alert)
    if alert.status == AlertStatus.CLOSED:
        raise AlertStateError("告警已关闭，不能再指派")
    user = None
    if assignee not in (None, ""):
        users = get_user_model().objects
        text = str(assignee).strip()
        user = (users.filter(pk=int(text)).first() if text.isdigit() else None) or users.filter(username=text).first()
        if user is None or not scope_for(user, VIEW).covers(alert.org_path):
            raise ValidationFailed(
                f"用户“{text}”不存在或无权查看该告警，不能指派",
                details=[{"field": "assignee", "reason": "无效的处理人"}],
            )
    alert.assignee = user
    alert.save(update_fields=["assignee"])
    _audit(actor, "assign", alert, assignee=getattr(user, "username", None))
    return alert


# --- one-click follow-ups --------------------------------------------------------------------


def _describe(alert: Alert) -> str:
    group = "，".join(f"{k}={v}" for k, v in (alert.group_key or {}).items()) or "—"
    return (
        f"检测规则“{alert.rule.title}”（{alert.rule.rule_id}）告警：分组 {group}；"
        f"时间窗 {timezone.localtime(alert.window_start):%Y-%m-%d %H:%M:%S} 至 "
        f"{timezone.localtime(alert.window_end):%Y-%m-%d %H:%M:%S}；事件 {alert.event_count} 条；"
        f"首次 {timezone.localtime(alert.first_seen):%Y-%m-%d %H:%M:%S}，"
        f"最近 {timezone.localtime(alert.last_seen):%Y-%m-%d %H:%M:%S}。"
    )


def _host(alert: Alert) -> str:
    """The attacked host of the alert: its asset's address/domain, else the group key's host."""
    asset = alert.asset
    if asset is not None:
        return str(asset.ip or asset.domain or asset.name)[:253]
    key = alert.group_key or {}
    for field in ("host.ip", "destination.ip", "host.name", "source.ip"):
        if key.get(field):
            return str(key[field])[:253]
    return f"alert-{alert.pk}"


def _target_org(alert: Alert) -> Org:
    if alert.org is None:
        raise ValidationFailed("告警未关联到任何单位（事件缺少单位信息），无法据此生成漏洞、通报或事件")
    return alert.org


@transaction.atomic
def open_finding(*, actor: Any, alert: Alert, now: dt.datetime | None = None) -> Finding:
    """Create (or reopen) the finding the alert points at: host, name = rule title, severity from level."""
    org = _target_org(alert)
    require(actor, CHANGE, path=org.path)
    now = now or timezone.now()
    alert = _lock(alert)
    if alert.finding_id is not None:
        raise AlertStateError(f"该告警已生成漏洞 #{alert.finding_id}")
    host = _host(alert)
    signature = f"sigma:{alert.rule.rule_id}"[:200]
    key = findings_service.fingerprint(org=org, host=host, port="", signature=signature)
    severity = LEVEL_SEVERITY.get(alert.severity, Severity.MEDIUM)
    user = actor if getattr(actor, "is_authenticated", False) else None
    finding = Finding.objects.select_for_update().filter(fingerprint=key).first()
    if finding is None:
        finding = Finding.objects.create(
            org=org,
            org_path=org.path,
            asset=alert.asset,
            fingerprint=key,
            host=host,
            name=alert.rule.title[:500],
            signature=signature,
            severity=severity,
            description=_describe(alert),
            first_seen=alert.first_seen,
            last_seen=alert.last_seen,
            unknown_asset=alert.asset_id is None,
        )
        FindingChange.objects.create(
            finding=finding, at=now, actor=user, to_status=FindingStatus.OPEN, reason=f"由告警 #{alert.pk} 生成"
        )
    elif finding.status not in (FindingStatus.OPEN, FindingStatus.FIXING):
        FindingChange.objects.create(
            finding=finding,
            at=now,
            actor=user,
            from_status=finding.status,
            to_status=FindingStatus.OPEN,
            reason=f"告警 #{alert.pk} 再次发现",
        )
        finding.status = FindingStatus.OPEN
        finding.fixed_at = None
        finding.reopened_count += 1
        finding.last_seen = max(finding.last_seen, alert.last_seen)
        finding.save(update_fields=["status", "fixed_at", "reopened_count", "last_seen"])
    alert.finding = finding
    alert.save(update_fields=["finding"])
    _audit(actor, "finding", alert, finding=finding.pk, host=host, severity=severity)
    return finding


def default_notice(alert: Alert) -> dict[str, str]:
    """The prefilled title and required actions of a notice from ``alert``."""
    org_name = alert.org.name if alert.org is not None else ""
    return {
        "title": f"关于{org_name}“{alert.rule.title}”安全告警的通报"[:200],
        "required_actions": (
            "请立即核查告警所涉主机和账号：排查是否已被入侵，封禁攻击来源地址，修改涉及账号的口令，"
            "加固相关服务（限制来源、启用多因素认证），并在整改期限内上传整改佐证材料、申请复测。"
        ),
    }


@transaction.atomic
def open_notice(
    *,
    actor: Any,
    alert: Alert,
    title: str = "",
    required_actions: str = "",
    deadline: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Any:
    """Issue a notice (通报) to the alert's school about it, linking the alert's finding when open."""
    org = _target_org(alert)
    require(actor, MANAGE, path=org.path)
    alert = _lock(alert)
    if alert.notice_id is not None:
        raise AlertStateError(f"该告警已下发通报 #{alert.notice_id}")
    defaults = default_notice(alert)
    finding_ids = []
    finding = alert.finding
    if finding is not None and finding.status in (FindingStatus.OPEN, FindingStatus.FIXING):
        finding_ids.append(finding.pk)
    notice = notices_service.issue_notice(
        actor=actor,
        target=org,
        title=title.strip() or defaults["title"],
        severity=LEVEL_SEVERITY.get(alert.severity, Severity.MEDIUM),
        required_actions=required_actions.strip() or defaults["required_actions"],
        finding_ids=finding_ids,
        incident_ids=[alert.incident_id] if alert.incident_id else [],
        issue_text=_describe(alert),
        deadline=deadline,
        now=now,
    )
    alert.notice = notice
    alert.save(update_fields=["notice"])
    _audit(actor, "notice", alert, notice=notice.pk, number=notice.number, target=org.code)
    return notice


@transaction.atomic
def open_incident(
    *,
    actor: Any,
    alert: Alert,
    grade: str = "",
    category: str = "attack",
    now: dt.datetime | None = None,
) -> Any:
    """Register a security incident of the alert's org from it (reported at once)."""
    org = _target_org(alert)
    require(actor, CHANGE, path=org.path)
    alert = _lock(alert)
    if alert.incident_id is not None:
        raise AlertStateError(f"该告警已登记安全事件 #{alert.incident_id}")
    asset = alert.asset
    asset_ids = [asset.pk] if asset is not None and asset.org_path.startswith(org.path) else []
    incident = incidents_service.create_incident(
        actor=actor,
        org=org,
        title=f"{alert.rule.title}（告警 #{alert.pk}）"[:200],
        grade=grade or LEVEL_GRADE.get(alert.severity, "general"),
        category=category or "attack",
        discovered_at=min(alert.first_seen, now or timezone.now()),
        description=_describe(alert),
        asset_ids=asset_ids,
        now=now,
    )
    alert.incident = incident
    alert.save(update_fields=["incident"])
    _audit(actor, "incident", alert, incident=incident.pk, number=incident.number)
    return incident


# --- rules -----------------------------------------------------------------------------------


def _province_path() -> str:
    top = Org.objects.filter(depth=1).order_by("path").values_list("path", flat=True).first()
    return top or ""


def may_manage_rules(actor: Any) -> bool:
    """Whether the actor may switch rules province-wide and import packs (secops.manage on the top)."""
    return scope_for(actor, MANAGE).covers(_province_path())


def rules_for(
    actor: Any,
    *,
    q: str | None = None,
    level: str | None = None,
    pack: str | None = None,
    kind: str | None = None,
    enabled: bool | None = None,
    broken: bool | None = None,
) -> QuerySet[DetectionRule]:
    """The rules (province-wide objects) for any ``secops.view`` holder, with alert counts."""
    if scope_for(actor, VIEW).empty:
        return DetectionRule.objects.none()
    rules = DetectionRule.objects.all()
    if q:
        text = q.strip()
        rules = rules.filter(Q(title__icontains=text) | Q(rule_id__icontains=text) | Q(description__icontains=text))
    if level:
        rules = rules.filter(level__in=[v for v in level.split(",") if v])
    if pack:
        rules = rules.filter(pack=pack)
    if kind:
        rules = rules.filter(kind=kind)
    if enabled is not None:
        rules = rules.filter(enabled=enabled)
    if broken is not None:
        rules = rules.exclude(error="") if broken else rules.filter(error="")
    return rules


def get_rule(actor: Any, *, pk: int) -> DetectionRule:
    rule = rules_for(actor).filter(pk=pk).first()
    if rule is None:
        raise NotFound("检测规则不存在")
    return rule


def attack_tags(rule: DetectionRule) -> list[str]:
    """ATT&CK technique ids of the rule's tags (``attack.t1110.001`` → ``T1110.001``)."""
    out = []
    for tag in rule.tags or []:
        text = str(tag).lower()
        if text.startswith("attack.t") and text[8:9].isdigit():
            out.append(text[7:].upper())
    return out


def scopes_of(actor: Any, rule: DetectionRule) -> QuerySet[RuleScope]:
    return rule.scopes.filter(scope_for(actor, VIEW).q("org_path")).select_related("org").order_by("org_path")


def exceptions_of(actor: Any, rule: DetectionRule) -> QuerySet[RuleException]:
    return (
        rule.exceptions.filter(scope_for(actor, VIEW).q("org_path"))
        .select_related("org", "created_by")
        .order_by("org_path", "pk")
    )


def _touch(rule: DetectionRule) -> None:
    """Bump ``updated_at`` so the detectors reload their rule cache."""
    rule.save(update_fields=["updated_at"])


def _rule_audit(actor: Any, verb: str, rule: DetectionRule, org: Any = None, **after: Any) -> None:
    audit.record(actor=actor, action=f"secops.rule.{verb}", obj=rule, org=org, after=after)


@transaction.atomic
def set_enabled(*, actor: Any, rule: DetectionRule, enabled: bool) -> DetectionRule:
    """Switch a rule on or off for the whole province."""
    if not may_manage_rules(actor):
        raise PermissionDenied("只有省级网络安全员可以在全省范围启用或停用检测规则")
    if enabled and rule.error:
        raise ValidationFailed(f"规则“{rule.title}”无法运行（{rule.error}），不能启用")
    before = rule.enabled
    rule.enabled = enabled
    rule.save(update_fields=["enabled", "updated_at"])
    _rule_audit(actor, "toggle", rule, before=before, enabled=enabled)
    return rule


def _org_for_write(actor: Any, org_id: int | None) -> Org:
    org = Org.objects.filter(pk=org_id).first() if org_id else None
    if org is None or not scope_for(actor, VIEW).covers(org.path):
        raise NotFound("单位不存在或不在您的管辖范围内")
    require(actor, MANAGE, path=org.path)
    return org


@transaction.atomic
def set_scope(*, actor: Any, rule: DetectionRule, org_id: int | None, enabled: bool | None) -> RuleScope | None:
    """Switch a rule on/off for one org's subtree (the deepest setting wins); ``None`` removes the setting."""
    org = _org_for_write(actor, org_id)
    current = RuleScope.objects.filter(rule=rule, org=org).first()
    if enabled is None:
        if current is not None:
            current.delete()
        result = None
    elif current is None:
        result = RuleScope.objects.create(rule=rule, org=org, org_path=org.path, enabled=enabled)
    else:
        current.enabled = enabled
        current.save(update_fields=["enabled"])
        result = current
    _touch(rule)
    _rule_audit(actor, "scope", rule, org=org, org_code=org.code, enabled=enabled)
    return result


MAX_EXCEPTION_VALUES = 500


@transaction.atomic
def add_exception(
    *, actor: Any, rule: DetectionRule, org_id: int | None, field: str, values: Sequence[Any], reason: str
) -> RuleException:
    """Suppress the rule's alerts in one org's subtree when ``field`` has one of ``values``."""
    from edubase.secops.logs.schema import FIELDS

    org = _org_for_write(actor, org_id)
    problems: list[dict[str, str]] = []
    field = (field or "").strip()
    if field not in FIELDS:
        problems.append({"field": "field", "reason": f"字段“{field}”不是规范化事件的字段（例：source.ip、user.name）"})
    clean = [str(v).strip() for v in values if str(v).strip()]
    clean = list(dict.fromkeys(clean))
    if not clean:
        problems.append({"field": "values", "reason": "至少填写一个取值"})
    elif len(clean) > MAX_EXCEPTION_VALUES:
        problems.append({"field": "values", "reason": f"取值不能超过 {MAX_EXCEPTION_VALUES} 个"})
    reason = (reason or "").strip()
    if not reason:
        problems.append({"field": "reason", "reason": "必须填写例外原因"})
    elif len(reason) > 1000:
        problems.append({"field": "reason", "reason": "例外原因不能超过 1000 个字"})
    if problems:
        raise ValidationFailed("；".join(p["reason"] for p in problems), details=problems)
    exception = RuleException.objects.create(
        rule=rule, org=org, org_path=org.path, field=field, values=clean, reason=reason, created_by=actor
    )
    _touch(rule)
    _rule_audit(actor, "exception.add", rule, org=org, org_code=org.code, field=field, values=clean, reason=reason)
    return exception


@transaction.atomic
def remove_exception(*, actor: Any, rule: DetectionRule, exception_id: int) -> None:
    exception = exceptions_of(actor, rule).filter(pk=exception_id).first()
    if exception is None:
        raise NotFound("例外不存在或不在您的管辖范围内")
    require(actor, MANAGE, path=exception.org_path)
    org = exception.org
    snapshot = {"field": exception.field, "values": exception.values, "org_code": org.code}
    exception.delete()
    _touch(rule)
    _rule_audit(actor, "exception.remove", rule, org=org, **snapshot)


MAX_PACK_BYTES = 50 * 1024 * 1024


def import_pack(*, actor: Any, filename: str, data: bytes, pack: str = "") -> Any:
    """Import a rule pack (zip of Sigma YAML, or one YAML file) through ``sigma.packs.import_pack``.

    Returns the sigma part's report: ``{"imported", "updated", "failed": [(file, rule, error)],
    "unsupported", "total"}`` (unsupported rules are stored with their ``error``).
    """
    if not may_manage_rules(actor):
        raise PermissionDenied("只有省级网络安全员可以导入规则包")
    if not data:
        raise ValidationFailed(
            "请选择要导入的规则包文件（zip 或 yml）", details=[{"field": "file", "reason": "空文件"}]
        )
    if len(data) > MAX_PACK_BYTES:
        raise ValidationFailed("规则包不能超过 50 MB", details=[{"field": "file", "reason": "过大"}])
    lower = (filename or "").lower()
    if not lower.endswith((".zip", ".yml", ".yaml")):
        raise ValidationFailed(
            f"文件“{filename}”不是规则包：请上传 zip 压缩包或 .yml/.yaml 规则文件",
            details=[{"field": "file", "reason": "格式不支持"}],
        )
    from edubase.secops.logs.sigma import packs

    name = (pack or "").strip() or Path(filename).stem[:100]
    if not lower.endswith(".zip"):  # one YAML file: a pack of one
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(Path(filename).name, data)
        data = buffer.getvalue()
    return packs.import_pack(data, pack_name=name, actor=actor)
