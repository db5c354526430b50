"""Security operations benchmark: the demo province with 200,000 assets and 1,000,000 findings.

Builds the demo province (``edubase.demo.build_demo``, 5,000 schools by default, with the demo's
own security picture: its registry, three scans, notices and incidents) and writes beside it, in
bulk, 20,000 more information systems, 200,000 assets and 1,000,000 findings across its schools (70 %
of them open), 3,000 notices with their findings, then measures, each next to a named peer in
the same run (p50/p95 over 40 runs after one warm-up):

- asset search as the console runs it (``registry.assets_for`` + Django's Paginator: count and the
  first page of 50, ordered by org path) and as the API runs it (first cursor page, by id), for a
  province officer, with a text query, an exact IP, and filters — vs the same SQL on the raw cursor;
- the compliance dashboard (``dashboard.summary``) for a province, a city and a county actor from
  the rollup — vs the same figures counted live (``summary(live=True)``); and the rollup's refresh;
- the notice ledger of a city, in full (it is a download): ``notices.ledger_xlsx`` and
  ``ledger_rows`` — vs the same rows as hand-written SQL on the raw cursor;
- the import of a 50,000-row findings CSV (``findings.import_report`` with
  ``scanners.synthetic_csv``; first import and a re-scan of the same file) — vs a raw bulk INSERT
  of the same 50,000 rows.

Targets (issue 5): p95 < 200 ms for asset search, dashboard and ledger; import < 60 s.

SQLite by default (a fresh database in ``bench/.data/secops-sqlite/``); PostgreSQL when
``EDUBASE_DATABASE_URL`` names an empty database of its own.

Run: make bench-secops    (BENCH_ASSETS=20000 BENCH_FINDINGS=100000 BENCH_SCHOOLS=500 for a quick run)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / ".data"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import benchlib  # noqa: E402
from benchlib import pct  # noqa: E402

SCHOOLS = int(os.environ.get("BENCH_SCHOOLS", "5000"))
SYSTEMS = int(os.environ.get("BENCH_SYSTEMS", "20000"))
ASSETS = int(os.environ.get("BENCH_ASSETS", "200000"))
FINDINGS = int(os.environ.get("BENCH_FINDINGS", "1000000"))
NOTICES = int(os.environ.get("BENCH_NOTICES", "3000"))
IMPORT_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "50000"))
RUNS = int(os.environ.get("BENCH_RUNS", "40"))
BATCH = 5000
TARGET_MS = 200.0
TARGET_IMPORT_S = 60.0

SYSTEM_NAMES = (
    "门户网站",
    "教务管理系统",
    "一卡通系统",
    "电子邮件系统",
    "OA 办公系统",
    "学籍管理系统",
    "图书管理系统",
    "视频监控系统",
    "财务系统",
    "招生报名系统",
)
KINDS = ("domain", "ip", "server", "server", "database", "application", "cloud")


def ip_of(i: int) -> str:
    """The IP address of the ``i``-th generated asset (172.16.0.1 onwards, as ``synthetic_csv`` writes them;
    outside the demo's own 10.0.0.0/8 campus ranges)."""
    return f"172.{16 + i // 62500}.{(i // 250) % 250}.{i % 250 + 1}"


def timed(fn: Callable[[], Any], runs: int = RUNS) -> list[float]:
    return benchlib.timed(fn, runs)


def setup() -> str:
    return benchlib.django_env("secops")


def build(database: str) -> dict[str, Any]:
    """The demo province, then systems, assets, findings and notices in bulk (not measured)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from edubase.accounts.models import User
    from edubase.demo import build_demo
    from edubase.orgs.models import Org, OrgKind
    from edubase.secops.models import Asset, Finding, InformationSystem, Notice

    started = time.perf_counter()
    build_demo(scale=SCHOOLS)
    print(f"演示省份 {SCHOOLS:,} 所学校：{time.perf_counter() - started:.0f} s", flush=True)
    rng = random.Random(2026)
    now = timezone.now()
    today = timezone.localdate(now)
    schools = list(Org.objects.filter(kind=OrgKind.SCHOOL).order_by("path").values_list("pk", "path", "code"))
    started = time.perf_counter()

    per_school = max(1, -(-SYSTEMS // len(schools)))
    systems: list[InformationSystem] = []
    for i in range(SYSTEMS):
        pk, path, code = schools[(i // per_school) % len(schools)]
        level = rng.choice((None, 1, 2, 2, 2, 3, 3, 4))
        filed = level is not None and level >= 2 and rng.random() < 0.8
        graded = today - dt.timedelta(days=rng.randint(30, 900)) if level else None
        systems.append(
            InformationSystem(
                org_id=pk,
                org_path=path,
                name=f"{SYSTEM_NAMES[i % per_school % len(SYSTEM_NAMES)]}（{i}）",  # beside the demo's own
                status=rng.choice(("online", "online", "online", "offline", "planned", "decommissioned")),
                internet_facing=rng.random() < 0.4,
                mlps_level=level,
                graded_on=graded,
                filing_number=f"41010{i:07d}-0001" if filed else "",
                filed_on=graded + dt.timedelta(days=20) if filed and graded else None,
                filing_due=graded + dt.timedelta(days=30) if graded and level and level >= 2 else None,
                next_assessment_due=today + dt.timedelta(days=rng.randint(-200, 300)) if level and level >= 3 else None,
            )
        )
    with transaction.atomic():
        InformationSystem.objects.bulk_create(systems, batch_size=BATCH)
    system_rows = list(InformationSystem.objects.order_by("org_path", "pk").values_list("pk", "org_id", "org_path"))
    systems_of: dict[int, list[int]] = {}
    for spk, org_id, _path in system_rows:
        systems_of.setdefault(org_id, []).append(spk)

    per_school_assets = max(1, -(-ASSETS // len(schools)))
    asset_hosts: list[tuple[int, int, str, str]] = []  # (org pk, asset index, path, ip)
    for offset in range(0, ASSETS, BATCH):
        chunk = []
        for i in range(offset, min(ASSETS, offset + BATCH)):
            pk, path, code = schools[(i // per_school_assets) % len(schools)]
            kind = KINDS[i % len(KINDS)]
            ip = ip_of(i)
            own = systems_of.get(pk, [])
            domain = f"s{i % per_school_assets}.{code}.edu.cn" if kind in ("domain", "application") else ""
            chunk.append(
                Asset(
                    org_id=pk,
                    org_path=path,
                    system_id=own[i % len(own)] if own and i % 10 else None,
                    kind=kind,
                    name=f"{SYSTEM_NAMES[i % len(SYSTEM_NAMES)]}{'服务器' if kind == 'server' else ''} {i}",
                    domain=domain,
                    ip=ip,
                    status="online" if i % 20 else "decommissioned",
                    internet_exposed=bool(domain),
                    registered=i % 33 != 0,
                    last_seen_at=now - dt.timedelta(days=i % 60),
                    decommissioned_at=now - dt.timedelta(days=90) if i % 20 == 0 else None,
                )
            )
            asset_hosts.append((pk, i, path, ip))
        with transaction.atomic():
            Asset.objects.bulk_create(chunk, batch_size=BATCH)
    asset_ids = list(Asset.objects.order_by("pk").values_list("pk", flat=True))

    severities = ("critical", "high", "high", "medium", "medium", "medium", "low", "low", "info")
    statuses = ("open",) * 6 + ("fixing",) + ("fixed",) * 2 + ("false_positive",)  # 70 % open; 1 % accepted
    per_asset = max(1, -(-FINDINGS // ASSETS))
    for offset in range(0, FINDINGS, 50_000):
        chunk = []
        for n in range(offset, min(FINDINGS, offset + 50_000)):
            a = (n // per_asset) % ASSETS
            org_pk, _i, path, ip = asset_hosts[a]
            first = now - dt.timedelta(days=rng.random() * 400)
            status = statuses[n % len(statuses)] if n % 97 else "accepted"
            chunk.append(
                Finding(
                    org_id=org_pk,
                    org_path=path,
                    asset_id=asset_ids[a],
                    fingerprint=hashlib.sha256(f"bench-{n}".encode()).hexdigest(),
                    host=ip,
                    port=rng.choice(("22/tcp", "80/tcp", "443/tcp", "3306/tcp", "8080/tcp")),
                    name=f"示例漏洞 {n % 5000}",
                    signature=f"1.3.6.1.4.1.25623.1.0.{100000 + n % 5000}",
                    cves=[f"CVE-20{10 + n % 15}-{1000 + n % 90000}"],
                    severity=severities[n % len(severities)],
                    status=status,
                    first_seen=first,
                    last_seen=now - dt.timedelta(days=rng.random() * 7),
                    fixed_at=now if status == "fixed" else None,
                )
            )
        with transaction.atomic():
            Finding.objects.bulk_create(chunk, batch_size=BATCH)
        print(f"  漏洞 {min(FINDINGS, offset + 50_000):,}/{FINDINGS:,}", flush=True)

    officer = User.objects.get(username="security_officer")
    province = Org.objects.get(code="410000")
    notice_targets = rng.sample(schools, min(NOTICES, len(schools)))
    chunk = []
    for n in range(NOTICES):
        pk, path, _code = notice_targets[n % len(notice_targets)]
        issued = now - dt.timedelta(days=rng.randint(1, 200))
        state = rng.choice(("issued", "acknowledged", "rectifying", "retest", "closed", "closed"))
        chunk.append(
            Notice(
                number=f"豫教网通〔{issued.year}〕B{n + 1}号",  # beside the demo's own notices
                year=issued.year,
                sequence=100_000 + n,
                issuer_org=province,
                issuer_path=province.path,
                org_id=pk,
                org_path=path,
                title=f"关于整改高危漏洞的通报 {n + 1}",
                severity=rng.choice(("critical", "high", "medium")),
                required_actions="立即修补漏洞并提交整改报告",
                deadline=issued + dt.timedelta(days=3),
                status=state,
                overdue=state != "closed" and rng.random() < 0.3,
                handler_role="school_admin",
                verify_level="province",
                issued_by=officer,
                issued_at=issued,
                closed_at=issued + dt.timedelta(days=2) if state == "closed" else None,
            )
        )
    with transaction.atomic():
        Notice.objects.bulk_create(chunk, batch_size=BATCH)
        notices = list(Notice.objects.values_list("pk", "org_id"))
        through = Notice.findings.through
        by_org: dict[int, list[int]] = {}
        wanted = {org for _pk, org in notices}
        for fpk, org_id in Finding.objects.filter(org_id__in=wanted, status="fixing").values_list("pk", "org_id"):
            by_org.setdefault(org_id, []).append(fpk)
        links = []
        for npk, org_id in notices:
            for fpk in by_org.get(org_id, [])[:3]:
                links.append(through(notice_id=npk, finding_id=fpk))
        through.objects.bulk_create(links, batch_size=BATCH, ignore_conflicts=True)  # demo notices have links
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"生成：信息系统 {InformationSystem.objects.count():,}，资产 {Asset.objects.count():,}，"
        f"漏洞 {Finding.objects.count():,}"
        f"（待处置 {Finding.objects.filter(status__in=['open', 'fixing']).count():,}），"
        f"通报 {Notice.objects.count():,}：{time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return {"officer": officer, "province": province}


def raw_runner(queryset: Any) -> Callable[[], list[Any]]:
    """The queryset's own SQL on the raw cursor: the same query without the ORM's rows to objects."""
    from django.db import connection

    sql, params = queryset.query.sql_with_params()

    def run() -> list[Any]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    return run


def row(label: str, samples: list[float], peer_label: str, peer: list[float], target: float | None) -> dict[str, Any]:
    return {
        "label": label,
        "p50": pct(samples, 50),
        "p95": pct(samples, 95),
        "peer_label": peer_label,
        "peer_p95": pct(peer, 95),
        "ratio": pct(samples, 95) / max(pct(peer, 95), 1e-6),
        "target": target,
    }


def asset_search(officer: Any) -> list[dict[str, Any]]:
    from django.core.paginator import Paginator

    from edubase.secops import registry

    out = []
    cases = (
        ("文本“教务”", {"q": "教务"}),
        ("文本（稀有）“s7.21”", {"q": "s7.21"}),
        ("精确 IP", {"q": ip_of(ASSETS // 2 + 1)}),
        ("筛选 类型=服务器 状态=在用", {"kind": "server", "status": "online"}),
        ("筛选 未登记资产", {"registered": False}),
    )
    for label, filters in cases:
        qs = registry.assets_for(officer, **filters)

        def console(qs: Any = qs) -> int:
            page = Paginator(qs, 50).get_page(1)
            return len(list(page.object_list)) + page.paginator.count

        def api(qs: Any = qs) -> int:
            return len(list(qs.order_by("pk")[:51]))

        count_qs = qs.order_by()
        page_qs = qs[:50]

        def raw_console(page_qs: Any = page_qs, count_qs: Any = count_qs) -> int:
            return len(raw_runner(page_qs)()) + count_qs.count()

        hits = qs.count()
        out.append(
            row(
                f"资产检索 控制台 {label}（{hits:,} 条命中）",
                timed(console),
                "同一 SQL 直接执行",
                timed(raw_console),
                TARGET_MS,
            )
        )
        out.append(
            row(
                f"资产检索 API 首页 {label}",
                timed(api),
                "同一 SQL 直接执行",
                timed(raw_runner(qs.order_by("pk")[:51])),
                TARGET_MS,
            )
        )
    return out


def dashboards(actors: list[tuple[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, float]]:
    from edubase.secops import dashboard, rollup

    started = time.perf_counter()
    written = rollup.refresh()
    refresh_s = time.perf_counter() - started
    out = []
    for label, actor in actors:
        figures = dashboard.summary(actor)
        assert figures["source"] == "rollup", figures["note"]
        live = dashboard.summary(actor, live=True)
        assert live["findings"]["total"] == figures["findings"]["total"], (live["findings"], figures["findings"])
        out.append(
            row(
                f"安全态势 {label}（待处置漏洞 {figures['findings']['total']:,}）",
                timed(lambda a=actor: dashboard.summary(a)),
                "实时聚合 summary(live=True)",
                timed(lambda a=actor: dashboard.summary(a, live=True), runs=max(5, RUNS // 4)),
                TARGET_MS,
            )
        )
    return out, {"refresh_s": refresh_s, "rows": written}


def ledger(city_actor: Any) -> list[dict[str, Any]]:
    from django.db import connection

    from edubase.core.scope import _successor, scope_for
    from edubase.secops import notices

    path = scope_for(city_actor, "secops.view").paths[0]
    sql = (
        "SELECT n.number, n.title, n.org_path, o.name, o.code, i.name, n.severity, n.status, n.issued_at, "
        "n.deadline, n.overdue, e.name, n.closed_at, "
        "(SELECT COUNT(*) FROM secops_notice_findings f WHERE f.notice_id = n.id) "
        "FROM secops_notice n JOIN orgs_org o ON o.id = n.org_id JOIN orgs_org i ON i.id = n.issuer_org_id "
        "LEFT JOIN orgs_org e ON e.id = n.escalated_to_id "
        "WHERE n.org_path >= %s AND n.org_path < %s ORDER BY n.org_path, n.issued_at, n.id"
    )

    def raw() -> list[Any]:
        with connection.cursor() as cursor:
            cursor.execute(sql, [path, _successor(path)])
            return cursor.fetchall()

    rows = len(list(notices.ledger_rows(city_actor)))
    assert len(raw()) == rows, (len(raw()), rows)
    return [
        row(
            f"通报台账 XLSX 全量（郑州市，{rows:,} 条）",
            timed(lambda: notices.ledger_xlsx(city_actor)),
            "手写 SQL 取同样的行",
            timed(raw),
            TARGET_MS,
        ),
        row(
            "通报台账 ledger_rows 全量（郑州市）",
            timed(lambda: list(notices.ledger_rows(city_actor))),
            "手写 SQL 取同样的行",
            timed(raw),
            None,
        ),
    ]


def import_findings(officer: Any, province: Any) -> dict[str, Any]:
    from django.db import transaction

    from edubase.secops import findings, scanners
    from edubase.secops.models import Finding

    data = scanners.synthetic_csv(IMPORT_ROWS, hosts=max(1, IMPORT_ROWS // 25), prefix="172.16")
    started = time.perf_counter()
    first = findings.import_report(actor=officer, org=province, filename="bench-scan.csv", data=data)
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    again = findings.import_report(actor=officer, org=province, filename="bench-rescan.csv", data=data)
    again_s = time.perf_counter() - started
    # peer: a raw bulk INSERT of the same rows (parsed outside the clock), then removed
    report = scanners.parse_report(data, filename="bench-scan.csv")
    made = [
        Finding(
            org=province,
            org_path=province.path,
            fingerprint=hashlib.sha256(f"peer-{n}".encode()).hexdigest(),
            host=r.host,
            port=r.port,
            name=r.name,
            signature=r.signature,
            cves=list(r.cves),
            cvss=r.cvss,
            severity=r.severity,
            description=r.description,
            solution=r.solution,
            first_seen=first.uploaded_at,
            last_seen=first.uploaded_at,
        )
        for n, r in enumerate(report.results)
    ]
    started = time.perf_counter()
    with transaction.atomic():
        Finding.objects.bulk_create(made, batch_size=BATCH)
    peer_s = time.perf_counter() - started
    Finding.objects.filter(fingerprint__in=[f.fingerprint for f in made]).delete()
    return {"first_s": first_s, "first": first.counts, "again_s": again_s, "again": again.counts, "peer_s": peer_s}


def main() -> None:
    database = setup()
    from edubase.accounts.models import User

    print(
        f"[{database}] 网络安全基准：演示省份 {SCHOOLS:,} 所学校，信息系统 {SYSTEMS:,}，资产 {ASSETS:,}，"
        f"漏洞 {FINDINGS:,}，"
        f"通报 {NOTICES:,}；每项 {RUNS} 次取 p50/p95",
        flush=True,
    )
    made = build(database)
    officer = made["officer"]
    city = User.objects.get(username="zhengzhou_admin")
    county = User.objects.get(username="zhongyuan_admin")
    rows = asset_search(officer)
    dash, refresh = dashboards([("省级安全员", officer), ("市级（郑州市）", city), ("县级（中原区）", county)])
    rows += dash
    rows += ledger(city)
    imported = import_findings(officer, made["province"])

    print()
    print(f"{'项目':<44} {'p50 ms':>8} {'p95 ms':>8}   {'对照':<22} {'对照 p95':>9} {'比值':>7}  目标")
    misses = 0
    for r in rows:
        verdict = ""
        if r["target"] is not None:
            ok = r["p95"] < r["target"]
            misses += not ok
            verdict = f"{'PASS' if ok else 'MISS'}（< {r['target']:.0f} ms）"
        print(
            f"{r['label']:<44} {r['p50']:8.1f} {r['p95']:8.1f}   {r['peer_label']:<22} {r['peer_p95']:9.1f} "
            f"{r['ratio']:6.2f}×  {verdict}"
        )
    print(f"安全态势汇总刷新（secops.rollup 作业）：{refresh['refresh_s']:.2f} s，写入 {refresh['rows']:,} 行")
    ok = imported["first_s"] < TARGET_IMPORT_S
    misses += not ok
    print(
        f"漏洞导入 {IMPORT_ROWS:,} 行 CSV：首次 {imported['first_s']:.1f} s（新增 {imported['first']['new']:,}，"
        f"匹配资产外 {imported['first']['unmatched']:,}）"
        f" | 同一文件复扫 {imported['again_s']:.1f} s（已见 {imported['again']['seen']:,}）"
        f" | 对照 原始批量 INSERT 同样 {IMPORT_ROWS:,} 行 {imported['peer_s']:.1f} s"
        f" | 比值 {imported['first_s'] / max(imported['peer_s'], 1e-6):.1f}×"
        f" | {'PASS' if ok else 'MISS'}（< {TARGET_IMPORT_S:.0f} s）"
    )
    print(f"结论：{'全部达标' if not misses else f'{misses} 项未达标'}")


if __name__ == "__main__":
    main()
