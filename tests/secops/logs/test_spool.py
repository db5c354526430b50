"""The durable spool: records survive, torn tails are cut, readers resume, ids never repeat."""

from __future__ import annotations

import os
from pathlib import Path

from edubase.secops.logs.ingest.spool import (
    KIND_JSON,
    KIND_SYSLOG,
    Block,
    Mark,
    Record,
    Spooled,
    SpoolReader,
    SpoolWriter,
    decode_all,
    segments,
)


def rec(i: int, kind: int = KIND_SYSLOG) -> Record:
    return Record(1_700_000_000.0 + i, 7, kind, "10.0.0.9", f"<34>Oct 11 22:14:15 host app: line {i}".encode())


def test_records_written_and_synced_are_read_back_in_order(tmp_path: Path) -> None:
    w = SpoolWriter(tmp_path)
    ids = w.append([rec(i) for i in range(100)])
    w.sync()
    got = SpoolReader(tmp_path).read(max_records=1000)
    assert [s.event_id for s in got] == ids
    assert got[42].record == rec(42)
    assert len(set(ids)) == 100


def test_json_kind_and_binary_payload_round_trip(tmp_path: Path) -> None:
    w = SpoolWriter(tmp_path)
    r = Record(1.5, 3, KIND_JSON, "2001:db8::1", '{"message":"中文 \\u0000"}'.encode() + b"\xff")
    w.append([r])
    w.sync()
    assert SpoolReader(tmp_path).read()[0].record == r


def test_a_reader_resumes_from_its_committed_offset(tmp_path: Path) -> None:
    w = SpoolWriter(tmp_path)
    w.append([rec(i) for i in range(10)])
    w.sync()
    r = SpoolReader(tmp_path)
    first = r.read(max_records=4)
    r.commit_through(first)
    r.read(max_records=3)  # read but never committed: replayed after a restart
    again = SpoolReader(tmp_path).read(max_records=100)
    assert [s.record.data for s in again] == [rec(i).data for i in range(4, 10)]


def test_a_torn_tail_is_cut_and_writing_continues_in_a_new_segment(tmp_path: Path) -> None:
    w = SpoolWriter(tmp_path)
    w.append([rec(i) for i in range(5)])
    w.sync()
    seg = tmp_path / f"{segments(tmp_path)[-1]:010d}.seg"
    with open(seg, "ab") as f:  # a crash in the middle of a write
        f.write(b"\x00\x00\x01\x00\xde\xad")
    w2 = SpoolWriter(tmp_path)
    assert os.path.getsize(seg) < 10_000 and seg.read_bytes()[-6:] != b"\x00\x00\x01\x00\xde\xad"
    ids = w2.append([rec(99)])
    w2.sync()
    got = SpoolReader(tmp_path).read(max_records=100)
    assert [s.record.data for s in got] == [rec(i).data for i in [0, 1, 2, 3, 4, 99]]
    assert got[-1].event_id == ids[0]
    assert got[0].event_id.split(":")[0] != got[-1].event_id.split(":")[0]


def test_a_corrupt_record_mid_segment_does_not_stop_later_segments(tmp_path: Path) -> None:
    w = SpoolWriter(tmp_path)
    w.append([rec(i) for i in range(3)])
    w.sync()
    seg = tmp_path / f"{segments(tmp_path)[-1]:010d}.seg"
    data = bytearray(seg.read_bytes())
    data[-3] ^= 0xFF  # flip a byte of the last record: its CRC fails
    seg.write_bytes(bytes(data))
    w.seq += 1
    w._open()
    w.append([rec(50)])
    w.sync()
    r = SpoolReader(tmp_path)
    got = r.read(max_records=100)
    assert [s.record.data for s in got] == [rec(0).data, rec(1).data, rec(50).data]
    assert r.corrupt == 1


def test_segments_rotate_and_processed_ones_are_deleted(tmp_path: Path) -> None:
    w = SpoolWriter(tmp_path, segment_bytes=500)
    for i in range(30):
        w.append([rec(i)])
    w.sync()
    assert len(segments(tmp_path)) > 3
    r = SpoolReader(tmp_path)
    got = r.read(max_records=1000)
    assert [s.record.data for s in got] == [rec(i).data for i in range(30)]
    r.commit_through(got)
    assert segments(tmp_path) == [got[-1].seq]


def test_event_ids_never_repeat_after_every_segment_is_deleted(tmp_path: Path) -> None:
    w = SpoolWriter(tmp_path)
    first = w.append([rec(0)])
    w.sync()
    w.close()
    r = SpoolReader(tmp_path)
    r.commit_through(r.read())
    for seq in segments(tmp_path):
        (tmp_path / f"{seq:010d}.seg").unlink()
    w2 = SpoolWriter(tmp_path)
    second = w2.append([rec(1)])
    assert first != second


def test_a_wiped_spool_gets_a_new_id_so_ids_stay_unique(tmp_path: Path) -> None:
    a = SpoolWriter(tmp_path / "a").append([rec(0)])
    b = SpoolWriter(tmp_path / "b").append([rec(0)])
    assert a != b


def test_the_reader_waits_for_an_incomplete_record(tmp_path: Path) -> None:
    w = SpoolWriter(tmp_path)
    w.append([rec(1)])
    w.sync()
    seg = tmp_path / f"{segments(tmp_path)[-1]:010d}.seg"
    whole = seg.read_bytes()
    blob = decode_all(whole)
    assert len(blob) == 1
    seg.write_bytes(whole + whole[:10])  # the start of a record still being written
    r = SpoolReader(tmp_path)
    assert len(r.read()) == 1
    with open(seg, "ab") as f:
        f.write(whole[10:])
    again = r.read()
    assert [s.record for s in again] == [rec(1)]


