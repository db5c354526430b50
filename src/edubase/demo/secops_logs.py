"""Demo log traffic: log sources of a few schools and a day of events through the real pipeline.

Benign web and SSH traffic of several school portals, with attacks mixed in: an SSH brute force
from abroad and a password spray, a sqlmap scan with SQL injection and path traversal, mass 404
probing and an admin-panel login from abroad. Every line goes through the real parsers, enrichment,
event store and Sigma detection, so the alerts, the risk scores and the big screen (态势大屏) of the
demo are what edubase itself concluded. Deterministic (seeded) and idempotent (the sources are the
marker: a second run adds nothing).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.utils import timezone

from edubase.accounts.models import User
from edubase.secops.models import Asset, AssetKind, LogSource

Progress = Callable[[str], None]
CST = dt.timezone(dt.timedelta(hours=8))
SOURCE_NAME = "门户网站与服务器日志（演示）"

_BENIGN_PATHS = [
    "/",
    "/index.html",
    "/news/list.html",
    "/news/2026/1128.html",
    "/jwc/notice.html",
    "/static/app.css",
    "/static/logo.png",
    "/zsxx/index.html",
    "/search?q=%E6%8B%9B%E7%94%9F",
    "/login",
]
_BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0",
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
]
_ATTACKS = [
    "/news/view.php?id=1%27%20AND%201%3D1%20UNION%20SELECT%20username,password%20FROM%20admin--",
    "/download.php?file=..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/search?q=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E",
    "/cgi-bin/test.cgi?cmd=%3Bcat%20%2Fetc%2Fshadow",
]
_USERS = ["root", "admin", "test", "oracle", "postgres", "ubuntu", "guest", "teacher", "jwc", "www"]


def _nginx(ip: str, at: dt.datetime, path: str, status: int, ua: str, method: str = "GET") -> str:
    stamp = at.astimezone(CST).strftime("%d/%b/%Y:%H:%M:%S +0800")
    return f'{ip} - - [{stamp}] "{method} {path} HTTP/1.1" {status} {random.randint(200, 40000)} "-" "{ua}"'  # noqa: S311


def _sshd(host: str, at: dt.datetime, message: str) -> str:
    return f"<38>1 {at.astimezone(CST).isoformat(timespec='seconds')} {host} sshd 2211 - - {message}"


def build(
    *, seed: int, created: dict[str, int], progress: Progress | None = None, now: dt.datetime | None = None
) -> None:
    """Register the demo log sources and run a day of traffic through the pipeline (once)."""
    from edubase.secops.logs import detect, parsers, sources
    from edubase.secops.logs.enrich import Enricher
    from edubase.secops.logs.sigma import packs
    from edubase.secops.logs.store import get_store

    say: Progress = progress or (lambda _m: None)
    created.setdefault("secops_log_events", 0)
    created.setdefault("secops_alerts", 0)
    if LogSource.objects.filter(name=SOURCE_NAME).exists():
        return
    officer = User.objects.filter(username="security_officer").first()
    servers: list[Asset] = []
    for asset in (
        Asset.objects.filter(registered=True, kind=AssetKind.SERVER, ip__isnull=False, org__kind="school")
        .select_related("org")
        .order_by("org_path", "pk")[:300]
    ):
        if all(asset.org_id != s.org_id for s in servers):  # one server of each of six schools
            servers.append(asset)
        if len(servers) == 6:
            break
    if officer is None or not servers:
        return
    packs.import_bundled(actor=None)
    rng = random.Random(f"{seed}-secops-logs")  # noqa: S311 - reproducible demo data
    random.seed(seed)
    now = now or timezone.now()
    registered: list[tuple[Asset, int]] = []
    for asset in servers:
        source, _token = sources.register_source(
            actor=officer,
            org=asset.org,
            name=SOURCE_NAME if not registered else f"{SOURCE_NAME} {len(registered) + 1}",
            sender_ips=[asset.ip],
        )
        registered.append((asset, source.pk))
    lines: list[tuple[str, str | None, int, dt.datetime]] = []  # (raw, sender ip, source id, receipt)
    for asset, sid in registered:
        for _ in range(400):  # a quiet day of visitors and staff
            at = now - dt.timedelta(seconds=rng.randint(60, 86_000))
            visitor = f"1.{rng.randint(192, 199)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            lines.append(
                (_nginx(visitor, at, rng.choice(_BENIGN_PATHS), 200, rng.choice(_BROWSERS)), asset.ip, sid, at)
            )
        for _ in range(20):
            at = now - dt.timedelta(seconds=rng.randint(60, 86_000))
            lines.append(
                (
                    _sshd("web01", at, f"Accepted publickey for ops from 10.8.{rng.randint(0, 9)}.2 port 50122 ssh2"),
                    asset.ip,
                    sid,
                    at,
                )
            )
    (first, fsid), (second, ssid), (third, tsid) = (
        registered[0],
        registered[1 % len(registered)],
        registered[2 % len(registered)],
    )
    start = now - dt.timedelta(hours=3)
    for i in range(80):  # SSH brute force from abroad against the first school's server
        at = start + dt.timedelta(seconds=2 * i)
        lines.append(
            (
                _sshd("web01", at, f"Failed password for root from 45.155.205.{i % 3 + 10} port {40000 + i} ssh2"),
                first.ip,
                fsid,
                at,
            )
        )
    for i, user in enumerate(_USERS * 2):  # a password spray against the second school
        at = now - dt.timedelta(hours=2) + dt.timedelta(seconds=20 * i)
        lines.append(
            (
                _sshd("jw01", at, f"Failed password for invalid user {user} from 185.220.101.7 port {51000 + i} ssh2"),
                second.ip,
                ssid,
                at,
            )
        )
    scan = now - dt.timedelta(minutes=50)
    for i in range(90):  # sqlmap and friends against the third school's portal, and mass 404 probing
        at = scan + dt.timedelta(seconds=i // 3)
        path = (
            _ATTACKS[i % len(_ATTACKS)]
            if i % 3 == 0
            else f"/{quote(rng.choice(['admin', 'phpmyadmin', 'wp-login.php', '.env', 'backup.zip']))}{i}"
        )
        lines.append(
            (
                _nginx("103.145.13.9", at, path, 404 if i % 3 else 200, "sqlmap/1.7.2#stable (https://sqlmap.org)"),
                third.ip,
                tsid,
                at,
            )
        )
    at = now - dt.timedelta(minutes=20)
    lines.append((_nginx("91.240.118.172", at, "/admin/login", 200, _BROWSERS[0], method="POST"), first.ip, fsid, at))
    lines.sort(key=lambda item: item[3])
    enricher = Enricher.from_db()
    store = get_store()
    events: list[dict[str, Any]] = []
    for index, (raw, sender, sid, at) in enumerate(lines):
        event = parsers.parse(raw, received_at=at, host_ip=sender, meta={"edubase.source_id": sid})
        event["event.id"] = f"demo-{seed}-{index}"
        event["event.ingested"] = at
        event["edubase.source_id"] = sid
        enricher.apply(event, sid)
        events.append(event)
    alerts: set[int] = set()
    for chunk in range(0, len(events), 2000):
        batch = events[chunk : chunk + 2000]
        store.write(batch)
        alerts |= {a.pk for a in detect.evaluate_batch(batch, store, now=now)}
    # the day arrived at once: correlation rules (brute force, spraying, probing) run as the hourly hunt
    detect.hunt_due(now=now, store=store)
    from edubase.secops.models import Alert

    alerts |= set(Alert.objects.filter(rule__pack__isnull=False).values_list("pk", flat=True))
    LogSource.objects.filter(pk__in=[sid for _a, sid in registered]).update(last_event_at=now)
    created["secops_log_events"] += len(events)
    created["secops_alerts"] += len(alerts)
    say(f"日志监测：日志源 {len(registered)}，事件 {len(events):,}，告警 {len(alerts)}")
