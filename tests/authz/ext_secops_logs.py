"""Authorization-matrix rows of secops: log detection (alerts, rules, risk, dashboards).

KINDS maps an object kind to its (in-scope, out-of-scope) attribute names; ``build`` makes those
objects (in: school A of 郑州 中原区; out: school C of 洛阳) and returns them by attribute name.

Alerts belong to a school (scoped). Detection rules are province-wide objects every
``secops.view`` holder reads (so the "out" variant of a rule is the same rule and answers like
the "in" one); switching a rule for the province and importing packs needs ``secops.manage`` on
the province, switching it or adding exceptions for an org needs ``secops.manage`` on that org
(an out-of-scope org in the body answers 404). Exceptions belong to an org's subtree (scoped).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from tests.authz.rules import Rule

KINDS: dict[str, tuple[str, str]] = {
    "alert": ("alert_a", "alert_c"),
    "rule": ("detection_rule", "detection_rule"),
    "rule_exception": ("rule_exception_a", "rule_exception_c"),
}
SCOPED: set[str] = {"alert", "rule_exception"}
PAGE_NAMESPACES: tuple[str, ...] = ()  # the registry module declares ("secops",)

RULE_TITLE = "矩阵SSH暴力破解"
YAML = (
    "title: 矩阵导入规则\nid: 0f0f0f0f-1111-2222-3333-444444444444\nlogsource:\n  product: linux\n"
    "  service: sshd\ndetection:\n  keywords:\n    - 'Invalid user '\n  condition: keywords\nlevel: low\n"
)


def build(world: Any, ly_user: Any) -> dict[str, Any]:
    from edubase.secops import notices
    from edubase.secops.models.detection import Alert, DetectionRule, RuleException

    notices.publish_process(actor=None)
    rule = DetectionRule.objects.create(
        rule_id="matrix-ssh-brute",
        title=RULE_TITLE,
        level="high",
        kind="correlation",
        tags=["attack.t1110.001"],
        pack="matrix",
        yaml="title: 矩阵SSH暴力破解",
    )
    made: dict[str, Any] = {"detection_rule": rule}
    now = timezone.now()
    for key, school in (("a", world.school_a), ("c", world.school_c)):
        made[f"alert_{key}"] = Alert.objects.create(
            rule=rule,
            dedup_key=f"matrix-{key}",
            org=school,
            org_path=school.path,
            severity="high",
            group_key={"source.ip": "203.0.113.9"},
            window_start=now - dt.timedelta(minutes=5),
            window_end=now,
            first_seen=now - dt.timedelta(minutes=4),
            last_seen=now - dt.timedelta(minutes=1),
            event_count=500,
            event_ids=["m1", "m2"],
        )
        made[f"rule_exception_{key}"] = RuleException.objects.create(
            rule=rule,
            org=school,
            org_path=school.path,
            field="source.ip",
            values=["10.0.0.5"],
            reason="学校漏洞扫描器",
            created_by=world.province_admin,
        )
    return made


_ALERT = {"alert_id": "alert"}
_RULE = {"rule_id": "rule"}
SAME = frozenset({200})


def _scope_body(ctx: Any, variant: str) -> dict[str, Any]:
    return {"org_id": ctx.obj("school", variant).pk, "enabled": False}


def _exception_body(ctx: Any, variant: str) -> dict[str, Any]:
    return {"org_id": ctx.obj("school", variant).pk, "field": "source.ip", "values": ["10.9.9.9"], "reason": "扫描器"}


API_RULES: dict[str, Rule] = {
    "GET /secops/logs/alerts": Rule(perm="secops.view", lists=True, shows=lambda c: RULE_TITLE),
    "GET /secops/logs/alerts/summary": Rule(perm="secops.view"),
    "GET /secops/logs/alerts/{alert_id}": Rule(perm="secops.view", params=_ALERT, shows=lambda c: RULE_TITLE),
    "POST /secops/logs/alerts/{alert_id}/triage": Rule(
        perm="secops.change", params=_ALERT, body=lambda c, v: {"to": "triaging"}
    ),
    "POST /secops/logs/alerts/{alert_id}/assign": Rule(
        perm="secops.change", params=_ALERT, body=lambda c, v: {"assignee": None}
    ),
    "POST /secops/logs/alerts/{alert_id}/finding": Rule(perm="secops.change", params=_ALERT, ok=frozenset({201})),
    "POST /secops/logs/alerts/{alert_id}/notice": Rule(
        perm="secops.manage", params=_ALERT, body=lambda c, v: {}, ok=frozenset({201})
    ),
    "POST /secops/logs/alerts/{alert_id}/incident": Rule(
        perm="secops.change", params=_ALERT, body=lambda c, v: {}, ok=frozenset({201})
    ),
    "GET /secops/logs/rules": Rule(perm="secops.view", lists=True, shows=lambda c: RULE_TITLE),
    "GET /secops/logs/rules/{rule_id}": Rule(
        perm="secops.view", params=_RULE, out=SAME, shows=lambda c: RULE_TITLE, note="rules are province-wide"
    ),
    "POST /secops/logs/rules/{rule_id}/toggle": Rule(
        perm="secops.manage", params=_RULE, out=SAME, body=lambda c, v: {"enabled": False}
    ),
    "POST /secops/logs/rules/{rule_id}/scopes": Rule(
        perm="secops.manage", params=_RULE, body=_scope_body, body_refs=True
    ),
    "POST /secops/logs/rules/{rule_id}/exceptions": Rule(
        perm="secops.manage", params=_RULE, body=_exception_body, body_refs=True, ok=frozenset({201})
    ),
    "DELETE /secops/logs/rules/{rule_id}/exceptions/{exception_id}": Rule(
        perm="secops.manage", params={"rule_id": "rule", "exception_id": "rule_exception"}, ok=frozenset({204})
    ),
    "POST /secops/logs/rules/import": Rule(perm="secops.manage", upload=lambda c, v: ("matrix.yml", YAML.encode())),
    "GET /secops/logs/risk": Rule(perm="secops.view"),
    "GET /secops/logs/risk/assets": Rule(perm="secops.view"),
    "GET /secops/logs/dashboard": Rule(perm="secops.view"),
}

_PK_ALERT = {"pk": "alert"}
_PK_RULE = {"pk": "rule"}
MOVED = frozenset({302})

CONSOLE_RULES: dict[str, Rule] = {
    "secops:alert_list": Rule(perm="secops.view", lists=True, shows=lambda c: RULE_TITLE),
    "secops:alert_detail": Rule(perm="secops.view", params=_PK_ALERT, shows=lambda c: RULE_TITLE),
    "secops:alert_triage": Rule(
        perm="secops.change", method="POST", params=_PK_ALERT, body=lambda c, v: {"to": "triaging"}, ok=MOVED
    ),
    "secops:alert_assign": Rule(
        perm="secops.change", method="POST", params=_PK_ALERT, body=lambda c, v: {"assignee": ""}, ok=MOVED
    ),
    "secops:alert_finding": Rule(perm="secops.change", method="POST", params=_PK_ALERT, ok=MOVED),
    "secops:alert_notice": Rule(
        perm="secops.manage", method="POST", params=_PK_ALERT, body=lambda c, v: {"title": ""}, ok=MOVED
    ),
    "secops:alert_incident": Rule(
        perm="secops.change", method="POST", params=_PK_ALERT, body=lambda c, v: {"grade": "general"}, ok=MOVED
    ),
    "secops:rule_list": Rule(perm="secops.view", lists=True, shows=lambda c: RULE_TITLE),
    "secops:rule_import": Rule(perm="secops.manage"),
    "secops:rule_detail": Rule(perm="secops.view", params=_PK_RULE, out=SAME, shows=lambda c: RULE_TITLE),
    "secops:rule_toggle": Rule(
        perm="secops.manage", method="POST", params=_PK_RULE, out=MOVED, body=lambda c, v: {"enabled": "0"}, ok=MOVED
    ),
    "secops:rule_scope": Rule(
        perm="secops.manage",
        method="POST",
        params=_PK_RULE,
        body=lambda c, v: {"org": c.obj("school", v).pk, "enabled": "0"},
        body_refs=True,
        ok=MOVED,
    ),
    "secops:rule_exception_add": Rule(
        perm="secops.manage",
        method="POST",
        params=_PK_RULE,
        body=lambda c, v: {
            "org": c.obj("school", v).pk,
            "field": "source.ip",
            "values": "10.9.9.9",
            "reason": "扫描器",
        },
        body_refs=True,
        ok=MOVED,
    ),
    "secops:rule_exception_remove": Rule(
        perm="secops.manage", method="POST", params={"pk": "rule", "exception_pk": "rule_exception"}, ok=MOVED
    ),
    "secops:risk_ranking": Rule(perm="secops.view"),
    "secops:screen_dashboard": Rule(perm="secops.view"),
    "secops:screen_bigscreen": Rule(perm="secops.view"),
    "secops:screen_data": Rule(perm="secops.view"),
}
