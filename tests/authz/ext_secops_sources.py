"""Authorization-matrix rows of secops: log sources.

KINDS maps an object kind to its (in-scope, out-of-scope) attribute names; ``build`` makes those
objects (in: school A of 郑州 中原区; out: school C of 洛阳) and returns them by attribute name.

A log source belongs to a school (scoped): read with ``secops.view``, changed (edit, rotate the
token, enable/disable) with ``secops.change`` on its org. Registering names the org in the body
(API: ``org_id``, an out-of-scope one answers 404). The refusals at the door belong to no org:
only ``secops.manage`` on a province or city sees them (of the personas: the province admin).
"""

from __future__ import annotations

from typing import Any

from tests.authz.rules import Rule

KINDS: dict[str, tuple[str, str]] = {"log_source": ("log_source_a", "log_source_c")}
SCOPED: set[str] = {"log_source"}
PAGE_NAMESPACES: tuple[str, ...] = ()  # the registry module declares ("secops",)

SOURCE_NAME = "矩阵门户网站Nginx"
REFUSED_PEER = "198.51.100.77"


def build(world: Any, ly_user: Any) -> dict[str, Any]:
    from edubase.secops.logs import sources
    from edubase.secops.models import IngestRejection

    made: dict[str, Any] = {}
    for key, school, ip in (("a", world.school_a, "10.41.1.10"), ("c", world.school_c, "10.41.3.10")):
        source, _token = sources.register_source(
            actor=world.province_admin, org=school, name=SOURCE_NAME, format="nginx", sender_ips=[ip]
        )
        made[f"log_source_{key}"] = source
    IngestRejection.objects.create(peer=REFUSED_PEER, reason="unknown_source", count=12)
    return made


_SOURCE = {"source_id": "log_source"}
_PK = {"pk": "log_source"}
MOVED = frozenset({302})


def _create_body(ctx: Any, variant: str) -> dict[str, Any]:
    return {"org_id": ctx.obj("school", variant).pk, "name": "矩阵新日志源", "sender_ips": ["10.9.9.9"]}


API_RULES: dict[str, Rule] = {
    "GET /secops/sources": Rule(perm="secops.view", lists=True, shows=lambda c: SOURCE_NAME),
    "POST /secops/sources": Rule(perm="secops.change", body=_create_body, body_refs=True, ok=frozenset({201})),
    "GET /secops/sources/rejections": Rule(
        perm="secops.manage", shows=lambda c: REFUSED_PEER, note="province/city monitoring only"
    ),
    "GET /secops/sources/{source_id}": Rule(perm="secops.view", params=_SOURCE, shows=lambda c: SOURCE_NAME),
    "PATCH /secops/sources/{source_id}": Rule(
        perm="secops.change", params=_SOURCE, body=lambda c, v: {"sender_ips": ["10.8.8.0/24"]}
    ),
    "POST /secops/sources/{source_id}/rotate": Rule(perm="secops.change", params=_SOURCE),
    "POST /secops/sources/{source_id}/toggle": Rule(
        perm="secops.change", params=_SOURCE, body=lambda c, v: {"enabled": False}
    ),
}

CONSOLE_RULES: dict[str, Rule] = {
    "secops:source_list": Rule(perm="secops.view", lists=True, shows=lambda c: SOURCE_NAME),
    "secops:source_new": Rule(perm="secops.change"),
    "secops:source_detail": Rule(perm="secops.view", params=_PK, shows=lambda c: SOURCE_NAME),
    "secops:source_edit": Rule(perm="secops.change", params=_PK, shows=lambda c: SOURCE_NAME),
    "secops:source_rotate": Rule(perm="secops.change", method="POST", params=_PK),
    "secops:source_toggle": Rule(
        perm="secops.change", method="POST", params=_PK, body=lambda c, v: {"enabled": "0"}, ok=MOVED
    ),
}
