"""The demo province's data governance picture (数据治理演示数据): catalogue, sharing and the roster pool.

Called by ``build_demo`` after the security picture. Everything goes through the real services:

* the anchor school's 学籍/教务 system, a SQLite database written under ``VAR_DIR/demo`` from the
  school's own demo pupils (姓名, 身份证件号, 联系电话, 家庭住址, 家庭经济困难, 心理测评结果 and
  non-personal code/year columns), is registered as a data source, scanned (classified and graded),
  its low-confidence findings reviewed by the data officer, and the student dataset published;
* 中原区教育局 asks for a share of it for student aid (学生资助); the approval chain (school, city,
  province data officers — sensitive personal information goes all the way up) approves it on the
  workflow engine and the bureau downloads its masked, watermarked extract;
* schools of several counties send their rosters to the provincial pool over three rounds: the
  first files are GBK and some are refused for row errors, accepted rosters start with gaps and an
  ID/sex mismatch and get better each round; a quality run after each round (dated on its round)
  makes the trend; a transfer between counties becomes a dual-enrolment conflict, and pupils known
  only by a temporary L-number are merged into their golden records (one automatically, one by review).

Deterministic: values come from generators seeded by (seed, …); rows come from the demo people.
Idempotent: each part is made once (marked by the data source, the share request's purpose text and
the first round's file name).
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from edubase.accounts.models import Role, RoleAssignment, User
from edubase.datagov.pool import contracts
from edubase.demo import plan
from edubase.demo.names import STREETS, mobile_number, person_name
from edubase.orgs.models import Org, OrgKind
from edubase.people.models import Enrolment, Gender

Progress = Callable[[str], None]

SOURCE_NAME = "学籍与教务管理系统"
SYSTEM_NAME = "校园学籍与教务管理系统（演示）"
STUDENT_TABLE = "xs_jbxx"
COURSE_TABLE = "kc_dm"
SHARE_PURPOSE_DETAIL = "核定本区家庭经济困难学生资助名单（演示）"
SHARE_FIELDS = ("姓名", "身份证件号", "联系电话", "家庭经济困难", "学校代码", "年级代码")
#: (days ago, label) of the roster rounds; the first round's first file name marks the pool part as done
ROUNDS: tuple[tuple[int, str], ...] = ((75, "第1轮"), (40, "第2轮"), (7, "第3轮"))
FIRST_FILE_SUFFIX = "演示花名册-第1轮-初报.csv"
POOL_COUNTIES = 4
SCHOOLS_PER_COUNTY = 2
PUPILS_PER_SCHOOL = 12
#: the entity each column of the school system holds ("" = nothing personal); the reviewer's answer
_EXPECTED: dict[str, str] = {
    "学号": "",
    "姓名": "person_name",
    "性别": "sex",
    "出生日期": "birth_date",
    "身份证件号": "citizen_id",
    "联系电话": "mobile",
    "家庭住址": "address",
    "家庭经济困难": "hardship_subsidy",
    "心理测评结果": "psych_assessment",
    "学校代码": "",
    "学年": "",
    "年级代码": "",
    "班级代码": "",
    "课程代码": "",
    "课程名称": "",
    "学时": "",
}
_HARDSHIP = ("否", "否", "否", "否", "建档立卡户", "低保家庭", "特困供养", "残疾学生家庭")
_PSYCH = ("正常", "正常", "正常", "正常", "轻度焦虑，建议关注", "SCL-90 阳性，需复评", "抑郁倾向，已转介")
_COURSES = (
    ("YW", "语文", 6),
    ("SX", "数学", 5),
    ("YY", "英语", 3),
    ("KX", "科学", 2),
    ("DF", "道德与法治", 2),
    ("TY", "体育与健康", 3),
    ("YS", "艺术", 2),
    ("XX", "信息科技", 1),
)


@dataclass
class _Users:
    officer: User  # data_officer (郑州市)
    province: User  # province_admin, also the province's data officer here
    school_admin: User
    county: User  # zhongyuan_admin (中原区), the requesting bureau's data officer


def _rng(seed: int, *parts: object) -> random.Random:
    return random.Random("-".join(str(p) for p in (seed, "datagov", *parts)))  # noqa: S311 - reproducible demo data


def _grant_role(user: User, role_code: str, org: Org, created: dict[str, int]) -> None:
    role = Role.objects.filter(code=role_code).first()
    if role is None:
        return
    _, made = RoleAssignment.objects.get_or_create(user=user, role=role, org=org)
    created["assignments"] = created.get("assignments", 0) + int(made)


def _users(created: dict[str, int]) -> _Users | None:
    found = {u.username: u for u in User.objects.filter(username__in=_USERNAMES)}
    if len(found) < len(_USERNAMES):
        return None
    province = Org.objects.filter(code=plan.PROVINCE_CODE).first()
    bureau = Org.objects.filter(code=plan.bureau_code(plan.ANCHOR_COUNTY)).first()
    if province is None or bureau is None:
        return None
    # the approval chain of sensitive data ends with the province's data officer, and the bureau asking
    # for a share of sensitive fields must ask as a data officer (the access policy says so)
    _grant_role(found["province_admin"], "data_officer", province, created)
    _grant_role(found["zhongyuan_admin"], "data_officer", bureau, created)
    return _Users(
        officer=found["data_officer"],
        province=found["province_admin"],
        school_admin=found["school_admin"],
        county=found["zhongyuan_admin"],
    )


_USERNAMES = ("data_officer", "province_admin", "school_admin", "zhongyuan_admin")


# ------------------------------------------------------------------ the school system


def _address(rng: random.Random, school: Org) -> str:
    from edubase.orgs.standards import gb2260

    county = gb2260.name_of(school.region_code) or ""
    city = gb2260.name_of(school.region_code[:4] + "00") or ""
    return f"{plan.PROVINCE_NAME}{city}{county}{rng.choice(STREETS)}{rng.randrange(1, 300)}号{rng.randint(1, 30)}栋"


def system_path(seed: int, school: Org) -> Path:
    """Where the demo school system's SQLite database lives."""
    return Path(settings.VAR_DIR) / "demo" / f"xueji-{school.code}-{seed}.sqlite3"


