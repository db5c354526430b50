"""Findings over the API (/api/v1/secops/findings) and the console pages (/secops/findings/)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from edubase.secops import findings
from edubase.secops.models import Asset, Finding, ScanImport
from tests.factories import make_user

pytestmark = pytest.mark.django_db

API = "/api/v1/secops/findings"
DATA = Path(__file__).parent / "data"


@pytest.fixture
def officer(world):
    return make_user("zz_officer", role="security_officer", org=world.zhengzhou)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def spread(world, officer):
    """Findings of school A (two), school B (one) and school C (洛阳, one)."""
    ly_officer = make_user("ly_officer", role="security_officer", org=world.luoyang)
    for school, ip in ((world.school_a, "10.8.1.10"), (world.school_b, "10.8.2.10"), (world.school_c, "10.30.2.5")):
        Asset.objects.create(org=school, org_path=school.path, kind="ip", name=ip, ip=ip)
    rows = "主机,端口,漏洞名称,CVE编号,CVSS评分\n10.8.1.10,443,甲一,CVE-2024-5535,9.8\n10.8.1.10,22,甲二,,5.3\n"
    rows += "10.8.2.10,80,乙,,7.5\n"
    findings.import_report(actor=officer, org=world.zhengzhou, filename="zz.csv", data=rows.encode())
    findings.import_report(
        actor=ly_officer, org=world.luoyang, filename="ly.csv", data="主机,漏洞名称,CVSS评分\n10.30.2.5,丙,8\n".encode()
    )
    return {f.name: f for f in Finding.objects.all()}


# --- API ---------------------------------------------------------------------------------------


def test_the_list_is_scoped_filtered_and_paged(world, spread):
    client = _client(world.city_admin)
    body = client.get(API, {"limit": 2}).json()
    assert len(body["items"]) == 2 and body["next"]
    rest = client.get(API, {"limit": 2, "cursor": body["next"]}).json()
    assert {i["name"] for i in body["items"] + rest["items"]} == {"甲一", "甲二", "乙"} and rest["next"] is None
    critical = client.get(API, {"severity": "critical"}).json()["items"]
    assert [(i["name"], i["severity_label"], i["cves"]) for i in critical] == [("甲一", "严重", ["CVE-2024-5535"])]
    assert [i["name"] for i in client.get(API, {"cve": "CVE-2024-5535"}).json()["items"]] == ["甲一"]


def test_a_school_reads_its_own_finding_but_not_another_citys(world, spread):
    client = _client(world.school_admin)
    detail = client.get(f"{API}/{spread['甲一'].pk}").json()
    assert detail["name"] == "甲一" and detail["allowed_statuses"] == ["fixing", "fixed"]
    missing = client.get(f"{API}/{spread['丙'].pk}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_a_school_moves_its_finding_to_fixing(world, spread):
    client = _client(world.school_admin)
    response = client.post(
        f"{API}/{spread['甲一'].pk}/status", {"status": "fixing", "reason": "升级中"}, content_type="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "fixing" and body["history"][0]["actor_label"] == "school_a_admin"


def test_accepting_a_risk_without_a_reason_is_refused(officer, spread):
    response = _client(officer).post(
        f"{API}/{spread['甲一'].pk}/status", {"status": "accepted"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert Finding.objects.get(pk=spread["甲一"].pk).status == "open"


def test_an_upload_imports_and_answers_the_counts(world, officer):
    upload = SimpleUploadedFile("r.xml", (DATA / "openvas_gvm22.xml").read_bytes())
    response = _client(officer).post(f"{API}/imports", {"file": upload, "org_id": world.zhengzhou.pk})
    assert response.status_code == 201
    assert response.json()["counts"]["new"] == 4 and response.json()["format"] == "openvas"


def test_a_bad_upload_answers_every_problem_and_writes_nothing(world, officer):
    data = "主机,漏洞名称,CVSS评分\n10.9.9.9,x,5\n10.9.9.8,y,12\nbad host,z,1\n".encode()
    response = _client(officer).post(f"{API}/imports", {"file": SimpleUploadedFile("f.csv", data)})
    assert response.status_code == 422
    details = response.json()["error"]["details"]
    assert [(d["row"], d["column"]) for d in details] == [(3, "CVSS评分"), (4, "主机")]
    assert not ScanImport.objects.exists() and not Finding.objects.exists() and not Asset.objects.exists()


def test_an_upload_for_another_city_is_not_found(world, officer):
    upload = SimpleUploadedFile("f.csv", "主机,漏洞名称,CVSS评分\n10.9.9.9,x,5\n".encode())
    response = _client(officer).post(f"{API}/imports", {"file": upload, "org_id": world.luoyang.pk})
    assert response.status_code == 404 and not ScanImport.objects.exists()


def test_imports_are_listed_within_scope(world, spread):
    names = [i["filename"] for i in _client(world.city_admin).get(f"{API}/imports").json()["items"]]
    assert names == ["zz.csv"]


# --- console -----------------------------------------------------------------------------------


def test_the_list_page_shows_badges_and_only_the_schools_findings(world, spread):
    page = _client(world.school_admin).get(reverse("secops:findings_list")).content.decode()
    assert "甲一" in page and "甲二" in page and "乙" not in page.split('id="finding-table"')[1]
    assert "bg-red text-red-fg" in page  # the 严重 badge


def test_the_import_page_lists_the_problems_and_writes_nothing(world, officer):
    data = "主机,漏洞名称,CVSS评分,备注\n10.9.9.9,x,5,\n".encode()
    response = _client(officer).post(
        reverse("secops:findings_import"), {"org": world.zhengzhou.pk, "file": SimpleUploadedFile("f.csv", data)}
    )
    assert response.status_code == 422
    assert "第 1 行「备注」列：无法识别的列名" in response.content.decode()
    assert not ScanImport.objects.exists()


def test_a_successful_import_shows_its_counts(world, officer):
    client = _client(officer)
    upload = SimpleUploadedFile("r.xml", (DATA / "openvas_gvm22.xml").read_bytes())
    response = client.post(reverse("secops:findings_import"), {"org": world.zhengzhou.pk, "file": upload})
    scan = ScanImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "secops:findings_import_detail", args=[scan.pk]
    )
    page = client.get(response["Location"]).content.decode()
    assert "未登记资产上的漏洞" in page and scan.digest_sm3 in page


def test_the_status_form_changes_the_finding_and_shows_the_history(world, spread):
    client = _client(world.school_admin)
    pk = spread["甲一"].pk
    response = client.post(reverse("secops:finding_status", args=[pk]), {"status": "fixed", "reason": "已升级"})
    assert response.status_code == 302
    page = client.get(reverse("secops:finding_detail", args=[pk])).content.decode()
    assert "已修复" in page and "已升级" in page


def test_a_school_cannot_import(world):
    response = _client(world.school_admin).get(reverse("secops:findings_import"))
    assert response.status_code == 403


def test_the_list_page_filters_by_cve_and_counts_per_severity(world, spread):
    page = _client(world.city_admin).get(reverse("secops:findings_list"), {"cve": "CVE-2024-5535"}).content.decode()
    table = page.split('id="finding-table"')[1]
    assert "甲一" in table and "甲二" not in table
    counts = page.split('id="severity-counts"')[1].split('id="finding-filter"')[0]
    assert '<span class="h3 m-0">1</span>' in counts
