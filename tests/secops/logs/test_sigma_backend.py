"""The pySigma 2 backend: Sigma detections → DuckDB / ClickHouse SQL, run on real engines."""

from __future__ import annotations

import pytest

from edubase.secops.logs.sigma.compiler import compile_documents
from edubase.secops.logs.sigma.ruletest import ClickHouseEvents, DuckDBEvents

DIALECTS = ["duckdb", "clickhouse"]


def rule(detection: str, logsource: str = "category: webserver") -> str:
    head = "title: t\nid: 11111111-1111-1111-1111-111111111111\n"
    return f"{head}logsource: {{{logsource}}}\ndetection:\n{detection}\nlevel: high\n"


def compiled(text: str):  # type: ignore[no-untyped-def]
    rules, _failures = compile_documents([("r.yml", text)])
    assert len(rules) == 1
    return rules[0]


def web(**fields: object) -> dict[str, object]:
    ev: dict[str, object] = {"event.dataset": "nginx.access", "@timestamp": "2025-03-01T02:00:00Z"}
    ev.update(fields)
    return ev


@pytest.fixture(params=DIALECTS)
def engine(request):  # type: ignore[no-untyped-def]
    db = DuckDBEvents() if request.param == "duckdb" else ClickHouseEvents()
    yield db
    db.close()


def matches(db, text: str, events: list[dict[str, object]]) -> list[str]:  # type: ignore[no-untyped-def]
    r = compiled(text)
    assert not r.error, r.error
    for i, ev in enumerate(events):
        ev.setdefault("event.id", f"e{i}")
    db.load(events)
    where = r.compiled["where"][db.dialect]
    rows = db.query(f'SELECT "event.id" AS id FROM events WHERE {where} ORDER BY id')  # noqa: S608
    return [row["id"] for row in rows]


def test_contains_startswith_endswith_case_insensitive(engine) -> None:  # type: ignore[no-untyped-def]
    text = rule(
        "  a:\n    cs-uri-query|contains: 'UNION SELECT'\n"
        "  b:\n    cs-uri-stem|startswith: '/Admin'\n"
        "  c:\n    cs-uri-stem|endswith: '.PHP'\n"
        "  condition: a or b or c"
    )
    events = [
        web(**{"url.query": "id=1 union select 1"}),
        web(**{"url.path": "/admin/login"}),
        web(**{"url.path": "/x/shell.php"}),
        web(**{"url.path": "/news/1.html", "url.query": "q=union"}),
        web(),
    ]
    assert matches(engine, text, events) == ["e0", "e1", "e2"]


def test_wildcards_quotes_and_like_escapes(engine) -> None:  # type: ignore[no-untyped-def]
    text = rule("  s:\n    c-uri: '/a*b?c_%'\n  q:\n    cs-uri-query|contains: \"o'r\"\n  condition: s or q")
    events = [
        web(**{"url.original": "/aXXbZc_%"}),
        web(**{"url.original": "/aXXbZcx%"}),  # '_' is literal, not a LIKE wildcard
        web(**{"url.query": "x=O'R 1"}),
    ]
    assert matches(engine, text, events) == ["e0", "e2"]


def test_all_modifier_and_not(engine) -> None:  # type: ignore[no-untyped-def]
    text = rule("  s:\n    c-useragent|contains|all: [curl, '7.']\n  f:\n    c-ip: 10.0.0.1\n  condition: s and not f")
    events = [
        web(**{"user_agent.original": "curl/7.88", "source.ip": "1.2.3.4"}),
        web(**{"user_agent.original": "curl/8.1", "source.ip": "1.2.3.4"}),
        web(**{"user_agent.original": "curl/7.88", "source.ip": "10.0.0.1"}),
        web(**{"user_agent.original": "curl/7.88"}),  # missing field: 'not' of a non-match is true
    ]
    assert matches(engine, text, events) == ["e0", "e3"]


def test_regex_and_refused_lookaround(engine) -> None:  # type: ignore[no-untyped-def]
    text = rule("  s:\n    c-uri|re: '/id/\\d{3}$'\n  i:\n    c-uri|re|i: 'SHELL'\n  condition: s or i")
    events = [web(**{"url.original": "/id/123"}), web(**{"url.original": "/id/12"}), web(**{"url.original": "/Shell"})]
    assert matches(engine, text, events) == ["e0", "e2"]
    bad = compiled(rule("  s:\n    c-uri|re: 'foo(?=bar)'\n  condition: s"))
    assert "(?=" in bad.error and not bad.compiled  # pySigma's own RE2 check or ours
    assert compiled(rule("  s:\n    c-uri|re: '(a)\\1'\n  condition: s")).error


