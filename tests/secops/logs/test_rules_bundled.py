"""The bundled education rules: every rule compiles for both dialects, has positive and negative
test cases, and every case passes on DuckDB and on ClickHouse (chDB); the web-attack rules meet the
precision/recall targets on a held-out sample of the labelled payload set."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from edubase.secops.logs.sigma import ruletest
from edubase.secops.logs.sigma.ruletest import RULES_DIR, load_rules


def test_every_bundled_rule_compiles_with_attack_tags() -> None:
    rules = load_rules(RULES_DIR)
    assert len(rules) >= 17
    for r in rules:
        assert not r.error, (r.name, r.error)
        assert r.compiled["duckdb"].startswith("SELECT") and r.compiled["clickhouse"].startswith("SELECT")
        assert any(t.startswith("attack.") for t in r.tags), r.name


def test_every_alerting_rule_has_positive_and_negative_cases() -> None:
    tested: dict[str, list[int]] = {}
    for path in RULES_DIR.glob("*.test.yml"):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        tested[spec["rule"]] = [int(c["expect"]["alerts"]) for c in spec["cases"]]
    # building blocks (informational atoms feeding a correlation) are tested through it
    alerting = [
        r.name
        for r in load_rules(RULES_DIR)
        if r.level != "informational" and "many_failures" not in r.name and r.name != "edubase_win_account_lockout"
    ]
    for name in alerting:
        assert name in tested, f"{name} 没有测试用例"
        assert any(n > 0 for n in tested[name]) and any(n == 0 for n in tested[name]), name


@pytest.mark.parametrize("dialect", ["duckdb", "clickhouse"])
def test_bundled_rule_cases_pass(dialect: str) -> None:
    results = ruletest.run_all(dialect=dialect)
    assert len(results) >= 30
    failed = [(r.rule, r.case, r.expected, r.got, r.detail) for r in results if not r.passed]
    assert not failed


def test_runner_reports_a_failing_case(tmp_path: Path) -> None:
    (tmp_path / "r.yml").write_text(
        "title: t\nname: t\nlogsource: {category: webserver}\ndetection:\n  s:\n    sc-status: 500\n  condition: s\n"
        "tags: [attack.t1190]\n",
        encoding="utf-8",
    )
    (tmp_path / "r.test.yml").write_text(
        "rule: t\ncases:\n  - name: wrong expectation\n    events:\n      - event.dataset: nginx.access\n"
        "        http.response.status_code: 500\n    expect: {alerts: 0}\n"
        "  - name: missing rule field\n    events:\n      - no.such.field: 1\n    expect: {alerts: 0}\n",
        encoding="utf-8",
    )
    results = ruletest.run(tmp_path)
    assert [(r.passed, r.got) for r in results] == [(False, 1), (False, -1)]
    assert "未知字段" in results[1].detail


def test_web_attack_quality_on_holdout_sample() -> None:
    import importlib.util
    import random

    bench = Path(__file__).resolve().parents[3] / "bench" / "detection_quality.py"
    spec = importlib.util.spec_from_file_location("detection_quality", bench)
    assert spec and spec.loader
    dq = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dq)
    lines, labels = dq.build("holdout")
    rng = random.Random(1)
    keep = sorted(rng.sample(range(len(lines)), 4000))
    scores = dq.score([lines[i] for i in keep], [labels[i] for i in keep], "duckdb")
    assert scores["precision"] >= 0.99 and scores["recall"] >= 0.85, scores
    assert scores["recall"] > scores["baseline_recall"]


def test_the_rule_tests_command_runs_every_bundled_case(capsys):
    from django.core.management import call_command

    call_command("secops", "rule-tests")
    out = capsys.readouterr().out
    assert "失败 0 个" in out and "[通过]" in out


def test_the_rule_tests_command_fails_on_a_broken_case(tmp_path):
    import shutil

    from django.core.management import call_command
    from django.core.management.base import CommandError

    from edubase.secops.logs.sigma import ruletest

    for path in ruletest.RULES_DIR.glob("ssh*"):
        shutil.copy(path, tmp_path / path.name)
    for case in tmp_path.glob("*.test.yml"):
        text = case.read_text(encoding="utf-8")
        case.write_text(text.replace("alerts: 0", "alerts: 3"), encoding="utf-8")
    with pytest.raises(CommandError, match="未全部通过"):
        call_command("secops", "rule-tests", "--dir", str(tmp_path))
