"""Value-scanning throughput of the classification library (issue 7, "Measured quality and
performance"), side by side with Microsoft Presidio in the same run.

Both engines scan the same documents, text chunks of about 8,000 characters generated with the
seeded evaluation-set generators, in two corpora: ``roster`` — roster rows (name, sex,
ethnicity, citizen ID, student number, phone, bank card, address, plate, e-mail, a short
remark), an identifier every ~30 characters, the worst case for a validating scanner — and
``records`` — the same rows each followed by a teacher's comment (评语/备注 prose).

Presidio has no recognizers for mainland China, and a default ``AnalyzerEngine()`` tries to
download a spaCy model. It is configured here with EQUIVALENT pattern recognizers — the same
entities, equivalent regular expressions and the SAME validators (``validate_result`` calls
``edubase.datagov.classify.validators``) — and with an NLP engine that needs no download:
``NoOpNlpEngine`` (no tokens: Presidio's fastest set-up), and for reference a blank spaCy
Chinese pipeline (character segmentation, no model files). Figures are characters per
CPU-second of this process (one thread: per core; CPU time, so other load on a shared machine
distorts them less than wall time would).

    .venv/bin/python bench/bench_datagov_scan.py [--mb 4] [--presidio-kb 400]
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from edubase.datagov.classify import scan_text  # noqa: E402
from edubase.datagov.classify import validators as v  # noqa: E402
from edubase.datagov.classify.addresses import address_score  # noqa: E402
from edubase.datagov.classify.evalset import _Gen  # noqa: E402
from edubase.datagov.classify.names import name_score  # noqa: E402

TARGET_CHARS_PER_S = 5_000_000
REMARKS = (
    "该生在校表现良好，学习认真，团结同学，积极参加各项集体活动。",
    "2023-2024学年第一学期获三好学生，班级代码202301。",
    "家长反映孩子近期睡眠不好，已与班主任沟通。",
    "课程代码MATH-1021成绩优秀，参加了2023年秋季运动会。",
    "联系人：{name}，手机{phone}，住址{address}。",
    "",
)


PROSE = (
    "该生在校表现良好，学习认真，团结同学，积极参加各项集体活动，遵守学校纪律，尊敬师长，热爱劳动。",
    "本学期该生在数学和物理方面进步明显，课堂发言积极，作业完成认真，建议继续加强英语阅读训练。",
    "家长反映孩子近期睡眠不好，班主任已与家长沟通，并建议学校心理老师持续关注。",
    "学校于2023年9月开展了秋季运动会，全校共有1200余名学生参加，班级代码202301获团体第二名。",
)


def corpus(megabytes: float, *, kind: str = "roster", seed: int = 7) -> list[str]:
    """Text chunks of about 8,000 characters.

    ``roster``: roster rows only — nearly every field an identifier (one candidate every ~30
    characters), the worst case for a validating scanner. ``records``: the same rows followed by
    a teacher's comment of 2–4 sentences (评语/备注), like the free-text columns and documents a
    catalogue scan also reads."""
    rng = random.Random(seed)
    gen = _Gen(rng)
    chunks: list[str] = []
    lines: list[str] = []
    size = total = 0
    while total < megabytes * 1_000_000:
        remark = rng.choice(REMARKS).format(name=gen.person_name(), phone=gen.mobile(), address=gen.address())
        fields = [
            gen.person_name(),
            rng.choice(["男", "女"]),
            rng.choice(["汉族", "回族", "满族"]),
            gen.citizen_id(),
            gen.student_number(),
            gen.mobile(),
            gen.bank_card() if rng.random() < 0.3 else "",
            gen.address(),
            gen.plate() if rng.random() < 0.05 else "",
            gen.email() if rng.random() < 0.2 else "",
            str(rng.randrange(2000, 2026)),
            remark,
        ]
        if kind == "records":
            fields.append("".join(rng.choice(PROSE) for _ in range(rng.randrange(2, 5))))
        line = ",".join(fields)
        lines.append(line)
        size += len(line) + 1
        if size >= 8000:
            chunk = "\n".join(lines)
            chunks.append(chunk)
            total += len(chunk)
            lines, size = [], 0
    return chunks


# ------------------------------------------------------------------------------ Presidio


def presidio_engine(nlp: str) -> Any:
    """An AnalyzerEngine with pattern recognizers equivalent to edubase's value scanner."""
    from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NoOpNlpEngine, SpacyNlpEngine

    class Validated(PatternRecognizer):
        def __init__(self, entity: str, regex: str, check: Callable[[str], bool], score: float = 0.9) -> None:
            super().__init__(supported_entity=entity, patterns=[Pattern(entity, regex, score)], supported_language="zh")
            self._check = check

        def validate_result(self, pattern_text: str) -> bool:
            return self._check(pattern_text)

    no_alnum_before, no_alnum_after = r"(?<![0-9A-Za-z])", r"(?![0-9A-Za-z])"
    provinces = v.PLATE_PROVINCES
    recognizers = [
        Validated("CN_CITIZEN_ID", no_alnum_before + r"\d{17}[\dXx]" + no_alnum_after, v.citizen_id_ok),
        Validated(
            "CN_RESIDENCE_PERMIT", no_alnum_before + r"8[123]0000\d{11}[\dXx]" + no_alnum_after, v.residence_permit_ok
        ),
        Validated("CN_STUDENT_NUMBER", no_alnum_before + r"[GJL][0-9A-Z]{18}" + no_alnum_after, v.student_number_ok),
        Validated(
            "CN_USCC",
            no_alnum_before + r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}" + no_alnum_after,
            v.uscc_ok,
        ),
        Validated("CN_MOBILE", r"(?<!\d)(?:\+86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)", v.mobile_ok),
        Validated("CN_BANK_CARD", no_alnum_before + r"62\d{14,17}" + no_alnum_after, v.bank_card_luhn),
        Validated(
            "CN_BANK_CARD", no_alnum_before + r"62\d{2}(?: \d{4}){3}(?: \d{1,3})?" + no_alnum_after, v.bank_card_luhn
        ),
        Validated("CN_PASSPORT", no_alnum_before + r"E[0-9A-HJ-NP-Z]\d{7}" + no_alnum_after, v.passport_ok, 0.7),
        Validated(
            "CN_TRAVEL_PERMIT",
            no_alnum_before + r"(?:C[0-9A-HJ-NP-Z]\d{7}|T\d{8}|[HM]\d{8})" + no_alnum_after,
            v.travel_permit_ok,
            0.7,
        ),
        Validated(
            "CN_PLATE",
            "[" + provinces + r"][A-HJ-NP-Z][·]?[A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9挂学警港澳领]{1,2}",
            v.plate_ok,
        ),
        Validated(
            "EMAIL_ADDRESS", r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}", v.email_ok
        ),
        Validated("CN_PERSON_NAME", r"(?<=联系人：)[\u3400-\u9fff]{2,4}", lambda s: name_score(s) >= 0.5, 0.8),
        Validated(
            "CN_ADDRESS",
            r"[\u3400-\u9fff]{2,16}?(?:省|市|区|县|镇|乡)[\u3400-\u9fff0-9]{0,24}?(?:路|街|巷|道|村|组|里|社区|小区)"
            r"(?:[0-9一二三四五六七八九十]+(?:号院|号楼|号|栋|幢|单元|室|层|组))*",
            lambda s: address_score(s) >= 0.5,
            0.8,
        ),
    ]
    registry = RecognizerRegistry(recognizers=recognizers, global_regex_flags=0, supported_languages=["zh"])
    engine: Any
    if nlp == "noop":
        engine = NoOpNlpEngine(models=[{"lang_code": "zh", "model_name": "none"}])
    else:
        import spacy

        class BlankChinese(SpacyNlpEngine):
            """spaCy's blank Chinese pipeline (character segmentation): no model to download."""

            def load(self) -> None:
                self.nlp: Any = {"zh": spacy.blank("zh")}

        engine = BlankChinese(models=[{"lang_code": "zh", "model_name": "blank:zh"}])
        engine.load()
    return AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["zh"])


