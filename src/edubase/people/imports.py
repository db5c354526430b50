"""Import persons with their enrolment or employment from XLSX/CSV (all-or-nothing).

Columns (the names officials use):

* required: 姓名, 证件类型 (G/J/L or 居民身份证/其他证件/临时编号), 证件号码
* optional: 性别 (男/女 or a GB/T 2261.1 code; derived from a G/J number when empty),
  出生日期 (derived from a G/J number), 手机号码, 学校标识码, 身份 (学生/教职工),
  年级, 班级 (students), 岗位, 教职工号 (staff), 入学/入职日期

Every row is checked and every problem is reported (row, column, Chinese reason) before
anything is written. A row whose identifier is already registered under the same name
reuses that person (its other details are not changed); under another name it is refused.
An open enrolment at the same school with the same grade and class (or an open
employment at the same org in the same post) counts as unchanged, so a file can be
imported twice.

Audit: one ``people.import`` event with the counts and the file's SM3 digest, not one
event per person (at 100,000 rows the chained audit append would dominate the import);
each created person still gets its ``created`` history event (bulk-inserted).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from django.db import IntegrityError, transaction

from edubase.core import audit
from edubase.core.errors import PermissionDenied
from edubase.core.scope import Scope, scope_for
from edubase.core.tabular import ImportRejected, Problem, read_table
from edubase.crypto.sm3 import sm3
from edubase.orgs.models import Org, OrgKind, OrgStatus, SchoolCode
from edubase.people import selectors
from edubase.people.models import Employment, Enrolment, Gender, IdKind, Person, PersonEvent
from edubase.people.services import check_person_fields
from edubase.people.standards.gb11643 import mask_id_number, mask_phone

NAME, KIND, NUMBER, GENDER, BIRTH, PHONE = "姓名", "证件类型", "证件号码", "性别", "出生日期", "手机号码"
SCHOOL, ROLE, GRADE, CLASS, POST, STAFF_NO, START = (
    "学校标识码",
    "身份",
    "年级",
    "班级",
    "岗位",
    "教职工号",
    "入学/入职日期",
)
REQUIRED = (NAME, KIND, NUMBER)
OPTIONAL = (GENDER, BIRTH, PHONE, SCHOOL, ROLE, GRADE, CLASS, POST, STAFF_NO, START)
COLUMNS = REQUIRED + OPTIONAL

STUDENT, STAFF = "学生", "教职工"
_ROLES = {"学生": STUDENT, "教职工": STAFF, "教师": STAFF}
_KINDS = {
    "G": "G",
    "J": "J",
    "L": "L",
    "居民身份证": "G",
    "身份证": "G",
    "其他证件": "J",
    "港澳台居民居住证": "J",
    "外国人永久居留身份证": "J",
    "临时编号": "L",
    **{str(label): code for code, label in IdKind.choices},
}
_GENDERS = {
    "男": Gender.MALE,
    "女": Gender.FEMALE,
    "未知": Gender.UNKNOWN,
    "未说明": Gender.UNSPECIFIED,
    **{code: code for code in Gender.values},
    **{str(label): code for code, label in Gender.choices},
}
_FIELD_COLUMN = {
    "name": NAME,
    "id_kind": KIND,
    "id_number": NUMBER,
    "gender": GENDER,
    "birth_date": BIRTH,
    "phone": PHONE,
}
_LIMITS = {GRADE: 20, CLASS: 50, POST: 50, STAFF_NO: 50}
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
_LOOKUP_CHUNK = 900  # stays under SQLite's bound-parameter limit
_BATCH = 1000

T = TypeVar("T")


@dataclass(frozen=True)
class ImportReport:
    """What an accepted import wrote."""

    rows: int
    persons_created: int
    persons_reused: int
    enrolments: int
    employments: int
    unchanged: int
    encoding: str
    sm3: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """One Chinese sentence for the console and the CLI."""
        return (
            f"共 {self.rows} 行：新建人员 {self.persons_created} 人，沿用已有人员 {self.persons_reused} 人，"
            f"新增学籍 {self.enrolments} 条，新增任职 {self.employments} 条，未变化 {self.unchanged} 条"
        )


@dataclass
class _Row:
    """One accepted row, resolved."""

    row: int
    name: str
    id_kind: str
    id_number: str
    digest: str
    gender: str
    birth_date: dt.date | None
    phone: str | None
    role: str | None = None
    code: str = ""
    org: Org | None = None
    grade: str = ""
    class_name: str = ""
    post: str = ""
    staff_number: str = ""
    start: dt.date | None = None
    existing: Any = None  # pk of the registered person this row reuses
    unchanged: bool = False


def parse_date(text: str) -> dt.date | None:
    """A date as officials type it (2024-09-01, 2024/9/1, 20240901, 2024年9月1日, Excel datetimes)."""
    value = text.strip().split(" ")[0].split("T")[0]
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def _chunks(items: list[T], size: int = _LOOKUP_CHUNK) -> Iterator[list[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class _Importer:
    def __init__(self, actor: Any, scope: Scope) -> None:
        self.actor = actor
        self.scope = scope
        self.province_wide = selectors.is_province_wide(scope)
        self.problems: list[Problem] = []
        self.rows: list[_Row] = []
        self.digest_field: Any = Person._meta.get_field("id_number_bidx")

    def problem(self, row: int, column: str, reason: str) -> None:
        self.problems.append(Problem(row, column, reason))

    # -- per row ----------------------------------------------------------------------------
    def parse(self, row_no: int, cells: dict[str, str]) -> None:
        ok = True
        kind_text = cells.get(KIND, "")
        kind = _KINDS.get(kind_text.strip().upper()) or _KINDS.get(kind_text.strip())
        if not kind:
            self.problem(row_no, KIND, "证件类型无效，应为 G、J、L 或 居民身份证、其他证件、临时编号")
            ok = False
        gender_text = cells.get(GENDER, "").strip()
        gender = _GENDERS.get(gender_text) if gender_text else None
        if gender_text and gender is None:
            self.problem(row_no, GENDER, "性别无效，应为 男、女 或 GB/T 2261.1 代码（0、1、2、9）")
            ok = False
        birth_text = cells.get(BIRTH, "").strip()
        birth = parse_date(birth_text) if birth_text else None
        if birth_text and birth is None:
            self.problem(row_no, BIRTH, f"出生日期「{birth_text}」无法识别，请写成 YYYY-MM-DD")
            ok = False
        fields, problems = check_person_fields(
            name=cells.get(NAME, ""),
            id_kind=kind or "",
            id_number=cells.get(NUMBER, ""),
            gender=gender,
            birth_date=birth,
            phone=cells.get(PHONE, ""),
        )
        for field, reason in problems:
            if field == "id_kind" and not kind:
                continue
            self.problem(row_no, _FIELD_COLUMN[field], reason)
        membership = self._membership(row_no, cells)
        if fields is None or not ok or membership is None:
            return
        self.rows.append(
            _Row(
                row=row_no,
                name=fields.name,
                id_kind=fields.id_kind,
                id_number=fields.id_number,
                digest=self.digest_field.digest(fields.id_number),
                gender=fields.gender,
                birth_date=fields.birth_date,
                phone=fields.phone,
                **membership,
            )
        )

    def _membership(self, row_no: int, cells: dict[str, str]) -> dict[str, Any] | None:
        """The membership columns of one row, or ``None`` after recording its problems."""
        before = len(self.problems)
        code = cells.get(SCHOOL, "").strip()
        role_text = cells.get(ROLE, "").strip()
        role = _ROLES.get(role_text) if role_text else None
        values = {column: cells.get(column, "").strip() for column in (GRADE, CLASS, POST, STAFF_NO)}
        start_text = cells.get(START, "").strip()
        if role_text and role is None:
            self.problem(row_no, ROLE, "身份无效，应为 学生 或 教职工")
        if code and not role_text:
            self.problem(row_no, ROLE, "填写了学校标识码时须填写身份（学生或教职工）")
        if role_text and not code:
            self.problem(row_no, SCHOOL, "填写了身份时须填写学校标识码")
        if not code and not role_text:
            if any(values.values()) or start_text:
                self.problem(row_no, SCHOOL, "填写了年级、班级、岗位或日期时须填写学校标识码和身份")
            elif not self.province_wide:
                self.problem(row_no, SCHOOL, "未填写学校标识码：只有省级用户可以导入不属于任何学校的人员")
        for column, limit in _LIMITS.items():
            if len(values[column]) > limit:
                self.problem(row_no, column, f"不能超过 {limit} 个字")
        if role == STAFF:
            for column in (GRADE, CLASS):
                if values[column]:
                    self.problem(row_no, column, "年级、班级只适用于学生")
        if role == STUDENT:
            for column in (POST, STAFF_NO):
                if values[column]:
                    self.problem(row_no, column, "岗位、教职工号只适用于教职工")
        start = parse_date(start_text) if start_text else None
        if role_text and not start_text:
            self.problem(row_no, START, "须填写入学或入职日期")
        elif start_text and start is None:
            self.problem(row_no, START, f"日期「{start_text}」无法识别，请写成 YYYY-MM-DD")
        if len(self.problems) > before:
            return None
        return {
            "role": role,
            "code": code,
            "grade": values[GRADE],
            "class_name": values[CLASS],
            "post": values[POST],
            "staff_number": values[STAFF_NO],
            "start": start,
        }

    # -- across rows and against the database ------------------------------------------------
    def resolve_orgs(self) -> None:
        codes = sorted({r.code for r in self.rows if r.code})
        orgs: dict[str, Org] = {}
        for chunk in _chunks(codes):
            orgs.update({o.code: o for o in Org.objects.filter(code__in=chunk)})
            missing = [c for c in chunk if c not in orgs]
            if missing:
                for sc in SchoolCode.objects.filter(code__in=missing).select_related("org"):
                    orgs[sc.code] = sc.org  # a retired code still names its school
        for row in self.rows:
            if not row.code:
                continue
            org = orgs.get(row.code)
            if org is None:
                self.problem(row.row, SCHOOL, f"学校标识码 {row.code} 不存在")
            elif not self.scope.covers(org.path):
                self.problem(row.row, SCHOOL, f"「{org.name}」不在您的管辖范围内")
            elif org.status != OrgStatus.ACTIVE:
                self.problem(row.row, SCHOOL, f"「{org.name}」已撤销")
            elif row.role == STUDENT and org.kind != OrgKind.SCHOOL:
                self.problem(row.row, SCHOOL, f"「{org.name}」不是学校，学生只能登记在学校")
            elif row.birth_date and row.start and row.start < row.birth_date:
                self.problem(row.row, START, "入学或入职日期早于出生日期")
            else:
                row.org = org

    def check_duplicates(self) -> None:
        first: dict[str, int] = {}
        for row in self.rows:
            if row.digest in first:
                self.problem(row.row, NUMBER, f"与第 {first[row.digest]} 行的证件号码重复")
            else:
                first[row.digest] = row.row

    def resolve_existing(self) -> None:
        digests = list({r.digest for r in self.rows})
        found: dict[str, tuple[Any, str, Any]] = {}
        for chunk in _chunks(digests):
            for pk, digest, name, merged in Person.objects.filter(id_number_bidx__in=chunk).values_list(
                "pk", "id_number_bidx", "name", "merged_into_id"
            ):
                found[digest] = (pk, name, merged)
        for row in self.rows:
            hit = found.get(row.digest)
            if hit is None:
                continue
            pk, name, merged = hit
            if merged is not None:
                pk = selectors._resolve_merges(pk)
                name = Person.objects.filter(pk=pk).values_list("name", flat=True).first() or name
            if name != row.name:
                self.problem(row.row, NUMBER, "该证件号码已登记，但姓名与系统中的记录不一致，请核对姓名或证件号码")
            else:
                row.existing = pk
        self._check_existing_memberships([r for r in self.rows if r.existing is not None])

    def _check_existing_memberships(self, rows: list[_Row]) -> None:
        pks = list({r.existing for r in rows})
        enrolments: dict[Any, tuple[Any, str, str, str]] = {}
        employments: dict[Any, list[tuple[Any, str, str, str]]] = {}
        for chunk in _chunks(pks):
            for person, school, path, grade, class_name in Enrolment.objects.filter(
                person_id__in=chunk, end__isnull=True
            ).values_list("person_id", "school_id", "school__path", "grade", "class_name"):
                enrolments[person] = (school, path, grade, class_name)
            for person, org, path, post, staff_number in Employment.objects.filter(
                person_id__in=chunk, end__isnull=True
            ).values_list("person_id", "org_id", "org__path", "post", "staff_number"):
                employments.setdefault(person, []).append((org, path, post, staff_number))
        for row in rows:
            if row.org is None:
                continue
            enrolled = enrolments.get(row.existing)
            employed = employments.get(row.existing, [])
            if row.role == STUDENT and enrolled is not None:
                school, _, grade, class_name = enrolled
                if school != row.org.pk:
                    self.problem(row.row, SCHOOL, "该学生已在其他学校在读，请办理转学")
                elif (grade, class_name) != (row.grade, row.class_name):
                    self.problem(row.row, CLASS, "该学生已在本校在读，年级或班级与文件不同，请在系统中调整")
                else:
                    row.unchanged = True
                continue
            if row.role == STAFF:
                same = [e for e in employed if e[0] == row.org.pk]
                if same:
                    if any((post, number) == (row.post, row.staff_number) for _, _, post, number in same):
                        row.unchanged = True
                    else:
                        self.problem(row.row, POST, "该人员已在本单位任职，岗位或教职工号与文件不同，请在系统中调整")
                    continue
            paths = ([enrolled[1]] if enrolled else []) + [e[1] for e in employed]
            if any(not self.scope.covers(path) for path in paths):
                self.problem(
                    row.row,
                    NUMBER,
                    "该人员在您管辖范围以外的单位有在读或在职记录：学生请办理转学，教职工请先由原单位办理离职",
                )

    # -- writing ------------------------------------------------------------------------------
    def write(self, digest: str) -> tuple[int, int, int, int]:
        persons: list[Person] = []
        events: list[PersonEvent] = []
        enrolments: list[Enrolment] = []
        employments: list[Employment] = []
        for row in self.rows:
            if row.existing is None:
                person = Person(
                    name=row.name,
                    gender=row.gender,
                    birth_date=row.birth_date,
                    id_kind=row.id_kind,
                    id_number=row.id_number,
                    id_number_masked=mask_id_number(row.id_number),
                    phone=row.phone,
                    phone_masked=mask_phone(row.phone) if row.phone else "",
                )
                persons.append(person)
                events.append(
                    PersonEvent(
                        person=person,
                        kind="created",
                        detail={"id_kind": row.id_kind, "id_number": person.id_number_masked, "import": digest},
                    )
                )
                person_id = person.pk
            else:
                person_id = row.existing
            if row.org is None or row.unchanged:
                continue
            assert row.start is not None  # checked in _membership
            if row.role == STUDENT:
                enrolments.append(
                    Enrolment(
                        person_id=person_id,
                        school=row.org,
                        grade=row.grade,
                        class_name=row.class_name,
                        start=row.start,
                    )
                )
            else:
                employments.append(
                    Employment(
                        person_id=person_id,
                        org=row.org,
                        post=row.post,
                        staff_number=row.staff_number,
                        start=row.start,
                    )
                )
        Person.objects.bulk_create(persons, batch_size=_BATCH)
        PersonEvent.objects.bulk_create(events, batch_size=_BATCH)
        Enrolment.objects.bulk_create(enrolments, batch_size=_BATCH)
        Employment.objects.bulk_create(employments, batch_size=_BATCH)
        return (
            len(persons),
            len({r.existing for r in self.rows if r.existing is not None}),
            len(enrolments),
            len(employments),
        )

    def audit_org(self) -> Org | None:
        """The lowest org above every org the file touches (its auditors see the import)."""
        paths = {r.org.path for r in self.rows if r.org is not None}
        if not paths:
            return Org.objects.filter(depth=1).order_by("path").first()
        common = _common_prefix(paths)
        common = common[: len(common) - len(common) % Org.steplen]
        return Org.objects.filter(path=common).first() if common else None


def _common_prefix(paths: Iterable[str]) -> str:
    ordered = sorted(paths)
    first, last = ordered[0], ordered[-1]
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


@transaction.atomic
def import_people(*, actor: Any, data: bytes, filename: str) -> ImportReport:
    """Import persons and memberships from an XLSX/CSV file; all-or-nothing (``ImportRejected``)."""
    scope = scope_for(actor, "people.import")
    if scope.empty:
        raise PermissionDenied("您没有批量导入人员的权限")
    table = read_table(data, filename=filename, required=REQUIRED, optional=OPTIONAL)
    importer = _Importer(actor, scope)
    for row_no, cells in table.rows:
        importer.parse(row_no, cells)
    importer.resolve_orgs()
    importer.check_duplicates()
    importer.resolve_existing()
    if importer.problems:
        raise ImportRejected(
            sorted(importer.problems, key=lambda p: (p.row, COLUMNS.index(p.column) if p.column in COLUMNS else 99))
        )
    digest = sm3(data).hex()
    try:
        with transaction.atomic():
            created, reused, enrolled, employed = importer.write(digest)
    except IntegrityError as exc:
        raise ImportRejected(
            [Problem(0, "", "写入时发生冲突（可能有人同时登记了相同人员或学籍），未写入任何数据，请重新导入")]
        ) from exc
    report = ImportReport(
        rows=len(table.rows),
        persons_created=created,
        persons_reused=reused,
        enrolments=enrolled,
        employments=employed,
        unchanged=sum(1 for r in importer.rows if r.unchanged),
        encoding=table.encoding,
        sm3=digest,
    )
    audit.record(
        actor=actor,
        action="people.import",
        object_type="people.import",
        object_id=digest[:64],
        object_repr=filename[:200],
        org=importer.audit_org(),
        after={"file": filename, **report.as_dict()},
    )
    return report
