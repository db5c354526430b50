"""Authorization-matrix rows of secops: the information-asset registry (systems, assets, assessments).

KINDS maps an object kind to its (in-scope, out-of-scope) attribute names; ``build`` makes those
objects (in: school A of 郑州 中原区; out: school C of 洛阳) and returns them by attribute name.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from edubase.secops.models import Asset, InformationSystem
from tests.authz.rules import Rule

KINDS: dict[str, tuple[str, str]] = {
    "sec_system": ("sec_system_a", "sec_system_c"),
    "sec_asset": ("sec_asset_a", "sec_asset_c"),
}
SCOPED: set[str] = {"sec_system", "sec_asset"}
PAGE_NAMESPACES: tuple[str, ...] = ("secops",)

SYSTEM_A = "矩阵教务系统甲"
ZOMBIE_IP = "10.8.8.8"


def build(world: Any, ly_user: Any) -> dict[str, Any]:
    objects: dict[str, Any] = {}
    for key, school in (("a", world.school_a), ("c", world.school_c)):
        system = InformationSystem.objects.create(
            org=school,
            org_path=school.path,
            name=SYSTEM_A if key == "a" else "矩阵教务系统丙",
            mlps_level=3,
            graded_on=dt.date(2024, 1, 10),
            next_assessment_due=dt.date(2025, 1, 10),
            filing_due=dt.date(2024, 2, 9),
        )
        objects[f"sec_system_{key}"] = system
        objects[f"sec_asset_{key}"] = Asset.objects.create(
            org=school, org_path=school.path, system=system, kind="domain", name="门户", domain=f"matrix-{key}.edu.cn"
        )
        Asset.objects.create(
            org=school,
            org_path=school.path,
            kind="ip",
            name="未登记主机",
            ip=ZOMBIE_IP,
            registered=False,
            last_seen_at=timezone.now(),
        )
    return objects


def _registry_csv(ctx: Any, variant: str) -> tuple[str, bytes]:
    school = ctx.obj("school", variant)
    return "registry.csv", f"单位代码,系统名称,等保级别\n{school.code},矩阵导入系统,2\n".encode()


def _sys(ctx: Any, variant: str) -> int:
    return int(ctx.obj("sec_system", variant).pk)


API_RULES: dict[str, Rule] = {
    "GET /secops/systems": Rule(perm="secops.view", lists=True, shows=lambda c: SYSTEM_A),
    "POST /secops/systems": Rule(
        perm="secops.change",
        body=lambda c, v: {"org_id": c.obj("school", v).pk, "name": "矩阵新系统", "mlps_level": 2},
        body_refs=True,
        ok=frozenset({201}),
    ),
    "GET /secops/systems/{system_id}": Rule(perm="secops.view", params={"system_id": "sec_system"}),
    "PATCH /secops/systems/{system_id}": Rule(
        perm="secops.change", params={"system_id": "sec_system"}, body=lambda c, v: {"responsible_name": "矩阵"}
    ),
    "POST /secops/systems/{system_id}/decommission": Rule(perm="secops.change", params={"system_id": "sec_system"}),
    "GET /secops/systems/{system_id}/assessments": Rule(perm="secops.view", params={"system_id": "sec_system"}),
    "POST /secops/systems/{system_id}/assessments": Rule(
        perm="secops.change",
        params={"system_id": "sec_system"},
        body=lambda c, v: {"assessed_on": "2024-06-01", "conclusion": "pass"},
        ok=frozenset({201}),
    ),
    "GET /secops/systems/{system_id}/history": Rule(perm="secops.view", params={"system_id": "sec_system"}),
    "GET /secops/assets": Rule(perm="secops.view", lists=True, shows=lambda c: "matrix-a.edu.cn"),
    "POST /secops/assets": Rule(
        perm="secops.change",
        body=lambda c, v: {"org_id": c.obj("school", v).pk, "kind": "ip", "ip": "10.9.9.9"},
        body_refs=True,
        ok=frozenset({201}),
    ),
    "GET /secops/assets/{asset_id}": Rule(perm="secops.view", params={"asset_id": "sec_asset"}),
    "PATCH /secops/assets/{asset_id}": Rule(
        perm="secops.change", params={"asset_id": "sec_asset"}, body=lambda c, v: {"detail": "机房 A"}
    ),
    "POST /secops/assets/{asset_id}/decommission": Rule(perm="secops.change", params={"asset_id": "sec_asset"}),
    "GET /secops/assets/{asset_id}/history": Rule(perm="secops.view", params={"asset_id": "sec_asset"}),
    "POST /secops/bulk": Rule(
        perm="secops.change",
        body=lambda c, v: {"target": "system", "ids": [_sys(c, v)], "status": "offline"},
        body_refs=True,
        note="one id out of scope: 404 for the whole list, nothing changed",
    ),
    "POST /secops/import": Rule(
        perm="secops.change",
        upload=_registry_csv,
        body_refs=True,
        out=frozenset({403, 404, 422}),
        note="an import names its org in a row: out of scope is a row problem (422), nothing written",
    ),
    "GET /secops/import/template": Rule(note="an empty register with example rows; nothing scoped"),
    "GET /secops/export": Rule(perm="secops.view", lists=True, shows=lambda c: SYSTEM_A),
    "GET /secops/zombies": Rule(perm="secops.view", lists=True, shows=lambda c: ZOMBIE_IP),
    "GET /secops/zombies/systems": Rule(perm="secops.view", lists=True),
    "GET /secops/compliance": Rule(perm="secops.view", lists=True),
}

CONSOLE_RULES: dict[str, Rule] = {
    "secops:system_list": Rule(perm="secops.view", lists=True, shows=lambda c: SYSTEM_A),
    "secops:system_detail": Rule(perm="secops.view", params={"pk": "sec_system"}),
    "secops:system_new": Rule(perm="secops.change"),
    "secops:system_edit": Rule(perm="secops.change", params={"pk": "sec_system"}),
    "secops:system_assess": Rule(
        perm="secops.change",
        method="POST",
        params={"pk": "sec_system"},
        body=lambda c, v: {"assessed_on": "2024-06-01", "conclusion": "pass"},
        ok=frozenset({302}),
    ),
    "secops:system_decommission": Rule(
        perm="secops.change", method="POST", params={"pk": "sec_system"}, ok=frozenset({302})
    ),
    "secops:registry_bulk": Rule(
        perm="secops.change",
        method="POST",
        body=lambda c, v: {"ids": [_sys(c, v)], "status": "offline"},
        body_refs=True,
        ok=frozenset({302}),
    ),
    "secops:asset_list": Rule(perm="secops.view", lists=True, shows=lambda c: "matrix-a.edu.cn"),
    "secops:zombie_list": Rule(perm="secops.view", lists=True, shows=lambda c: ZOMBIE_IP),
    "secops:registry_import": Rule(perm="secops.change"),
    "secops:registry_export": Rule(perm="secops.view", lists=True, shows=lambda c: SYSTEM_A),
    "secops:registry_template": Rule(perm="secops.view"),
}
