"""The issue's "done when", end to end against the real ``edubase ingest`` process.

A school's log source is registered by its sender address (127.0.0.1); an rsyslog-style client
sends a simulated SSH brute force (60 failed passwords from one attacker in 30 s) mixed with benign
lines over TCP syslog; exactly ONE alert of the bundled brute-force rule appears for that school
within seconds (not one per window, batch or event), and one call of the alerts service turns it
into a notice to that school.

Like the crash test, the process runs for real on its own SQLite file database and DuckDB event
store; the test reads that database through small ``python -c`` scripts in the same environment.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.secops.logs.ingest_support import octet_frames, send_and_confirm
from tests.secops.logs.test_ingest_crash import ROOT, Process, _env, _free_port, _spool_drained

BRUTE_FORCE_RULE = "6f1b7a52-5d0c-4e57-9a55-1a0e3c9b0a02"  # rules/ssh_bruteforce.yml
ATTACKER = "203.0.113.77"
CST = dt.timezone(dt.timedelta(hours=8))
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

SETUP = """
import json
import django; django.setup()
from tests.factories import build_world
from edubase.secops.logs.sigma.packs import import_bundled
from edubase.secops.logs.sources import new_token, token_digest
from edubase.secops.models import LogSource
world = build_world()
school = world.school_a
prefix, token = new_token()
LogSource.objects.create(org=school, org_path=school.path, name="rsyslog", token_prefix=prefix,
                         token_digest=token_digest(token), sender_ips=["127.0.0.1"])
import_bundled(actor=None)
from edubase.secops import notices
notices.publish_process(actor=None)  # what `edubase secops publish` does on a deployment
print(json.dumps({"school": school.pk, "path": school.path}))
"""

ALERTS = """
import json, sys
import django; django.setup()
from edubase.secops.models.detection import Alert
rows = Alert.objects.filter(rule__rule_id=sys.argv[1]).values_list("pk", "org_id", "group_key", "event_count")
print(json.dumps(list(rows)))
"""

NOTICE = """
import json, sys
import django; django.setup()
from edubase.accounts.models import User
from edubase.secops.logs import alerts
from edubase.secops.models.detection import Alert
actor = User.objects.get(username="province_admin")
alert = alerts.get_alert(actor, pk=int(sys.argv[1]))
notice = alerts.open_notice(actor=actor, alert=alert)
alert.refresh_from_db()
print(json.dumps({"notice": notice.pk, "target": notice.org_id, "linked": alert.notice_id}))
"""


def _env_with_tests(var: Path) -> dict[str, str]:
    env = _env(var)
    env["PYTHONPATH"] = f"{ROOT / 'src'}:{ROOT}"
    return env


def _script(var: Path, code: str, *args: str) -> object:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], env=_env_with_tests(var), check=False, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _burst_start() -> dt.datetime:
    """30 s ago, or earlier so that the 30-second burst stays inside one epoch-aligned 5-minute window of
    the rule: a burst split 53/7 across a window boundary rightly raises an alert counting only 53."""
    window = 300
    start = dt.datetime.now(CST).timestamp() - 30
    boundary = (start // window + 1) * window
    if start + 30 >= boundary:
        start = boundary - 35  # the burst then ends 5 s before the boundary
    return dt.datetime.fromtimestamp(start, CST)


def _lines(now: dt.datetime) -> list[str]:
    """60 failed passwords for root from one attacker over 30 s, mixed with 200 benign lines."""
    rng = random.Random(6)
    out: list[tuple[float, str]] = []
    for i in range(60):
        t = now + dt.timedelta(seconds=i / 2)
        msg = f"Failed password for root from {ATTACKER} port {40000 + i} ssh2"
        out.append((i / 2, f"<38>{_bsd(t)} web01 sshd[{2000 + i}]: {msg}"))
    for _i in range(200):
        offset = rng.uniform(0, 30)
        t = now + dt.timedelta(seconds=offset)
        msg = rng.choice(
            [
                f"sshd[811]: Accepted publickey for deploy from 10.1.2.{rng.randrange(1, 255)} port 52311 ssh2",
                "sshd[811]: pam_unix(sshd:session): session opened for user deploy(uid=1000) by (uid=0)",
                "CRON[812]: (root) CMD (run-parts /etc/cron.hourly)",
                "systemd[1]: Started Session 42 of User root.",
            ]
        )
        out.append((offset, f"<38>{_bsd(t)} web01 {msg}"))
    return [text for _offset, text in sorted(out)]


def _bsd(t: dt.datetime) -> str:
    return f"{MONTHS[t.month - 1]} {t.day:2d} {t:%H:%M:%S}"


@pytest.mark.slow
def test_a_school_ssh_brute_force_raises_one_alert_that_becomes_a_notice(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir()
    env = _env_with_tests(var)
    subprocess.run(
        [sys.executable, "-m", "edubase.cli", "migrate", "--noinput"], env=env, check=True, capture_output=True
    )
    school = _script(var, SETUP)
    assert isinstance(school, dict)
    tcp = _free_port()
    ingest = Process(var, ["--host", "127.0.0.1", "--syslog-tcp", str(tcp)])
    try:
        ingest.start()
        lines = _lines(_burst_start())
        with socket.create_connection(("127.0.0.1", tcp), timeout=10) as s:
            assert send_and_confirm(s, octet_frames(lines)) == f"OK {len(lines)}\n"
        found: list[list[object]] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            rows = _script(var, ALERTS, BRUTE_FORCE_RULE)
            assert isinstance(rows, list)
            found = rows
            if found:
                break
            time.sleep(0.5)
        assert found, "no brute-force alert within 20 s: " + (var / "ingest.log").read_text()[-3000:]
        # let the worker finish the spool: still one alert, not one per batch, window or event
        deadline = time.monotonic() + 30
        while not _spool_drained(var / "spool", "processor") and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)
    finally:
        ingest.stop()
    rows = _script(var, ALERTS, BRUTE_FORCE_RULE)
    assert isinstance(rows, list)
    assert len(rows) == 1, rows
    pk, org_id, group, count = rows[0]
    assert org_id == school["school"]
    assert group == {"source.ip": ATTACKER}
    assert count == 60
    notice = _script(var, NOTICE, str(pk))
    assert isinstance(notice, dict)
    assert notice["target"] == school["school"] and notice["linked"] == notice["notice"]
