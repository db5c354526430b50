"""Roster quality rules, run on DuckDB over an Arrow/Parquet export of the pool.

Five dimensions (completeness 完整性, validity 有效性, consistency 一致性, uniqueness 唯一性,
timeliness 及时性), each a set of row rules written as SQL predicates. A rule is NULL where it
does not apply (a blank optional phone is not an invalid phone). ``evaluate`` answers, per
school, how many rows each rule applied to and how many passed; ``roll_up`` adds schools into
their county, city and province (by materialised org path); ``score`` turns counts into 0–100.

The same SQL runs in the app (``services.run_quality``) and in ``bench/bench_datagov_pool.py``.

Input columns (the export schema, ``EXPORT_COLUMNS``): school_id, school_path, school_code,
school_region, student_number (kind letter + 18), person_key (blind index or any stable key of
the number), name, sex, birth_date, ethnicity, grade, class_name, guardian_name, guardian_phone,
enrol_date, updated_at (when a roster last included the row, changed or not).
"""

# ruff: noqa: S608 - SQL is built from the rule table and code tables (constants); the source is a caller-given relation name
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from edubase.datagov.pool import codes

EXPORT_COLUMNS = (
    "school_id", "school_path", "school_code", "school_region", "student_number", "person_key", "name", "sex",
    "birth_date", "ethnicity", "grade", "class_name", "guardian_name", "guardian_phone", "enrol_date", "updated_at",
)  # fmt: skip

DIMENSIONS: dict[str, tuple[str, float]] = {
    "completeness": ("完整性", 0.20),
    "validity": ("有效性", 0.25),
    "consistency": ("一致性", 0.25),
    "uniqueness": ("唯一性", 0.20),
    "timeliness": ("及时性", 0.10),
}

#: a row not re-reported for this many days is stale (rosters are due every term)
STALE_DAYS = 200
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def checksum_sql(id17: str) -> str:
    """MOD 11-2 check character of a 17-digit number given as a BIGINT expression (NULL stays NULL).

    Digits are taken by integer division rather than 17 ``substr`` calls: DuckDB evaluates the
    arithmetic column-wise several times faster than per-character string slicing."""
    terms = " + ".join(f"(({id17} // {10 ** (16 - i)}) % 10) * {w}" for i, w in enumerate(_WEIGHTS))
    return f"substr('10X98765432', (({terms}) % 11)::INTEGER + 1, 1)"


