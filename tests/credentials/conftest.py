"""Fixtures of the credentials app: officers, an issuer (school A), a graduating class."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from edubase.credentials import issuance, issuers, status_publish
from edubase.credentials.models import Certificate, IssuanceBatch, Issuer
from edubase.people.models import Enrolment
from tests.factories import citizen_id, make_person, make_user


@dataclass
class Certs:
    world: Any
    officer: Any  # credential officer of 中原区 (prepares batches, manages certificates)
    approver: Any  # credential officer of 郑州 (approves)
    ly_officer: Any  # credential officer of 洛阳 (other city)
    issuer: Issuer  # school A
    issuer_c: Issuer  # school C (洛阳)
    graduates: list[Any]


def enrol_graduates(school: Any, n: int = 3) -> list[Any]:
    """``n`` pupils of ``school`` whose enrolment ends in June 2026 (the cohort a batch issues to)."""
    graduates = []
    for i in range(n):
        person = make_person(f"毕业生{i}", citizen_id("410102", f"2012010{i + 1}", f"{i + 10:03d}"))
        Enrolment.objects.create(
            person=person, school=school, grade="六年级", start=dt.date(2020, 9, 1), end=dt.date(2026, 6, 30)
        )
        graduates.append(person)
    return graduates


@pytest.fixture
def certs(world: Any) -> Certs:
    officer = make_user("zy_cert_officer", role="credential_officer", org=world.zhongyuan)
    approver = make_user("zz_cert_approver", role="credential_officer", org=world.zhengzhou)
    ly_officer = make_user("ly_cert_officer", role="credential_officer", org=world.luoyang)
    issuance.publish_process()
    issuer = issuers.register_issuer(actor=officer, org=world.school_a)
    issuer_c = issuers.register_issuer(actor=ly_officer, org=world.school_c)
    graduates = enrol_graduates(world.school_a)
    return Certs(world, officer, approver, ly_officer, issuer, issuer_c, graduates)


def issue_cohort(c: Certs) -> IssuanceBatch:
    """Preview from the registry, submit, approve, sign, publish: the cohort's certificates."""
    template = issuance.latest_template("graduation")
    batch = issuance.preview_from_registry(
        actor=c.officer, issuer=c.issuer, template=template, year=2026, fields={"education_level": "小学"}
    )
    issuance.submit_batch(actor=c.officer, batch=batch)
    issuance.decide_batch(actor=c.approver, batch=batch, decision="approve")
    issuance.process_batch(batch.pk)
    status_publish.publish_dirty()
    batch.refresh_from_db()
    return batch


def cohort_certificates(batch: IssuanceBatch) -> list[Certificate]:
    return list(Certificate.objects.filter(batch=batch).order_by("pk"))
