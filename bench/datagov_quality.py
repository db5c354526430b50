"""Measured classification quality (issue 7, "Measured quality and performance").

Generates the seeded labelled evaluation set (``edubase.datagov.classify.evalset``: real-format
values of every entity, names of many kinds, Henan addresses from GB/T 2260 codes, and decoy
columns — year and academic-year codes, order numbers, random 18-digit numbers failing MOD 11-2,
ID-shaped typos, 62-prefixed numbers failing Luhn, USCC-shaped codes failing MOD 31 …), runs
value and column classification over it and prints precision / recall / F2 per entity,
column accuracy and the false-positive rate on code/year columns, with the targets beside them.

    .venv/bin/python bench/datagov_quality.py [--seed N] [--columns 40] [--rows 50] [--errors 20]

Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from edubase.datagov.classify.evalset import DEFAULT_SEED, generate, generate_texts  # noqa: E402
from edubase.datagov.classify.harness import (  # noqa: E402
    TARGET_CODE_YEAR_FP,
    TARGET_COLUMN_ACCURACY,
    evaluate,
    evaluate_texts,
    format_report,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--columns", type=int, default=40, help="columns per entity and per decoy kind")
    parser.add_argument("--rows", type=int, default=50, help="sampled values per column")
    parser.add_argument("--texts", type=int, default=2000, help="free-text remarks with labelled spans")
    parser.add_argument("--errors", type=int, default=20, help="misclassifications to list")
    args = parser.parse_args()
    start = time.process_time()
    columns = generate(seed=args.seed, columns_per_entity=args.columns, rows=args.rows)
    report = evaluate(columns, max_errors=args.errors)
    texts = generate_texts(seed=args.seed, count=args.texts)
    evaluate_texts(texts, report, max_errors=args.errors)
    elapsed = time.process_time() - start
    print(
        f"evaluation set: seed {args.seed}, {len(columns)} columns × {args.rows} values, "
        f"{len(texts)} remarks ({elapsed:.1f} s CPU)"
    )
    print(format_report(report))
    if args.errors and report.errors:
        print("\nmisclassifications (first ones):")
        for line in report.errors:
            print("  " + line)
    ok = (
        report.checksum_ok()
        and report.column_accuracy >= TARGET_COLUMN_ACCURACY
        and report.code_year_fp_rate <= TARGET_CODE_YEAR_FP
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
