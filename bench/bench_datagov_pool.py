"""Roster pool benchmarks (issue 7, "Measured quality and performance"): the quality suite over
5 M roster rows (target < 30 s) and de-duplication of 25 M person rows into golden records
(target < 30 s), each side by side in the same run with a named peer.

* Quality: ``edubase.datagov.pool.quality.evaluate`` — the very SQL the app runs — on DuckDB over
  a Parquet file. Peer: the same rules written as a plain-Python loop over rows (the obvious way
  without a column engine), using the project's own validators (``people.standards.gb11643``);
  run on a subsample and extrapolated linearly to the full row count (stated in the output).
* De-duplication: ``edubase.datagov.pool.matching.dedup`` on DuckDB — exact grouping of G/J
  identifiers, L-number pairs blocked on birth date, sex and surname initial and scored on name (Jaro–Winkler),
  guardian and school. Peer: plain Python with dicts and rapidfuzz's C Jaro–Winkler on a
  subsample, extrapolated linearly (this favours the peer: its blocked pair count grows faster
  than linearly with the rows).

Data is generated with DuckDB SQL (deterministic hashes, no Faker) into ``bench/.data/`` and
reused: checksum-valid citizen IDs of Henan counties with ~1 % faults injected per rule, 3 %
L-numbers, 4 % of persons reported again by a second school (some L-rows with a changed name).

    .venv/bin/python bench/bench_datagov_pool.py [--scale 1.0] [--threads 0] [--peer-rows 200000]
"""

# ruff: noqa: S608 - SQL is built from constants and file paths made by this script
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
DATA = ROOT / "bench" / ".data"

QUALITY_ROWS = 5_000_000
DEDUP_ROWS = 25_000_000
TARGET_S = 30.0
TODAY = dt.date(2026, 11, 29)

_REGIONS = [
    "410102", "410103", "410104", "410105", "410122", "410181", "410184", "410302", "410303", "410305",
    "410311", "410322", "410502", "410602", "410702", "410802", "411002", "411102", "411302", "411402",
]  # fmt: skip
_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜")
_GIVEN = list("子涵欣怡梓轩浩宇一诺雨泽思彤俊杰梦琪佳豪嘉怡博文晨曦明远若汐宇航芷若天佑诗涵家乐")


def _sql_list(items: list[str]) -> str:
    return "[" + ", ".join(f"'{x}'" for x in items) + "]"


