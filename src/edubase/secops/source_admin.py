"""Log-source administration, shared by the API (``api_sources``) and the console (``views_sources``).

Scoped reads, the two small writes ``logs.sources`` lacks (enable/disable, edit), sender-address
parsing, the ready-to-paste shipper configurations and a source's recent events. Registration and
tokens are ``logs.sources``. A source is read with ``secops.view`` on its org and changed with
``secops.change`` there; rejections are shown to ``secops.manage`` holders on a province or city.
"""

# ruff: noqa: S608 - the one SQL string is built from integers and quoted schema identifiers

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from edubase.core import audit
from edubase.core.errors import NotFound, PermissionDenied, ValidationFailed
from edubase.core.scope import require, scope_for
from edubase.orgs.models import Org, OrgKind
from edubase.secops.logs import sources
from edubase.secops.models import IngestRejection, LogSource, SourceFormat

VIEW = "secops.view"
CHANGE = "secops.change"
MANAGE = "secops.manage"

SYSLOG_PORT = 5514  # ``edubase ingest`` defaults
HTTP_PORT = 9200
RECENT_EVENTS = 20
RECENT_DAYS = 7
STORE_WAIT_S = 3.0  # a page waits at most this long for a partition the ingest process is writing
STORE_UNAVAILABLE = "事件存储暂时无法打开（可能正被日志接入进程占用或尚未配置），请稍后刷新；计数器不受影响。"

REJECTION_REASONS = {
    "unknown_source": "未登记的发送端地址",
    "bad_token": "接入令牌无效",
    "no_token": "缺少接入令牌",
    "bad_framing": "syslog 分帧错误",
    "overload": "接收过载丢弃",
}

EVENT_FIELDS = (
    "@timestamp",
    "event.id",
    "event.dataset",
    "event.action",
    "event.outcome",
    "host.name",
    "host.ip",
    "source.ip",
    "user.name",
    "url.original",
    "http.response.status_code",
    "message",
    "log.original",
    "edubase.parsed",
)


def sources_for(
    actor: Any, *, org_id: int | None = None, enabled: bool | None = None, q: str | None = None
) -> QuerySet[LogSource]:
    """Log sources in the actor's ``secops.view`` scope (``org_id``: that org's subtree)."""
    rows = LogSource.objects.filter(scope_for(actor, VIEW).q("org_path")).select_related("org")
    if org_id is not None:
        org = Org.objects.filter(pk=org_id).first()
        if org is None or not scope_for(actor, VIEW).covers(org.path):
            raise NotFound("单位不存在或不在您的管辖范围内")
        rows = rows.filter(org_path__startswith=org.path)
    if enabled is not None:
        rows = rows.filter(enabled=enabled)
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(org__name__icontains=q) | Q(org__code=q))
    return rows.order_by("org_path", "name")


def get_source(actor: Any, *, pk: int) -> LogSource:
    """One source in scope; outside it answers exactly like a missing one."""
    source = LogSource.objects.filter(scope_for(actor, VIEW).q("org_path"), pk=pk).select_related("org").first()
    if source is None:
        raise NotFound("日志源不存在或不在您的管辖范围内")
    return source


def may_change(actor: Any, source: LogSource) -> bool:
    return scope_for(actor, CHANGE).covers(source.org_path)


def may_see_rejections(actor: Any) -> bool:
    """Province or city monitoring: ``secops.manage`` on a province or prefecture-level org."""
    scope = scope_for(actor, MANAGE)
    if scope.everything:
        return True
    if not scope.paths:
        return False
    return Org.objects.filter(path__in=scope.paths, kind__in=[OrgKind.PROVINCE, OrgKind.PREFECTURE]).exists()


def rejections_for(actor: Any, *, limit: int = 50) -> list[IngestRejection]:
    """The most recent refusals at the door (unknown senders, bad tokens …), newest first."""
    if not may_see_rejections(actor):
        raise PermissionDenied("仅省级、市级网络安全监测人员可查看接入拒绝记录")
    return list(IngestRejection.objects.order_by("-last_at", "peer")[:limit])


