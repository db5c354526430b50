"""Measured quality of the bundled web-attack rules (issue 6, "Measured quality").

Embeds the labelled payloads of ``../shared/data/web-payloads/payload_train.csv`` (HttpParamsDataset:
sqli / xss / cmdi / path-traversal / norm) as query-parameter values into realistic nginx
``combined`` access-log lines — URL-encoded the way browsers, curl and attack tools do (four
encoders, chosen per line) — mixed with ordinary benign site traffic; parses every line with
``edubase.secops.logs.parsers.parse``; loads the events into DuckDB; runs the compiled SQL of the
bundled web-attack rules (SQL injection, XSS, path traversal, command injection, webshell) and,
side by side, a baseline of simple SigmaHQ-style keyword rules (plain ``contains`` on the raw query
string — written here from the well-known stock rule style, the SigmaHQ files are not fetched).

The payload set is split deterministically by a hash of the payload: the rules were tuned on the
``tune`` half; figures are reported on the ``holdout`` half (``--split tune`` shows the other).
Path-traversal payloads carry a ``{file}`` template slot (Vega scanner templates): it is filled
with a real target file (etc/passwd, win.ini …) as a scanner would.

    .venv/bin/python bench/detection_quality.py [--split holdout|tune|all] [--dialect duckdb]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import os
import random
import sys
import urllib.parse
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edubase.settings")

DATA = ROOT.parent / "shared" / "data" / "web-payloads" / "payload_train.csv"
CLASSES = ("sqli", "xss", "cmdi", "path-traversal")
RULES = {
    "sqli": "edubase_web_sqli",
    "xss": "edubase_web_xss",
    "cmdi": "edubase_web_cmdi",
    "path-traversal": "edubase_web_path_traversal",
    "webshell": "edubase_web_webshell",
}

BASELINE = """
title: baseline SQL injection (SigmaHQ style)
name: baseline_sqli
logsource: {category: webserver}
detection:
  selection:
    cs-uri-query|contains: ['=select ', '=select(', '=select%20', 'union select', 'union%20select',
      'union all select', 'union%20all%20select', 'select * ', 'select%20*%20', 'select database()',
      'select version()', '@@version', 'information_schema', 'table_schema', 'group_concat(',
      'concat_ws(', 'concat(0x', "' or 1=1", 'or%201=1', "'1'='1", '%271%27%3d%271', 'order by ',
      'order%20by%20', 'sleep(', 'benchmark(']
  condition: selection
---
title: baseline XSS (SigmaHQ style)
name: baseline_xss
logsource: {category: webserver}
detection:
  selection:
    cs-uri-query|contains: ['=<script>', '=%3cscript%3e', '<iframe ', '%3ciframe ', '<svg ', '%3csvg ',
      'document.cookie', 'document.domain', ' onerror=', ' onload=', 'onmouseover=', 'javascript:alert',
      'javascript%3aalert', 'alert(', 'alert%28']
  condition: selection
---
title: baseline path traversal (SigmaHQ style)
name: baseline_path_traversal
logsource: {category: webserver}
detection:
  selection:
    cs-uri-query|contains: ['../../', '..%2f', '%2e%2e%2f', '%2e%2e/', '..\\\\', '..%5c', '%252e%252e',
      '/etc/passwd', '%2fetc%2fpasswd', 'win.ini', 'boot.ini']
  condition: selection
---
title: baseline command injection (SigmaHQ style)
name: baseline_cmdi
logsource: {category: webserver}
detection:
  selection:
    cs-uri-query|contains: [';id', '%3bid', '|id', '%7cid', ';whoami', '%3bwhoami', '|whoami',
      '%7cwhoami', '/bin/bash', '%2fbin%2fbash', 'cat /etc/passwd', 'cat%20%2fetc%2fpasswd', '`id`']
  condition: selection
