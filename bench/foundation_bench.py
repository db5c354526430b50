"""Foundation benchmark (issue #3): the console's hot reads on a province-sized demo.

Builds the demo province at ``--scale`` schools (~20 persons each; default 50,000
schools / ~1,000,000 persons) in a var dir of its own under ``bench/.data/`` (kept and
reused by later runs), then measures:

in-process, p50/p95 over ``--iterations`` calls, each next to a named peer in the same
run — the equivalent hand-written SQL on the raw DB-API cursor (the floor):
  (a) the first page of a city's school list, as the console builds it:
      ``Paginator(orgs.selectors.schools_for(city_admin), 50).get_page(1)``;
  (b) a person found by exact citizen ID: ``people.selectors.search_persons(city_admin, id_number=…)``;
  (c) the home dashboard data: ``dashboard_counts`` + ``count_members`` for the province
      admin and for a city admin.
  Target: p95 < 100 ms each.

over HTTP: ``edubase serve`` (gunicorn, its default 2×cores+1 workers) on 127.0.0.1, signed-in
sessions, console pages (school list, person search, home) driven by ``wrk`` with 20
concurrent connections for ``--seconds`` each; peer: ``/healthz`` under the same load.
  Target: p95 < 300 ms.

Run: make bench-foundation          (SQLite; PostgreSQL too when EDUBASE_DATABASE_URL is set)
     BENCH_SCALE=2000 make bench-foundation   (a quick run)
Exits 0 even if a target is missed: the table says so.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / ".data"
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT / "src"))

IN_PROCESS_TARGET_MS = 100.0
HTTP_TARGET_MS = 300.0
CITY = "410100"  # 郑州市
CITY_ADMIN = "zhengzhou_admin"
PROVINCE_ADMIN = "province_admin"


# ----------------------------------------------------------------------------- measuring


@dataclass
class Timing:
    """Latency samples of one operation, in milliseconds."""

    samples: list[float] = field(default_factory=list)

    def pct(self, p: float) -> float:
        ordered = sorted(self.samples)
        if not ordered:
            return float("nan")
        rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[rank]

    @property
    def p50(self) -> float:
        return self.pct(50)

    @property
    def p95(self) -> float:
        return self.pct(95)


def measure(fn: Callable[[int], object], iterations: int, budget_s: float) -> Timing:
    """Call ``fn(i)`` up to ``iterations`` times (at least 20, at most ``budget_s`` seconds) after a warm-up."""
    for i in range(3):
        fn(i)
    timing = Timing()
    deadline = time.perf_counter() + budget_s
    for i in range(iterations):
        start = time.perf_counter()
        fn(i)
        timing.samples.append((time.perf_counter() - start) * 1000)
        if i >= 20 and time.perf_counter() > deadline:
            break
    return timing


@dataclass
class Row:
    name: str
    timing: Timing
    peer: Timing
    peer_name: str


# ----------------------------------------------------------------------------- in-process


def _same(label: str, ours: object, peer: object) -> None:
    """Warn when the peer SQL does not return what the selector returns (then the ratio means little)."""
    if ours != peer:
        print(f"  警告：{label} 的对照 SQL 结果与选择器不一致：{ours!r:.200} != {peer!r:.200}", flush=True)


def _raw(sql: str, vendor: str) -> str:
    return sql.replace("%s", "?") if vendor == "sqlite" else sql


def in_process(iterations: int, budget_s: float) -> tuple[list[Row], dict[str, Any]]:
    """The in-process rows (a), (b), (c) and facts for the HTTP part (sample IDs)."""
    from django.core.paginator import Paginator
    from django.db import connection

    from edubase.accounts.models import User
    from edubase.orgs.models import Org
    from edubase.orgs.selectors import dashboard_counts, schools_for
    from edubase.people.models import Enrolment, Person
    from edubase.people.selectors import count_members, search_persons

    vendor = connection.vendor
    city_admin = User.objects.get(username=CITY_ADMIN)
    province_admin = User.objects.get(username=PROVINCE_ADMIN)
    city_path = Org.objects.get(code=CITY).path
    province_path = Org.objects.get(code="410000").path
    # the raw peer reads a subtree as a key range: [path, path + highest possible suffix]
    high = Org.alphabet[-1] * (Org.steplen * 8)

    def fresh(user: Any) -> Any:
        user.__dict__.pop("_grants_cache", None)  # a new request loads the grants again
        return user

    connection.ensure_connection()
    raw = connection.connection.cursor()  # the DB-API cursor under Django's wrapper

    def run_raw(sql: str, params: tuple[Any, ...]) -> list[Any]:
        raw.execute(_raw(sql, vendor), params)
        return raw.fetchall()

    # sample citizen IDs of students and staff in Zhengzhou (decrypted once, here)
    person_ids = list(
        Enrolment.objects.filter(school__path__startswith=city_path, end__isnull=True).values_list(
            "person_id", flat=True
        )[:20_000]
    )
    rng = random.Random(3)
    sample = rng.sample(person_ids, min(200, len(person_ids)))
    id_numbers = [str(p.id_number) for p in Person.objects.filter(pk__in=sample)]
    digest = Person._meta.get_field("id_number_bidx").digest  # type: ignore[attr-defined]

    rows: list[Row] = []

    # (a) school list, first page, as the console's Paginator does it (COUNT + first 50 by path)
    def school_page(_: int) -> object:
        page = Paginator(schools_for(fresh(city_admin)), 50).get_page(1)
        return list(page.object_list)

    org_cols = "id, path, depth, numchild, kind, name, code, region_code, school_category, status, address"

    def school_page_raw(_: int) -> object:
        params = ("school", city_path, city_path + high)
        run_raw("SELECT COUNT(*) FROM orgs_org WHERE kind = %s AND path >= %s AND path <= %s", params)
        return run_raw(
            f"SELECT {org_cols} FROM orgs_org WHERE kind = %s AND path >= %s AND path <= %s ORDER BY path LIMIT 50",  # noqa: S608 - constant column list
            params,
        )

    _same("(a)", [o.code for o in school_page(0)], [r[6] for r in school_page_raw(0)])  # type: ignore[attr-defined]
    rows.append(
        Row(
            "(a) 学校列表首页：郑州市（市级管理员）",
            measure(school_page, iterations, budget_s),
            measure(school_page_raw, iterations, budget_s),
            "COUNT + LIMIT 50 按 path 区间",
        )
    )

    # (b) person by exact citizen ID (blind index), in the city admin's scope
    def person_lookup(i: int) -> object:
        persons = search_persons(fresh(city_admin), id_number=id_numbers[i % len(id_numbers)])
        return list(Paginator(persons, 50).get_page(1).object_list)

    def person_lookup_raw(i: int) -> object:
        value = digest(id_numbers[i % len(id_numbers)])
        lo, hi = city_path, city_path + high
        return run_raw(
            "SELECT p.id, p.name, p.gender, p.birth_date, p.id_number_masked, p.phone_masked FROM people_person p "
            "WHERE p.id_number_bidx = %s AND (EXISTS (SELECT 1 FROM people_enrolment e JOIN orgs_org o "
            'ON o.id = e.school_id WHERE e.person_id = p.id AND e."end" IS NULL AND o.path >= %s AND o.path <= %s) '
            "OR EXISTS (SELECT 1 FROM people_employment m JOIN orgs_org o ON o.id = m.org_id "
            'WHERE m.person_id = p.id AND m."end" IS NULL AND o.path >= %s AND o.path <= %s))',
            (value, lo, hi, lo, hi),
        )

    for i in range(3):
        found = [str(p.pk) for p in person_lookup(i)]  # type: ignore[attr-defined]
        _same("(b)", found, [str(uuid.UUID(str(r[0]))) for r in person_lookup_raw(i)])  # type: ignore[index]
        if len(found) != 1:
            print(f"  警告：(b) 样本 {i} 找到 {len(found)} 人（应为 1 人）", flush=True)
    rows.append(
        Row(
            "(b) 按身份证号精确查找人员（市级管理员）",
            measure(person_lookup, iterations, budget_s),
            measure(person_lookup_raw, iterations, budget_s),
            "盲索引等值 + 范围内在籍/在职 EXISTS",
        )
    )

    # (c) home dashboard data
    def dashboard(user: Any) -> Callable[[int], object]:
        def call(_: int) -> object:
            actor = fresh(user)
            return dashboard_counts(actor), count_members(actor)

        return call

    def dashboard_raw(path: str, whole_tree: bool) -> Callable[[int], object]:
        """The same counts by hand; over the whole tree the memberships need no join with the orgs."""
        lo, hi = path, path + high

        def call(_: int) -> object:
            groups = run_raw(
                "SELECT substr(path, 1, 8), school_category, COUNT(*) FROM orgs_org "
                "WHERE kind = %s AND status = %s AND path >= %s AND path <= %s GROUP BY 1, 2",
                ("school", "active", lo, hi),
            )
            tops = sorted({g[0] for g in groups})
            if tops:
                marks = ", ".join(["%s"] * len(tops))
                run_raw(f"SELECT path, code, name FROM orgs_org WHERE path IN ({marks})", tuple(tops))  # noqa: S608
            if whole_tree:
                students = run_raw('SELECT COUNT(*) FROM people_enrolment WHERE "end" IS NULL', ())
                staff = run_raw('SELECT COUNT(DISTINCT person_id) FROM people_employment WHERE "end" IS NULL', ())
                return groups, students, staff
            students = run_raw(
                "SELECT COUNT(*) FROM people_enrolment e JOIN orgs_org o ON o.id = e.school_id "
                'WHERE e."end" IS NULL AND o.path >= %s AND o.path <= %s',
                (lo, hi),
            )
            staff = run_raw(
                "SELECT COUNT(DISTINCT m.person_id) FROM people_employment m JOIN orgs_org o ON o.id = m.org_id "
                'WHERE m."end" IS NULL AND o.path >= %s AND o.path <= %s',
                (lo, hi),
            )
            return groups, students, staff

        return call

    single_root = Org.objects.filter(depth=1).count() == 1
    for label, user, path in (("省级管理员", province_admin, province_path), ("市级管理员", city_admin, city_path)):
        whole_tree = single_root and path == province_path
        counts, members = dashboard(user)(0)  # type: ignore[misc]
        groups, students, staff = dashboard_raw(path, whole_tree)(0)  # type: ignore[misc]
        _same(
            f"(c) {label}",
            [counts["schools"], members["students"], members["staff"]],
            [sum(g[2] for g in groups), students[0][0], staff[0][0]],
        )
        rows.append(
            Row(
                f"(c) 首页统计（{label}）",
                measure(dashboard(user), iterations, budget_s),
                measure(dashboard_raw(path, whole_tree), iterations, budget_s),
                "GROUP BY + 学籍/任职 COUNT（path 区间）",
            )
        )
        from django.core.cache import cache

        from edubase.console.dashboard import dashboard_for

        cache.clear()

        def served(_: int, user: Any = user) -> object:
            return dashboard_for(fresh(user))

        rows.append(
            Row(
                f"(c') 首页统计，控制台实际路径（{label}，60 秒缓存）",
                measure(served, iterations, budget_s),
                measure(dashboard_raw(path, whole_tree), iterations, budget_s),
                "同上（未缓存的手写 SQL）",
            )
        )
    raw.close()
    return rows, {"id_numbers": id_numbers}


# ----------------------------------------------------------------------------- HTTP


LUA = r"""
paths = {}
cookies = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do table.insert(paths, line) end
for line in io.lines(os.getenv("BENCH_COOKIES")) do table.insert(cookies, line) end
counter = 0
request = function()
  counter = counter + 1
  wrk.headers["Cookie"] = cookies[(counter % #cookies) + 1]
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "socket_errors": %d, "non2xx": %d, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


@dataclass
class HttpResult:
    name: str
    requests_per_s: float
    p50: float
    p95: float
    p99: float
    errors: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_up(base: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:  # noqa: S310 - loopback URL
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("gunicorn 未在规定时间内启动")


def _login(base: str, username: str, password: str) -> str:
    """Sign in through the console form; return the Cookie header of the session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/login/", timeout=30) as response:
        page = response.read().decode("utf-8")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if token is None:
        raise RuntimeError("登录页没有 CSRF 令牌")
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)}
    ).encode()
    request = urllib.request.Request(base + "/login/", data=form, headers={"Referer": base + "/login/"})  # noqa: S310
    with opener.open(request, timeout=60) as response:
        response.read()
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        raise RuntimeError(f"以 {username} 登录失败")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def _check_page(base: str, path: str, cookie: str) -> None:
    request = urllib.request.Request(base + path, headers={"Cookie": cookie})  # noqa: S310 - loopback URL
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback URL
        if response.status != 200 or "/login/" in response.url:
            raise RuntimeError(f"{path} 未返回页面（{response.status} {response.url}）")


def _wrk(base: str, paths: list[str], cookies: list[str], seconds: int, clients: int, work: Path) -> dict[str, Any]:
    script, path_file, cookie_file = work / "bench.lua", work / "paths.txt", work / "cookies.txt"
    script.write_text(LUA, encoding="utf-8")
    path_file.write_text("\n".join(paths) + "\n", encoding="utf-8")
    cookie_file.write_text("\n".join(cookies) + "\n", encoding="utf-8")
    env = {**os.environ, "BENCH_PATHS": str(path_file), "BENCH_COOKIES": str(cookie_file)}
    argv = ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), base]
    out = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=seconds + 60, check=False)
    found = re.search(r"BENCH_JSON (\{.*\})", out.stdout)
    if not found:
        raise RuntimeError(f"无法解析 wrk 输出：\n{out.stdout}\n{out.stderr}")
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def http_load(
    credentials: dict[str, str], id_numbers: list[str], seconds: int, clients: int, sessions: int
) -> list[HttpResult]:
    """Drive console pages and /healthz with wrk against `edubase serve` on a free loopback port."""
    if shutil.which("wrk") is None:
        print("  未找到 wrk（Debian：apt-get install -y wrk），跳过 HTTP 压测", flush=True)
        return []
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    var_dir = Path(os.environ["EDUBASE_VAR_DIR"])
    log = (var_dir / "gunicorn.log").open("w")
    edubase = Path(sys.executable).with_name("edubase")
    argv = [str(edubase), "serve", "--bind", f"127.0.0.1:{port}"]  # the default workers and threads
    server = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_up(base)
        cookies = [_login(base, CITY_ADMIN, credentials[CITY_ADMIN]) for _ in range(sessions)]
        scenarios = [
            ("学校列表首页（郑州市）", ["/schools/"]),
            ("人员查找（按身份证号）", [f"/people/?id_number={n}" for n in id_numbers]),
            ("首页（统计图表）", ["/"]),
            ("/healthz（同负载对照）", ["/healthz"]),
        ]
        results = []
        with tempfile.TemporaryDirectory(prefix="edubase-wrk-") as tmp:
            for name, paths in scenarios:
                _check_page(base, paths[0], cookies[0])
                _wrk(base, paths, cookies, min(3, seconds), clients, Path(tmp))  # warm-up, not counted
                data = _wrk(base, paths, cookies, seconds, clients, Path(tmp))
                results.append(
                    HttpResult(
                        name,
                        data["requests"] / (data["duration_us"] / 1e6),
                        data["p50_us"] / 1000,
                        data["p95_us"] / 1000,
                        data["p99_us"] / 1000,
                        data["socket_errors"] + data["non2xx"],
                    )
                )
                print(f"  HTTP {name}: {results[-1].requests_per_s:.0f} 次/秒", flush=True)
        return results
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


# ----------------------------------------------------------------------------- report


def _ok(value: float, target: float) -> str:
    return "达标" if value < target else "未达标"


def print_report(title: str, rows: list[Row], http: list[HttpResult], http_note: str) -> None:
    print()
    print(title)
    print("=" * min(100, _columns(title)))
    print(f"进程内（毫秒；对照 = 原生 DB-API 手写 SQL，同一次运行；目标 p95 < {IN_PROCESS_TARGET_MS:.0f} ms）")
    print(f"{_pad('操作', 40)}{'p50':>9}{'p95':>9}{'对照p50':>10}{'对照p95':>10}{'p95倍数':>9}  结论  对照")
    for row in rows:
        ratio = row.timing.p95 / row.peer.p95 if row.peer.p95 > 0 else float("nan")
        print(
            f"{_pad(row.name, 40)}{row.timing.p50:9.2f}{row.timing.p95:9.2f}{row.peer.p50:10.2f}{row.peer.p95:10.2f}"
            f"{ratio:8.1f}x  {_ok(row.timing.p95, IN_PROCESS_TARGET_MS)}  "
            f"{row.peer_name}（n={len(row.timing.samples)}）"
        )
    if http:
        peer = http[-1]
        print()
        print(f"HTTP（{http_note}；毫秒；对照 = /healthz；目标 p95 < {HTTP_TARGET_MS:.0f} ms）")
        print(f"{_pad('页面', 40)}{'次/秒':>9}{'p50':>9}{'p95':>9}{'p99':>9}{'p95倍数':>9}  结论  错误")
        for result in http:
            ratio = result.p95 / peer.p95 if peer.p95 > 0 else float("nan")
            print(
                f"{_pad(result.name, 40)}{result.requests_per_s:9.0f}{result.p50:9.1f}{result.p95:9.1f}"
                f"{result.p99:9.1f}{ratio:8.1f}x  {_ok(result.p95, HTTP_TARGET_MS)}  {result.errors}"
            )


def _columns(text: str) -> int:
    return sum(2 if ord(c) > 0x2E7F else 1 for c in text)


def _pad(text: str, width: int) -> str:
    """Left-align ``text`` in ``width`` terminal columns (CJK characters take two)."""
    return text + " " * max(1, width - _columns(text))


# ----------------------------------------------------------------------------- worker / driver


def worker(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edubase.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from edubase.core import context
    from edubase.demo import build_demo

    call_command("migrate", verbosity=0)
    from edubase.orgs.models import Org

    marker = Path(os.environ["EDUBASE_VAR_DIR"]) / "bench-database.txt"
    if connection.vendor != "sqlite" and not marker.exists() and Org.objects.exists():
        print(
            "该 PostgreSQL 数据库中已有机构数据，但不是本基准目录所建（密钥不同，无法复用）。"
            "请为基准使用一个专用的空数据库。",
            file=sys.stderr,
        )
        return 2
    marker.write_text(connection.settings_dict.get("NAME") or "", encoding="utf-8")
    vendor = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(connection.vendor, connection.vendor)
    print(f"[{vendor}] 构建/复用演示省份：{args.scale:,} 所学校，目录 {os.environ['EDUBASE_VAR_DIR']}", flush=True)
    token = context.set_current(context.RequestContext(channel="cli"))
    try:
        report = build_demo(scale=args.scale, progress=lambda message: print(f"  {message}", flush=True))
    finally:
        context.reset(token)
    build_note = "复用已有数据"
    if report.created["persons"]:
        rate = report.created["persons"] / report.seconds
        build_note = f"本次生成 {report.created['persons']:,} 人，用时 {report.seconds:.0f} 秒（约 {rate:,.0f} 人/秒）"
    print(f"  {build_note}", flush=True)
    rows, facts = in_process(args.iterations, args.budget)
    credentials = {c.username: c.password for c in report.credentials}
    http: list[HttpResult] = []
    http_note = (
        f"{args.clients} 个并发连接，每页 {args.seconds} 秒，"
        f"gunicorn {2 * (os.cpu_count() or 1) + 1} 进程 × 2 线程，{args.sessions} 个会话轮换"
    )
    if not args.skip_http:
        http = http_load(credentials, facts["id_numbers"], args.seconds, args.clients, args.sessions)
    totals = report.totals
    title = (
        f"edubase 基础平台基准 — {vendor}：{totals['schools']:,} 所学校，{totals['persons']:,} 人"
        f"（在籍 {totals['enrolments']:,}，在职 {totals['employments']:,}）；{build_note}"
    )
    print_report(title, rows, http, http_note)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"foundation-{connection.vendor}-s{args.scale}.json"
    out.write_text(
        json.dumps(
            {
                "scale": args.scale,
                "vendor": connection.vendor,
                "totals": totals,
                "build": build_note,
                "in_process": [
                    {
                        "name": r.name,
                        "p50_ms": r.timing.p50,
                        "p95_ms": r.timing.p95,
                        "peer": r.peer_name,
                        "peer_p50_ms": r.peer.p50,
                        "peer_p95_ms": r.peer.p95,
                        "n": len(r.timing.samples),
                        "mean_ms": statistics.fmean(r.timing.samples),
                    }
                    for r in rows
                ],
                "http": [vars(h) for h in http],
            },
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    print(f"\n结果已写入 {out.relative_to(ROOT)}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=int(os.environ.get("BENCH_SCALE", "50000")))
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds at most per in-process measurement")
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_HTTP_SECONDS", "20")))
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--sessions", type=int, default=8, help="signed-in sessions the HTTP load rotates through")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--database", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    url = os.environ.get("EDUBASE_DATABASE_URL", "")
    databases = ["sqlite", "postgres"] if args.database == "all" else [args.database]
    if "postgres" in databases and not url.startswith("postgres"):
        if args.database == "postgres":
            print("需要设置 EDUBASE_DATABASE_URL=postgres://…（专用于基准的空数据库）", file=sys.stderr)
            return 2
        databases.remove("postgres")
    DATA.mkdir(parents=True, exist_ok=True)
    (DATA / ".gitignore").write_text("*\n", encoding="utf-8")  # the province data stays out of git
    status = 0
    for database in databases:
        env = dict(os.environ)
        env["EDUBASE_VAR_DIR"] = str(DATA / f"{database}-s{args.scale}")
        if database == "sqlite":
            env.pop("EDUBASE_DATABASE_URL", None)
        argv = [sys.executable, __file__, "--worker", "--database", database, "--scale", str(args.scale)]
        argv += ["--iterations", str(args.iterations), "--budget", str(args.budget), "--seconds", str(args.seconds)]
        argv += ["--clients", str(args.clients), "--sessions", str(args.sessions)]
        argv += ["--skip-http"] if args.skip_http else []
        status |= subprocess.run(argv, env=env, check=False).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
