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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_HEAD = struct.Struct(">II")
_BODY = struct.Struct(">dIBB")
#: a record larger than this is refused by receivers (and treated as corruption by readers)
MAX_RECORD = 4 * 1024 * 1024
#: the largest record a reader accepts (``_scan``: a longer one is corruption), with its header
_LARGEST = MAX_RECORD + 512 + 8
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


@dataclass(frozen=True, slots=True)
class Mark:
    """A spool position: a record's segment ``seq``, its ``offset`` and the ``end`` after it."""

    seq: int
    offset: int
    end: int


class Block:
    """Records read from the spool as columns (``SpoolReader.read_block``): what the ingest worker
    parses as one batch without a Python object per record. ``items()`` gives the usual
    ``(event id, Record)`` pairs (for the rows the columnar parser leaves to the per-line one)."""

    __slots__ = ("_items", "data", "event_id", "first", "kind", "last", "peer", "received_at", "source_id")

    def __init__(
        self,
        *,
        received_at: Any,
        source_id: Any,
        kind: Any,
        peer: Any,
        data: Any,
        event_id: Any,
        first: Mark,
        last: Mark,
    ) -> None:
        #: numpy float64 / int64 / uint8 columns; ``peer`` and ``event_id`` Arrow strings; ``data`` Arrow binary
        self.received_at, self.source_id, self.kind = received_at, source_id, kind
        self.peer, self.data, self.event_id = peer, data, event_id
        self.first, self.last = first, last
        self._items: list[tuple[str, Record]] | None = None

    def __len__(self) -> int:
        return len(self.received_at)

    @classmethod
    def from_items(cls, items: Sequence[tuple[str, Record]]) -> Block:
        """The columns of ``(event id, Record)`` pairs (records that did not come from a spool read)."""
        import numpy as np
        import pyarrow as pa

        recs = [rec for _eid, rec in items]
        nowhere = Mark(0, 0, 0)
        block = cls(
            received_at=np.array([r.received_at for r in recs], dtype=np.float64),
            source_id=np.array([r.source_id for r in recs], dtype=np.int64),
            kind=np.array([r.kind for r in recs], dtype=np.uint8),
            peer=pa.array([r.peer for r in recs], pa.string()),
            data=pa.array([r.data for r in recs], pa.binary()),
            event_id=pa.array([eid for eid, _rec in items], pa.string()),
            first=nowhere,
            last=nowhere,
        )
        block._items = list(items)
        return block

    def item(self, i: int) -> tuple[str, Record]:
        """Record ``i`` as ``(event id, Record)``."""
        if self._items is not None:
            return self._items[i]
        record = Record(
            float(self.received_at[i]),
            int(self.source_id[i]),
            int(self.kind[i]),
            self.peer[i].as_py(),
            self.data[i].as_py(),
        )
        return self.event_id[i].as_py(), record

    def counts(self) -> dict[int, list[Any]]:
        """Source id → [records, 0, latest receipt time] (the pipeline's per-source counts)."""
        import numpy as np

        sids, at, n = np.unique(self.source_id, return_inverse=True, return_counts=True)
        latest = np.zeros(len(sids), dtype=np.float64)
        np.maximum.at(latest, at, self.received_at)
        rows = zip(sids.tolist(), n.tolist(), latest.tolist(), strict=True)
        return {sid: [count, 0, last] for sid, count, last in rows}

    def items(self) -> list[tuple[str, Record]]:
        """Every record as ``(event id, Record)``, in spool order."""
        if self._items is None:
            peers = self.peer.to_pylist()
            self._items = [
                (eid, Record(rat, sid, kind, peer, data))
                for eid, rat, sid, kind, peer, data in zip(
                    self.event_id.to_pylist(),
                    self.received_at.tolist(),
                    self.source_id.tolist(),
                    self.kind.tolist(),
                    peers,
                    self.data.to_pylist(),
                    strict=True,
                )
            ]
        return self._items

    @property
    def marks(self) -> list[Mark]:
        """The first and the last record's positions (what a worker commits through)."""
        return [self.first, self.last]