def test_re2_check_names_the_feature() -> None:
    from edubase.secops.logs.sigma.backend import check_re2
    from edubase.secops.logs.sigma.pipeline import UnsupportedRule

    for pattern, needle in [("a(?!b)", "look-around"), ("(a)\\1", "反向引用"), ("a++", "占有型"), ("(?>a)", "原子")]:
        with pytest.raises(UnsupportedRule, match=needle):
            check_re2(pattern)
    check_re2("^/id/\\d+$")


def test_cidr_numbers_and_comparisons(engine) -> None:  # type: ignore[no-untyped-def]
    text = rule(
        "  n:\n    c-ip|cidr: 10.8.0.0/13\n    sc-status|gte: 400\n  e:\n    sc-status: 302\n  condition: n or e"
    )
    events = [
        web(**{"source.ip": "10.12.3.4", "http.response.status_code": 404}),
        web(**{"source.ip": "10.16.0.1", "http.response.status_code": 404}),  # outside /13
        web(**{"source.ip": "10.8.0.1", "http.response.status_code": 200}),
        web(**{"source.ip": "1.1.1.1", "http.response.status_code": 302}),
    ]
    assert matches(engine, text, events) == ["e0", "e3"]


def test_windash_base64offset_exists_and_keywords(engine) -> None:  # type: ignore[no-untyped-def]
    text = rule(
        "  w:\n    c-uri|windash|contains: ' -enc '\n"
        "  b:\n    cs-uri-query|base64offset|contains: 'whoami'\n"
        "  x:\n    cs-referer|exists: true\n"
        "  kw:\n    - 'Failed password'\n"
        "  condition: w or b or x or kw"
    )
    events = [
        web(**{"url.original": "/run?c= /enc abc"}),
        web(**{"url.query": "p=d2hvYW1p"}),  # base64('whoami')
        web(**{"http.request.referrer": "https://x/"}),
        web(**{"message": "sshd: Failed password for root"}),
        web(**{"url.original": "/plain"}),
    ]
    assert matches(engine, text, events) == ["e0", "e1", "e2", "e3"]


def test_windows_fields_and_logsource_filter(engine) -> None:  # type: ignore[no-untyped-def]
    text = rule(
        "  s:\n    EventID: 4625\n    TargetUserName: Administrator\n  condition: s",
        "product: windows, service: security",
    )
    events = [
        {"event.dataset": "windows.security", "winlog.event_id": 4625, "user.name": "administrator"},
        {"event.dataset": "windows.security", "winlog.event_id": 4624, "user.name": "administrator"},
        {"event.dataset": "sshd", "winlog.event_id": 4625, "user.name": "administrator"},  # wrong log source
    ]
    assert matches(engine, text, events) == ["e0"]


def test_decoded_url_virtual_field(engine) -> None:  # type: ignore[no-untyped-def]
    text = rule('  s:\n    url.decoded|contains: "\' or 1=1"\n  condition: s')
    events = [web(**{"url.original": "/a?id=1%27+or+1%3D1"}), web(**{"url.original": "/a?id=%ff%fe"})]
    assert matches(engine, text, events) == ["e0"]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (
            rule(
                "  s:\n    CommandLine|contains: whoami\n  condition: s", "category: process_creation, product: windows"
            ),
            "日志来源",
        ),
        (rule("  s:\n    Image|endswith: cmd.exe\n  condition: s"), "字段 Image"),
        (rule("  s:\n    c-uri|expand: '%admin_paths%'\n  condition: s"), "占位符"),
        (rule("  s:\n    foo: [unclosed\n  condition: s"), "YAML"),
    ],
)
def test_unsupported_features_are_per_rule_errors(text: str, needle: str) -> None:
    rules, failures = compile_documents(
        [("bad.yml", text), ("good.yml", rule("  s:\n    sc-status: 500\n  condition: s"))]
    )
    assert any(needle in err for _f, _r, err in failures), failures
    good = [r for r in rules if r.file == "good.yml"]
    assert good and not good[0].error and good[0].compiled["duckdb"].startswith("SELECT")
