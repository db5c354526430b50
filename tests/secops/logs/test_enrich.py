"""Enrichment: org and asset from the registry, offline GeoIP, user-agent class."""

from __future__ import annotations

import ipaddress
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from edubase.orgs.models import Org
from edubase.secops.logs.enrich import Enricher, _record, geoip
from edubase.secops.logs.parsers import parse
from edubase.secops.logs.useragent import classify
from edubase.secops.models import Asset, LogSource
from edubase.secops.models.assets import SystemStatus

RECEIVED = datetime(2024, 5, 1, 2, 0, 30, tzinfo=UTC)


def event(raw: str | dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return parse(raw, received_at=RECEIVED, **kwargs)


def asset(org: Org, name: str, **fields: Any) -> Asset:
    kind = "domain" if fields.get("domain") else "ip_range" if fields.get("ip_range") else "server"
    return Asset.objects.create(org=org, org_path=org.path, name=name, kind=kind, **fields)


def source(org: Org, name: str) -> LogSource:
    return LogSource.objects.create(
        org=org, org_path=org.path, name=name, token_prefix=f"t{LogSource.objects.count()}", token_digest="0" * 64
    )


@pytest.fixture
def registry(world):  # type: ignore[no-untyped-def]
    """School A's web server and site, school B's server on a clashing private address, sources."""
    return {
        "web_a": asset(world.school_a, "web01", ip="10.12.0.10", domain="www.zy1x.edu.cn"),
        "db_a": asset(world.school_a, "数据库服务器", ip="10.12.0.20"),
        "srv_b": asset(world.school_b, "srv01", ip="10.12.0.10"),
        "lan_b": asset(world.school_b, "办公网段", ip_range="10.30.0.0/16"),
        "dc_c": asset(world.school_c, "DC01", ip="10.40.0.2"),
        "ghost": Asset.objects.create(
            org=world.school_a,
            org_path=world.school_a.path,
            name="unreg",
            kind="server",
            ip="10.12.0.99",
            registered=False,
        ),
        "src_a": source(world.school_a, "一小 rsyslog"),
        "src_b": source(world.school_b, "金水一中 Filebeat"),
        "src_city": source(world.zhengzhou, "郑州市教育局防火墙"),
    }


def test_event_of_a_registered_server_is_attributed_to_it(world, registry) -> None:  # type: ignore[no-untyped-def]
    ev = event("May  1 10:00:01 web01 sshd[1]: Failed password for root from 203.0.113.5 port 22 ssh2")
    Enricher.from_db(with_geo=False).apply(ev, registry["src_a"].pk)
    assert ev["edubase.asset_id"] == registry["web_a"].pk
    assert ev["edubase.org_path"] == world.school_a.path
    assert ev["edubase.source_id"] == registry["src_a"].pk


def test_same_private_ip_in_two_schools_resolves_inside_the_source_subtree(world, registry) -> None:  # type: ignore[no-untyped-def]
    enricher = Enricher.from_db(with_geo=False)
    a = enricher.apply(
        event("kernel: DROP IN=eth0 OUT= SRC=1.2.3.4 DST=10.12.0.10 PROTO=TCP SPT=1 DPT=22"), registry["src_a"].pk
    )
    b = enricher.apply(
        event("kernel: DROP IN=eth0 OUT= SRC=1.2.3.4 DST=10.12.0.10 PROTO=TCP SPT=1 DPT=22"), registry["src_b"].pk
    )
    assert (a["edubase.asset_id"], a["edubase.org_path"]) == (registry["web_a"].pk, world.school_a.path)
    assert (b["edubase.asset_id"], b["edubase.org_path"]) == (registry["srv_b"].pk, world.school_b.path)


def test_city_source_attributes_events_to_the_school_asset_below_it(world, registry) -> None:  # type: ignore[no-untyped-def]
    ev = event("kernel: DROP IN=eth0 OUT= SRC=1.2.3.4 DST=10.12.0.20 PROTO=TCP SPT=1 DPT=3306")
    Enricher.from_db(with_geo=False).apply(ev, registry["src_city"].pk)
    assert (ev["edubase.asset_id"], ev["edubase.org_path"]) == (registry["db_a"].pk, world.school_a.path)


def test_asset_outside_the_source_subtree_is_not_matched(world, registry) -> None:  # type: ignore[no-untyped-def]
    ev = event("May  1 10:00:01 dc01 sshd[1]: Failed password for root from 203.0.113.5 port 22 ssh2")
    Enricher.from_db(with_geo=False).apply(ev, registry["src_a"].pk)  # DC01 belongs to school C (Luoyang)
    assert ev["edubase.asset_id"] is None
    assert ev["edubase.org_path"] == world.school_a.path


def test_site_name_from_the_access_log_vhost(world, registry) -> None:  # type: ignore[no-untyped-def]
    ev = event('WWW.ZY1X.EDU.CN 203.0.113.5 - - [01/May/2024:10:00:00 +0800] "GET / HTTP/1.1" 200 1 "-" "x"')
    Enricher.from_db(with_geo=False).apply(ev, registry["src_city"].pk)
    assert ev["edubase.asset_id"] == registry["web_a"].pk


def test_host_name_matches_domain_and_short_name(world, registry) -> None:  # type: ignore[no-untyped-def]
    enricher = Enricher.from_db(with_geo=False)
    by_domain = enricher.apply(event({"EventID": 4625, "Hostname": "www.zy1x.edu.cn"}), registry["src_a"].pk)
    assert by_domain["edubase.asset_id"] == registry["web_a"].pk
    by_short = enricher.apply(event({"EventID": 4625, "Hostname": "SRV01.jsyz.local"}), registry["src_b"].pk)
    assert by_short["edubase.asset_id"] == registry["srv_b"].pk


def test_ip_range_asset_matches_the_reporting_host(world, registry) -> None:  # type: ignore[no-untyped-def]
    ev = event("plain words from a printer", host_ip="10.30.4.5")
    Enricher.from_db(with_geo=False).apply(ev, registry["src_b"].pk)
    assert (ev["edubase.asset_id"], ev["edubase.org_path"]) == (registry["lan_b"].pk, world.school_b.path)


def test_unregistered_assets_are_not_used(world, registry) -> None:  # type: ignore[no-untyped-def]
    ev = event("junk", host_ip="10.12.0.99")
    Enricher.from_db(with_geo=False).apply(ev, registry["src_a"].pk)
    assert ev["edubase.asset_id"] is None


def test_live_asset_preferred_over_decommissioned(world, registry) -> None:  # type: ignore[no-untyped-def]
    old = asset(world.school_a, "old-web", ip="10.12.0.55", status=SystemStatus.DECOMMISSIONED)
    new = asset(world.zhongyuan, "new-web", ip="10.12.0.55")
    ev = event("junk", host_ip="10.12.0.55")
    Enricher.from_db(with_geo=False).apply(ev, registry["src_city"].pk)
    assert ev["edubase.asset_id"] == new.pk != old.pk


def test_unknown_source_uses_only_unambiguous_assets(world, registry) -> None:  # type: ignore[no-untyped-def]
    enricher = Enricher.from_db(with_geo=False)
    ambiguous = enricher.apply(event("junk", host_ip="10.12.0.10"), None)
    assert (ambiguous["edubase.asset_id"], ambiguous["edubase.org_path"]) == (None, None)
    unique = enricher.apply(event("junk", host_ip="10.40.0.2"), 999999)
    assert (unique["edubase.asset_id"], unique["edubase.org_path"]) == (registry["dc_c"].pk, world.school_c.path)


def test_source_id_from_the_event_when_not_passed(world, registry) -> None:  # type: ignore[no-untyped-def]
    ev = event("junk", meta={"edubase.source_id": registry["src_b"].pk})
    Enricher.from_db(with_geo=False).apply(ev)
    assert ev["edubase.org_path"] == world.school_b.path


def test_cached_enricher_is_rebuilt_after_invalidate(world, registry) -> None:  # type: ignore[no-untyped-def]
    Enricher.invalidate()
    first = Enricher.cached()
    assert Enricher.cached() is first
    late = asset(world.school_b, "late", ip="10.12.7.7")
    assert first.match(event("junk", host_ip="10.12.7.7"), world.school_b.path) is None
    Enricher.invalidate()
    assert Enricher.cached().match(event("junk", host_ip="10.12.7.7"), world.school_b.path) == (
        late.pk,
        world.school_b.path,
    )
    Enricher.invalidate()


# ---------------------------------------------------------------------------------------------
# GeoIP (no database needed)


def geo_of(ip: str) -> tuple[Any, ...]:
    ev = Enricher(geo=geoip()).apply(event({"msg": "x", "src_ip": ip}))
    return (
        ev["source.geo.country_iso_code"],
        ev["source.geo.country_name"],
        ev["source.geo.region_name"],
        ev["source.geo.city_name"],
    )


def test_geoip_zhengzhou_in_chinese() -> None:
    # DB-IP Lite names provinces and cities in English only; edubase shows the Chinese names
    assert geo_of("1.192.0.1") == ("CN", "中国", "河南省", "郑州市")


def test_geoip_foreign_address() -> None:
    iso, country, _region, city = geo_of("8.8.8.8")
    assert (iso, country) == ("US", "美国")
    assert city


def test_geoip_ipv6_and_mapped() -> None:
    assert geo_of("::ffff:1.192.0.1")[0] == "CN"
    assert geo_of("2001:4860:4860::8888")[0] is not None


@pytest.mark.parametrize(
    "ip",
    [
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "127.0.0.1",
        "100.64.0.1",
        "169.254.1.1",
        "::1",
        "fe80::1",
        "fd00::1",
        "203.0.113.5",
    ],
)
def test_geoip_skips_private_and_reserved(ip: str) -> None:
    assert geo_of(ip) == (None, None, None, None)


def test_geoip_tree_walk_agrees_with_the_library() -> None:
    reader = geoip()
    assert reader is not None
    rng = random.Random(6)
    samples = ["1.192.0.1", "8.8.8.8", "223.5.5.5", "202.196.64.1", "2400:3200::1", "81.2.69.142"]
    samples += [".".join(str(rng.randint(1, 223)) for _ in range(4)) for _ in range(300)]
    for ip in samples:
        record = reader.record(ip)
        expected = _record(record) if record is not None and ipaddress.ip_address(ip).is_global else None
        assert reader.lookup(ip) == expected, ip


# ---------------------------------------------------------------------------------------------
# user agents


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        ("sqlmap/1.7.2#stable (https://sqlmap.org)", "scanner"),
        ("Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000001)", "scanner"),
        ("Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)", "scanner"),
        ("masscan/1.3 (https://github.com/robertdavidgraham/masscan)", "scanner"),
        ("Mozilla/5.0 zgrab/0.x", "scanner"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/120.0 Safari/537.36 nuclei",
            "scanner",
        ),
        ("Nuclei - Open-source project (github.com/projectdiscovery/nuclei)", "scanner"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.21 (KHTML, like Gecko) "
            "Chrome/41.0.2228.0 Safari/537.21 Acunetix-Product",
            "scanner",
        ),
        ("Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; WOW64; Trident/4.0; AWVS)", "scanner"),
        ("WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)", "scanner"),
        ("DirBuster-1.0-RC1 (http://www.owasp.org/index.php/Category:OWASP_DirBuster_Project)", "scanner"),
        ("gobuster/3.6", "scanner"),
        ("Fuzz Faster U Fool v2.1.0", "scanner"),
        ("python-requests/2.31.0", "tool"),
        ("curl/8.5.0", "tool"),
        ("Wget/1.21.4", "tool"),
        ("Go-http-client/1.1", "tool"),
        ("Java/1.8.0_392", "tool"),
        ("Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)", "bot"),
        (
            "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "bot",
        ),
        ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "bot"),
        ("Mozilla/5.0 (Linux; U; Android 4.1.1; zh-cn) YisouSpider/5.0 Safari/537.36", "bot"),
        ("Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)", "bot"),
        ("Mozilla/5.0 (compatible; Bytespider; spider-feedback@bytedance.com)", "bot"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
            "like Gecko) Mobile/15E148 MicroMessenger/8.0.47",
            "mobile",
        ),
        (
            "Mozilla/5.0 (Linux; Android 13; V2227A) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/116.0 Mobile Safari/537.36",
            "mobile",
        ),
        (
            "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/99.0 Mobile Safari/537.36",
            "mobile",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0",
            "browser",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, "
            "like Gecko) Version/17.4 Safari/605.1.15",
            "browser",
        ),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "browser"),
        ("", "unknown"),
        ("-", "unknown"),
        ("something odd", "unknown"),
    ],
)
def test_user_agent_classes(agent: str, expected: str) -> None:
    assert classify(agent) == expected


def test_user_agent_class_set_on_web_events_only() -> None:
    enricher = Enricher()
    web = enricher.apply(event('1.2.3.4 - - [01/May/2024:10:00:00 +0800] "GET / HTTP/1.1" 200 1 "-" "sqlmap/1.7"'))
    assert web["user_agent.class"] == "scanner"
    ssh = enricher.apply(event("Failed password for root from 203.0.113.5 port 22 ssh2"))
    assert ssh["user_agent.class"] is None
