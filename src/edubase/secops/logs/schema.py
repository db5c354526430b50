"""The normalised event: one flat dict with ECS-style dotted field names (documented here, once).

Every parser returns events with these keys (absent or None when unknown); the store has one
column per field (dotted names quoted in SQL: ``"source.ip"``); Sigma field names are mapped onto
them by the detection pipeline. Times are timezone-aware UTC datetimes.
"""

from __future__ import annotations

from typing import Any, Final

#: field → (store type, meaning). Types: ts (timestamp), str, int, bool, ip (stored as text).
FIELDS: Final[dict[str, tuple[str, str]]] = {
    "@timestamp": ("ts", "when the event happened (from the log line; receipt time if the line has none)"),
    "event.id": ("str", "unique id assigned at receipt (spool segment + offset): replays never duplicate"),
    "event.ingested": ("ts", "when edubase accepted it"),
    "event.dataset": (
        "str",
        "parser: nginx.access, apache.access, sshd, pam, syslog, iptables, nftables, windows.security, json, raw",
    ),
    "event.kind": ("str", "event | alert | raw"),
    "event.category": ("str", "authentication | web | network | process | host …"),
    "event.action": ("str", "what happened, e.g. ssh_login, http_request, firewall_drop, logon_failed"),
    "event.outcome": ("str", "success | failure | unknown"),
    "event.severity": ("int", "syslog severity 0–7 when known"),
    "message": ("str", "the human-readable message"),
    "log.original": ("str", "the raw line as received (always kept)"),
    "log.syslog.facility": ("int", "syslog facility"),
    "log.syslog.appname": ("str", "syslog APP-NAME / tag"),
    "host.name": ("str", "the reporting host"),
    "host.ip": ("ip", "the reporting host's address (the peer address for syslog)"),
    "source.ip": ("ip", "client / attacker address"),
    "source.port": ("int", ""),
    "destination.ip": ("ip", ""),
    "destination.port": ("int", ""),
    "network.transport": ("str", "tcp | udp | icmp"),
    "user.name": ("str", "account name"),
    "process.name": ("str", "program, e.g. sshd"),
    "process.pid": ("int", ""),
    "url.original": ("str", "request target as sent (path + query)"),
    "url.path": ("str", ""),
    "url.query": ("str", ""),
    "http.request.method": ("str", ""),
    "http.request.referrer": ("str", ""),
    "http.response.status_code": ("int", ""),
    "http.response.body.bytes": ("int", ""),
    "user_agent.original": ("str", ""),
    "user_agent.class": ("str", "browser | mobile | bot | scanner | tool | unknown"),
    "winlog.event_id": ("int", "Windows event id (4625 failed logon, 4740 lockout …)"),
    "winlog.channel": ("str", ""),
    "source.geo.country_iso_code": ("str", "offline GeoIP"),
    "source.geo.region_name": ("str", ""),
    "source.geo.city_name": ("str", ""),
    "edubase.source_id": ("int", "the registered LogSource"),
    "edubase.org_path": ("str", "the org the event belongs to (source's org, or the matched asset's)"),
    "edubase.asset_id": ("int", "the matched secops.Asset"),
    "edubase.parsed": ("bool", "false when no parser understood the line (kept raw, counted)"),
    "url.domain": ("str", "the virtual host / site name of a web request (access log vhost, lower case)"),
    "group.name": ("str", "the group of a membership change (Windows 4728/4732/4756 …)"),
    "winlog.logon.type": ("int", "Windows logon type (2 interactive, 3 network, 10 remote desktop …)"),
    "source.geo.country_name": ("str", "offline GeoIP country name (Chinese when the database has it)"),
    "process.command_line": ("str", "full command line of a started process (Windows 4688 CommandLine)"),
}

Event = dict[str, Any]


def empty() -> Event:
    """An event with every field present and None (parsers fill what they know)."""
    return dict.fromkeys(FIELDS)
