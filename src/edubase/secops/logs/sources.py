"""Log sources (日志源): registration with an ingest token, sender lookup, counters and rejections.

A token ``ebl_<prefix>_<secret>`` is shown once at registration; only its SM3 digest is kept. The
ingest process never queries the database per message: it loads :func:`source_table` every 30 s
and authenticates tokens and sender addresses in memory (:class:`SourceTable`), then adds its
counts back in batches (:func:`flush_counters`, :func:`flush_rejections`).
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from edubase.core import audit
from edubase.core.errors import ValidationFailed
from edubase.core.scope import require
from edubase.crypto.sm3 import sm3
from edubase.secops.models import IngestRejection, LogSource, SourceFormat

CHANGE = "secops.change"
TOKEN_PREFIX = "ebl_"  # noqa: S105 — a marker, not a secret

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def token_digest(token: str) -> str:
    """The stored form of an ingest token (SM3, hex)."""
    return sm3(token.encode()).hex()


def new_token() -> tuple[str, str]:
    """(prefix, token) for a new ingest token; the token is shown once and never stored."""
    prefix = secrets.token_hex(4)
    return prefix, f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"


def _token_prefix(token: str) -> str | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    prefix, sep, secret = token[len(TOKEN_PREFIX) :].partition("_")
    return prefix if sep and prefix and secret else None


def clean_sender_ips(values: Iterable[Any]) -> list[str]:
    """Addresses or networks (CIDR) of syslog senders, normalised; a bad one raises ``ValidationFailed``."""
    out: list[str] = []
    bad: list[str] = []
    for value in values:
        text = str(value).strip()
        if not text:
            continue
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError:
            bad.append(text)
            continue
        one = net.num_addresses == 1
        out.append(str(net.network_address) if one else str(net))
    if bad:
        raise ValidationFailed(
            f"发送端地址无效：{'、'.join(bad)}（应为 IP 地址或网段，如 10.1.2.3 或 10.1.2.0/24）",
            details={"sender_ips": bad},
        )
    return sorted(set(out))


def register_source(
    *,
    actor: Any,
    org: Any,
    name: str,
    format: str = SourceFormat.AUTO,
    sender_ips: Iterable[Any] = (),
) -> tuple[LogSource, str]:
    """Register a log source of ``org``; returns it and its ingest token (shown once, never stored)."""
    require(actor, CHANGE, path=org.path)
    name = (name or "").strip()
    problems: dict[str, list[str]] = {}
    if not name:
        problems["name"] = ["日志源名称不能为空"]
    elif len(name) > 200:
        problems["name"] = ["日志源名称不能超过 200 个字符"]
    if format not in SourceFormat.values:
        problems["format"] = [f"未知的日志格式“{format}”，可选：{'、'.join(SourceFormat.values)}"]
    if problems:
        raise ValidationFailed("；".join(m[0] for m in problems.values()), details=problems)
    ips = clean_sender_ips(sender_ips)
    if LogSource.objects.filter(org=org, name=name).exists():
        raise ValidationFailed(f"本单位已有名为“{name}”的日志源", details={"name": ["名称重复"]})
    prefix, token = new_token()
    try:
        with transaction.atomic():
            source = LogSource.objects.create(
                org=org,
                org_path=org.path,
                name=name,
                format=format,
                token_prefix=prefix,
                token_digest=token_digest(token),
                sender_ips=ips,
            )
            audit.record(
                actor=actor,
                action="secops.logsource.create",
                obj=source,
                org=org,
                after={"name": name, "format": format, "sender_ips": ips, "token_prefix": prefix},
            )
    except IntegrityError as exc:
        raise ValidationFailed(f"本单位已有名为“{name}”的日志源", details={"name": ["名称重复"]}) from exc
    return source, token


def rotate_token(*, actor: Any, source: LogSource) -> str:
    """Issue a new token for ``source`` (the old one stops working at the next table refresh)."""
    require(actor, CHANGE, path=source.org_path)
    prefix, token = new_token()
    with transaction.atomic():
        before = source.token_prefix
        source.token_prefix, source.token_digest = prefix, token_digest(token)
        source.save(update_fields=["token_prefix", "token_digest"])
        audit.record(
            actor=actor,
            action="secops.logsource.rotate_token",
            obj=source,
            org=source.org,
            before={"token_prefix": before},
            after={"token_prefix": prefix},
        )
    return token


def authenticate(token: str) -> LogSource | None:
    """The enabled source whose token this is (database lookup; the ingest process uses :class:`SourceTable`)."""
    prefix = _token_prefix(token)
    if prefix is None:
        return None
    source = LogSource.objects.filter(token_prefix=prefix, enabled=True).first()
    if source is None or not hmac.compare_digest(source.token_digest, token_digest(token)):
        return None
    return source


# --- the in-memory table of the ingest process --------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceEntry:
    id: int
    org_path: str
    format: str
    token_prefix: str
    token_digest: str
    sender_ips: tuple[str, ...] = ()


def source_table() -> list[SourceEntry]:
    """Every enabled source, as the ingest process keeps them in memory."""
    rows = LogSource.objects.filter(enabled=True).values_list(
        "id", "org_path", "format", "token_prefix", "token_digest", "sender_ips"
    )
    return [SourceEntry(i, p, f, tp, td, tuple(ips or ())) for i, p, f, tp, td, ips in rows]


@dataclass
class SourceTable:
    """Sources by token prefix and by sender address/network (refreshed by the ingest process)."""

    entries: list[SourceEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.replace(self.entries)

    def replace(self, entries: Iterable[SourceEntry]) -> None:
        self.entries = list(entries)
        self.by_id_map = {e.id: e for e in self.entries}
        self.prefix_map = {e.token_prefix: e for e in self.entries}
        self.ip_map: dict[str, SourceEntry] = {}
        self.networks: list[tuple[Network, SourceEntry]] = []
        for e in self.entries:
            for text in e.sender_ips:
                if "/" in text:
                    try:
                        self.networks.append((ipaddress.ip_network(text, strict=False), e))
                    except ValueError:
                        continue
                else:
                    self.ip_map.setdefault(text, e)
        self.networks.sort(key=lambda item: -item[0].prefixlen)  # the most specific network wins
        self.verified: dict[str, SourceEntry | None] = {}
        self.ip_cache: dict[str, SourceEntry | None] = {}

    def by_id(self, source_id: int) -> SourceEntry | None:
        return self.by_id_map.get(source_id)

    def by_ip(self, ip: str) -> SourceEntry | None:
        hit = self.ip_map.get(ip)
        if hit is not None or not self.networks:
            return hit
        if ip in self.ip_cache:
            return self.ip_cache[ip]
        found = None
        try:
            addr = ipaddress.ip_address(ip)
            found = next((e for net, e in self.networks if addr in net), None)
        except ValueError:
            pass
        if len(self.ip_cache) > 100_000:
            self.ip_cache.clear()
        self.ip_cache[ip] = found
        return found

    def by_token(self, token: str) -> SourceEntry | None:
        if token in self.verified:
            return self.verified[token]
        prefix = _token_prefix(token)
        entry = self.prefix_map.get(prefix) if prefix else None
        ok = entry is not None and hmac.compare_digest(entry.token_digest, token_digest(token))
        if len(self.verified) > 10_000:
            self.verified.clear()
        self.verified[token] = entry if ok else None
        return entry if ok else None


# --- counters ------------------------------------------------------------------------------------


def flush_counters(counts: Mapping[int, tuple[int, int, float]]) -> int:
    """Add ``{source_id: (accepted, unparsed, last receipt epoch)}`` to the sources' counters."""
    for source_id, (accepted, unparsed, last) in counts.items():
        LogSource.objects.filter(pk=source_id).update(
            accepted=F("accepted") + accepted,
            unparsed=F("unparsed") + unparsed,
            last_event_at=dt.datetime.fromtimestamp(last, tz=dt.UTC),
        )
    return len(counts)


def flush_rejections(counts: Mapping[tuple[str, str], int]) -> int:
    """Add ``{(peer, reason): n}`` to the rejection counts."""
    now = timezone.now()
    for (peer, reason), n in counts.items():
        peer, reason = peer[:64], reason[:32]
        updated = IngestRejection.objects.filter(peer=peer, reason=reason).update(count=F("count") + n, last_at=now)
        if not updated:
            try:
                with transaction.atomic():
                    IngestRejection.objects.create(peer=peer, reason=reason, count=n)
            except IntegrityError:  # another process created it meanwhile
                IngestRejection.objects.filter(peer=peer, reason=reason).update(count=F("count") + n, last_at=now)
    return len(counts)
