"""Workflow benchmark: 10,000 open cases of the generic approval, each with its timers.

Measures, each next to a named peer in the same run:

- case creation rate through the engine (start + submit) vs bulk cloning of the same rows;
- inbox query p95 (``selectors.inbox_for``, ``list()``) for a county and a city reviewer vs the
  same inbox as hand-written SQL on the raw cursor;
- timer sweep of 1,000 due escalation timers (``timers.fire_due_timers``) vs a plain UPDATE that
  marks 1,000 other timers fired;
- stored state size per case (bytes of the serialized SpiffWorkflow JSON, p50/p95) vs the same
  JSON compressed with zlib (about what PostgreSQL's TOAST keeps).

SQLite by default (a fresh database in ``bench/.data/workflow-sqlite/``); PostgreSQL when
``EDUBASE_DATABASE_URL`` names an empty database of its own.

Run: make bench-workflow    (BENCH_CASES=2000 for a quick run)
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / ".data"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import benchlib  # noqa: E402
from benchlib import pct  # noqa: E402

CASES = int(os.environ.get("BENCH_CASES", "10000"))
THROUGH_ENGINE = int(os.environ.get("BENCH_ENGINE_CASES", "300"))
RUNS = 40
SWEEP = 1000


def timed(fn: Callable[[], Any], runs: int = RUNS) -> list[float]:
    return benchlib.timed(fn, runs)


def setup() -> str:
    return benchlib.django_env("workflow")


def build_orgs() -> tuple[Any, list[Any], Any, Any]:
    """The test world plus extra counties and schools: 15 counties in two cities, 6 schools each."""
    from tests.factories import build_world, make_org, make_user

    from edubase.orgs.models import OrgKind

    world = build_world()
    counties = [world.zhongyuan, world.jinshui, world.laocheng]
    for i in range(8):
        counties.append(
            make_org(
                world.zhengzhou,
                kind=OrgKind.COUNTY,
                name=f"郑州测试县{i}",
                code=f"4101{60 + i}",
                region=f"4101{60 + i}",
            )
        )
    for i in range(4):
        counties.append(
            make_org(
                world.luoyang, kind=OrgKind.COUNTY, name=f"洛阳测试县{i}", code=f"4103{60 + i}", region=f"4103{60 + i}"
            )
        )
    schools = []
    for ci, county in enumerate(counties):
        for si in range(6):
            code = f"41{ci:04d}{si:04d}"
            schools.append(
                make_org(
                    county,
                    kind=OrgKind.SCHOOL,
                    name=f"测试学校{ci}-{si}",
                    code=code,
                    region=county.region_code,
                    category="21",
                )
            )
    county_reviewer = make_user("bench_county_reviewer", role="reviewer", org=world.zhongyuan)
    city_reviewer = make_user("bench_city_reviewer", role="reviewer", org=world.zhengzhou)
    return world, schools, county_reviewer, city_reviewer


def create_cases(world: Any, schools: list[Any]) -> dict[str, float]:
    from django.db import transaction

    from edubase.workflow import engine, services
    from edubase.workflow.models import CaseEvent, ProcessInstance, TaskStatus, Timer, WorkTask

    services.publish_shipped(actor=world.province_admin)
    applicant = world.school_admin
    start = time.perf_counter()
    for n in range(THROUGH_ENGINE):
        school = schools[n % len(schools)]
        instance = engine.start("generic_approval", subject=school, org=school, actor=applicant)
        submit = WorkTask.objects.get(instance=instance, element_id="submit")
        engine.complete(submit, actor=applicant, data={"reason": f"申请 {n}"})
    engine_s = time.perf_counter() - start

    # the rest: clones of the engine-made rows, written in bulk (same shape, same state size)
    templates = list(ProcessInstance.objects.order_by("pk")[: len(schools)])
    by_school = {t.org_id: t for t in templates}
    review = {t.instance_id: t for t in WorkTask.objects.filter(element_id="review", instance__in=templates)}
    timers = {}
    for timer in Timer.objects.filter(instance__in=templates):
        timers.setdefault(timer.instance_id, []).append(timer)
    start = time.perf_counter()
    remaining = CASES - THROUGH_ENGINE
    batch = 1000
    for offset in range(0, remaining, batch):
        size = min(batch, remaining - offset)
        with transaction.atomic():
            sources = [by_school[schools[(offset + i) % len(schools)].pk] for i in range(size)]
            instances = ProcessInstance.objects.bulk_create(
                ProcessInstance(
                    definition_id=s.definition_id,
                    subject_type=s.subject_type,
                    subject_id=s.subject_id,
                    org_id=s.org_id,
                    org_path=s.org_path,
                    serialized=s.serialized,
                    started_by_id=s.started_by_id,
                    version=s.version,
                )
                for s in sources
            )
            if not all(i.pk for i in instances):  # backends without RETURNING on bulk insert
                instances = list(ProcessInstance.objects.order_by("-pk")[:size])[::-1]
            tasks = WorkTask.objects.bulk_create(
                WorkTask(
                    instance=inst,
                    spiff_task_id=review[src.pk].spiff_task_id,
                    element_id="review",
                    title=review[src.pk].title,
                    role_code=review[src.pk].role_code,
                    candidate_org_id=review[src.pk].candidate_org_id,
                    candidate_path=review[src.pk].candidate_path,
                    status=TaskStatus.OPEN,
                    due_at=review[src.pk].due_at,
                )
                for inst, src in zip(instances, sources, strict=True)
            )
            Timer.objects.bulk_create(
                Timer(instance=inst, task=task, kind=t.kind, fire_at=t.fire_at)
                for inst, task, src in zip(instances, tasks, sources, strict=True)
                for t in timers[src.pk]
            )
            CaseEvent.objects.bulk_create(
                CaseEvent(instance=inst, at=src.created, actor_id=src.started_by_id, action=action)
                for inst, src in zip(instances, sources, strict=True)
                for action in ("started", "completed")
            )
    bulk_s = time.perf_counter() - start
    return {
        "engine_cases": THROUGH_ENGINE,
        "engine_rate": THROUGH_ENGINE / engine_s,
        "bulk_cases": remaining,
        "bulk_rate": remaining / bulk_s if bulk_s else 0.0,
    }


def raw_inbox(role_code: str, path: str) -> Callable[[], list[Any]]:
    from django.db import connection

    from edubase.core.scope import _successor

    upper = _successor(path)
    sql = (
        "SELECT t.*, i.id, i.state, d.key, d.name, o.name FROM workflow_worktask t "
        "JOIN workflow_processinstance i ON i.id = t.instance_id "
        "JOIN workflow_processdefinition d ON d.id = i.definition_id "
        "JOIN orgs_org o ON o.id = t.candidate_org_id "
        "WHERE t.status = %s AND t.assignee_id IS NULL AND t.role_code = %s "
        "AND t.candidate_path >= %s AND t.candidate_path < %s ORDER BY t.due_at, t.id"
    )

    def run() -> list[Any]:
        with connection.cursor() as cursor:
            cursor.execute(sql, ["open", role_code, path, upper])
            return cursor.fetchall()

    return run


def inbox(county_reviewer: Any, city_reviewer: Any, world: Any) -> dict[str, Any]:
    from edubase.workflow.selectors import inbox_for

    out: dict[str, Any] = {}
    for label, user, org in (("county", county_reviewer, world.zhongyuan), ("city", city_reviewer, world.zhengzhou)):
        rows = len(list(inbox_for(user)))
        orm = timed(lambda u=user: list(inbox_for(u)))
        page = timed(lambda u=user: list(inbox_for(u)[:50]))
        # diagnostic: the same query without the two large columns select_related drags along
        lean = timed(lambda u=user: list(inbox_for(u).defer("instance__serialized", "instance__definition__bpmn_xml")))
        raw_fn = raw_inbox("reviewer", org.path)
        assert len(raw_fn()) == rows, (len(raw_fn()), rows)
        raw = timed(raw_fn)
        out[label] = {
            "rows": rows,
            "orm_p50": pct(orm, 50),
            "orm_p95": pct(orm, 95),
            "page50_p95": pct(page, 95),
            "raw_p95": pct(raw, 95),
            "lean_p95": pct(lean, 95),
            "ratio": pct(orm, 95) / pct(raw, 95),
        }
    return out


def sweep() -> dict[str, float]:
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from edubase.workflow import timers
    from edubase.workflow.models import Timer, TimerKind

    now = timezone.now()
    past = now - dt.timedelta(minutes=1)
    ids = list(
        Timer.objects.filter(kind=TimerKind.ESCALATION, fired_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[: 2 * SWEEP]
    )
    due, peer = ids[:SWEEP], ids[SWEEP:]
    Timer.objects.filter(pk__in=due).update(fire_at=past)
    start = time.perf_counter()
    fired = timers.fire_due_timers(now, limit=SWEEP)
    sweep_s = time.perf_counter() - start
    assert fired == len(due), (fired, len(due))
    start = time.perf_counter()
    with transaction.atomic():
        updated = Timer.objects.filter(pk__in=peer, fired_at__isnull=True).update(fired_at=now, attempts=1)
    update_s = time.perf_counter() - start
    return {
        "fired": fired,
        "sweep_s": sweep_s,
        "per_timer_ms": sweep_s * 1000 / fired,
        "update_rows": updated,
        "update_s": update_s,
        "ratio": sweep_s / update_s if update_s else 0.0,
    }


def state_size() -> dict[str, float]:
    from edubase.workflow.models import ProcessInstance

    sizes, packed = [], []
    for serialized in ProcessInstance.objects.order_by("pk").values_list("serialized", flat=True)[:THROUGH_ENGINE]:
        body = serialized.encode("utf-8")
        sizes.append(len(body))
        packed.append(len(zlib.compress(body)))
    return {
        "p50": statistics.median(sizes),
        "p95": pct([float(s) for s in sizes], 95),
        "zlib_p50": statistics.median(packed),
        "zlib_p95": pct([float(s) for s in packed], 95),
    }


def main() -> None:
    database = setup()
    from django.db import connection

    from edubase.workflow.models import Timer, WorkTask

    print(f"[{database}] 工作流基准：{CASES:,} 个办理中案件（其中 {THROUGH_ENGINE} 个经引擎创建）", flush=True)
    world, schools, county_reviewer, city_reviewer = build_orgs()
    created = create_cases(world, schools)
    print(
        f"创建：引擎 {created['engine_rate']:.1f} 件/秒（start+提交，{created['engine_cases']} 件）"
        f" | 对照 批量写入 {created['bulk_rate']:.0f} 件/秒（{created['bulk_cases']:,} 件）",
        flush=True,
    )
    print(f"待办 {WorkTask.objects.filter(status='open').count():,} 条，定时器 {Timer.objects.count():,} 个")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    results = inbox(county_reviewer, city_reviewer, world)
    for label, name in (("county", "县级审核员（中原区）"), ("city", "市级审核员（郑州市）")):
        r = results[label]
        print(
            f"收件箱 {name}：{r['rows']:,} 条，inbox_for list() p50 {r['orm_p50']:.1f} ms p95 {r['orm_p95']:.1f} ms"
            f"（首页 50 条 p95 {r['page50_p95']:.1f} ms） | 对照 手写 SQL p95 {r['raw_p95']:.1f} ms"
            f" | 比值 {r['ratio']:.2f}×"
        )
        print(f"  诊断：inbox_for 去掉 serialized 与 bpmn_xml 两列后 p95 {r['lean_p95']:.1f} ms")
    s = sweep()
    print(
        f"定时器扫描：fire_due_timers 触发 {s['fired']:,} 个超期升级 {s['sweep_s']:.2f} s"
        f"（{s['per_timer_ms']:.2f} ms/个）"
        f" | 对照 单条 UPDATE {s['update_rows']:,} 行 {s['update_s'] * 1000:.1f} ms | 比值 {s['ratio']:.0f}×"
    )
    z = state_size()
    print(
        f"每案件流程状态：p50 {z['p50']:,.0f} B，p95 {z['p95']:,.0f} B"
        f" | 对照 zlib 压缩后 p50 {z['zlib_p50']:,.0f} B，p95 {z['zlib_p95']:,.0f} B"
        f" | 比值 {z['p50'] / z['zlib_p50']:.1f}×"
    )


if __name__ == "__main__":
    main()
