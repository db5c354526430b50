"""Raw log line / JSON document → one normalised event (see ``schema``). Never raises, never drops.

Formats understood (``parse`` picks by the first characters; ``hint`` only names datasets):

- nginx / Apache access logs, combined and common, with or without a leading virtual host
  (``%v`` / ``%v:%p`` / ``$host``), IPv6 clients, ``-`` fields, ``\\"`` (Apache) and ``\\x22``
  (nginx) escapes — dataset ``nginx.access`` (``apache.access`` when the hint, the syslog tag or
  a ``host:port`` vhost says Apache);
- OpenSSH ``sshd`` (dataset ``sshd``) and PAM (``pam``) authentication messages;
- Linux syslog: RFC 3164 (``<PRI>Mmm dd hh:mm:ss host tag[pid]: msg``), RFC 5424
  (``<PRI>1 TS HOST APP PROCID MSGID [SD] MSG``) and rsyslog's RFC 3339 forward format, each with
  or without ``<PRI>``. A syslog message whose body is one of the other formats is parsed into that
  dataset (the header fills ``host.name``, ``@timestamp``, ``process.*``); any other message is
  dataset ``syslog``;
- iptables / nftables kernel log lines (``PREFIX IN= OUT= SRC= DST= PROTO= SPT= DPT=``);
- Windows Security events as JSON, Winlogbeat (``winlog.event_data.*``) and NXLog
  (``EventID``, ``TargetUserName``, ``Hostname`` …) shapes — dataset ``windows.security``;
- generic JSON: ECS names pass through (nested objects are flattened to dotted names), a few common
  aliases (``src_ip``, ``hostname``, ``msg`` …) are mapped, ``@timestamp``/``timestamp``/``time``
  parsed; what has no field is kept in ``message``. Shipper envelopes (Filebeat, Vector, Fluent
  Bit, journald) whose ``message``/``log`` holds a line are parsed as that line.

Anything else: dataset ``raw``, ``event.kind`` ``raw``, ``edubase.parsed`` False, the line in
``log.original`` (always set, for every event).

Times. Every time is returned as an aware UTC datetime. Times without a zone (RFC 3164, NXLog's
``EventTime``, naive ISO strings) are China Standard Time, UTC+8: Asia/Shanghai has kept that
fixed offset without daylight saving since 1991, so a constant offset is exact (and much faster
than ``zoneinfo``). RFC 3164 has no year: the receipt year is used, minus one when that would put
the event more than a day after its receipt (December lines received in January).

Actions (``event.action``), for rule writers:
  web: ``http_request``;
  sshd: ``ssh_login`` (success/failure, from ``Accepted``/``Failed <method>``), ``ssh_invalid_user``,
  ``ssh_max_auth_attempts``, ``ssh_too_many_failures`` (``Disconnecting … Too many authentication
  failures``), ``ssh_disconnect`` (``Disconnected from`` / ``Received disconnect``),
  ``ssh_connection_closed``, ``ssh_no_identification``, ``ssh_negotiation_failed``,
  ``ssh_bad_protocol``;
  pam: ``pam_auth_failure``, ``pam_more_failures`` (``PAM n more authentication failures``),
  ``pam_session_opened``, ``pam_session_closed``, ``account_locked`` (faillock/tally);
  firewall: ``firewall_drop``, ``firewall_reject``, ``firewall_accept`` when the log prefix says so,
  else the prefix itself (lower case), or ``firewall_log`` without a prefix;
  Windows: see ``WINDOWS_EVENTS``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any, Final

from edubase.secops.logs.schema import FIELDS, Event, empty

__all__ = ["CHINA_STANDARD_TIME", "WINDOWS_EVENTS", "parse"]

#: Asia/Shanghai: UTC+8 all year (no DST since 1991).
CHINA_STANDARD_TIME: Final = timezone(timedelta(hours=8), "CST")

_MONTHS: Final = {
    m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)
}
_TYPES: Final = {name: kind for name, (kind, _meaning) in FIELDS.items()}
#: Fields a sender may not set: assigned by edubase (identity, tenancy, receipt).
_PROTECTED: Final = frozenset(k for k in FIELDS if k.startswith("edubase.")) | {"event.id", "event.ingested"}
_ONE_DAY: Final = timedelta(days=1)
_CACHE_MAX: Final = 8192

# --------------------------------------------------------------------------------------------
# times


_clf_cache: dict[str, datetime | None] = {}
_iso_cache: dict[str, datetime | None] = {}
_bsd_cache: dict[tuple[str, str, str, int], datetime | None] = {}
_offsets: dict[str, tzinfo] = {}


def _remember(cache: dict[Any, datetime | None], key: Any, value: datetime | None) -> datetime | None:
    if len(cache) >= _CACHE_MAX:
        cache.clear()
    cache[key] = value
    return value


def _offset(text: str) -> tzinfo:
    """``+0800`` / ``-05:30`` → a fixed-offset tzinfo (cached)."""
    tz = _offsets.get(text)
    if tz is None:
        digits = text[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + int(digits[2:4])
        tz = timezone(timedelta(minutes=-minutes if text[0] == "-" else minutes))
        _offsets[text] = tz
    return tz


def _clf_time(text: str) -> datetime | None:
    """Common Log Format time ``10/Oct/2023:13:55:36 +0800`` → UTC."""
    try:
        return _clf_cache[text]
    except KeyError:
        pass
    try:
        stamp, _, zone = text.partition(" ")
        local = datetime(
            int(stamp[7:11]),
            _MONTHS[stamp[3:6]],
            int(stamp[0:2]),
            int(stamp[12:14]),
            int(stamp[15:17]),
            int(stamp[18:20]),
            tzinfo=_offset(zone) if zone else CHINA_STANDARD_TIME,
        )
        value: datetime | None = local.astimezone(UTC)
    except (ValueError, KeyError, IndexError):
        value = None
    return _remember(_clf_cache, text, value)


def _iso_time(text: str) -> datetime | None:
    """ISO 8601 / RFC 3339 (``Z``, offsets, up to nanoseconds; naive = China time) → UTC."""
    try:
        return _iso_cache[text]
    except KeyError:
        pass
    value: datetime | None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        # more than 6 fraction digits, or a ``+0800`` offset: trim and retry
        m = _ISO_LOOSE.match(text)
        if m is None:
            return _remember(_iso_cache, text, None)
        try:
            value = datetime.fromisoformat(f"{m[1]}T{m[2]}{(m[3] or '')[:7]}")
        except ValueError:
            return _remember(_iso_cache, text, None)
        zone = m[4]
        if zone:
            value = value.replace(tzinfo=UTC if zone in ("Z", "z") else _offset(zone))
    if value.tzinfo is None:
        value = value.replace(tzinfo=CHINA_STANDARD_TIME)
    return _remember(_iso_cache, text, value.astimezone(UTC))


_ISO_LOOSE: Final = re.compile(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(\.\d+)?\s*(Z|z|[+-]\d\d:?\d\d)?$")


def _bsd_time(month: str, day: str, clock: str, received_at: datetime) -> datetime | None:
    """RFC 3164 ``Mmm dd hh:mm:ss`` (China time, no year) → UTC, year inferred from the receipt."""
    local_received = received_at.astimezone(CHINA_STANDARD_TIME)
    year = local_received.year
    key = (month, day, clock, year)
    try:
        value = _bsd_cache[key]
    except KeyError:
        value = _remember(_bsd_cache, key, _bsd_build(month, day, clock, year))
    if value is None or value > received_at + _ONE_DAY:
        # December's lines arriving in January belong to last year (Feb 29 too, when year is not leap)
        value = _bsd_build(month, day, clock, year - 1)
    return value


def _bsd_build(month: str, day: str, clock: str, year: int) -> datetime | None:
    try:
        return datetime(
            year,
            _MONTHS[month],
            int(day),
            int(clock[0:2]),
            int(clock[3:5]),
            int(clock[6:8]),
            tzinfo=CHINA_STANDARD_TIME,
        ).astimezone(UTC)
    except (ValueError, KeyError):
        return None


def _any_time(value: Any) -> datetime | None:
    """A JSON time: ISO string, CLF string, epoch seconds / milliseconds, or a datetime."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=CHINA_STANDARD_TIME)).astimezone(UTC)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = float(value)
        if seconds > 1e14:  # microseconds
            seconds /= 1e6
        elif seconds > 1e11:  # milliseconds
            seconds /= 1e3
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text[0].isdigit() and len(text) > 4 and text[4] == "-":
            return _iso_time(text)
        if text.replace(".", "", 1).isdigit():
            return _any_time(float(text))
        if len(text) >= 20 and text[2] == "/" and text[6] == "/":
            return _clf_time(text)
    return None


