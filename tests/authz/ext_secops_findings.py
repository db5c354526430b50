"""Authorization-matrix rows of secops: vulnerability findings and scanner imports.

KINDS maps an object kind to its (in-scope, out-of-scope) attribute names; ``build`` makes those
objects (in: school A of 郑州 中原区; out: school C of 洛阳) and returns them by attribute name.
"""

from __future__ import annotations

from typing import Any

from tests.authz.rules import Rule

KINDS: dict[str, tuple[str, str]] = {
    "finding": ("finding_a", "finding_c"),
    "scan_import": ("scan_import_a", "scan_import_c"),
}
SCOPED: set[str] = {"finding", "scan_import"}
PAGE_NAMESPACES: tuple[str, ...] = ()  # the registry module declares ("secops",)

FINDING_A = "矩阵测试漏洞甲"
IMPORT_A = "矩阵扫描甲.csv"


def build(world: Any, ly_user: Any) -> dict[str, Any]:
    from django.utils import timezone

    from edubase.secops.findings import fingerprint
    from edubase.secops.models import Asset, Finding, ScanImport

    now = timezone.now()
    made: dict[str, Any] = {}
    for key, school, host, uploader, name in (
        ("a", world.school_a, "10.8.1.10", world.school_admin, FINDING_A),
        ("c", world.school_c, "10.30.2.5", ly_user, "矩阵测试漏洞丙"),
    ):
        asset = Asset.objects.create(org=school, org_path=school.path, kind="ip", name=f"矩阵主机{key}", ip=host)
        scan = ScanImport.objects.create(
            org=school,
            org_path=school.path,
            uploaded_by=uploader,
            filename=IMPORT_A if key == "a" else "矩阵扫描丙.csv",
            format="csv",
            digest_sm3="0" * 64,
            counts={"rows": 1, "new": 1, "seen": 0, "reopened": 0, "unmatched": 0},
        )
        made[f"scan_import_{key}"] = scan
        made[f"finding_{key}"] = Finding.objects.create(
            org=school,
            org_path=school.path,
            asset=asset,
            fingerprint=fingerprint(org=school, host=host, port="443/tcp", signature=name),
            host=host,
            port="443/tcp",
            name=name,
            cves=["CVE-2024-5535"],
            cvss="9.8",
            severity="critical",
            first_seen=now,
            last_seen=now,
            last_import=scan,
        )
    return made


def _report(ctx: Any, variant: str) -> tuple[str, bytes]:
    return "matrix.csv", "主机,端口,漏洞名称,CVSS评分\n10.77.0.1,443,矩阵导入漏洞,5.0\n".encode()


API_RULES: dict[str, Rule] = {
    "GET /secops/findings": Rule(perm="secops.view", lists=True, shows=lambda c: FINDING_A),
    "GET /secops/findings/{finding_id}": Rule(perm="secops.view", params={"finding_id": "finding"}),
    "POST /secops/findings/{finding_id}/status": Rule(
        perm="secops.change",
        params={"finding_id": "finding"},
        body=lambda c, v: {"status": "fixing", "reason": "已安排整改"},
    ),
    "GET /secops/findings/imports": Rule(perm="secops.view", lists=True, shows=lambda c: IMPORT_A),
    "GET /secops/findings/imports/{import_id}": Rule(perm="secops.view", params={"import_id": "scan_import"}),
    "POST /secops/findings/imports": Rule(
        perm="secops.manage",
        upload=_report,
        ok=frozenset({201}),
        note="without org_id the import is for the caller's one managed org (the province admin's province)",
    ),
}
CONSOLE_RULES: dict[str, Rule] = {
    "secops:findings_list": Rule(perm="secops.view", lists=True, shows=lambda c: FINDING_A),
    "secops:finding_detail": Rule(perm="secops.view", params={"pk": "finding"}),
    "secops:finding_status": Rule(
        perm="secops.change",
        method="POST",
        params={"pk": "finding"},
        body=lambda c, v: {"status": "fixing", "reason": "已安排整改"},
        ok=frozenset({302}),
    ),
    "secops:findings_import": Rule(perm="secops.manage", method="POST", upload=_report, ok=frozenset({302})),
    "secops:findings_imports": Rule(perm="secops.view", lists=True, shows=lambda c: IMPORT_A),
    "secops:findings_import_detail": Rule(perm="secops.view", params={"pk": "scan_import"}),
}