def reason_label(reason: str) -> str:
    return REJECTION_REASONS.get(reason, reason)


# --- writes the logs.sources module does not have --------------------------------------------


def set_enabled(*, actor: Any, source: LogSource, enabled: bool) -> LogSource:
    """Enable or disable a source (the ingest process follows at its next table refresh, ≤ 30 s)."""
    require(actor, CHANGE, path=source.org_path)
    if source.enabled == enabled:
        return source
    with transaction.atomic():
        source.enabled = enabled
        source.save(update_fields=["enabled"])
        audit.record(
            actor=actor,
            action="secops.logsource.enable" if enabled else "secops.logsource.disable",
            obj=source,
            org=source.org,
            before={"enabled": not enabled},
            after={"enabled": enabled},
        )
    return source


def update_source(*, actor: Any, source: LogSource, data: dict[str, Any]) -> LogSource:
    """Change a source's name, format or sender addresses (only the keys given); all validated first."""
    require(actor, CHANGE, path=source.org_path)
    problems: dict[str, list[str]] = {}
    changes: dict[str, Any] = {}
    if "name" in data and data["name"] is not None:
        name = str(data["name"]).strip()
        if not name:
            problems["name"] = ["日志源名称不能为空"]
        elif len(name) > 200:
            problems["name"] = ["日志源名称不能超过 200 个字符"]
        elif name != source.name:
            if LogSource.objects.filter(org_id=source.org_id, name=name).exclude(pk=source.pk).exists():
                problems["name"] = [f"本单位已有名为“{name}”的日志源"]
            changes["name"] = name
    if "format" in data and data["format"] is not None:
        fmt = str(data["format"])
        if fmt not in SourceFormat.values:
            problems["format"] = [f"未知的日志格式“{fmt}”，可选：{'、'.join(SourceFormat.values)}"]
        elif fmt != source.format:
            changes["format"] = fmt
    if "sender_ips" in data and data["sender_ips"] is not None:
        try:
            ips = sources.clean_sender_ips(split_ips(data["sender_ips"]))
        except ValidationFailed as error:
            problems["sender_ips"] = [error.message]
        else:
            if ips != list(source.sender_ips or []):
                changes["sender_ips"] = ips
    if problems:
        raise ValidationFailed("；".join(m[0] for m in problems.values()), details=problems)
    if not changes:
        return source
    before = {k: getattr(source, k) for k in changes}
    try:
        with transaction.atomic():
            for key, value in changes.items():
                setattr(source, key, value)
            source.save(update_fields=list(changes))
            audit.record(
                actor=actor, action="secops.logsource.update", obj=source, org=source.org, before=before, after=changes
            )
    except IntegrityError as exc:
        raise ValidationFailed("本单位已有同名日志源", details={"name": ["名称重复"]}) from exc
    return source


def split_ips(value: Any) -> list[str]:
    """Sender addresses from a list, or from text separated by commas, spaces, 、 or new lines."""
    if isinstance(value, str):
        for sep in ("，", "、", ";", "；", "\n", "\r", "\t", " "):
            value = value.replace(sep, ",")
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, Iterable):
        return [str(v) for v in value]
    return [str(value)]


def org_by_id(actor: Any, org_id: int) -> Org:
    """The org a new source belongs to: in the actor's view scope (else 404); change is checked by the service."""
    org = Org.objects.filter(pk=org_id).first()
    if org is None or not scope_for(actor, VIEW).covers(org.path):
        raise NotFound("单位不存在或不在您的管辖范围内")
    return org


# --- sender configurations -------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    host: str
    syslog_port: int
    http_port: int

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.http_port}"


