"""The durable spool: append-only segment files that every accepted record reaches before it is acknowledged.

Layout under ``<dir>``: ``ID`` (a random spool id, written once, so event ids never repeat even
if the directory is wiped and recreated), segment files ``<seq>.seg`` (``seq`` grows forever), and
one ``<reader>.offset`` file per reader (the position it has fully processed).

A record on disk: ``>II`` (body length, CRC-32 of the body) then the body
``>dIBB`` (receipt time, source id, kind, peer length), the peer (ASCII), the payload bytes.

Writers append whole groups with one ``write`` and call :meth:`SpoolWriter.sync` (``fsync``)
before anything in the group is acknowledged; the asyncio group commit in ``server`` lets every
record that arrives during one ``fsync`` share the next. On start the writer cuts a torn tail off
the newest segment (a crash mid-write) and opens a fresh segment. Readers read complete records,
may run ahead of ``fsync`` (an unsynced record lost in a crash was never acknowledged, so having it
in the store is harmless), and commit their position after the store write; replays are harmless
because the event id is the record's place in the spool (:func:`event_id`) and the store ignores
an id it already holds.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

_HEAD = struct.Struct(">II")
_BODY = struct.Struct(">dIBB")
#: a record larger than this is refused by receivers (and treated as corruption by readers)
MAX_RECORD = 4 * 1024 * 1024
SEGMENT_BYTES = 64 * 1024 * 1024

KIND_SYSLOG = 0  # one syslog message (RFC 3164 / 5424 text)
KIND_JSON = 1  # one JSON document (HTTP NDJSON line or ``_bulk`` source document)
KINDS = {KIND_SYSLOG: "syslog", KIND_JSON: "json"}


@dataclass(frozen=True, slots=True)
class Record:
    """One accepted message as the receiver saw it."""

    received_at: float  # epoch seconds
    source_id: int
    kind: int
    peer: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Spooled:
    """A record read back from the spool with its place (``seq``/``offset``) and the offset after it."""

    record: Record
    segment: str
    seq: int
    offset: int
    end: int

    @property
    def event_id(self) -> str:
        return event_id(self.segment, self.offset)


def event_id(segment: str, offset: int) -> str:
    """The stable id of the record at ``offset`` of ``segment`` (``event.id`` in the store)."""
    return f"{segment}:{offset}"


def encode(record: Record) -> bytes:
    peer = record.peer.encode("ascii", "replace")[:255]
    body = _BODY.pack(record.received_at, record.source_id, record.kind, len(peer)) + peer + record.data
    return _HEAD.pack(len(body), zlib.crc32(body)) + body


def _decode_body(body: bytes) -> Record:
    received_at, source_id, kind, peer_len = _BODY.unpack_from(body)
    start = _BODY.size
    peer = body[start : start + peer_len].decode("ascii", "replace")
    return Record(received_at, source_id, kind, peer, body[start + peer_len :])


def _scan(buf: bytes, pos: int = 0) -> Iterator[tuple[int, int, Record | None]]:
    """(offset, end, record) for each complete record from ``pos``; ``None`` marks a corrupt one (stop)."""
    size = len(buf)
    while pos + _HEAD.size <= size:
        length, crc = _HEAD.unpack_from(buf, pos)
        end = pos + _HEAD.size + length
        if length < _BODY.size or length > MAX_RECORD + 512:
            yield pos, end, None
            return
        if end > size:
            return
        body = buf[pos + _HEAD.size : end]
        if zlib.crc32(body) != crc:
            yield pos, end, None
            return
        yield pos, end, _decode_body(body)
        pos = end


def spool_id(directory: Path) -> str:
    """The spool's random id, created on first use."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "ID"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        value = secrets.token_hex(3)
        tmp = directory / "ID.tmp"
        tmp.write_text(value)
        os.replace(tmp, path)
        _fsync_dir(directory)
        return value


def segments(directory: Path) -> list[int]:
    """The sequence numbers of the segment files present, oldest first."""
    out = []
    for name in os.listdir(directory) if directory.exists() else []:
        if name.endswith(".seg") and name[:-4].isdigit():
            out.append(int(name[:-4]))
    return sorted(out)