# --------------------------------------------------------------------------------------------
# small helpers


def _is_ip(text: str) -> bool:
    """Cheap check that a token is an IPv4/IPv6 literal (not a host name) before storing it as ip."""
    if not text or len(text) > 45:
        return False
    if ":" in text:
        return all(c in "0123456789abcdefABCDEF:." for c in text)
    parts = text.split(".")
    return len(parts) == 4 and all(p.isdigit() and len(p) <= 3 for p in parts)


def _ip(text: str | None) -> str | None:
    if not text or text == "-":
        return None
    if text[0] == "[" and text[-1] == "]":
        text = text[1:-1]
    if text.startswith("::ffff:") and "." in text:
        text = text[7:]
    return text if _is_ip(text) else None


def _int(text: Any) -> int | None:
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text
    try:
        value = str(text).strip()
        return int(value, 16) if value[:2] in ("0x", "0X") else int(float(value))
    except (ValueError, OverflowError):
        return None


def _unescape(text: str) -> str:
    """Undo the access log's own escaping (Apache ``\\"``, nginx ``\\x22``) of what the client sent."""
    if "\\" not in text:
        return text
    return _ESCAPE.sub(_unescape_one, text)


_ESCAPE: Final = re.compile(r"\\(x[0-9A-Fa-f]{2}|.)")


def _unescape_one(m: re.Match[str]) -> str:
    seq = m[1]
    if len(seq) == 3:
        return chr(int(seq[1:], 16))
    return {"n": "\n", "t": "\t", "r": "\r"}.get(seq, seq)


def _raw(ev: Event) -> Event:
    ev["event.dataset"] = "raw"
    ev["event.kind"] = "raw"
    ev["edubase.parsed"] = False
    return ev


# --------------------------------------------------------------------------------------------
# access logs

_QUOTED: Final = r'"([^"\\]*(?:\\.[^"\\]*)*)"'  # a quoted field with backslash escapes, unrolled (fast)
_ACCESS_TAIL: Final = (
    r"(\S+) (\S+) (\S+) \[([^\]]{20,40})\] " + _QUOTED + r" (\d{3}|-) (\d+|-)(?: " + _QUOTED + " " + _QUOTED + ")?"
)
_ACCESS: Final = re.compile(_ACCESS_TAIL, re.S)
_ACCESS_VHOST: Final = re.compile(r"(\S+) " + _ACCESS_TAIL, re.S)


