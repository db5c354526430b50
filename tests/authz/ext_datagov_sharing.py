"""Authorization-matrix rows of datagov_sharing: share requests, grants, leak tracing, policy, life cycle.

A share request or grant is seen from both ends (the requesting/receiving org's subtree and the
owner org's subtree, ``datagov.view``); in: school A asks for its own roster (requester: school
A's admin), out: the same in school C of 洛阳 (requester: the Luoyang teacher). Only the requester
withdraws; only the recipient downloads or takes a token; revocation is the recipient's or the
owner side's ``datagov.manage``. Tracing a leak, setting retention, holds, archival and deletion
need ``datagov.manage`` (of the personas: the province admin). The share-token feed answers share
tokens only: every session, signed in or not, gets 401.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from tests.authz.rules import Rule

KINDS: dict[str, tuple[str, str]] = {
    "dg_dataset": ("dg_dataset_a", "dg_dataset_c"),
    "share_request": ("share_request_a", "share_request_c"),
    "share_grant": ("share_grant_a", "share_grant_c"),
    "retention_rule": ("retention_rule_a", "retention_rule_c"),
    "deletion_certificate": ("deletion_certificate_a", "deletion_certificate_c"),
}
SCOPED: set[str] = set(KINDS)
PAGE_NAMESPACES: tuple[str, ...] = ("datagov_sharing",)

DATASET_NAME = "矩阵共享花名册"
OWNER_SIDE = frozenset({"county_admin", "city_admin", "province_admin"})  # see it, are not the requester
NO_MANAGE = frozenset({"county_admin", "city_admin"})
MOVED = frozenset({302})


def _roster(directory: Path, name: str, school_code: str) -> str:
    path = directory / name
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE roster (XM TEXT, NJ TEXT, XXDM TEXT)")
    db.executemany(
        "INSERT INTO roster VALUES (?, ?, ?)", [("周明强", "一年级", school_code), ("吴丽娜", "二年级", school_code)]
    )
    db.commit()
    db.close()
    return str(path)


def build(world: Any, ly_user: Any) -> dict[str, Any]:
    from edubase.datagov.models import DataField, Dataset, DataSource
    from edubase.datagov.sharing.models import DeletionCertificate, RetentionRule, ShareGrant, ShareRequest

    directory = Path(tempfile.mkdtemp(prefix="dgs-matrix-"))
    today = dt.date.today()
    now = dt.datetime.now(dt.UTC)
    made: dict[str, Any] = {}
    for key, school, person in (("a", world.school_a, world.school_admin), ("c", world.school_c, ly_user)):
        source = DataSource.objects.create(
            org=school,
            org_path=school.path,
            name="矩阵共享源",
            kind="sqlite",
            location=_roster(directory, f"{key}.db", school.code),
        )
        dataset = Dataset.objects.create(
            org=school, org_path=school.path, source=source, source_table="roster", name=DATASET_NAME, personal=True
        )
        DataField.objects.create(
            dataset=dataset, position=0, name="XM", entity="person_name", personal=True, grade_level=3
        )
        DataField.objects.create(dataset=dataset, position=1, name="NJ")
        DataField.objects.create(dataset=dataset, position=2, name="XXDM")
        common = {
            "requester": person,
            "requester_org": school,
            "requester_path": school.path,
            "dataset": dataset,
            "org": school,
            "org_path": school.path,
            "fields": ["XM", "NJ"],
            "purpose": "administration",
            "purpose_detail": "矩阵测试",
            "period_start": today,
            "period_end": today + dt.timedelta(days=30),
            "grade_category": "general",
            "approval_levels": ["org"],
            "decisions": [
                {"field": "XM", "effect": "mask", "rule": "personal", "reason": "脱敏：个人信息"},
                {"field": "NJ", "effect": "allow", "rule": "general", "reason": "允许：一般数据"},
            ],
        }
        pending = ShareRequest.objects.create(number=f"GXMATRIX{key}1", **common)
        approved = ShareRequest.objects.create(number=f"GXMATRIX{key}2", status="approved", **common)
        grant = ShareGrant.objects.create(
            request=approved,
            dataset=dataset,
            org=school,
            org_path=school.path,
            recipient=person,
            recipient_org=school,
            recipient_path=school.path,
            effects={"XM": "mask", "NJ": "allow"},
            row_scope="全部行",
            valid_from=now - dt.timedelta(days=1),
            expires_at=now + dt.timedelta(days=30),
            watermark_salt=secrets.token_hex(16),
        )
        rule = RetentionRule.objects.create(
            dataset=dataset, org=school, org_path=school.path, retain_days=365, starts_on=today, on_expiry="archive"
        )
        certificate = DeletionCertificate.objects.create(
            number=f"SCZMMATRIX{key}",
            dataset_name="矩阵已删除数据集",
            org=school,
            org_path=school.path,
            payload=json.dumps(
                {
                    "kind": "matrix",
                    "dataset": {"id": 0, "name": "矩阵已删除数据集", "source_table": "roster"},
                    "owner_org": {"code": school.code, "name": school.name},
                    "retention": {"retain_days": 365, "starts_on": today.isoformat(), "basis": ""},
                    "reason": "矩阵",
                    "purged": {"share_grants_revoked": 0},
                    "deleted_at": now.isoformat(),
                    "deleted_by": "province_admin",
                },
                ensure_ascii=False,
            ),
            signature="00",
            signer_node="41",
            key_version=1,
            key_fingerprint="0" * 64,
            issued_by=world.province_admin,
            issued_at=now,
        )
        made |= {
            f"dg_dataset_{key}": dataset,
            f"share_request_{key}": pending,
            f"share_grant_{key}": grant,
            f"retention_rule_{key}": rule,
            f"deletion_certificate_{key}": certificate,
        }
    return made


def _request_body(ctx: Any, variant: str) -> dict[str, Any]:
    today = dt.date.today()
    return {
        "dataset_id": ctx.obj("dg_dataset", "in").pk,
        "requester_org_id": ctx.obj("school", variant).pk,
        "fields": ["NJ"],
        "purpose": "administration",
        "purpose_detail": "矩阵申请",
        "period_start": today.isoformat(),
        "period_end": (today + dt.timedelta(days=10)).isoformat(),
    }


def _evaluate_body(ctx: Any, variant: str) -> dict[str, Any]:
    return {
        "dataset_id": ctx.obj("dg_dataset", "in").pk,
        "requester_org_id": ctx.obj("school", variant).pk,
        "fields": ["XM", "NJ"],
        "purpose": "administration",
    }


def _policy_body(ctx: Any, variant: str) -> dict[str, Any]:
    from edubase.datagov.sharing.policy import DEFAULT_RULES

    return {"rules": DEFAULT_RULES, "note": "矩阵"}


def _retention_body(ctx: Any, variant: str) -> dict[str, Any]:
    return {"dataset_id": ctx.obj("dg_dataset", variant).pk, "retain_days": 30, "on_expiry": "archive"}


def _reason(ctx: Any, variant: str) -> dict[str, Any]:
    return {"reason": "矩阵测试"}


def _leak_file(ctx: Any, variant: str) -> tuple[str, bytes]:
    return "leak.csv", "XM,NJ\n周*强,一年级\n".encode()


_REQUEST = {"request_id": "share_request"}
_GRANT = {"grant_id": "share_grant"}
_RULE = {"rule_id": "retention_rule"}
_CERT = {"certificate_id": "deletion_certificate"}
_REQUEST_PK = {"pk": "share_request"}
_GRANT_PK = {"pk": "share_grant"}
_RULE_PK = {"pk": "retention_rule"}
_CERT_PK = {"pk": "deletion_certificate"}
P = "/datagov/sharing"

API_RULES: dict[str, Rule] = {
    f"GET {P}/policy": Rule(perm="datagov.view", shows=lambda c: "sensitive-personal"),
    f"PUT {P}/policy": Rule(perm="datagov.manage", body=_policy_body, note="province data officers only"),
    f"POST {P}/evaluate": Rule(perm="datagov.change", body=_evaluate_body, body_refs=True),
    f"POST {P}/read": Rule(
        perm="datagov.view",
        body=lambda c, v: {
            "dataset_id": c.obj("dg_dataset", v).pk,
            "fields": ["XM", "NJ"],
            "purpose": "administration",
        },
        body_refs=True,
        note="rows cut to the reader's own scope; a dataset neither in nor above it is 404",
    ),
    f"GET {P}/requests": Rule(perm="datagov.view", lists=True, shows=lambda c: "GXMATRIXa1"),
    f"POST {P}/requests": Rule(perm="datagov.change", body=_request_body, body_refs=True, ok=frozenset({201})),
    f"GET {P}/requests/{{request_id}}": Rule(perm="datagov.view", params=_REQUEST, shows=lambda c: "GXMATRIXa1"),
    f"POST {P}/requests/{{request_id}}/handle": Rule(
        perm="datagov.view",
        params=_REQUEST,
        body=lambda c, v: {"decision": "approve"},
        ok=frozenset({409}),
        note="the matrix request has no case: a clear 409, nothing decided",
    ),
    f"POST {P}/requests/{{request_id}}/withdraw": Rule(
        perm="datagov.view", params=_REQUEST, body=_reason, refused=OWNER_SIDE, note="the requester only"
    ),
    f"GET {P}/grants": Rule(perm="datagov.view", lists=True, shows=lambda c: "全部行"),
    f"GET {P}/grants/{{grant_id}}": Rule(perm="datagov.view", params=_GRANT),
    f"POST {P}/grants/{{grant_id}}/revoke": Rule(
        perm="datagov.view", params=_GRANT, body=_reason, refused=NO_MANAGE, note="recipient or owner-side manage"
    ),
    f"POST {P}/grants/{{grant_id}}/tokens": Rule(
        perm="datagov.view",
        params=_GRANT,
        refused=OWNER_SIDE,
        ok=frozenset({409}),
        note="the recipient only; an extract grant takes no token (409)",
    ),
    f"GET {P}/grants/{{grant_id}}/extract": Rule(
        perm="datagov.view", params=_GRANT, refused=OWNER_SIDE, note="the recipient only"
    ),
    f"GET {P}/feed": Rule(ok=frozenset({401}), note="share tokens only: no session or personal token reads it"),
    f"POST {P}/trace": Rule(perm="datagov.manage", upload=_leak_file),
    f"GET {P}/retention": Rule(perm="datagov.view", lists=True, shows=lambda c: DATASET_NAME),
    f"POST {P}/retention": Rule(perm="datagov.manage", body=_retention_body, body_refs=True, ok=frozenset({201})),
    f"POST {P}/retention/{{rule_id}}/hold": Rule(perm="datagov.manage", params=_RULE, body=_reason),
    f"POST {P}/retention/{{rule_id}}/release": Rule(
        perm="datagov.manage", params=_RULE, body=_reason, ok=frozenset({409}), note="not on hold: 409"
    ),
    f"POST {P}/retention/{{rule_id}}/archive": Rule(perm="datagov.manage", params=_RULE),
    f"POST {P}/retention/{{rule_id}}/delete": Rule(
        perm="datagov.manage", params=_RULE, body=_reason, ok=frozenset({201})
    ),
    f"GET {P}/certificates/{{certificate_id}}": Rule(perm="datagov.view", params=_CERT, shows=lambda c: "SCZMMATRIXa"),
    f"GET {P}/certificates/{{certificate_id}}/pdf": Rule(perm="datagov.view", params=_CERT),
}

CONSOLE_RULES: dict[str, Rule] = {
    "datagov_sharing:request_list": Rule(perm="datagov.view", shows=lambda c: "GXMATRIXa1"),
    "datagov_sharing:request_new": Rule(
        perm="datagov.change", public_orgs=True, note="lists the published catalogue, open to every datagov.view holder"
    ),
    "datagov_sharing:request_detail": Rule(perm="datagov.view", params=_REQUEST_PK, shows=lambda c: "GXMATRIXa1"),
    "datagov_sharing:request_withdraw": Rule(
        perm="datagov.view", method="POST", params=_REQUEST_PK, body=_reason, refused=OWNER_SIDE, ok=MOVED
    ),
    "datagov_sharing:grant_list": Rule(perm="datagov.view", shows=lambda c: "GXMATRIXa2"),
    "datagov_sharing:grant_detail": Rule(perm="datagov.view", params=_GRANT_PK, shows=lambda c: "GXMATRIXa2"),
    "datagov_sharing:grant_extract": Rule(perm="datagov.view", params=_GRANT_PK, refused=OWNER_SIDE),
    "datagov_sharing:grant_token": Rule(
        perm="datagov.view", method="POST", params=_GRANT_PK, refused=OWNER_SIDE, ok=frozenset({409})
    ),
    "datagov_sharing:grant_revoke": Rule(
        perm="datagov.view", method="POST", params=_GRANT_PK, body=_reason, refused=NO_MANAGE, ok=MOVED
    ),
    "datagov_sharing:trace": Rule(perm="datagov.manage"),
    "datagov_sharing:policy": Rule(perm="datagov.view", shows=lambda c: "敏感个人信息"),
    "datagov_sharing:policy_publish": Rule(
        perm="datagov.manage",
        method="POST",
        body=lambda c, v: {"rules": json.dumps(_policy_body(c, v)["rules"]), "note": "矩阵"},
        ok=MOVED,
        note="province data officers only",
    ),
    "datagov_sharing:lifecycle": Rule(perm="datagov.view", shows=lambda c: DATASET_NAME),
    "datagov_sharing:retention_set": Rule(
        perm="datagov.manage",
        method="POST",
        body=lambda c, v: {"dataset": str(c.obj("dg_dataset", v).pk), "retain_days": "30", "on_expiry": "archive"},
        body_refs=True,
        ok=MOVED,
    ),
    "datagov_sharing:retention_action": Rule(
        perm="datagov.manage", method="POST", params=_RULE_PK, body=lambda c, v: {"action": "archive"}, ok=MOVED
    ),
    "datagov_sharing:certificate_pdf": Rule(perm="datagov.view", params=_CERT_PK),
}