def endpoint(request: HttpRequest | None = None) -> Endpoint:
    """Where senders connect: ``EDUBASE_INGEST_HOST`` (else the host this page was asked on) and
    the ports ``edubase ingest`` listens on (``EDUBASE_INGEST_SYSLOG_PORT``/``_HTTP_PORT``)."""
    host = str(getattr(settings, "EDUBASE_INGEST_HOST", "") or "")
    if not host and request is not None:
        try:
            asked = request.get_host()
        except Exception:  # a disallowed Host header: fall back to the placeholder
            asked = ""
        if asked.startswith("["):
            host = asked[: asked.find("]") + 1]
        else:
            host = asked.rsplit(":", 1)[0] if asked.count(":") == 1 else asked
    return Endpoint(
        host=host or "edubase.example.edu.cn",
        syslog_port=int(getattr(settings, "EDUBASE_INGEST_SYSLOG_PORT", SYSLOG_PORT)),
        http_port=int(getattr(settings, "EDUBASE_INGEST_HTTP_PORT", HTTP_PORT)),
    )


TOKEN_PLACEHOLDER = "<接入令牌>"  # noqa: S105 — shown where the real token is no longer known


def snippets(end: Endpoint, token: str | None = None, *, source_name: str = "") -> list[dict[str, str]]:
    """Ready-to-paste configurations for rsyslog, Filebeat 8, Vector, Fluent Bit and NXLog."""
    tok = token or TOKEN_PLACEHOLDER
    host, sp, url = end.host, end.syslog_port, end.http_url
    label = f"（{source_name}）" if source_name else ""
    rsyslog = f"""# /etc/rsyslog.d/60-edubase.conf —— 转发到 edubase{label}
# syslog 不带令牌：edubase 按发送端地址识别日志源，请先在日志源中登记本机的出口 IP。
# TCP + RFC 6587 八位组计数分帧（octet-counted），断线时本地排队、恢复后重发。
# 如需转发 Nginx 访问日志，取消下面三行的注释：
# module(load="imfile")
# input(type="imfile" File="/var/log/nginx/access.log" Tag="nginx:" Facility="local6" Severity="info")
# input(type="imfile" File="/var/log/nginx/error.log" Tag="nginx-error:" Facility="local6" Severity="err")
*.* action(type="omfwd" target="{host}" port="{sp}" protocol="tcp"
           TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"
           queue.type="LinkedList" queue.filename="edubase_fwd" queue.maxDiskSpace="1g"
           queue.saveOnShutdown="on" action.resumeRetryCount="-1")
# 生效：sudo systemctl restart rsyslog
"""
    filebeat = f"""# filebeat.yml（Filebeat 8.x；Winlogbeat 8.x 的 output 部分相同）{label}
filebeat.inputs:
  - type: filestream
    id: nginx-access
    paths:
      - /var/log/nginx/access.log
  - type: filestream
    id: auth
    paths:
      - /var/log/auth.log
      - /var/log/secure

output.elasticsearch:
  hosts: ["{url}"]
  # 二选一：Bearer 令牌（推荐）……
  headers:
    Authorization: "Bearer {tok}"
  # ……或 API Key 形式（id:key，key 即接入令牌）：
  # api_key: "edubase:{tok}"

setup.ilm.enabled: false
setup.template.enabled: false
"""
    vector = f"""# vector.toml（Vector 0.3x 及以上）{label}
[sources.edubase_files]
type = "file"
include = ["/var/log/nginx/access.log", "/var/log/auth.log"]

[sinks.edubase]
type = "elasticsearch"
inputs = ["edubase_files"]
endpoints = ["{url}"]
api_version = "v8"
mode = "bulk"
compression = "gzip"
auth.strategy = "basic"
auth.user = "edubase"
auth.password = "{tok}"
"""
    fluentbit = f"""# fluent-bit.conf（es 输出，Fluent Bit 2.x/3.x）{label}
[INPUT]
    Name              tail
    Path              /var/log/nginx/access.log
    Tag               nginx.access

[OUTPUT]
    Name               es
    Match              *
    Host               {host}
    Port               {end.http_port}
    HTTP_User          edubase
    HTTP_Passwd        {tok}
    Index              edubase
    Suppress_Type_Name On
    Retry_Limit        False
"""
    nxlog = f"""# nxlog.conf（Windows 安全日志）{label}
<Extension _json>
    Module      xm_json
</Extension>
<Extension _syslog>
    Module      xm_syslog
</Extension>

<Input eventlog>
    Module      im_msvistalog
    Query       <QueryList><Query Id="0"><Select Path="Security">*</Select></Query></QueryList>
</Input>

# 方式一：TCP syslog（按发送端地址识别，请先登记本机出口 IP）；Syslog_TLS 即八位组计数分帧
<Output edubase_tcp>
    Module      om_tcp
    Host        {host}
    Port        {sp}
    Exec        $Message = to_json(); to_syslog_ietf();
    OutputType  Syslog_TLS
</Output>

# 方式二：HTTP（NDJSON，带令牌；AddHeader 需 NXLog 企业版）
<Output edubase_http>
    Module      om_http
    URL         {url}/ingest
    ContentType application/x-ndjson
    AddHeader   Authorization: Bearer {tok}
    Exec        to_json();
</Output>

<Route windows_security>
    Path        eventlog => edubase_tcp
</Route>
"""
    return [
        {"key": "rsyslog", "title": "rsyslog", "text": rsyslog},
        {"key": "filebeat", "title": "Filebeat 8", "text": filebeat},
        {"key": "vector", "title": "Vector", "text": vector},
        {"key": "fluentbit", "title": "Fluent Bit", "text": fluentbit},
        {"key": "nxlog", "title": "NXLog", "text": nxlog},
    ]


