"""HTTP receiver: ``POST /ingest`` (NDJSON) and an Elasticsearch-compatible ``_bulk`` API.

Filebeat, Logstash, Vector and Fluent Bit ``elasticsearch`` outputs work unchanged: they first
ask ``GET /`` for the version (answered as Elasticsearch 8.15 with the ``X-Elastic-Product``
header clients check), look at ``/_license`` / ``/_xpack``, install index templates and ILM
policies (accepted and remembered in memory, nothing else), then send ``POST /_bulk`` or
``POST /<index>/_bulk`` with action/source line pairs, often gzip-compressed. Every source
document becomes one spooled record; the answer, in Elasticsearch's exact shape, is sent only
after the records are ``fsync``'ed.

Credentials: ``Authorization: Bearer <token>``, ``ApiKey <base64(id:token)>`` (or the bare token),
or basic auth with the token as the password. A small HTTP/1.1 server (keep-alive,
``Content-Length`` and chunked bodies, ``Expect: 100-continue``, size limits) is written here
because no HTTP server library is a dependency and the needs are narrow.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import time
import zlib
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from edubase.secops.logs.ingest.spool import KIND_JSON, KIND_SYSLOG, MAX_RECORD, Record

if TYPE_CHECKING:
    from edubase.secops.logs.ingest.server import Ingestor, SourceEntry

logger = logging.getLogger(__name__)

MAX_HEAD = 32 * 1024
MAX_BODY = 64 * 1024 * 1024
ES_VERSION = "8.15.0"
IDLE_TIMEOUT = 300.0

_REASONS = {
    100: "Continue",
    200: "OK",
    201: "Created",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    411: "Length Required",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class HttpError(Exception):
    def __init__(self, status: int, reason: str, *, kind: str = "parse_exception", close: bool = False) -> None:
        super().__init__(reason)
        self.status, self.reason, self.kind, self.close = status, reason, kind, close


@dataclass
class Request:
    method: str
    target: str
    path: str
    query: str
    version: str
    headers: dict[str, str]
    body: bytes = b""
    peer: str = "unknown"
    extra: dict[str, Any] = field(default_factory=dict)

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name, default)

    @property
    def keep_alive(self) -> bool:
        conn = self.header("connection").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in conn
        return "close" not in conn


async def read_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str) -> Request | None:
    """One request from the stream (``None`` at a clean end of the connection)."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise HttpError(400, "incomplete request head", close=True) from exc
        return None
    except asyncio.LimitOverrunError as exc:
        raise HttpError(413, "request head too large", close=True) from exc
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise HttpError(400, "bad request line", close=True)
    method, target, version = parts
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise HttpError(400, "bad header line", close=True)
        key = name.lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers and key != "content-length" else value
    split = urlsplit(target)
    request = Request(method.upper(), target, unquote(split.path) or "/", split.query, version, headers, peer=peer)
    if request.header("expect").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    if "chunked" in request.header("transfer-encoding").lower():
        request.body = await _read_chunked(reader)
    elif request.header("content-length"):
        try:
            length = int(request.header("content-length"))
        except ValueError as exc:
            raise HttpError(400, "bad Content-Length", close=True) from exc
        if length < 0:
            raise HttpError(400, "bad Content-Length", close=True)
        if length > MAX_BODY:
            raise HttpError(413, f"request body larger than {MAX_BODY} bytes", close=True)
        request.body = await reader.readexactly(length) if length else b""
    elif method.upper() in {"POST", "PUT"}:
        request.body = b""
    return request


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    out = bytearray()
    while True:
        line = await reader.readuntil(b"\r\n")
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError as exc:
            raise HttpError(400, "bad chunk size", close=True) from exc
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                pass
            return bytes(out)
        if len(out) + size > MAX_BODY:
            raise HttpError(413, f"request body larger than {MAX_BODY} bytes", close=True)
        out += await reader.readexactly(size)
        if await reader.readexactly(2) != b"\r\n":
            raise HttpError(400, "bad chunk terminator", close=True)


def decode_body(request: Request) -> bytes:
    """The body with ``Content-Encoding`` (gzip / deflate) undone, within the size limit."""
    encoding = request.header("content-encoding").lower().strip()
    if not encoding or encoding == "identity":
        return request.body
    if encoding in {"gzip", "x-gzip", "deflate"}:
        wbits = 47 if encoding != "deflate" else 15
        d = zlib.decompressobj(wbits)
        try:
            out = d.decompress(request.body, MAX_BODY + 1)
        except zlib.error as exc:
            if encoding == "deflate":  # raw deflate without the zlib header, as some clients send
                try:
                    d = zlib.decompressobj(-15)
                    out = d.decompress(request.body, MAX_BODY + 1)
                except zlib.error as exc2:
                    raise HttpError(400, f"bad {encoding} body") from exc2
            else:
                raise HttpError(400, f"bad {encoding} body") from exc
        if len(out) > MAX_BODY or d.unconsumed_tail:
            raise HttpError(413, f"decompressed body larger than {MAX_BODY} bytes")
        return out
    raise HttpError(415, f"unsupported Content-Encoding {encoding}")


