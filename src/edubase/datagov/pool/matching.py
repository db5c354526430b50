"""Record matching into golden records (一人一档): exact on identifiers, fuzzy for L-numbers.

Rules, in order, for a pool row:

1. G/J rows (a citizen ID or an 18-character national document): the golden record with the
   same identifier blind index. None yet: an identifier-less golden record (a pupil known so far
   only by an L-number) that scores at least ``AUTO_MERGE`` adopts the identifier (L→G
   promotion); otherwise a new golden record.
2. L rows (temporary numbers): the golden record of another row with the same L-number, else
   the best fuzzy candidate among golden records with the same birth date and sex, scored on the
   name (rapidfuzz), the guardian (phone blind index, else name) and the school. At least
   ``AUTO_MERGE``: merged; at least ``REVIEW``: a new golden record plus a review for a person
   to decide; below: a new golden record.

Merge rule (survivorship): a golden record shows the values of its best row — identified rows
before L rows, then the most recently reported. Rows of one golden record at two schools, or
disagreeing on name or birth date, are reported to each school concerned (``MatchConflict``).

``dedup_sql`` is the same scoring written for DuckDB, for a whole-pool pass (and the benchmark).
"""

# ruff: noqa: S608 - SQL is built from constants (weights, thresholds) and a caller-given relation name
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from edubase.datagov.pool.models import ConflictKind, GoldenRecord, MatchConflict, MatchReview, RosterRecord

AUTO_MERGE = 0.85
REVIEW = 0.65
#: weights of the fuzzy score; a guardian known only by name counts ``GUARDIAN_NAME_FACTOR`` of a phone match
W_NAME, W_GUARDIAN, W_SCHOOL = 0.50, 0.35, 0.15
GUARDIAN_NAME_FACTOR = 0.8
MAX_CANDIDATES = 200


@dataclass(frozen=True)
class Scored:
    golden: GoldenRecord
    score: float
    evidence: dict[str, float]


def similarity(a: RosterRecord, b: RosterRecord) -> tuple[float, dict[str, float]]:
    """Fuzzy score of two rows already blocked on birth date and sex."""
    name = fuzz.ratio(a.name, b.name) / 100.0
    if a.guardian_phone_bidx and b.guardian_phone_bidx:
        guardian = 1.0 if a.guardian_phone_bidx == b.guardian_phone_bidx else 0.0
    elif a.guardian_name and b.guardian_name:
        guardian = GUARDIAN_NAME_FACTOR * fuzz.ratio(a.guardian_name, b.guardian_name) / 100.0
    else:
        guardian = 0.0
    school = 1.0 if a.school_id == b.school_id else 0.0
    total = W_NAME * name + W_GUARDIAN * guardian + W_SCHOOL * school
    return round(total, 4), {"name": round(name, 3), "guardian": round(guardian, 3), "school": school}


def best_candidate(record: RosterRecord, *, identified: bool | None = None) -> Scored | None:
    """The best-scoring golden record of the same birth date and sex (other than the row's own)."""
    goldens = GoldenRecord.objects.filter(birth_date=record.birth_date, sex=record.sex)
    if record.golden_id:
        goldens = goldens.exclude(pk=record.golden_id)
    if identified is False:
        goldens = goldens.filter(identifier_bidx__isnull=True)
    others = (
        RosterRecord.objects.filter(golden__in=goldens[:MAX_CANDIDATES]).exclude(pk=record.pk).select_related("golden")
    )
    best: Scored | None = None
    for other in others:
        assert other.golden is not None
        total, evidence = similarity(record, other)
        if best is None or total > best.score:
            best = Scored(other.golden, total, evidence)
    return best


def _new_golden(record: RosterRecord) -> GoldenRecord:
    return GoldenRecord.objects.create(
        identifier_bidx=record.student_number_bidx if record.id_kind in ("G", "J") else None,
        name=record.name,
        sex=record.sex,
        birth_date=record.birth_date,
        number_masked=record.number_masked,
    )


def refresh_golden(golden: GoldenRecord) -> int:
    """Apply the merge rule: the golden record shows its best row's values; returns its row count."""
    rows = list(golden.records.all())
    if not rows:
        golden.delete()
        return 0
    best = sorted(rows, key=lambda r: (r.id_kind in ("G", "J"), r.updated_at), reverse=True)[0]
    golden.name, golden.sex, golden.birth_date = best.name, best.sex, best.birth_date
    golden.number_masked = best.number_masked
    if best.id_kind in ("G", "J"):
        golden.identifier_bidx = best.student_number_bidx
    golden.sources = len(rows)
    golden.save()
    return len(rows)