def generate(n: int, path: Path, *, threads: int) -> None:
    """``n`` roster rows in the export schema of ``quality`` (school paths steplen 4)."""
    import duckdb

    from edubase.datagov.pool.quality import checksum_sql

    schools = max(10, n // 1000)
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {threads}")
    check = checksum_sql("CAST(substr(g17, 2, 17) AS BIGINT)")
    h = "CAST(hash(i * 1000003 + {s}) % 1000000007 AS BIGINT)"  # per row
    hp = "CAST(hash(p * 1000003 + {s}) % 1000000007 AS BIGINT)"  # per person
    con.execute(
        f"""
COPY (
WITH base AS (
  SELECT i,
         CASE WHEN i > 1000 AND {h.format(s=1)} % 25 = 0 THEN i - 1 - ({h.format(s=2)} % 1000) ELSE i END AS p,
         CASE WHEN i > 1000 AND {h.format(s=1)} % 25 = 0 THEN 1 ELSE 0 END AS again
  FROM range({n}) t(i)
),
person AS (
  SELECT i, p, again,
         (i * 7 + again * 13) % {schools} AS school_id,
         -- region, birth day and sequence spread p without collisions (20 × 4300 × 1000 = 86 M persons)
         {_sql_list(_REGIONS)}[(p % {len(_REGIONS)}) + 1] AS region,
         DATE '2008-01-01' + CAST((p // {len(_REGIONS)}) % 4300 AS INTEGER) AS birth,
         lpad(CAST((p // {len(_REGIONS) * 4300}) % 1000 AS VARCHAR), 3, '0') AS seq,
         {hp.format(s=6)} % 33 = 0 AS l_kind,
         {_sql_list(_SURNAMES)}[({hp.format(s=7)} % {len(_SURNAMES)}) + 1]
           || {_sql_list(_GIVEN)}[({hp.format(s=8)} % {len(_GIVEN)}) + 1] AS stem,
         {_sql_list(_GIVEN)}[({hp.format(s=9)} % {len(_GIVEN)}) + 1] AS last_char,
         {_sql_list(_GIVEN)}[({h.format(s=10)} % {len(_GIVEN)}) + 1] AS variant_char,
         '13' || lpad(CAST({hp.format(s=11)} % 1000000000 AS VARCHAR), 9, '0') AS phone,
         {h.format(s=12)} % 1000 AS fault
  FROM base
),
numbered AS (
  SELECT *, 'G' || region || strftime(birth, '%Y%m%d') || seq AS g17 FROM person
),
rows AS (
  SELECT i, school_id, again, l_kind, fault, birth, seq, phone, stem, last_char, variant_char,
         CASE WHEN l_kind THEN 'L' || upper(substr(md5(CAST(CASE WHEN again = 1 THEN i ELSE p END AS VARCHAR)), 1, 18))
              ELSE g17 || CASE WHEN fault = 1 THEN (CASE WHEN {check} = '0' THEN '1' ELSE '0' END)
                               ELSE {check} END END AS student_number
  FROM numbered
)
SELECT school_id,
       '0001' || lpad(CAST(school_id % 18 AS VARCHAR), 4, '0') || lpad(CAST(school_id % 150 AS VARCHAR), 4, '0')
         || lpad(CAST(school_id AS VARCHAR), 4, '0') AS school_path,
       CASE WHEN school_id % 500 = 7 THEN '2142' ELSE '2141' END
         || lpad(CAST(school_id AS VARCHAR), 6, '0') AS school_code,
       '410102' AS school_region,
       student_number,
       student_number AS person_key,
       stem || CASE WHEN again = 1 AND l_kind AND fault % 2 = 0 THEN variant_char ELSE last_char END AS name,
       CASE WHEN fault = 2 THEN (CASE WHEN CAST(substr(seq, 3, 1) AS INTEGER) % 2 = 1 THEN '2' ELSE '1' END)
            WHEN CAST(substr(seq, 3, 1) AS INTEGER) % 2 = 1 THEN '1' ELSE '2' END AS sex,
       CASE WHEN fault = 3 THEN birth + 1 ELSE birth END AS birth_date,
       CASE WHEN fault BETWEEN 10 AND 39 THEN '' WHEN fault = 4 THEN '77' ELSE '01' END AS ethnicity,
       CASE WHEN fault = 5 THEN '33' ELSE
         ['11','12','13','14','15','16','21','22','23','31','32','33'][
           greatest(1, least(12, date_diff('year', birth, DATE '2026-09-01') - 5))] END AS grade,
       CASE WHEN fault BETWEEN 40 AND 59 THEN '' ELSE CAST(fault % 10 + 1 AS VARCHAR) || '班' END AS class_name,
       CASE WHEN fault BETWEEN 60 AND 109 THEN '' ELSE substr(stem, 1, 1) || '建国' END AS guardian_name,
       CASE WHEN fault BETWEEN 60 AND 109 THEN '' WHEN fault = 6 THEN '12345' ELSE phone END AS guardian_phone,
       CASE WHEN fault BETWEEN 110 AND 149 THEN NULL
            ELSE make_date(year(birth) + 6, 9, 1) END AS enrol_date,
       TIMESTAMP '2026-11-01 08:00:00'
         - INTERVAL (CASE WHEN fault < 950 THEN fault % 120 ELSE 250 END) DAY AS updated_at
FROM rows
) TO '{path}' (FORMAT parquet, COMPRESSION zstd)
"""
    )
    con.close()


def _dataset(n: int, threads: int) -> Path:
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"roster_{n}.parquet"
    if not path.exists():
        started = time.perf_counter()
        tmp = path.with_suffix(".tmp")
        generate(n, tmp, threads=threads)
        tmp.rename(path)
        print(f"  generated {n:,} rows → {path.relative_to(ROOT)} in {time.perf_counter() - started:.1f} s")
    return path


# --- quality ------------------------------------------------------------------------------------


def quality_duckdb(path: Path, threads: int) -> tuple[float, dict[str, int], int]:
    import duckdb
    import pyarrow  # noqa: F401 - imported (and the region table parsed) before the clock starts

    from edubase.datagov.pool import quality
    from edubase.orgs.standards.gb2260 import divisions

    divisions()
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {threads}")
    started = time.perf_counter()
    per_school = quality.evaluate(con, f"read_parquet('{path}')", today=TODAY)
    rolled = quality.roll_up(per_school)
    elapsed = time.perf_counter() - started
    total = quality.Counts()
    for counts in per_school.values():
        total.add(counts)
    con.close()
    return elapsed, total.failures(), len(rolled)


def quality_python(path: Path, limit: int) -> tuple[float, int, dict[str, int]]:
    """The same rules as a row loop (peer). Reading the rows is not timed, only the checks."""
    import duckdb

    from edubase.datagov.pool import codes, quality
    from edubase.people.standards import gb11643

    rows = duckdb.connect().execute(f"SELECT * FROM read_parquet('{path}') LIMIT {limit}").fetchall()
    columns = list(quality.EXPORT_COLUMNS)
    ix = {c: columns.index(c) for c in columns}
    start_year = quality.school_year_start(TODAY)
    stale = dt.datetime.combine(TODAY, dt.time()) - dt.timedelta(days=quality.STALE_DAYS)
    started = time.perf_counter()
    schools_of: dict[str, set[int]] = defaultdict(set)
    for r in rows:
        schools_of[r[ix["person_key"]]].add(r[ix["school_id"]])
    fails: dict[str, int] = defaultdict(int)
    per_school: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        number, sex, birth, grade = r[ix["student_number"]], r[ix["sex"]], r[ix["birth_date"]], r[ix["grade"]]
        found = per_school[r[ix["school_id"]]]
        kind = number[:1]
        checks = {
            "required_filled": bool(r[ix["name"]] and sex and birth and grade and number),
            "ethnicity_filled": bool(r[ix["ethnicity"]]),
            "class_filled": bool(r[ix["class_name"]]),
            "guardian_filled": bool(r[ix["guardian_name"]]),
            "guardian_phone_filled": bool(r[ix["guardian_phone"]]),
            "enrol_date_filled": r[ix["enrol_date"]] is not None,
            "number_valid": not gb11643.validate_student_id(kind, number[1:]),
            "sex_valid": sex in codes.SEX,
            "grade_valid": grade in codes.GRADE,
            "school_code_region": r[ix["school_code"]][2:4] == r[ix["school_region"]][:2],
            "single_school": len(schools_of[r[ix["person_key"]]]) == 1,
            "fresh": r[ix["updated_at"]] >= stale,
        }
        if r[ix["ethnicity"]]:
            checks["ethnicity_valid"] = r[ix["ethnicity"]] in codes.ETHNICITY
        if r[ix["guardian_phone"]]:
            checks["phone_valid"] = not gb11643.check_phone(r[ix["guardian_phone"]])
        checks["birth_in_range"] = dt.date(1990, 1, 1) <= birth <= TODAY
        if kind in ("G", "J"):
            checks["id_matches_sex"] = gb11643.gender_of(number[1:]) == sex
            checks["id_matches_birth"] = gb11643.birth_date_of(number[1:]) == birth
        year = codes.GRADE_YEAR.get(grade)
        if year:
            age = start_year.year - birth.year - ((start_year.month, start_year.day) < (birth.month, birth.day))
            checks["age_fits_grade"] = -2 <= age - (year + 5) <= 2
        if r[ix["enrol_date"]] is not None:
            enrol = r[ix["enrol_date"]]
            checks["enrol_after_birth"] = (enrol.year, enrol.month, enrol.day) >= (
                birth.year + 3,
                birth.month,
                birth.day,
            )
        for code, ok in checks.items():
            found[code] += 1
            if not ok:
                fails[code] += 1
    return time.perf_counter() - started, len(rows), dict(fails)


# --- de-duplication -----------------------------------------------------------------------------


def dedup_duckdb(path: Path, threads: int) -> tuple[float, dict[str, int]]:
    import duckdb

    from edubase.datagov.pool import matching

    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {threads}")
    started = time.perf_counter()
    found = matching.dedup(con, f"read_parquet('{path}')")
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed, found


def dedup_python(path: Path, limit: int) -> tuple[float, int, dict[str, int]]:
    import duckdb
    from rapidfuzz.distance import JaroWinkler

    from edubase.datagov.pool import matching

    rows = (
        duckdb.connect()
        .execute(
            "SELECT school_id, student_number, person_key, name, sex, birth_date, guardian_name, guardian_phone "
            f"FROM read_parquet('{path}') LIMIT {limit}"
        )
        .fetchall()
    )
    started = time.perf_counter()
    identified: dict[str, set[int]] = {}
    blocks: dict[tuple[Any, str], list[tuple[Any, ...]]] = defaultdict(list)
    for r in rows:
        if r[1][0] in "GJ":
            identified.setdefault(r[2], set()).add(r[0])
        else:
            blocks[(r[5], r[4], r[3][:1])].append(r)
    merged = review = 0
    for members in blocks.values():
        for j, b in enumerate(members):
            best = 0.0
            for a in members[:j]:
                name = JaroWinkler.similarity(a[3], b[3])
                if name < 0.8:
                    continue
                if a[7] and a[7] == b[7]:
                    guardian = 1.0
                elif not a[7] and a[6] and b[6]:
                    guardian = matching.GUARDIAN_NAME_FACTOR * JaroWinkler.similarity(a[6], b[6])
                else:
                    guardian = 0.0
                score = matching.W_NAME * name + matching.W_GUARDIAN * guardian + matching.W_SCHOOL * (a[0] == b[0])
                if matching.REVIEW <= score < matching.AUTO_MERGE:
                    review += 1
                best = max(best, score)
            merged += best >= matching.AUTO_MERGE
    l_rows = sum(len(m) for m in blocks.values())
    found = {
        "identified": len(identified),
        "multi_school": sum(1 for s in identified.values() if len(s) > 1),
        "l_rows": l_rows,
        "l_merged": merged,
        "review_pairs": review,
        "golden": len(identified) + l_rows - merged,
    }
    return time.perf_counter() - started, len(rows), found


def _report(label: str, seconds: float, n: int, full: int, full_label: str) -> None:
    verdict = "OK" if seconds < TARGET_S else "MISSED"
    line = f"  {label:<36} {seconds:8.2f} s   {n / seconds:12,.0f} rows/s   target < {TARGET_S:.0f} s {verdict}"
    if n != full:
        line += f"   (×{full / n:.0f} → ~{seconds * full / n:.1f} s at {full_label}, linear)"
    print(line)


def _peer(label: str, seconds: float, rows: int, n: int, extrapolated: float, *, note: str = "") -> None:
    print(
        f"  {label:<36} {seconds:8.2f} s   {rows / seconds:12,.0f} rows/s   on {rows:,} rows"
        f" → {extrapolated:.1f} s extrapolated to {n:,}{note}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of 5 M / 25 M rows (e.g. 0.01)")
    parser.add_argument("--threads", type=int, default=0, help="DuckDB threads (0: DuckDB's default, all cores)")
    parser.add_argument("--peer-rows", type=int, default=200_000, help="rows of the subsample the peers run on")
    parser.add_argument("--only", choices=("quality", "dedup"), default=None)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edubase.settings")
    import django
    import duckdb

    django.setup()  # matching.py reads the pool models' module (no database is opened)
    cores = args.threads or duckdb.connect().execute("SELECT current_setting('threads')").fetchone()[0]
    print(
        f"bench_datagov_pool: scale {args.scale}, DuckDB {duckdb.__version__}, {cores} thread(s), {os.cpu_count()} CPUs"
    )

    if args.only in (None, "quality"):
        n = max(1000, int(QUALITY_ROWS * args.scale))
        path = _dataset(n, args.threads)
        seconds, failures, orgs = quality_duckdb(path, args.threads)
        peer_s, peer_n, peer_fail = quality_python(path, min(args.peer_rows, n))
        peer_full = peer_s * n / peer_n
        print(f"\nquality suite ({len(failures)} rules failing somewhere, {orgs:,} org scores) over {n:,} rows")
        _report("edubase (DuckDB, quality.evaluate)", seconds, n, QUALITY_ROWS, "5 M")
        _peer("peer plain Python rule loop", peer_s, peer_n, n, peer_full)
        print(f"  ratio edubase/peer: {peer_full / seconds:.1f}× faster")
        sample = {k: failures[k] for k in sorted(failures)}
        print(f"  failing rows per rule (DuckDB): {sample}")
        print(f"  peer failing rows on its subsample: {dict(sorted(peer_fail.items()))}")

    if args.only in (None, "dedup"):
        n = max(1000, int(DEDUP_ROWS * args.scale))
        path = _dataset(n, args.threads)
        seconds, found = dedup_duckdb(path, args.threads)
        peer_s, peer_n, peer_found = dedup_python(path, min(args.peer_rows * 5, n))
        peer_full = peer_s * n / peer_n
        print(f"\nde-duplication into golden records over {n:,} person rows")
        _report("edubase (DuckDB, matching.dedup)", seconds, n, DEDUP_ROWS, "25 M")
        _peer("peer plain Python + rapidfuzz", peer_s, peer_n, n, peer_full, note=" (linear: favours the peer)")
        print(f"  ratio edubase/peer: {peer_full / seconds:.1f}× faster")
        print(f"  result: {found}")
        print(f"  peer on its subsample: {peer_found}")


if __name__ == "__main__":
    main()
