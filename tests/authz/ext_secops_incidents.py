"""Authorization-matrix rows of secops: incidents, drills and the security dashboard.

KINDS maps an object kind to its (in-scope, out-of-scope) attribute names; ``build`` makes those
objects (in: school A of 郑州 中原区; out: school C of 洛阳) and returns them by attribute name.

The in-scope incident is reported (so reporting it again answers 409, moving it to 处置中 works),
has a playbook checklist and one action with an evidence file; the drill is where evaluation and
the PDF report are possible.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from edubase.secops.models import Incident, IncidentAction, IncidentEvidence, IncidentTask
from tests.authz.rules import Rule

KINDS: dict[str, tuple[str, str]] = {
    "incident": ("incident_a", "incident_c"),
    "incident_task": ("incident_task_a", "incident_task_c"),
    "incident_evidence": ("incident_evidence_a", "incident_evidence_c"),
    "drill": ("drill_a", "drill_c"),
}
SCOPED: set[str] = set(KINDS)
PAGE_NAMESPACES: tuple[str, ...] = ()

INCIDENT_A = "矩阵网页篡改事件甲"


def _incident(org: Any, creator: Any, title: str, **fields: Any) -> Incident:
    now = timezone.now()
    incident = Incident.objects.create(
        org=org,
        org_path=org.path,
        title=title,
        grade="general",
        category="attack",
        discovered_at=now - dt.timedelta(minutes=30),
        report_deadline=now + dt.timedelta(hours=3, minutes=30),
        reported_at=now,
        state="reported",
        created_by=creator,
        **fields,
    )
    incident.number = f"{'YL' if incident.is_exercise else 'SJ'}MATRIX{incident.pk:06d}"
    incident.save(update_fields=["number"])
    return incident


def build(world: Any, ly_user: Any) -> dict[str, Any]:
    objects: dict[str, Any] = {}
    for key, school, creator in (("a", world.school_a, world.school_admin), ("c", world.school_c, ly_user)):
        incident = _incident(school, creator, INCIDENT_A if key == "a" else "矩阵网页篡改事件丙")
        objects[f"incident_{key}"] = incident
        objects[f"incident_task_{key}"] = IncidentTask.objects.create(incident=incident, position=1, title="保全日志")
        action = IncidentAction.objects.create(
            incident=incident, at=timezone.now(), actor=creator, kind="action", text="保全访问日志"
        )
        data = f"matrix evidence {key}\n".encode()
        evidence = IncidentEvidence(
            action=action,
            original_name="access.log",
            kind="log",
            size=len(data),
            digest_sm3=hashlib.new("sm3", data).hexdigest(),
        )
        evidence.file.save(f"matrix-{incident.pk}.log", ContentFile(data), save=False)
        evidence.save()
        objects[f"incident_evidence_{key}"] = evidence
        objects[f"drill_{key}"] = _incident(
            school, creator, f"矩阵应急演练{key}", is_exercise=True, scenario="模拟网页篡改"
        )
    return objects


_INCIDENT = {"incident_id": "incident"}
_DRILL = {"incident_id": "drill"}


def _new_incident(ctx: Any, variant: str) -> dict[str, Any]:
    return {
        "org_id": ctx.obj("school", variant).pk,
        "title": "矩阵新事件",
        "grade": "general",
        "category": "malware",
        "discovered_at": timezone.now().isoformat(),
        "playbook": "ransomware",
    }


API_RULES: dict[str, Rule] = {
    "GET /secops/incidents/dashboard": Rule(perm="secops.view"),
    "GET /secops/incidents/playbooks": Rule(perm="secops.view", shows=lambda c: "勒索病毒"),
    "GET /secops/incidents": Rule(perm="secops.view", lists=True, shows=lambda c: INCIDENT_A),
    "POST /secops/incidents": Rule(perm="secops.change", body=_new_incident, body_refs=True, ok=frozenset({201})),
    "GET /secops/incidents/{incident_id}": Rule(perm="secops.view", params=_INCIDENT, shows=lambda c: INCIDENT_A),
    "POST /secops/incidents/{incident_id}/report": Rule(
        perm="secops.change", params=_INCIDENT, ok=frozenset({409}), note="already reported: a second report is 409"
    ),
    "POST /secops/incidents/{incident_id}/transition": Rule(
        perm="secops.change", params=_INCIDENT, body=lambda c, v: {"to": "responding", "note": "开始处置"}
    ),
    "POST /secops/incidents/{incident_id}/actions": Rule(
        perm="secops.change",
        params=_INCIDENT,
        upload=lambda c, v: ("shot.png", b"\x89PNG\r\n\x1a\nmatrix"),
        ok=frozenset({422}),
        note="the matrix posts a file under ``file`` and no text: refused as an empty action (422) after "
        "the scope and permission checks",
    ),
    "POST /secops/incidents/{incident_id}/tasks": Rule(
        perm="secops.change", params=_INCIDENT, body=lambda c, v: {"title": "通知运营商"}, ok=frozenset({201})
    ),
    "PATCH /secops/incidents/{incident_id}/tasks/{task_id}": Rule(
        perm="secops.change",
        params={"incident_id": "incident", "task_id": "incident_task"},
        body=lambda c, v: {"done": True},
    ),
    "POST /secops/incidents/{incident_id}/evaluation": Rule(
        perm="secops.manage", params=_DRILL, body=lambda c, v: {"score": 88, "text": "响应及时"}
    ),
    "GET /secops/incidents/{incident_id}/report.pdf": Rule(perm="secops.view", params=_DRILL),
    "GET /secops/incidents/{incident_id}/evidence/{evidence_id}": Rule(
        perm="secops.view", params={"incident_id": "incident", "evidence_id": "incident_evidence"}
    ),
}

CONSOLE_RULES: dict[str, Rule] = {
    "secops:dashboard": Rule(perm="secops.view"),
    "secops:incident_list": Rule(perm="secops.view", lists=True, shows=lambda c: INCIDENT_A),
    "secops:incident_new": Rule(perm="secops.change"),
    "secops:incident_detail": Rule(perm="secops.view", params={"pk": "incident"}, shows=lambda c: INCIDENT_A),
    "secops:incident_report": Rule(perm="secops.change", method="POST", params={"pk": "incident"}, ok=frozenset({409})),
    "secops:incident_transition": Rule(
        perm="secops.change",
        method="POST",
        params={"pk": "incident"},
        body=lambda c, v: {"to": "responding"},
        ok=frozenset({302}),
    ),
    "secops:incident_action": Rule(
        perm="secops.change",
        method="POST",
        params={"pk": "incident"},
        body=lambda c, v: {"text": "封堵漏洞"},
        ok=frozenset({302}),
    ),
    "secops:incident_task_add": Rule(
        perm="secops.change",
        method="POST",
        params={"pk": "incident"},
        body=lambda c, v: {"title": "复核页面"},
        ok=frozenset({302}),
    ),
    "secops:incident_task_update": Rule(
        perm="secops.change",
        method="POST",
        params={"pk": "incident", "task_pk": "incident_task"},
        body=lambda c, v: {"done": "1"},
        ok=frozenset({302}),
    ),
    "secops:incident_evaluate": Rule(
        perm="secops.manage",
        method="POST",
        params={"pk": "drill"},
        body=lambda c, v: {"score": "90", "text": "预案熟练"},
        ok=frozenset({302}),
    ),
    "secops:incident_pdf": Rule(perm="secops.view", params={"pk": "drill"}),
    "secops:incident_evidence": Rule(perm="secops.view", params={"pk": "incident", "evidence_pk": "incident_evidence"}),
}