def credentials(request: Request) -> list[str]:
    """Candidate tokens from the ``Authorization`` header, most likely first."""
    auth = request.header("authorization").strip()
    scheme, _, value = auth.partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if not value:
        return []
    if scheme == "bearer":
        return [value]
    if scheme in {"apikey", "basic"}:
        out: list[str] = []
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        if decoded:
            left, sep, right = decoded.partition(":")
            out += [right, left] if sep else [decoded]
            if sep and scheme == "apikey":
                out.append(decoded)
        out.append(value)
        return [c for c in out if c]
    return []


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def es_error(status: int, kind: str, reason: str) -> dict[str, Any]:
    return {
        "error": {"root_cause": [{"type": kind, "reason": reason}], "type": kind, "reason": reason},
        "status": status,
    }


def root_info() -> dict[str, Any]:
    return {
        "name": "edubase-ingest",
        "cluster_name": "edubase",
        "cluster_uuid": "ZWR1YmFzZS1pbmdlc3Q",
        "version": {
            "number": ES_VERSION,
            "build_flavor": "default",
            "build_type": "docker",
            "build_hash": "edubase",
            "build_date": "2024-08-05T10:05:34.233336849Z",
            "build_snapshot": False,
            "lucene_version": "9.11.1",
            "minimum_wire_compatibility_version": "7.17.0",
            "minimum_index_compatibility_version": "7.0.0",
        },
        "tagline": "You Know, for Search",
    }


_LICENSE = {
    "status": "active",
    "uid": "edubase",
    "type": "basic",
    "issue_date": "2024-01-01T00:00:00.000Z",
    "issue_date_in_millis": 1704067200000,
    "max_nodes": 1000,
    "max_resource_units": None,
    "issued_to": "edubase",
    "issuer": "elasticsearch",
    "start_date_in_millis": -1,
}


@dataclass
class BulkItem:
    op: str
    index: str
    doc_id: str | None
    record: Record | None  # None: the item failed (error set)
    error: tuple[int, str, str] | None = None


def parse_bulk(body: bytes, *, default_index: str, source_id: int, peer: str, now: float) -> list[BulkItem]:
    """Action/source line pairs → items (each ``index``/``create`` source becomes one record)."""
    items: list[BulkItem] = []
    actions: dict[bytes, Any] = {}
    lines = body.split(b"\n")
    i, n = 0, len(lines)
    while i < n:
        line = lines[i].strip()
        i += 1
        if not line:
            continue
        action = actions.get(line)  # a shipper repeats one action line for a whole body: decode it once
        try:
            if action is None:
                action = actions[line] = json.loads(line)
        except ValueError as exc:
            raise HttpError(
                400, f"Malformed action/metadata line [{len(items) + 1}]", kind="illegal_argument_exception"
            ) from exc
        if not isinstance(action, dict) or len(action) != 1:
            raise HttpError(
                400, f"Malformed action/metadata line [{len(items) + 1}]", kind="illegal_argument_exception"
            )
        op, meta = next(iter(action.items()))
        meta = meta if isinstance(meta, dict) else {}
        index = str(meta.get("_index") or default_index)
        doc_id = meta.get("_id")
        doc_id = str(doc_id) if doc_id is not None else None
        if op == "delete":
            items.append(BulkItem(op, index, doc_id, None, (405, "illegal_argument_exception", "日志接收端不支持删除")))
            continue
        if op not in {"index", "create", "update"}:
            raise HttpError(400, f"Unknown action [{op}]", kind="illegal_argument_exception")
        while i < n and not lines[i].strip():
            i += 1
        if i >= n:
            raise HttpError(
                400, "The bulk request must be terminated by a newline [\\n]", kind="illegal_argument_exception"
            )
        doc = lines[i].strip()
        i += 1
        if op == "update":
            items.append(BulkItem(op, index, doc_id, None, (405, "illegal_argument_exception", "日志接收端不支持更新")))
            continue
        if not doc.startswith(b"{") or len(doc) > MAX_RECORD:
            items.append(
                BulkItem(op, index, doc_id, None, (400, "document_parsing_exception", "文档不是 JSON 对象或过大"))
            )
            continue
        items.append(BulkItem(op, index, doc_id, Record(now, source_id, KIND_JSON, peer, bytes(doc))))
    return items


