"""Scanner report parsers: Greenbone/OpenVAS XML and the generic CSV/XLSX table."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from edubase.core.tabular import ImportRejected, write_xlsx
from edubase.secops import scanners

DATA = Path(__file__).parent / "data"
NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


def _rejected(data: bytes, filename: str) -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        scanners.parse_report(data, filename=filename, now=NOW)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("score", "severity"),
    [
        ("10", "critical"),
        ("9.0", "critical"),
        ("8.9", "high"),
        ("7.0", "high"),
        ("6.9", "medium"),
        ("4.0", "medium"),
        ("3.9", "low"),
        ("0.1", "low"),
        ("0", "info"),
    ],
)
def test_severity_follows_the_cvss_v3_bands(score, severity):
    assert scanners.severity_for(Decimal(score)) == severity


def test_without_a_score_the_threat_word_decides():
    assert scanners.severity_for(None, fallback="High") == "high"
    assert scanners.severity_for(None, fallback="高危") == "high"
    assert scanners.severity_for(None, fallback="Log") == "info"


def test_it_reads_a_gmp_get_reports_response():
    report = scanners.parse_report((DATA / "openvas_gvm22.xml").read_bytes(), filename="r.xml", now=NOW)
    assert report.format == "openvas"
    assert report.scanned_at == dt.datetime(2025, 3, 10, 2, 0, 17, tzinfo=dt.UTC)
    assert len(report.results) == 4
    ssl = report.results[0]
    assert (ssl.host, ssl.hostname, ssl.port) == ("10.8.1.10", "www.zy1x.edu.cn", "443/tcp")
    assert ssl.signature == "1.3.6.1.4.1.25623.1.0.152001"
    assert ssl.cves == ("CVE-2024-5535",)
    assert ssl.cvss == Decimal("9.8") and ssl.severity == "critical"
    assert ssl.solution.startswith("Update to version 3.3.2")
    assert "buffer overread" in ssl.description and "Installed version: 3.0.2" in ssl.description


def test_urls_and_other_refs_are_not_cves():
    report = scanners.parse_report((DATA / "openvas_gvm22.xml").read_bytes(), filename="r.xml", now=NOW)
    apache = report.results[2]
    assert apache.cves == ("CVE-2024-36387", "CVE-2024-38473", "CVE-2024-38477")
    assert report.results[1].cves == ()


def test_a_log_result_is_information_on_a_general_port():
    report = scanners.parse_report((DATA / "openvas_gvm22.xml").read_bytes(), filename="r.xml", now=NOW)
    log = report.results[3]
    assert (log.port, log.cvss, log.severity) == ("general/tcp", Decimal("0.0"), "info")


def test_it_reads_a_bare_gvm21_report_with_the_solution_in_tags():
    report = scanners.parse_report((DATA / "openvas_gvm21_report.xml").read_bytes(), filename="r.xml", now=NOW)
    weak, smb = report.results
    assert weak.solution.startswith("The configuration of this services")
    assert smb.cvss == Decimal("9.3") and smb.severity == "critical"
    assert smb.hostname == ""
    assert report.scanned_at == dt.datetime(2024, 11, 2, 8, 0, 3, tzinfo=dt.UTC)


def test_the_v3_score_wins_over_the_legacy_cvss_base():
    xml = (
        b'<report><results><result><host>10.0.0.1</host><port>80/tcp</port><nvt oid="1.2.3"><name>x</name>'
        b'<cvss_base>5.0</cvss_base><severities score="7.5"><severity type="cvss_base_v3"><score>7.5</score>'
        b"</severity></severities></nvt></result></results></report>"
    )
    (result,) = scanners.parse_openvas(xml, now=NOW).results
    assert result.cvss == Decimal("7.5") and result.severity == "high"


def test_it_refuses_an_external_entity():
    problems = _rejected((DATA / "hostile_xxe.xml").read_bytes(), "x.xml")
    assert problems == ["文件：XML 文件含有 DOCTYPE/实体声明，出于安全原因拒绝导入"]


def test_it_refuses_entity_expansion():
    problems = _rejected((DATA / "hostile_billion_laughs.xml").read_bytes(), "x.xml")
    assert "DOCTYPE" in problems[0]


def test_a_doctype_hidden_past_the_prolog_check_is_still_refused():
    xml = b"<?xml version='1.0'?>" + b" " * 70000 + b"<!DOCTYPE r [<!ENTITY e 'x'>]><report><results/></report>"
    problems = _rejected(xml, "x.xml")
    assert "DOCTYPE" in problems[0]


def test_malformed_xml_names_the_line():
    problems = _rejected((DATA / "malformed.xml").read_bytes(), "x.xml")
    assert problems[0].startswith("第 8 行：XML 格式错误")


def test_xml_that_is_no_report_is_refused():
    problems = _rejected(b"<html><body>not a report</body></html>", "x.xml")
    assert "找不到含 <results> 的 <report>" in problems[0]


def test_a_score_outside_0_10_names_the_result_and_line():
    xml = (
        b"<report><results>\n<result><host>10.0.0.1</host><port>80/tcp</port>"
        b'<nvt oid="1.2.3"><name>x</name><cvss_base>11.5</cvss_base></nvt></result>\n</results></report>'
    )
    problems = _rejected(xml, "x.xml")
    assert problems == ["第 2 行「<cvss_base>」列：第 1 个 <result>：CVSS 评分 11.5 超出 0–10 的范围"]


def test_an_impossible_date_is_refused():
    xml = (
        b"<report><scan_start>2025-02-30T10:00:00Z</scan_start><results><result><host>10.0.0.1</host>"
        b'<port>80/tcp</port><nvt oid="1.2.3"><name>x</name><cvss_base>5</cvss_base></nvt></result></results></report>'
    )
    problems = _rejected(xml, "x.xml")
    assert "2025-02-30T10:00:00Z" in problems[0] and "<scan_start>" in problems[0]


def test_a_result_without_a_host_is_refused():
    xml = b'<report><results><result><port>80/tcp</port><nvt oid="1"><name>x</name></nvt></result></results></report>'
    assert "缺少主机地址" in _rejected(xml, "x.xml")[0]


# --- CSV / XLSX --------------------------------------------------------------------------------


def test_it_reads_chinese_headers_and_several_cves_in_one_cell():
    report = scanners.parse_report((DATA / "generic_zh.csv").read_bytes(), filename="f.csv", now=NOW)
    assert report.format == "csv" and len(report.results) == 4
    traversal = report.results[1]
    assert traversal.host == "www.zy1x.edu.cn" and traversal.port == "80/tcp"
    assert traversal.cves == ("CVE-2021-41773", "CVE-2021-42013")
    assert [r.severity for r in report.results] == ["critical", "high", "medium", "info"]


def test_it_reads_english_headers_in_any_case():
    (result,) = scanners.parse_report((DATA / "generic_en.csv").read_bytes(), filename="f.csv", now=NOW).results
    assert (result.name, result.cvss, result.severity) == ("OpenSSH regreSSHion", Decimal("8.1"), "high")


def test_it_reads_xlsx():
    data = write_xlsx(
        ["IP", "端口", "漏洞名称", "CVE编号", "CVSS评分"], [["10.1.1.1", "8080", "Tomcat 弱口令", "", "7.2"]]
    )
    (result,) = scanners.parse_report(data, filename="f.xlsx", now=NOW).results
    assert (result.host, result.port, result.severity) == ("10.1.1.1", "8080/tcp", "high")


def test_it_reads_gbk_csv():
    data = "主机,漏洞名称,危险等级\n10.1.1.1,远程代码执行,高危\n".encode("gbk")
    report = scanners.parse_report(data, filename="f.csv", now=NOW)
    assert report.results[0].severity == "high" and report.encoding == "gb18030"


def test_an_unknown_column_is_refused():
    problems = _rejected("主机,漏洞名称,CVSS评分,备注\n10.1.1.1,x,5\n".encode(), "f.csv")
    assert problems == ["第 1 行「备注」列：无法识别的列名"]


def test_a_missing_required_column_is_refused():
    problems = _rejected("主机,CVSS评分\n10.1.1.1,5\n".encode(), "f.csv")
    assert any("缺少必需的列" in p and "漏洞名称" in p for p in problems)


def test_two_columns_for_one_field_are_refused():
    problems = _rejected("主机,IP,漏洞名称,CVSS评分\n10.1.1.1,10.1.1.1,x,5\n".encode(), "f.csv")
    assert any("含义相同" in p for p in problems)


def test_bad_rows_are_all_named():
    text = (
        "主机,端口,漏洞名称,CVE编号,CVSS评分,发现时间\n"
        "10.1.1.1,443,ok,,5.0,2025-01-01\n"
        "10.1.1.2,443,score,,10.5,\n"
        "not a host!,443,host,,5,\n"
        "10.1.1.3,99999,port,,5,\n"
        "10.1.1.4,443,cve,CVE-24-1,5,\n"
        "10.1.1.5,443,date,,5,2025-13-01\n"
        "10.1.1.6,443,future,,5,2031-01-01\n"
        "10.1.1.7,443,,,5,\n"
    )
    problems = _rejected(text.encode(), "f.csv")
    assert problems == [
        "第 3 行「CVSS评分」列：CVSS 评分 10.5 超出 0–10 的范围",
        "第 4 行「主机」列：「not a host!」不是有效的 IP 地址或域名",
        "第 5 行「端口」列：端口号 99999 超出 0–65535 的范围",
        "第 6 行「CVE编号」列：CVE 编号无效：CVE-24-1（应形如 CVE-2024-12345）",
        "第 7 行「发现时间」列：日期「2025-13-01」无效或格式不正确（应为 2024-05-10 或 2024-05-10T08:00:00Z）",
        "第 8 行「发现时间」列：日期「2031-01-01」不合理（早于 1999 年或晚于当前时间）",
        "第 9 行「漏洞名称」列：漏洞名称为空",
    ]


def test_a_row_with_neither_score_nor_severity_is_refused():
    problems = _rejected("主机,漏洞名称,CVSS评分\n10.1.1.1,x,\n".encode(), "f.csv")
    assert problems == ["第 2 行「CVSS评分」列：CVSS 评分与危险等级均为空"]


def test_other_file_types_are_refused():
    assert "仅支持" in _rejected(b"hello", "report.pdf")[0]


def test_hosts_are_normalised():
    assert scanners.normalise_host("HTTPS://WWW.Example.EDU.cn:8443/login") == "www.example.edu.cn"
    assert scanners.normalise_host("2001:DB8::1") == "2001:db8::1"
    assert scanners.normalise_host("10.0.0.1:80") == "10.0.0.1"
    assert scanners.normalise_host("999.1.1.1") is None


def test_the_synthetic_file_parses_to_the_rows_asked_for():
    report = scanners.parse_report(scanners.synthetic_csv(1_000, hosts=50), filename="big.csv", now=NOW)
    assert len(report.results) == 1_000
    assert len({r.host for r in report.results}) == 50
