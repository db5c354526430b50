"""Write the demo province (``demo.plan``) into the database, idempotently and in bulk.

Rows go in with ``bulk_create`` in batches: tree paths are computed here
(treebeard materialised path: parent path + a 4-character base-36 step, ``numchild``
updated afterwards), and the encrypted identifier and phone columns are sealed by the
fields' own ``pre_save`` during ``bulk_create``. Persons are made only together with
the org they belong to, from a random generator seeded by (seed, org code), so
running the build again creates nothing, and a larger ``scale`` only adds the new
schools and their people. One ``demo.build`` audit event records the counts.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from edubase.accounts.models import Role, RoleAssignment, User
from edubase.accounts.permissions import BUILTIN_ROLES
from edubase.core import audit
from edubase.crypto.errors import KeyNotFound
from edubase.crypto.keyring import hierarchy, root_node_id
from edubase.demo import credentials as credentials_demo
from edubase.demo import datagov as datagov_demo
from edubase.demo import plan
from edubase.demo import secops as secops_demo
from edubase.demo.names import chinese_number, mobile_number, person_name
from edubase.orgs.models import Org, OrgHistory, OrgKind, SchoolCode
from edubase.orgs.standards import gb2260
from edubase.people.models import Employment, Enrolment, Gender, IdKind, Person
from edubase.people.standards.gb11643 import check_character, mask_id_number, mask_phone

DEFAULT_SCALE = 2000
DEFAULT_SEED = 2026
#: ages and grades are as of the start of the 2025–2026 school year, whatever today is,
#: so that the same seed gives the same birth dates (and citizen IDs) every time
REFERENCE_DATE = dt.date(2025, 9, 1)
#: persons written per bulk batch
PERSON_BATCH = 20_000
ORG_BATCH = 2_000
CREDENTIALS_FILE = "demo-credentials.txt"

Progress = Callable[[str], None]

#: (mean students, mean staff) per school of each category; ~20 persons per school overall
_HEADCOUNT: dict[str, tuple[int, int]] = {
    "11": (14, 4),
    "21": (19, 3),
    "22": (8, 2),
    "31": (23, 4),
    "32": (10, 2),
    "33": (8, 2),
    "34": (28, 5),
    "35": (8, 2),
    "36": (25, 4),
    "37": (6, 3),
    "41": (70, 10),
    "42": (20, 4),
    "51": (8, 4),
    "91": (6, 5),
    "92": (15, 3),
    "93": (10, 2),
}
_DEFAULT_HEADCOUNT = (10, 2)
#: (youngest, oldest) student age at the reference date
_AGES: dict[str, tuple[int, int]] = {
    "11": (3, 5),
    "21": (6, 11),
    "22": (25, 60),
    "31": (12, 14),
    "32": (12, 14),
    "33": (20, 55),
    "34": (15, 17),
    "35": (18, 45),
    "36": (15, 17),
    "37": (12, 16),
    "41": (18, 21),
    "42": (20, 45),
    "51": (6, 14),
    "91": (23, 28),
    "92": (18, 21),
    "93": (18, 50),
}
_ADULT = frozenset({"22", "33", "35", "42", "93"})
_KINDERGARTEN_GRADES = ("小班", "中班", "大班")
_SENIOR_GRADES = ("高一", "高二", "高三")
_SUBJECT_TEACHERS = (
    "语文教师",
    "数学教师",
    "英语教师",
    "物理教师",
    "化学教师",
    "生物教师",
    "历史教师",
    "地理教师",
    "道德与法治教师",
    "音乐教师",
    "体育教师",
    "美术教师",
    "信息技术教师",
    "科学教师",
    "心理健康教师",
    "会计",
    "网络管理员",
)
_KINDERGARTEN_POSTS = ("保教主任", "幼儿教师", "幼儿教师", "幼儿教师", "保育员", "保健医生")
_COLLEGE_POSTS = ("辅导员", "讲师", "讲师", "副教授", "教授", "实验员", "网络管理员")
_BUREAU_POSTS = ("科长", "科员", "科员", "网络安全管理员", "统计员", "督学")


@dataclass(frozen=True)
class Credential:
    """A demo user's login, printed once and kept in ``var/demo-credentials.txt``."""

    username: str
    role: str
    org: str
    password: str