def report_conflicts(golden: GoldenRecord) -> int:
    """Conflict reports between every two rows of ``golden`` at different schools (each school gets its side)."""
    rows = list(golden.records.select_related("school"))
    made = 0
    for a in rows:
        for b in rows:
            if a.pk == b.pk or a.school_id == b.school_id:
                continue
            kinds = []
            if golden.identifier_bidx:
                kinds.append(ConflictKind.DUAL_ENROLMENT)
            if a.name != b.name or a.birth_date != b.birth_date:
                kinds.append(ConflictKind.ATTRIBUTE_MISMATCH)
            for kind in kinds:
                detail = {
                    "name": [a.name, b.name],
                    "birth_date": [a.birth_date.isoformat(), b.birth_date.isoformat()],
                    "grade": [a.grade, b.grade],
                }
                _obj, created = MatchConflict.objects.get_or_create(
                    record=a,
                    other=b,
                    kind=kind,
                    defaults={"golden": golden, "org_path": a.org_path, "detail": detail},
                )
                made += int(created)
    return made


def link(record: RosterRecord, golden: GoldenRecord) -> None:
    previous = record.golden
    record.golden = golden
    RosterRecord.objects.filter(pk=record.pk).update(golden=golden)
    if previous is not None and previous.pk != golden.pk:
        refresh_golden(previous)
    if refresh_golden(golden) > 1:  # a golden record of one row has nothing to conflict with
        report_conflicts(golden)


def match_record(record: RosterRecord) -> str:
    """Place one pool row in a golden record; returns what happened (exact|promoted|fuzzy|review|new|kept)."""
    if record.id_kind in ("G", "J"):
        golden = GoldenRecord.objects.filter(identifier_bidx=record.student_number_bidx).first()
        if golden is not None:
            link(record, golden)
            return "exact"
        if record.golden_id:  # re-reported row already placed: keep it, the merge rule refreshes the values
            assert record.golden is not None
            link(record, record.golden)
            return "kept"
        candidate = best_candidate(record, identified=False)
        if candidate is not None and candidate.score >= AUTO_MERGE:
            link(record, candidate.golden)
            return "promoted"
        link(record, _new_golden(record))
        return "new"
    if record.golden_id:
        assert record.golden is not None
        link(record, record.golden)
        return "kept"
    same = (
        RosterRecord.objects.filter(student_number_bidx=record.student_number_bidx, golden__isnull=False)
        .exclude(pk=record.pk)
        .select_related("golden")
        .first()
    )
    if same is not None and same.golden is not None:
        link(record, same.golden)
        return "exact"
    candidate = best_candidate(record)
    if candidate is not None and candidate.score >= AUTO_MERGE:
        link(record, candidate.golden)
        return "fuzzy"
    link(record, _new_golden(record))
    if candidate is not None and candidate.score >= REVIEW:
        MatchReview.objects.get_or_create(
            record=record,
            candidate=candidate.golden,
            defaults={"org_path": record.org_path, "score": candidate.score, "evidence": candidate.evidence},
        )
        return "review"
    return "new"


_CHUNK = 500  # SQLite's bound-parameter limit is generous, but IN lists this size stay index lookups


