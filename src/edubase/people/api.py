"""API routes of people (mounted at ``/people`` by edubase.api): search, detail, registration,
memberships, transfer, reveal and import. Identifiers leave masked except through ``/reveal``."""

from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from edubase.core.errors import ValidationFailed
from edubase.core.pagination import CursorPagination
from edubase.orgs import selectors as org_selectors
from edubase.people import imports, selectors, services
from edubase.people.models import Employment, Enrolment, Person
from edubase.people.schemas import (
    EmploymentIn,
    EmploymentOut,
    EnrolmentIn,
    EnrolmentOut,
    PersonDetailOut,
    PersonImportOut,
    PersonIn,
    PersonOut,
    RevealIn,
    RevealOut,
    TransferIn,
)

router = Router()

#: the largest spreadsheet accepted through the API (a province-wide file is split by city)
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class PersonFilters(Schema):
    name: str | None = None
    id_number: str | None = None


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


@router.get("", response=list[PersonOut], summary="查找人员（姓名包含或证件号码精确匹配） / search persons")
@paginate(CursorPagination)
def list_people(request: HttpRequest, filters: Query[PersonFilters], **kwargs: Any) -> Any:
    """Persons in scope; ``name`` matches part of the name, ``id_number`` the whole identifier."""
    return selectors.search_persons(_actor(request), name=filters.name, id_number=filters.id_number)


@router.post("/import", response=PersonImportOut, summary="导入人员与学籍/任职（XLSX/CSV，全部成功或全部不写入）")
def import_people(request: HttpRequest, file: File[UploadedFile]) -> imports.ImportReport:
    """Register persons with their enrolment or employment; any problem rejects the whole file (422)."""
    if file.size is not None and file.size > MAX_UPLOAD_BYTES:
        raise ValidationFailed(f"文件超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB，请拆分后导入")
    return imports.import_people(actor=_actor(request), data=file.read(), filename=file.name or "")


@router.get("/{uuid:person_id}", response=PersonDetailOut, summary="人员详情（脱敏）与学籍、任职 / one person")
def get_person(request: HttpRequest, person_id: UUID) -> selectors.PersonDetail:
    """One person in scope, masked, with every enrolment, employment and identity event."""
    return selectors.person_detail(_actor(request), pk=person_id)


@router.post("", response={201: PersonOut}, summary="登记人员 / register a person")
def register_person(request: HttpRequest, payload: PersonIn) -> Status[Person]:
    """Register a person after checking the identifier; a registered identifier is refused (409)."""
    actor = _actor(request)
    org = org_selectors.get_org(actor, pk=payload.org_id, permission="people.change") if payload.org_id else None
    person = services.register_person(
        actor=actor,
        name=payload.name,
        id_kind=payload.id_kind,
        id_number=payload.id_number,
        gender=payload.gender,
        birth_date=payload.birth_date,
        phone=payload.phone,
        org=org,
    )
    return Status(201, person)


@router.post("/{uuid:person_id}/enrolments", response={201: EnrolmentOut}, summary="入学 / enrol at a school")
def enrol(request: HttpRequest, person_id: UUID, payload: EnrolmentIn) -> Status[Enrolment]:
    """Open an enrolment at a school where the caller has ``people.change``."""
    actor = _actor(request)
    person = selectors.find_person_for_write(actor, pk=person_id)
    school = org_selectors.get_school(actor, pk=payload.school_id, permission="people.change")
    enrolment = services.enrol(
        actor=actor,
        person=person,
        school=school,
        grade=payload.grade,
        class_name=payload.class_name,
        start=payload.start,
    )
    return Status(201, enrolment)


@router.post("/{uuid:person_id}/employments", response={201: EmploymentOut}, summary="任职 / employ at an org")
def employ(request: HttpRequest, person_id: UUID, payload: EmploymentIn) -> Status[Employment]:
    """Open an employment at an org where the caller has ``people.change``."""
    actor = _actor(request)
    person = selectors.find_person_for_write(actor, pk=person_id)
    org = org_selectors.get_org(actor, pk=payload.org_id, permission="people.change")
    employment = services.employ(
        actor=actor,
        person=person,
        org=org,
        post=payload.post,
        staff_number=payload.staff_number,
        start=payload.start,
    )
    return Status(201, employment)


@router.post("/{uuid:person_id}/transfer", response={201: EnrolmentOut}, summary="转学（需同时管辖两校） / transfer")
def transfer(request: HttpRequest, person_id: UUID, payload: TransferIn) -> Status[Enrolment]:
    """End the open enrolment the day before ``start`` and open one at the receiving school
    (the caller needs ``people.change`` over both schools)."""
    actor = _actor(request)
    person = selectors.find_person_for_write(actor, pk=person_id, transfer=True)
    school = org_selectors.get_school(actor, pk=payload.to_school_id, permission="people.change")
    enrolment = services.transfer_student(
        actor=actor,
        person=person,
        to_school=school,
        start=payload.start,
        grade=payload.grade,
        class_name=payload.class_name,
    )
    return Status(201, enrolment)


@router.post("/{uuid:person_id}/reveal", response=RevealOut, summary="查看完整证件号码或手机号码（留痕）")
def reveal(request: HttpRequest, person_id: UUID, payload: RevealIn, response: HttpResponse) -> dict[str, str]:
    """The full value of one identifier; needs ``people.reveal``; every call is audited (never cached)."""
    response["Cache-Control"] = "no-store"
    actor = _actor(request)
    person = selectors.get_person(actor, pk=person_id)
    value = services.reveal_identifier(actor=actor, person=person, field=payload.field)
    return {"field": payload.field, "value": value}