def _frame(buf: bytes, limit: int) -> tuple[list[int], int, bool]:
    """The start offsets of the complete, intact records of ``buf`` (at most ``limit``), the offset
    after the last of them, and whether a corrupt record stopped the scan (see :func:`_scan`)."""
    unpack, crc32, view = _HEAD.unpack_from, zlib.crc32, memoryview(buf)
    size, head, floor, ceiling = len(buf), _HEAD.size, _BODY.size, MAX_RECORD + 512
    starts: list[int] = []
    pos = 0
    while pos + head <= size and len(starts) < limit:
        length, crc = unpack(buf, pos)
        end = pos + head + length
        if length < floor or length > ceiling:
            return starts, pos, True
        if end > size:
            break
        if crc32(view[pos + head : end]) != crc:
            return starts, pos, True
        starts.append(pos)
        pos = end
    return starts, pos, False


def _runs(starts: Any, lengths: Any) -> Any:
    """The indices ``starts[i] + 0 … lengths[i] - 1``, concatenated (``lengths`` ≥ 0)."""
    import numpy as np

    offsets = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=offsets[1:])
    return np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()), dtype=np.int64)


def _slices(u8: Any, starts: Any, ends: Any, typ: Any) -> Any:
    """An Arrow binary/string array of the byte ranges ``[starts[i], ends[i])`` of ``u8`` (disjoint,
    ascending), gathered with numpy instead of a slice per record: the short ranges by index, the
    ranges that cover most of the span by dropping the gaps between them."""
    import numpy as np
    import pyarrow as pa

    lengths = ends - starts
    offsets = np.zeros(len(starts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    low, high = int(starts[0]), int(ends[-1])
    if offsets[-1] * 4 < high - low:
        values = u8[_runs(starts, lengths)]
    else:
        keep = np.ones(high - low, dtype=np.bool_)
        keep[_runs(ends[:-1] - low, starts[1:] - ends[:-1])] = False
        values = u8[low:high][keep]
    return pa.Array.from_buffers(typ, len(starts), [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(values)])


def _columns(buf: bytes, starts_list: list[int]) -> dict[str, Any]:
    """The columns of the records that start at ``starts_list`` in ``buf`` (offsets relative to ``buf``)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    u8 = np.frombuffer(buf, dtype=np.uint8)
    starts = np.asarray(starts_list, dtype=np.int64)

    def field(at: int, dtype: str) -> Any:
        width = np.dtype(dtype).itemsize
        return u8[(starts + at)[:, None] + np.arange(width)].copy().view(dtype).ravel()

    length = field(0, ">u4").astype(np.int64)
    peer_len = u8[starts + _HEAD.size + _BODY.size - 1].astype(np.int64)
    peer_at = starts + _HEAD.size + _BODY.size
    ends = starts + _HEAD.size + length
    peer = _slices(u8, peer_at, peer_at + peer_len, pa.binary())
    # peers are ASCII as written (``encode``); a damaged one decodes as ``decode("ascii", "replace")`` would
    if not pc.all(pc.string_is_ascii(peer.view(pa.string()))).as_py():
        peer = pa.array([p.decode("ascii", "replace") for p in peer.to_pylist()], pa.string())
    else:
        peer = peer.view(pa.string())
    return {
        "received_at": field(_HEAD.size, ">f8").astype(np.float64),
        "source_id": field(_HEAD.size + 8, ">u4").astype(np.int64),
        "kind": u8[starts + _HEAD.size + 12].copy(),
        "peer": peer,
        "data": _slices(u8, peer_at + peer_len, ends, pa.binary()),
        "ends": ends,
        "starts": starts,
    }


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

    def _read_from_offset(self, max_bytes: int) -> bytes | None:
        """Up to ``max_bytes`` of the current segment from the read position (None: it is gone)."""
        try:
            with open(_seg_path(self.directory, self.seq), "rb") as f:
                f.seek(self.offset)
                return f.read(max_bytes)
        except FileNotFoundError:
            return None

    def _read_segment(self, out: list[Spooled], max_records: int, max_bytes: int) -> int:
        path = _seg_path(self.directory, self.seq)
        buf = self._read_from_offset(max_bytes)
        if buf is None:
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

    def read_block(self, *, max_records: int = 50000, max_bytes: int = 64 * 1024 * 1024) -> Block | None:
        """:meth:`read` as columns (a :class:`Block`; None when nothing new): the same records, the
        same positions and the same handling of torn and corrupt tails, read in one pass per segment.
        A block holds at most ``max_bytes`` of records (large documents make smaller blocks)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        chunks: list[tuple[dict[str, Any], str, int, int]] = []
        count, used = 0, 0
        budget = max(max_bytes, 2 * _LARGEST)
        # each read may take the largest record whole, so a read that finds nothing means nothing
        # complete is there yet (as in ``read``), never that the block ran out of room
        while count < max_records and budget - used >= _LARGEST:
            existing = segments(self.directory)
            later = [s for s in existing if s > self.seq]
            if self.seq not in existing:
                if not later:
                    break
                self.seq, self.offset = later[0], 0
                continue
            got, size = self._read_columns(chunks, max_records - count, budget - used)
            count, used = count + got, used + size
            if count >= max_records:
                break
            if got:
                continue
            if not later:
                break
            again, size = self._read_columns(chunks, max_records - count, budget - used)  # see ``read``
            if again:
                count, used = count + again, used + size
                continue
            self.seq, self.offset = later[0], 0
        if not chunks:
            return None
        ids = []
        for cols, segment, _seq, base in chunks:
            offsets = pa.array(cols["starts"] + base).cast(pa.string())
            ids.append(pc.binary_join_element_wise(pa.scalar(segment), offsets, ":"))

        def joined(name: str) -> Any:
            parts = [c[name] for c, _s, _q, _b in chunks]
            return (
                parts[0]
                if len(parts) == 1
                else (np.concatenate(parts) if isinstance(parts[0], np.ndarray) else pa.concat_arrays(parts))
            )

        (c0, _s0, seq0, base0), (c1, _s1, seq1, base1) = chunks[0], chunks[-1]
        return Block(
            received_at=joined("received_at"),
            source_id=joined("source_id"),
            kind=joined("kind"),
            peer=joined("peer"),
            data=joined("data"),
            event_id=ids[0] if len(ids) == 1 else pa.concat_arrays(ids),
            first=Mark(seq0, base0 + int(c0["starts"][0]), base0 + int(c0["ends"][0])),
            last=Mark(seq1, base1 + int(c1["starts"][-1]), base1 + int(c1["ends"][-1])),
        )

    def _read_columns(self, chunks: list[Any], max_records: int, max_bytes: int) -> tuple[int, int]:
        """Append the next records of the current segment (up to ``max_records`` and ``max_bytes``)
        to ``chunks``; how many, and how many bytes they span."""
        path = _seg_path(self.directory, self.seq)
        buf = self._read_from_offset(max_bytes)
        if buf is None:
            return 0, 0
        starts, stop, corrupt = _frame(buf, max_records)
        if starts:
            chunks.append((_columns(buf, starts), f"{self.id}-{self.seq}", self.seq, self.offset))
            self.offset += stop
        if corrupt and any(s > self.seq for s in segments(self.directory)):
            self.corrupt += 1
            self.offset = os.path.getsize(path)
        return len(starts), stop

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

    def commit_through(self, batch: Sequence[Spooled | Mark] | Block) -> None:
        """Commit the position after the last record of ``batch``."""
        if isinstance(batch, Block):
            self.commit(batch.last.seq, batch.last.end)
        elif batch:
            self.commit(batch[-1].seq, batch[-1].end)


def decode_all(buf: bytes) -> list[Record]:
    """Every complete, intact record of a segment's bytes (tools and tests)."""
    out = []
    for _offset, _end, record in _scan(buf):
        if record is None:
            break
        out.append(record)
    return out
