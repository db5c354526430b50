"""Syslog receivers: UDP (one datagram = one message) and TCP/TLS with RFC 6587 framing.

TCP framing is detected per connection from its first byte: a digit means octet counting
(``MSG-LEN SP SYSLOG-MSG``, RFC 6587 §3.4.1), anything else non-transparent framing (messages
ended by LF; a CR before it and NUL terminators are tolerated). The message text (RFC 3164 or
5424) is handed to the parsers untouched.

Syslog carries no credentials: the sender is recognised by its address (``LogSource.sender_ips``);
an unknown address is refused and counted, nothing of it is stored.

Syslog has no application-level acknowledgement. Records are spooled and ``fsync``'ed in order;
reading pauses while too many of a connection's records wait for the disk (back-pressure), and when
the sender half-closes its side, edubase answers ``OK <count>\\n`` once everything it sent is
durable and then closes: a sender that reads that line knows all its messages are safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from typing import TYPE_CHECKING, Any

from edubase.secops.logs.ingest.spool import KIND_SYSLOG, Record

if TYPE_CHECKING:
    from edubase.secops.logs.ingest.server import Ingestor

logger = logging.getLogger(__name__)

MAX_MESSAGE = 64 * 1024
#: pause reading a connection while this many of its records wait for ``fsync``
MAX_PENDING = 20_000


def _peer_ip(address: Any) -> str:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        return host[7:] if host.startswith("::ffff:") else host
    return "unknown"


class SyslogUDP(asyncio.DatagramProtocol):
    """One datagram, one message; no acknowledgement exists, so records are spooled without waiting."""

    def __init__(self, ingestor: Ingestor) -> None:
        self.ingestor = ingestor

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        peer = _peer_ip(addr)
        source = self.ingestor.sources.by_ip(peer)
        if source is None:
            self.ingestor.reject(peer, "unknown_source")
            return
        message = data.rstrip(b"\r\n\x00")
        if not message:
            return
        if len(message) > MAX_MESSAGE:
            message = message[:MAX_MESSAGE]
        self.ingestor.submit_or_drop([Record(time.time(), source.id, KIND_SYSLOG, peer, message)])


class SyslogTCP(asyncio.Protocol):
    """A TCP (or TLS) syslog connection with auto-detected octet-counting / LF framing."""

    def __init__(self, ingestor: Ingestor) -> None:
        self.ingestor = ingestor
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.octet: bool | None = None
        self.peer = "unknown"
        self.source_id: int | None = None
        self.pending = 0
        self.received = 0
        self.durable = 0
        self.paused = False
        self.eof = False
        self.waiters: set[asyncio.Future[Any]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.peer = _peer_ip(transport.get_extra_info("peername"))
        source = self.ingestor.sources.by_ip(self.peer)
        self.source_id = source.id if source is not None else None

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.octet is None:
            self.octet = self.buf[:1].isdigit()
        messages = self._octet_frames() if self.octet else self._lf_frames()
        if messages:
            self._accept(messages)

    def _octet_frames(self) -> list[bytes]:
        out = []
        buf = self.buf
        pos = 0
        while True:
            space = buf.find(b" ", pos, pos + 12)
            if space < 0:
                if len(buf) - pos > 11 or (len(buf) > pos and not buf[pos : pos + 1].isdigit()):
                    self._framing_error()
                break
            digits = bytes(buf[pos:space])
            if not digits.isdigit():
                self._framing_error()
                break
            length = int(digits)
            if length > MAX_MESSAGE:
                self._framing_error()
                break
            end = space + 1 + length
            if end > len(buf):
                break
            out.append(bytes(buf[space + 1 : end]))
            pos = end
        del buf[:pos]
        return out

    def _lf_frames(self) -> list[bytes]:
        buf = self.buf
        cut = buf.rfind(b"\n")
        if cut < 0:
            if len(buf) > MAX_MESSAGE:  # an over-long line: keep it, in pieces, never drop it
                piece = bytes(buf[:MAX_MESSAGE])
                del buf[:MAX_MESSAGE]
                return [piece]
            return []
        chunk = bytes(buf[:cut])
        del buf[: cut + 1]
        out = []
        for line in chunk.split(b"\n"):
            line = line.rstrip(b"\r\x00")
            while len(line) > MAX_MESSAGE:
                out.append(line[:MAX_MESSAGE])
                line = line[MAX_MESSAGE:]
            if line:
                out.append(line)
        return out

    def _framing_error(self) -> None:
        self.ingestor.reject(self.peer, "bad_framing")
        self.buf.clear()
        if self.transport is not None:
            self.transport.close()

    def _accept(self, messages: list[bytes]) -> None:
        if self.source_id is None:
            self.ingestor.reject(self.peer, "unknown_source", len(messages))
            return
        now = time.time()
        sid, peer = self.source_id, self.peer
        records = [Record(now, sid, KIND_SYSLOG, peer, m) for m in messages]
        n = len(records)
        self.received += n
        self.pending += n
        fut = self.ingestor.submit(records)
        self.waiters.add(fut)
        fut.add_done_callback(functools.partial(self._done, n=n))
        if self.pending > MAX_PENDING and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()

    def _done(self, fut: asyncio.Future[Any], *, n: int) -> None:
        self.waiters.discard(fut)
        self.pending -= n
        if fut.cancelled() or fut.exception() is not None:
            if self.transport is not None:
                self.transport.abort()  # never acknowledge what may not be on disk
            return
        self.durable += n
        if self.paused and self.pending <= MAX_PENDING // 2 and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()
        if self.eof and not self.waiters:
            self._finish()

    def eof_received(self) -> bool:
        self.eof = True
        if self.buf and not self.octet:  # a last line without its LF
            line = bytes(self.buf).rstrip(b"\r\n\x00")
            self.buf.clear()
            if line:
                self._accept([line])
        if not self.waiters:
            self._finish()
        return True  # keep our side open until the answer is written

    def _finish(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            with contextlib.suppress(Exception):
                self.transport.write(f"OK {self.durable}\n".encode())
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