def _access(ev: Event, line: str, dataset: str) -> bool:
    vhost: str | None = None
    m = _ACCESS.match(line)
    if m is not None:
        client, _ident, user, stamp, request, status, size, referrer, ua = m.groups()
    else:
        m = _ACCESS_VHOST.match(line)
        if m is None:
            return False
        vhost, client, _ident, user, stamp, request, status, size, referrer, ua = m.groups()
    client_ip = _ip(client)
    if client_ip is None and vhost is None:
        return False
    if vhost is not None:
        host, sep, port = vhost.rpartition(":")
        if sep and port.isdigit() and not host.endswith(":"):
            vhost = host
            dataset = "apache.access" if dataset == "nginx.access" else dataset
        ev["url.domain"] = vhost.lower() if vhost != "-" else None
    when = _clf_time(stamp)
    if when is not None:
        ev["@timestamp"] = when
    ev["event.dataset"] = dataset
    ev["event.kind"] = "event"
    ev["event.category"] = "web"
    ev["event.action"] = "http_request"
    ev["source.ip"] = client_ip
    if user != "-":
        ev["user.name"] = user
    if request and request != "-":
        request = _unescape(request)
        parts = request.split(" ")
        if len(parts) >= 2 and parts[0].isalpha() and parts[0].isupper():
            ev["http.request.method"] = parts[0]
            target = " ".join(parts[1:-1]) if len(parts) > 2 and parts[-1].startswith("HTTP/") else " ".join(parts[1:])
        else:
            target = request
        ev["url.original"] = target
        path, sep, query = target.partition("?")
        ev["url.path"] = path
        if sep:
            ev["url.query"] = query
    if status != "-":
        code = int(status)
        ev["http.response.status_code"] = code
        ev["event.outcome"] = "failure" if code >= 400 else "success"
    else:
        ev["event.outcome"] = "unknown"
    ev["http.response.body.bytes"] = int(size) if size != "-" else 0
    if referrer is not None and referrer != "-":
        ev["http.request.referrer"] = _unescape(referrer)
    if ua is not None and ua != "-":
        ev["user_agent.original"] = _unescape(ua)
    ev["message"] = line
    return True


# --------------------------------------------------------------------------------------------
# sshd / PAM

_SSH_LOGIN: Final = re.compile(
    r"(Failed|Accepted) (\S+) for (invalid user )?(.*?) from (\S+) port (\d+)(?: (\w+))?(?:: (.*))?"
)
_SSH_INVALID: Final = re.compile(r"[Ii]nvalid user (.*?) from (\S+)(?: port (\d+))?")
_SSH_CLOSED: Final = re.compile(
    r"(Connection closed by|Disconnected from|Connection reset by)"
    r" (?:(?:authenticating|invalid) user (.*?) |user (.*?) )?(\S+) port (\d+)"
)
_SSH_RECEIVED: Final = re.compile(r"Received disconnect from (\S+) port (\d+)")
_SSH_MAXAUTH: Final = re.compile(
    r"(?:error: )?maximum authentication attempts exceeded for (invalid user )?(.*?) from (\S+) port (\d+)"
)
_SSH_DISCONNECTING: Final = re.compile(
    r"Disconnecting (?:(?:authenticating|invalid) user (.*?) )?(\S+) port (\d+): (.*)"
)
_SSH_NOIDENT: Final = re.compile(r"Did not receive identification string from (\S+)(?: port (\d+))?")
_SSH_NEGOTIATE: Final = re.compile(r"Unable to negotiate with (\S+) port (\d+)")
_SSH_BADPROTO: Final = re.compile(
    r"(?:error: )?(?:kex_exchange_identification|Bad protocol version).*? from (\S+)(?: port (\d+))?"
)
_PAM: Final = re.compile(r"(pam_\w+)\(([^:)]+):(\w+)\): (.*)", re.S)
_PAM_KV: Final = re.compile(r"(\w+)=(\S*)")
_PAM_SESSION: Final = re.compile(r"session (opened|closed) for user ([^\s(]+)")
_PAM_MORE: Final = re.compile(r"PAM (\d+) more authentication failures?; (.*)")
_PAM_LOCKED: Final = re.compile(
    r"(?:Consecutive login failures for user (\S+) account temporarily locked|user (\S+) \(\d+\) tally)"
)


def _ssh_common(ev: Event, app: str | None) -> None:
    ev["event.dataset"] = "sshd"
    ev["event.kind"] = "event"
    ev["event.category"] = "authentication"
    if ev["process.name"] is None:
        ev["process.name"] = app or "sshd"


def _set_peer(ev: Event, address: str | None, port: str | None) -> None:
    ip = _ip(address)
    if ip is not None:
        ev["source.ip"] = ip
    if port:
        ev["source.port"] = int(port)