# --- recent events from the event store --------------------------------------------------------


def _readable_store() -> tuple[Any, bool]:
    """The configured store (and whether to close it): DuckDB gets a short wait on busy partitions."""
    from edubase.secops.logs.store import DuckDBStore, get_store

    store = get_store()
    if isinstance(store, DuckDBStore):
        return DuckDBStore(store.root, lock_timeout=STORE_WAIT_S), True
    return store, False


def recent_events(
    source: LogSource, *, limit: int = RECENT_EVENTS, days: int = RECENT_DAYS, now: dt.datetime | None = None
) -> tuple[list[dict[str, Any]], str]:
    """The source's latest events (newest first) and, when the store cannot be read, why (Chinese)."""
    from django.utils import timezone

    now = now or timezone.now()
    columns = ", ".join('"' + f.replace('"', '""') + '"' for f in EVENT_FIELDS)
    sql = (
        f'SELECT {columns} FROM events WHERE "edubase.source_id" = {int(source.pk)} '
        f'ORDER BY "@timestamp" DESC LIMIT {int(limit)}'
    )
    try:
        store, own = _readable_store()
        try:
            rows = store.run_rule_sql(sql, now - dt.timedelta(days=days), now + dt.timedelta(hours=1))
        finally:
            if own:
                store.close()
    except Exception:  # locked by the ingest process, misconfigured, unreachable: the page still works
        return [], STORE_UNAVAILABLE
    return [_event_row(r) for r in rows], ""


def _event_row(row: dict[str, Any]) -> dict[str, Any]:
    parsed = row.get("edubase.parsed")
    text = row.get("message") or row.get("url.original") or row.get("log.original") or ""
    action = "/".join(
        str(v) for v in (row.get("event.dataset"), row.get("event.action"), row.get("event.outcome")) if v
    )
    return {
        "id": row.get("event.id") or "",
        "timestamp": row.get("@timestamp"),
        "dataset": row.get("event.dataset") or "",
        "action": action,
        "host": row.get("host.name") or row.get("host.ip") or "",
        "source_ip": row.get("source.ip") or "",
        "user": row.get("user.name") or "",
        "status": row.get("http.response.status_code"),
        "parsed": parsed is not False,
        "text": str(text)[:500],
    }


# --- schemas ---------------------------------------------------------------------------------
