"""Parsers: every supported format to the normalised schema; odd input kept raw, never raising."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edubase.secops.logs.parsers import parse
from edubase.secops.logs.schema import FIELDS

DATA = Path(__file__).parent / "data"
RECEIVED = datetime(2024, 5, 1, 2, 0, 30, tzinfo=UTC)  # 10:00:30 China time


def p(raw: str | bytes | dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("received_at", RECEIVED)
    return parse(raw, **kwargs)


def lines(name: str) -> list[bytes]:
    return [line for line in (DATA / name).read_bytes().split(b"\n") if line]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def subset(event: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    return {key: event[key] for key in expected}


# ---------------------------------------------------------------------------------------------
# every sample file


@pytest.mark.parametrize(
    ("name", "datasets"),
    [
        ("nginx_access.log", {"nginx.access"}),
        ("apache_access.log", {"nginx.access", "apache.access"}),
        ("auth.log", {"sshd", "pam"}),
        ("syslog.log", {"syslog", "sshd", "pam", "nginx.access", "iptables"}),
        ("firewall.log", {"iptables", "nftables"}),
        ("winlogbeat.ndjson", {"windows.security"}),
        ("nxlog.ndjson", {"windows.security"}),
    ],
)
def test_every_sample_line_is_parsed(name: str, datasets: set[str]) -> None:
    for raw in lines(name):
        event = p(raw)
        assert event["edubase.parsed"] is True, raw
        assert event["event.dataset"] in datasets, raw
        assert event["log.original"] == raw.decode()
        assert set(event) == set(FIELDS)
        assert event["@timestamp"].tzinfo is not None


def test_garbage_is_kept_raw() -> None:
    for raw in lines("garbage.txt"):
        event = p(raw, host_ip="10.1.1.1")
        assert event["event.dataset"] == "raw", raw
        assert event["event.kind"] == "raw"
        assert event["edubase.parsed"] is False
        assert event["log.original"] == raw.decode("utf-8", "replace") or event["log.original"]
        assert event["host.ip"] == "10.1.1.1"
        assert event["@timestamp"] == RECEIVED


def test_empty_line_is_raw() -> None:
    event = p("")
    assert event["event.dataset"] == "raw"
    assert event["log.original"] == ""


# ---------------------------------------------------------------------------------------------
# access logs


def test_nginx_combined() -> None:
    event = p(
        '1.192.0.1 - - [01/May/2024:10:00:00 +0800] "GET /index.php?id=1%27 HTTP/1.1" 500 128 '
        '"https://www.zy1x.edu.cn/" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0"',
        host_ip="10.12.0.5",
    )
    expected = {
        "event.dataset": "nginx.access",
        "event.category": "web",
        "event.action": "http_request",
        "event.outcome": "failure",
        "@timestamp": utc(2024, 5, 1, 2, 0, 0),
        "source.ip": "1.192.0.1",
        "http.request.method": "GET",
        "url.original": "/index.php?id=1%27",
        "url.path": "/index.php",
        "url.query": "id=1%27",
        "http.response.status_code": 500,
        "http.response.body.bytes": 128,
        "http.request.referrer": "https://www.zy1x.edu.cn/",
        "user_agent.original": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0",
        "host.ip": "10.12.0.5",
        "event.ingested": RECEIVED,
        "edubase.parsed": True,
    }
    assert subset(event, expected) == expected


def test_common_log_format_has_no_referrer_or_agent() -> None:
    event = p('1.192.0.1 - - [01/May/2024:10:00:13 +0800] "GET /common HTTP/1.0" 200 5')
    assert event["event.dataset"] == "nginx.access"
    assert event["url.path"] == "/common"
    assert event["user_agent.original"] is None
    assert event["http.request.referrer"] is None


def test_apache_dash_bytes_and_other_zone() -> None:
    event = p('203.0.113.63 - - [01/May/2024:10:00:04 -0500] "GET /?q=\\"x\\" HTTP/1.1" 200 -', hint="apache")
    assert event["event.dataset"] == "apache.access"
    assert event["@timestamp"] == utc(2024, 5, 1, 15, 0, 4)
    assert event["http.response.body.bytes"] == 0
    assert event["url.query"] == 'q="x"'


def test_nginx_hex_escapes_are_undone() -> None:
    event = p(
        '203.0.113.50 - - [01/May/2024:10:00:03 +0800] "GET /s?q=\\x22><script>alert(1)</script> HTTP/1.1" '
        '400 166 "-" "Mozilla/5.0 \\x22quoted\\x22 agent"'
    )
    assert event["url.original"] == '/s?q="><script>alert(1)</script>'
    assert event["user_agent.original"] == 'Mozilla/5.0 "quoted" agent'


def test_apache_escaped_quote_in_user_agent() -> None:
    event = p(
        '203.0.113.61 - - [01/May/2024:10:00:02 +0800] "GET /cgi-bin/test.cgi HTTP/1.1" 404 196 "-" '
        '"() { :; }; /bin/bash -c \\"cat /etc/passwd\\""'
    )
    assert event["user_agent.original"] == '() { :; }; /bin/bash -c "cat /etc/passwd"'
    assert event["http.response.status_code"] == 404


@pytest.mark.parametrize("client", ["2001:db8:85a3::8a2e:370:7334", "::1", "fe80::1", "::ffff:1.192.0.1"])
def test_ipv6_clients(client: str) -> None:
    event = p(f'{client} - - [01/May/2024:10:00:04 +0800] "GET /robots.txt HTTP/1.1" 200 45 "-" "curl/8.5.0"')
    assert event["event.dataset"] == "nginx.access"
    assert event["source.ip"] == (client if not client.startswith("::ffff:") else "1.192.0.1")


def test_vhost_prefix_nginx_and_apache_port() -> None:
    nginx = p('WWW.ZY1X.edu.cn 1.192.0.1 - - [01/May/2024:10:00:11 +0800] "GET /news/ HTTP/2.0" 200 10 "-" "x"')
    assert nginx["url.domain"] == "www.zy1x.edu.cn"
    assert nginx["source.ip"] == "1.192.0.1"
    assert nginx["event.dataset"] == "nginx.access"
    apache = p('www.jx2z.edu.cn:443 203.0.113.60 - - [01/May/2024:10:00:01 +0800] "GET /wp-login.php HTTP/1.1" 404 1')
    assert apache["url.domain"] == "www.jx2z.edu.cn"
    assert apache["event.dataset"] == "apache.access"


def test_vhost_with_ipv6_client() -> None:
    event = p('www.a.cn 2001:db8::1 - bob [01/May/2024:10:00:00 +0800] "POST /login HTTP/1.1" 302 - "-" "-"')
    assert (event["url.domain"], event["source.ip"], event["user.name"]) == ("www.a.cn", "2001:db8::1", "bob")
    assert event["user_agent.original"] is None


def test_malformed_requests_are_kept() -> None:
    tls = p('198.51.100.7 - - [01/May/2024:10:00:07 +0800] "\\x16\\x03\\x01\\x02\\x00" 400 157 "-" "-"')
    assert tls["event.dataset"] == "nginx.access"
    assert tls["http.request.method"] is None
    assert tls["url.original"] == "\x16\x03\x01\x02\x00"
    dash = p('198.51.100.7 - - [01/May/2024:10:00:08 +0800] "-" 400 0 "-" "-"')
    assert dash["url.original"] is None
    assert dash["http.response.status_code"] == 400


def test_extra_nginx_fields_after_the_agent_are_ignored() -> None:
    event = p(
        '1.192.0.1 - - [01/May/2024:10:00:12 +0800] "GET /a?b=c HTTP/1.1" 200 5 "-" "Mozilla/5.0" "1.192.0.2" 0.003'
    )
    assert event["user_agent.original"] == "Mozilla/5.0"
    assert event["url.query"] == "b=c"


def test_access_log_bad_time_is_raw() -> None:
    assert p('1.2.3.4 - - [bad time] "GET / HTTP/1.1" 200 1')["event.dataset"] == "raw"


def test_access_log_with_unparsable_time_uses_receipt() -> None:
    event = p('1.2.3.4 - - [41/Foo/2024:10:00:00 +0800] "GET / HTTP/1.1" 200 1')
    assert event["event.dataset"] == "nginx.access"
    assert event["@timestamp"] == RECEIVED


# ---------------------------------------------------------------------------------------------
# sshd / PAM


SSHD = [
    (
        "Failed password for root from 203.0.113.5 port 51234 ssh2",
        {
            "event.action": "ssh_login",
            "event.outcome": "failure",
            "user.name": "root",
            "source.ip": "203.0.113.5",
            "source.port": 51234,
        },
    ),
    (
        "Failed password for invalid user admin from 203.0.113.5 port 51236 ssh2",
        {"event.action": "ssh_login", "event.outcome": "failure", "user.name": "admin"},
    ),
    (
        "Failed none for invalid user  from 203.0.113.5 port 51236 ssh2",
        {"event.action": "ssh_login", "event.outcome": "failure", "user.name": ""},
    ),
    (
        "Failed publickey for git from 2001:db8::5 port 33000 ssh2: RSA SHA256:abc",
        {"event.action": "ssh_login", "event.outcome": "failure", "source.ip": "2001:db8::5"},
    ),
    (
        "Accepted password for zhangsan from 10.12.3.4 port 50022 ssh2",
        {"event.action": "ssh_login", "event.outcome": "success", "user.name": "zhangsan", "source.ip": "10.12.3.4"},
    ),
    (
        "Accepted publickey for deploy from 10.12.3.5 port 50100 ssh2: ED25519 SHA256:3Bz5Yk0m",
        {"event.action": "ssh_login", "event.outcome": "success", "user.name": "deploy"},
    ),
    (
        "Accepted keyboard-interactive/pam for alice from 10.12.3.6 port 50101 ssh2",
        {"event.action": "ssh_login", "event.outcome": "success", "user.name": "alice"},
    ),
    (
        "Invalid user oracle from 203.0.113.5 port 51240",
        {"event.action": "ssh_invalid_user", "event.outcome": "failure", "user.name": "oracle", "source.port": 51240},
    ),
    ("Invalid user test from 203.0.113.5", {"event.action": "ssh_invalid_user", "source.port": None}),
    (
        "Connection closed by authenticating user root 203.0.113.5 port 51250 [preauth]",
        {"event.action": "ssh_connection_closed", "user.name": "root", "source.ip": "203.0.113.5"},
    ),
    (
        "Connection closed by 203.0.113.5 port 51251 [preauth]",
        {"event.action": "ssh_connection_closed", "user.name": None, "source.port": 51251},
    ),
    (
        "Disconnected from invalid user test 203.0.113.6 port 40022 [preauth]",
        {"event.action": "ssh_disconnect", "user.name": "test", "source.ip": "203.0.113.6"},
    ),
    (
        "Disconnected from user zhangsan 10.12.3.4 port 50022",
        {"event.action": "ssh_disconnect", "user.name": "zhangsan"},
    ),
    ("Received disconnect from 203.0.113.5 port 51260:11: Bye Bye [preauth]", {"event.action": "ssh_disconnect"}),
    (
        "error: maximum authentication attempts exceeded for invalid user admin from "
        "203.0.113.5 port 51270 ssh2 [preauth]",
        {"event.action": "ssh_max_auth_attempts", "event.outcome": "failure", "user.name": "admin"},
    ),
    (
        "Disconnecting authenticating user root 203.0.113.5 port 51270: Too many authentication failures [preauth]",
        {"event.action": "ssh_too_many_failures", "event.outcome": "failure", "user.name": "root"},
    ),
    ("Did not receive identification string from 198.51.100.20 port 60000", {"event.action": "ssh_no_identification"}),
    (
        "Unable to negotiate with 198.51.100.21 port 60001: no matching key exchange method found.",
        {"event.action": "ssh_negotiation_failed", "source.ip": "198.51.100.21"},
    ),
    (
        "Bad protocol version identification 'GET / HTTP/1.1' from 198.51.100.22 port 60002",
        {"event.action": "ssh_bad_protocol", "source.ip": "198.51.100.22"},
    ),
    ("Server listening on 0.0.0.0 port 22.", {"event.action": None, "event.dataset": "sshd"}),
]


@pytest.mark.parametrize(("message", "expected"), SSHD, ids=[m[:40] for m, _ in SSHD])
def test_sshd_messages_via_syslog(message: str, expected: dict[str, Any]) -> None:
    event = p(f"<38>May  1 10:00:01 web01 sshd[2101]: {message}")
    assert event["event.dataset"] == expected.get("event.dataset", "sshd")
    assert event["event.category"] == "authentication"
    assert event["host.name"] == "web01"
    assert event["process.name"] == "sshd"
    assert event["process.pid"] == 2101
    assert event["message"] == message
    assert event["@timestamp"] == utc(2024, 5, 1, 2, 0, 1)
    assert subset(event, expected) == expected


def test_sshd_session_tag_of_openssh_98() -> None:
    event = p("May  1 10:00:22 web01 sshd-session[2117]: Failed password for root from 203.0.113.7 port 40000 ssh2")
    assert (event["event.dataset"], event["event.action"], event["process.name"]) == (
        "sshd",
        "ssh_login",
        "sshd-session",
    )


def test_bare_sshd_message_without_header() -> None:
    event = p("Failed password for root from 203.0.113.7 port 22 ssh2")
    assert (event["event.dataset"], event["event.outcome"], event["source.ip"]) == ("sshd", "failure", "203.0.113.7")


def test_sshd_host_names_never_go_into_ip_fields() -> None:
    event = p("May  1 10:00:01 web01 sshd[1]: Failed password for root from attacker.example.com port 22 ssh2")
    assert event["event.action"] == "ssh_login"
    assert event["source.ip"] is None


PAM = [
    (
        "sshd[2110]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
        "tty=ssh ruser= rhost=203.0.113.5  user=root",
        {
            "event.action": "pam_auth_failure",
            "event.outcome": "failure",
            "user.name": "root",
            "source.ip": "203.0.113.5",
        },
    ),
    (
        "sshd[2110]: pam_unix(sshd:auth): authentication failure; logname= uid=0 "
        "euid=0 tty=ssh ruser= rhost=203.0.113.5",
        {"event.action": "pam_auth_failure", "user.name": None, "source.ip": "203.0.113.5"},
    ),
    (
        "sshd[2110]: PAM 2 more authentication failures; logname= uid=0 euid=0 "
        "tty=ssh ruser= rhost=203.0.113.5  user=root",
        {"event.action": "pam_more_failures", "user.name": "root"},
    ),
    (
        "sshd[2111]: pam_unix(sshd:session): session opened for user zhangsan(uid=1000) by (uid=0)",
        {"event.action": "pam_session_opened", "event.outcome": "success", "user.name": "zhangsan"},
    ),
    (
        "sudo: pam_unix(sudo:auth): authentication failure; logname=zhangsan uid=1000 euid=0 "
        "tty=/dev/pts/0 ruser=zhangsan rhost=  user=zhangsan",
        {"event.action": "pam_auth_failure", "user.name": "zhangsan", "source.ip": None, "process.name": "sudo"},
    ),
    ("su[3001]: pam_unix(su:session): session closed for user root", {"event.action": "pam_session_closed"}),
    (
        "CRON[4242]: pam_unix(cron:session): session opened for user root by (uid=0)",
        {"event.action": "pam_session_opened", "user.name": "root", "process.name": "CRON"},
    ),
    (
        "sshd[2115]: pam_faillock(sshd:auth): Consecutive login failures for user root account temporarily locked",
        {"event.action": "account_locked", "user.name": "root"},
    ),
    ("login[77]: pam_tally2(login:auth): user root (0) tally 4, deny 3", {"event.action": "account_locked"}),
]


@pytest.mark.parametrize(("tail", "expected"), PAM, ids=[t[:40] for t, _ in PAM])
def test_pam_messages(tail: str, expected: dict[str, Any]) -> None:
    event = p(f"May  1 10:00:12 web01 {tail}")
    assert event["event.dataset"] == "pam"
    assert event["event.category"] == "authentication"
    assert subset(event, expected) == expected


# ---------------------------------------------------------------------------------------------
# syslog headers, times, years


def test_rfc3164_with_pri() -> None:
    event = p("<13>May  1 10:00:00 host1 myapp[77]: started worker 3")
    expected = {
        "event.dataset": "syslog",
        "log.syslog.facility": 1,
        "event.severity": 5,
        "host.name": "host1",
        "log.syslog.appname": "myapp",
        "process.pid": 77,
        "message": "started worker 3",
        "@timestamp": utc(2024, 5, 1, 2, 0, 0),
    }
    assert subset(event, expected) == expected


def test_rfc3164_without_host() -> None:
    event = p("<13>May  1 10:00:00 sshd[5]: Accepted password for a from 10.0.0.1 port 1 ssh2")
    assert event["host.name"] is None
    assert event["event.action"] == "ssh_login"


def test_rfc3164_local_time_is_china_standard_time() -> None:
    event = p("Jan 15 08:00:00 h t: x", received_at=utc(2024, 1, 15, 1, 0))
    assert event["@timestamp"] == utc(2024, 1, 15, 0, 0)


def test_rfc3164_year_is_receipt_year() -> None:
    assert p("Mar  3 10:00:00 h t: x")["@timestamp"].year == 2024


def test_rfc3164_december_line_received_in_january_is_last_year() -> None:
    event = p("Dec 31 23:59:58 h t: x", received_at=utc(2024, 12, 31, 16, 0, 5))  # 2025-01-01 00:00:05 CST
    assert event["@timestamp"] == utc(2024, 12, 31, 15, 59, 58)


def test_rfc3164_slightly_future_line_keeps_this_year() -> None:
    # clocks a few hours ahead of the receiver: still this year
    event = p("May  1 18:00:00 h t: x")
    assert event["@timestamp"] == utc(2024, 5, 1, 10, 0, 0)


def test_rfc3164_more_than_a_day_ahead_is_last_year() -> None:
    assert p("May  3 10:00:00 h t: x")["@timestamp"] == utc(2023, 5, 3, 2, 0, 0)


def test_rfc3164_leap_day_in_a_year_without_one() -> None:
    event = p("Feb 29 10:00:00 h t: x", received_at=utc(2025, 3, 1))
    assert event["@timestamp"] == utc(2024, 2, 29, 2, 0, 0)


def test_syslog_with_impossible_time_uses_receipt() -> None:
    event = p("<13>Foo 99 99:99:99 host tag: hi")
    assert event["event.dataset"] == "syslog"
    assert event["@timestamp"] == RECEIVED


def test_rfc5424_with_structured_data_and_bom() -> None:
    event = p(
        '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" '
        'eventSource="App\\]lication" eventID="1011"][other@1 a="b"] \ufeffAn application event log entry'
    )
    expected = {
        "event.dataset": "syslog",
        "@timestamp": datetime(2003, 10, 11, 22, 14, 15, 3000, tzinfo=UTC),
        "host.name": "mymachine.example.com",
        "log.syslog.appname": "evntslog",
        "process.pid": None,
        "log.syslog.facility": 20,
        "event.severity": 5,
        "message": "An application event log entry",
    }
    assert subset(event, expected) == expected


def test_rfc5424_offset_and_microseconds() -> None:
    event = p("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.")
    assert event["@timestamp"] == datetime(2003, 8, 24, 12, 14, 15, 3, tzinfo=UTC)
    assert event["process.pid"] == 8710
    assert event["message"] == "%% It's time to make the do-nuts."


def test_rfc5424_nanoseconds_are_truncated() -> None:
    event = p("<14>1 2024-05-01T10:00:00.123456789+08:00 h app - - - x")
    assert event["@timestamp"] == datetime(2024, 5, 1, 2, 0, 0, 123456, tzinfo=UTC)


def test_rfc5424_nil_fields() -> None:
    event = p("<14>1 - - - - - - a message with nil header fields")
    assert event["@timestamp"] == RECEIVED
    assert event["host.name"] is None
    assert event["message"] == "a message with nil header fields"


def test_rfc5424_without_pri_carries_sshd() -> None:
    event = p("1 2024-05-01T10:00:01+08:00 web01 sshd 2101 - - Failed password for root from 203.0.113.5 port 1 ssh2")
    assert (event["event.dataset"], event["host.name"], event["process.pid"]) == ("sshd", "web01", 2101)


def test_rsyslog_forward_format_carries_nginx() -> None:
    event = p(
        '<190>2024-05-01T10:00:02.000+08:00 web02 nginx: 1.192.0.1 - - [01/May/2024:10:00:02 +0800] "GET / HTTP/1.1" '
        '200 612 "-" "Mozilla/5.0"'
    )
    assert (event["event.dataset"], event["host.name"], event["source.ip"]) == ("nginx.access", "web02", "1.192.0.1")
    assert event["log.syslog.facility"] == 23
    assert event["message"].startswith("1.192.0.1 - -")


def test_rfc3339_without_pri() -> None:
    event = p("2024-05-01T10:00:03+08:00 web02 systemd[1]: Started Session 42 of user zhangsan.")
    assert (event["event.dataset"], event["process.name"], event["@timestamp"]) == (
        "syslog",
        "systemd",
        utc(2024, 5, 1, 2, 0, 3),
    )


def test_syslog_carried_apache_by_tag() -> None:
    event = p('<190>May  1 10:00:02 web02 httpd[9]: 1.192.0.1 - - [01/May/2024:10:00:02 +0800] "GET / HTTP/1.1" 200 6')
    assert event["event.dataset"] == "apache.access"


def test_syslog_carried_json() -> None:
    event = p('<14>May  1 10:00:02 dc01 nxlog: {"EventID":4625,"TargetUserName":"admin","IpAddress":"203.0.113.9"}')
    assert (event["event.dataset"], event["event.action"], event["host.name"]) == (
        "windows.security",
        "logon_failed",
        "dc01",
    )


def test_pri_out_of_range_is_raw() -> None:
    assert p("<999>May  1 10:00:00 h t: x")["event.dataset"] == "raw"


# ---------------------------------------------------------------------------------------------
# iptables / nftables


def test_iptables_drop() -> None:
    event = p(
        "May  1 10:00:04 fw1 kernel: [1234567.890123] IPTABLES-INPUT-DROP: IN=eth0 OUT= MAC=00:16:3e:aa "
        "SRC=203.0.113.9 DST=10.12.0.10 LEN=60 TTL=49 ID=5321 DF PROTO=TCP SPT=45678 DPT=3389 WINDOW=29200 SYN URGP=0"
    )
    expected = {
        "event.dataset": "iptables",
        "event.category": "network",
        "event.action": "firewall_drop",
        "source.ip": "203.0.113.9",
        "destination.ip": "10.12.0.10",
        "source.port": 45678,
        "destination.port": 3389,
        "network.transport": "tcp",
        "host.name": "fw1",
        "process.name": "kernel",
    }
    assert subset(event, expected) == expected


def test_nftables_prefix() -> None:
    event = p(
        "May  1 10:00:01 fw1 kernel: nft-drop: IN=ens3 OUT= SRC=198.51.100.30 DST=10.12.0.11 PROTO=TCP SPT=1 DPT=3306"
    )
    assert (event["event.dataset"], event["event.action"]) == ("nftables", "firewall_drop")


def test_firewall_accept_reject_and_plain_prefix() -> None:
    accept = p("kernel: ACCEPT-SSH IN=eth0 OUT= SRC=10.12.3.4 DST=10.12.0.10 PROTO=TCP SPT=5 DPT=22")
    assert (accept["event.action"], accept["event.outcome"]) == ("firewall_accept", "success")
    reject = p("May  1 10:00:03 fw1 kernel: REJECT IN=eth1 OUT=eth0 SRC=10.12.9.9 DST=8.8.8.8 PROTO=ICMP TYPE=8")
    assert (reject["event.action"], reject["network.transport"], reject["destination.port"]) == (
        "firewall_reject",
        "icmp",
        None,
    )
    custom = p("May  1 10:00:03 fw1 kernel: [ 1.0] WEB IN IN=eth1 OUT= SRC=1.1.1.1 DST=2.2.2.2 PROTO=TCP SPT=1 DPT=80")
    assert custom["event.action"] == "web_in"


def test_bare_firewall_line_with_hint() -> None:
    event = p("IN=eth0 OUT= SRC=2001:db8::9 DST=2001:db8::10 PROTO=UDP SPT=5353 DPT=53", hint="nftables")
    assert (event["event.dataset"], event["event.action"], event["source.ip"]) == (
        "nftables",
        "firewall_log",
        "2001:db8::9",
    )


# ---------------------------------------------------------------------------------------------
# Windows


def test_winlogbeat_failed_logon() -> None:
    event = p(lines("winlogbeat.ndjson")[0])
    expected = {
        "event.dataset": "windows.security",
        "event.category": "authentication",
        "event.action": "logon_failed",
        "event.outcome": "failure",
        "winlog.event_id": 4625,
        "winlog.channel": "Security",
        "winlog.logon.type": 3,
        "user.name": "administrator",
        "source.ip": "203.0.113.70",
        "source.port": 49822,
        "host.name": "DC01.jx.local",
        "@timestamp": datetime(2024, 5, 1, 2, 0, 0, 123000, tzinfo=UTC),
    }
    assert subset(event, expected) == expected
    assert event["message"].startswith("An account failed to log on.")


def test_winlogbeat_numeric_event_id_and_success() -> None:
    event = p(lines("winlogbeat.ndjson")[1])
    assert (event["winlog.event_id"], event["event.action"], event["event.outcome"]) == (4624, "logon", "success")
    assert event["winlog.logon.type"] == 10


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (2, {"event.action": "account_locked", "user.name": "lisi", "event.category": "iam"}),
        (3, {"event.action": "user_created", "user.name": "backdoor$"}),
        (4, {"event.action": "group_member_added", "group.name": "Administrators", "user.name": "S-1-5-21-1-2-3-1108"}),
        (
            5,
            {
                "event.action": "process_created",
                "user.name": "lisi",
                "process.name": "C:\\Windows\\System32\\cmd.exe",
                "process.pid": 8000,
                "process.command_line": "cmd.exe /c whoami",
            },
        ),
        (6, {"event.action": "credential_validation", "event.outcome": "failure", "user.name": "wangwu"}),
    ],
)
def test_winlogbeat_other_events(index: int, expected: dict[str, Any]) -> None:
    assert subset(p(lines("winlogbeat.ndjson")[index]), expected) == expected


def test_nxlog_failed_logon_local_time() -> None:
    event = p(lines("nxlog.ndjson")[0])
    expected = {
        "event.dataset": "windows.security",
        "event.action": "logon_failed",
        "event.outcome": "failure",
        "user.name": "Administrator",
        "source.ip": "198.51.100.80",
        "source.port": None,
        "host.name": "DC02.jx.local",
        "winlog.event_id": 4625,
        "winlog.logon.type": 10,
        "@timestamp": utc(2024, 5, 1, 2, 0, 0),
        "message": "An account failed to log on.",
    }
    assert subset(event, expected) == expected


def test_nxlog_lockout_group_and_service() -> None:
    lockout, group, service = (p(raw) for raw in lines("nxlog.ndjson")[1:])
    assert (lockout["event.action"], lockout["user.name"], lockout["winlog.event_id"]) == (
        "account_locked",
        "zhaoliu",
        4740,
    )
    assert (group["event.action"], group["group.name"]) == ("group_member_added", "Domain Admins")
    assert group["user.name"] == "CN=eve,OU=Staff,DC=jx,DC=local"
    assert (service["event.action"], service["winlog.channel"]) == ("service_installed", "System")


def test_windows_dict_input_and_unknown_event_id() -> None:
    event = p(
        {"winlog": {"event_id": 5156, "channel": "Security", "event_data": {}}, "@timestamp": "2024-05-01T02:00:00Z"}
    )
    assert (event["event.action"], event["winlog.event_id"]) == ("windows_5156", 5156)
    assert json.loads(event["log.original"])["winlog"]["event_id"] == 5156


def test_windows_ipv4_mapped_and_dash_fields() -> None:
    event = p(
        {
            "EventID": 4625,
            "IpAddress": "::ffff:203.0.113.7",
            "IpPort": "-",
            "TargetUserName": "-",
            "SubjectUserName": "x",
        }
    )
    assert (event["source.ip"], event["source.port"], event["user.name"]) == ("203.0.113.7", None, "x")


# ---------------------------------------------------------------------------------------------
# generic JSON and shipper envelopes


def test_generic_ecs_json_is_flattened() -> None:
    event = p(
        {
            "@timestamp": "2024-05-01T02:00:00Z",
            "source": {"ip": "203.0.113.1", "port": "4444"},
            "destination": {"ip": "10.12.0.1", "port": 80},
            "event": {"category": ["web"], "action": "blocked", "outcome": "failure"},
            "observer": {"vendor": "WAF"},
        }
    )
    expected = {
        "event.dataset": "json",
        "source.ip": "203.0.113.1",
        "source.port": 4444,
        "destination.port": 80,
        "event.category": "web",
        "event.action": "blocked",
        "@timestamp": utc(2024, 5, 1, 2),
    }
    assert subset(event, expected) == expected
    assert json.loads(event["message"]) == {"observer.vendor": "WAF"}


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ({"timestamp": "2024-05-01 10:00:00"}, utc(2024, 5, 1, 2)),
        ({"time": 1714528800}, utc(2024, 5, 1, 2)),
        ({"time": 1714528800123}, datetime(2024, 5, 1, 2, 0, 0, 123000, tzinfo=UTC)),
        ({"time": "1714528800.5"}, datetime(2024, 5, 1, 2, 0, 0, 500000, tzinfo=UTC)),
        ({"@timestamp": "2024-05-01T10:00:00+0800"}, utc(2024, 5, 1, 2)),
        ({"time": "01/May/2024:10:00:00 +0800"}, utc(2024, 5, 1, 2)),
        ({"time": "yesterday"}, RECEIVED),
    ],
)
def test_generic_json_times(stamp: dict[str, Any], expected: datetime) -> None:
    assert p({"msg": "x", **stamp})["@timestamp"] == expected


def test_generic_json_aliases() -> None:
    event = p('{"msg":"login failed","src_ip":"203.0.113.2","username":"t","hostname":"app1","pid":"12"}')
    expected = {
        "message": "login failed",
        "source.ip": "203.0.113.2",
        "user.name": "t",
        "host.name": "app1",
        "process.pid": 12,
    }
    assert subset(event, expected) == expected


def test_senders_cannot_set_tenancy_or_identity() -> None:
    event = p({"edubase": {"org_path": "0001", "asset_id": 5, "parsed": False}, "event": {"id": "x"}, "message": "m"})
    assert event["edubase.org_path"] is None
    assert event["edubase.asset_id"] is None
    assert event["event.id"] is None
    assert event["edubase.parsed"] is True


def test_json_with_bad_field_types_does_not_raise() -> None:
    event = p({"source": {"ip": "not-an-ip", "port": "abc"}, "http": {"response": {"status_code": {"x": 1}}}})
    assert event["source.ip"] is None
    assert event["source.port"] is None
    assert event["edubase.parsed"] is True


def test_filebeat_envelope_line_is_parsed() -> None:
    doc = {
        "@timestamp": "2024-05-01T02:00:05.000Z",
        "@metadata": {"beat": "filebeat", "type": "_doc", "version": "8.13.2"},
        "agent": {"type": "filebeat", "version": "8.13.2"},
        "ecs": {"version": "8.0.0"},
        "host": {"name": "web03", "hostname": "web03"},
        "input": {"type": "filestream"},
        "log": {"file": {"path": "/var/log/nginx/access.log"}, "offset": 1234},
        "message": '1.192.0.1 - - [01/May/2024:10:00:00 +0800] "GET / HTTP/1.1" 200 1 "-" "Baiduspider"',
    }
    event = p(doc)
    assert (event["event.dataset"], event["host.name"], event["source.ip"]) == ("nginx.access", "web03", "1.192.0.1")
    assert event["@timestamp"] == utc(2024, 5, 1, 2)  # the line's own time wins over the shipper's
    assert json.loads(event["log.original"]) == doc


def test_filebeat_envelope_apache_path_and_auth_log() -> None:
    apache = p(
        {
            "message": '1.2.3.4 - - [01/May/2024:10:00:00 +0800] "GET / HTTP/1.1" 200 1',
            "log": {"file": {"path": "/var/log/httpd/access_log"}},
        }
    )
    assert apache["event.dataset"] == "apache.access"
    auth = p(
        {
            "message": "May  1 10:00:01 web01 sshd[1]: Invalid user x from 203.0.113.5 port 2",
            "host": {"name": "ignored-when-line-has-host"},
        }
    )
    assert (auth["event.action"], auth["host.name"]) == ("ssh_invalid_user", "web01")


def test_fluent_bit_log_key_and_vector_syslog_shape() -> None:
    fluent = p({"@timestamp": 1714528800.0, "log": "Failed password for root from 203.0.113.5 port 22 ssh2"})
    assert (fluent["event.dataset"], fluent["@timestamp"]) == ("sshd", utc(2024, 5, 1, 2))
    vector = p(
        {
            "appname": "myapp",
            "hostname": "app1",
            "message": "plain text",
            "procid": 42,
            "severity": "info",
            "timestamp": "2024-05-01T02:00:00Z",
        }
    )
    assert (vector["event.dataset"], vector["host.name"], vector["log.syslog.appname"], vector["process.pid"]) == (
        "json",
        "app1",
        "myapp",
        42,
    )
    assert vector["message"] == "plain text"


def test_logstash_vector_and_docker_envelopes() -> None:
    line = '1.192.0.1 - - [01/May/2024:10:00:00 +0800] "GET / HTTP/1.1" 200 1 "-" "x"'
    logstash = p(
        {"@version": "1", "@timestamp": "2024-05-01T02:00:00Z", "host": "web04", "path": "/a", "message": line}
    )
    vector = p({"file": "/var/log/nginx/access.log", "host": "web05", "message": line, "source_type": "file"})
    docker = p({"log": line + "\n", "stream": "stdout", "source": "stdout", "container_name": "/nginx"})
    assert [(e["event.dataset"], e["host.name"]) for e in (logstash, vector, docker)] == [
        ("nginx.access", "web04"),
        ("nginx.access", "web05"),
        ("nginx.access", None),
    ]


def test_ecs_source_object_is_not_an_envelope() -> None:
    event = p({"message": "Failed password for root from 203.0.113.5 port 22 ssh2", "source": {"ip": "198.51.100.1"}})
    assert (event["event.dataset"], event["source.ip"]) == ("json", "198.51.100.1")


def test_json_array_and_scalar_are_raw() -> None:
    assert p("[1, 2, 3]")["event.dataset"] == "raw"
    assert p('"just a string"')["event.dataset"] == "raw"
    assert p("{not json")["event.dataset"] == "raw"


# ---------------------------------------------------------------------------------------------
# input types, meta, robustness


def test_bytes_utf8_and_gbk() -> None:
    event = p("May  1 10:00:00 h app: 登录失败".encode("gbk"))
    assert event["message"] == "登录失败"
    assert p("May  1 10:00:00 h app: 登录失败".encode())["message"] == "登录失败"


def test_trailing_newlines_are_stripped() -> None:
    assert p("May  1 10:00:00 h app: x\r\n")["log.original"] == "May  1 10:00:00 h app: x"


def test_meta_fills_gaps_and_sets_edubase_fields() -> None:
    event = p("May  1 10:00:00 h app: x", meta={"edubase.source_id": 7, "host.name": "other", "event.module": "x"})
    assert event["edubase.source_id"] == 7
    assert event["host.name"] == "h"
    assert "event.module" not in event
    assert p("plain garbage", meta={"host.name": "peer"})["host.name"] == "peer"


def test_naive_receipt_time_is_taken_as_utc() -> None:
    assert p("garbage", received_at=datetime(2024, 5, 1, 2, 0))["@timestamp"] == utc(2024, 5, 1, 2)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_never_raises_and_always_keeps_the_original(raw: str | bytes) -> None:
    event = p(raw)
    assert set(event) == set(FIELDS)
    assert event["log.original"] is not None
    assert isinstance(event["edubase.parsed"], bool)
    assert event["@timestamp"] is not None


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(
        [
            "<38>May  1 10:00:01 web01 sshd[2101]: Failed password for root from 203.0.113.5 port 1 ssh2",
            '1.2.3.4 - - [01/May/2024:10:00:00 +0800] "GET / HTTP/1.1" 200 1 "-" "x"',
            '<165>1 2003-10-11T22:14:15.003Z h app - ID47 [a b="c"] m',
            '{"EventID":4625,"IpAddress":"1.2.3.4"}',
        ]
    ),
    st.integers(min_value=0, max_value=120),
    st.integers(min_value=0, max_value=120),
)
def test_truncated_lines_never_raise(line: str, start: int, stop: int) -> None:
    event = p(line[start : start + stop])
    assert event["log.original"] == line[start : start + stop].rstrip("\r\n\x00")


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.text(max_size=20),
        st.recursive(
            st.none() | st.integers() | st.text(max_size=20),
            lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=10), c, max_size=3),
            max_leaves=10,
        ),
        max_size=6,
    )
)
def test_arbitrary_json_never_raises(doc: dict[str, Any]) -> None:
    event = p(doc)
    assert event["edubase.parsed"] is True