# -- the columnar read (``read_block``) gives exactly what ``read`` gives --------------------------


def _drain_rows(reader: SpoolReader, n: int) -> list[list[Spooled]]:
    batches = []
    while items := reader.read(max_records=n):
        batches.append(items)
    return batches


def _drain_blocks(reader: SpoolReader, n: int, max_bytes: int = 64 * 1024 * 1024) -> list[Block]:
    blocks = []
    while (block := reader.read_block(max_records=n, max_bytes=max_bytes)) is not None:
        assert 0 < len(block) <= n
        assert [block.item(i) for i in range(len(block))] == block.items()
        blocks.append(block)
    return blocks


def _assert_same_reads(path: Path, sizes: tuple[int, ...] = (1, 3, 7, 1000)) -> None:
    """Batch for batch: the same records, event ids and first/last positions."""
    for n in sizes:
        rows_reader, block_reader = SpoolReader(path, name=f"rows{n}"), SpoolReader(path, name=f"blocks{n}")
        batches, blocks = _drain_rows(rows_reader, n), _drain_blocks(block_reader, n)
        assert len(blocks) == len(batches) > 0
        for items, block in zip(batches, blocks, strict=True):
            assert block.items() == [(s.event_id, s.record) for s in items]
            assert block.first == Mark(items[0].seq, items[0].offset, items[0].end)
            assert block.last == Mark(items[-1].seq, items[-1].offset, items[-1].end)
        assert block_reader.corrupt == rows_reader.corrupt
        assert (block_reader.seq, block_reader.offset) == (rows_reader.seq, rows_reader.offset)


def test_read_block_matches_read_over_segments_torn_tails_and_corruption(tmp_path: Path) -> None:
    import random

    rng = random.Random(11)
    w = SpoolWriter(tmp_path, segment_bytes=4000)
    for i in range(120):
        size = rng.choice([0, 1, 40, 300, 2000])
        data = bytes(rng.randrange(256) for _ in range(size)) if i % 3 else f"<13>line {i}".encode() * (size // 10)
        kind = KIND_JSON if i % 5 == 0 else KIND_SYSLOG
        peer = rng.choice(["10.0.0.9", "", "2001:db8::1", "x" * 255])
        w.append([Record(1_700_000_000.25 + i / 7, rng.randrange(1, 5), kind, peer, data)])
    w.sync()
    _assert_same_reads(tmp_path)
    # a corrupt record in an older segment (skipped once a newer one exists) and a torn tail
    segs = segments(tmp_path)
    old = tmp_path / f"{segs[1]:010d}.seg"
    data = bytearray(old.read_bytes())
    data[len(data) // 2] ^= 0xFF
    old.write_bytes(bytes(data))
    with open(tmp_path / f"{segs[-1]:010d}.seg", "ab") as f:
        f.write(b"\x00\x00\x01\x00\xde\xad")
    reader = SpoolReader(tmp_path, name="once")
    assert sum(len(b) for b in _drain_blocks(reader, 1000)) < 120
    assert reader.corrupt == 1
    _assert_same_reads(tmp_path)


def test_read_block_resumes_from_the_committed_offset_and_commits_through_a_block(tmp_path: Path) -> None:
    w = SpoolWriter(tmp_path)
    w.append([rec(i) for i in range(10)])
    w.sync()
    r = SpoolReader(tmp_path)
    block = r.read_block(max_records=4)
    assert block is not None and len(block) == 4
    r.commit_through(block)
    assert r.read_block(max_records=3) is not None  # read but never committed: replayed after a restart
    again = SpoolReader(tmp_path).read_block(max_records=100)
    assert again is not None
    assert [record.data for _eid, record in again.items()] == [rec(i).data for i in range(4, 10)]
    assert SpoolReader(tmp_path).read_block() is not None
    assert r.read_block() is not None and r.read_block() is None


def test_read_block_counts_records_and_latest_receipt_per_source(tmp_path: Path) -> None:
    w = SpoolWriter(tmp_path)
    w.append([Record(100.0 + i, 1 + i % 3, KIND_SYSLOG, "p", b"x") for i in range(10)])
    w.sync()
    block = SpoolReader(tmp_path).read_block()
    assert block is not None
    assert block.counts() == {1: [4, 0, 109.0], 2: [3, 0, 107.0], 3: [3, 0, 108.0]}


def test_read_block_caps_its_bytes_without_skipping_a_record(tmp_path: Path) -> None:
    """Large documents make smaller blocks; a record larger than what is left of a block waits
    for the next block (never skipped, never read twice), across segment boundaries too."""
    from edubase.secops.logs.ingest.spool import MAX_RECORD

    w = SpoolWriter(tmp_path, segment_bytes=6 * 1024 * 1024)
    sizes = [MAX_RECORD, 10, 3 * 1024 * 1024, MAX_RECORD - 1, 1, 2 * 1024 * 1024, MAX_RECORD, 5]
    for i, size in enumerate(sizes):
        w.append([Record(float(i), 1, KIND_JSON, "p", bytes([65 + i]) * size)])
    w.sync()
    reader = SpoolReader(tmp_path)
    blocks = _drain_blocks(reader, 1000, max_bytes=1)  # the smallest block: room for two of the largest
    assert len(blocks) > 2
    got = [(eid, record) for block in blocks for eid, record in block.items()]
    assert got == [(s.event_id, s.record) for s in SpoolReader(tmp_path, name="rows").read(max_records=1000)]
    assert [len(record.data) for _eid, record in got] == sizes
