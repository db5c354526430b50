"""API routes of secops: log detection — alerts, rules, risk, dashboards (mounted at ``/secops/logs``)."""

import dataclasses
import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from edubase.core.errors import PermissionDenied
from edubase.core.pagination import CursorPagination
from edubase.core.scope import has_anywhere
from edubase.secops.logs import alerts, risk
from edubase.secops.models.detection import Alert, DetectionRule

router = Router()


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _viewer(request: HttpRequest) -> Any:
    actor = _actor(request)
    if not has_anywhere(actor, alerts.VIEW):
        raise PermissionDenied()
    return actor


# --- schemas ---------------------------------------------------------------------------------


class AlertOut(Schema):
    id: int
    rule_id: str
    rule_title: str
    severity: str
    severity_label: str
    status: str
    status_label: str
    org_id: int | None
    org_name: str | None
    asset_id: int | None
    asset_name: str | None
    group_key: dict[str, Any]
    window_start: dt.datetime
    window_end: dt.datetime
    first_seen: dt.datetime
    last_seen: dt.datetime
    event_count: int

    @staticmethod
    def resolve_rule_id(obj: Alert) -> str:
        return obj.rule.rule_id

    @staticmethod
    def resolve_rule_title(obj: Alert) -> str:
        return obj.rule.title

    @staticmethod
    def resolve_severity_label(obj: Alert) -> str:
        return str(obj.get_severity_display())

    @staticmethod
    def resolve_status_label(obj: Alert) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_org_name(obj: Alert) -> str | None:
        return obj.org.name if obj.org is not None else None

    @staticmethod
    def resolve_asset_name(obj: Alert) -> str | None:
        return obj.asset.name if obj.asset is not None else None


class AlertDetailOut(AlertOut):
    event_ids: list[str]
    window_counts: dict[str, int]
    note: str
    assignee: str | None
    finding_id: int | None
    notice_id: int | None
    incident_id: int | None

    @staticmethod
    def resolve_assignee(obj: Alert) -> str | None:
        return obj.assignee.get_username() if obj.assignee is not None else None


class AlertFilters(Schema):
    severity: str | None = Field(None, description="级别，逗号分隔：critical,high,medium,low,informational")
    status: str | None = Field(None, description="状态，逗号分隔：new,triaging,confirmed,false_positive,closed")
    rule: str | None = Field(None, description="规则 ID（Sigma id）或编号")
    org_id: int | None = Field(None, description="单位（含下级）")
    since: dt.datetime | None = Field(None, description="最近发生时间不早于")
    until: dt.datetime | None = Field(None, description="最近发生时间早于")


class TriageIn(Schema):
    to: str = Field(description="triaging | confirmed | false_positive | closed")
    note: str = ""


class AssignIn(Schema):
    assignee: str | None = Field(None, description="用户名或用户编号；空 = 取消指派")


class NoticeIn(Schema):
    title: str = ""
    required_actions: str = ""
    deadline: dt.datetime | None = None


class IncidentIn(Schema):
    grade: str = ""
    category: str = "attack"


class LinkOut(Schema):
    alert_id: int
    kind: str
    id: int
    number: str | None = None


class RuleOut(Schema):
    id: int
    rule_id: str
    title: str
    level: str
    kind: str
    status: str
    pack: str
    tags: list[str]
    attack: list[str]
    enabled: bool
    error: str
    updated_at: dt.datetime

    @staticmethod
    def resolve_attack(obj: DetectionRule) -> list[str]:
        return alerts.attack_tags(obj)


class ScopeOut(Schema):
    org_id: int
    org_name: str
    enabled: bool

    @staticmethod
    def resolve_org_name(obj: Any) -> str:
        return str(obj.org.name)


class ExceptionOut(Schema):
    id: int
    org_id: int
    org_name: str
    field: str
    values: list[str]
    reason: str
    created_at: dt.datetime

    @staticmethod
    def resolve_org_name(obj: Any) -> str:
        return str(obj.org.name)


class RuleDetailOut(RuleOut):
    description: str
    yaml: str
    scopes: list[ScopeOut]
    exceptions: list[ExceptionOut]

    @staticmethod
    def resolve_scopes(obj: DetectionRule) -> list[Any]:
        return list(getattr(obj, "visible_scopes", []))

    @staticmethod
    def resolve_exceptions(obj: DetectionRule) -> list[Any]:
        return list(getattr(obj, "visible_exceptions", []))


