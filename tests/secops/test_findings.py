"""Findings: importing scanner reports (matching, unknown assets, re-appearance, all-or-nothing),
the status workflow, and scoped reads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from edubase.core.errors import NotFound, PermissionDenied, ValidationFailed
from edubase.core.models import AuditEvent
from edubase.core.tabular import ImportRejected
from edubase.secops import findings, registry, scanners
from edubase.secops.models import Asset, Finding, FindingChange, RegistryChange, ScanImport
from tests.factories import make_user

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
NOW = dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def officer(world):
    """A security officer of 郑州 (secops.manage over the city)."""
    return make_user("zz_officer", role="security_officer", org=world.zhengzhou)


def _asset(org, *, ip=None, domain="", name="门户网站", **extra):
    kind = "ip" if ip else "domain"
    return Asset.objects.create(org=org, org_path=org.path, kind=kind, name=name, ip=ip, domain=domain, **extra)


def _csv(*rows: str, header: str = "主机,端口,漏洞名称,CVE编号,CVSS评分") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _import(officer, org, data, filename="scan.csv", now=NOW):
    return findings.import_report(actor=officer, org=org, filename=filename, data=data, now=now)


# --- matching ----------------------------------------------------------------------------------


def test_a_result_is_matched_to_a_registered_asset_by_ip(world, officer):
    asset = _asset(world.school_a, ip="10.8.1.10")
    _import(officer, world.zhengzhou, _csv("10.8.1.10,443/tcp,OpenSSL 越界读取,CVE-2024-5535,9.8"))
    finding = Finding.objects.get()
    assert (finding.org, finding.asset, finding.unknown_asset) == (world.school_a, asset, False)
    assert finding.severity == "critical" and finding.status == "open"
    asset.refresh_from_db()
    assert asset.last_seen_at == NOW


def test_a_result_is_matched_by_domain(world, officer):
    asset = _asset(world.school_b, domain="www.jsyz.edu.cn")
    _import(officer, world.zhengzhou, _csv("WWW.JSYZ.EDU.CN,80,目录遍历,,7.5"))
    finding = Finding.objects.get()
    assert (finding.org, finding.asset, finding.host) == (world.school_b, asset, "www.jsyz.edu.cn")


def test_an_openvas_hostname_matches_a_registered_domain(world, officer):
    asset = _asset(world.school_a, domain="www.zy1x.edu.cn")
    _import(officer, world.zhengzhou, (DATA / "openvas_gvm22.xml").read_bytes(), filename="r.xml")
    on_asset = Finding.objects.filter(asset=asset)
    assert on_asset.count() == 2 and {f.host for f in on_asset} == {"10.8.1.10"}
    assert all(f.org == world.school_a for f in on_asset)


def test_an_ip_inside_a_registered_range_is_matched(world, officer):
    asset = Asset.objects.create(
        org=world.school_a, org_path=world.school_a.path, kind="ip_range", name="校园网", ip_range="10.8.3.0/24"
    )
    _import(officer, world.zhengzhou, _csv("10.8.3.77,22,SSH 弱口令,,7.0"))
    assert Finding.objects.get().asset == asset


def test_an_asset_outside_the_scan_scope_is_not_matched(world, officer):
    _asset(world.school_c, ip="10.8.1.10")  # 洛阳 holds the same address
    _import(officer, world.zhengzhou, _csv("10.8.1.10,443,x,,5"))
    finding = Finding.objects.get()
    assert finding.unknown_asset and finding.org == world.zhengzhou


def test_an_unmatched_host_is_recorded_once_as_an_unregistered_asset(world, officer):
    _import(officer, world.zhengzhou, _csv("10.9.9.9,80,x,,5", "10.9.9.9,443,y,,6"))
    _import(officer, world.zhengzhou, _csv("10.9.9.9,80,x,,5"), now=NOW + dt.timedelta(days=7))
    unknown = Asset.objects.get(ip="10.9.9.9")
    assert (unknown.registered, unknown.org, unknown.kind) == (False, world.zhengzhou, "ip")
    assert unknown.last_seen_at == NOW + dt.timedelta(days=7)
    assert RegistryChange.objects.filter(target_id=unknown.pk, action="discover").count() == 1
    assert set(Finding.objects.values_list("unknown_asset", flat=True)) == {True}
    assert unknown in registry.zombies(officer)


# --- counts, fingerprint, audit, re-appearance -------------------------------------------------


def test_an_import_records_its_counts_digest_and_one_audit_event(world, officer):
    _asset(world.school_a, ip="10.8.1.10")
    data = (DATA / "openvas_gvm22.xml").read_bytes()
    scan = _import(officer, world.zhengzhou, data, filename="r.xml")
    assert scan.format == "openvas" and len(scan.digest_sm3) == 64
    assert scan.counts | {} == {
        "rows": 4,
        "hosts": 3,
        "new": 4,
        "seen": 0,
        "reopened": 0,
        "unmatched": 2,
        "unknown_hosts": 2,
        "discovered_assets": 2,
        "not_seen": 0,
        "duplicates": 0,
    }
    events = AuditEvent.objects.filter(action="secops.finding.import")
    assert events.count() == 1 and events.get().object_id == str(scan.pk)


def test_the_fingerprint_is_sm3_of_org_host_port_and_signature(world, officer):
    _asset(world.school_a, ip="10.8.1.10")
    _import(officer, world.zhengzhou, (DATA / "openvas_gvm22.xml").read_bytes(), filename="r.xml")
    finding = Finding.objects.get(port="443/tcp")
    from edubase.crypto.sm3 import sm3

    expected = sm3(f"{world.school_a.pk}|10.8.1.10|443/tcp|1.3.6.1.4.1.25623.1.0.152001".encode()).hex()
    assert finding.fingerprint == expected


def test_a_finding_seen_again_is_updated_not_duplicated(world, officer):
    _import(officer, world.zhengzhou, _csv("10.9.9.9,80,x,,5"))
    later = NOW + dt.timedelta(days=30)
    scan = _import(officer, world.zhengzhou, _csv("10.9.9.9,80,x,,5"), now=later)
    finding = Finding.objects.get()
    assert (finding.first_seen, finding.last_seen, finding.last_import) == (NOW, later, scan)
    assert (scan.counts["new"], scan.counts["seen"]) == (0, 1)


def test_a_changed_score_is_taken_from_the_latest_scan(world, officer):
    _import(officer, world.zhengzhou, _csv("10.9.9.9,80,x,,5"))
    _import(officer, world.zhengzhou, _csv("10.9.9.9,80,x,,9.1"), now=NOW + dt.timedelta(days=1))
    finding = Finding.objects.get()
    assert (str(finding.cvss), finding.severity) == ("9.1", "critical")


def test_a_fixed_finding_that_reappears_is_reopened(world, officer):
    _import(officer, world.zhengzhou, _csv("10.9.9.9,80,x,,5"))
    finding = findings.change_status(actor=officer, finding=Finding.objects.get(), status="fixed")
    scan = _import(officer, world.zhengzhou, _csv("10.9.9.9,80,x,,5"), now=finding.fixed_at + dt.timedelta(days=1))
    finding.refresh_from_db()
    assert (finding.status, finding.reopened_count, finding.fixed_at) == ("open", 1, None)
    assert scan.counts["reopened"] == 1
    last = FindingChange.objects.filter(finding=finding).first()
    assert (last.from_status, last.to_status, last.scan_import) == ("fixed", "open", scan)


def test_an_older_report_does_not_reopen_a_later_fix(world, officer):
    _import(officer, world.zhengzhou, _csv("10.9.9.9,80,x,,5"))
    fixed = findings.change_status(actor=officer, finding=Finding.objects.get(), status="fixed")
    old = _csv("10.9.9.9,80,x,,5,2025-01-01", header="主机,端口,漏洞名称,CVE编号,CVSS评分,发现时间")
    scan = _import(officer, world.zhengzhou, old, now=fixed.fixed_at + dt.timedelta(days=1))
    finding = Finding.objects.get()
    assert (finding.status, finding.reopened_count, scan.counts["reopened"]) == ("fixed", 0, 0)
    assert finding.last_seen == NOW  # never moved back by an older report


def test_an_accepted_risk_stays_accepted_when_seen_again(world, officer):
    _import(officer, world.zhengzhou, _csv("10.9.9.9,80,x,,5"))
    findings.change_status(actor=officer, finding=Finding.objects.get(), status="accepted", reason="内网隔离")
    _import(officer, world.zhengzhou, _csv("10.9.9.9,80,x,,5"), now=NOW + dt.timedelta(days=1))
    assert Finding.objects.get().status == "accepted"


def test_open_findings_missing_from_a_rescan_are_counted_not_closed(world, officer):
    _import(officer, world.zhengzhou, _csv("10.9.9.9,80,x,,5", "10.9.9.9,443,y,,5"))
    scan = _import(officer, world.zhengzhou, _csv("10.9.9.9,80,x,,5"), now=NOW + dt.timedelta(days=1))
    assert scan.counts["not_seen"] == 1
    assert set(Finding.objects.values_list("status", flat=True)) == {"open"}


def test_a_result_repeated_in_one_file_is_one_finding(world, officer):
    scan = _import(officer, world.zhengzhou, _csv("10.9.9.9,80,x,,5", "10.9.9.9,80/tcp,x,,5"))
    assert Finding.objects.count() == 1 and scan.counts["duplicates"] == 1


def test_a_large_import_takes_a_bounded_number_of_queries(world, officer, django_assert_max_num_queries):
    """Batches, not rows: row by row this would be well over 10,000 queries (SQLite inserts ~45 rows each)."""
    data = scanners.synthetic_csv(3_000, hosts=300)
    with django_assert_max_num_queries(150):
        scan = _import(officer, world.zhengzhou, data, filename="big.csv")
    assert scan.counts["new"] == Finding.objects.count() == 3_000
    with django_assert_max_num_queries(40):
        again = _import(officer, world.zhengzhou, data, filename="big.csv", now=NOW + dt.timedelta(days=1))
    assert again.counts["seen"] == 3_000


# --- bad input and scope -----------------------------------------------------------------------


def _nothing_written():
    return (
        ScanImport.objects.count(),
        Finding.objects.count(),
        Asset.objects.count(),
        AuditEvent.objects.filter(action__startswith="secops.finding").count(),
    ) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("hostile_xxe.xml", None),
        ("hostile_billion_laughs.xml", None),
        ("malformed.xml", None),
        ("bad.csv", "主机,漏洞名称,CVSS评分\n10.9.9.9,x,5\n10.9.9.8,y,12\n".encode()),
        ("bad.csv", "主机,漏洞名称,CVSS评分,备注\n10.9.9.9,x,5,\n".encode()),
    ],
)
def test_bad_input_writes_nothing(world, officer, name, data):
    payload = data if data is not None else (DATA / name).read_bytes()
    with pytest.raises(ImportRejected):
        _import(officer, world.zhengzhou, payload, filename=name)
    assert _nothing_written()


def test_a_report_without_results_is_refused(world, officer):
    with pytest.raises(ValidationFailed, match="没有任何扫描结果"):
        _import(officer, world.zhengzhou, b"<report><results/></report>", filename="empty.xml")
    assert _nothing_written()


def test_an_officer_cannot_import_for_another_city(world, officer):
    with pytest.raises(PermissionDenied):
        _import(officer, world.luoyang, _csv("10.9.9.9,80,x,,5"))
    assert _nothing_written()


def test_a_city_admin_without_manage_cannot_import(world):
    with pytest.raises(PermissionDenied):
        _import(world.city_admin, world.zhengzhou, _csv("10.9.9.9,80,x,,5"))


# --- status workflow ---------------------------------------------------------------------------


@pytest.fixture
def school_finding(world, officer):
    _asset(world.school_a, ip="10.8.1.10")
    _import(officer, world.zhengzhou, _csv("10.8.1.10,443,x,,5"))
    return Finding.objects.get()


def test_a_school_moves_its_finding_to_fixing_then_fixed(world, school_finding):
    fixing = findings.change_status(
        actor=world.school_admin, finding=school_finding, status="fixing", reason="已联系厂商"
    )
    fixed = findings.change_status(actor=world.school_admin, finding=fixing, status="fixed")
    assert fixed.status == "fixed" and fixed.fixed_at is not None
    history = list(FindingChange.objects.filter(finding=fixed).order_by("pk").values_list("from_status", "to_status"))
    assert history == [("open", "fixing"), ("fixing", "fixed")]
    assert AuditEvent.objects.filter(action="secops.finding.status", object_id=str(fixed.pk)).count() == 2


def test_a_school_cannot_accept_a_risk(world, school_finding):
    with pytest.raises(PermissionDenied):
        findings.change_status(actor=world.school_admin, finding=school_finding, status="accepted", reason="无法修复")


def test_accepting_a_risk_needs_a_reason(officer, school_finding):
    with pytest.raises(ValidationFailed, match="须填写理由"):
        findings.change_status(actor=officer, finding=school_finding, status="false_positive")
    marked = findings.change_status(actor=officer, finding=school_finding, status="false_positive", reason="版本误判")
    assert (marked.status, marked.status_reason) == ("false_positive", "版本误判")


def test_a_school_cannot_reopen_a_false_positive(world, officer, school_finding):
    marked = findings.change_status(actor=officer, finding=school_finding, status="false_positive", reason="误判")
    with pytest.raises(PermissionDenied):
        findings.change_status(actor=world.school_admin, finding=marked, status="open")


def test_a_fixed_finding_cannot_be_marked_accepted(officer, school_finding):
    fixed = findings.change_status(actor=officer, finding=school_finding, status="fixed")
    with pytest.raises(findings.TransitionRefused):
        findings.change_status(actor=officer, finding=fixed, status="accepted", reason="x")


def test_a_teacher_cannot_change_a_finding(world, school_finding):
    with pytest.raises(PermissionDenied):
        findings.change_status(actor=world.teacher, finding=school_finding, status="fixing")


def test_the_allowed_statuses_depend_on_the_actor(world, officer, school_finding):
    assert findings.allowed_statuses(world.school_admin, school_finding) == ["fixing", "fixed"]
    assert findings.allowed_statuses(officer, school_finding) == ["fixing", "fixed", "accepted", "false_positive"]


# --- reads -------------------------------------------------------------------------------------


@pytest.fixture
def spread(world, officer):
    """A finding in school A, one in school B (both 郑州) and one in school C (洛阳)."""
    luoyang_officer = make_user("ly_officer", role="security_officer", org=world.luoyang)
    _asset(world.school_a, ip="10.8.1.10")
    _asset(world.school_b, ip="10.8.2.10")
    _asset(world.school_c, ip="10.30.2.5")
    _import(officer, world.zhengzhou, _csv("10.8.1.10,443,甲漏洞,CVE-2024-5535,9.8", "10.8.2.10,80,乙漏洞,,5"))
    _import(luoyang_officer, world.luoyang, _csv("10.30.2.5,445,丙漏洞,CVE-2017-0144,8.1"))
    return {f.name: f for f in Finding.objects.all()}


def test_a_school_sees_only_its_own_findings(world, spread):
    assert {f.name for f in findings.findings_for(world.school_admin)} == {"甲漏洞"}


def test_a_city_sees_its_schools(world, spread):
    assert {f.name for f in findings.findings_for(world.city_admin)} == {"甲漏洞", "乙漏洞"}


def test_another_citys_finding_is_not_found(world, spread):
    with pytest.raises(NotFound):
        findings.get_finding(world.city_admin, pk=spread["丙漏洞"].pk)


def test_a_person_without_secops_sees_nothing(world, spread):
    assert not findings.findings_for(world.teacher).exists()


def test_filters(world, spread):
    actor = world.province_admin
    assert [f.name for f in findings.findings_for(actor, cve="cve-2024-5535")] == ["甲漏洞"]
    assert {f.name for f in findings.findings_for(actor, severity="critical,high")} == {"甲漏洞", "丙漏洞"}
    assert [f.name for f in findings.findings_for(actor, host="10.8.2.10")] == ["乙漏洞"]
    assert [f.name for f in findings.findings_for(actor, org_id=world.luoyang.pk)] == ["丙漏洞"]
    assert [f.name for f in findings.findings_for(actor, q="乙")] == ["乙漏洞"]
    assert not findings.findings_for(actor, unknown_asset=True).exists()
    assert findings.findings_for(actor, age=10, now=NOW + dt.timedelta(days=11)).count() == 3
    assert not findings.findings_for(actor, age=10, now=NOW + dt.timedelta(days=9)).exists()


def test_imports_are_listed_within_scope(world, spread):
    assert {s.org for s in findings.imports_for(world.city_admin)} == {world.zhengzhou}
    assert not findings.imports_for(world.school_admin).exists()