def _presidio_counter(engine: Any) -> Callable[[str], int]:
    def count(text: str) -> int:
        return len(engine.analyze(text=text, language="zh"))

    return count


def measure(fn: Callable[[str], int], docs: list[str]) -> tuple[float, int]:
    """Characters per CPU-second of this process (one thread: per core, and fair on a shared machine)."""
    fn(docs[0])  # warm-up (compiles patterns, loads tables)
    chars = sum(len(d) for d in docs)
    start = time.process_time()
    found = sum(fn(d) for d in docs)
    return chars / (time.process_time() - start), found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=4.0, help="corpus for edubase, in millions of characters")
    parser.add_argument("--presidio-kb", type=float, default=400.0, help="part of it scanned by Presidio (k chars)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    try:
        engines = {nlp: presidio_engine(nlp) for nlp in ("noop", "spacy-blank-zh")}
    except ImportError as exc:
        print(f"presidio-analyzer is not installed ({exc}): `pip install presidio-analyzer==2.2.366`;")
        print("edubase figures only, no ratio.")
        engines = {}
    print(f"{'corpus':<9}{'engine':<44}{'chars/s/core':>14}{'findings':>10}{'ratio':>8}")
    rates: dict[str, float] = {}
    for kind in ("roster", "records"):
        docs = corpus(args.mb, kind=kind)
        part = docs[: max(2, int(args.presidio_kb * 1000 / 8000))]
        ours, _ = measure(lambda d: len(scan_text(d)), docs)
        ours_part, ours_found = measure(lambda d: len(scan_text(d)), part)
        rates[kind] = ours
        print(f"{kind:<9}{'edubase scan_text, ' + format(sum(map(len, docs)), ',') + ' chars':<44}{ours:>14,.0f}")
        print(f"{kind:<9}{'edubase scan_text, Presidio part':<44}{ours_part:>14,.0f}{ours_found:>10}")
        for nlp, engine in engines.items():
            rate, found = measure(_presidio_counter(engine), part)
            label = f"presidio {nlp}, same patterns+validators"
            print(f"{kind:<9}{label:<44}{rate:>14,.0f}{found:>10}{ours_part / rate:>7.1f}x")
        if kind == "roster":
            ours_by: Counter[str] = Counter(m.entity for d in part for m in scan_text(d))
            theirs_by: Counter[str] = Counter(
                r.entity_type for d in part if engines for r in engines["noop"].analyze(text=d, language="zh")
            )
    for kind, rate in rates.items():
        verdict = "OK" if rate >= TARGET_CHARS_PER_S else "MISSED"
        print(f"target ≥ {TARGET_CHARS_PER_S:,} chars/s/core, {kind}: {rate:,.0f} {verdict}")
    print("findings per entity, roster part (edubase | presidio noop):")
    print("  " + ", ".join(f"{k}={n}" for k, n in sorted(ours_by.items())))
    print("  " + ", ".join(f"{k}={n}" for k, n in sorted(theirs_by.items())))


if __name__ == "__main__":
    main()