class RuleFilters(Schema):
    q: str | None = None
    level: str | None = None
    pack: str | None = None
    kind: str | None = Field(None, description="atomic | correlation")
    enabled: bool | None = None
    broken: bool | None = Field(None, description="true：只看无法运行（不支持）的规则")


class ToggleIn(Schema):
    enabled: bool


class ScopeIn(Schema):
    org_id: int
    enabled: bool | None = Field(description="true 启用 / false 停用 / null 取消该单位的设置（沿用上级）")


class ExceptionIn(Schema):
    org_id: int
    field: str = Field(description="规范化事件字段，如 source.ip、user.name")
    values: list[str]
    reason: str


# --- alerts ----------------------------------------------------------------------------------


@router.get("/alerts", response=list[AlertOut], summary="告警（管辖范围内） / alerts in scope")
@paginate(CursorPagination)
def alert_list(request: HttpRequest, filters: Query[AlertFilters], **kwargs: Any) -> Any:
    return alerts.alerts_for(_actor(request), **filters.dict())


@router.get("/alerts/summary", summary="告警统计 / counts by severity and status")
def alert_counts(request: HttpRequest, filters: Query[AlertFilters]) -> dict[str, Any]:
    return alerts.counts(alerts.alerts_for(_viewer(request), **filters.dict()))


@router.get("/alerts/{alert_id}", response=AlertDetailOut, summary="告警详情 / one alert")
def alert_detail(request: HttpRequest, alert_id: int) -> Alert:
    return alerts.get_alert(_actor(request), pk=alert_id)


@router.post("/alerts/{alert_id}/triage", response=AlertDetailOut, summary="研判 / move one triage step")
def alert_triage(request: HttpRequest, alert_id: int, payload: TriageIn) -> Alert:
    """new → triaging → confirmed / false_positive → closed; confirmed, false positive and closed need a note."""
    actor = _actor(request)
    alert = alerts.get_alert(actor, pk=alert_id)
    alerts.triage(actor=actor, alert=alert, to=payload.to, note=payload.note)
    return alerts.get_alert(actor, pk=alert_id)


@router.post("/alerts/{alert_id}/assign", response=AlertDetailOut, summary="指派 / assign the alert")
def alert_assign(request: HttpRequest, alert_id: int, payload: AssignIn) -> Alert:
    actor = _actor(request)
    alerts.assign(actor=actor, alert=alerts.get_alert(actor, pk=alert_id), assignee=payload.assignee)
    return alerts.get_alert(actor, pk=alert_id)


@router.post("/alerts/{alert_id}/finding", response={201: LinkOut}, summary="一键生成漏洞 / open a finding")
def alert_finding(request: HttpRequest, alert_id: int) -> Any:
    actor = _actor(request)
    finding = alerts.open_finding(actor=actor, alert=alerts.get_alert(actor, pk=alert_id))
    return Status(201, {"alert_id": alert_id, "kind": "finding", "id": finding.pk})


@router.post("/alerts/{alert_id}/notice", response={201: LinkOut}, summary="一键下发通报 / issue a notice")
def alert_notice(request: HttpRequest, alert_id: int, payload: NoticeIn) -> Any:
    actor = _actor(request)
    notice = alerts.open_notice(actor=actor, alert=alerts.get_alert(actor, pk=alert_id), **payload.dict())
    return Status(201, {"alert_id": alert_id, "kind": "notice", "id": notice.pk, "number": notice.number})


@router.post("/alerts/{alert_id}/incident", response={201: LinkOut}, summary="一键登记安全事件 / open an incident")
def alert_incident(request: HttpRequest, alert_id: int, payload: IncidentIn) -> Any:
    actor = _actor(request)
    incident = alerts.open_incident(actor=actor, alert=alerts.get_alert(actor, pk=alert_id), **payload.dict())
    return Status(201, {"alert_id": alert_id, "kind": "incident", "id": incident.pk, "number": incident.number})


# --- rules -----------------------------------------------------------------------------------


@router.get("/rules", response=list[RuleOut], summary="检测规则 / detection rules")
@paginate(CursorPagination)
def rule_list(request: HttpRequest, filters: Query[RuleFilters], **kwargs: Any) -> Any:
    return alerts.rules_for(_actor(request), **filters.dict())


