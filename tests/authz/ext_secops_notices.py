"""Authorization-matrix rows of secops: notices and rectification (通报—整改).

KINDS maps an object kind to its (in-scope, out-of-scope) attribute names; ``build`` makes those
objects (in: school A of 郑州 中原区; out: school C of 洛阳) and returns them by attribute name.

The province admin issues both notices; neither school has its own security officer, so each is
answered by its school admin (school A's admin is the only persona who may acknowledge). The
notices wait at the acknowledge step: evidence, re-test, verification and the report answer 409
to whoever may act, 403 to those who see the notice but are not its handler or verifier.
"""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile

from tests.authz.rules import Rule

KINDS: dict[str, tuple[str, str]] = {
    "notice": ("notice_a", "notice_c"),
    "notice_evidence": ("notice_evidence_a", "notice_evidence_c"),
}
SCOPED: set[str] = set(KINDS)
PAGE_NAMESPACES: tuple[str, ...] = ()  # the registry module declares ("secops",)

PDF = b"%PDF-1.4\n% matrix evidence\n"


def build(world: Any, ly_user: Any) -> dict[str, Any]:
    import hashlib

    from edubase.secops import notices
    from edubase.secops.models import NoticeEvidence

    notices.publish_process(actor=None)
    made: dict[str, Any] = {}
    for key, school in (("a", world.school_a), ("c", world.school_c)):
        notice = notices.issue_notice(
            actor=world.province_admin,
            target=school,
            title="矩阵测试通报",
            severity="medium",
            required_actions="限期整改弱口令",
            issue_text="门户网站后台存在弱口令",
        )
        evidence = NoticeEvidence(
            notice=notice,
            original_name="matrix.pdf",
            kind="pdf",
            size=len(PDF),
            digest_sm3=hashlib.new("sm3", PDF).hexdigest(),
            uploaded_by=world.province_admin,
        )
        evidence.file.save(f"matrix-{notice.pk}.pdf", ContentFile(PDF), save=False)
        evidence.save()
        made[f"notice_{key}"] = notice
        made[f"notice_evidence_{key}"] = evidence
    return made


_NOT_HANDLER = frozenset({"county_admin", "city_admin", "province_admin"})
_NOTICE = {"notice_id": "notice"}
_PAGE = {"pk": "notice"}


def _number(ctx: Any) -> str:
    return str(ctx.extra["notice_a"].number)


def _issue_body(ctx: Any, variant: str) -> dict[str, Any]:
    return {
        "target_org_id": ctx.obj("school", variant).pk,
        "title": "矩阵测试通报（新）",
        "severity": "low",
        "required_actions": "整改",
        "issue_text": "矩阵测试",
    }


API_RULES: dict[str, Rule] = {
    "GET /secops/notices": Rule(perm="secops.view", lists=True, shows=_number),
    "POST /secops/notices": Rule(
        perm="secops.manage",
        body=_issue_body,
        body_refs=True,
        ok=frozenset({201}),
        note="only provincial/city security officers and the province admin issue notices",
    ),
    "GET /secops/notices/ledger.xlsx": Rule(perm="secops.view", lists=True, shows=_number),
    "GET /secops/notices/{notice_id}": Rule(perm="secops.view", params=_NOTICE),
    "POST /secops/notices/{notice_id}/acknowledge": Rule(
        perm="secops.change",
        params=_NOTICE,
        body=lambda c, v: {"comment": "已签收"},
        refused=_NOT_HANDLER,
        note="the school's own handler only: the bureaus above see the notice but may not answer for the school",
    ),
    "POST /secops/notices/{notice_id}/evidence": Rule(
        perm="secops.change",
        params=_NOTICE,
        upload=lambda c, v: ("fix.pdf", PDF),
        refused=_NOT_HANDLER,
        ok=frozenset({409}),
        note="not acknowledged yet: evidence is refused (409)",
    ),
    "GET /secops/notices/{notice_id}/evidence/{evidence_id}": Rule(
        perm="secops.view", params={"notice_id": "notice", "evidence_id": "notice_evidence"}
    ),
    "POST /secops/notices/{notice_id}/retest": Rule(
        perm="secops.change",
        params=_NOTICE,
        body=lambda c, v: {"summary": "已整改"},
        refused=_NOT_HANDLER,
        ok=frozenset({409}),
    ),
    "POST /secops/notices/{notice_id}/verify": Rule(
        perm="secops.manage",
        params=_NOTICE,
        body=lambda c, v: {"decision": "close"},
        ok=frozenset({409}),
        note="no re-test requested yet (409)",
    ),
    "GET /secops/notices/{notice_id}/notice.pdf": Rule(perm="secops.view", params=_NOTICE),
    "GET /secops/notices/{notice_id}/report.pdf": Rule(perm="secops.view", params=_NOTICE, ok=frozenset({409})),
}

CONSOLE_RULES: dict[str, Rule] = {
    "secops:notice_list": Rule(perm="secops.view", lists=True, shows=_number),
    "secops:notice_new": Rule(perm="secops.manage"),
    "secops:notice_ledger": Rule(perm="secops.view", lists=True, shows=_number),
    "secops:notice_detail": Rule(perm="secops.view", params=_PAGE),
    "secops:notice_acknowledge": Rule(
        perm="secops.change", method="POST", params=_PAGE, refused=_NOT_HANDLER, ok=frozenset({302})
    ),
    "secops:notice_evidence": Rule(
        perm="secops.change",
        method="POST",
        params=_PAGE,
        upload=lambda c, v: ("fix.pdf", PDF),
        refused=_NOT_HANDLER,
        ok=frozenset({409}),
    ),
    "secops:notice_evidence_download": Rule(
        perm="secops.view", params={"pk": "notice", "evidence_pk": "notice_evidence"}
    ),
    "secops:notice_retest": Rule(
        perm="secops.change",
        method="POST",
        params=_PAGE,
        body=lambda c, v: {"summary": "已整改"},
        refused=_NOT_HANDLER,
        ok=frozenset({409}),
    ),
    "secops:notice_verify": Rule(
        perm="secops.manage", method="POST", params=_PAGE, body=lambda c, v: {"decision": "close"}, ok=frozenset({409})
    ),
    "secops:notice_pdf": Rule(perm="secops.view", params=_PAGE),
    "secops:notice_report": Rule(perm="secops.view", params=_PAGE, ok=frozenset({409})),
}