def _sshd(ev: Event, msg: str, app: str | None) -> bool:
    """OpenSSH server messages; False when the message is not one of them."""
    c = msg[:1]
    m: re.Match[str] | None
    if c == "F" or c == "A":
        m = _SSH_LOGIN.match(msg)
        if m is not None:
            verdict, _method, _invalid, user, address, port, _proto, _extra = m.groups()
            _ssh_common(ev, app)
            ev["event.action"] = "ssh_login"
            ev["event.outcome"] = "success" if verdict == "Accepted" else "failure"
            ev["user.name"] = user
            _set_peer(ev, address, port)
            return True
    elif c == "I":
        m = _SSH_INVALID.match(msg)
        if m is not None:
            _ssh_common(ev, app)
            ev["event.action"] = "ssh_invalid_user"
            ev["event.outcome"] = "failure"
            ev["user.name"] = m[1]
            _set_peer(ev, m[2], m[3])
            return True
    elif c == "C" or c == "D":
        m = _SSH_CLOSED.match(msg)
        if m is not None:
            _ssh_common(ev, app)
            ev["event.action"] = "ssh_disconnect" if m[1] == "Disconnected from" else "ssh_connection_closed"
            ev["user.name"] = m[2] or m[3]
            _set_peer(ev, m[4], m[5])
            return True
        m = _SSH_DISCONNECTING.match(msg)
        if m is not None:
            _ssh_common(ev, app)
            too_many = "Too many authentication failures" in m[4]
            ev["event.action"] = "ssh_too_many_failures" if too_many else "ssh_disconnect"
            if too_many:
                ev["event.outcome"] = "failure"
            ev["user.name"] = m[1]
            _set_peer(ev, m[2], m[3])
            return True
        m = _SSH_NOIDENT.match(msg)
        if m is not None:
            _ssh_common(ev, app)
            ev["event.action"] = "ssh_no_identification"
            _set_peer(ev, m[1], m[2])
            return True
    elif c == "R":
        m = _SSH_RECEIVED.match(msg)
        if m is not None:
            _ssh_common(ev, app)
            ev["event.action"] = "ssh_disconnect"
            _set_peer(ev, m[1], m[2])
            return True
    elif c == "e" or c == "m":
        m = _SSH_MAXAUTH.match(msg)
        if m is not None:
            _ssh_common(ev, app)
            ev["event.action"] = "ssh_max_auth_attempts"
            ev["event.outcome"] = "failure"
            ev["user.name"] = m[2]
            _set_peer(ev, m[3], m[4])
            return True
        m = _SSH_BADPROTO.match(msg)
        if m is not None:
            _ssh_common(ev, app)
            ev["event.action"] = "ssh_bad_protocol"
            _set_peer(ev, m[1], m[2])
            return True
    elif c == "U":
        m = _SSH_NEGOTIATE.match(msg)
        if m is not None:
            _ssh_common(ev, app)
            ev["event.action"] = "ssh_negotiation_failed"
            _set_peer(ev, m[1], m[2])
            return True
    elif c == "B":
        m = _SSH_BADPROTO.match(msg)
        if m is not None:
            _ssh_common(ev, app)
            ev["event.action"] = "ssh_bad_protocol"
            _set_peer(ev, m[1], m[2])
            return True
    return False


def _pam_common(ev: Event, service: str | None, app: str | None) -> None:
    ev["event.dataset"] = "pam"
    ev["event.kind"] = "event"
    ev["event.category"] = "authentication"
    if ev["process.name"] is None:
        ev["process.name"] = app or service


def _pam_fields(ev: Event, text: str) -> None:
    values = dict(_PAM_KV.findall(text))
    ev["source.ip"] = _ip(values.get("rhost")) or ev["source.ip"]
    user = values.get("user") or values.get("ruser") or values.get("logname")
    if user:
        ev["user.name"] = user


def _pam(ev: Event, msg: str, app: str | None) -> bool:
    """``pam_unix(service:type): …``, ``PAM n more authentication failures``, faillock / tally."""
    m = _PAM.match(msg)
    if m is not None:
        module, service, _kind, text = m.groups()
        _pam_common(ev, service, app)
        if text.startswith("authentication failure"):
            ev["event.action"] = "pam_auth_failure"
            ev["event.outcome"] = "failure"
            _pam_fields(ev, text)
            return True
        s = _PAM_SESSION.match(text)
        if s is not None:
            ev["event.action"] = f"pam_session_{s[1]}"
            ev["event.outcome"] = "success"
            ev["user.name"] = s[2]
            return True
        locked = _PAM_LOCKED.match(text)
        if locked is not None or (module in ("pam_faillock", "pam_tally2") and "lock" in text):
            ev["event.action"] = "account_locked"
            ev["event.outcome"] = "failure"
            if locked is not None:
                ev["user.name"] = locked[1] or locked[2]
            return True
        ev["event.action"] = module
        return True
    m = _PAM_MORE.match(msg)
    if m is not None:
        _pam_common(ev, None, app)
        ev["event.action"] = "pam_more_failures"
        ev["event.outcome"] = "failure"
        _pam_fields(ev, m[2])
        return True
    return False


# --------------------------------------------------------------------------------------------
# iptables / nftables

_FW_KV: Final = re.compile(r"([A-Z]+)=(\S*)")
_FW_UPTIME: Final = re.compile(r"\[\s*\d+\.\d+\]\s*")


def _firewall(ev: Event, msg: str, dataset: str | None) -> bool:
    start = msg.find("IN=")
    if start < 0 or "SRC=" not in msg:
        return False
    prefix = _FW_UPTIME.sub("", msg[:start]).strip().rstrip(":").strip()
    values = dict(_FW_KV.findall(msg, start))
    lowered = prefix.lower()
    ev["event.dataset"] = dataset or ("nftables" if "nft" in lowered else "iptables")
    ev["event.kind"] = "event"
    ev["event.category"] = "network"
    if any(w in lowered for w in ("drop", "deny", "block", "denied")):
        action = "firewall_drop"
    elif "reject" in lowered:
        action = "firewall_reject"
    elif any(w in lowered for w in ("accept", "allow", "permit", "pass")):
        action = "firewall_accept"
    else:
        action = lowered.replace(" ", "_") or "firewall_log"
    ev["event.action"] = action
    ev["event.outcome"] = (
        "success"
        if action == "firewall_accept"
        else "failure"
        if action in ("firewall_drop", "firewall_reject")
        else "unknown"
    )
    ev["source.ip"] = _ip(values.get("SRC"))
    ev["destination.ip"] = _ip(values.get("DST"))
    ev["source.port"] = _int(values.get("SPT"))
    ev["destination.port"] = _int(values.get("DPT"))
    proto = values.get("PROTO")
    if proto:
        ev["network.transport"] = "icmp" if proto.upper() in ("ICMP", "ICMPV6", "1", "58") else proto.lower()
    ev["message"] = msg
    return True