@dataclass
class DemoReport:
    """What a build created and what the province holds now."""

    scale: int
    seed: int
    created: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    credentials: list[Credential] = field(default_factory=list)
    credentials_path: Path | None = None
    seconds: float = 0.0

    @property
    def created_anything(self) -> bool:
        return any(self.created.values())


# ------------------------------------------------------------------ tree paths


def _step(n: int) -> str:
    """The 4-character step of the ``n``-th child (treebeard's alphabet, base 36)."""
    alphabet, width = Org.alphabet, Org.steplen
    digits = ""
    while n:
        n, r = divmod(n, len(alphabet))
        digits = alphabet[r] + digits
    if len(digits) > width:
        raise ValueError(f"一个机构下的直属节点过多（超过 {len(alphabet) ** width - 1} 个）")
    return digits.rjust(width, alphabet[0])


def _unstep(text: str) -> int:
    alphabet = Org.alphabet
    n = 0
    for char in text:
        n = n * len(alphabet) + alphabet.index(char)
    return n


class _Tree:
    """The org tree as (code → pk, path) in memory, for placing new nodes without treebeard calls."""

    def __init__(self) -> None:
        width = Org.steplen
        self.pk: dict[str, int] = {}
        self.path: dict[str, str] = {}
        self.last_step: dict[str, int] = {}
        self.added_children: dict[str, int] = {}
        for pk, code, path in Org.objects.values_list("pk", "code", "path").iterator(chunk_size=5000):
            self.pk[code] = pk
            self.path[code] = path
            parent, step = path[:-width], _unstep(path[-width:])
            if step > self.last_step.get(parent, 0):
                self.last_step[parent] = step

    def place(self, spec: plan.NodeSpec) -> Org:
        """An unsaved ``Org`` for ``spec`` at the next free step under its parent."""
        parent_path = "" if spec.parent is None else self.path[spec.parent]
        step = self.last_step.get(parent_path, 0) + 1
        self.last_step[parent_path] = step
        path = parent_path + _step(step)
        if spec.parent is not None:
            self.added_children[parent_path] = self.added_children.get(parent_path, 0) + 1
        self.path[spec.code] = path
        return Org(
            path=path,
            depth=len(path) // Org.steplen,
            numchild=0,
            kind=spec.kind,
            name=spec.name,
            code=spec.code,
            region_code=spec.region,
            school_category=spec.category,
            address=spec.address,
        )


# ------------------------------------------------------------------ people


class _IdentityPool:
    """Hands out unique, checksum-valid citizen IDs (GB 11643) for a run."""

    def __init__(self) -> None:
        self.used: set[int] = set()

    def issue(self, rng: random.Random, region: str, born: dt.date, *, male: bool) -> str:
        day = born
        for attempt in range(40):
            if attempt and attempt % 10 == 0:
                day += dt.timedelta(days=1)  # that birthday is crowded in this county: the next one
            seq = rng.randrange(500) * 2 + (1 if male else 0)
            body = f"{region}{day:%Y%m%d}{seq:03d}"
            key = int(body)
            if key not in self.used:
                self.used.add(key)
                return body + check_character(body)
        raise RuntimeError(f"无法为 {region} {born} 生成不重复的身份证号")


def _birth(rng: random.Random, age: int) -> dt.date:
    """A birth date giving ``age`` full years at the reference date (cohorts cut on 1 September)."""
    start = dt.date(REFERENCE_DATE.year - age - 1, 9, 1)
    return start + dt.timedelta(days=rng.randrange(365))


