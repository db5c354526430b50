"""Vulnerability findings: scanner imports, matching to assets, status changes, and scoped reads.

An import is for one org (the scan's scope, e.g. a city) where the uploader holds
``secops.manage``. Each result is matched to a registered asset inside that scope by IP (an
asset's IP, then an IP range) or by host name (an asset's domain); what matches nothing is
kept on the scan org, flagged ``unknown_asset``, and its host recorded once as an
unregistered asset (未登记资产) so the registry's zombie list shows it. A finding is identified
across scans by SM3(org|host|port|signature); a fixed finding seen again is reopened
(re-appearance, 复现). Nothing is marked fixed automatically: an import only reports how many
open findings on the scanned hosts it did not see.

Imports work in batches (one query per batch for fingerprints, assets and writes), so a
50,000-row file stays well under a minute on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from edubase.core import audit
from edubase.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from edubase.core.scope import require, scope_for, subtree_q
from edubase.crypto.sm3 import sm3
from edubase.orgs.models import Org
from edubase.secops import scanners
from edubase.secops.models import (
    Asset,
    AssetKind,
    Finding,
    FindingChange,
    FindingStatus,
    RegistryChange,
    ScanImport,
    Severity,
)

VIEW = "secops.view"
CHANGE = "secops.change"
MANAGE = "secops.manage"

#: the largest report accepted (a province-wide scan is split by city)
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
#: rows per database round trip during an import (below SQLite's bound-parameter limit)
BATCH = 900

#: which status may follow which; ACCEPTED and FALSE_POSITIVE are entered and left with secops.manage
TRANSITIONS: dict[str, frozenset[str]] = {
    FindingStatus.OPEN: frozenset(
        {FindingStatus.FIXING, FindingStatus.FIXED, FindingStatus.ACCEPTED, FindingStatus.FALSE_POSITIVE}
    ),
    FindingStatus.FIXING: frozenset(
        {FindingStatus.OPEN, FindingStatus.FIXED, FindingStatus.ACCEPTED, FindingStatus.FALSE_POSITIVE}
    ),
    FindingStatus.FIXED: frozenset({FindingStatus.OPEN, FindingStatus.FIXING}),
    FindingStatus.ACCEPTED: frozenset({FindingStatus.OPEN}),
    FindingStatus.FALSE_POSITIVE: frozenset({FindingStatus.OPEN}),
}
MANAGED_STATUSES = frozenset({FindingStatus.ACCEPTED, FindingStatus.FALSE_POSITIVE})
#: statuses counted as still to be handled ("not seen" counts, dashboards)
ACTIVE_STATUSES = (FindingStatus.OPEN, FindingStatus.FIXING)

T = TypeVar("T")


class TransitionRefused(DomainError):
    """The finding cannot move from its status to the requested one."""

    code = "transition_refused"
    message = "漏洞当前状态不允许此操作"
    status = 409


def _chunks(items: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def fingerprint(*, org: Org, host: str, port: str, signature: str) -> str:
    """SM3 of ``org|host|port|signature`` (hex): the same vulnerability on the same host across scans."""
    return sm3(f"{org.pk}|{host}|{port}|{signature}".encode()).hex()


# --- matching ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Match:
    org: Org
    asset: Asset | None
    unknown: bool


def _better(candidate: Asset, current: Asset | None) -> bool:
    """The deepest org wins (the school over its bureau), then the oldest asset: stable across imports."""
    if current is None:
        return True
    return (len(candidate.org_path), -candidate.pk) > (len(current.org_path), -current.pk)


def _ranges(assets: Iterable[Asset]) -> list[tuple[Any, Asset]]:
    """(network or (low, high) pair, asset) for registered assets with a parseable IP range."""
    found: list[tuple[Any, Asset]] = []
    for asset in assets:
        text = asset.ip_range.strip()
        try:
            if "-" in text:
                low, high = (ipaddress.ip_address(part.strip()) for part in text.split("-", 1))
                found.append(((low, high), asset))
            else:
                found.append((ipaddress.ip_network(text, strict=False), asset))
        except ValueError:
            continue  # a range the registry accepted but we cannot read is simply not matched
    return found


def _in_range(address: Any, span: Any) -> bool:
    if isinstance(span, tuple):
        low, high = span
        return bool(low.version == address.version and low <= address <= high)
    return bool(span.version == address.version and address in span)


def _match_hosts(org: Org, results: Sequence[scanners.ScanResult]) -> dict[str, Asset | None]:
    """host -> the registered asset in ``org``'s subtree it belongs to (None: unknown)."""
    in_scope = Asset.objects.filter(subtree_q(org.path, "org_path"), registered=True).select_related("org")
    ips = sorted({r.host for r in results if r.is_ip})
    names = sorted({r.host for r in results if not r.is_ip} | {r.hostname for r in results if r.hostname})
    by_ip: dict[str, Asset] = {}
    for chunk in _chunks(ips):
        for asset in in_scope.filter(ip__in=chunk):
            key = ipaddress.ip_address(asset.ip).compressed if asset.ip else ""
            if _better(asset, by_ip.get(key)):
                by_ip[key] = asset
    by_name: dict[str, Asset] = {}
    for chunk in _chunks(names):
        for asset in in_scope.filter(domain__in=chunk):
            key = asset.domain.lower()
            if _better(asset, by_name.get(key)):
                by_name[key] = asset
    ranges = _ranges(in_scope.exclude(ip_range=""))
    matched: dict[str, Asset | None] = {}
    for result in results:
        if result.host in matched and matched[result.host] is not None:
            continue
        found: Asset | None = by_ip.get(result.host) or by_name.get(result.host) or by_name.get(result.hostname)
        if found is None and result.is_ip and ranges:
            address = ipaddress.ip_address(result.host)
            for span, candidate in ranges:
                if _in_range(address, span) and _better(candidate, found):
                    found = candidate
        matched[result.host] = found
    return matched


