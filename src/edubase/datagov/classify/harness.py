"""Evaluation harness (评测): precision, recall and F2 per entity on the generated evaluation
set, at value level, on free-text remarks (spans) and at column level, column accuracy and the false-positive rate on
code/year decoy columns — printed next to the issue's targets by ``bench/datagov_quality.py``.

F2 weighs recall twice as much as precision: a missed sensitive column costs more than one
sent to review.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from edubase.datagov.classify.columns import VALUE_ENTITIES, classify_column
from edubase.datagov.classify.entities import CHECKSUM_ENTITIES
from edubase.datagov.classify.evalset import CODE_YEAR_DECOYS, EvalColumn, EvalText
from edubase.datagov.classify.values import VALUE_THRESHOLD, classify_value, scan_text

TARGET_CHECKSUM_PR = 0.99
TARGET_COLUMN_ACCURACY = 0.95
TARGET_CODE_YEAR_FP = 0.02


@dataclass
class Score:
    """Counts for one entity and the derived precision, recall and F2."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f2(self) -> float:
        p, r = self.precision, self.recall
        return 5 * p * r / (4 * p + r) if p + r else 0.0


@dataclass
class Report:
    """Everything the harness measured."""

    values: dict[str, Score] = field(default_factory=dict)
    isolated: dict[str, Score] = field(default_factory=dict)
    texts: dict[str, Score] = field(default_factory=dict)
    text_count: int = 0
    columns: dict[str, Score] = field(default_factory=dict)
    column_total: int = 0
    column_correct: int = 0
    review: int = 0
    code_year_columns: int = 0
    code_year_fp: int = 0
    value_count: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def column_accuracy(self) -> float:
        return self.column_correct / self.column_total if self.column_total else 1.0

    @property
    def code_year_fp_rate(self) -> float:
        return self.code_year_fp / self.code_year_columns if self.code_year_columns else 0.0

    def checksum_ok(self) -> bool:
        """Whether every checksum identifier meets the precision and recall target (value level)."""
        return all(
            self.values.get(e, Score()).precision >= TARGET_CHECKSUM_PR
            and self.values.get(e, Score()).recall >= TARGET_CHECKSUM_PR
            for e in CHECKSUM_ENTITIES
        )


def _bump(scores: dict[str, Score], truth: str | None, predicted: str | None) -> None:
    if predicted == truth:
        if truth is not None:
            scores.setdefault(truth, Score()).tp += 1
        return
    if predicted is not None:
        scores.setdefault(predicted, Score()).fp += 1
    if truth is not None:
        scores.setdefault(truth, Score()).fn += 1


def evaluate(columns: list[EvalColumn], *, max_errors: int = 20) -> Report:
    """Run value and column classification over the labelled set."""
    report = Report()
    for col in columns:
        verdict = classify_column(name=col.name, comment=col.comment, values=col.values)
        for value, truth, scored in zip(col.values, col.value_truth, col.scored, strict=True):
            if not scored:
                continue
            # value level is measured for entities whose values carry their own proof
            truth_v = truth if truth in VALUE_ENTITIES else None
            if truth is not None and truth_v is None:
                continue
            report.value_count += 1
            hit = classify_value(value or "")
            alone = hit[0] if hit and hit[1] >= VALUE_THRESHOLD and hit[0] in VALUE_ENTITIES else None
            _bump(report.isolated, truth_v, alone)
            # in its column, as a catalogue scan sees it: the column's verdict is the context
            hit = classify_value(value or "", context=verdict.entity)
            predicted = hit[0] if hit and hit[1] >= VALUE_THRESHOLD and hit[0] in VALUE_ENTITIES else None
            _bump(report.values, truth_v, predicted)
            if predicted != truth_v and len(report.errors) < max_errors:
                report.errors.append(f"值 {value!r}: 期望 {truth_v} 实得 {predicted}（列 {col.name}）")
        report.column_total += 1
        report.review += verdict.needs_review
        report.column_correct += verdict.entity == col.truth
        _bump(report.columns, col.truth, verdict.entity)
        if verdict.entity != col.truth and len(report.errors) < max_errors * 2:
            report.errors.append(
                f"列 {col.name}/{col.comment or '-'}（{col.decoy or col.truth}）: 实得 {verdict.entity} "
                f"{verdict.confidence} {col.values[:3]}"
            )
        if col.decoy in CODE_YEAR_DECOYS:
            report.code_year_columns += 1
            report.code_year_fp += verdict.entity is not None
    return report