def _in(values: Iterable[str]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


_HAS_ID = "kind IN ('G', 'J')"


@dataclass(frozen=True)
class Rule:
    code: str
    dimension: str
    label: str  # Chinese, for reports
    sql: str  # a predicate: TRUE passes, FALSE fails, NULL does not apply


RULES: tuple[Rule, ...] = (
    Rule("required_filled", "completeness", "必填项齐全",
         "coalesce(name, '') <> '' AND coalesce(sex, '') <> '' AND birth_date IS NOT NULL "
         "AND coalesce(grade, '') <> '' AND coalesce(student_number, '') <> ''"),
    Rule("ethnicity_filled", "completeness", "民族码已填", "coalesce(ethnicity, '') <> ''"),
    Rule("class_filled", "completeness", "班级已填", "coalesce(class_name, '') <> ''"),
    Rule("guardian_filled", "completeness", "监护人姓名已填", "coalesce(guardian_name, '') <> ''"),
    Rule("guardian_phone_filled", "completeness", "监护人手机号已填", "coalesce(guardian_phone, '') <> ''"),
    Rule("enrol_date_filled", "completeness", "入学日期已填", "enrol_date IS NOT NULL"),
    Rule("number_valid", "validity", "学籍号有效（G/J 校验码与出生日期，G 行政区划；L 字符集）",
         "CASE WHEN kind = 'L' THEN regexp_full_match(student_number, '[0-9A-Z]{19}') "
         # id17 >= 10^16: 17 plain digits, the first not 0 (a sign or a space would parse, but shorter)
         f"WHEN {_HAS_ID} THEN length(student_number) = 19 AND id17 >= 10000000000000000 "
         f"AND {checksum_sql('id17')} = substr(student_number, 19, 1) AND id_birth IS NOT NULL "
         "AND (kind = 'J' OR substr(student_number, 2, 6) IN (SELECT code FROM gb2260)) ELSE FALSE END"),
    Rule("sex_valid", "validity", "性别码在代码表中", f"sex IN {_in(codes.SEX)}"),
    Rule("ethnicity_valid", "validity", "民族码在代码表中",
         f"CASE WHEN coalesce(ethnicity, '') = '' THEN NULL ELSE ethnicity IN {_in(codes.ETHNICITY)} END"),
    Rule("grade_valid", "validity", "年级码在代码表中", f"grade IN {_in(codes.GRADE)}"),
    Rule("phone_valid", "validity", "监护人手机号格式正确",
         "CASE WHEN coalesce(guardian_phone, '') = '' THEN NULL "
         "ELSE regexp_full_match(guardian_phone, '1[3-9][0-9]{9}') END"),
    Rule("birth_in_range", "validity", "出生日期在合理范围",
         "birth_date BETWEEN DATE '1990-01-01' AND $today"),
    Rule("id_matches_sex", "consistency", "证件号与性别一致",
         f"CASE WHEN {_HAS_ID} THEN (CASE WHEN (id17 // 1) % 2 = 1 THEN '1' ELSE '2' END) = sex ELSE NULL END"),
    Rule("id_matches_birth", "consistency", "证件号与出生日期一致",
         f"CASE WHEN {_HAS_ID} THEN id_birth = birth_date ELSE NULL END"),
    Rule("age_fits_grade", "consistency", "年龄与年级相符（±2 岁）",
         "CASE WHEN grade_year IS NULL OR birth_date IS NULL THEN NULL "
         "ELSE date_sub('year', birth_date, $school_year_start) - (grade_year + 5) BETWEEN -2 AND 2 END"),
    Rule("school_code_region", "consistency", "学校标识码与所在地区一致",
         "substr(school_code, 3, 2) = substr(school_region, 1, 2)"),
    Rule("enrol_after_birth", "consistency", "入学日期晚于出生日期 3 年以上",
         "CASE WHEN enrol_date IS NULL THEN NULL ELSE enrol_date >= birth_date + INTERVAL 3 YEAR END"),
    Rule("single_school", "uniqueness", "同一学生只在一所学校在籍", "dup_key IS NULL"),
    Rule("fresh", "timeliness", f"{STALE_DAYS} 天内报送过", f"updated_at >= $today - INTERVAL {STALE_DAYS} DAY"),
)  # fmt: skip

RULE_LABELS = {r.code: r.label for r in RULES}


def school_year_start(today: dt.date) -> dt.date:
    """1 September of the school year ``today`` falls in (ages for grades are taken on that day)."""
    return dt.date(today.year if today.month >= 9 else today.year - 1, 9, 1)


def prepare(con: Any) -> None:
    """Load the reference tables the rules join against (GB/T 2260 codes, grade years)."""
    from edubase.orgs.standards.gb2260 import divisions

    # one list parameter each: row-by-row INSERTs cost seconds, and a first Arrow registration ~1 s
    con.execute("CREATE OR REPLACE TEMP TABLE gb2260 AS SELECT unnest(?::VARCHAR[]) AS code", [sorted(divisions())])
    con.execute(
        "CREATE OR REPLACE TEMP TABLE grade_years AS "
        "SELECT unnest(?::VARCHAR[]) AS grade, unnest(?::INTEGER[]) AS grade_year",
        [list(codes.GRADE_YEAR), list(codes.GRADE_YEAR.values())],
    )


def evaluation_sql(source: str) -> str:
    """One GROUP BY per school over ``source`` (a table, view or ``read_parquet(...)``)."""
    columns = []
    for rule in RULES:
        columns.append(f"count({rule.code}) AS {rule.code}__n")
        columns.append(f"sum(CASE WHEN {rule.code} THEN 1 ELSE 0 END) AS {rule.code}__ok")
    checks = ",\n       ".join(f"({rule.sql}) AS {rule.code}" for rule in RULES)
    return f"""
WITH src AS MATERIALIZED (SELECT * FROM {source}),
dup AS (SELECT person_key FROM src GROUP BY person_key HAVING min(school_id) <> max(school_id)),
enriched AS (
  SELECT src.*, g.grade_year, dup.person_key AS dup_key, substr(src.student_number, 1, 1) AS kind,
         try_cast(substr(src.student_number, 2, 17) AS BIGINT) AS id17,
         CASE WHEN substr(src.student_number, 1, 1) IN ('G', 'J')
              THEN CAST(try_strptime(substr(src.student_number, 8, 8), '%Y%m%d') AS DATE) END AS id_birth
  FROM src LEFT JOIN grade_years g ON g.grade = src.grade
           LEFT JOIN dup ON dup.person_key = src.person_key
),
checked AS (SELECT school_id, school_path,
       {checks}
  FROM enriched)
SELECT school_id, school_path, count(*) AS rows, {", ".join(columns)}
FROM checked GROUP BY school_id, school_path
"""


@dataclass
class Counts:
    """Per-rule (applied, passed) counts of one org."""

    rows: int = 0
    applied: dict[str, int] = field(default_factory=dict)
    passed: dict[str, int] = field(default_factory=dict)

    def add(self, other: Counts) -> None:
        self.rows += other.rows
        for code, n in other.applied.items():
            self.applied[code] = self.applied.get(code, 0) + n
        for code, n in other.passed.items():
            self.passed[code] = self.passed.get(code, 0) + n

    def failures(self) -> dict[str, int]:
        """Rule → failing rows (only rules with failures)."""
        found = {c: self.applied.get(c, 0) - self.passed.get(c, 0) for c in self.applied}
        return {c: n for c, n in found.items() if n}


def evaluate(con: Any, source: str, *, today: dt.date) -> dict[tuple[int, str], Counts]:
    """Run every rule over ``source``; counts per (school id, school path)."""
    prepare(con)
    sql = evaluation_sql(source).replace("$today", f"DATE '{today.isoformat()}'")
    sql = sql.replace("$school_year_start", f"DATE '{school_year_start(today).isoformat()}'")
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    found: dict[tuple[int, str], Counts] = {}
    for row in cursor.fetchall():
        values = dict(zip(names, row, strict=True))
        counts = Counts(rows=int(values["rows"]))
        for rule in RULES:
            counts.applied[rule.code] = int(values[f"{rule.code}__n"] or 0)
            counts.passed[rule.code] = int(values[f"{rule.code}__ok"] or 0)
        found[(int(values["school_id"]), str(values["school_path"]))] = counts
    return found


def roll_up(per_school: Mapping[tuple[int, str], Counts], *, steplen: int = 4) -> dict[str, Counts]:
    """Counts for every org path holding a school: the school and each ancestor (county, city, province)."""
    found: dict[str, Counts] = {}
    for (_school, path), counts in per_school.items():
        for end in range(steplen, len(path) + 1, steplen):
            found.setdefault(path[:end], Counts()).add(counts)
    return found


def score(counts: Counts) -> tuple[float, dict[str, float]]:
    """(overall 0–100, per-dimension 0–100); a dimension no rule applied to is left out of the weighting."""
    dims: dict[str, float] = {}
    for dimension in DIMENSIONS:
        applied = sum(counts.applied.get(r.code, 0) for r in RULES if r.dimension == dimension)
        passed = sum(counts.passed.get(r.code, 0) for r in RULES if r.dimension == dimension)
        if applied:
            dims[dimension] = round(100.0 * passed / applied, 2)
    weight = sum(DIMENSIONS[d][1] for d in dims)
    overall = sum(dims[d] * DIMENSIONS[d][1] for d in dims) / weight if weight else 0.0
    return round(overall, 2), dims