def _unregistered_assets(
    *, actor: Any, org: Org, hosts: Sequence[str], seen_at: dt.datetime
) -> tuple[dict[str, Asset], int]:
    """The scan org's unregistered asset for each unknown host, created once (未登记资产); (assets, created)."""
    found: dict[str, Asset] = {}
    ips = [h for h in hosts if _is_ip(h)]
    names = [h for h in hosts if not _is_ip(h)]
    own = Asset.objects.filter(org=org)
    for chunk in _chunks(ips):
        for asset in own.filter(ip__in=chunk):
            found[ipaddress.ip_address(asset.ip).compressed if asset.ip else ""] = asset
    for chunk in _chunks(names):
        for asset in own.filter(domain__in=chunk):
            found[asset.domain] = asset
    missing = [h for h in hosts if h not in found]
    new = [
        Asset(
            org=org,
            org_path=org.path,
            kind=AssetKind.IP if _is_ip(host) else AssetKind.DOMAIN,
            name=host,
            ip=host if _is_ip(host) else None,
            domain="" if _is_ip(host) else host,
            registered=False,
            last_seen_at=seen_at,
        )
        for host in missing
    ]
    created = Asset.objects.bulk_create(new, batch_size=BATCH)
    if created and created[0].pk is None:  # a backend without RETURNING: read the new rows back
        created = list(
            own.filter(Q(ip__in=[a.ip for a in new if a.ip]) | Q(domain__in=[a.domain for a in new if a.domain]))
        )
    for asset in created:
        found[ipaddress.ip_address(asset.ip).compressed if asset.ip else asset.domain] = asset
    user = actor if getattr(actor, "is_authenticated", False) else None
    RegistryChange.objects.bulk_create(
        [
            RegistryChange(
                org_path=asset.org_path,
                target_type="asset",
                target_id=asset.pk,
                actor=user,
                action="discover",
                changes={"name": [None, asset.name], "source": [None, "scan"]},
            )
            for asset in created
        ],
        batch_size=BATCH,
    )
    return found, len(created)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


# --- import ----------------------------------------------------------------------------------


@dataclass
class _Row:
    result: scanners.ScanResult
    org: Org
    asset: Asset | None
    unknown: bool
    seen_at: dt.datetime


