"""Data governance in a real browser (headless Debian chromium, Playwright): the issue's "done when".

郑州's data officer opens 数据治理, scans school A's 学籍 system (a real SQLite file), sees its
sensitive fields found and graded, reviews the low-confidence ones, describes and publishes the
dataset; 老城区's data officer asks for a share for student aid; the chain (school and city steps by
郑州's officer, the province step by the province's officer) approves it from 我的待办; the
requester downloads the masked, watermarked XLSX. All data is built before the browser starts.
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import browser_session, needs_chromium, sign_in
from tests.factories import build_world, citizen_id, make_user

pytestmark = [
    needs_chromium,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NAMES = ("张伟", "王芳", "李娜", "欧阳明", "司马青", "刘洋", "陈静", "杨帆")
ID_NUMBERS = [citizen_id("410102", f"201{i % 8}0{1 + i % 9}1{i % 9}", f"{i:03d}") for i in range(40)]


def _school_system(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE xs_jbxx (姓名 TEXT, 身份证件号 TEXT, 联系电话 TEXT, 家庭住址 TEXT, "
        "家庭经济困难 TEXT, 心理测评结果 TEXT, 学校代码 TEXT, 学年 TEXT)"
    )
    for i, number in enumerate(ID_NUMBERS):
        db.execute(
            "INSERT INTO xs_jbxx VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                NAMES[i % len(NAMES)],
                number,
                f"1{38 + i % 6}1234{i:04d}",
                f"河南省郑州市中原区建设路{10 + i}号",
                ("否", "建档立卡户", "低保家庭", "否")[i % 4],
                ("正常", "正常", "轻度焦虑，建议关注", "正常")[i % 4],
                "2141001001",
                "2025-2026",
            ),
        )
    db.commit()
    db.close()
    return path


@pytest.fixture
def ids(transactional_db: None, tmp_path: Path) -> dict[str, Any]:
    from edubase.datagov import services

    world = build_world()
    officer = make_user("zz_data_officer", role="data_officer", org=world.zhengzhou)
    make_user("prov_data_officer", role="data_officer", org=world.province)
    make_user("lc_data_officer", role="data_officer", org=world.laocheng)
    source = services.create_source(
        actor=officer,
        org=world.school_a,
        name="学籍与教务管理系统",
        kind="sqlite",
        location=str(_school_system(tmp_path / "xueji.sqlite3")),
        system_name="校园学籍系统",
    )
    return {"source": str(source.pk), "laocheng": world.laocheng.pk}


@pytest.fixture
def browser_page(live_server: Any, ids: dict[str, Any]) -> Iterator[tuple[Any, list[str], list[str]]]:
    with browser_session(live_server.url) as session:
        yield session


def _approve_next(page: Any, base: str, username: str) -> None:
    sign_in(page, base, username)
    page.goto(f"{base}/workflow/inbox/")
    page.click("#inbox tr:has-text('数据共享审批') a.task-open")
    page.check("input[name=decision][value=approve]")
    page.fill("#id_comment", "用途明确，同意按脱敏方式共享")
    page.click("#complete-button")
    page.wait_for_selector(".alert-success")


def test_a_data_officer_scans_publishes_and_a_masked_share_is_approved_and_delivered(
    live_server: Any, ids: dict[str, Any], browser_page: tuple[Any, list[str], list[str]], tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    page, errors, off_site = browser_page
    base = live_server.url

    # the data officer reaches the source from the 数据治理 entry and scans it
    sign_in(page, base, "zz_data_officer")
    page.click("#console-nav [data-workflow-section=datagov] a")
    page.wait_for_url(f"{base}/datagov/")
    assert page.locator("#datagov-sections a[href='/datagov/sharing/']").count() == 1
    assert page.locator("#datagov-sections a[href='/datagov/pool/']").count() == 1
    page.click("#datagov-tabs a:has-text('数据源')")
    page.click("text=学籍与教务管理系统")
    page.click("#source-scan")
    page.wait_for_selector("#scan-result tr.table-danger")
    assert "xs_jbxx" in page.inner_text("#scan-result")

    # the sensitive fields are found and graded
    page.click("#scan-result tr.table-danger td a")
    page.wait_for_selector("#field-table")
    for column, label in (
        ("身份证件号", "居民身份证号码"),
        ("家庭经济困难", "家庭经济困难"),
        ("心理测评结果", "心理测评"),
    ):
        row = page.locator(f"#field-table tr[data-field='{column}']")
        assert "table-danger" in (row.get_attribute("class") or ""), column
        assert label in row.inner_text(), column
    samples = page.inner_text("#field-table tr[data-field='身份证件号'] td:nth-child(8)")
    assert "*" in samples and ID_NUMBERS[0] not in page.content()  # samples are masked
    assert "敏感个人信息" in page.inner_text("#dataset-meta")
    dataset_url = page.url

    # low-confidence findings are reviewed from the queue (each decision remembered)
    page.goto(f"{base}/datagov/review/")
    for _ in range(12):
        forms = page.locator("#review-table form")
        if forms.count() == 0:
            break
        forms.first.locator("button").click()
        page.wait_for_load_state()
    assert page.locator("#review-table form").count() == 0

    # describe and publish the catalogue entry
    page.goto(dataset_url)
    page.click("a:has-text('编辑')")
    page.fill("#f-desc", "在籍学生基本信息、家庭经济困难认定与心理测评结果")
    page.click("#dataset-form button[type=submit]")
    page.wait_for_url(dataset_url)
    page.click("#dataset-publish")
    page.wait_for_selector("#dataset-meta:has-text('已发布 v1')")
    page.goto(f"{base}/datagov/catalogue/")
    assert "在籍学生基本信息" in page.inner_text("body") or "xs_jbxx" in page.inner_text("body")

    # another bureau's data officer asks for a share for student aid
    sign_in(page, base, "lc_data_officer")
    page.goto(f"{base}/datagov/sharing/requests/new/")
    page.select_option("#f-dataset", index=1)
    page.select_option("#f-org", str(ids["laocheng"]))
    page.select_option("#f-purpose", "financial_aid")
    page.click("#request-choose button[type=submit]")
    page.wait_for_selector("#request-form")
    for column in ("姓名", "身份证件号", "家庭经济困难", "学年"):
        page.check(f"#preview-table tr[data-field='{column}'] input[name=fields]")
    page.fill("#f-detail", "核定跨区就读学生的资助名单")
    page.click("#request-submit")
    page.wait_for_selector("#request-steps")
    request_url = page.url
    assert "数据提供单位 → 市级 → 省级" in page.inner_text("#request-facts")

    # the chain approves from 我的待办: the school step and the city step, then the province
    _approve_next(page, base, "zz_data_officer")
    _approve_next(page, base, "zz_data_officer")
    _approve_next(page, base, "prov_data_officer")

    # the requester sees the approval and downloads the masked, watermarked extract
    sign_in(page, base, "lc_data_officer")
    page.goto(request_url)
    assert "已批准" in page.inner_text("h2.page-title")
    page.click("a:has-text('共享授权')")
    page.wait_for_selector("#grant-effects")
    effects = page.inner_text("#grant-effects")
    assert "脱敏" in effects
    with page.expect_download() as download_info:
        page.click("#extract-xlsx")
    target = tmp_path / "extract.xlsx"
    download_info.value.save_as(target)
    sheet = load_workbook(io.BytesIO(target.read_bytes()), read_only=True).worksheets[0]
    rows = [[str(c) if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]
    header, body = rows[0], rows[1:]
    assert header[:4] == ["姓名", "身份证件号", "家庭经济困难", "学年"]
    assert len(header) == 5  # + the trace column of the watermark
    assert len(body) >= len(ID_NUMBERS)
    clear = set(ID_NUMBERS)
    assert not any(row[1] in clear for row in body)  # identifiers never leave in clear
    page.reload()
    assert "XLSX" in page.inner_text("#grant-extracts")

    assert not off_site, off_site
    assert not errors, errors


@pytest.fixture
def pool_ids(transactional_db: None) -> dict[str, Any]:
    """Two rounds of rosters from 中原区 and 老城区 with a quality run after each (dated on its round)."""
    import datetime as dt

    from django.utils import timezone

    from edubase.datagov.pool import services as pool
    from edubase.datagov.pool.models import QualityRun
    from tests.datagov_pool.rosters import csv_bytes, pupil

    world = build_world()
    officer = make_user("prov_data_officer", role="data_officer", org=world.province)
    a, c = world.school_a.code, world.school_c.code
    first = [pupil(a, seq=f"{i:03d}", guardian="", phone="") for i in range(1, 7)]
    broken = [list(r) for r in first]
    broken[0][3] = "男生"  # a sex written out in words: the whole file is refused, row by row
    fixed = [pupil(a, seq=f"{i:03d}") for i in range(1, 7)]
    theirs = [pupil(c, name="赵小红", region="410302", birth="20140101", seq=f"{i:03d}", phone="") for i in range(1, 5)]
    moved = pupil(c, seq="001")  # 中原区's first pupil is also on 老城区's roster
    now = timezone.now()
    rounds = [
        (30, [(world.school_a, broken), (world.school_a, first), (world.school_c, theirs)]),
        (3, [(world.school_a, fixed), (world.school_c, [*theirs, moved])]),
    ]
    for days, sends in rounds:
        for n, (school, rows) in enumerate(sends):
            pool.submit_file(actor=officer, school=school, filename=f"花名册-{days}-{n}.csv", data=csv_bytes(rows))
        run = pool.run_quality(actor=officer, today=timezone.localdate(now - dt.timedelta(days=days)))
        QualityRun.objects.filter(pk=run.pk).update(started_at=now - dt.timedelta(days=days))
    return {}


@pytest.fixture
def pool_page(live_server: Any, pool_ids: dict[str, Any]) -> Iterator[tuple[Any, list[str], list[str]]]:
    with browser_session(live_server.url) as session:
        yield session


def test_a_data_officer_watches_roster_quality_improve_across_counties(
    live_server: Any, pool_ids: dict[str, Any], pool_page: tuple[Any, list[str], list[str]]
) -> None:
    page, errors, off_site = pool_page
    base = live_server.url
    sign_in(page, base, "prov_data_officer")
    page.click("#console-nav [data-workflow-section=datagov] a")
    page.click("#datagov-sections a:has-text('质量总览')")
    page.wait_for_url(f"{base}/datagov/pool/")
    page.wait_for_selector("#chart-county-trends[data-rendered=true] svg")
    legend = page.inner_text("#chart-county-trends")
    assert "中原区" in legend and "老城区" in legend
    page.wait_for_selector("#chart-trend[data-rendered=true] svg")
    assert float(page.inner_text("#top-score")) > 0

    # the refused file and its row-level reasons in Chinese
    page.click("#pool-tabs a:has-text('花名册报送')")
    page.click("#submission-table tr:has(.badge:has-text('已退回')) a")
    assert page.inner_text("#sub-status") == "已退回"
    assert "不在代码表中" in page.inner_text("#sub-errors")

    # the pupil on two rosters is reported to the schools concerned
    page.goto(f"{base}/datagov/pool/conflicts/")
    assert page.locator("#conflict-table tbody tr").count() >= 1

    assert not off_site, off_site
    assert not errors, errors
