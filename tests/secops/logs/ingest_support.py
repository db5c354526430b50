"""Helpers for the ingestion tests: a receiver running in a thread, clients speaking the real wire formats."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from edubase.secops.logs.ingest.server import IngestOptions, Listening, run_receiver
from edubase.secops.logs.ingest.spool import Spooled, SpoolReader
from edubase.secops.logs.sources import SourceEntry, new_token, token_digest


def source(source_id: int, *, ips: tuple[str, ...] = (), fmt: str = "auto") -> tuple[SourceEntry, str]:
    prefix, token = new_token()
    return SourceEntry(source_id, "410000/410100/", fmt, prefix, token_digest(token), ips), token


class Receiver:
    """``run_receiver`` on its own event loop in a thread, on free ports."""

    def __init__(self, spool_dir: Path, entries: list[SourceEntry], **ports: Any) -> None:
        self.spool_dir = spool_dir
        self.entries = entries
        self.rejections: dict[tuple[str, str], int] = {}
        self.options = IngestOptions(spool_dir=spool_dir, host="127.0.0.1", flush_s=0.05, **ports)
        self.ports: dict[str, int] = {}
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _flush(self, counts: dict[tuple[str, str], int]) -> None:
        for key, n in counts.items():
            self.rejections[key] = self.rejections.get(key, 0) + n

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()

            def ready(bound: Listening) -> None:
                self.ports = bound.ports
                self._ready.set()

            await run_receiver(
                self.options,
                load_sources=lambda: list(self.entries),
                flush_rejections=self._flush,
                stop=self._stop,
                on_ready=ready,
            )

        try:
            asyncio.run(main())
        except BaseException as exc:  # surfaced by start()/stop()
            self._error = exc
            self._ready.set()

    def start(self) -> Receiver:
        self._thread.start()
        assert self._ready.wait(10), "receiver did not start"
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        if self._error is not None:
            raise self._error

    def spooled(self) -> list[Spooled]:
        return SpoolReader(self.spool_dir, name="test-reader").read(max_records=1_000_000)

    def wait_spooled(self, n: int, timeout: float = 10.0) -> list[Spooled]:
        deadline = time.monotonic() + timeout
        got = self.spooled()
        while len(got) < n and time.monotonic() < deadline:
            time.sleep(0.02)
            got = self.spooled()
        return got

    def wait_rejections(self, key: tuple[str, str], n: int, timeout: float = 10.0) -> int:
        deadline = time.monotonic() + timeout
        while self.rejections.get(key, 0) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.rejections.get(key, 0)


@contextlib.contextmanager
def running(spool_dir: Path, entries: list[SourceEntry], **ports: Any) -> Iterator[Receiver]:
    r = Receiver(spool_dir, entries, **ports).start()
    try:
        yield r
    finally:
        r.stop()


# --- clients ----------------------------------------------------------------------------------------


def octet_frames(messages: list[str]) -> bytes:
    out = bytearray()
    for m in messages:
        raw = m.encode()
        out += f"{len(raw)} ".encode() + raw
    return bytes(out)


def send_and_confirm(sock: socket.socket, data: bytes, timeout: float = 10.0) -> str:
    """Send, half-close, read edubase's ``OK <count>`` answer (empty when the connection died)."""
    sock.settimeout(timeout)
    sock.sendall(data)
    sock.shutdown(socket.SHUT_WR)
    answer = b""
    with contextlib.suppress(OSError):
        while chunk := sock.recv(4096):
            answer += chunk
    return answer.decode()


def http(
    port: int,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    sock: socket.socket | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 request (on ``sock`` when given, for keep-alive)."""
    own = sock is None
    s = sock or socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        s.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        return read_response(s, head_only=method == "HEAD")
    finally:
        if own:
            s.close()


def read_response(s: socket.socket, *, head_only: bool = False) -> tuple[int, dict[str, str], bytes]:
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed before the response head")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if status == 100:
        return read_response_rest(s, rest, head_only=head_only)
    length = 0 if head_only else int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, headers, rest[:length]


def read_response_rest(s: socket.socket, rest: bytes, *, head_only: bool) -> tuple[int, dict[str, str], bytes]:
    class Prefixed:
        def __init__(self) -> None:
            self.pending = rest

        def recv(self, n: int) -> bytes:
            if self.pending:
                out, self.pending = self.pending, b""
                return out
            return s.recv(n)

    return read_response(Prefixed(), head_only=head_only)  # type: ignore[arg-type]


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def api_key(key_id: str, key: str) -> str:
    return "ApiKey " + base64.b64encode(f"{key_id}:{key}".encode()).decode()


def filebeat_doc(line: str, *, n: int = 0) -> dict[str, Any]:
    """A document as Filebeat 8.15 ships a log line (ECS envelope around ``message``)."""
    ts = dt.datetime(2025, 3, 1, 8, 0, n % 60, tzinfo=dt.UTC).isoformat().replace("+00:00", "Z")
    return {
        "@timestamp": ts,
        "log": {"offset": n * 120, "file": {"path": "/var/log/nginx/access.log"}},
        "message": line,
        "input": {"type": "filestream"},
        "ecs": {"version": "8.0.0"},
        "host": {"name": "web01", "hostname": "web01", "architecture": "x86_64"},
        "agent": {"type": "filebeat", "version": "8.15.0", "name": "web01", "id": "0b1c", "ephemeral_id": "e1"},
    }


def ndjson(lines: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(x, separators=(",", ":")).encode() + b"\n" for x in lines)


def tls_client_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A throwaway certificate and key for 127.0.0.1 (made with ``cryptography``)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "edubase-ingest-test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path
