"""Watermarks (pure): trace codes and marker rows survive cutting, reordering and dropped columns."""

from __future__ import annotations

import csv
import io
import random

from edubase.core.tabular import write_xlsx
from edubase.datagov.sharing import watermark

CIPHER = bytes(range(16))
KEYS = {7: b"k" * 32, 8: b"q" * 32}
HEADERS = ["姓名", "身份证件号", "年级", "学校代码"]


def _rows(n: int) -> list[list[str]]:
    rnd = random.Random(5)
    surnames = "王李张刘陈杨赵黄周吴"
    return [
        [
            f"{rnd.choice(surnames)}*{rnd.choice('明红刚丽')}",
            f"4101{rnd.randint(10, 99)}{rnd.randint(2008, 2018)}********",
            rnd.choice(["一年级", "二年级", "三年级"]),
            rnd.choice(["2141000001", "2141000002"]),
        ]
        for _ in range(n)
    ]


def _extract(grant_id: int, rows: list[list[str]]) -> tuple[list[str], list[list[str]], list[dict[str, str]]]:
    marked = watermark.insert_markers(
        grant_key=KEYS[grant_id], headers=HEADERS, rows=rows, distinctive=["姓名", "身份证件号"]
    )
    out = [
        [*r, watermark.row_ref(cipher_key=CIPHER, grant_id=grant_id, grant_key=KEYS[grant_id], cells=r)]
        for r in marked.rows
    ]
    return [*HEADERS, watermark.REF_COLUMN], out, marked.markers


def _trace(headers, rows, markers=None):
    return watermark.trace(headers, rows, cipher_key=CIPHER, grant_key=KEYS.get, markers=markers)


def test_a_trace_code_names_its_grant_and_is_bound_to_the_row():
    cells = ["张*明", "4101021990********"]
    ref = watermark.row_ref(cipher_key=CIPHER, grant_id=7, grant_key=KEYS[7], cells=cells)
    grant_id, mac = watermark.read_ref(cipher_key=CIPHER, ref=ref)
    assert grant_id == 7
    assert watermark.ref_matches(grant_key=KEYS[7], mac=mac, cells=cells)
    assert not watermark.ref_matches(grant_key=KEYS[7], mac=mac, cells=["李*明", "4101021990********"])
    assert not watermark.ref_matches(grant_key=KEYS[8], mac=mac, cells=cells)


def test_junk_is_not_a_trace_code():
    assert watermark.read_ref(cipher_key=CIPHER, ref="not-a-code") is None
    assert watermark.read_ref(cipher_key=CIPHER, ref="") is None


def test_marker_rows_are_inserted_keyed_and_shaped_like_real_rows():
    rows = _rows(500)
    marked = watermark.insert_markers(grant_key=KEYS[7], headers=HEADERS, rows=rows, distinctive=["姓名", "身份证件号"])
    assert len(marked.rows) == 500 + watermark.marker_count(500) == 505
    extra = [r for r in marked.rows if r not in rows]
    assert len(extra) == 5
    for row in extra:
        assert row[0][1] == "*" and row[1].endswith("********") and row[1][:4].isdigit()
    again = watermark.insert_markers(grant_key=KEYS[7], headers=HEADERS, rows=rows, distinctive=["姓名", "身份证件号"])
    assert again.rows == marked.rows  # deterministic per key
    other = watermark.insert_markers(grant_key=KEYS[8], headers=HEADERS, rows=rows, distinctive=["姓名", "身份证件号"])
    assert other.rows != marked.rows


def test_a_fifth_of_the_rows_reordered_still_names_the_recipient():
    headers, rows, _ = _extract(7, _rows(400))
    cut = random.Random(1).sample(rows, len(rows) // 5)
    result = _trace(headers, cut)
    assert result.grant_id == 7 and result.method == "trace_code" and result.matched_rows == len(cut)


def test_two_recipients_files_are_told_apart():
    base = _rows(200)
    h7, r7, _ = _extract(7, base)
    h8, r8, _ = _extract(8, base)
    assert _trace(h7, r7).grant_id == 7
    assert _trace(h8, r8).grant_id == 8


def test_trace_codes_copied_onto_edited_rows_do_not_count():
    headers, rows, _ = _extract(7, _rows(50))
    forged = [[*r[:2], "九年级", r[3], r[4]] for r in rows]  # a column altered, codes kept
    assert _trace(headers, forged).grant_id is None


def test_with_the_trace_code_column_deleted_the_marker_rows_still_name_the_recipient():
    headers, rows, markers7 = _extract(7, _rows(600))
    _h8, _r8, markers8 = _extract(8, _rows(600))
    stripped_headers = headers[:-1]
    stripped = [r[:-1] for r in rows]
    random.Random(3).shuffle(stripped)
    result = _trace(stripped_headers, stripped, markers={7: markers7, 8: markers8})
    assert result.grant_id == 7 and result.method == "marker_rows" and result.matched_rows >= 1


def test_marker_rows_survive_a_dropped_column_too():
    headers, rows, markers = _extract(7, _rows(300))
    keep = [0, 1, 3]  # grade and the trace code dropped
    result = _trace([headers[i] for i in keep], [[r[i] for i in keep] for r in rows], markers={7: markers})
    assert result.grant_id == 7


def test_a_file_without_marks_names_nobody():
    result = _trace(HEADERS, _rows(100), markers={})
    assert result.grant_id is None and result.method == ""


def test_read_file_reads_xlsx_and_gbk_csv():
    headers, rows, _ = _extract(7, _rows(20))
    xlsx = write_xlsx(headers, rows)
    got_headers, got_rows = watermark.read_file(xlsx, "leak.xlsx")
    assert got_headers == headers and got_rows == rows
    buffer = io.StringIO()
    csv.writer(buffer).writerows([headers, *rows])
    got_headers, got_rows = watermark.read_file(buffer.getvalue().encode("gb18030"), "leak.csv")
    assert got_headers == headers and got_rows == rows
    assert _trace(got_headers, got_rows).grant_id == 7


def test_marker_counts_stay_small_for_small_extracts():
    assert [watermark.marker_count(n) for n in (0, 10, 49, 50, 400, 2_000, 1_000_000)] == [0, 1, 1, 3, 4, 20, 50]