def write_school_system(seed: int, school: Org) -> Path:
    """Write (once) the anchor school's 学籍/教务 database from its demo pupils; deterministic."""
    path = system_path(seed, school)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    pupils = list(
        Enrolment.objects.filter(school=school, end__isnull=True)
        .select_related("person")
        .order_by("grade", "class_name", "pk")
    )
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    db = sqlite3.connect(partial)
    try:
        db.execute(
            f"CREATE TABLE {STUDENT_TABLE} (学号 TEXT PRIMARY KEY, 姓名 TEXT NOT NULL, 性别 TEXT, 出生日期 TEXT, "
            "身份证件号 TEXT, 联系电话 TEXT, 家庭住址 TEXT, 家庭经济困难 TEXT, 心理测评结果 TEXT, "
            "学校代码 TEXT, 学年 TEXT, 年级代码 TEXT, 班级代码 TEXT)"
        )
        db.execute(f"CREATE TABLE {COURSE_TABLE} (课程代码 TEXT PRIMARY KEY, 课程名称 TEXT, 学年 TEXT, 学时 INTEGER)")
        rows = []
        for n, enrolment in enumerate(pupils, start=1):
            person = enrolment.person
            rng = _rng(seed, "system", person.pk)
            grade = _grade_code(enrolment.grade) or "00"
            rows.append(
                (
                    f"{enrolment.start:%Y}{grade}{n:04d}",
                    person.name,
                    "男" if person.gender == Gender.MALE else "女",
                    person.birth_date.isoformat() if person.birth_date else "",
                    str(person.id_number),
                    mobile_number(rng),  # the guardian's mobile the school keeps as its contact
                    _address(rng, school),
                    rng.choice(_HARDSHIP),
                    rng.choice(_PSYCH),
                    school.code,
                    "2025-2026",
                    grade,
                    f"{grade}{(enrolment.class_name or '1班').rstrip('班').zfill(2)}",
                )
            )
        db.executemany(f"INSERT INTO {STUDENT_TABLE} VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)  # noqa: S608
        db.executemany(
            f"INSERT INTO {COURSE_TABLE} VALUES (?,?,?,?)",  # noqa: S608
            [
                (f"{code}{g:02d}", f"{name}（{g}年级）", "2025-2026", hours)
                for code, name, hours in _COURSES
                for g in (1, 3, 5)
            ],
        )
        db.commit()
    finally:
        db.close()
    partial.replace(path)
    return path


def _grade_code(label: str) -> str | None:
    from edubase.datagov.pool import codes

    return codes.normalise_code("grade", label)


# ------------------------------------------------------------------ catalogue


def _catalogue(seed: int, users: _Users, school: Org, created: dict[str, int], say: Progress) -> Any:
    """Source → scan → review → publish; returns the published student dataset (None when already there)."""
    from edubase.datagov import services as catalogue
    from edubase.datagov.models import DataElement, Dataset, DataSource, ReviewState, UpdateFrequency

    path = write_school_system(seed, school)  # again if the file went missing: shares read it
    if DataSource.objects.filter(org=school, name=SOURCE_NAME).exists():
        return None
    if not DataElement.objects.exists():
        catalogue.load_reference(actor=None)
    source = catalogue.create_source(
        actor=users.school_admin,
        org=school,
        name=SOURCE_NAME,
        kind="sqlite",
        location=str(path),
        system_name=SYSTEM_NAME,
        description="学校自建的学籍与教务管理系统（SQLite），含学生基本信息、资助与心理健康记录。",
    )
    created["datagov_sources"] += 1
    report = catalogue.scan_source(actor=users.officer, source=source)
    created["datagov_datasets"] += len(report.tables)
    summary = report.as_dict()
    say(
        f"数据治理：扫描「{source.name}」{summary['fields']} 个字段，"
        f"敏感 {summary['sensitive']}，待复核 {summary['needs_review']}"
    )
    datasets = {t.table: Dataset.objects.get(pk=t.dataset_id) for t in report.tables}
    for dataset in datasets.values():
        for field in dataset.fields.filter(review_state=ReviewState.NEEDS_REVIEW).order_by("position"):
            expected = _EXPECTED.get(field.name, field.detected_entity)
            catalogue.review_field(
                actor=users.officer,
                field=field,
                entity=expected or None,
                note="数据专员复核：与学校核实字段含义" if expected != field.detected_entity else "数据专员复核确认",
            )
            created["datagov_reviews"] += 1
    students = datasets[STUDENT_TABLE]
    catalogue.update_dataset(
        actor=users.officer,
        dataset=students,
        name=f"{school.name}学生基本信息",
        description="在籍学生的基本信息、联系方式、家庭经济困难认定与心理测评结果，每学期初更新。",
        tags=["学籍", "学生资助", "心理健康"],
        update_frequency=UpdateFrequency.TERMLY,
        steward=users.school_admin,
        minors_under_14=True,  # a primary school: every pupil's personal information is sensitive (PIPL art. 28)
    )
    courses = datasets[COURSE_TABLE]
    catalogue.update_dataset(
        actor=users.officer,
        dataset=courses,
        name=f"{school.name}课程代码表",
        description="本校开设课程的代码、名称与周学时。",
        tags=["教务", "代码表"],
        update_frequency=UpdateFrequency.YEARLY,
    )
    for dataset in (students, courses):
        catalogue.publish_dataset(actor=users.officer, dataset=dataset)
        created["datagov_published"] += 1
    from edubase.datagov.sharing import lifecycle

    lifecycle.set_retention(
        actor=users.officer,
        dataset=students,
        retain_days=365 * 3,
        on_expiry="archive",
        basis="学生毕业或转出后保存三年（学籍管理办法）",
    )
    students.refresh_from_db()
    return students


# ------------------------------------------------------------------ sharing


def _share(users: _Users, dataset: Any, created: dict[str, int], say: Progress) -> None:
    """中原区教育局 asks for the aid fields; the chain approves on the engine; the bureau downloads."""
    from edubase.datagov.sharing import services as sharing
    from edubase.datagov.sharing.models import ShareGrant, ShareRequest, ShareStatus

    if dataset is None or ShareRequest.objects.filter(dataset=dataset, purpose_detail=SHARE_PURPOSE_DETAIL).exists():
        return
    bureau = Org.objects.get(code=plan.bureau_code(plan.ANCHOR_COUNTY))
    today = timezone.localdate()
    request = sharing.submit_request(
        actor=users.county,
        dataset=dataset,
        requester_org=bureau,
        fields=list(SHARE_FIELDS),
        purpose="financial_aid",
        purpose_detail=SHARE_PURPOSE_DETAIL,
        period_start=today,
        period_end=today + dt.timedelta(days=180),
    )
    created["datagov_share_requests"] += 1
    approvers = {"org": users.officer, "city": users.officer, "province": users.province}
    for level in request.approval_levels:
        request = sharing.handle(actor=approvers[level], request=request, decision="approve")
    if request.status != ShareStatus.APPROVED:
        return
    grant = ShareGrant.objects.get(request=request)
    _filename, data, _extract = sharing.build_extract(actor=users.county, grant=grant, fmt="xlsx")
    created["datagov_extracts"] += 1
    # what the bureau makes of it is catalogued too, with its lineage back to the school's dataset
    from edubase.datagov import services as catalogue

    derived = catalogue.create_dataset(
        actor=users.officer,
        org=request.requester_org,
        name=f"{request.requester_org.name}家庭经济困难学生资助名单",
        description="由学校共享的学生基本信息（脱敏）核定的资助名单，每学期更新。",
        tags=["学生资助"],
        update_frequency="termly",
        derived_from=[dataset],
    )
    catalogue.publish_dataset(actor=users.officer, dataset=derived)
    created["datagov_datasets"] += 1
    created["datagov_published"] += 1
    say(
        f"数据治理：共享申请 {request.number} 经 {len(request.approval_levels)} 级审批同意，"
        f"脱敏数据文件 {len(data):,} 字节"
    )


# ------------------------------------------------------------------ the pool


@dataclass
class _Pupil:
    number: str  # G + citizen ID
    name: str
    sex: str
    birth: dt.date
    grade: str
    class_name: str
    enrol: dt.date
    guardian: str
    phone: str
    ethnicity: str


def _pool_schools() -> list[list[Org]]:
    """Schools of several counties (anchor county first), a few per county, that have pupils of graded years."""
    schools = (
        Org.objects.filter(kind=OrgKind.SCHOOL, school_category__in=["21", "31", "34"])
        .filter(pk__in=Enrolment.objects.filter(end__isnull=True).values("school_id"))
        .order_by("path")
    )
    by_county: dict[str, list[Org]] = {}
    for school in schools:
        parent = school.path[: -Org.steplen]
        by_county.setdefault(parent, []).append(school)
    anchor = Org.objects.filter(code=plan.ANCHOR_COUNTY).first()
    order = sorted(by_county, key=lambda p: (anchor is None or p != anchor.path, p))
    return [by_county[p][:SCHOOLS_PER_COUNTY] for p in order[:POOL_COUNTIES]]


def _pupils(seed: int, school: Org) -> list[_Pupil]:
    out: list[_Pupil] = []
    enrolments = (
        Enrolment.objects.filter(school=school, end__isnull=True).select_related("person").order_by("grade", "pk")
    )
    for enrolment in enrolments:
        grade = _grade_code(enrolment.grade)
        person = enrolment.person
        born = person.birth_date
        if grade is None or born is None or not person.id_number:
            continue
        rng = _rng(seed, "guardian", person.pk)
        out.append(
            _Pupil(
                number=f"G{person.id_number}",
                name=person.name,
                sex=person.gender,
                birth=born,
                grade=grade,
                class_name=enrolment.class_name,
                enrol=enrolment.start,
                guardian=person_name(rng, female=rng.random() < 0.6, birth_year=born.year - 28),
                phone=mobile_number(rng),
                ethnicity="01" if rng.random() < 0.9 else rng.choice(("03", "02", "11", "06")),
            )
        )
        if len(out) >= PUPILS_PER_SCHOOL:
            break
    return out


#: the roster columns in the collection contract's order (the demo sends what the contract accepts)
_HEADERS = tuple(c.header for c in contracts.COLUMNS)


def _row(seed: int, school: Org, pupil: _Pupil, round_no: int, index: int) -> list[str]:
    """One roster row: early rounds leave optional columns blank and get one pupil's sex wrong."""
    rng = _rng(seed, "round", school.code, pupil.number, round_no)
    gap = {1: 0.5, 2: 0.2}.get(round_no, 0.0)
    sex = pupil.sex
    if round_no == 1 and index == 0:
        sex = "2" if sex == "1" else "1"  # typed wrong at the school: the ID says otherwise
    return [
        school.code,
        pupil.number,
        pupil.name,
        sex,
        pupil.birth.isoformat(),
        "" if rng.random() < gap else pupil.ethnicity,
        pupil.grade,
        pupil.class_name,
        "" if rng.random() < gap * 0.6 else pupil.guardian,
        "" if rng.random() < gap * 1.4 else pupil.phone,
        "" if rng.random() < gap else pupil.enrol.isoformat(),
    ]


def _csv(rows: Sequence[Sequence[str]], *, gbk: bool) -> bytes:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(_HEADERS)
    writer.writerows(rows)
    return buffer.getvalue().encode("gb18030" if gbk else "utf-8")


def _broken(rows: list[list[str]]) -> list[list[str]]:
    """The first file a school sends: a mistyped student number and a sex written out in words."""
    bad = [list(r) for r in rows]
    if bad:
        number = bad[0][1]
        bad[0][1] = number[:-1] + ("0" if number[-1] != "0" else "1")
    if len(bad) > 1:
        bad[1][3] = "男生"
    return bad


def _pool(seed: int, users: _Users, now: dt.datetime, created: dict[str, int], say: Progress) -> None:
    from edubase.datagov.pool import services as pool
    from edubase.datagov.pool.models import MatchConflict, MatchReview, QualityRun, ReviewStatus, Submission

    if Submission.objects.filter(filename__endswith=FIRST_FILE_SUFFIX).exists():
        return
    counties = _pool_schools()
    schools = [s for county in counties for s in county]
    if not schools:
        return
    pupils = {s.pk: _pupils(seed, s) for s in schools}
    # a pupil who moved to another county's school is still on the old roster (dual enrolment);
    # two pupils a school knows only by a temporary L-number are pupils of another school
    mover_from, mover_to = schools[0], counties[-1][0]
    extra: dict[int, list[_Pupil]] = {s.pk: [] for s in schools}
    if mover_from.pk != mover_to.pk and pupils[mover_from.pk]:
        extra[mover_to.pk].append(pupils[mover_from.pk][-1])
    temporary = counties[1][0] if len(counties) > 1 else schools[-1]
    sources = [s for s in schools if s.pk != temporary.pk and len(pupils[s.pk]) >= 3]
    if sources:
        known = pupils[sources[-1].pk]
        for k, twin in enumerate(known[1:3]):
            rng = _rng(seed, "temporary", twin.number)
            letters = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(12))
            extra[temporary.pk].append(
                _Pupil(
                    number=f"L{temporary.code[-6:]}{letters}",
                    name=twin.name,
                    sex=twin.sex,
                    birth=twin.birth,
                    grade=twin.grade,
                    class_name=twin.class_name,
                    enrol=twin.enrol,
                    guardian=twin.guardian,
                    # the first has the same guardian phone (merged at once); the second only the name (review)
                    phone=twin.phone if k == 0 else "",
                    ethnicity=twin.ethnicity,
                )
            )
    officer = users.province
    for round_no, (days_ago, label) in enumerate(ROUNDS, start=1):
        when = now - dt.timedelta(days=days_ago)
        for n, school in enumerate(schools):
            # the mover shows up from the second round; the L-number pupils in the third (complete) one
            roster = list(pupils[school.pk]) + [
                p for p in extra[school.pk] if round_no >= (3 if p.number.startswith("L") else 2)
            ]
            if not roster:
                continue
            rows = [_row(seed, school, p, round_no, i) for i, p in enumerate(roster)]
            actor = users.school_admin if school.code == plan.anchor_school_code() else officer
            gbk = round_no == 1
            if round_no == 1 and n % 2 == 0:
                first = pool.submit_file(
                    actor=actor,
                    school=school,
                    filename=f"{school.code}-{FIRST_FILE_SUFFIX}",
                    data=_csv(_broken(rows), gbk=gbk),
                )
                Submission.objects.filter(pk=first.submission.pk).update(submitted_at=when - dt.timedelta(hours=3))
                created["datagov_pool_submissions"] += 1
            result = pool.submit_file(
                actor=actor,
                school=school,
                filename=f"{school.code}-演示花名册-{label}.csv",
                data=_csv(rows, gbk=gbk),
            )
            Submission.objects.filter(pk=result.submission.pk).update(submitted_at=when)
            created["datagov_pool_submissions"] += int(not result.duplicate)
        if round_no == 3:
            for review in MatchReview.objects.filter(status=ReviewStatus.OPEN).order_by("created_at", "pk"):
                pool.decide_review(actor=officer, review=review, merge=True)
        run = pool.run_quality(actor=officer, today=timezone.localdate(when))
        QualityRun.objects.filter(pk=run.pk).update(started_at=when + dt.timedelta(hours=2))
        created["datagov_quality_runs"] += 1
    # the old school confirms its side of the transfer conflict
    for conflict in MatchConflict.objects.filter(record__school=mover_from, resolved=False).order_by("pk"):
        pool.resolve_conflict(actor=officer, conflict=conflict)
    say(
        f"数据汇聚：{len(schools)} 所学校（{len(counties)} 个区县）报送 {len(ROUNDS)} 轮花名册，"
        f"质量评估 {len(ROUNDS)} 次"
    )


# ------------------------------------------------------------------ entry point


def build(
    *, seed: int, created: dict[str, int], progress: Progress | None = None, now: dt.datetime | None = None
) -> None:
    """Add the data governance picture to the demo province (see the module text); counts go into ``created``."""
    say: Progress = progress or (lambda _message: None)
    for key in (
        "datagov_sources",
        "datagov_datasets",
        "datagov_reviews",
        "datagov_published",
        "datagov_share_requests",
        "datagov_extracts",
        "datagov_pool_submissions",
        "datagov_quality_runs",
    ):
        created.setdefault(key, 0)
    now = now or timezone.now()
    users = _users(created)
    anchor = Org.objects.filter(code=plan.anchor_school_code()).first()
    if users is None or anchor is None:
        return
    dataset = _catalogue(seed, users, anchor, created, say)
    _share(users, dataset, created, say)
    _pool(seed, users, now, created, say)
