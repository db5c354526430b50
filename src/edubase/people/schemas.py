"""API schemas of people. Output carries masked identifiers only (the reveal route aside),
and no birth date: the masked identifier hides exactly the birth date."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Schema

from edubase.people.models import Gender, IdKind

_GENDER_LABELS = dict(Gender.choices)
_KIND_LABELS = dict(IdKind.choices)


class PersonOut(Schema):
    id: UUID
    name: str
    gender: str
    gender_label: str
    id_kind: str
    id_kind_label: str
    id_number_masked: str
    phone_masked: str
    merged_into: UUID | None = Field(None, alias="merged_into_id")

    @staticmethod
    def resolve_gender_label(obj: Any) -> str:
        return str(_GENDER_LABELS.get(obj.gender, obj.gender))

    @staticmethod
    def resolve_id_kind_label(obj: Any) -> str:
        return str(_KIND_LABELS.get(obj.id_kind, obj.id_kind))


class OrgRefOut(Schema):
    id: int
    code: str
    name: str


class EnrolmentOut(Schema):
    id: int
    person_id: UUID
    school: OrgRefOut
    grade: str
    class_name: str
    start: date
    end: date | None


class EmploymentOut(Schema):
    id: int
    person_id: UUID
    org: OrgRefOut
    post: str
    staff_number: str
    start: date
    end: date | None


class PersonEventOut(Schema):
    kind: str
    detail: dict[str, Any]
    at: datetime


class PersonDetailOut(PersonOut):
    enrolments: list[EnrolmentOut]
    employments: list[EmploymentOut]
    events: list[PersonEventOut]


class PersonIn(Schema):
    name: str = Field(..., max_length=50, description="姓名")
    id_kind: Literal["G", "J", "L"] = Field(..., description="证件类型：G 居民身份证，J 其他证件，L 临时编号")
    id_number: str = Field(..., max_length=30, description="证件号码（18 位）")
    gender: Literal["0", "1", "2", "9"] | None = Field(None, description="性别（GB/T 2261.1）；G/J 号码可省略")
    birth_date: date | None = Field(None, description="出生日期；G/J 号码可省略")
    phone: str | None = Field(None, max_length=20, description="手机号码")
    org_id: int | None = Field(None, description="即将入学或任职的机构（用于权限与审计，可省略）")


class EnrolmentIn(Schema):
    school_id: int
    grade: str = Field("", max_length=20)
    class_name: str = Field("", max_length=50)
    start: date


class EmploymentIn(Schema):
    org_id: int
    post: str = Field("", max_length=50)
    staff_number: str = Field("", max_length=50)
    start: date


class TransferIn(Schema):
    to_school_id: int
    start: date = Field(..., description="转入日期；原学籍在前一天结束")
    grade: str | None = Field(None, max_length=20)
    class_name: str | None = Field(None, max_length=50)


class RevealIn(Schema):
    field: Literal["id_number", "phone"]


class RevealOut(Schema):
    field: str
    value: str


class PersonImportOut(Schema):
    rows: int
    persons_created: int
    persons_reused: int
    enrolments: int
    employments: int
    unchanged: int
    encoding: str
    sm3: str
    summary: str

    @staticmethod
    def resolve_summary(obj: Any) -> str:
        return str(obj.summary())
