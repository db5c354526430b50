"""Issue 6's "done when" on the console, in a real browser (headless Debian chromium, Playwright).

A school's sshd lines (a brute force of 60 failures from one address among benign logins) go
through the real parsers, enrichment, DuckDB event store and Sigma detection — the same calls the
ingest worker makes. In the browser the provincial security officer finds exactly ONE brute-force
alert for that school, turns it into a notice to the school with one click, and the province's big
screen (态势大屏) shows the school among the most attacked and the attacker among the top sources,
drawn by ECharts, without a console error or an off-site request. The real ``edubase ingest``
process path is covered by tests/secops/logs/test_done_when.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import browser_session, needs_chromium, sign_in
from tests.factories import build_world, make_user

pytestmark = [
    needs_chromium,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ATTACKER = "203.0.113.77"
BRUTE_FORCE_RULE = "6f1b7a52-5d0c-4e57-9a55-1a0e3c9b0a02"  # rules/ssh_bruteforce.yml
CST = dt.timezone(dt.timedelta(hours=8))


def _sshd(at: dt.datetime, message: str) -> str:
    return f"<38>1 {at.astimezone(CST).isoformat(timespec='seconds')} web01 sshd 2211 - - {message}"


def _run_school_logs(school: Any, officer: Any) -> None:
    """What the ingest worker does with one batch: parse → enrich → store → detect (+ the hunt)."""
    from django.utils import timezone

    from edubase.secops import notices
    from edubase.secops.logs import detect, parsers, sources
    from edubase.secops.logs.enrich import Enricher
    from edubase.secops.logs.sigma import packs
    from edubase.secops.logs.store import get_store

    packs.import_bundled(actor=None)
    notices.publish_process(actor=None)
    source, _token = sources.register_source(actor=officer, org=school, name="门户服务器", sender_ips=["10.41.1.10"])
    now = timezone.now()
    start = now - dt.timedelta(minutes=10)
    lines = [
        _sshd(start + dt.timedelta(seconds=i), f"Accepted publickey for ops from 10.8.0.{i} port 5012{i} ssh2")
        for i in range(5)
    ]
    lines += [
        _sshd(start + dt.timedelta(seconds=30 + i), f"Failed password for root from {ATTACKER} port {40000 + i} ssh2")
        for i in range(60)
    ]
    enricher = Enricher.from_db()
    events = []
    for index, raw in enumerate(lines):
        event = parsers.parse(raw, received_at=now, host_ip="10.41.1.10", meta={"edubase.source_id": source.pk})
        event["event.id"] = f"e2e-screen-{index}"
        event["event.ingested"] = now
        event["edubase.source_id"] = source.pk
        enricher.apply(event, source.pk)
        events.append(event)
    store = get_store()
    store.write(events)
    detect.evaluate_batch(events, store, now=now)
    detect.hunt_due(now=now, store=store)


@pytest.fixture
def screen_world(transactional_db: None, settings: Any, tmp_path: Any) -> dict[str, Any]:
    # an event store of its own: the per-process default keeps other tests' events (the hunt would see them)
    settings.EDUBASE_EVENT_DIR = str(tmp_path / "events")
    world = build_world()
    officer = make_user("province_officer", role="security_officer", org=world.province)
    make_user("school_a_officer", role="security_officer", org=world.school_a)  # the notice's addressee
    _run_school_logs(world.school_a, officer)
    from edubase.secops.models import Alert

    alerts = list(Alert.objects.filter(rule__rule_id=BRUTE_FORCE_RULE).values_list("pk", "org_id"))
    return {"alerts": alerts, "school": world.school_a.pk, "school_name": world.school_a.name}


@pytest.fixture
def browser_page(live_server: Any, screen_world: dict[str, Any]) -> Iterator[tuple[Any, list[str], list[str]]]:
    with browser_session(live_server.url) as session:
        yield session


def _chart_option(page: Any, element_id: str) -> dict[str, Any]:
    return page.evaluate(
        "id => { const c = echarts.getInstanceByDom(document.getElementById(id));"
        " return c ? JSON.parse(JSON.stringify(c.getOption())) : null; }",
        element_id,
    )


def test_one_alert_becomes_a_notice_in_one_click_and_the_big_screen_shows_it(
    live_server: Any, screen_world: dict[str, Any], browser_page: tuple[Any, list[str], list[str]]
) -> None:
    page, errors, off_site = browser_page
    base = live_server.url
    # 60 failures from one attacker: ONE alert for the school, not one per event or window
    assert len(screen_world["alerts"]) == 1
    alert_pk, alert_org = screen_world["alerts"][0]
    assert alert_org == screen_world["school"]

    sign_in(page, base, "province_officer")

    page.goto(f"{base}/secops/alerts/")
    page.click(f"a[href$='/secops/alerts/{alert_pk}/']")
    page.wait_for_selector("#btn-notice")
    assert screen_world["school_name"] in page.inner_text("#btn-notice")
    page.click("#btn-notice")  # the one click
    page.wait_for_selector(".alert-success")
    assert "已向" + screen_world["school_name"] + "下发通报" in page.inner_text(".alert-success")
    page.click("a[href*='/secops/notices/']")  # the alert now links its notice
    page.wait_for_url("**/secops/notices/**")
    assert screen_world["school_name"] in page.inner_text("body")

    page.goto(f"{base}/secops/screen/")
    page.wait_for_function("() => window.echarts && echarts.getInstanceByDom(document.getElementById('chart-schools'))")
    assert int(page.inner_text("#fig-total")) >= 1
    schools = _chart_option(page, "chart-schools")
    assert screen_world["school_name"] in str(schools), schools
    sources = _chart_option(page, "chart-ips")
    assert ATTACKER in str(sources), sources
    assert errors == [] and off_site == []
