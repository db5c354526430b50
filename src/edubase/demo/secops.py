"""The demo province's security picture (网络安全演示数据): registry, scans, notices, incidents, a drill.

Called at the end of ``build_demo``. Every school and bureau gets its information systems (门户网站,
教务系统, 一卡通, 邮件 …) with MLPS levels, grading, filing and assessment dates (some filings and
assessments overdue) and their assets (domains, servers with IPs, databases); a few systems are
decommissioned while their servers still answer (僵尸). The registry is written in bulk; everything
after it goes through the real services: three provincial scans (generated CSVs through
``findings.import_report``, 120, 40 and 5 days ago, so findings have real fingerprints, ages,
re-appearances and unregistered hosts), notices through ``notices.issue_notice`` and the workflow
engine at every stage (issued, acknowledged, re-test requested, closed, overdue and escalated),
two incidents and a drill through ``incidents``, then the dashboard rollup.

Deterministic: choices come from generators seeded by (seed, org code); dates are relative to the
day of the build. Idempotent: registry rows are made only for orgs that have none; the scans,
notices and incidents only once (marked by the first scan's file name). A larger scale adds the
new schools' registry.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from edubase.accounts.models import User
from edubase.core.pdf import Document
from edubase.demo import plan
from edubase.orgs.models import Org, OrgKind
from edubase.secops import findings, incidents, notices, registry, rollup
from edubase.secops.models import (
    Assessment,
    AssessmentConclusion,
    Asset,
    AssetKind,
    Finding,
    FindingStatus,
    Incident,
    InformationSystem,
    Notice,
    ScanImport,
    SystemStatus,
)

Progress = Callable[[str], None]

#: the first scan's file name marks the one-time part (scans, notices, incidents) as done
FIRST_SCAN = "演示-全省漏洞扫描-第1轮.csv"
SCANS = ((120, FIRST_SCAN), (40, "演示-全省漏洞扫描-第2轮.csv"), (5, "演示-全省漏洞扫描-第3轮.csv"))
BATCH = 2000

#: (name, subdomain, MLPS level choices, internet-facing, asset kinds) per system
_PORTAL = ("门户网站", "www", (2, 2, 2, 1), True, ("domain", "server"))
_ACADEMIC = ("教务管理系统", "jw", (2, 3, 3), True, ("application", "server", "database"))
_CARD = ("一卡通系统", "ykt", (2, 2, 3), False, ("server", "database"))
_MAIL = ("电子邮件系统", "mail", (2,), True, ("domain", "server"))
_CAMPUS = ("智慧校园平台", "i", (2, 2, 1), True, ("application", "server"))
_VIDEO = ("视频监控系统", "", (1, 2), False, ("server",))
_LIBRARY = ("图书管理系统", "lib", (1, 2), True, ("application", "server"))
_RECRUIT = ("招生报名系统", "zs", (3,), True, ("application", "server", "database"))
_STUDENTS = ("学生信息管理系统", "xg", (3, 3, 4), True, ("application", "server", "database"))
_BUREAU_PLATFORM = ("教育管理公共服务平台", "jyj", (3,), True, ("application", "server", "database"))
_BUREAU_OA = ("电子政务办公系统", "oa", (2,), False, ("server", "database"))
_EXAM = ("招生考试信息系统", "eea", (4,), True, ("application", "server", "database", "cloud"))

_PER_CATEGORY: dict[str, tuple[tuple[Any, ...], ...]] = {
    "11": (_PORTAL,),
    "21": (_PORTAL, _CAMPUS),
    "31": (_PORTAL, _CAMPUS, _CARD),
    "34": (_PORTAL, _ACADEMIC, _CARD, _VIDEO),
    "36": (_PORTAL, _ACADEMIC, _CARD, _RECRUIT),
    "41": (_PORTAL, _ACADEMIC, _CARD, _MAIL, _LIBRARY, _STUDENTS, _RECRUIT),
    "42": (_PORTAL, _ACADEMIC, _MAIL, _LIBRARY),
}
_DEFAULT_SYSTEMS = (_PORTAL, _CAMPUS)
_AGENCIES = ("河南省信息安全测评中心", "中原网络安全测评有限公司", "公安部第一研究所测评中心")

#: (name, CVE, CVSS, solution, ports) of the vulnerabilities the demo scans find
_VULNS: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    (
        "Apache Log4j2 远程代码执行漏洞",
        "CVE-2021-44228",
        "10.0",
        "升级 Log4j2 至 2.17.1 及以上",
        ("8080/tcp", "443/tcp"),
    ),
    (
        "Apache Struts2 S2-045 远程代码执行漏洞",
        "CVE-2017-5638",
        "10.0",
        "升级 Struts2 至 2.5.10.1 及以上",
        ("8080/tcp",),
    ),
    ("Redis 未授权访问漏洞", "CVE-2022-0543", "10.0", "设置访问口令并限制监听地址", ("6379/tcp",)),
    (
        "Oracle WebLogic 反序列化远程代码执行漏洞",
        "CVE-2019-2725",
        "9.8",
        "安装官方补丁，禁用 wls9_async 组件",
        ("7001/tcp",),
    ),
    ("ThinkPHP 5.x 远程代码执行漏洞", "CVE-2018-20062", "9.8", "升级 ThinkPHP 至 5.0.24 / 5.1.31 及以上", ("80/tcp",)),
    ("Microsoft Exchange ProxyShell 远程代码执行漏洞", "CVE-2021-34473", "9.8", "安装 Exchange 累积更新", ("443/tcp",)),
    ("SSL/TLS 协议信息泄露漏洞（SWEET32）", "CVE-2016-2183", "7.5", "禁用 3DES 等 64 位分组密码套件", ("443/tcp",)),
    ("OpenSSH 权限提升漏洞", "CVE-2021-41617", "7.0", "升级 OpenSSH 至 8.8 及以上", ("22/tcp",)),
    ("MySQL 数据库弱口令", "", "8.8", "修改为强口令，限制远程登录", ("3306/tcp",)),
    ("jQuery 跨站脚本漏洞", "CVE-2020-11022", "6.1", "升级 jQuery 至 3.5.0 及以上", ("80/tcp", "443/tcp")),
    ("OpenSSH 用户枚举漏洞", "CVE-2018-15473", "5.3", "升级 OpenSSH 至 7.8 及以上", ("22/tcp",)),
    ("Web 目录浏览", "", "5.3", "关闭 Web 服务器的目录浏览功能", ("80/tcp",)),
    ("HTTP 明文传输登录口令", "", "4.3", "全站启用 HTTPS", ("80/tcp",)),
    ("Nginx 版本信息泄露", "", "2.6", "配置 server_tokens off", ("80/tcp", "443/tcp")),
    ("ICMP 时间戳请求响应", "CVE-1999-0524", "2.1", "在防火墙上过滤 ICMP timestamp 报文", ("general/icmp",)),
)


@dataclass
class _Users:
    officer: User
    school_admin: User | None
    anchor: Org | None  # the school of the demo school_admin


def _rng(seed: int, *parts: object) -> random.Random:
    return random.Random("-".join(str(p) for p in (seed, "secops", *parts)))  # noqa: S311 - reproducible demo data


def _ip(index: int, host: int) -> str:
    """A campus address unique per org up to 64,000 orgs: 10.<index / 250>.<index % 250>.<host>."""
    return f"10.{(index // 250) % 256}.{index % 250}.{host}"


def _systems_of(org: Org) -> tuple[tuple[Any, ...], ...]:
    if org.kind == OrgKind.BUREAU:
        return (_PORTAL, _BUREAU_PLATFORM, _BUREAU_OA, _EXAM) if org.depth == 2 else (_PORTAL, _BUREAU_PLATFORM)
    return _PER_CATEGORY.get(org.school_category, _DEFAULT_SYSTEMS)


def _build_registry(seed: int, today: dt.date, now: dt.datetime, created: dict[str, int], say: Progress) -> None:
    """Systems, assessments and assets for every school and bureau that has none yet (bulk)."""
    holders = set(InformationSystem.objects.values_list("org_id", flat=True).distinct())
    orgs = list(Org.objects.filter(kind__in=[OrgKind.SCHOOL, OrgKind.BUREAU]).order_by("path"))
    index = {o.pk: n for n, o in enumerate(orgs)}
    todo = [o for o in orgs if o.pk not in holders]
    if not todo:
        return
    say(f"网络安全：为 {len(todo):,} 个学校和教育行政部门登记信息系统与资产")
    for start in range(0, len(todo), BATCH):
        chunk = todo[start : start + BATCH]
        systems: list[InformationSystem] = []
        parts: list[tuple[Any, ...]] = []
        for org in chunk:
            rng = _rng(seed, org.code)
            for spec in _systems_of(org):
                name, sub, levels, facing, kinds = spec
                if spec is _PORTAL and org.school_category == "11" and rng.random() < 0.4:
                    continue  # many kindergartens have no site of their own
                level = rng.choice(levels)
                went_live = today - dt.timedelta(days=rng.randint(60, 2500))
                graded = went_live - dt.timedelta(days=rng.randint(0, 30))
                status = SystemStatus.ONLINE
                roll = rng.random()
                if roll < 0.02:
                    status = SystemStatus.DECOMMISSIONED
                elif roll < 0.05:
                    status = SystemStatus.PLANNED
                filed_on = None
                if level >= 2 and rng.random() < 0.85:
                    filed_on = graded + dt.timedelta(days=rng.randint(5, 28))
                elif level >= 2 and rng.random() < 0.5:  # graded recently: not yet due
                    graded = today - dt.timedelta(days=rng.randint(1, 25))
                    went_live = graded
                last_assessed = None
                if level >= 3 and rng.random() < 0.9:
                    cycle = registry.ASSESSMENT_MONTHS[level] * 30
                    last_assessed = today - dt.timedelta(days=rng.randint(20, int(cycle * 1.3)))
                system = InformationSystem(
                    org=org,
                    org_path=org.path,
                    name=name,
                    description=f"{org.name}{name}",
                    status=status,
                    internet_facing=facing,
                    responsible_name=f"{org.name[:2]}网络管理员",
                    responsible_phone_masked=f"1{rng.randint(30, 99)}****{rng.randint(1000, 9999)}",
                    went_live_on=went_live,
                    mlps_level=level,
                    graded_on=graded,
                    filing_number=f"{org.region_code or '410000'}{rng.randint(10000, 99999)}-{graded:%y}001"
                    if filed_on
                    else "",
                    filed_on=filed_on,
                    cii=name == _EXAM[0],
                    last_assessed_on=last_assessed,
                    decommissioned_at=now - dt.timedelta(days=rng.randint(30, 300))
                    if status == SystemStatus.DECOMMISSIONED
                    else None,
                )
                system.filing_due = registry.filing_due(level=level, graded_on=graded, went_live_on=went_live)
                system.next_assessment_due = registry.next_assessment_due(
                    level=level, last_assessed_on=last_assessed, graded_on=graded
                )
                systems.append(system)
                parts.append((org, spec, rng.random()))
        InformationSystem.objects.bulk_create(systems, batch_size=BATCH)
        if systems and systems[0].pk is None:  # no RETURNING: read them back
            by_key = {
                (s.org_id, s.name): s
                for s in InformationSystem.objects.filter(org__in=chunk).only("pk", "org_id", "name")
            }
            systems = [by_key[s.org_id, s.name] for s in systems]
        assessments: list[Assessment] = []
        assets: list[Asset] = []
        for n, (system, (org, spec, luck)) in enumerate(zip(systems, parts, strict=True)):
            name, sub, _levels, facing, kinds = spec
            if system.last_assessed_on is not None:
                assessments.append(
                    Assessment(
                        system=system,
                        assessed_on=system.last_assessed_on,
                        agency=_AGENCIES[n % len(_AGENCIES)],
                        report_number=f"DJCP-{system.last_assessed_on:%Y}-{system.pk:06d}",
                        conclusion=AssessmentConclusion.BASIC if luck < 0.6 else AssessmentConclusion.PASS,
                        score=Decimal(70 + int(luck * 29)),
                    )
                )
            decommissioned = system.status == SystemStatus.DECOMMISSIONED
            for k, kind in enumerate(kinds):
                host = 10 + _systems_of(org).index(spec) * 10 + k
                domain = f"{sub}.s{org.code.lower()}.ha.edu.cn" if sub and kind in ("domain", "application") else ""
                ip = _ip(index[org.pk], host) if kind in ("server", "database", "cloud") else None
                assets.append(
                    Asset(
                        org=org,
                        org_path=org.path,
                        system=system,
                        kind=kind,
                        name=f"{name}{dict(AssetKind.choices)[kind]}",
                        domain=domain,
                        ip=ip,
                        detail={"server": "CentOS 7 / Nginx 1.20", "database": "MySQL 5.7", "cloud": "政务云 ECS"}.get(
                            kind, ""
                        ),
                        status=SystemStatus.DECOMMISSIONED if decommissioned else SystemStatus.ONLINE,
                        internet_exposed=facing and kind != "database",
                        # a decommissioned system whose server still answers: the zombie list
                        last_seen_at=now - dt.timedelta(days=1) if decommissioned else None,
                        decommissioned_at=system.decommissioned_at,
                    )
                )
        Assessment.objects.bulk_create(assessments, batch_size=BATCH)
        Asset.objects.bulk_create(assets, batch_size=BATCH)
        created["secops_systems"] += len(systems)
        created["secops_assets"] += len(assets)


def _scan_csv(seed: int, round_no: int, seen: dt.datetime, hosts: list[tuple[int, str]]) -> bytes:
    """A generic findings CSV: a stable sample of the registered hosts (most vulns persist between
    rounds, some are fixed, a few come back), plus hosts nobody registered."""
    lines = ["主机,端口,漏洞名称,检测项,CVE编号,CVSS评分,描述,解决方案,扫描时间"]
    stamp = f"{timezone.localtime(seen):%Y-%m-%d %H:%M}"
    for index, host in hosts:
        rng = _rng(seed, "scan", host)
        if rng.random() > 0.45:
            continue  # a clean host
        for v in rng.sample(range(len(_VULNS)), rng.randint(1, 3)):
            if _rng(seed, "round", host, v, round_no).random() < 0.15 * (round_no - 1):
                continue  # fixed by a later round
            name, cve, score, solution, ports = _VULNS[v]
            port = ports[index % len(ports)]
            lines.append(f"{host},{port},{name},demo-{v:03d},{cve},{score},{name}（演示扫描发现）,{solution},{stamp}")
    rng = _rng(seed, "unregistered", round_no)
    for n in range(4 + round_no * 2):  # hosts answering in school ranges that nobody registered
        host = _ip(rng.randrange(0, 400), 200 + n)
        name, cve, score, solution, ports = _VULNS[n % len(_VULNS)]
        lines.append(f"{host},{ports[0]},{name},demo-{n % len(_VULNS):03d},{cve},{score},未登记主机,{solution},{stamp}")
    return ("\n".join(lines) + "\n").encode()


def _scans(seed: int, users: _Users, province: Org, now: dt.datetime, created: dict[str, int], say: Progress) -> None:
    assets = [
        (pk, ip)
        for pk, ip in Asset.objects.filter(registered=True, ip__isnull=False, status=SystemStatus.ONLINE)
        .order_by("org_path", "pk")
        .values_list("pk", "ip")
        if ip
    ]
    for round_no, (days_ago, filename) in enumerate(SCANS, start=1):
        seen = now - dt.timedelta(days=days_ago)
        data = _scan_csv(seed, round_no, seen, assets)
        scan = findings.import_report(actor=users.officer, org=province, filename=filename, data=data, now=seen)
        created["secops_findings"] += scan.counts.get("new", 0)
        say(f"网络安全：导入扫描 {filename}（{scan.counts.get('rows', 0):,} 行，新增 {scan.counts.get('new', 0):,}）")
        if round_no == 1:  # some are fixed after the first round; the next scans find some of them again
            fixed = list(Finding.objects.filter(last_import=scan, severity="low").order_by("pk")[:12])
            for finding in fixed:
                findings.change_status(
                    actor=users.officer, finding=finding, status=FindingStatus.FIXED, reason="已修复"
                )
            # fixed a day after the scan (the service stamps the build time): later rounds are after it
            Finding.objects.filter(pk__in=[f.pk for f in fixed]).update(fixed_at=seen + dt.timedelta(days=1))
            for finding in Finding.objects.filter(last_import=scan, severity="info").order_by("pk")[:5]:
                findings.change_status(
                    actor=users.officer, finding=finding, status=FindingStatus.ACCEPTED, reason="内网设备，风险可控"
                )


def _evidence_pdf(number: str) -> bytes:
    return (
        Document(title="整改佐证材料", number=number)
        .paragraph("已按通报要求完成漏洞修补，复扫未再发现该漏洞。")
        .fields([("整改人", "学校网络管理员"), ("整改措施", "升级组件版本，关闭无关端口")])
        .render()
    )


def _notices(seed: int, users: _Users, now: dt.datetime, created: dict[str, int]) -> None:
    """Notices at every stage: the anchor school's go through the engine; others wait or run late."""
    notices.publish_process(actor=None)
    officer = users.officer
    open_critical = (
        Finding.objects.filter(status=FindingStatus.OPEN, severity__in=["critical", "high"], unknown_asset=False)
        .select_related("org")
        .order_by("org_path", "pk")
    )
    anchor_path = users.anchor.path if users.anchor is not None else None
    by_org: dict[int, list[Finding]] = {}
    for finding in open_critical[:4000]:
        if finding.org.kind == OrgKind.SCHOOL:
            by_org.setdefault(finding.org_id, []).append(finding)
    rng = _rng(seed, "notices")
    targets = [fs for fs in by_org.values() if fs[0].org_path != anchor_path]
    rng.shuffle(targets)
    issued: list[Notice] = []
    for n, found in enumerate(targets[:24]):
        late = n % 3 == 0  # issued long ago: past its deadline, escalated by the sweep
        when = now - dt.timedelta(days=rng.randint(8, 20) if late else rng.randint(0, 1), hours=rng.randint(1, 8))
        severity = "critical" if any(f.severity == "critical" for f in found) else "high"
        issued.append(
            notices.issue_notice(
                actor=officer,
                target=found[0].org,
                title=f"关于{found[0].org.name}存在{found[0].name}的通报",
                severity=severity,
                required_actions="立即核实并修补所列漏洞，整改完成后上传佐证材料并申请复测。",
                finding_ids=[f.pk for f in found[:3]],
                now=when,
            )
        )
    # the anchor school (the demo school_admin's): one notice at each stage of the case
    if users.school_admin is not None and users.anchor is not None:
        anchor = users.anchor
        own = list(Finding.objects.filter(org=anchor, status=FindingStatus.OPEN).order_by("pk"))
        stages = ("issued", "acknowledged", "retest", "closed", "reopened")
        for n, stage in enumerate(stages):
            found = own[n : n + 1]
            notice = notices.issue_notice(
                actor=officer,
                target=anchor,
                title=f"关于{anchor.name}网站安全隐患的通报（{n + 1}）",
                severity="high",
                required_actions="修补漏洞、加固服务器配置，并上传整改报告。",
                finding_ids=[f.pk for f in found],
                issue_text="" if found else "省级监测发现门户网站存在明文传输登录口令问题。",
                now=now - dt.timedelta(hours=6 - n),
            )
            if stage == "issued":
                continue
            notice = notices.acknowledge(actor=users.school_admin, notice=notice, comment="已签收，立即整改")
            if stage == "acknowledged":
                continue
            notices.upload_evidence(
                actor=users.school_admin,
                notice=notice,
                filename="整改佐证.pdf",
                data=_evidence_pdf(notice.number),
                note="复扫结果截图与整改说明",
            )
            notice = notices.request_retest(
                actor=users.school_admin, notice=notice, summary="已升级组件并关闭无关端口，复扫未发现该漏洞。"
            )
            if stage == "retest":
                continue
            if stage == "closed":
                notices.verify(actor=officer, notice=notice, decision="close", comment="复测通过，准予销号")
            else:
                notices.verify(actor=officer, notice=notice, decision="reopen", comment="复测仍可利用，请彻底整改")
        created["secops_notices"] += len(stages)
    created["secops_notices"] += len(issued)
    notices.escalate_overdue(now=now)