def _seg_path(directory: Path, seq: int) -> Path:
    return directory / f"{seq:010d}.seg"


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class SpoolWriter:
    """Appends record groups to the newest segment; :meth:`sync` makes them durable."""

    def __init__(self, directory: Path, *, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.directory = Path(directory)
        self.id = spool_id(self.directory)
        self.segment_bytes = segment_bytes
        existing = segments(self.directory)
        if existing:
            self._repair(existing[-1])
        committed = max((read_offset(self.directory, name)[0] for name in _reader_names(self.directory)), default=0)
        self.seq = max([*existing, committed]) + 1
        self._fd = -1
        self.size = 0
        self._open()
        self.dirty = False

    def _repair(self, seq: int) -> None:
        """Cut a torn tail (a crash mid-write) off segment ``seq``."""
        path = _seg_path(self.directory, seq)
        buf = path.read_bytes()
        good = 0
        for _offset, end, record in _scan(buf):
            if record is None:
                break
            good = end
        if good != len(buf):
            with open(path, "r+b") as f:
                f.truncate(good)
                f.flush()
                os.fsync(f.fileno())

    def _open(self) -> None:
        if self._fd >= 0:
            os.fsync(self._fd)
            os.close(self._fd)
        self._fd = os.open(_seg_path(self.directory, self.seq), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.size = os.fstat(self._fd).st_size
        _fsync_dir(self.directory)

    @property
    def segment(self) -> str:
        return f"{self.id}-{self.seq}"

    def append(self, records: Iterable[Record]) -> list[str]:
        """Write ``records`` (not yet durable) and return their event ids."""
        if self.size >= self.segment_bytes:
            self.seq += 1
            self._open()
        ids = []
        chunks = []
        pos = self.size
        segment = self.segment
        for record in records:
            blob = encode(record)
            ids.append(event_id(segment, pos))
            chunks.append(blob)
            pos += len(blob)
        if chunks:
            data = b"".join(chunks)
            view = memoryview(data)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
            self.size = pos
            self.dirty = True
        return ids

    def sync(self) -> None:
        """``fsync`` what was appended: after this, acknowledging those records is safe."""
        if self.dirty:
            os.fsync(self._fd)
            self.dirty = False

    def close(self) -> None:
        if self._fd >= 0:
            self.sync()
            os.close(self._fd)
            self._fd = -1


def _reader_names(directory: Path) -> list[str]:
    if not directory.exists():
        return []
    return [n[: -len(".offset")] for n in os.listdir(directory) if n.endswith(".offset")]


def read_offset(directory: Path, name: str) -> tuple[int, int]:
    """(segment seq, offset) committed by reader ``name``; (0, 0) when it never committed."""
    try:
        data = json.loads((directory / f"{name}.offset").read_text())
        return int(data["seq"]), int(data["offset"])
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return 0, 0


class SpoolReader:
    """Reads records in order from the last committed position of reader ``name``."""

    def __init__(self, directory: Path, *, name: str = "processor") -> None:
        self.directory = Path(directory)
        self.id = spool_id(self.directory)
        self.name = name
        seq, offset = read_offset(self.directory, name)
        existing = segments(self.directory)
        if existing and seq < existing[0]:
            seq, offset = existing[0], 0
        self.seq, self.offset = seq, offset  # the read position (may be ahead of the committed one)
        self.corrupt = 0

    def read(self, *, max_records: int = 5000, max_bytes: int = 16 * 1024 * 1024) -> list[Spooled]:
        """Up to ``max_records`` complete records after the read position (empty when none yet)."""
        out: list[Spooled] = []
        while len(out) < max_records:
            existing = segments(self.directory)
            later = [s for s in existing if s > self.seq]
            if self.seq not in existing:
                if not later:
                    return out
                self.seq, self.offset = later[0], 0
                continue
            got = self._read_segment(out, max_records, max_bytes)
            if len(out) >= max_records:
                return out
            if got:
                continue
            if not later:
                return out
            # the writer has moved on, so this segment is complete: read it once more, then advance
            if self._read_segment(out, max_records, max_bytes):
                continue
            self.seq, self.offset = later[0], 0
        return out

    def _read_segment(self, out: list[Spooled], max_records: int, max_bytes: int) -> int:
        path = _seg_path(self.directory, self.seq)
        try:
            with open(path, "rb") as f:
                f.seek(self.offset)
                buf = f.read(max_bytes)
        except FileNotFoundError:
            return 0
        segment = f"{self.id}-{self.seq}"
        base = self.offset
        got = 0
        for rel, rel_end, record in _scan(buf):
            if record is None:
                # corruption (a torn write the writer has not cut yet): skip the rest once a newer segment exists
                if any(s > self.seq for s in segments(self.directory)):
                    self.corrupt += 1
                    self.offset = os.path.getsize(path)
                return got
            out.append(Spooled(record, segment, self.seq, base + rel, base + rel_end))
            self.offset = base + rel_end
            got += 1
            if len(out) >= max_records:
                break
        return got

    def commit(self, seq: int, offset: int) -> None:
        """Persist that everything before (``seq``, ``offset``) is processed; drop finished segments."""
        path = self.directory / f"{self.name}.offset"
        tmp = self.directory / f"{self.name}.offset.tmp"
        with open(tmp, "w") as f:
            json.dump({"seq": seq, "offset": offset}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(self.directory)
        others = [read_offset(self.directory, n)[0] for n in _reader_names(self.directory) if n != self.name]
        floor = min([seq, *others])
        for old in segments(self.directory):
            if old < floor:
                with contextlib.suppress(FileNotFoundError):
                    _seg_path(self.directory, old).unlink()

    def commit_through(self, batch: list[Spooled]) -> None:
        """Commit the position after the last record of ``batch``."""
        if batch:
            self.commit(batch[-1].seq, batch[-1].end)


def decode_all(buf: bytes) -> list[Record]:
    """Every complete, intact record of a segment's bytes (tools and tests)."""
    out = []
    for _offset, _end, record in _scan(buf):
        if record is None:
            break
        out.append(record)
    return out