def report_dict(report: Any) -> Any:
    """The sigma part's import report as plain JSON (dataclasses and objects flattened)."""
    if dataclasses.is_dataclass(report) and not isinstance(report, type):
        return dataclasses.asdict(report)
    if isinstance(report, dict):
        return {k: report_dict(v) for k, v in report.items()}
    if isinstance(report, list | tuple):
        return [report_dict(v) for v in report]
    if hasattr(report, "__dict__") and not isinstance(report, str | int | float | bool):
        return {k: report_dict(v) for k, v in vars(report).items() if not k.startswith("_")}
    return report


@router.post("/rules/import", summary="导入规则包 / import a Sigma rule pack (zip or yml)")
def rule_import(request: HttpRequest, file: File[UploadedFile], pack: Form[str] = "") -> Any:
    """Multipart ``file`` (zip of Sigma YAML or one .yml) and optional ``pack`` name; per-rule errors in the report."""
    report = alerts.import_pack(actor=_actor(request), filename=file.name or "", data=file.read(), pack=pack)
    return report_dict(report)


def _rule_detail(actor: Any, rule: DetectionRule) -> DetectionRule:
    """The rule with the scopes and exceptions the actor may see attached (for ``RuleDetailOut``)."""
    rule.visible_scopes = list(alerts.scopes_of(actor, rule))  # type: ignore[attr-defined]
    rule.visible_exceptions = list(alerts.exceptions_of(actor, rule))  # type: ignore[attr-defined]
    return rule


@router.get("/rules/{rule_id}", response=RuleDetailOut, summary="规则详情 / one rule with its scopes and exceptions")
def rule_detail(request: HttpRequest, rule_id: int) -> Any:
    actor = _actor(request)
    return _rule_detail(actor, alerts.get_rule(actor, pk=rule_id))


@router.post("/rules/{rule_id}/toggle", response=RuleDetailOut, summary="全省启用/停用 / switch province-wide")
def rule_toggle(request: HttpRequest, rule_id: int, payload: ToggleIn) -> Any:
    actor = _actor(request)
    rule = alerts.set_enabled(actor=actor, rule=alerts.get_rule(actor, pk=rule_id), enabled=payload.enabled)
    return _rule_detail(actor, rule)


@router.post("/rules/{rule_id}/scopes", response=RuleDetailOut, summary="按单位启用/停用 / switch for one org")
def rule_scope(request: HttpRequest, rule_id: int, payload: ScopeIn) -> Any:
    actor = _actor(request)
    rule = alerts.get_rule(actor, pk=rule_id)
    alerts.set_scope(actor=actor, rule=rule, org_id=payload.org_id, enabled=payload.enabled)
    return _rule_detail(actor, rule)


@router.post("/rules/{rule_id}/exceptions", response={201: ExceptionOut}, summary="添加例外 / add an exception")
def rule_exception_add(request: HttpRequest, rule_id: int, payload: ExceptionIn) -> Any:
    actor = _actor(request)
    rule = alerts.get_rule(actor, pk=rule_id)
    return Status(201, alerts.add_exception(actor=actor, rule=rule, **payload.dict()))


@router.delete("/rules/{rule_id}/exceptions/{exception_id}", response={204: None}, summary="删除例外")
def rule_exception_remove(request: HttpRequest, rule_id: int, exception_id: int) -> Any:
    actor = _actor(request)
    alerts.remove_exception(actor=actor, rule=alerts.get_rule(actor, pk=rule_id), exception_id=exception_id)
    return Status(204, None)


# --- risk and dashboards ---------------------------------------------------------------------


@router.get("/risk", summary="风险评分（学校、县区、地市，含各项得分与公式） / risk scores")
def risk_scores(request: HttpRequest) -> dict[str, Any]:
    return risk.summary(_viewer(request))


@router.get("/risk/assets", summary="资产风险评分（前 100） / riskiest assets")
def risk_assets(request: HttpRequest) -> dict[str, Any]:
    return {"assets": risk.asset_scores(_viewer(request)), "formula": risk.formula()}


@router.get("/dashboard", summary="态势数据（大屏） / situational dashboard figures")
def situation(request: HttpRequest) -> dict[str, Any]:
    return risk.situation(_viewer(request))