def import_report(*, actor: Any, org: Org, filename: str, data: bytes, now: dt.datetime | None = None) -> ScanImport:
    """Import a scanner report for ``org`` (secops.manage there): all rows or nothing, one audit event."""
    require(actor, MANAGE, path=org.path)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationFailed(f"文件超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB，请按地市拆分后导入")
    now = now or timezone.now()
    report = scanners.parse_report(data, filename=filename, now=now)
    if not report.results:
        raise ValidationFailed("报告中没有任何扫描结果，未写入任何数据")
    with transaction.atomic():
        scan = ScanImport.objects.create(
            org=org,
            org_path=org.path,
            uploaded_by=actor,
            filename=filename[:255],
            format=report.format,
            digest_sm3=sm3(data).hex(),
            scanned_at=report.scanned_at,
        )
        counts = _apply(actor=actor, org=org, scan=scan, report=report, now=now)
        scan.counts = counts
        scan.save(update_fields=["counts"])
        audit.record(
            actor=actor,
            action="secops.finding.import",
            obj=scan,
            org=org,
            after={"filename": scan.filename, "format": scan.format, "digest_sm3": scan.digest_sm3, **counts},
        )
    return scan


def _apply(
    *, actor: Any, org: Org, scan: ScanImport, report: scanners.ParsedReport, now: dt.datetime
) -> dict[str, int]:
    default_seen = report.scanned_at or now
    matched = _match_hosts(org, report.results)
    unknown_hosts = sorted(h for h, a in matched.items() if a is None)
    latest = max((r.seen_at or default_seen for r in report.results), default=default_seen)
    unregistered, discovered = _unregistered_assets(actor=actor, org=org, hosts=unknown_hosts, seen_at=latest)

    rows: dict[str, _Row] = {}
    for result in report.results:
        asset = matched[result.host]
        owner = asset.org if asset is not None else org
        key = fingerprint(org=owner, host=result.host, port=result.port, signature=result.signature or result.name)
        seen_at = result.seen_at or default_seen
        previous = rows.get(key)
        if previous is None or seen_at >= previous.seen_at:  # a repeated result: the latest sighting wins
            rows[key] = _Row(
                result=result,
                org=owner,
                asset=asset if asset is not None else unregistered.get(result.host),
                unknown=asset is None,
                seen_at=seen_at,
            )

    counts = {"new": 0, "seen": 0, "reopened": 0}
    keys = list(rows)
    for chunk in _chunks(keys):
        existing = {f.fingerprint: f for f in Finding.objects.filter(fingerprint__in=chunk)}
        _write_batch(actor=actor, scan=scan, rows=[(k, rows[k]) for k in chunk], existing=existing, counts=counts)

    # assets answering the scan: their last-seen time feeds the registry's zombie list
    touched = sorted({row.asset.pk for row in rows.values() if row.asset is not None and not row.unknown})
    for pks in _chunks(touched):
        Asset.objects.filter(pk__in=pks).filter(Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=latest)).update(
            last_seen_at=latest
        )
    unregistered_pks = [a.pk for a in unregistered.values()]
    for pks in _chunks(unregistered_pks):
        Asset.objects.filter(pk__in=pks, last_seen_at__lt=latest).update(last_seen_at=latest)

    hosts = sorted({r.host for r in report.results})
    not_seen = 0
    for chunk in _chunks(hosts):
        not_seen += (
            Finding.objects.filter(subtree_q(org.path, "org_path"), host__in=chunk, status__in=ACTIVE_STATUSES)
            .exclude(last_import=scan)
            .count()
        )
    return {
        "rows": len(report.results),
        "hosts": len(hosts),
        "new": counts["new"],
        "seen": counts["seen"],
        "reopened": counts["reopened"],
        "unmatched": sum(1 for row in rows.values() if row.unknown),
        "unknown_hosts": len(unknown_hosts),
        "discovered_assets": discovered,
        "not_seen": not_seen,
        "duplicates": len(report.results) - len(rows),
    }


_DETAIL_FIELDS = (
    "name",
    "hostname",
    "cves",
    "cvss",
    "severity",
    "description",
    "solution",
    "asset_id",
    "unknown_asset",
)


