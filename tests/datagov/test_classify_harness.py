"""The generated evaluation set and the quality targets of issue 7 (the default seeded set, 1,560 columns)."""

from __future__ import annotations

from edubase.datagov.classify.evalset import generate, generate_texts
from edubase.datagov.classify.harness import (
    TARGET_CODE_YEAR_FP,
    TARGET_COLUMN_ACCURACY,
    Report,
    evaluate,
    evaluate_texts,
    format_report,
)


def test_the_set_is_reproducible_from_its_seed() -> None:
    a = generate(seed=3, columns_per_entity=2, rows=10)
    b = generate(seed=3, columns_per_entity=2, rows=10)
    c = generate(seed=4, columns_per_entity=2, rows=10)
    assert [x.values for x in a] == [x.values for x in b]
    assert [x.values for x in a] != [x.values for x in c]


def test_the_set_holds_decoys_and_every_entity() -> None:
    columns = generate(seed=5, columns_per_entity=2, rows=10)
    decoys = {c.decoy for c in columns if c.kind == "decoy"}
    assert {"academic_year", "order_number", "random18", "prefix62", "id_typo"} <= decoys
    assert {"citizen_id", "person_name", "address", "bank_card", "psych_assessment"} <= {c.truth for c in columns}


def test_quality_targets_hold_on_the_default_set() -> None:
    report = evaluate(generate())
    assert report.column_accuracy >= TARGET_COLUMN_ACCURACY, format_report(report)
    assert report.code_year_fp_rate <= TARGET_CODE_YEAR_FP, format_report(report)
    assert report.checksum_ok(), format_report(report)


def test_free_text_spans_are_found_and_decoys_are_not() -> None:
    texts = generate_texts(seed=8, count=400)
    assert all(t.text[s:e] for t in texts for _, s, e in t.spans)
    report = evaluate_texts(texts, Report())
    for entity in ("citizen_id", "residence_permit", "student_number", "uscc", "mobile", "bank_card"):
        score = report.texts[entity]
        assert score.precision >= 0.99 and score.recall >= 0.99, (entity, score)
    assert report.texts["person_name"].precision >= 0.95
