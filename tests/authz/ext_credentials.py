"""Authorization-matrix rows of credentials (e-certificates).

Objects (in: school A of 郑州 中原区; out: school C of 洛阳): an issuer per school, a certificate
per school held by the student persona's person (A) or a fresh person (C), a draft batch, a pending
batch (submitted by the province admin) and a published batch (holding certificate A), status lists,
share links and public stand-ins (identifiers, USCCs, list ids) for the public ``/v/`` pages.

Who: ``credentials.view`` reads in the issuer's org subtree; ``credentials.issue`` prepares and
submits batches; approving a batch needs the credential-officer role on the issuer's org or above
(no persona has it: the province admin, who may issue, is refused — four eyes); ``credentials.manage``
registers issuers, rotates keys, changes statuses and reissues. A holder's own pages answer only the
holder (the student persona, for certificate A); anyone else is refused (403). The public pages and
the verify API need no sign-in; their certificates belong to persons outside the world's personas
(the holder's name is on a public verification page by design).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from tests.authz.rules import Rule

VIEW, ISSUE, MANAGE = "credentials.view", "credentials.issue", "credentials.manage"

KINDS: dict[str, tuple[str, str]] = {
    "cert_issuer": ("cert_issuer_a", "cert_issuer_c"),
    "certificate": ("certificate_a", "certificate_c"),
    "own_certificate": ("certificate_a", "certificate_c"),
    "draft_batch": ("draft_batch_a", "draft_batch_c"),
    "pending_batch": ("pending_batch_a", "pending_batch_c"),
    "published_batch": ("published_batch_a", "published_batch_c"),
    "public_identifier": ("public_identifier_a", "public_identifier_c"),
    "public_uscc": ("public_uscc_a", "public_uscc_c"),
    "public_status_list": ("public_status_list_a", "public_status_list_c"),
    "public_share": ("public_share_a", "public_share_c"),
}
SCOPED: set[str] = {"cert_issuer", "certificate", "draft_batch", "pending_batch", "published_batch"}
PAGE_NAMESPACES: tuple[str, ...] = ("credentials", "verify")

UPLOAD_GRADUATE = ("矩阵上传生", "410102201001010315")


def _citizen(body17: str) -> str:
    from tests.factories import citizen_id

    return citizen_id(body17[:6], body17[6:14], body17[14:17])


def build(world: Any, ly_user: Any) -> dict[str, Any]:
    from edubase.credentials import issuance, issuers, status_publish
    from edubase.credentials.models import BatchStatus, IssuanceBatch, ShareLink
    from edubase.people.models import Enrolment
    from tests.factories import make_person

    template = issuance.latest_template("graduation")
    made: dict[str, Any] = {}
    subject = {"education_level": "小学", "study_from": "2020-09-01", "study_to": "2026-06-30"}
    for key, school in (("a", world.school_a), ("c", world.school_c)):
        issuer = issuers.ensure_issuer(school)
        published = IssuanceBatch.objects.create(
            issuer=issuer,
            org_path=issuer.org_path,
            template=template,
            title=f"矩阵已发布批次{key}",
            source="registry",
            status=BatchStatus.PUBLISHED,
        )
        holder = world.student_person if key == "a" else make_person("矩阵洛阳持证人", _citizen("41030220100101031"))
        public_holder = make_person(f"矩阵公开持证人{key}", _citizen(f"4101022011010{'1' if key == 'a' else '2'}031"))
        certificate, public = issuance.sign_certificates(
            issuer=issuer,
            template=template,
            drafts=[
                issuance.Draft(holder=holder, subject=subject, serial=f"9{published.pk:06d}1"),
                issuance.Draft(holder=public_holder, subject=subject, serial=f"9{published.pk:06d}2"),
            ],
            batch=published,
        )
        leaver = make_person(f"矩阵毕业生{key}", _citizen(f"4101022012020{'1' if key == 'a' else '2'}031"))
        Enrolment.objects.create(person=leaver, school=school, start=dt.date(2020, 9, 1), end=dt.date(2026, 6, 30))
        draft = IssuanceBatch.objects.create(
            issuer=issuer, org_path=issuer.org_path, template=template, title=f"矩阵待提交批次{key}", source="xlsx"
        )
        pending = IssuanceBatch.objects.create(
            issuer=issuer,
            org_path=issuer.org_path,
            template=template,
            title=f"矩阵审批中批次{key}",
            source="xlsx",
            created_by=world.province_admin,
        )
        issuance.submit_batch(actor=world.province_admin, batch=pending)
        share = ShareLink.objects.create(
            certificate=public,
            token=f"matrix-share-{key}-token",
            created_by=world.province_admin,
            expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=30),
        )
        made.update(
            {
                f"cert_issuer_{key}": issuer,
                f"certificate_{key}": certificate,
                f"draft_batch_{key}": draft,
                f"pending_batch_{key}": IssuanceBatch.objects.get(pk=pending.pk),
                f"published_batch_{key}": published,
                f"public_identifier_{key}": SimpleNamespace(pk=public.identifier),
                f"public_uscc_{key}": SimpleNamespace(pk=issuer.uscc),
                f"public_status_list_{key}": SimpleNamespace(pk=public.revocation_list.list_id),
                f"public_share_{key}": SimpleNamespace(pk=share.token),
                f"public_certificate_{key}": public,
            }
        )
    make_person(UPLOAD_GRADUATE[0], UPLOAD_GRADUATE[1])
    status_publish.publish_dirty()
    return made


def _upload(ctx: Any, variant: str) -> tuple[str, bytes]:
    from edubase.core.tabular import write_xlsx

    headers = ["姓名", "证件号码", "学历层次", "入学日期", "毕业日期"]
    return "matrix.xlsx", write_xlsx(headers, [[*UPLOAD_GRADUATE, "小学", "2020-09-01", "2026-06-30"]])


def _verify_upload(ctx: Any, variant: str) -> tuple[str, bytes]:
    import json

    from edubase.credentials.vc import certificate_file

    return "certificate.json", json.dumps(certificate_file(ctx.extra["public_certificate_a"].jws)).encode()


_ISSUER = {"issuer_id": "cert_issuer"}
_CERT = {"certificate_id": "certificate"}
_OWN = {"certificate_id": "own_certificate"}
_NOT_HOLDER = frozenset({"outsider", "teacher", "school_admin", "county_admin", "city_admin", "province_admin"})
_OWN_OUT = frozenset({403, 404})
_NOT_APPROVER = frozenset({"province_admin"})
MOVED = frozenset({302})
_SUSPEND = {"action": "suspend", "reason": "矩阵核查"}


def _cert_a(ctx: Any) -> str:
    return str(ctx.extra["certificate_a"].identifier)


API_RULES: dict[str, Rule] = {
    "GET /credentials/templates": Rule(shows=lambda c: "毕业证书"),
    "GET /credentials/issuers": Rule(perm=VIEW, lists=True, shows=lambda c: c.world.school_a.name),
    "POST /credentials/issuers": Rule(
        perm=MANAGE, body=lambda c, v: {"org_id": c.obj("school", v).pk}, body_refs=True, ok=frozenset({201})
    ),
    "GET /credentials/issuers/{issuer_id}/keys": Rule(perm=VIEW, params=_ISSUER, shows=lambda c: "sm2-"),
    "POST /credentials/issuers/{issuer_id}/rotate": Rule(perm=MANAGE, params=_ISSUER),
    "POST /credentials/issuers/{issuer_id}/batches/registry": Rule(
        perm=ISSUE,
        params=_ISSUER,
        body=lambda c, v: {"year": 2026, "fields": {"education_level": "小学"}},
        ok=frozenset({201}),
    ),
    "POST /credentials/issuers/{issuer_id}/batches/upload": Rule(
        perm=ISSUE, params=_ISSUER, upload=_upload, ok=frozenset({201})
    ),
    "GET /credentials/certificates": Rule(perm=VIEW, lists=True, shows=_cert_a),
    "GET /credentials/certificates/{certificate_id}": Rule(perm=VIEW, params=_CERT, shows=_cert_a),
    "POST /credentials/certificates/{certificate_id}/status": Rule(
        perm=MANAGE, params=_CERT, body=lambda c, v: _SUSPEND
    ),
    "POST /credentials/bulk/status": Rule(
        perm=MANAGE, body=lambda c, v: {**_SUSPEND, "ids": [c.obj("certificate", v).pk]}, body_refs=True
    ),
    "POST /credentials/certificates/{certificate_id}/reissue": Rule(
        perm=MANAGE,
        params=_CERT,
        body=lambda c, v: {"reason": "矩阵更正", "changes": {"education_level": "小学（六年制）"}},
        ok=frozenset({201}),
    ),
    "GET /credentials/batches": Rule(perm=VIEW, lists=True, shows=lambda c: "矩阵已发布批次a"),
    "GET /credentials/batches/{batch_id}": Rule(perm=VIEW, params={"batch_id": "published_batch"}),
    "POST /credentials/batches/{batch_id}/submit": Rule(perm=ISSUE, params={"batch_id": "draft_batch"}),
    "POST /credentials/batches/{batch_id}/decide": Rule(
        perm=ISSUE,
        params={"batch_id": "pending_batch"},
        body=lambda c, v: {"decision": "approve"},
        refused=_NOT_APPROVER,
        note="approval needs the credential-officer role (four eyes)",
    ),
    "GET /credentials/verifications": Rule(perm=VIEW, lists=True),
    "POST /credentials/verify": Rule(
        public=True, body=lambda c, v: {"data": c.extra["public_certificate_a"].identifier}
    ),
    "POST /credentials/verify/upload": Rule(public=True, upload=_verify_upload),
    "GET /credentials/mine": Rule(),
    "GET /credentials/mine/verifications": Rule(),
    "GET /credentials/mine/{certificate_id}/file": Rule(params=_OWN, refused=_NOT_HOLDER, out=_OWN_OUT),
    "GET /credentials/mine/{certificate_id}/pdf": Rule(params=_OWN, refused=_NOT_HOLDER, out=_OWN_OUT),
    "POST /credentials/mine/share": Rule(
        body=lambda c, v: {"certificate_id": c.extra["certificate_a"].pk, "days": 90},
        refused=_NOT_HOLDER,
        ok=frozenset({201}),
    ),
}

_PK_CERT = {"pk": "certificate"}
_PK_OWN = {"pk": "own_certificate"}

CONSOLE_RULES: dict[str, Rule] = {
    "credentials:dashboard": Rule(perm=VIEW),
    "credentials:certificate_list": Rule(perm=VIEW, lists=True, shows=_cert_a),
    "credentials:certificate_detail": Rule(perm=VIEW, params=_PK_CERT, shows=_cert_a),
    "credentials:certificate_pdf": Rule(perm=VIEW, params=_PK_CERT),
    "credentials:certificate_status": Rule(
        perm=MANAGE, method="POST", params=_PK_CERT, body=lambda c, v: _SUSPEND, ok=MOVED
    ),
    "credentials:batch_list": Rule(perm=VIEW, lists=True, shows=lambda c: "矩阵已发布批次a"),
    "credentials:batch_new": Rule(perm=ISSUE),
    "credentials:batch_template_xlsx": Rule(perm=VIEW),
    "credentials:batch_detail": Rule(perm=VIEW, params={"pk": "published_batch"}, shows=lambda c: "矩阵已发布批次a"),
    "credentials:batch_submit": Rule(perm=ISSUE, method="POST", params={"pk": "draft_batch"}, ok=MOVED),
    "credentials:batch_decide": Rule(
        perm=ISSUE,
        method="POST",
        params={"pk": "pending_batch"},
        body=lambda c, v: {"decision": "approve"},
        refused=_NOT_APPROVER,
        ok=MOVED,
    ),
    "credentials:batch_bulk_status": Rule(
        perm=MANAGE, method="POST", params={"pk": "published_batch"}, body=lambda c, v: _SUSPEND, ok=MOVED
    ),
    "credentials:issuer_list": Rule(perm=VIEW, lists=True, shows=lambda c: c.world.school_a.name),
    "credentials:issuer_new": Rule(
        perm=MANAGE, method="POST", body=lambda c, v: {"org": c.obj("school", v).pk}, body_refs=True, ok=MOVED
    ),
    "credentials:issuer_rotate": Rule(perm=MANAGE, method="POST", params={"pk": "cert_issuer"}, ok=MOVED),
    "credentials:template_list": Rule(perm=VIEW, shows=lambda c: "毕业证书"),
    "credentials:verification_list": Rule(perm=VIEW, lists=True),
    "credentials:mine": Rule(),
    "credentials:mine_detail": Rule(params=_PK_OWN, refused=_NOT_HOLDER, out=_OWN_OUT),
    "credentials:mine_pdf": Rule(params=_PK_OWN, refused=_NOT_HOLDER, out=_OWN_OUT),
    "credentials:mine_json": Rule(params=_PK_OWN, refused=_NOT_HOLDER, out=_OWN_OUT),
    "credentials:mine_share": Rule(
        method="POST", params=_PK_OWN, body=lambda c, v: {"days": "90"}, refused=_NOT_HOLDER, out=_OWN_OUT, ok=MOVED
    ),
    "verify:home": Rule(public=True),
    "verify:certificate": Rule(public=True, params={"identifier": "public_identifier"}, public_orgs=True),
    "verify:issuer_registry": Rule(public=True, params={"uscc": "public_uscc"}, public_orgs=True),
    "verify:status_list": Rule(public=True, params={"list_id": "public_status_list"}),
    "verify:share": Rule(public=True, params={"token": "public_share"}, public_orgs=True),
}