def _incidents(users: _Users, now: dt.datetime, created: dict[str, int]) -> None:
    officer = users.officer
    target = users.anchor or Org.objects.filter(kind=OrgKind.SCHOOL).order_by("path").first()
    if target is None:
        return
    portal = InformationSystem.objects.filter(org=target).order_by("pk").first()
    assets = list(Asset.objects.filter(org=target).order_by("pk").values_list("pk", flat=True)[:2])
    defaced = incidents.create_incident(
        actor=officer,
        org=target,
        title=f"{target.name}门户网站网页被篡改",
        grade="general",
        category="attack",
        discovered_at=now - dt.timedelta(hours=3),
        description="监测发现首页被植入博彩链接，已断网保护现场。",
        asset_ids=assets,
        system_ids=[portal.pk] if portal else [],
        playbook="defacement",
        now=now - dt.timedelta(hours=3),
    )
    incidents.transition(actor=officer, incident=defaced, to="responding", note="启动网页篡改处置预案")
    incidents.add_action(actor=officer, incident=defaced, text="已恢复首页，正在排查上传漏洞。")
    # a ransomware case from a month ago, closed with its report
    other = Org.objects.filter(kind=OrgKind.SCHOOL, school_category="34").order_by("path").first() or target
    ransom = incidents.create_incident(
        actor=officer,
        org=other,
        title=f"{other.name}一卡通服务器遭勒索病毒加密",
        grade="relatively_major",
        category="malware",
        discovered_at=now - dt.timedelta(days=30),
        description="一卡通数据库服务器文件被加密，业务中断。",
        playbook="ransomware",
        now=now - dt.timedelta(days=30),
    )
    for to, days in (("responding", 30), ("recovered", 28)):
        incidents.transition(actor=officer, incident=ransom, to=to, now=now - dt.timedelta(days=days))
    incidents.transition(
        actor=officer,
        incident=ransom,
        to="closed",
        post_report="隔离受感染主机，从离线备份恢复数据，业务于两日内恢复。",
        root_cause="远程桌面弱口令被暴力破解。",
        lessons="关闭互联网暴露的远程桌面，启用双因素认证，定期离线备份。",
        now=now - dt.timedelta(days=25),
    )
    drill = incidents.create_incident(
        actor=officer,
        org=target,
        title="全省教育系统网络安全应急演练（数据泄露场景）",
        grade="major",
        category="data_security",
        discovered_at=now - dt.timedelta(days=10),
        is_exercise=True,
        scenario="模拟学籍数据库遭拖库、数据在暗网出售，检验发现、上报、处置与通报流程。",
        playbook="data_leak",
        now=now - dt.timedelta(days=10),
    )
    incidents.evaluate_drill(
        actor=officer, incident=drill, score=86, text="上报及时，处置流程清晰；数据溯源环节用时偏长，需加强日志留存。"
    )
    created["secops_incidents"] += 3


