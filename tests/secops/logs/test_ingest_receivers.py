"""Receivers: syslog UDP/TCP/TLS framing and sender identification; HTTP NDJSON and the ES ``_bulk`` API."""

from __future__ import annotations

import gzip
import json
import socket
import time
from pathlib import Path

import pytest

from edubase.secops.logs.ingest.spool import KIND_JSON, KIND_SYSLOG
from tests.secops.logs.ingest_support import (
    api_key,
    basic,
    filebeat_doc,
    http,
    ndjson,
    octet_frames,
    read_response,
    running,
    self_signed,
    send_and_confirm,
    source,
    tls_client_context,
)

LINE_3164 = "<38>Mar  1 16:00:01 web01 sshd[811]: Failed password for root from 203.0.113.9 port 50122 ssh2"
LINE_5424 = '<165>1 2025-03-01T08:00:02.003Z fw01 kernel - - [meta x="1"] IN=eth0 OUT= SRC=198.51.100.7 DST=10.1.1.5'
NGINX = '203.0.113.9 - - [01/Mar/2025:16:00:03 +0800] "GET /index.php?id=1%27 HTTP/1.1" 404 153 "-" "sqlmap/1.8"'


@pytest.fixture
def known(tmp_path: Path):  # type: ignore[no-untyped-def]
    entry, token = source(7, ips=("127.0.0.1",))
    with running(tmp_path / "spool", [entry], syslog_udp=0, syslog_tcp=0, http=0) as r:
        r.token = token  # type: ignore[attr-defined]
        yield r


@pytest.fixture
def stranger(tmp_path: Path):  # type: ignore[no-untyped-def]
    entry, _token = source(8, ips=("192.0.2.10", "10.9.0.0/16"))
    with running(tmp_path / "spool", [entry], syslog_udp=0, syslog_tcp=0) as r:
        yield r


# --- syslog ---------------------------------------------------------------------------------------


def test_a_udp_datagram_is_one_message_from_the_known_sender(known) -> None:  # type: ignore[no-untyped-def]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(LINE_3164.encode() + b"\n", ("127.0.0.1", known.ports["syslog_udp"]))
    [got] = known.wait_spooled(1)
    assert got.record.data == LINE_3164.encode()
    assert (got.record.source_id, got.record.kind, got.record.peer) == (7, KIND_SYSLOG, "127.0.0.1")


def test_udp_from_an_unknown_sender_is_refused_and_counted(stranger) -> None:  # type: ignore[no-untyped-def]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _ in range(3):
            s.sendto(LINE_3164.encode(), ("127.0.0.1", stranger.ports["syslog_udp"]))
    assert stranger.wait_rejections(("127.0.0.1", "unknown_source"), 3) == 3
    assert stranger.spooled() == []


def test_tcp_lf_framing_splits_lines_and_confirms_after_fsync(known) -> None:  # type: ignore[no-untyped-def]
    with socket.create_connection(("127.0.0.1", known.ports["syslog_tcp"])) as s:
        answer = send_and_confirm(s, f"{LINE_3164}\r\n{LINE_5424}\n{NGINX}".encode())
    assert answer == "OK 3\n"
    got = known.spooled()  # already durable when the answer came
    assert [g.record.data.decode() for g in got] == [LINE_3164, LINE_5424, NGINX]


def test_tcp_octet_counting_keeps_embedded_newlines(known) -> None:  # type: ignore[no-untyped-def]
    multi = "<14>1 2025-03-01T08:00:00Z app01 java 77 - - Exception in thread main\n\tat Foo.bar(Foo.java:1)"
    with socket.create_connection(("127.0.0.1", known.ports["syslog_tcp"])) as s:
        answer = send_and_confirm(s, octet_frames([multi, LINE_5424, "<13>中文消息 测试"]))
    assert answer == "OK 3\n"
    assert [g.record.data.decode() for g in known.spooled()] == [multi, LINE_5424, "<13>中文消息 测试"]


def test_tcp_frames_split_across_packets_are_reassembled(known) -> None:  # type: ignore[no-untyped-def]
    data = octet_frames([f"{LINE_3164} #{i}" for i in range(50)])
    with socket.create_connection(("127.0.0.1", known.ports["syslog_tcp"])) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(0, len(data), 37):
            s.sendall(data[i : i + 37])
            if i % 370 == 0:
                time.sleep(0.001)
        answer = send_and_confirm(s, b"")
    assert answer == "OK 50\n"
    assert [g.record.data.decode() for g in known.spooled()] == [f"{LINE_3164} #{i}" for i in range(50)]


