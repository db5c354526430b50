"""Authorization-matrix rows of datagov: the data catalogue (sources, datasets, review, catalogue,
reference data, grading rules).

Sources, datasets and fields belong to a school (scoped; in: school A of 郑州 中原区, out: school
C of 洛阳): read with ``datagov.view`` and changed with ``datagov.change`` on their org. The
published catalogue is open to every holder of ``datagov.view`` (publishing is how a bureau
tells others what it can share), so its rows name other schools (``public_orgs``). Code tables,
data elements and the grading rules are national reference data: read with ``datagov.view``
anywhere, changed only with ``datagov.manage`` on a province.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from tests.authz.rules import Rule

KINDS: dict[str, tuple[str, str]] = {
    "data_source": ("data_source_a", "data_source_c"),
    "dataset": ("dataset_a", "dataset_c"),
    "data_field": ("data_field_a", "data_field_c"),
    "code_table": ("code_table", "code_table"),
}
SCOPED: set[str] = {"data_source", "dataset", "data_field"}
PAGE_NAMESPACES: tuple[str, ...] = ("datagov",)

SOURCE_NAME = "矩阵学籍系统"
DATASET_NAME = "矩阵学生基本信息"
FIELD_NAME = "MATRIX_BZ"


def _sqlite(directory: Path, name: str) -> str:
    path = directory / name
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE xs (XM TEXT, NJ TEXT)")
    db.executemany("INSERT INTO xs VALUES (?, ?)", [("王小明", "七年级"), ("李华", "八年级")])
    db.commit()
    db.close()
    return str(path)


def build(world: Any, ly_user: Any) -> dict[str, Any]:
    from edubase.datagov.models import (
        CodeItem,
        CodeTable,
        CodeTableVersion,
        DataField,
        Dataset,
        DataSource,
        ReviewState,
    )

    directory = Path(tempfile.mkdtemp(prefix="dg-matrix-"))
    made: dict[str, Any] = {}
    for key, school in (("a", world.school_a), ("c", world.school_c)):
        made[f"data_source_{key}"] = DataSource.objects.create(
            org=school,
            org_path=school.path,
            name=SOURCE_NAME,
            kind="sqlite",
            location=_sqlite(directory, f"{key}.db"),
        )
        dataset = Dataset.objects.create(
            org=school,
            org_path=school.path,
            name=DATASET_NAME,
            description="矩阵测试数据集",
            published=True,
            published_version=1,
        )
        DataField.objects.create(dataset=dataset, name="XM", entity="person_name", review_state=ReviewState.CONFIRMED)
        made[f"dataset_{key}"] = dataset
        pending = Dataset.objects.create(org=school, org_path=school.path, name="矩阵待复核数据集")
        made[f"data_field_{key}"] = DataField.objects.create(
            dataset=pending, name=FIELD_NAME, confidence=0.5, review_state=ReviewState.NEEDS_REVIEW
        )
    table = CodeTable.objects.create(slug="matrix-sex", standard="GB/T 2261.1-2003", name="矩阵性别代码")
    version = CodeTableVersion.objects.create(table=table, version="2003", source="矩阵", checksum="0" * 64)
    CodeItem.objects.create(version=version, code="1", name="男性")
    made["code_table"] = table
    return made


def _source_body(ctx: Any, variant: str) -> dict[str, Any]:
    return {"org_id": ctx.obj("school", variant).pk, "name": "矩阵新数据源", "kind": "sqlite", "location": "/tmp/x.db"}


def _dataset_body(ctx: Any, variant: str) -> dict[str, Any]:
    return {"org_id": ctx.obj("school", variant).pk, "name": "矩阵派生数据集"}


def _rules_body(ctx: Any, variant: str) -> dict[str, Any]:
    from edubase.datagov.grading import DEFAULT_RULES

    return {"rules": DEFAULT_RULES, "note": "矩阵"}


_SOURCE = {"source_id": "data_source"}
_DATASET = {"dataset_id": "dataset"}
_FIELD = {"field_id": "data_field"}
_SOURCE_PK = {"pk": "data_source"}
_DATASET_PK = {"pk": "dataset"}
_FIELD_PK = {"pk": "data_field"}
MOVED = frozenset({302})
ANY_TABLE = frozenset({200})  # reference data belongs to no org: nothing is out of scope


API_RULES: dict[str, Rule] = {
    "GET /datagov/sources": Rule(perm="datagov.view", lists=True, shows=lambda c: SOURCE_NAME),
    "POST /datagov/sources": Rule(perm="datagov.change", body=_source_body, body_refs=True, ok=frozenset({201})),
    "GET /datagov/sources/{source_id}": Rule(perm="datagov.view", params=_SOURCE, shows=lambda c: SOURCE_NAME),
    "PATCH /datagov/sources/{source_id}": Rule(
        perm="datagov.change", params=_SOURCE, body=lambda c, v: {"description": "矩阵修改"}
    ),
    "DELETE /datagov/sources/{source_id}": Rule(perm="datagov.change", params=_SOURCE, ok=frozenset({204})),
    "POST /datagov/sources/{source_id}/check": Rule(perm="datagov.change", params=_SOURCE),
    "POST /datagov/sources/{source_id}/scan": Rule(perm="datagov.change", params=_SOURCE),
    "GET /datagov/datasets": Rule(perm="datagov.view", lists=True, shows=lambda c: DATASET_NAME),
    "POST /datagov/datasets": Rule(perm="datagov.change", body=_dataset_body, body_refs=True, ok=frozenset({201})),
    "GET /datagov/datasets/{dataset_id}": Rule(perm="datagov.view", params=_DATASET, shows=lambda c: DATASET_NAME),
    "PATCH /datagov/datasets/{dataset_id}": Rule(
        perm="datagov.change", params=_DATASET, body=lambda c, v: {"tags": ["矩阵"]}
    ),
    "POST /datagov/datasets/{dataset_id}/publish": Rule(perm="datagov.change", params=_DATASET),
    "POST /datagov/datasets/{dataset_id}/unpublish": Rule(perm="datagov.change", params=_DATASET),
    "GET /datagov/review": Rule(perm="datagov.change", lists=True, shows=lambda c: FIELD_NAME),
    "POST /datagov/fields/{field_id}/review": Rule(
        perm="datagov.change", params=_FIELD, body=lambda c, v: {"entity": "citizen_id", "note": "矩阵"}
    ),
    "GET /datagov/entities": Rule(perm="datagov.view", shows=lambda c: "居民身份证号码"),
    "GET /datagov/catalogue": Rule(
        perm="datagov.view", lists=True, public_orgs=True, shows=lambda c: DATASET_NAME, note="published: open"
    ),
    "GET /datagov/export/catalogue": Rule(perm="datagov.view", shows=lambda c: DATASET_NAME),
    "GET /datagov/export/important": Rule(perm="datagov.view"),
    "GET /datagov/code-tables": Rule(perm="datagov.view", shows=lambda c: "矩阵性别代码"),
    "GET /datagov/code-tables/{table_id}": Rule(
        perm="datagov.view", params={"table_id": "code_table"}, out=ANY_TABLE, shows=lambda c: "男性"
    ),
    "GET /datagov/elements": Rule(perm="datagov.view"),
    "GET /datagov/rules": Rule(perm="datagov.view", shows=lambda c: "GB/T 43697-2024"),
    "POST /datagov/rules": Rule(perm="datagov.manage", body=_rules_body, ok=frozenset({201})),
    "POST /datagov/reference/load": Rule(perm="datagov.manage"),
}

CONSOLE_RULES: dict[str, Rule] = {
    "datagov:index": Rule(perm="datagov.view"),
    "datagov:source_list": Rule(perm="datagov.view", lists=True, shows=lambda c: SOURCE_NAME),
    "datagov:source_new": Rule(perm="datagov.change"),
    "datagov:source_detail": Rule(perm="datagov.view", params=_SOURCE_PK, shows=lambda c: SOURCE_NAME),
    "datagov:source_edit": Rule(perm="datagov.change", params=_SOURCE_PK, shows=lambda c: SOURCE_NAME),
    "datagov:source_check": Rule(perm="datagov.change", method="POST", params=_SOURCE_PK, ok=MOVED),
    "datagov:source_scan": Rule(perm="datagov.change", method="POST", params=_SOURCE_PK, ok=MOVED),
    "datagov:source_delete": Rule(perm="datagov.change", method="POST", params=_SOURCE_PK, ok=MOVED),
    "datagov:dataset_list": Rule(perm="datagov.view", lists=True, shows=lambda c: DATASET_NAME),
    "datagov:dataset_new": Rule(perm="datagov.change"),
    "datagov:dataset_detail": Rule(perm="datagov.view", params=_DATASET_PK, shows=lambda c: DATASET_NAME),
    "datagov:dataset_edit": Rule(perm="datagov.change", params=_DATASET_PK, shows=lambda c: DATASET_NAME),
    "datagov:dataset_publish": Rule(perm="datagov.change", method="POST", params=_DATASET_PK, ok=MOVED),
    "datagov:dataset_unpublish": Rule(perm="datagov.change", method="POST", params=_DATASET_PK, ok=MOVED),
    "datagov:review_queue": Rule(perm="datagov.change", lists=True, shows=lambda c: FIELD_NAME),
    "datagov:field_review": Rule(
        perm="datagov.change", method="POST", params=_FIELD_PK, body=lambda c, v: {"entity": "citizen_id"}, ok=MOVED
    ),
    "datagov:catalogue": Rule(perm="datagov.view", lists=True, public_orgs=True, shows=lambda c: DATASET_NAME),
    "datagov:catalogue_export": Rule(perm="datagov.view", query={"format": "xlsx"}, shows=lambda c: DATASET_NAME),
    "datagov:code_tables": Rule(perm="datagov.view", shows=lambda c: "矩阵性别代码"),
    "datagov:code_table_detail": Rule(
        perm="datagov.view", params={"pk": "code_table"}, out=ANY_TABLE, shows=lambda c: "男性"
    ),
    "datagov:reference_load": Rule(perm="datagov.manage", method="POST", ok=MOVED),
    "datagov:rules": Rule(perm="datagov.view", shows=lambda c: "GB/T 43697-2024"),
    "datagov:rules_save": Rule(
        perm="datagov.manage",
        method="POST",
        body=lambda c, v: {"rules": json.dumps(_rules_body(c, v)["rules"]), "note": "矩阵"},
        ok=MOVED,
    ),
}