def evaluate_texts(texts: list[EvalText], report: Report, *, max_errors: int = 20) -> Report:
    """Span-level scoring of ``scan_text`` on labelled remarks: a hit needs the entity and the
    exact span; a detection on a decoy (order number, 62-number failing Luhn …) is a false positive."""
    shown = 0
    for item in texts:
        report.text_count += 1
        truth = set(item.spans)
        found = {(m.entity, m.start, m.end) for m in scan_text(item.text)}
        for entity, _, _ in found & truth:
            report.texts.setdefault(entity, Score()).tp += 1
        for entity, start, end in found - truth:
            report.texts.setdefault(entity, Score()).fp += 1
            if shown < max_errors:
                report.errors.append(f"文本 {item.text!r}: 误报 {entity} {item.text[start:end]!r}")
                shown += 1
        for entity, start, end in truth - found:
            report.texts.setdefault(entity, Score()).fn += 1
            if shown < max_errors:
                report.errors.append(f"文本 {item.text!r}: 漏报 {entity} {item.text[start:end]!r}")
                shown += 1
    return report


def format_report(report: Report) -> str:
    """The report as printed text (Chinese labels, targets next to figures)."""
    lines = [
        f"值级评测（{report.value_count} 个值，置信度 ≥ {VALUE_THRESHOLD}）：值在其列中（列判定作上下文）"
        "  |  孤立的单个值"
    ]
    lines.append(f"{'entity':<18}{'P':>8}{'R':>8}{'F2':>8}{'TP':>7}{'FP':>6}{'FN':>6}  |{'P':>7}{'R':>8}  target")
    for entity in sorted(report.values):
        s = report.values[entity]
        a = report.isolated.get(entity, Score())
        target = f"P,R ≥ {TARGET_CHECKSUM_PR}" if entity in CHECKSUM_ENTITIES else ""
        lines.append(
            f"{entity:<18}{s.precision:>8.4f}{s.recall:>8.4f}{s.f2:>8.4f}{s.tp:>7}{s.fp:>6}{s.fn:>6}  |"
            f"{a.precision:>7.4f}{a.recall:>8.4f}  {target}"
        )
    if report.text_count:
        lines.append("")
        lines.append(f"自由文本评测（{report.text_count} 条备注，scan_text，实体与位置完全一致才算命中）")
        lines.append(f"{'entity':<18}{'P':>8}{'R':>8}{'F2':>8}{'TP':>7}{'FP':>6}{'FN':>6}")
        for entity in sorted(report.texts):
            s = report.texts[entity]
            lines.append(f"{entity:<18}{s.precision:>8.4f}{s.recall:>8.4f}{s.f2:>8.4f}{s.tp:>7}{s.fp:>6}{s.fn:>6}")
    lines.append("")
    lines.append(f"列级评测（{report.column_total} 列）")
    lines.append(f"{'entity':<18}{'P':>8}{'R':>8}{'F2':>8}{'TP':>7}{'FP':>6}{'FN':>6}")
    for entity in sorted(report.columns):
        s = report.columns[entity]
        lines.append(f"{entity:<18}{s.precision:>8.4f}{s.recall:>8.4f}{s.f2:>8.4f}{s.tp:>7}{s.fp:>6}{s.fn:>6}")
    lines.append("")
    lines.append(
        f"column accuracy      {report.column_accuracy:.4f}   target ≥ {TARGET_COLUMN_ACCURACY}   "
        f"{'OK' if report.column_accuracy >= TARGET_COLUMN_ACCURACY else 'MISSED'}"
    )
    lines.append(
        f"code/year column FP  {report.code_year_fp_rate:.4f}   target ≤ {TARGET_CODE_YEAR_FP}   "
        f"({report.code_year_fp}/{report.code_year_columns}) "
        f"{'OK' if report.code_year_fp_rate <= TARGET_CODE_YEAR_FP else 'MISSED'}"
    )
    lines.append(f"checksum identifiers P,R ≥ {TARGET_CHECKSUM_PR}: {'OK' if report.checksum_ok() else 'MISSED'}")
    lines.append(f"columns sent to review: {report.review}/{report.column_total}")
    return "\n".join(lines)


def error_summary(report: Report) -> Counter[str]:
    """How many errors of each kind were kept (for debugging the detector)."""
    return Counter(e.split(":")[0] for e in report.errors)