def test_tcp_from_an_unknown_sender_stores_nothing_and_counts_each_message(stranger) -> None:  # type: ignore[no-untyped-def]
    with socket.create_connection(("127.0.0.1", stranger.ports["syslog_tcp"])) as s:
        answer = send_and_confirm(s, (LINE_3164 + "\n").encode() * 4)
    assert answer == "OK 0\n"
    assert stranger.wait_rejections(("127.0.0.1", "unknown_source"), 4) == 4
    assert stranger.spooled() == []


def test_a_bad_octet_count_closes_the_connection_and_is_counted(known) -> None:  # type: ignore[no-untyped-def]
    with socket.create_connection(("127.0.0.1", known.ports["syslog_tcp"])) as s:
        send_and_confirm(s, b"12x <13>hello")
    assert known.wait_rejections(("127.0.0.1", "bad_framing"), 1) == 1
    assert known.spooled() == []


def test_senders_are_matched_by_network(tmp_path: Path) -> None:
    entry, _ = source(9, ips=("127.0.0.0/8",))
    with running(tmp_path / "spool", [entry], syslog_tcp=0) as r:
        with socket.create_connection(("127.0.0.1", r.ports["syslog_tcp"])) as s:
            assert send_and_confirm(s, (LINE_3164 + "\n").encode()) == "OK 1\n"
        assert [g.record.source_id for g in r.spooled()] == [9]


