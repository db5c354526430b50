"""Sigma taxonomy → edubase's normalised schema (``logs.schema.FIELDS``).

A pySigma ``ProcessingPipeline`` maps the field names of each supported log source (webserver,
linux auth/sshd/syslog, Windows Security, firewall) onto our ECS-style names; ECS names already
in the schema pass through unchanged. ``logsource_filter`` says which ``event.dataset`` values a
rule's log source covers (prepended to every compiled query) and refuses log sources we do not
collect (Sysmon, process creation …) with a Chinese error.
"""

from __future__ import annotations

from sigma.processing.conditions import LogsourceCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import FieldMappingTransformation
from sigma.rule import SigmaLogSource

from edubase.secops.logs.schema import FIELDS


class UnsupportedRule(Exception):
    """A rule uses something the edubase backend cannot (or will not) run; the message is Chinese."""


WEBSERVER: dict[str, str] = {
    "cs-method": "http.request.method",
    "c-uri": "url.original",
    "cs-uri": "url.original",
    "uri": "url.original",
    "cs-uri-query": "url.query",
    "c-uri-query": "url.query",
    "cs-uri-stem": "url.path",
    "c-uri-stem": "url.path",
    "c-useragent": "user_agent.original",
    "cs-user-agent": "user_agent.original",
    "sc-status": "http.response.status_code",
    "c-ip": "source.ip",
    "src_ip": "source.ip",
    "clientip": "source.ip",
    "cs-referer": "http.request.referrer",
    "cs-referrer": "http.request.referrer",
    "cs-host": "host.name",
    "cs-username": "user.name",
    "s-ip": "destination.ip",
    "dst_ip": "destination.ip",
    "s-port": "destination.port",
    "sc-bytes": "http.response.body.bytes",
    "cs-uri-decoded": "url.decoded",
}

LINUX: dict[str, str] = {
    "user": "user.name",
    "User": "user.name",
    "pam_user": "user.name",
    "src_ip": "source.ip",
    "rhost": "source.ip",
    "pam_rhost": "source.ip",
    "pid": "process.pid",
    "hostname": "host.name",
    "Hostname": "host.name",
}

WINDOWS_SECURITY: dict[str, str] = {
    "EventID": "winlog.event_id",
    "Channel": "winlog.channel",
    "TargetUserName": "user.name",
    "IpAddress": "source.ip",
    "IpPort": "source.port",
    "Computer": "host.name",
}

FIREWALL: dict[str, str] = {
    "src_ip": "source.ip",
    "dst_ip": "destination.ip",
    "src_port": "source.port",
    "dst_port": "destination.port",
    "protocol": "network.transport",
    "action": "event.action",
}

#: (category, product, service) of a supported log source → (field map, datasets it covers).
_WEB_DATASETS = ("nginx.access", "apache.access")
_LINUX_DATASETS = ("sshd", "pam", "syslog")


def logsource_profile(ls: SigmaLogSource) -> tuple[dict[str, str], tuple[str, ...]]:
    """The field map and ``event.dataset`` values for a rule's log source, or ``UnsupportedRule``."""
    category, product, service = ls.category, ls.product, ls.service
    if category == "webserver" and not service:
        return WEBSERVER, _WEB_DATASETS
    if category == "firewall" and not service:
        return FIREWALL, ("iptables", "nftables")
    if product == "linux" and not category:
        if service in (None, "auth", "sshd"):
            return LINUX, ("sshd", "pam") if service else _LINUX_DATASETS
        if service == "syslog":
            return LINUX, _LINUX_DATASETS
    if product == "windows" and service == "security" and not category:
        return WINDOWS_SECURITY, ("windows.security",)
    if product == "edubase" and not category and not service:  # ECS names only, every dataset
        return {}, ()
    described = ", ".join(
        f"{k}={v}" for k, v in (("category", category), ("product", product), ("service", service)) if v
    )
    raise UnsupportedRule(f"不支持的日志来源（{described or '未指定'}）：edubase 未采集此类日志")


def _typed(mapping: dict[str, str]) -> dict[str | None, str | list[str]]:
    return {k: v for k, v in mapping.items()}


def edubase_pipeline() -> ProcessingPipeline:
    """The pySigma processing pipeline: per-log-source field mappings onto the normalised schema."""
    items: list[ProcessingItem] = []
    for mapping, conditions in (
        (WEBSERVER, [LogsourceCondition(category="webserver")]),
        (FIREWALL, [LogsourceCondition(category="firewall")]),
        (LINUX, [LogsourceCondition(product="linux")]),
        (WINDOWS_SECURITY, [LogsourceCondition(product="windows", service="security")]),
    ):
        items.append(
            ProcessingItem(
                identifier=f"edubase_{next(iter(mapping.values())).split('.')[0]}_{len(items)}",
                transformation=FieldMappingTransformation(_typed(mapping)),
                rule_conditions=list(conditions),
            )
        )
    return ProcessingPipeline(name="edubase normalised schema", priority=20, items=items)


def map_field(name: str, mapping: dict[str, str]) -> str:
    """Map one Sigma field name (group-by, value_count field) onto the schema, or refuse it."""
    mapped = mapping.get(name, name)
    if mapped not in FIELDS:
        raise UnsupportedRule(f"字段 {name} 无法映射到 edubase 事件字段")
    return mapped