class HttpReceiver:
    """Serves one connection after another with the ingestor's sources and spool."""

    def __init__(self, ingestor: Ingestor) -> None:
        self.ingestor = ingestor
        self.templates: dict[str, dict[str, Any]] = {}
        self.seq_no = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peername = writer.get_extra_info("peername")
        peer = str(peername[0]) if isinstance(peername, tuple) else "unknown"
        if peer.startswith("::ffff:"):
            peer = peer[7:]
        try:
            while True:
                try:
                    request = await asyncio.wait_for(read_request(reader, writer, peer), IDLE_TIMEOUT)
                except HttpError as exc:
                    await self._send(writer, exc.status, _json(es_error(exc.status, exc.kind, exc.reason)), close=True)
                    return
                except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
                    return
                if request is None:
                    return
                try:
                    status, body, extra = await self.dispatch(request)
                except HttpError as exc:
                    status, body, extra = exc.status, _json(es_error(exc.status, exc.kind, exc.reason)), {}
                except Exception:
                    logger.exception("ingest HTTP handler failed")
                    status, body, extra = 500, _json(es_error(500, "exception", "内部错误，数据未被接收")), {}
                close = not request.keep_alive
                await self._send(writer, status, body, close=close, head=request.method == "HEAD", extra=extra)
                if close:
                    return
        except ConnectionError:
            return
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _send(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        body: bytes,
        *,
        close: bool,
        head: bool = False,
        extra: dict[str, str] | None = None,
    ) -> None:
        lines = [
            f"HTTP/1.1 {status} {_REASONS.get(status, 'OK')}",
            f"Date: {formatdate(usegmt=True)}",
            "Content-Type: application/json; charset=UTF-8",
            f"Content-Length: {len(body)}",
            "X-Elastic-Product: Elasticsearch",
        ]
        lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
        if close:
            lines.append("Connection: close")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (b"" if head else body))
        await writer.drain()

    def _authenticate(self, request: Request) -> SourceEntry:
        candidates = credentials(request)
        for token in candidates:
            source = self.ingestor.sources.by_token(token)
            if source is not None:
                return source
        self.ingestor.reject(request.peer, "bad_token" if candidates else "no_token")
        raise HttpError(401, "缺少或无效的日志接入令牌", kind="security_exception")

    async def dispatch(self, request: Request) -> tuple[int, bytes, dict[str, str]]:
        method, path = request.method, request.path.rstrip("/") or "/"
        parts = [p for p in path.split("/") if p]
        if parts and parts[-1] == "_bulk" and len(parts) <= 3:
            if method not in {"POST", "PUT"}:
                raise HttpError(405, f"方法 {method} 不可用于 _bulk", kind="illegal_argument_exception")
            return await self.bulk(request, parts[0] if len(parts) >= 2 else "")
        if path == "/ingest":
            if method != "POST":
                raise HttpError(405, "请用 POST 提交日志", kind="illegal_argument_exception")
            return await self.ndjson(request)
        if path == "/" and method in {"GET", "HEAD"}:
            return 200, _json(root_info()), {}
        if path == "/_license" and method == "GET":
            return 200, _json({"license": _LICENSE}), {}
        if path == "/_xpack" and method == "GET":
            return 200, _json(_xpack()), {}
        if path == "/_cluster/health" and method in {"GET", "HEAD"}:
            return 200, _json(_health()), {}
        if len(parts) == 2 and parts[0] in {"_index_template", "_template", "_component_template"}:
            return self._remember(request, parts[0], parts[1], "index_templates")
        if len(parts) == 3 and parts[:2] == ["_ilm", "policy"]:
            return self._remember(request, "_ilm", parts[2], "policy")
        if method in {"PUT", "POST"} and parts and parts[0].startswith("_"):
            return 200, _json({"acknowledged": True}), {}
        if len(parts) == 2 and parts[0] == "_data_stream" and method in {"GET", "HEAD"}:
            return 200, _json({"data_streams": []}), {}
        return 404, _json(es_error(404, "resource_not_found_exception", f"no handler for [{method} {path}]")), {}

    def _remember(self, request: Request, kind: str, name: str, key: str) -> tuple[int, bytes, dict[str, str]]:
        slot = f"{kind}/{name}"
        if request.method in {"PUT", "POST"}:
            try:
                body = json.loads(decode_body(request) or b"{}")
            except ValueError as exc:
                raise HttpError(400, "请求体不是 JSON") from exc
            self.templates[slot] = body if isinstance(body, dict) else {}
            return 200, _json({"acknowledged": True}), {}
        if request.method == "DELETE":
            self.templates.pop(slot, None)
            return 200, _json({"acknowledged": True}), {}
        if slot not in self.templates:
            return 404, _json(es_error(404, "resource_not_found_exception", f"[{name}] not found")), {}
        stored = self.templates[slot]
        if kind == "_ilm":
            return (
                200,
                _json(
                    {
                        name: {
                            "version": 1,
                            "modified_date": "2024-01-01T00:00:00.000Z",
                            "policy": stored.get("policy", {}),
                        }
                    }
                ),
                {},
            )
        if kind == "_index_template":
            return 200, _json({key: [{"name": name, "index_template": stored}]}), {}
        return 200, _json({name: stored}), {}

    async def ndjson(self, request: Request) -> tuple[int, bytes, dict[str, str]]:
        source = self._authenticate(request)
        body = decode_body(request)
        now = time.time()
        records = []
        for line in body.split(b"\n"):
            line = line.strip()
            if not line:
                continue
            kind = KIND_JSON if line.startswith(b"{") else KIND_SYSLOG
            records.append(Record(now, source.id, kind, request.peer, line[:MAX_RECORD]))
        ids: list[str] = []
        if records:
            ids = await self.ingestor.submit(records)
        return 200, _json({"accepted": len(records), "ids": ids[:1] + ids[-1:] if ids else []}), {}

    async def bulk(self, request: Request, index: str) -> tuple[int, bytes, dict[str, str]]:
        started = time.monotonic()
        source = self._authenticate(request)
        body = decode_body(request)
        items = parse_bulk(body, default_index=index or "logs", source_id=source.id, peer=request.peer, now=time.time())
        records = [item.record for item in items if item.record is not None]
        ids: list[str] = await self.ingestor.submit(records) if records else []
        # the answer Filebeat & co. read item by item, written from a template (a dict per item and
        # json.dumps over thousands of them cost more than spooling the documents)
        out: list[str] = []
        errors = False
        it = iter(ids)
        quoted: dict[Any, str] = {}

        def q(value: Any) -> str:
            text = quoted.get(value)
            if text is None:
                text = quoted[value] = json.dumps(value, ensure_ascii=False)
            return text

        for item in items:
            if item.record is None:
                assert item.error is not None
                errors = True
                status, kind, reason = item.error
                error = {
                    "_index": item.index,
                    "_id": item.doc_id,
                    "status": status,
                    "error": {"type": kind, "reason": reason},
                }
                out.append(_json({item.op: error}).decode())
                continue
            self.seq_no += 1
            # spool event ids are ``<hex>-<seq>:<offset>``: nothing in them to escape
            doc_id = json.dumps(item.doc_id, ensure_ascii=False) if item.doc_id else f'"{next(it)}"'
            out.append(
                f'{{{q(item.op)}:{{"_index":{q(item.index)},"_id":{doc_id},"_version":1,"result":"created",'
                f'"_shards":{{"total":1,"successful":1,"failed":0}},"_seq_no":{self.seq_no},"_primary_term":1,'
                f'"status":201}}}}'
            )
            if item.doc_id:
                next(it)
        took = int((time.monotonic() - started) * 1000)
        answer = f'{{"took":{took},"errors":{"true" if errors else "false"},"items":[{",".join(out)}]}}'
        return 200, answer.encode(), {}


def _xpack() -> dict[str, Any]:
    on = {"available": True, "enabled": True}
    return {
        "build": {"hash": "edubase", "date": "2024-08-05T10:05:34.233336849Z"},
        "license": {"uid": "edubase", "type": "basic", "mode": "basic", "status": "active"},
        "features": {"ilm": on, "security": {"available": True, "enabled": False}, "monitoring": on},
        "tagline": "You know, for X",
    }


def _health() -> dict[str, Any]:
    return {
        "cluster_name": "edubase",
        "status": "green",
        "timed_out": False,
        "number_of_nodes": 1,
        "number_of_data_nodes": 1,
        "active_primary_shards": 1,
        "active_shards": 1,
        "relocating_shards": 0,
        "initializing_shards": 0,
        "unassigned_shards": 0,
        "delayed_unassigned_shards": 0,
        "number_of_pending_tasks": 0,
        "number_of_in_flight_fetch": 0,
        "task_max_waiting_in_queue_millis": 0,
        "active_shards_percent_as_number": 100.0,
    }