# --------------------------------------------------------------------------------------------
# syslog

_PRI: Final = re.compile(r"<(\d{1,3})>")
_RFC3164: Final = re.compile(r"([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d:\d\d:\d\d)(?:\.\d+)?(?: \d{4})? (.*)", re.S)
_RFC3339_HEAD: Final = re.compile(r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?) (.*)", re.S)
_TAG: Final = re.compile(r"([\w./@-]{1,64}?)(?:\[(\d+)\])?: ?(.*)", re.S)

_WEB_APPS: Final = {
    "nginx": "nginx.access",
    "httpd": "apache.access",
    "apache": "apache.access",
    "apache2": "apache.access",
}
_PAM_APPS: Final = frozenset(
    {
        "su",
        "sudo",
        "login",
        "cron",
        "crond",
        "systemd",
        "systemd-logind",
        "polkitd",
        "passwd",
        "vsftpd",
        "dovecot",
        "gdm-password",
    }
)


def _syslog(ev: Event, line: str, received_at: datetime, hint: str) -> bool:
    """A syslog line (any of the three header forms, with or without PRI); False if it is not one."""
    rest = line
    if line[:1] == "<":
        m = _PRI.match(line)
        if m is None:
            return False
        pri = int(m[1])
        if pri > 191:
            return False
        ev["log.syslog.facility"] = pri >> 3
        ev["event.severity"] = pri & 7
        rest = line[m.end() :]
    first = rest[:1]
    if first == "1" and rest[1:2] == " ":
        return _rfc5424(ev, rest[2:], received_at, hint)
    if first.isdigit():
        m = _RFC3339_HEAD.match(rest)
        if m is None:
            return False
        when = _iso_time(m[1])
        body = m[2]
    else:
        m = _RFC3164.match(rest)
        if m is None:
            if ev["log.syslog.facility"] is None or not rest.strip():
                return False
            # a PRI and then no recognisable time: a lazy sender; the message is what is left
            when, body = None, rest
        else:
            when = _bsd_time(m[1], m[2], m[3], received_at)
            body = m[4]
    if when is not None:
        ev["@timestamp"] = when
    # HOSTNAME, unless the sender skipped it and went straight to the TAG
    host, sep, after = body.partition(" ")
    if sep and not host.endswith(":") and "[" not in host:
        if host != "-":
            ev["host.name"] = host
        body = after
    app: str | None = None
    tag = _TAG.match(body) if body[:1] not in ("", " ", "[", "{") else None
    if tag is not None:
        app = tag[1]
        ev["log.syslog.appname"] = app
        ev["process.name"] = app
        if tag[2]:
            ev["process.pid"] = int(tag[2])
        body = tag[3]
    return _body(ev, body, app, hint, received_at)


def _rfc5424(ev: Event, rest: str, received_at: datetime, hint: str) -> bool:
    parts = rest.split(" ", 5)
    if len(parts) < 5:
        return False
    stamp, host, app, procid = parts[0], parts[1], parts[2], parts[3]
    tail = parts[5] if len(parts) == 6 else ""
    if stamp != "-":
        when = _iso_time(stamp)
        if when is None:
            return False
        ev["@timestamp"] = when
    if host != "-":
        ev["host.name"] = host
    name: str | None = None
    if app != "-":
        name = app
        ev["log.syslog.appname"] = app
        ev["process.name"] = app
    if procid != "-" and procid.isdigit():
        ev["process.pid"] = int(procid)
    if tail.startswith("-"):
        msg = tail[2:]
    elif tail.startswith("["):
        msg = tail[_sd_end(tail) :].lstrip(" ")
    else:
        msg = tail
    if msg.startswith("\ufeff"):
        msg = msg[1:]
    return _body(ev, msg, name, hint, received_at)


def _sd_end(text: str) -> int:
    """Index just past RFC 5424 STRUCTURED-DATA (``[id k="v\\]"]…``) at the start of ``text``."""
    i, n, quoted = 0, len(text), False
    while i < n:
        c = text[i]
        if quoted:
            if c == "\\":
                i += 1
            elif c == '"':
                quoted = False
        elif c == '"':
            quoted = True
        elif c == "]" and (i + 1 >= n or text[i + 1] != "["):
            return i + 1
        i += 1
    return n


def _body(ev: Event, msg: str, app: str | None, hint: str, received_at: datetime) -> bool:
    """The message part of a syslog line: parsed into its own dataset when we know it, else syslog."""
    msg = msg.rstrip("\r\n")
    ev["message"] = msg
    ev["event.kind"] = "event"
    lowered = app.lower() if app else ""
    if lowered.startswith("sshd"):
        if _sshd(ev, msg, app) or _pam(ev, msg, app):
            return True
        _ssh_common(ev, app)
        return True
    if (lowered in _PAM_APPS or msg.startswith("pam_")) and _pam(ev, msg, app):
        return True
    if (lowered == "kernel" or "SRC=" in msg) and _firewall(ev, msg, _firewall_dataset(hint)):
        return True
    web = _WEB_APPS.get(lowered.partition("_")[0])
    if (web is not None or '] "' in msg) and _access(ev, msg, web or _web_dataset(hint)):
        return True
    if msg[:1] == "{":
        try:
            doc = json.loads(msg)
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            header = {k: v for k, v in ev.items() if v is not None and k != "message"}
            ev["message"] = None
            _document(ev, doc, hint, received_at)
            for key, value in header.items():
                if ev.get(key) is None:
                    ev[key] = value
            return True
    if _sshd(ev, msg, app) or _pam(ev, msg, app):
        return True
    ev["event.dataset"] = "syslog"
    ev["event.category"] = "host"
    return True