def _grade(category: str, age: int, rng: random.Random) -> tuple[str, int]:
    """(grade label, years since enrolment) for a student of this age."""
    low, _ = _AGES.get(category, (6, 17))
    year = REFERENCE_DATE.year
    if category == "11":
        return _KINDERGARTEN_GRADES[min(age - 3, 2)], age - 3
    if category in {"21", "51"}:
        return f"{chinese_number(age - 5)}年级", age - 6
    if category in {"31", "32", "37"}:
        n = min(age - 12, 2)
        return f"{chinese_number(n + 7)}年级", n
    if category == "34":
        return _SENIOR_GRADES[age - 15], age - 15
    if category == "36":
        return f"{chinese_number(age - 14)}年级", age - 15
    if category in {"41", "92"}:
        return f"{year - (age - 18)}级", age - 18
    if category == "91":
        n = (age - low) % 3
        return f"{year - n}级硕士研究生", n
    n = rng.randrange(3) if category == "42" else 0
    return (f"{year - n}级" if category == "42" else f"{year}年秋季班"), n


def _staff_posts(category: str, kind: str, count: int) -> list[str]:
    if kind != OrgKind.SCHOOL:
        head = "局长" if kind == OrgKind.BUREAU else "主任"
        return [head] + [_BUREAU_POSTS[i % len(_BUREAU_POSTS)] for i in range(count - 1)]
    if category == "11":
        return ["园长"] + [_KINDERGARTEN_POSTS[i % len(_KINDERGARTEN_POSTS)] for i in range(count - 1)]
    if category in {"41", "42", "91", "92"}:
        return ["院长"] + [_COLLEGE_POSTS[i % len(_COLLEGE_POSTS)] for i in range(count - 1)]
    posts = ["校长"]
    if count > 4:
        posts.append("副校长")
    posts += [_SUBJECT_TEACHERS[i % len(_SUBJECT_TEACHERS)] for i in range(count - len(posts))]
    return posts[:count]


def _female_share(category: str, kind: str) -> float:
    if kind != OrgKind.SCHOOL:
        return 0.45
    return {"11": 0.95, "21": 0.75, "31": 0.65, "51": 0.7}.get(category, 0.55)


def _id_region(region: str) -> str:
    """The county code an ID issued in ``region`` carries (IDs carry county-level codes)."""
    if region == plan.PROVINCE_CODE:
        return "410105"  # the provincial departments sit in 金水区
    if region.endswith("00"):
        counties = gb2260.current_counties(region)
        return counties[0].code if counties else region
    return region


@dataclass
class _Batch:
    persons: list[Person] = field(default_factory=list)
    enrolments: list[Enrolment] = field(default_factory=list)
    employments: list[Employment] = field(default_factory=list)