def _write_batch(
    *,
    actor: Any,
    scan: ScanImport,
    rows: Sequence[tuple[str, _Row]],
    existing: dict[str, Finding],
    counts: dict[str, int],
) -> None:
    new: list[Finding] = []
    plain_seen: dict[dt.datetime, list[int]] = {}
    changed: list[Finding] = []
    reopened: list[Finding] = []
    for key, row in rows:
        result = row.result
        values = {
            "name": result.name,
            "hostname": result.hostname,
            "cves": list(result.cves),
            "cvss": result.cvss,
            "severity": result.severity,
            "description": result.description,
            "solution": result.solution,
            "asset_id": row.asset.pk if row.asset is not None else None,
            "unknown_asset": row.unknown,
        }
        finding = existing.get(key)
        if finding is None:
            new.append(
                Finding(
                    org=row.org,
                    org_path=row.org.path,
                    fingerprint=key,
                    host=result.host,
                    port=result.port,
                    signature=result.signature,
                    first_seen=row.seen_at,
                    last_seen=row.seen_at,
                    last_import=scan,
                    **values,
                )
            )
            continue
        last_seen = max(finding.last_seen, row.seen_at)
        reopen = finding.status == FindingStatus.FIXED and (finding.fixed_at is None or row.seen_at > finding.fixed_at)
        differs = any(getattr(finding, name) != value for name, value in values.items())
        if reopen or differs:
            for name, value in values.items():
                setattr(finding, name, value)
            finding.last_seen = last_seen
            finding.last_import = scan
            if reopen:
                finding.status = FindingStatus.OPEN
                finding.status_reason = ""
                finding.reopened_count += 1
                finding.fixed_at = None
                reopened.append(finding)
            else:
                changed.append(finding)
        else:
            plain_seen.setdefault(last_seen, []).append(finding.pk)
    if new:
        Finding.objects.bulk_create(new, batch_size=BATCH)
        counts["new"] += len(new)
    for seen_at, pks in plain_seen.items():
        Finding.objects.filter(pk__in=pks).update(last_seen=seen_at, last_import=scan)
        counts["seen"] += len(pks)
    fields = [*_DETAIL_FIELDS, "last_seen", "last_import"]
    if changed:
        Finding.objects.bulk_update(changed, fields, batch_size=200)
        counts["seen"] += len(changed)
    if reopened:
        Finding.objects.bulk_update(
            reopened, [*fields, "status", "status_reason", "reopened_count", "fixed_at"], batch_size=200
        )
        user = actor if getattr(actor, "is_authenticated", False) else None
        FindingChange.objects.bulk_create(
            [
                FindingChange(
                    finding=f,
                    at=timezone.now(),
                    actor=user,
                    from_status=FindingStatus.FIXED,
                    to_status=FindingStatus.OPEN,
                    reason=f"扫描复现（导入批次 {scan.pk}：{scan.filename}）"[:500],
                    scan_import=scan,
                )
                for f in reopened
            ],
            batch_size=BATCH,
        )
        counts["reopened"] += len(reopened)


def default_import_org(actor: Any) -> Org:
    """The org an import is for when none is named: the one top org of the actor's secops.manage scope."""
    scope = scope_for(actor, MANAGE)
    if scope.empty:
        raise PermissionDenied("您没有导入扫描结果的权限")
    if scope.everything or len(scope.paths) != 1:
        raise ValidationFailed("请选择扫描范围（机构）")
    org = Org.objects.filter(path=scope.paths[0]).first()
    if org is None:
        raise NotFound("扫描范围机构不存在")
    return org


def import_orgs(actor: Any) -> QuerySet[Org]:
    """Orgs an import may be for: where the actor holds secops.manage (top nodes first)."""
    return Org.objects.filter(scope_for(actor, MANAGE).q("path")).order_by("depth", "path")


# --- status ----------------------------------------------------------------------------------


def allowed_statuses(actor: Any, finding: Finding) -> list[str]:
    """The statuses the actor may move the finding to (for forms)."""
    may_change = scope_for(actor, CHANGE).covers(finding.org_path)
    may_manage = scope_for(actor, MANAGE).covers(finding.org_path)
    allowed = []
    for target in TRANSITIONS.get(finding.status, frozenset()):
        managed = target in MANAGED_STATUSES or finding.status in MANAGED_STATUSES
        if may_manage if managed else may_change or may_manage:
            allowed.append(target)
    return [s for s in FindingStatus.values if s in allowed]