def _web_dataset(hint: str) -> str:
    return "apache.access" if hint.startswith("apache") else "nginx.access"


def _firewall_dataset(hint: str) -> str | None:
    return hint if hint in ("iptables", "nftables") else None


# --------------------------------------------------------------------------------------------
# Windows Security

#: event id → (action, category, outcome) — Security channel (and 7045 from System).
WINDOWS_EVENTS: Final[dict[int, tuple[str, str, str]]] = {
    1102: ("audit_log_cleared", "configuration", "success"),
    4624: ("logon", "authentication", "success"),
    4625: ("logon_failed", "authentication", "failure"),
    4634: ("logoff", "authentication", "success"),
    4647: ("logoff", "authentication", "success"),
    4648: ("explicit_credentials_logon", "authentication", "success"),
    4672: ("special_privileges_assigned", "iam", "success"),
    4688: ("process_created", "process", "success"),
    4697: ("service_installed", "configuration", "success"),
    4698: ("scheduled_task_created", "configuration", "success"),
    4719: ("audit_policy_changed", "configuration", "success"),
    4720: ("user_created", "iam", "success"),
    4722: ("user_enabled", "iam", "success"),
    4723: ("password_changed", "iam", "success"),
    4724: ("password_reset", "iam", "success"),
    4725: ("user_disabled", "iam", "success"),
    4726: ("user_deleted", "iam", "success"),
    4728: ("group_member_added", "iam", "success"),
    4729: ("group_member_removed", "iam", "success"),
    4732: ("group_member_added", "iam", "success"),
    4733: ("group_member_removed", "iam", "success"),
    4738: ("user_changed", "iam", "success"),
    4740: ("account_locked", "iam", "success"),
    4756: ("group_member_added", "iam", "success"),
    4757: ("group_member_removed", "iam", "success"),
    4767: ("account_unlocked", "iam", "success"),
    4768: ("kerberos_tgt_requested", "authentication", "success"),
    4769: ("kerberos_service_ticket_requested", "authentication", "success"),
    4771: ("kerberos_preauth_failed", "authentication", "failure"),
    4776: ("credential_validation", "authentication", "success"),
    7045: ("service_installed", "configuration", "success"),
}
_WIN_SUBJECT_IS_USER: Final = frozenset({1102, 4672, 4688, 4697, 4698, 4719})
_WIN_GROUP: Final = frozenset({4728, 4729, 4732, 4733, 4756, 4757})
_WIN_STATUS_OUTCOME: Final = frozenset({4768, 4769, 4776})