"""

ENDPOINTS = [
    "/index.php",
    "/search",
    "/news/list.do",
    "/article.jsp",
    "/student/query.action",
    "/api/v1/items",
    "/list.aspx",
    "/cgi-bin/query",
    "/shop/product",
    "/portal/notice",
    "/jwc/score.do",
    "/library/find",
]
PARAMS = [
    "id",
    "q",
    "page",
    "name",
    "search",
    "keyword",
    "file",
    "cat",
    "user",
    "item",
    "lang",
    "doc",
    "template",
    "path",
    "type",
    "city",
    "email",
    "title",
]
TARGET_FILES = ["etc/passwd", "etc/shadow", "windows/win.ini", "boot.ini", "etc/hosts", "winnt/win.ini"]
BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.47",
    "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "Mozilla/5.0 (Linux; Android 14; V2307A) AppleWebKit/537.36 Chrome/116.0 Mobile Safari/537.36",
]
CN_WORDS = ["校园", "招生简章", "课程表", "期末考试", "成绩查询", "图书馆", "奖学金", "教务处", "实验室", "新闻"]
EN_PHRASES = [
    "how to select a course",
    "union college",
    "drop box",
    "script writing club",
    "order form",
    "from home to school",
    "alert system",
    "or maybe not",
    "summer camp and sports",
    "c++ primer",
    "java & python",
    "a|b testing",
    "rock 'n' roll",
    "o'brien",
    "cat food",
    "net id login",
]


def encode(value: str, style: int) -> str:
    if style == 0:  # browser form submit
        return urllib.parse.quote_plus(value, safe="")
    if style == 1:  # curl --data-urlencode / generic libraries
        return urllib.parse.quote(value, safe="")
    if style == 2:  # sqlmap-like: spaces and a few reserved characters only
        return urllib.parse.quote(value, safe="()=,*'-:;@!$~<>\"|`/\\")
    return urllib.parse.quote(value, safe="!\"$'()*,-./:;<=>?@[\\]^_`{|}~")  # hand-made request


def nginx_escape(text: str) -> str:
    out = []
    for ch in text:
        o = ord(ch)
        if ch in '"\\' or o < 0x20 or o == 0x7F:
            out.append(f"\\x{o:02X}")
        elif o > 0x7F:
            out.extend(f"\\x{b:02X}" for b in ch.encode())
        else:
            out.append(ch)
    return "".join(out)


def line(rng: random.Random, when: dt.datetime, target: str, *, status: int = 200, ua: str | None = None) -> str:
    first = rng.choice([1, 27, 36, 58, 101, 114, 120, 183, 202, 222])
    ip = f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    stamp = when.strftime("%d/%b/%Y:%H:%M:%S +0800")
    request = nginx_escape(f"GET {target} HTTP/1.1")
    referrer = rng.choice(["-", "https://www.school.edu.cn/", "https://www.baidu.com/s?wd=x"])
    return (
        f'{ip} - - [{stamp}] "{request}" {status} {rng.randrange(200, 40000)} "{referrer}" '
        f'"{nginx_escape(ua or rng.choice(BROWSERS))}"'
    )


def with_param(rng: random.Random, value: str) -> str:
    path = rng.choice(ENDPOINTS)
    pre = rng.choice(["", "page=1&", "lang=zh-CN&", "t=1709251200&"])
    post = rng.choice(["", "&size=20", "&from=nav", ""])
    return f"{path}?{pre}{rng.choice(PARAMS)}={encode(value, rng.randrange(4))}{post}"


def benign_traffic(rng: random.Random, n: int) -> list[str]:
    targets = []
    for i in range(n):
        kind = i % 8
        if kind == 0:
            targets.append(
                rng.choice(["/static/js/app.8f3a1c.js", "/images/logo.png", "/favicon.ico", "/css/main.css?v=3"])
            )
        elif kind == 1:
            targets.append(f"/search?q={encode(rng.choice(CN_WORDS) + ' ' + rng.choice(CN_WORDS), rng.randrange(2))}")
        elif kind == 2:
            targets.append(f"/search?q={encode(rng.choice(EN_PHRASES), rng.randrange(4))}&page={rng.randrange(1, 9)}")
        elif kind == 3:
            targets.append(
                f"/api/v1/items?page={rng.randrange(1, 50)}&size=20&sort=-created_at"
                f"&filter=grade%3A{rng.randrange(1, 7)}"
            )
        elif kind == 4:
            targets.append(
                f"/login?redirect={encode('/portal/home?tab=1', 1)}&callback=jQuery1123_{rng.randrange(10**9)}"
            )
        elif kind == 5:
            token = hashlib.sha256(str(i).encode()).hexdigest()[:32]
            targets.append(f"/download?file=notice-{rng.randrange(100, 999)}.pdf&token={token}")
        elif kind == 6:
            targets.append(f"/news/{rng.randrange(1000, 9999)}.html")
        else:
            targets.append(f"/jwc/score.do?xh=2023{rng.randrange(10000, 99999)}&xq=2024-2025-1")
    return targets


def build(split: str, seed: int = 6) -> tuple[list[str], list[str]]:
    """(lines, labels): one label per line, ``norm`` for benign."""
    rng = random.Random(seed)
    start = dt.datetime(2025, 3, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    lines: list[str] = []
    labels: list[str] = []
    with DATA.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        half = (
            "tune"
            if int(hashlib.sha1(row["payload"].encode(), usedforsecurity=False).hexdigest(), 16) % 2 == 0
            else "holdout"
        )
        if split != "all" and half != split:
            continue
        value = row["payload"]
        if "{file}" in value:
            value = value.replace("{file}", rng.choice(TARGET_FILES))
        when = start + dt.timedelta(seconds=len(lines) // 20)
        lines.append(line(rng, when, with_param(rng, value)))
        labels.append(row["attack_type"])
    for target in benign_traffic(rng, len(lines) // 2):
        when = start + dt.timedelta(seconds=len(lines) // 20)
        lines.append(line(rng, when, target, status=rng.choice([200, 200, 200, 304, 404])))
        labels.append("norm")
    return lines, labels


def score(lines: list[str], labels: list[str], dialect: str, *, verbose: bool = False) -> dict[str, float]:
    """Run both rule sets; returns overall precision/recall (ours and the baseline)."""
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from edubase.secops.logs import parsers
    from edubase.secops.logs.sigma.compiler import compile_documents
    from edubase.secops.logs.sigma.ruletest import RULES_DIR, ClickHouseEvents, DuckDBEvents

    now = dt.datetime.now(dt.UTC)
    events = []
    for i, text in enumerate(lines):
        ev = parsers.parse(text, hint="nginx", received_at=now)
        ev["event.id"] = str(i)
        events.append(ev)
    unparsed = sum(1 for ev in events if ev.get("event.dataset") != "nginx.access")
    files = [
        (p.name, p.read_text(encoding="utf-8"))
        for p in sorted(RULES_DIR.glob("web_*.yml"))
        if not p.name.endswith(".test.yml")
    ]
    ours, _ = compile_documents(files)
    base, _ = compile_documents([("baseline.yml", BASELINE)])
    rules = {r.name: r for r in [*ours, *base]}
    db = DuckDBEvents() if dialect == "duckdb" else ClickHouseEvents()
    db.load(events)
    hits: dict[str, set[int]] = {}
    for name, rule in rules.items():
        if rule.kind != "atomic" or not rule.compiled:
            continue
        rows = db.query(f'SELECT "event.id" AS id FROM events WHERE {rule.compiled["where"][dialect]}')  # noqa: S608
        hits[name] = {int(r["id"]) for r in rows}
    db.close()

    total = Counter(labels)
    out = print if verbose else (lambda *a, **k: None)
    out(f"lines: {len(lines)} ({dict(total)}), not parsed as nginx: {unparsed}, dialect: {dialect}")

    def report(title: str, names: dict[str, str]) -> tuple[float, float]:
        flagged: set[int] = set().union(*(hits.get(n, set()) for n in names.values()))
        out(f"\n{title}")
        out(f"  {'class':<16}{'lines':>7}{'recall':>9}{'own rule':>10}{'rule precision':>16}")
        for cls in CLASSES:
            idx = {i for i, lab in enumerate(labels) if lab == cls}
            own = hits.get(names.get(cls, ""), set())
            prec = (sum(1 for i in own if labels[i] != "norm") / len(own)) if own else float("nan")
            out(
                f"  {cls:<16}{len(idx):>7}{len(idx & flagged) / len(idx):>9.3f}"
                f"{len(idx & own) / len(idx):>10.3f}{prec:>16.3f}"
            )
        attacks = {i for i, lab in enumerate(labels) if lab != "norm"}
        tp = len(flagged & attacks)
        precision = tp / len(flagged) if flagged else float("nan")
        recall = tp / len(attacks)
        fps = sorted(flagged - attacks)
        out(f"  overall: precision {precision:.4f}  recall {recall:.4f}  (false positives: {len(fps)})")
        for i in fps[:5]:
            out(f"    FP: {events[i]['url.original'][:120]}")
        return precision, recall

    bp, br = report(
        "baseline (SigmaHQ-style keyword rules on the raw query string)",
        {
            "sqli": "baseline_sqli",
            "xss": "baseline_xss",
            "path-traversal": "baseline_path_traversal",
            "cmdi": "baseline_cmdi",
        },
    )
    p, r = report("edubase bundled web-attack rules", RULES)
    ok = p >= 0.99 and r >= 0.85
    out(f"\ntargets precision >= 0.99, recall >= 0.85: {'MET' if ok else 'NOT MET'}")
    return {"precision": p, "recall": r, "baseline_precision": bp, "baseline_recall": br}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=["holdout", "tune", "all"], default="holdout")
    ap.add_argument("--dialect", choices=["duckdb", "clickhouse"], default="duckdb")
    args = ap.parse_args()
    lines, labels = build(args.split)
    score(lines, labels, args.dialect, verbose=True)


if __name__ == "__main__":
    main()
