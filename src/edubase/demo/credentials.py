"""The demo province's e-certificates (电子证照演示数据): a college issues its graduating class.

Called at the end of ``build_demo``. The province's first university-level college (中原理工学院,
school code ``4141900001``, present at every scale) is registered as an issuer by the demo
``credential_officer``; its final-year class (the 2022级) graduates on 30 June 2026 (their
enrolments end through ``people.services.end_membership``); the officer previews the cohort from
the people registry, submits it to the approval workflow, a second officer
(``credential_approver``, at the province) approves it and the batch is signed and its status
lists published — the real services end to end. One certificate is then revoked with a reason, and
the first graduate gets a login (``graduate``) so the holder view has content.

Deterministic: the college, the class and the graduate follow from the plan and the seed.
Idempotent: everything is made once, marked by the batch title; a second run adds nothing and
keeps the logins' passwords (read back from the demo credentials file).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from edubase.accounts.models import Role, RoleAssignment, User
from edubase.credentials import issuance, issuers, lifecycle, status_publish
from edubase.credentials.models import Certificate, CertificateStatus, IssuanceBatch, Issuer
from edubase.demo import plan
from edubase.orgs.models import Org, OrgKind
from edubase.people import services as people_services
from edubase.people.models import Enrolment

Progress = Callable[[str], None]
#: (username, role name, org name, password) — wrapped into ``builder.Credential`` by the builder
Login = tuple[str, str, str, str]

#: the province-run college that issues the demo cohort (category 41 + 41 + placement 900 + 001)
COLLEGE_CODE = f"41{plan.PROVINCE_CODE[:2]}900001"
GRADUATION_YEAR = 2026
GRADUATION_DAY = dt.date(GRADUATION_YEAR, 6, 30)
#: enrolled in September of this year = the class graduating in ``GRADUATION_YEAR`` (4-year 本科)
COHORT_GRADE = f"{GRADUATION_YEAR - 4}级"
APPROVER = "credential_approver"
GRADUATE = "graduate"
REVOKE_REASON = "经复核，该生学籍信息有误，毕业证书予以撤销（演示数据）"


def college() -> Org:
    """The issuing college: the plan's first 普通高等学校, or the anchor school when absent."""
    org = Org.objects.filter(code=COLLEGE_CODE, kind=OrgKind.SCHOOL).first()
    return org or Org.objects.get(code=plan.anchor_school_code())


def batch_title(org: Org) -> str:
    return f"{org.name} {GRADUATION_YEAR} 届毕业证书（演示）"


def _login(
    username: str, *, display: str, known: dict[str, str], created: dict[str, int], **extra: object
) -> tuple[User, str]:
    # lazy: the builder imports this module
    from edubase.demo.builder import _password

    user = User.objects.filter(username=username).first()
    password = known.get(username, "")
    if user is None:
        password = _password()
        user = User(username=username, display_name=display, **extra)
        user.set_password(password)
        user.save()
        created["users"] = created.get("users", 0) + 1
    elif not password or not user.check_password(password):
        password = _password()
        user.set_password(password)
        user.save(update_fields=["password"])
        created["passwords_reset"] = created.get("passwords_reset", 0) + 1
    return user, password


def _graduate_class(org: Org, actor: User) -> int:
    """End the final-year enrolments on graduation day (离校); the oldest class when the grade is absent."""
    open_ = Enrolment.objects.filter(school=org, end__isnull=True)
    grades = sorted(set(open_.values_list("grade", flat=True)))
    if not grades:
        return 0
    grade = COHORT_GRADE if COHORT_GRADE in grades else grades[0]
    ended = 0
    for enrolment in open_.filter(grade=grade).select_related("school").order_by("pk"):
        people_services.end_membership(actor=actor, membership=enrolment, end=GRADUATION_DAY)
        ended += 1
    return ended


def build(
    *,
    seed: int,
    created: dict[str, int],
    progress: Progress | None = None,
    now: dt.datetime | None = None,
    known: dict[str, str] | None = None,
) -> list[Login]:
    """Issue the demo cohort once; returns the logins it made or kept (approver, graduate).

    ``seed`` and ``now`` are accepted like the other demo parts; the cohort follows from the plan
    (built with the seed) and the issue dates are the services' own (the signing time)."""
    del seed, now  # the choices follow from the built province; the services stamp their own times
    say: Progress = progress or (lambda _message: None)
    known = known or {}
    for key in ("credentials_issuers", "credentials_certificates", "credentials_revoked", "credentials_graduated"):
        created.setdefault(key, 0)
    org = college()
    officer = User.objects.get(username="credential_officer")
    admin = User.objects.get(username="province_admin")
    role = Role.objects.get(code="credential_officer")
    province = Org.objects.get(code=plan.PROVINCE_CODE)
    approver, approver_password = _login(
        APPROVER, display=f"{province.name}电子证照审核员", known=known, created=created
    )
    _, made = RoleAssignment.objects.get_or_create(user=approver, role=role, org=province)
    created["assignments"] = created.get("assignments", 0) + int(made)

    issuance.publish_process()
    had_issuer = Issuer.objects.filter(org=org).exists()
    issuer = issuers.register_issuer(actor=officer, org=org)
    created["credentials_issuers"] += int(not had_issuer)

    title = batch_title(org)
    batch = IssuanceBatch.objects.filter(issuer=issuer, title=title).first()
    if batch is None:
        graduated = _graduate_class(org, admin)
        created["credentials_graduated"] += graduated
        say(f"电子证照：{org.name} {graduated} 名 {GRADUATION_YEAR} 届毕业生")
        if not Enrolment.objects.filter(school=org, end__year=GRADUATION_YEAR).exists():
            return [(APPROVER, role.name, province.name, approver_password)]  # a college without students
        template = issuance.latest_template("graduation")
        batch = issuance.preview_from_registry(
            actor=officer,
            issuer=issuer,
            template=template,
            year=GRADUATION_YEAR,
            fields={"education_level": "本科", "program_length": "四年"},
            title=title,
        )
        issuance.submit_batch(actor=officer, batch=batch)
        issuance.decide_batch(actor=approver, batch=batch, decision="approve")
    issued = issuance.process_batch(batch.pk)  # resumes an interrupted batch; 0 when done
    created["credentials_certificates"] += issued
    certificates = Certificate.objects.filter(batch=batch).order_by("pk")
    last = certificates.last()
    if (
        issued
        and last is not None
        and certificates.count() > 1
        and not certificates.filter(status=CertificateStatus.REVOKED).exists()
    ):
        lifecycle.change_status(actor=officer, certificates=[last], action="revoke", reason=REVOKE_REASON)
        created["credentials_revoked"] += 1
    status_publish.publish_dirty()
    if issued:
        say(f"电子证照：签发 {issued} 份毕业证书，撤销 {created['credentials_revoked']} 份")

    logins: list[Login] = [(APPROVER, role.name, province.name, approver_password)]
    first = certificates.filter(status=CertificateStatus.VALID).select_related("holder").first()
    if first is not None:
        holder = first.holder
        owner = User.objects.filter(person=holder).exclude(username=GRADUATE).first()
        if owner is None:  # the holder has no other login: the demo graduate account is theirs
            _, password = _login(GRADUATE, display=holder.name, known=known, created=created, person=holder)
            logins.append((GRADUATE, "持证人（毕业生）", org.name, password))
    return logins