def _dash(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return None if text in ("", "-") else text


def _windows(ev: Event, doc: dict[str, Any]) -> bool:
    winlog = doc.get("winlog")
    if isinstance(winlog, dict) and winlog.get("event_id") is not None:
        data = winlog.get("event_data") or {}
        user_data = winlog.get("user_data") or {}
        if not isinstance(data, dict):
            data = {}
        if isinstance(user_data, dict):
            data = {**user_data, **data}
        event_id = _int(winlog.get("event_id"))
        channel = winlog.get("channel")
        host_block = doc.get("host")
        host = winlog.get("computer_name") or (host_block.get("name") if isinstance(host_block, dict) else None)
        event_block = doc.get("event") if isinstance(doc.get("event"), dict) else {}
        outcome_hint = (event_block or {}).get("outcome")
        keywords = winlog.get("keywords")
        if not outcome_hint and isinstance(keywords, list):
            outcome_hint = (
                "failure" if "Audit Failure" in keywords else "success" if "Audit Success" in keywords else None
            )
        when = _any_time(doc.get("@timestamp"))
        message = doc.get("message")
    elif doc.get("EventID") is not None:
        data = doc
        event_id = _int(doc.get("EventID"))
        channel = doc.get("Channel")
        host = doc.get("Hostname") or doc.get("Computer")
        kind = str(doc.get("EventType") or "")
        outcome_hint = "failure" if kind == "AUDIT_FAILURE" else "success" if kind == "AUDIT_SUCCESS" else None
        when = _any_time(doc.get("EventTime") or doc.get("TimeCreated") or doc.get("@timestamp"))
        message = doc.get("Message")
    else:
        return False
    if event_id is None:
        return False
    ev["event.dataset"] = "windows.security"
    ev["event.kind"] = "event"
    ev["winlog.event_id"] = event_id
    ev["winlog.channel"] = str(channel) if channel else None
    if host:
        ev["host.name"] = str(host)
    if when is not None:
        ev["@timestamp"] = when
    action, category, outcome = WINDOWS_EVENTS.get(event_id, (f"windows_{event_id}", "host", "unknown"))
    if event_id in _WIN_STATUS_OUTCOME:
        status = _dash(data.get("Status"))
        if status is not None and status.lower() not in ("0x0", "0"):
            outcome = "failure"
    elif outcome_hint in ("success", "failure") and event_id not in WINDOWS_EVENTS:
        outcome = str(outcome_hint)
    ev["event.action"] = action
    ev["event.category"] = category
    ev["event.outcome"] = outcome
    if event_id in _WIN_GROUP:
        ev["group.name"] = _dash(data.get("TargetUserName"))
        ev["user.name"] = _dash(data.get("MemberName")) or _dash(data.get("MemberSid"))
    elif event_id in _WIN_SUBJECT_IS_USER:
        ev["user.name"] = _dash(data.get("SubjectUserName"))
    else:
        ev["user.name"] = _dash(data.get("TargetUserName")) or _dash(data.get("SubjectUserName"))
    ev["source.ip"] = _ip(_dash(data.get("IpAddress")))
    port = _int(_dash(data.get("IpPort")))
    ev["source.port"] = port or None
    ev["winlog.logon.type"] = _int(_dash(data.get("LogonType")))
    process = _dash(data.get("NewProcessName")) or _dash(data.get("ProcessName"))
    if process is not None:
        ev["process.name"] = process
        ev["process.pid"] = _int(_dash(data.get("NewProcessId")) or _dash(data.get("ProcessId")))
    ev["process.command_line"] = _dash(data.get("CommandLine"))
    ev["message"] = str(message) if message else f"Windows event {event_id}"
    return True


# --------------------------------------------------------------------------------------------
# JSON documents

#: common non-ECS keys → field
_ALIASES: Final = {
    "msg": "message",
    "MESSAGE": "message",
    "hostname": "host.name",
    "_HOSTNAME": "host.name",
    "src_ip": "source.ip",
    "srcip": "source.ip",
    "client_ip": "source.ip",
    "remote_addr": "source.ip",
    "src_port": "source.port",
    "dst_ip": "destination.ip",
    "dest_ip": "destination.ip",
    "dstip": "destination.ip",
    "dst_port": "destination.port",
    "dest_port": "destination.port",
    "username": "user.name",
    "program": "process.name",
    "appname": "log.syslog.appname",
    "SYSLOG_IDENTIFIER": "log.syslog.appname",
    "procid": "process.pid",
    "_PID": "process.pid",
    "pid": "process.pid",
    "useragent": "user_agent.original",
    "http_user_agent": "user_agent.original",
    "request_method": "http.request.method",
    "facility": "log.syslog.facility",
}
_TIME_KEYS: Final = ("@timestamp", "timestamp", "time", "ts", "EventTime", "datetime")
#: keys of shipper envelopes (Filebeat, Logstash, Vector, Fluent Bit, Docker, journald) that carry no event data
_ENVELOPE: Final = frozenset(
    [
        "@timestamp",
        "@metadata",
        "@version",
        "message",
        "log",
        "host",
        "agent",
        "ecs",
        "input",
        "fields",
        "tags",
        "event",
        "fileset",
        "service",
        "cloud",
        "container",
        "data_stream",
        "labels",
        "kubernetes",
        "orchestrator",
        "source_type",
        "timestamp",
        "hostname",
        "appname",
        "procid",
        "facility",
        "severity",
        "stream",
        "time",
        "type",
        "path",
        "file",
        "filename",
        "offset",
        "container_id",
        "container_name",
        "MESSAGE",
        "_HOSTNAME",
        "SYSLOG_IDENTIFIER",
        "_PID",
        "PRIORITY",
        "_SYSTEMD_UNIT",
        "_TRANSPORT",
        "__REALTIME_TIMESTAMP",
    ]
)


def _envelope_only(doc: dict[str, Any]) -> bool:
    """Whether every key is shipper metadata (Docker's ``source`` is the stream name, not ECS ``source``)."""
    return all(k in _ENVELOPE or (k == "source" and isinstance(v, str)) for k, v in doc.items())


def _coerce(name: str, value: Any) -> Any:
    kind = _TYPES[name]
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        return None
    if kind == "ts":
        return _any_time(value)
    if kind == "int":
        return _int(value)
    if kind == "bool":
        return value in (True, 1, "true", "True", "1")
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    if kind == "ip":
        return _ip(str(value))
    return str(value)


def _flatten(doc: dict[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, value in doc.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and name not in _TYPES:
            _flatten(value, f"{name}.", out)
        else:
            out[name] = value


def _document(ev: Event, doc: dict[str, Any], hint: str, received_at: datetime) -> None:
    """A JSON object: Windows, a shipper envelope around a line, or generic (ECS) JSON."""
    if _windows(ev, doc):
        return
    line = doc.get("message")
    if not isinstance(line, str):
        line = doc.get("log") if isinstance(doc.get("log"), str) else doc.get("MESSAGE")
    if isinstance(line, str) and line and _envelope_only(doc):
        inner = empty()
        inner["event.ingested"] = received_at
        dataset = _envelope_hint(doc) or hint
        if _line(inner, line.rstrip("\r\n"), dataset, received_at):
            _merge_envelope(inner, doc)
            for key, value in inner.items():
                if value is not None and key != "log.original":
                    ev[key] = value
            return
    _generic(ev, doc)


def _envelope_hint(doc: dict[str, Any]) -> str | None:
    event = doc.get("event")
    if isinstance(event, dict) and isinstance(event.get("dataset"), str):
        return str(event["dataset"])
    log = doc.get("log")
    if isinstance(log, dict):
        path = ((log.get("file") or {}) if isinstance(log.get("file"), dict) else {}).get("path") or ""
        if "apache" in path or "httpd" in path:
            return "apache.access"
    return None


def _merge_envelope(ev: Event, doc: dict[str, Any]) -> None:
    """Fill what the line lacked from the shipper's envelope (host name, time)."""
    flat: dict[str, Any] = {}
    _flatten(doc, "", flat)
    for key in ("host.name", "host.hostname", "host", "hostname", "_HOSTNAME"):
        value = flat.get(key)
        if ev["host.name"] is None and isinstance(value, str) and value:
            ev["host.name"] = value
    if ev["@timestamp"] is None:
        for key in _TIME_KEYS:
            if key in doc:
                when = _any_time(doc[key])
                if when is not None:
                    ev["@timestamp"] = when
                    break


def _generic(ev: Event, doc: dict[str, Any]) -> None:
    flat: dict[str, Any] = {}
    _flatten(doc, "", flat)
    rest: dict[str, Any] = {}
    for key, value in flat.items():
        name = key if key in _TYPES else _ALIASES.get(key)
        if name is None:
            if key == "host" and isinstance(value, str):
                name = "host.name"
            elif key in ("user", "log") and isinstance(value, str):
                name = "user.name" if key == "user" else "message"
            elif key in ("url", "uri", "request_uri") and isinstance(value, str):
                name = "url.original"
        if name is None or name in _PROTECTED or name == "log.original":
            if key not in _TIME_KEYS:
                rest[key] = value
            continue
        if ev[name] is None:
            ev[name] = _coerce(name, value)
    if ev["@timestamp"] is None:
        for key in _TIME_KEYS:
            if key in flat:
                when = _any_time(flat[key])
                if when is not None:
                    ev["@timestamp"] = when
                    break
    url = ev["url.original"]
    if url and ev["url.path"] is None:
        path, sep, query = str(url).partition("?")
        ev["url.path"] = path
        ev["url.query"] = query if sep else None
    if ev["message"] is None and rest:
        ev["message"] = json.dumps(rest, ensure_ascii=False, default=str, separators=(",", ":"))
    if ev["event.dataset"] is None:
        ev["event.dataset"] = "json"
    ev["event.kind"] = ev["event.kind"] if ev["event.kind"] in ("event", "alert") else "event"


# --------------------------------------------------------------------------------------------
# entry point

_HINT_DATASETS: Final = {
    "nginx": "nginx.access",
    "nginx.access": "nginx.access",
    "apache": "apache.access",
    "apache.access": "apache.access",
}


def _line(ev: Event, line: str, hint: str, received_at: datetime) -> bool:
    """Dispatch one text line by its first characters; True when some parser understood it."""
    c = line[:1]
    if c == "<":
        return _syslog(ev, line, received_at, hint)
    if c == "{":
        try:
            doc = json.loads(line)
        except ValueError:
            return False
        if not isinstance(doc, dict):
            return False
        _document(ev, doc, hint, received_at)
        return True
    web = _HINT_DATASETS.get(hint) or "nginx.access"
    if c.isdigit():
        syslog_like = line[1:2] == " " or (line[4:5] == "-" and line[:4].isdigit())  # RFC 5424 / RFC 3339
    else:
        syslog_like = c in "JFMASOND" and line[3:4] == " " and line[:3] in _MONTHS  # RFC 3164
    if syslog_like and _syslog(ev, line, received_at, hint):
        return True
    if _access(ev, line, web):
        return True
    # a bare message (journald forwarders, ``hint`` formats without a syslog header)
    if "IN=" in line and _firewall(ev, line, _firewall_dataset(hint)):
        return True
    if _sshd(ev, line, None) or _pam(ev, line, None):
        ev["message"] = line
        return True
    return False


def parse(
    raw: str | bytes | dict[str, Any],
    *,
    hint: str = "auto",
    received_at: datetime,
    host_ip: str | None = None,
    meta: dict[str, Any] | None = None,
) -> Event:
    """Parse one received line or JSON document into a normalised event; never raises.

    ``hint`` is the source's declared format (``LogSource.format``: auto, nginx, apache, sshd, syslog,
    firewall, windows, json) or a dataset name; it names ambiguous datasets (nginx vs Apache), it
    never stops another format from being recognised. ``host_ip`` is the sender's address.
    ``meta`` holds field values known from the transport (e.g. ``{"edubase.source_id": 7}``):
    ``edubase.*`` keys are always set, other field names only where the parser left them empty.
    """
    ev = empty()
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=UTC)
    ev["event.ingested"] = received_at
    ev["host.ip"] = host_ip
    try:
        if isinstance(raw, dict):
            ev["log.original"] = json.dumps(raw, ensure_ascii=False, default=str, separators=(",", ":"))
            _document(ev, raw, hint, received_at)
            ok = True
        else:
            if isinstance(raw, bytes | bytearray):
                try:
                    line = bytes(raw).decode()
                except UnicodeDecodeError:
                    line = bytes(raw).decode("gb18030", "replace")
            else:
                line = str(raw)
            line = line.rstrip("\r\n\x00")
            ev["log.original"] = line
            ok = bool(line.strip()) and _line(ev, line, hint, received_at)
    except Exception:
        ok = False
        original = ev["log.original"]
        ev = empty()
        ev["event.ingested"] = received_at
        ev["host.ip"] = host_ip
        ev["log.original"] = original if original is not None else repr(raw)
    if ok:
        ev["edubase.parsed"] = True
    else:
        original = ev["log.original"]
        ev = empty()
        ev["event.ingested"] = received_at
        ev["host.ip"] = host_ip
        ev["log.original"] = original
        ev["message"] = original
        _raw(ev)
    if ev["@timestamp"] is None:
        ev["@timestamp"] = received_at
    if meta:
        for key, value in meta.items():
            if key in _TYPES and (key.startswith("edubase.") or ev[key] is None):
                ev[key] = value
    return ev