def change_status(*, actor: Any, finding: Finding, status: str, reason: str = "") -> Finding:
    """Move a finding to ``status``; risk acceptance and false positives need secops.manage and a reason."""
    reason = (reason or "").strip()
    if status not in FindingStatus.values:
        raise ValidationFailed(f"未知的漏洞状态「{status}」", details={"status": status})
    managed = status in MANAGED_STATUSES or finding.status in MANAGED_STATUSES
    if managed:
        require(actor, MANAGE, path=finding.org_path)
    elif not scope_for(actor, MANAGE).covers(finding.org_path):
        require(actor, CHANGE, path=finding.org_path)
    if status not in TRANSITIONS.get(finding.status, frozenset()):
        raise TransitionRefused(
            f"漏洞当前为「{finding.get_status_display()}」，不能改为「{FindingStatus(status).label}」"
        )
    if status in MANAGED_STATUSES and not reason:
        raise ValidationFailed(f"标记为「{FindingStatus(status).label}」须填写理由", details={"reason": "必填"})
    if len(reason) > 500:
        raise ValidationFailed("说明不能超过 500 个字符", details={"reason": "过长"})
    now = timezone.now()
    with transaction.atomic():
        locked = Finding.objects.select_for_update().get(pk=finding.pk)
        if locked.status != finding.status:
            raise TransitionRefused("漏洞状态已被他人修改，请刷新后重试")
        before = locked.status
        locked.status = status
        locked.status_reason = reason
        locked.fixed_at = now if status == FindingStatus.FIXED else None
        locked.save(update_fields=["status", "status_reason", "fixed_at"])
        user = actor if getattr(actor, "is_authenticated", False) else None
        FindingChange.objects.create(
            finding=locked, at=now, actor=user, from_status=before, to_status=status, reason=reason
        )
        audit.record(
            actor=actor,
            action="secops.finding.status",
            obj=locked,
            org=locked.org,
            before={"status": before},
            after={"status": status, "reason": reason},
        )
    return locked


# --- reads ---------------------------------------------------------------------------------


def findings_for(
    actor: Any,
    *,
    severity: str | None = None,
    status: str | None = None,
    org_id: int | None = None,
    host: str | None = None,
    cve: str | None = None,
    q: str | None = None,
    unknown_asset: bool | None = None,
    age: int | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Finding]:
    """Findings in the actor's secops.view scope; ``age``: first seen at least that many days ago."""
    found = Finding.objects.filter(scope_for(actor, VIEW).q("org_path")).select_related("org")
    if severity:
        found = found.filter(severity__in=[s for s in severity.split(",") if s])
    if status:
        found = found.filter(status__in=[s for s in status.split(",") if s])
    if org_id is not None:
        org = Org.objects.filter(pk=org_id).only("path").first()
        found = found.filter(subtree_q(org.path, "org_path")) if org is not None else found.none()
    if host:
        text = host.strip().lower()
        found = found.filter(Q(host=text) | Q(hostname=text))
    if cve:
        found = found.annotate(cves_text=Cast("cves", TextField())).filter(
            cves_text__contains=f'"{cve.strip().upper()}"'
        )
    if q:
        text = q.strip()
        found = found.filter(Q(name__icontains=text) | Q(host__icontains=text) | Q(hostname__icontains=text.lower()))
    if unknown_asset is not None:
        found = found.filter(unknown_asset=unknown_asset)
    if age is not None:
        found = found.filter(first_seen__lte=(now or timezone.now()) - dt.timedelta(days=age))
    return found


def get_finding(actor: Any, *, pk: int) -> Finding:
    """One finding in scope (404 when missing or outside it)."""
    finding = findings_for(actor).select_related("asset", "last_import").filter(pk=pk).first()
    if finding is None:
        raise NotFound("漏洞不存在或不在您的管辖范围内")
    return finding


def history_of(actor: Any, finding: Finding) -> QuerySet[FindingChange]:
    get_finding(actor, pk=finding.pk)
    return FindingChange.objects.filter(finding=finding).select_related("actor", "scan_import")


def imports_for(actor: Any) -> QuerySet[ScanImport]:
    """Scanner imports whose scan scope lies in the actor's secops.view scope."""
    return ScanImport.objects.filter(scope_for(actor, VIEW).q("org_path")).select_related("org", "uploaded_by")


def get_import(actor: Any, *, pk: int) -> ScanImport:
    scan = imports_for(actor).filter(pk=pk).first()
    if scan is None:
        raise NotFound("导入记录不存在或不在您的管辖范围内")
    return scan


def severity_counts(findings: QuerySet[Finding]) -> dict[str, int]:
    """severity -> count (every band present, zero when none)."""
    from django.db.models import Count

    counts = {s: 0 for s in Severity.values}
    for row in findings.order_by().values("severity").annotate(n=Count("pk")):
        counts[row["severity"]] = row["n"]
    return counts
