"""The whole-pool de-duplication on DuckDB (``matching.dedup``) counts golden records by the same rules."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa

from edubase.datagov.pool import matching

BIRTH = dt.date(2016, 3, 7)


def _row(school: int, number: str, name: str, *, phone: str = "", guardian: str = "") -> dict[str, object]:
    return {
        "school_id": school, "student_number": number, "person_key": number, "name": name, "sex": "1",
        "birth_date": BIRTH, "guardian_name": guardian, "guardian_phone": phone,
    }  # fmt: skip


def test_dedup_counts_exact_fuzzy_and_review_bands():
    rows = [
        _row(1, "G410102201603070113", "张小明"),
        _row(2, "G410102201603070113", "张小明"),  # same identifier, second school: one golden, a conflict
        _row(1, "G410102201603070121", "王芳"),
        _row(1, "L" + "A" * 18, "李子涵", phone="13800000001"),
        _row(2, "L" + "B" * 18, "李子涵", phone="13800000001"),  # same name and guardian phone: merged
        _row(1, "L" + "C" * 18, "赵梓轩", guardian="赵建国"),
        _row(3, "L" + "D" * 18, "赵梓萱", guardian="赵建国"),  # one character off, guardian by name: review
        _row(1, "L" + "E" * 18, "孙浩宇"),
    ]
    con = duckdb.connect()
    con.register("t", pa.Table.from_pylist(rows))
    found = matching.dedup(con, "t")
    assert found == {
        "identified": 2,
        "multi_school": 1,
        "l_rows": 5,
        "l_merged": 1,
        "review_pairs": 1,
        "golden": 6,
    }
