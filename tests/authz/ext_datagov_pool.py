"""Authorization-matrix rows of datagov_pool (roster pool, quality, golden records).

Pool rows, submissions and conflict reports belong to a school (scoped, ``datagov.view`` to read,
``datagov.change`` to submit or resolve); match reviews are decided by data managers
(``datagov.manage``; of the personas only the province admin). Submitting names the school in the
path (an out-of-scope school answers 404). Quality runs are province-wide (``datagov.manage`` on
the root). The objects: school A's and school C's submissions, conflict reports (school A's pupil
also reported by school B; school C's pupil also reported by school B) and reviews (L-number pupils
of A and C resembling one of B).
"""

from __future__ import annotations

from typing import Any

from tests.authz.rules import Rule
from tests.factories import citizen_id

KINDS: dict[str, tuple[str, str]] = {
    "pool_submission": ("pool_submission_a", "pool_submission_c"),
    "pool_review": ("pool_review_a", "pool_review_c"),
    "pool_conflict": ("pool_conflict_a", "pool_conflict_c"),
}
SCOPED: set[str] = {"pool_submission", "pool_review", "pool_conflict"}
PAGE_NAMESPACES: tuple[str, ...] = ("datagov_pool",)

PUPIL_A = "矩阵甲同学"
PUPIL_C = "矩阵乙同学"


def _row(code: str, name: str, number: str, *, guardian: str = "矩阵家长", phone: str = "") -> dict[str, str]:
    return {
        "school_code": code, "student_number": number, "name": name, "sex": "1", "birth_date": "2016-03-07",
        "ethnicity": "01", "grade": "13", "guardian_name": guardian, "guardian_phone": phone,
    }  # fmt: skip


def _g(seq: str) -> str:
    return "G" + citizen_id("410102", "20160307", seq)


def build(world: Any, ly_user: Any) -> dict[str, Any]:
    from edubase.datagov.pool import services
    from edubase.datagov.pool.models import MatchConflict, MatchReview

    admin = world.province_admin
    a, b, c = world.school_a, world.school_b, world.school_c
    sub_b = services.submit_rows(
        actor=admin, school=b,
        rows=[_row(b.code, PUPIL_A, _g("101")), _row(b.code, PUPIL_C, _g("103")),
              _row(b.code, "矩阵丙同学", "L" + "B" * 18), _row(b.code, "矩阵丁同学", "L" + "D" * 18)],
    )  # fmt: skip
    assert sub_b.submission.status == "accepted", sub_b.submission.errors
    sub_a = services.submit_rows(
        actor=admin, school=a,
        rows=[_row(a.code, PUPIL_A, _g("101")), _row(a.code, "矩阵丙同学", "L" + "A" * 18)],
    )  # fmt: skip
    sub_c = services.submit_rows(
        actor=admin, school=c,
        rows=[_row(c.code, PUPIL_C, _g("103")), _row(c.code, "矩阵丁同学", "L" + "C" * 18)],
    )  # fmt: skip
    services.run_quality(actor="system")
    return {
        "pool_submission_a": sub_a.submission,
        "pool_submission_c": sub_c.submission,
        "pool_conflict_a": MatchConflict.objects.filter(org_path=a.path).first(),
        "pool_conflict_c": MatchConflict.objects.filter(org_path=c.path).first(),
        "pool_review_a": MatchReview.objects.get(org_path=a.path),
        "pool_review_c": MatchReview.objects.get(org_path=c.path),
    }


MOVED = frozenset({302})
_SCHOOL = {"school_id": "school"}
_SUB = {"submission_id": "pool_submission"}


def _upload(ctx: Any, variant: str) -> tuple[str, bytes]:
    school = ctx.obj("school", variant)
    code = getattr(school, "code", "2141999999")
    header = "学校标识码,学籍号,姓名,性别码,出生日期,年级码\n"
    return "roster.csv", (header + f"{code},{_g('201')},矩阵新同学,1,2016-03-07,13\n").encode("gbk")