class _Roster:
    """Generates the people of one org at a time into a batch."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.ids = _IdentityPool()

    def _person(self, rng: random.Random, *, region: str, age: int, female: bool, phone: bool) -> Person:
        born = _birth(rng, age)
        number = self.ids.issue(rng, region, born, male=not female)
        mobile = mobile_number(rng) if phone else None
        return Person(
            name=person_name(rng, female=female, birth_year=born.year),
            gender=Gender.FEMALE if female else Gender.MALE,
            birth_date=born,
            id_kind=IdKind.CITIZEN,
            id_number=number,
            id_number_masked=mask_id_number(number),
            phone=mobile,
            phone_masked=mask_phone(mobile) if mobile else "",
        )

    def members(self, spec: plan.NodeSpec, org_pk: int, batch: _Batch) -> None:
        """Staff (and, for a school, students) of one org, appended to ``batch``."""
        rng = random.Random(f"{self.seed}:{spec.code}")  # noqa: S311 - reproducible demo data, not secrets
        region = _id_region(spec.region)
        if spec.kind == OrgKind.SCHOOL:
            students_mean, staff_mean = _HEADCOUNT.get(spec.category, _DEFAULT_HEADCOUNT)
        elif spec.code == plan.DEPARTMENT_CODE:
            students_mean, staff_mean = 0, 12
        else:
            students_mean, staff_mean = 0, 6 if spec.kind == OrgKind.UNIT or spec.region.endswith("00") else 3
        staff = max(1, round(staff_mean * rng.uniform(0.7, 1.3)))
        students = round(students_mean * rng.uniform(0.7, 1.3))
        female_share = _female_share(spec.category, spec.kind)
        for k, post in enumerate(_staff_posts(spec.category, spec.kind, staff), start=1):
            age = rng.randint(23, 59) if k > 1 else rng.randint(42, 58)
            person = self._person(rng, region=region, age=age, female=rng.random() < female_share, phone=True)
            started = REFERENCE_DATE.year - rng.randint(0, min(age - 22, 30))
            number = f"{spec.code[4:]}{k:03d}" if spec.kind == OrgKind.SCHOOL else f"{spec.region}{k:03d}"
            batch.persons.append(person)
            batch.employments.append(
                Employment(person=person, org_id=org_pk, post=post, staff_number=number, start=dt.date(started, 9, 1))
            )
        low, high = _AGES.get(spec.category, (6, 17))
        adult = spec.category in _ADULT
        for _ in range(students):
            age = rng.randint(low, high)
            phone = adult or (age >= 15 and rng.random() < 0.6)
            person = self._person(rng, region=region, age=age, female=rng.random() < 0.49, phone=phone)
            grade, years_in = _grade(spec.category, age, rng)
            batch.persons.append(person)
            batch.enrolments.append(
                Enrolment(
                    person=person,
                    school_id=org_pk,
                    grade=grade,
                    class_name=f"{rng.randint(1, 8)}班",
                    start=dt.date(REFERENCE_DATE.year - years_in, 9, 1),
                )
            )


# ------------------------------------------------------------------ the build


def _drop_existing_identifiers(batch: _Batch) -> int:
    """Leave out persons whose citizen ID is already in the database (from a build at another scale)."""
    field_ = Person._meta.get_field("id_number_bidx")
    digests = {field_.digest(str(p.id_number)): p for p in batch.persons}
    taken: set[str] = set()
    keys = list(digests)
    for i in range(0, len(keys), 500):
        taken.update(
            Person.objects.filter(id_number_bidx__in=keys[i : i + 500]).values_list("id_number_bidx", flat=True)
        )
    if not taken:
        return 0
    dropped = {digests[d].pk for d in taken}
    batch.persons = [p for p in batch.persons if p.pk not in dropped]
    batch.enrolments = [e for e in batch.enrolments if e.person_id not in dropped]
    batch.employments = [e for e in batch.employments if e.person_id not in dropped]
    return len(dropped)


def _write(batch: _Batch, created: dict[str, int], *, check_existing: bool) -> None:
    if check_existing:
        _drop_existing_identifiers(batch)
    Person.objects.bulk_create(batch.persons, batch_size=2000)
    Enrolment.objects.bulk_create(batch.enrolments, batch_size=5000)
    Employment.objects.bulk_create(batch.employments, batch_size=5000)
    created["persons"] += len(batch.persons)
    created["enrolments"] += len(batch.enrolments)
    created["employments"] += len(batch.employments)


def _key_nodes() -> int:
    """The "1+M+N" key nodes of the 18 prefecture-level units (GB/T 2260), under the provincial root."""
    h = hierarchy()
    made = 0
    for prefecture in gb2260.current_prefectures(plan.PROVINCE_CODE[:2]):
        node_id = prefecture.code[:4] if prefecture.code.endswith("00") else prefecture.code
        try:
            h.node(node_id)
        except KeyNotFound:
            h.create_node(node_id, level="region", parent=root_node_id(), name=prefecture.name or node_id)
            made += 1
    return made


def _school_categories() -> dict[str, str]:
    from edubase.orgs.standards.school_categories import SCHOOL_CATEGORIES

    return dict(SCHOOL_CATEGORIES)


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _build_orgs(specs: list[plan.NodeSpec], tree: _Tree, created: dict[str, int], say: Progress) -> list[Org]:
    """Insert the specs not yet in the tree (parents first, siblings in code order); return the new orgs."""
    groups: dict[str | None, list[plan.NodeSpec]] = {}
    for spec in specs:
        if spec.code not in tree.path:
            groups.setdefault(spec.parent, []).append(spec)
    placed: list[tuple[plan.NodeSpec, Org]] = []
    for children in groups.values():
        for spec in sorted(children, key=lambda s: s.code):
            placed.append((spec, tree.place(spec)))
    now = timezone.now()
    done = 0
    for chunk in _chunks(placed, ORG_BATCH):
        Org.objects.bulk_create([org for _, org in chunk])
        for spec, org in chunk:
            tree.pk[spec.code] = org.pk
        SchoolCode.objects.bulk_create(
            [
                SchoolCode(code=org.code, org=org, category=spec.category)
                for spec, org in chunk
                if spec.kind == OrgKind.SCHOOL
            ]
        )
        OrgHistory.objects.bulk_create(
            [
                OrgHistory(
                    org=org,
                    name=org.name,
                    code=org.code,
                    parent_id=tree.pk[spec.parent] if spec.parent else None,
                    change="created",
                    valid_from=now,
                )
                for spec, org in chunk
            ]
        )
        done += len(chunk)
        if len(placed) > ORG_BATCH:
            say(f"机构 {done:,}/{len(placed):,}")
    for parent_path, n in tree.added_children.items():
        Org.objects.filter(path=parent_path).update(numchild=F("numchild") + n)
    tree.added_children.clear()
    created["orgs"] += len(placed)
    created["schools"] += sum(1 for spec, _ in placed if spec.kind == OrgKind.SCHOOL)
    return [org for _, org in placed]


def _build_people(
    specs: list[plan.NodeSpec], new_codes: set[str], tree: _Tree, seed: int, created: dict[str, int], say: Progress
) -> None:
    roster = _Roster(seed)
    check_existing = Person.objects.exists()
    batch = _Batch()
    todo = [s for s in specs if s.code in new_codes and s.kind in {OrgKind.SCHOOL, OrgKind.BUREAU, OrgKind.UNIT}]
    started = time.monotonic()
    for n, spec in enumerate(todo, start=1):
        roster.members(spec, tree.pk[spec.code], batch)
        if len(batch.persons) >= PERSON_BATCH or n == len(todo):
            _write(batch, created, check_existing=check_existing)
            batch = _Batch()
            rate = created["persons"] / max(time.monotonic() - started, 1e-9)
            say(f"人员 {created['persons']:,}（机构 {n:,}/{len(todo):,}，约 {rate:,.0f} 人/秒）")


def _password() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    while True:
        groups = ["".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3)]
        text = "-".join(groups)
        if any(c.isdigit() for c in text) and any(c.isupper() for c in text) and any(c.islower() for c in text):
            return text


#: role code → (username, org code) of the demo user holding it
_DEMO_USERS: dict[str, tuple[str, str]] = {
    "province_admin": ("province_admin", plan.PROVINCE_CODE),
    "city_admin": ("zhengzhou_admin", "410100"),
    "county_admin": ("zhongyuan_admin", plan.ANCHOR_COUNTY),
    "school_admin": ("school_admin", ""),
    "teacher": ("teacher", ""),
    "student": ("student", ""),
    "security_officer": ("security_officer", plan.PROVINCE_CODE),
    "data_officer": ("data_officer", "410100"),
    "reviewer": ("reviewer", plan.PROVINCE_CODE),
    "auditor": ("auditor", plan.PROVINCE_CODE),
    "credential_officer": ("credential_officer", credentials_demo.COLLEGE_CODE),
}


def _read_credentials(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    known: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 4 and not line.startswith("#"):
            known[parts[0]] = parts[3]
    return known


def _write_credentials(path: Path, credentials: list[Credential]) -> None:
    lines = ["# edubase 演示账号（仅用于演示环境，请勿在生产环境使用）", "# 用户名\t角色\t机构\t密码"]
    lines += [f"{c.username}\t{c.role}\t{c.org}\t{c.password}" for c in credentials]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)


def _anchor_people(school: Org) -> dict[str, Person | None]:
    staff = list(
        Employment.objects.filter(org=school, end__isnull=True).select_related("person").order_by("staff_number")[:2]
    )
    pupil = (
        Enrolment.objects.filter(school=school, end__isnull=True)
        .select_related("person")
        .order_by("grade", "class_name", "person__name")
        .first()
    )
    return {
        "school_admin": staff[0].person if staff else None,
        "teacher": staff[1].person if len(staff) > 1 else None,
        "student": pupil.person if pupil else None,
    }


def _build_users(created: dict[str, int], credentials_path: Path) -> list[Credential]:
    anchor = Org.objects.get(code=plan.anchor_school_code())
    people = _anchor_people(anchor)
    known = _read_credentials(credentials_path)
    credentials: list[Credential] = []
    for code, name, description, permissions in BUILTIN_ROLES:
        role, made = Role.objects.get_or_create(
            code=code,
            defaults={"name": name, "description": description, "permissions": permissions, "builtin": True},
        )
        created["roles"] += int(made)
        username, org_code = _DEMO_USERS.get(code, (code, plan.PROVINCE_CODE))
        org = anchor if not org_code else Org.objects.get(code=org_code)
        person = people.get(code)
        user = User.objects.filter(username=username).first()
        password = known.get(username, "")
        if user is None:
            password = _password()
            user = User(
                username=username,
                display_name=person.name if person else f"{org.name}{role.name}",
                person=person,
            )
            user.set_password(password)
            user.save()
            created["users"] += 1
        elif not password or not user.check_password(password):
            password = _password()
            user.set_password(password)
            user.save(update_fields=["password"])
            created["passwords_reset"] += 1
        _, made = RoleAssignment.objects.get_or_create(user=user, role=role, org=org)
        created["assignments"] += int(made)
        credentials.append(Credential(username, role.name, org.name, password))
    _write_credentials(credentials_path, credentials)
    return credentials


def _totals() -> dict[str, int]:
    return {
        "orgs": Org.objects.count(),
        "schools": Org.objects.filter(kind=OrgKind.SCHOOL).count(),
        "persons": Person.objects.count(),
        "enrolments": Enrolment.objects.filter(end__isnull=True).count(),
        "employments": Employment.objects.filter(end__isnull=True).count(),
        "users": User.objects.count(),
    }


@contextmanager
def _large_page_cache() -> Iterator[None]:
    """On SQLite, a 1 GiB page cache for the build: the random keys of the blind indexes and UUIDs
    otherwise make every insert into a large table read pages back from disk."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size = -1048576")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def build_demo(
    *,
    scale: int = DEFAULT_SCALE,
    seed: int = DEFAULT_SEED,
    credentials_path: Path | None = None,
    progress: Progress | None = None,
) -> DemoReport:
    """Build (or complete) the demo province of ``scale`` schools (~20 persons each); one transaction."""
    say: Progress = progress or (lambda _message: None)
    started = time.monotonic()
    categories = _school_categories()
    specs = plan.structure() + plan.schools(scale, categories)
    path = credentials_path or Path(settings.VAR_DIR) / CREDENTIALS_FILE
    report = DemoReport(scale=scale, seed=seed, credentials_path=path)
    created = report.created
    for key in ("key_nodes", "orgs", "schools", "persons", "enrolments", "employments", "roles", "users"):
        created[key] = 0
    created["assignments"] = created["passwords_reset"] = 0
    created["key_nodes"] = _key_nodes()
    with transaction.atomic(), _large_page_cache():
        tree = _Tree()
        say(f"规划：{len(specs):,} 个机构节点（其中学校 {scale:,} 所），已有 {len(tree.path):,} 个")
        new_orgs = _build_orgs(specs, tree, created, say)
        _build_people(specs, {o.code for o in new_orgs}, tree, seed, created, say)
        known = _read_credentials(path)  # before _build_users rewrites it without the credentials demo's logins
        report.credentials = _build_users(created, path)
        secops_demo.build(seed=seed, created=created, progress=say)
        logins = credentials_demo.build(seed=seed, created=created, progress=say, known=known)
        report.credentials += [Credential(*login) for login in logins]
        _write_credentials(path, report.credentials)
        datagov_demo.build(seed=seed, created=created, progress=say)
        report.totals = _totals()
        if report.created_anything:
            province = Org.objects.get(code=plan.PROVINCE_CODE)
            audit.record(
                actor=None,
                action="demo.build",
                object_type="demo.province",
                object_id=plan.PROVINCE_CODE,
                object_repr="演示省份（河南省）",
                org=province,
                after={"scale": scale, "seed": seed, "created": dict(created), "totals": report.totals},
            )
    report.seconds = time.monotonic() - started
    return report