def build(*, seed: int, created: dict[str, int], progress: Progress | None = None) -> None:
    """Add the security picture to the demo province (see the module text); counts go into ``created``."""
    say: Progress = progress or (lambda _message: None)
    for key in ("secops_systems", "secops_assets", "secops_findings", "secops_notices", "secops_incidents"):
        created.setdefault(key, 0)
    now = timezone.now()
    today = timezone.localdate(now)
    before = created["secops_systems"]
    _build_registry(seed, today, now, created, say)
    province = Org.objects.filter(kind=OrgKind.PROVINCE).order_by("path").first()
    officer = User.objects.filter(username="security_officer").first()
    if province is None or officer is None or ScanImport.objects.filter(filename=FIRST_SCAN).exists():
        if created["secops_systems"] > before:
            rollup.refresh(now=timezone.now())
        return
    users = _Users(
        officer=officer,
        school_admin=User.objects.filter(username="school_admin").first(),
        anchor=Org.objects.filter(code=plan.anchor_school_code()).first(),
    )
    _scans(seed, users, province, now, created, say)
    _notices(seed, users, now, created)
    _incidents(users, now, created)
    from edubase.demo import secops_logs

    secops_logs.build(seed=seed, created=created, progress=say, now=now)
    rollup.refresh(now=timezone.now())
    say(
        f"网络安全：漏洞 {Finding.objects.count():,}，通报 {Notice.objects.count():,}，"
        f"事件与演练 {Incident.objects.count():,}"
    )