def test_syslog_over_tls(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    entry, _ = source(7, ips=("127.0.0.1",))
    with running(tmp_path / "spool", [entry], syslog_tls=0, tls_cert=str(cert), tls_key=str(key)) as r:
        raw = socket.create_connection(("127.0.0.1", r.ports["syslog_tls"]))
        with tls_client_context().wrap_socket(raw) as s:
            s.sendall(octet_frames([LINE_3164, LINE_5424]))
        got = r.wait_spooled(2)
    assert [g.record.data.decode() for g in got] == [LINE_3164, LINE_5424]


# --- HTTP: the Elasticsearch handshake -------------------------------------------------------------


def test_root_answers_like_elasticsearch_8(known) -> None:  # type: ignore[no-untyped-def]
    status, headers, body = http(known.ports["http"], "GET", "/")
    info = json.loads(body)
    assert status == 200 and headers["x-elastic-product"] == "Elasticsearch"
    assert info["version"]["number"].startswith("8.") and info["tagline"] == "You Know, for Search"
    status, headers, body = http(known.ports["http"], "HEAD", "/")
    assert status == 200 and body == b""


def test_license_xpack_and_health_are_answered(known) -> None:  # type: ignore[no-untyped-def]
    port = known.ports["http"]
    assert json.loads(http(port, "GET", "/_license?human=false")[2])["license"]["status"] == "active"
    assert json.loads(http(port, "GET", "/_xpack")[2])["features"]["ilm"]["available"] is True
    assert json.loads(http(port, "GET", "/_cluster/health")[2])["status"] == "green"


def test_templates_and_ilm_policies_are_accepted_and_remembered(known) -> None:  # type: ignore[no-untyped-def]
    port = known.ports["http"]
    assert http(port, "GET", "/_index_template/filebeat-8.15.0")[0] == 404
    template = json.dumps({"index_patterns": ["filebeat-8.15.0"], "data_stream": {}, "priority": 150}).encode()
    status, _, body = http(
        port, "PUT", "/_index_template/filebeat-8.15.0", template, {"Content-Type": "application/json"}
    )
    assert status == 200 and json.loads(body) == {"acknowledged": True}
    got = json.loads(http(port, "GET", "/_index_template/filebeat-8.15.0")[2])
    assert got["index_templates"][0]["name"] == "filebeat-8.15.0"
    assert http(port, "GET", "/_ilm/policy/filebeat")[0] == 404
    policy = json.dumps({"policy": {"phases": {"hot": {"actions": {}}}}}).encode()
    assert http(port, "PUT", "/_ilm/policy/filebeat", policy)[0] == 200
    assert "filebeat" in json.loads(http(port, "GET", "/_ilm/policy/filebeat")[2])


# --- HTTP: _bulk as the shippers send it ------------------------------------------------------------


def test_filebeat_gzip_bulk_with_create_actions_and_api_key(known) -> None:  # type: ignore[no-untyped-def]
    docs = [filebeat_doc(NGINX, n=i) for i in range(5)]
    lines = []
    for d in docs:
        lines += [{"create": {"_index": "filebeat-8.15.0"}}, d]
    body = gzip.compress(ndjson(lines), compresslevel=1)
    status, _headers, raw = http(
        known.ports["http"],
        "POST",
        "/_bulk?filter_path=errors,items.*.error,items.*.status",
        body,
        {
            "Content-Type": "application/json; charset=UTF-8",
            "Content-Encoding": "gzip",
            "Accept": "application/json",
            "User-Agent": "Go-http-client/1.1",
            "Authorization": api_key("edubase", known.token),
        },
    )
    answer = json.loads(raw)
    assert status == 200 and answer["errors"] is False and isinstance(answer["took"], int)
    assert len(answer["items"]) == 5
    for item in answer["items"]:
        assert item["create"]["status"] == 201 and item["create"]["_index"] == "filebeat-8.15.0"
        assert item["create"]["_id"]
    got = known.spooled()  # on disk before the 200
    assert [json.loads(g.record.data) for g in got] == docs
    assert {g.record.kind for g in got} == {KIND_JSON}
    assert [i["create"]["_id"] for i in answer["items"]] == [g.event_id for g in got]


def test_vector_bulk_with_index_actions_and_basic_auth(known) -> None:  # type: ignore[no-untyped-def]
    docs = [
        {"message": LINE_3164, "timestamp": "2025-03-01T08:00:01Z", "host": "web01", "source_type": "file"},
        {"message": NGINX, "timestamp": "2025-03-01T08:00:03Z", "host": "web01", "source_type": "file"},
    ]
    lines: list[dict[str, object]] = []
    for d in docs:
        lines += [{"index": {"_index": "vector-2025.03.01"}}, d]
    status, _, raw = http(
        known.ports["http"],
        "POST",
        "/_bulk?timeout=60s",
        ndjson(lines),
        {"Content-Type": "application/x-ndjson", "Authorization": basic("vector", known.token)},
    )
    answer = json.loads(raw)
    assert status == 200 and answer["errors"] is False
    assert [list(i) for i in answer["items"]] == [["index"], ["index"]]
    assert [i["index"]["_index"] for i in answer["items"]] == ["vector-2025.03.01"] * 2
    assert [json.loads(g.record.data)["message"] for g in known.spooled()] == [LINE_3164, NGINX]


@pytest.mark.parametrize("suppress_type_name", [True, False])
def test_fluent_bit_bulk(known, suppress_type_name: bool) -> None:  # type: ignore[no-untyped-def]
    meta = {"_index": "fluent-bit"} if suppress_type_name else {"_index": "fluent-bit", "_type": "_doc"}
    body = ndjson(
        [
            {"create": meta},
            {"@timestamp": "2025-03-01T08:00:01.000Z", "log": LINE_3164},
            {"create": meta},
            {"@timestamp": "2025-03-01T08:00:02.000Z", "log": NGINX},
        ]
    )
    status, _, raw = http(
        known.ports["http"],
        "POST",
        "/_bulk",
        body,
        {"Content-Type": "application/x-ndjson", "User-Agent": "Fluent-Bit", "Authorization": f"Bearer {known.token}"},
    )
    answer = json.loads(raw)
    assert status == 200 and answer["errors"] is False
    assert [i["create"]["status"] for i in answer["items"]] == [201, 201]
    assert len(known.spooled()) == 2


def test_the_index_in_the_path_applies_when_the_action_names_none(known) -> None:  # type: ignore[no-untyped-def]
    body = ndjson([{"index": {}}, {"message": "a"}, {"index": {"_index": "other", "_id": "x1"}}, {"message": "b"}])
    status, _, raw = http(
        known.ports["http"], "POST", "/logs-school/_bulk", body, {"Authorization": f"Bearer {known.token}"}
    )
    items = json.loads(raw)["items"]
    assert status == 200
    assert [(i["index"]["_index"], i["index"]["_id"] == "x1") for i in items] == [
        ("logs-school", False),
        ("other", True),
    ]


def test_delete_and_update_are_refused_per_item_and_the_rest_is_kept(known) -> None:  # type: ignore[no-untyped-def]
    body = ndjson(
        [
            {"delete": {"_index": "a", "_id": "1"}},
            {"create": {}},
            {"message": "kept"},
            {"update": {"_id": "2"}},
            {"doc": {}},
        ]
    )
    status, _, raw = http(known.ports["http"], "POST", "/_bulk", body, {"Authorization": f"Bearer {known.token}"})
    answer = json.loads(raw)
    assert status == 200 and answer["errors"] is True
    assert [next(iter(i.values()))["status"] for i in answer["items"]] == [405, 201, 405]
    assert [json.loads(g.record.data) for g in known.spooled()] == [{"message": "kept"}]


def test_every_bulk_answer_item_has_the_elasticsearch_shape(known) -> None:  # type: ignore[no-untyped-def]
    """The answer is written from a template: it must parse to exactly what Elasticsearch answers,
    whatever the index and document ids hold (quotes, backslashes, Chinese, numbers)."""
    tricky_id = 'a"b\\c 学校'
    body = ndjson(
        [
            {"create": {"_index": "日志-2025"}},
            {"message": "one"},
            {"index": {"_index": 'we"ird\\', "_id": tricky_id}},
            {"message": "two"},
            {"index": {"_id": 42}},
            {"message": "three"},
            {"update": {"_id": "u"}},
            {"doc": {}},
            {"create": {"_index": "日志-2025"}},
            {"message": "four"},
        ]
    )
    status, _, raw = http(known.ports["http"], "POST", "/x/_bulk", body, {"Authorization": f"Bearer {known.token}"})
    answer = json.loads(raw)
    ids = [g.event_id for g in known.spooled()]
    assert status == 200 and answer["errors"] is True and isinstance(answer["took"], int)

    def created(op: str, index: str, doc_id: str, seq: int) -> dict[str, object]:
        shards = {"total": 1, "successful": 1, "failed": 0}
        return {
            op: {
                "_index": index, "_id": doc_id, "_version": 1, "result": "created", "_shards": shards,
                "_seq_no": seq, "_primary_term": 1, "status": 201,
            }
        }  # fmt: skip

    first = answer["items"][0]["create"]["_seq_no"]
    error = {"type": "illegal_argument_exception", "reason": "日志接收端不支持更新"}
    refused = {"_index": "x", "_id": "u", "status": 405, "error": error}
    assert answer["items"] == [
        created("create", "日志-2025", ids[0], first),
        created("index", 'we"ird\\', tricky_id, first + 1),
        created("index", "x", "42", first + 2),
        {"update": refused},
        created("create", "日志-2025", ids[3], first + 3),
    ]


def test_a_malformed_action_line_fails_the_request_and_stores_nothing(known) -> None:  # type: ignore[no-untyped-def]
    body = b'{"create":{}}\n{"message":"x"}\nnot json\n{"message":"y"}\n'
    status, _, raw = http(known.ports["http"], "POST", "/_bulk", body, {"Authorization": f"Bearer {known.token}"})
    assert status == 400 and json.loads(raw)["error"]["type"] == "illegal_argument_exception"
    assert known.spooled() == []


def test_a_bad_or_missing_token_is_refused_and_counted(known) -> None:  # type: ignore[no-untyped-def]
    port = known.ports["http"]
    body = ndjson([{"create": {}}, {"message": "x"}])
    status, _, raw = http(port, "POST", "/_bulk", body, {"Authorization": "Bearer ebl_deadbeef_nope"})
    assert status == 401 and json.loads(raw)["error"]["type"] == "security_exception"
    assert http(port, "POST", "/_bulk", body)[0] == 401
    assert known.wait_rejections(("127.0.0.1", "bad_token"), 1) == 1
    assert known.wait_rejections(("127.0.0.1", "no_token"), 1) == 1
    assert known.spooled() == []


def test_keep_alive_and_expect_continue(known) -> None:  # type: ignore[no-untyped-def]
    port = known.ports["http"]
    auth = {"Authorization": f"Bearer {known.token}"}
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        assert http(port, "GET", "/", sock=s)[0] == 200
        body = ndjson([{"create": {}}, {"message": "one"}])
        head = f"POST /_bulk HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\nExpect: 100-continue\r\n"
        s.sendall((head + f"Authorization: {auth['Authorization']}\r\n\r\n").encode())
        interim = s.recv(64)
        assert interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        s.sendall(body)
        status, _, raw = read_response(s)
        assert status == 200 and json.loads(raw)["errors"] is False
        assert http(port, "GET", "/_license", sock=s)[0] == 200
    assert len(known.spooled()) == 1


def test_ndjson_ingest_with_a_chunked_body(known) -> None:  # type: ignore[no-untyped-def]
    payload = b'{"message":"json line","host":{"name":"h1"}}\n' + LINE_3164.encode() + b"\n\n"
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (payload[:20], payload[20:])) + b"0\r\n\r\n"
    with socket.create_connection(("127.0.0.1", known.ports["http"]), timeout=10) as s:
        head = (
            "POST /ingest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/x-ndjson\r\n"
        )
        s.sendall((head + f"Authorization: Bearer {known.token}\r\n\r\n").encode() + chunked)
        status, _, raw = read_response(s)
    assert status == 200 and json.loads(raw)["accepted"] == 2
    got = known.spooled()
    assert [(g.record.kind, g.record.data) for g in got] == [
        (KIND_JSON, b'{"message":"json line","host":{"name":"h1"}}'),
        (KIND_SYSLOG, LINE_3164.encode()),
    ]


def test_an_oversized_body_is_refused_before_it_is_read(known) -> None:  # type: ignore[no-untyped-def]
    with socket.create_connection(("127.0.0.1", known.ports["http"]), timeout=10) as s:
        s.sendall(b"POST /_bulk HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n")
        status, _, _ = read_response(s)
    assert status == 413