def _chunks(items: list[Any], size: int = _CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _first_identified(records: list[RosterRecord]) -> tuple[list[RosterRecord], list[RosterRecord]]:
    """Split identified rows never placed before into (new pupils, rows for the one-by-one rules).

    A new pupil: no golden record carries its identifier and no identifier-less golden record of
    the same birth date and sex exists (so no L→G promotion is possible). That is nearly every row
    of a school's first roster, which is why they are written in bulk."""
    candidates = [r for r in records if r.id_kind in ("G", "J") and not r.golden_id]
    keys = [r.student_number_bidx for r in candidates]
    known: set[str | None] = set()
    for chunk in _chunks(keys):
        known |= set(GoldenRecord.objects.filter(identifier_bidx__in=chunk).values_list("identifier_bidx", flat=True))
    births = sorted({r.birth_date for r in candidates})
    open_l: set[tuple[Any, str]] = set()
    for chunk in _chunks(births):
        open_l |= set(
            GoldenRecord.objects.filter(identifier_bidx__isnull=True, birth_date__in=chunk).values_list(
                "birth_date", "sex"
            )
        )
    fresh = [r for r in candidates if r.student_number_bidx not in known and (r.birth_date, r.sex) not in open_l]
    chosen = {id(r) for r in fresh}
    return fresh, [r for r in records if id(r) not in chosen]


def match_records(records: Iterable[RosterRecord]) -> dict[str, int]:
    """Match many rows; counts per outcome. New identified pupils in bulk, every other row by the rules above."""
    rows = list(records)
    fresh, rest = _first_identified(rows)
    seen: set[str] = set()
    unique = []
    for r in fresh:  # the same identifier twice in one batch cannot happen within a school; be safe anyway
        if r.student_number_bidx not in seen:
            seen.add(r.student_number_bidx)
            unique.append(r)
        else:
            rest.append(r)
    goldens = [
        GoldenRecord(
            identifier_bidx=r.student_number_bidx,
            name=r.name,
            sex=r.sex,
            birth_date=r.birth_date,
            number_masked=r.number_masked,
        )
        for r in unique
    ]
    GoldenRecord.objects.bulk_create(goldens, batch_size=_CHUNK)
    for record, golden in zip(unique, goldens, strict=True):
        record.golden = golden
    RosterRecord.objects.bulk_update(unique, ["golden"], batch_size=_CHUNK)
    outcomes: dict[str, int] = {"new": len(unique)} if unique else {}
    for record in rest:
        outcome = match_record(record)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


# --- the same rules in DuckDB, for a whole-pool pass --------------------------------------------


def dedup_sql(source: str) -> dict[str, str]:
    """SQL answering, over ``source`` (export columns of ``quality``): golden-record counts.

    ``identified``: distinct identifier keys of G/J rows (exact matching on the blind index) and
    how many of them two schools or more reported (conflict reports); ``l_pairs``: the L rows and
    their pairs blocked on birth date, sex and the name's first character (the surname: a
    province-wide pass cannot compare every pupil born on a day with every other), scored like
    ``similarity`` (name by Jaro–Winkler here), counted by band (auto-merge / review).
    """
    scored = f"""
WITH l AS (
  SELECT row_number() OVER () AS rid, substr(name, 1, 1) AS initial, *
  FROM {source} WHERE substr(student_number, 1, 1) = 'L'
),
p AS (
  SELECT a.rid AS a_rid, b.rid AS b_rid,
         {W_NAME} * jaro_winkler_similarity(a.name, b.name)
         + {W_GUARDIAN} * CASE WHEN a.guardian_phone <> '' AND a.guardian_phone = b.guardian_phone THEN 1.0
                        WHEN a.guardian_phone = '' AND a.guardian_name <> '' AND b.guardian_name <> ''
                        THEN {GUARDIAN_NAME_FACTOR} * jaro_winkler_similarity(a.guardian_name, b.guardian_name)
                        ELSE 0.0 END
         + {W_SCHOOL} * CASE WHEN a.school_id = b.school_id THEN 1.0 ELSE 0.0 END AS score
  FROM l a JOIN l b ON a.birth_date = b.birth_date AND a.sex = b.sex AND a.initial = b.initial AND a.rid < b.rid
  WHERE jaro_winkler_similarity(a.name, b.name) >= 0.8
)"""
    return {
        # one GROUP BY answers both: min <> max is the cheap form of count(DISTINCT school) > 1
        "identified": (
            "SELECT count(*), count(*) FILTER (WHERE first_school <> last_school) FROM ("
            f"SELECT person_key, min(school_id) AS first_school, max(school_id) AS last_school FROM {source} "
            "WHERE substr(student_number, 1, 1) IN ('G', 'J') GROUP BY person_key)"
        ),
        "l_pairs": scored
        + f"""
SELECT (SELECT count(*) FROM l) AS l_rows,
       count(DISTINCT CASE WHEN score >= {AUTO_MERGE} THEN b_rid END) AS merged_rows,
       count(*) FILTER (WHERE score >= {REVIEW} AND score < {AUTO_MERGE}) AS review_pairs
FROM p""",
    }


def dedup(con: object, source: str) -> dict[str, int]:
    """Golden-record counts over ``source`` with DuckDB (see ``dedup_sql``).

    Golden records = distinct identifiers + L rows − L rows merged into an earlier L row (exact
    for pairs and cliques; a chain a~b~c that is not a clique counts one record too many)."""
    queries = dedup_sql(source)
    run = con.execute  # type: ignore[attr-defined]
    identified, multi = run(queries["identified"]).fetchone()
    l_rows, merged, review = run(queries["l_pairs"]).fetchone()
    return {
        "identified": int(identified),
        "multi_school": int(multi),
        "l_rows": int(l_rows),
        "l_merged": int(merged),
        "review_pairs": int(review),
        "golden": identified + l_rows - int(merged),
    }