def _rows(ctx: Any, variant: str) -> dict[str, Any]:
    school = ctx.obj("school", variant)
    return {"rows": [_row(getattr(school, "code", "2141999999"), "矩阵新同学", _g("203"))]}


def _school_a(ctx: Any) -> str:
    return str(ctx.world.school_a.name)


API_RULES: dict[str, Rule] = {
    "GET /datagov/pool/contract": Rule(perm="datagov.view", shows=lambda c: "学籍号"),
    "GET /datagov/pool/contract/template.xlsx": Rule(perm="datagov.view"),
    "GET /datagov/pool/contract/template.csv": Rule(perm="datagov.view"),
    "POST /datagov/pool/schools/{school_id}/submissions": Rule(
        perm="datagov.change", params=_SCHOOL, upload=_upload, ok=frozenset({201})
    ),
    "POST /datagov/pool/schools/{school_id}/rows": Rule(
        perm="datagov.change", params=_SCHOOL, body=_rows, ok=frozenset({201})
    ),
    "GET /datagov/pool/submissions": Rule(perm="datagov.view", lists=True, shows=_school_a),
    "GET /datagov/pool/submissions/{submission_id}": Rule(perm="datagov.view", params=_SUB, shows=_school_a),
    "GET /datagov/pool/records": Rule(perm="datagov.view", lists=True, shows=lambda c: PUPIL_A),
    "POST /datagov/pool/quality/runs": Rule(perm="datagov.manage", ok=frozenset({201}), out=frozenset({403})),
    "GET /datagov/pool/quality/scores": Rule(perm="datagov.view", lists=True, shows=_school_a),
    "GET /datagov/pool/quality/trend": Rule(perm="datagov.view", lists=True),
    "GET /datagov/pool/reviews": Rule(perm="datagov.manage", lists=True, shows=lambda c: "矩阵丙同学"),
    "POST /datagov/pool/reviews/{review_id}/decide": Rule(
        perm="datagov.manage", params={"review_id": "pool_review"}, body=lambda c, v: {"merge": True}
    ),
    "GET /datagov/pool/conflicts": Rule(perm="datagov.view", lists=True, shows=lambda c: PUPIL_A),
    "POST /datagov/pool/conflicts/{conflict_id}/resolve": Rule(
        perm="datagov.change", params={"conflict_id": "pool_conflict"}
    ),
}

CONSOLE_RULES: dict[str, Rule] = {
    "datagov_pool:dashboard": Rule(perm="datagov.view", shows=_school_a),
    "datagov_pool:quality_run": Rule(perm="datagov.manage", method="POST", ok=MOVED),
    "datagov_pool:contract": Rule(perm="datagov.view", shows=lambda c: "学籍号"),
    "datagov_pool:template_xlsx": Rule(perm="datagov.view"),
    "datagov_pool:template_csv": Rule(perm="datagov.view"),
    "datagov_pool:submission_list": Rule(perm="datagov.view", lists=True, shows=_school_a),
    "datagov_pool:submission_detail": Rule(perm="datagov.view", params={"pk": "pool_submission"}, shows=_school_a),
    "datagov_pool:submission_upload": Rule(perm="datagov.change", params={"pk": "school"}, shows=_school_a),
    "datagov_pool:record_list": Rule(perm="datagov.view", lists=True, shows=lambda c: PUPIL_A),
    "datagov_pool:review_list": Rule(perm="datagov.manage", lists=True, shows=lambda c: "矩阵丙同学"),
    "datagov_pool:review_decide": Rule(
        perm="datagov.manage",
        method="POST",
        params={"pk": "pool_review"},
        body=lambda c, v: {"decision": "merge"},
        ok=MOVED,
    ),
    "datagov_pool:conflict_list": Rule(perm="datagov.view", lists=True, shows=lambda c: PUPIL_A),
    "datagov_pool:conflict_resolve": Rule(
        perm="datagov.change", method="POST", params={"pk": "pool_conflict"}, ok=MOVED
    ),
}
