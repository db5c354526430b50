"""The authorization matrix: every API route and every console page, for every persona.

Routes are discovered, not listed by hand: the API's routers (``edubase.api.api``) and the
URL patterns of the ``console`` namespace. Each discovered route is looked up in an
expectation table keyed by its path pattern (API, ``"GET /orgs/schools/{school_id}"``) or
its URL name (console, ``"console:school_detail"``). A route missing from the table fails
("route X has no authorization expectation"), so no route ships without saying who may use it.

Path parameters are filled from the ``world`` fixture: an object inside the persona's scope
("in") and one outside it ("out" — another school, another city; for the province admin,
who has no outside, an id that does not exist). Expectations, unless a row says otherwise:

- anonymous: 401 from the API, a redirect to the sign-in page from the console;
- a persona holding the route's permission nowhere: 403 or 404 (a list may answer 200, empty);
- an out-of-scope object: 404, exactly like a missing one (no existence leak);
- an in-scope object: the row's 2xx.

Every successful read is also searched for things the persona must never see: schools and
persons outside its scope (a school admin never sees another school's persons, a city admin
never another city's, an outsider nothing), other users' accounts and other users' tokens.
"""

from __future__ import annotations

import importlib
import io
import json
import re
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from edubase.accounts.models import ApiToken, Role, RoleAssignment, User
from edubase.accounts.permissions import BUILTIN_ROLES
from edubase.api import api
from edubase.core import audit
from edubase.core.models import AuditEvent
from edubase.workflow import engine
from edubase.workflow import services as wf_services
from edubase.workflow.models import ProcessInstance, WorkTask
from tests.authz.rules import DENIED, Body, Rule, Upload  # noqa: F401
from tests.factories import World, citizen_id, make_person, make_user

pytestmark = pytest.mark.django_db

API_PREFIX = "/api/v1"
PERSONAS = (
    "anonymous",
    "outsider",
    "student",
    "teacher",
    "school_admin",
    "county_admin",
    "city_admin",
    "province_admin",
)
GOOD_PASSWORD = "Henan-matrix-2026"

# --- who holds what (from the built-in roles each persona is given in tests/factories.py) ----

_ROLE_OF = {p: p for p in PERSONAS if p not in {"anonymous", "outsider"}}
_ROLE_PERMISSIONS = {code: frozenset(perms) for code, _name, _desc, perms in BUILTIN_ROLES}


def holds(persona: str, permission: str) -> bool:
    role = _ROLE_OF.get(persona)
    return role is not None and permission in _ROLE_PERMISSIONS[role]


# What each persona may see, written from the layout of the world (not computed by the code
# under test). school_a is in 中原区 (郑州), school_b in 金水区 (郑州), school_c in 老城区 (洛阳).
_SCHOOLS_SEEN: dict[str, set[str]] = {
    "anonymous": set(),
    "outsider": set(),
    "student": {"school_a"},
    "teacher": {"school_a"},
    "school_admin": {"school_a"},
    "county_admin": {"school_a"},
    "city_admin": {"school_a", "school_b"},
    "province_admin": {"school_a", "school_b", "school_c"},
}
_SCHOOL_A_PEOPLE = {"student_person", "teacher_person"}
_PERSONS_SEEN: dict[str, set[str]] = {
    "anonymous": set(),
    "outsider": set(),
    "student": {"student_person"},  # its own record, through its account
    "teacher": _SCHOOL_A_PEOPLE,
    "school_admin": _SCHOOL_A_PEOPLE,
    "county_admin": _SCHOOL_A_PEOPLE,
    "city_admin": _SCHOOL_A_PEOPLE | {"jinshui_student"},
    "province_admin": _SCHOOL_A_PEOPLE | {"jinshui_student", "luoyang_student", "newcomer"},
}
_SCHOOL_A_USERS = {"school_a_admin", "teacher_wang", "student_li"}
_USERS_SEEN: dict[str, set[str]] = {
    "anonymous": set(),
    "outsider": {"outsider"},
    "student": {"student_li"},
    "teacher": {"teacher_wang"},
    "school_admin": _SCHOOL_A_USERS,
    "county_admin": _SCHOOL_A_USERS | {"zy_county_admin"},
    "city_admin": _SCHOOL_A_USERS | {"zy_county_admin", "zz_city_admin"},
    "province_admin": _SCHOOL_A_USERS | {"zy_county_admin", "zz_city_admin", "province_admin", "ly_teacher_zhao"},
}


# --- the world, plus what the matrix needs on top of it --------------------------------------


@dataclass(frozen=True)
class Missing:
    """An object that does not exist (the province admin's "out": nothing is outside its scope)."""

    pk: Any
    code: str = "2141999999"
    region_code: str = "410199"


_MISSING_INT = Missing(pk=987654)
_MISSING_UUID = Missing(pk=uuid.UUID("00000000-0000-4000-8000-00000000abcd"))

#: object kind -> (in-scope attribute, out-of-scope attribute) of the Ctx
_KINDS: dict[str, tuple[str, str]] = {
    "school": ("school_a", "school_c"),
    "org": ("school_a", "school_c"),
    "county": ("zhongyuan", "laocheng"),
    "person": ("student_person", "luoyang_student"),
    "user": ("student", "ly_user"),
    "assignment": ("student_assignment", "ly_assignment"),
    # not scoped: the same object in both variants
    "own_token": ("own_token", "ly_token"),
    "newcomer": ("newcomer", "newcomer"),
    "transferee": ("jinshui_student", "jinshui_student"),
    "task": ("task_a", "task_c"),
    "case": ("case_a", "case_c"),
    "application": ("application_a", "application_c"),
    "service_item": ("service_item", "service_item"),
    "material": ("material_a", "material_c"),
}
_SCOPED_KINDS = {
    "school",
    "org",
    "county",
    "person",
    "user",
    "assignment",
    "task",
    "case",
    "application",
    "material",
}

#: apps' own rows live in extension modules: each has KINDS, SCOPED, PAGE_NAMESPACES, API_RULES,
#: CONSOLE_RULES and ``build(world, ly_user) -> {attribute: object}`` (its in/out objects)
EXTENSION_MODULES = (
    "tests.authz.ext_secops_registry",
    "tests.authz.ext_secops_findings",
    "tests.authz.ext_secops_notices",
    "tests.authz.ext_secops_incidents",
    "tests.authz.ext_secops_logs",
    "tests.authz.ext_secops_sources",
    "tests.authz.ext_datagov",
    "tests.authz.ext_datagov_pool",
    "tests.authz.ext_datagov_sharing",
    "tests.authz.ext_credentials",
)
EXTENSIONS = [importlib.import_module(name) for name in EXTENSION_MODULES]
for _ext in EXTENSIONS:
    _KINDS.update(_ext.KINDS)
    _SCOPED_KINDS |= set(_ext.SCOPED)


@dataclass
class Ctx:
    """The world, the persona under test, and the extra objects the matrix uses."""

    world: World
    persona: str
    ly_user: User
    ly_assignment: RoleAssignment
    student_assignment: RoleAssignment
    newcomer: Any
    tokens: dict[str, ApiToken]
    events: dict[str, AuditEvent]
    case_a: ProcessInstance  # a generic approval of school A waiting for 中原区's reviewer
    case_c: ProcessInstance  # the same for school C (洛阳)
    task_a: WorkTask
    task_c: WorkTask
    application_a: Any = None  # a draft-free, submitted generic application of school A's admin
    application_c: Any = None  # the same for school C
    service_item: Any = None  # the matrix's published item (pk: its code)
    material_a: Any = None  # application A's one material
    material_c: Any = None
    extra: dict[str, Any] = field(default_factory=dict)  # the extension modules' objects

    @property
    def user(self) -> User | None:
        return None if self.persona == "anonymous" else self.world.personas()[self.persona]

    @property
    def own_token(self) -> ApiToken:
        return self.tokens[self.user.username] if self.user is not None else self.ly_token

    @property
    def ly_token(self) -> ApiToken:
        return self.tokens[self.ly_user.username]

    def obj(self, kind: str, variant: str) -> Any:
        inside, outside = _KINDS[kind]
        if variant == "out" and self.persona == "province_admin" and kind in _SCOPED_KINDS:
            return _MISSING_UUID if kind == "person" else _MISSING_INT
        name = outside if variant == "out" else inside
        if name in self.extra:
            return self.extra[name]
        found = getattr(self, name, None)  # the matrix's own objects, else the world's
        return found if found is not None else getattr(self.world, name)

    def forbidden(self, *, public_orgs: bool = False) -> dict[str, set[str]]:
        """Markers that must not appear in what this persona reads."""
        w = self.world
        schools = {"school_a": w.school_a, "school_b": w.school_b, "school_c": w.school_c}
        persons = {
            "student_person": w.student_person,
            "teacher_person": w.teacher_person,
            "luoyang_student": w.luoyang_student,
            "jinshui_student": w.jinshui_student,
            "newcomer": self.newcomer,
        }
        text: set[str] = set()
        for key, school in schools.items():
            if key not in _SCHOOLS_SEEN[self.persona] and not public_orgs:
                text |= {school.name, school.code}
        for key, person in persons.items():
            if key not in _PERSONS_SEEN[self.persona]:
                text |= {person.name, str(person.pk)}
        users = set(User.objects.values_list("username", flat=True)) - _USERS_SEEN[self.persona]
        own = self.user.username if self.user is not None else None
        prefixes = {t.prefix for name, t in self.tokens.items() if name != own}
        return {"text": text, "usernames": users, "prefixes": prefixes}


@pytest.fixture
def matrix_world(world: World) -> Callable[[str], Ctx]:
    """The world plus a Luoyang teacher account, a person with no membership, a token per
    user and an audit event per school."""
    ly_user = make_user("ly_teacher_zhao", role="teacher", org=world.school_c)
    newcomer = make_person("孙新生", citizen_id("410102", "20180808", "007"))
    tokens = {}
    for user in User.objects.all():
        prefix = secrets.token_hex(4)
        tokens[user.username] = ApiToken.objects.create(
            user=user, name="矩阵测试", prefix=prefix, digest="0" * 64, permissions=["orgs.view"]
        )
    events = {
        key: audit.record(actor="system", action="matrix.touch", obj=getattr(world, key), org=getattr(world, key))
        for key in ("school_a", "school_b", "school_c")
    }
    # approvals: the county admin also reviews for 中原区, so one persona is a candidate
    wf_services.publish_shipped(actor=world.province_admin)
    RoleAssignment.objects.create(user=world.county_admin, role=Role.objects.get(code="reviewer"), org=world.zhongyuan)
    cases = {}
    for key, school, applicant in (("a", world.school_a, world.school_admin), ("c", world.school_c, ly_user)):
        case = engine.start("generic_approval", subject=school, org=school, actor=applicant)
        submit = WorkTask.objects.get(instance=case, element_id="submit")
        engine.complete(submit, actor=applicant, data={"reason": "矩阵测试申请"})
        cases[key] = (ProcessInstance.objects.get(pk=case.pk), WorkTask.objects.get(instance=case, element_id="review"))

    from tests.services.conftest import matrix_applications

    applications = matrix_applications(world, ly_user)
    extra: dict[str, Any] = {}
    for ext in EXTENSIONS:
        extra.update(ext.build(world, ly_user))

    def for_persona(persona: str) -> Ctx:
        return Ctx(
            world=world,
            persona=persona,
            ly_user=ly_user,
            ly_assignment=RoleAssignment.objects.get(user=ly_user),
            student_assignment=RoleAssignment.objects.get(user=world.student),
            newcomer=newcomer,
            tokens=tokens,
            events=events,
            case_a=cases["a"][0],
            case_c=cases["c"][0],
            task_a=cases["a"][1],
            task_c=cases["c"][1],
            **applications,
            extra=extra,
        )

    return for_persona


# --- the expectation table -------------------------------------------------------------------

_NOT_REVIEWERS = frozenset({"province_admin", "city_admin", "school_admin", "teacher", "student"})
_NOT_APPLICANT = frozenset({"province_admin", "city_admin", "county_admin", "teacher", "student"})


def _matrix_bpmn() -> str:
    from pathlib import Path

    import edubase.workflow

    shipped = Path(edubase.workflow.__file__).parent / "processes" / "generic_approval.bpmn"
    return shipped.read_text(encoding="utf-8").replace('id="generic_approval"', 'id="matrix_approval"')


def _school_csv(ctx: Ctx, variant: str) -> tuple[str, bytes]:
    county = ctx.obj("county", variant)
    lines = ["学校标识码,学校名称,学校类别,所在县区代码,地址", f",矩阵测试第九十八小学,21,{county.region_code},"]
    return "schools.csv", ("\n".join(lines) + "\n").encode()


def _people_csv(ctx: Ctx, variant: str) -> tuple[str, bytes]:
    school = ctx.obj("school", variant)
    header = "姓名,证件类型,证件号码,性别,手机号码,学校标识码,身份,年级,班级,岗位,教职工号,入学/入职日期"
    row = f"吴新生,G,{citizen_id('410102', '20170303', '013')},,,{school.code},学生,一年级,1班,,,2025-09-01"
    return "people.csv", (header + "\n" + row + "\n").encode()


API_RULES: dict[str, Rule] = {
    "GET /health": Rule(public=True),
    "GET /version": Rule(public=True),
    # orgs
    "GET /orgs": Rule(perm="orgs.view", lists=True),
    "GET /orgs/{org_id}": Rule(perm="orgs.view", params={"org_id": "org"}),
    "GET /orgs/schools": Rule(perm="orgs.view", lists=True, shows=lambda c: c.world.school_a.code),
    "GET /orgs/schools/export": Rule(perm="orgs.view", lists=True, shows=lambda c: c.world.school_a.name),
    "GET /orgs/schools/{school_id}": Rule(perm="orgs.view", params={"school_id": "school"}),
    "POST /orgs/schools": Rule(
        perm="orgs.change",
        body=lambda c, v: {"parent_id": c.obj("county", v).pk, "name": "矩阵测试第九十九小学", "category": "21"},
        body_refs=True,
        ok=frozenset({201}),
    ),
    "PATCH /orgs/schools/{school_id}": Rule(
        perm="orgs.change", params={"school_id": "school"}, body=lambda c, v: {"address": "建设路 1 号"}
    ),
    "POST /orgs/schools/import": Rule(
        perm="orgs.change",
        upload=_school_csv,
        body_refs=True,
        out=frozenset({403, 404, 422}),
        note="an import names its county in a row: out of scope is a row problem (422), nothing written",
    ),
    # people
    "GET /people": Rule(perm="people.view", lists=True, shows=lambda c: str(c.world.student_person.pk)),
    "GET /people/{person_id}": Rule(perm="people.view", params={"person_id": "person"}),
    "POST /people": Rule(
        perm="people.change",
        body=lambda c, v: {
            "name": "周新生",
            "id_kind": "G",
            "id_number": citizen_id("410102", "20190101", "011"),
            "org_id": c.obj("school", v).pk,
        },
        body_refs=True,
        ok=frozenset({201}),
    ),
    "POST /people/import": Rule(
        perm="people.import",
        upload=_people_csv,
        body_refs=True,
        out=frozenset({403, 404, 422}),
        note="an import names its school in a row: out of scope is a row problem (422), nothing written",
    ),
    "POST /people/{person_id}/enrolments": Rule(
        perm="people.change",
        params={"person_id": "newcomer"},
        body=lambda c, v: {
            "school_id": c.obj("school", v).pk,
            "grade": "一年级",
            "class_name": "1班",
            "start": "2025-09-01",
        },
        ok=frozenset({201}),
        note="the person may be anyone (a receiving school enrols newcomers); the school is what is scoped",
    ),
    "POST /people/{person_id}/employments": Rule(
        perm="people.change",
        params={"person_id": "newcomer"},
        body=lambda c, v: {
            "org_id": c.obj("school", v).pk,
            "post": "教师",
            "staff_number": "T900",
            "start": "2025-09-01",
        },
        ok=frozenset({201}),
        note="the person may be anyone (a new hire); the employing org is what is scoped",
    ),
    "POST /people/{person_id}/transfer": Rule(
        perm="people.change",
        params={"person_id": "transferee"},
        body=lambda c, v: {"to_school_id": c.obj("school", v).pk, "start": "2025-09-01"},
        ok=frozenset({201}),
        refused=frozenset({"school_admin", "county_admin"}),
        note="both schools must be in scope: the transferee studies at 金水区 (郑州), so only the city "
        "and the province may move them; the destination decides in/out",
    ),
    "POST /people/{person_id}/reveal": Rule(
        perm="people.reveal", params={"person_id": "person"}, body=lambda c, v: {"field": "id_number"}
    ),
    # accounts
    "GET /accounts/me": Rule(),
    "GET /accounts/users": Rule(perm="accounts.view", lists=True, shows=lambda c: "student_li"),
    "GET /accounts/users/{user_id}": Rule(perm="accounts.view", params={"user_id": "user"}),
    "GET /accounts/users/{user_id}/assignments": Rule(perm="accounts.view", params={"user_id": "user"}),
    "POST /accounts/users": Rule(
        perm="accounts.manage",
        body=lambda c, v: {
            "username": "matrix_new_user",
            "password": GOOD_PASSWORD,
            "role": "reviewer",
            "org_id": c.obj("school", v).pk,
        },
        body_refs=True,
        ok=frozenset({201}),
    ),
    "POST /accounts/users/{user_id}/assignments": Rule(
        perm="accounts.manage",
        params={"user_id": "user"},
        body=lambda c, v: {"role": "reviewer", "org_id": c.world.school_a.pk},
        ok=frozenset({201}),
    ),
    "DELETE /accounts/assignments/{assignment_id}": Rule(
        perm="accounts.manage", params={"assignment_id": "assignment"}, ok=frozenset({204})
    ),
    "GET /accounts/roles": Rule(perm="accounts.view", lists=True),
    "GET /accounts/tokens": Rule(),
    "POST /accounts/tokens": Rule(
        perm="orgs.view",
        body=lambda c, v: {"name": "矩阵", "permissions": ["orgs.view"]},
        ok=frozenset({201}),
        note="a token carries only permissions its user holds; orgs.view is the smallest",
    ),
    "DELETE /accounts/tokens/{token_id}": Rule(params={"token_id": "own_token"}, ok=frozenset({204})),
    # audit
    "GET /audit/events": Rule(
        perm="audit.view", lists=True, shows=lambda c: str(c.events["school_a"].pk), names_actors=True
    ),
    "GET /audit/verify": Rule(everything_only=True),
    # workflow: only a candidate of the step may act; who sees the case but is not a candidate gets 403
    "GET /workflow/tasks": Rule(lists=True),
    "POST /workflow/tasks/{task_id}/claim": Rule(
        perm="orgs.view",
        params={"task_id": "task"},
        refused=_NOT_REVIEWERS,
        note="the step belongs to reviewers of the case's county: of the personas only the county admin, "
        "who also holds the reviewer role on 中原区 in this matrix",
    ),
    "POST /workflow/tasks/{task_id}/complete": Rule(
        perm="orgs.view",
        params={"task_id": "task"},
        refused=_NOT_REVIEWERS,
        body=lambda c, v: {"data": {"decision": "approve"}, "comment": "同意"},
    ),
    "POST /workflow/tasks/{task_id}/return": Rule(
        perm="orgs.view",
        params={"task_id": "task"},
        refused=_NOT_REVIEWERS,
        body=lambda c, v: {"comment": "请补充材料"},
    ),
    "GET /workflow/instances/{instance_id}": Rule(perm="orgs.view", params={"instance_id": "case"}),
    "POST /workflow/definitions": Rule(
        perm="orgs.change",
        body=lambda c, v: {"key": "matrix_approval", "name": "矩阵测试流程", "bpmn_xml": _matrix_bpmn()},
        ok=frozenset({201}),
        refused=frozenset({"city_admin", "county_admin"}),
        note="publishing is for the province (orgs.change on a top-level org)",
    ),
    # workflow connectors: other systems create cases and subscribe to events on orgs they maintain
    "POST /workflow/connectors/cases": Rule(
        perm="orgs.change",
        body=lambda c, v: {
            "source": "矩阵系统",
            "external_id": f"M-{v}",
            "process_key": "generic_approval",
            "org_id": c.obj("school", v).pk,
            "data": {"reason": "矩阵测试"},
        },
        body_refs=True,
        ok=frozenset({201}),
    ),
    "GET /workflow/connectors/subscriptions": Rule(perm="orgs.change", lists=True),
    "POST /workflow/connectors/subscriptions": Rule(
        perm="orgs.change",
        body=lambda c, v: {"org_id": c.obj("school", v).pk, "name": "矩阵订阅", "url": "https://m.example.cn/hook"},
        body_refs=True,
        ok=frozenset({201}),
    ),
    "GET /workflow/connectors/stats": Rule(perm="orgs.view", shows=lambda c: "郑州市"),
    # services: the applicant (school A's admin) acts on its own application; others who see it get 403
    "GET /services/items": Rule(public=True),
    "GET /services/items/{code}": Rule(public=True, params={"code": "service_item"}),
    "POST /services/applications": Rule(
        body=lambda c, v: {"item_code": "MATRIX-001", "org_id": c.world.school_a.pk}, ok=frozenset({201})
    ),
    "GET /services/applications": Rule(lists=True),
    "GET /services/applications/{application_id}": Rule(perm="orgs.view", params={"application_id": "application"}),
    "POST /services/applications/{application_id}/materials": Rule(
        perm="orgs.view",
        params={"application_id": "application"},
        upload=lambda c, v: ("m.pdf", b"%PDF-1.4 matrix"),
        refused=_NOT_APPLICANT,
        ok=frozenset({409}),
        note="the application is submitted: materials can no longer change (409)",
    ),
    "POST /services/applications/{application_id}/submit": Rule(
        perm="orgs.view", params={"application_id": "application"}, refused=_NOT_APPLICANT, ok=frozenset({409})
    ),
    "POST /services/applications/{application_id}/resubmit": Rule(
        perm="orgs.view",
        params={"application_id": "application"},
        body=lambda c, v: {"comment": "已补正"},
        refused=_NOT_APPLICANT,
        ok=frozenset({409}),
    ),
    "POST /services/applications/{application_id}/rate": Rule(
        perm="orgs.view",
        params={"application_id": "application"},
        body=lambda c, v: {"level": 5},
        refused=_NOT_APPLICANT,
        ok=frozenset({409}),
        note="not completed yet: rating is refused (409)",
    ),
    "GET /services/applications/{application_id}/result.pdf": Rule(
        perm="orgs.view", params={"application_id": "application"}, ok=frozenset({409})
    ),
    "GET /services/stats": Rule(perm="orgs.view"),
    "POST /services/tasks/{task_id}/handle": Rule(
        perm="orgs.view",
        params={"task_id": "task"},
        refused=_NOT_REVIEWERS,
        body=lambda c, v: {"decision": "approve"},
        ok=frozenset({404}),
        note="the matrix's task is a generic case that is no application: its candidate gets 404",
    ),
}


def _reviewer_pk(ctx: Ctx, variant: str) -> dict[str, Any]:
    return {"role": Role.objects.get(code="reviewer").pk, "org_code": ctx.world.school_a.code}


CONSOLE_RULES: dict[str, Rule] = {
    "console:login": Rule(public=True, signed_in_redirects=True),
    "console:logout": Rule(public=True, method="POST", ok=frozenset({302})),
    "console:home": Rule(),
    "console:org_tree": Rule(perm="orgs.view", lists=True, query={"q": "第一"}, shows=lambda c: c.world.school_a.name),
    "console:org_children": Rule(perm="orgs.view", params={"pk": "org"}),
    "console:school_list": Rule(perm="orgs.view", lists=True, shows=lambda c: c.world.school_a.name),
    "console:school_export": Rule(perm="orgs.view", lists=True, shows=lambda c: c.world.school_a.name),
    "console:school_detail": Rule(perm="orgs.view", params={"pk": "school"}),
    "console:person_search": Rule(
        perm="people.view", lists=True, query={"name": "小"}, shows=lambda c: c.world.student_person.name
    ),
    "console:person_detail": Rule(perm="people.view", params={"pk": "person"}),
    "console:person_reveal": Rule(
        perm="people.reveal", method="POST", params={"pk": "person"}, body=lambda c, v: {"field": "id_number"}
    ),
    "console:user_list": Rule(perm="accounts.view", lists=True, shows=lambda c: "student_li"),
    "console:user_detail": Rule(perm="accounts.view", params={"pk": "user"}),
    "console:user_assign": Rule(
        perm="accounts.manage", method="POST", params={"pk": "user"}, body=_reviewer_pk, ok=frozenset({302})
    ),
    "console:user_revoke": Rule(
        perm="accounts.manage",
        method="POST",
        params={"pk": "user", "assignment_pk": "assignment"},
        ok=frozenset({302}),
    ),
    "console:user_unlock": Rule(perm="accounts.manage", method="POST", params={"pk": "user"}, ok=frozenset({302})),
    "console:role_list": Rule(perm="accounts.view", lists=True),
    "console:audit_log": Rule(perm="audit.view", lists=True, shows=lambda c: c.world.school_a.name, names_actors=True),
    # workflow pages: the inbox is anyone's; a task is acted on by its candidates only (see the API rows)
    "workflow:inbox": Rule(lists=True),
    "workflow:task": Rule(perm="orgs.view", params={"pk": "task"}),
    "workflow:task_claim": Rule(
        perm="orgs.view", method="POST", params={"pk": "task"}, refused=_NOT_REVIEWERS, ok=frozenset({302})
    ),
    "workflow:case": Rule(perm="orgs.view", params={"pk": "case"}),
    "workflow:definitions": Rule(
        perm="orgs.change", refused=frozenset({"city_admin", "county_admin"}), shows=lambda c: "generic_approval"
    ),
    "workflow:definition_upload": Rule(
        perm="orgs.change",
        method="POST",
        upload=lambda c, v: ("matrix.bpmn", _matrix_bpmn().encode()),
        refused=frozenset({"city_admin", "county_admin"}),
    ),
    "workflow:definition_publish": Rule(
        perm="orgs.change",
        method="POST",
        body=lambda c, v: {"key": "matrix_approval", "name": "矩阵测试流程", "bpmn_xml": _matrix_bpmn()},
        refused=frozenset({"city_admin", "county_admin"}),
        ok=frozenset({302}),
    ),
    # services pages: the catalogue is public; an application is seen by its applicant (school A's
    # admin) and by those viewing its handling org; only the applicant resubmits or rates, only a
    # candidate of the current step handles (the county admin reviews for 中原区 in this matrix)
    "services:catalogue": Rule(public=True, shows=lambda c: "矩阵测试事项"),
    "services:item_detail": Rule(public=True, params={"code": "service_item"}),
    "services:apply": Rule(
        params={"code": "service_item"},
        out=frozenset({200}),
        public_orgs=True,
        note="the form lists every school where the item may be handled: a public directory",
    ),
    "services:my_applications": Rule(lists=True),
    "services:handling": Rule(lists=True),
    "services:application_detail": Rule(perm="orgs.view", params={"pk": "application"}),
    "services:application_resubmit": Rule(
        perm="orgs.view",
        method="POST",
        params={"pk": "application"},
        refused=_NOT_APPLICANT,
        ok=frozenset({409}),
        note="not returned for correction: the applicant is told so (409); others may not (403)",
    ),
    "services:application_rate": Rule(
        perm="orgs.view",
        method="POST",
        params={"pk": "application"},
        body=lambda c, v: {"level": "5"},
        refused=_NOT_APPLICANT,
        ok=frozenset({409}),
        note="not completed yet: rating is refused (409)",
    ),
    "services:application_result": Rule(perm="orgs.view", params={"pk": "application"}, ok=frozenset({409})),
    "services:application_handle": Rule(
        perm="orgs.view",
        method="POST",
        params={"pk": "application"},
        body=lambda c, v: {"task": "0", "decision": "approve"},
        refused=frozenset(),
        ok=frozenset({409}),
        note="a task id that is not the viewer's current step: a clear 409, nothing handled",
    ),
    "services:stats": Rule(perm="orgs.view"),
    "services:material_download": Rule(perm="orgs.view", params={"pk": "application", "material_pk": "material"}),
}


# --- route discovery -------------------------------------------------------------------------

_PARAM = re.compile(r"\{(?:\w+:)?(\w+)\}")


def api_routes() -> list[str]:
    """``"METHOD /path/{param}"`` for every operation of every router mounted on the API."""
    get_resolver().url_patterns  # noqa: B018  (loads the URLconf, which binds the routers)
    bind = getattr(api, "_get_bound_routers", None)
    if bind is not None:
        bind()
    found = set()
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            full = "/" + "/".join(part for part in (prefix, path) if part).strip("/")
            full = _PARAM.sub(r"{\1}", re.sub("/+", "/", full))
            for operation in path_view.operations:
                for method in operation.methods:
                    found.add(f"{method.upper()} {full}")
    return sorted(found)


def _walk(patterns: list[Any], namespace: str) -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            yield (f"{namespace}:{entry.name}" if entry.name else f"{namespace}:<unnamed {entry.pattern}>"), entry


#: URL namespaces of console pages (apps below the console mount their own pages, e.g. workflow)
PAGE_NAMESPACES = ("console", "workflow", "services", *(ns for ext in EXTENSIONS for ns in ext.PAGE_NAMESPACES))
for _ext in EXTENSIONS:
    API_RULES.update(_ext.API_RULES)
    CONSOLE_RULES.update(_ext.CONSOLE_RULES)


def is_page(route: str) -> bool:
    """A console page (``"namespace:name"``), not an API operation (``"METHOD /path"``)."""
    return " " not in route


def console_routes() -> list[str]:
    """``"namespace:name"`` for every URL pattern of the console's page namespaces."""
    found: set[str] = set()
    namespaces = get_resolver().namespace_dict
    for namespace in PAGE_NAMESPACES:
        if namespace in namespaces:
            _prefix, resolver = namespaces[namespace]
            found |= {name for name, _ in _walk(resolver.url_patterns, namespace)}
    return sorted(found)


def expectation(route: str) -> Rule:
    table = CONSOLE_RULES if is_page(route) else API_RULES
    if route not in table:
        pytest.fail(f"route {route} has no authorization expectation: add it to the table in {__file__}")
    return table[route]


ROUTES = [("api", r) for r in api_routes()] + [("console", r) for r in console_routes()]


# --- calling a route and judging the answer --------------------------------------------------


def _client(ctx: Ctx) -> Client:
    client = Client()
    if ctx.user is not None:
        client.force_login(ctx.user)
    return client


def _url(route: str, rule: Rule, ctx: Ctx, variant: str) -> tuple[str, str]:
    kwargs = {name: ctx.obj(kind, variant).pk for name, kind in rule.params.items()}
    if is_page(route):
        return rule.method, reverse(route, kwargs=kwargs or None)
    method, path = route.split(" ", 1)
    for name, value in kwargs.items():
        path = path.replace("{" + name + "}", str(value))
    return method, API_PREFIX + path


def _call(client: Client, route: str, rule: Rule, ctx: Ctx, variant: str) -> tuple[str, Any]:
    method, url = _url(route, rule, ctx, variant)
    return method, _send(client, method, url, route, rule, ctx, variant)


def _send(client: Client, method: str, url: str, route: str, rule: Rule, ctx: Ctx, variant: str) -> Any:
    send = getattr(client, method.lower())
    if rule.upload is not None:
        name, data = rule.upload(ctx, variant)
        return send(url, {"file": SimpleUploadedFile(name, data)})
    if rule.body is not None:
        body = rule.body(ctx, variant)
        if is_page(route):
            return send(url, body)
        return send(url, json.dumps(body), content_type="application/json")
    return send(url, dict(rule.query)) if method == "GET" else send(url)


def _expected(route: str, rule: Rule, persona: str, variant: str) -> frozenset[int]:
    console = is_page(route)
    if rule.public:
        if rule.signed_in_redirects and persona != "anonymous":
            return frozenset({302})
        return rule.ok
    if persona == "anonymous":
        return frozenset({302}) if console else frozenset({401})
    if rule.everything_only:
        return frozenset({403})
    if rule.perm is not None and not holds(persona, rule.perm):
        return DENIED | {200} if rule.lists else DENIED
    if variant == "out":
        if rule.out is not None:
            return rule.out
        return frozenset({404}) if rule.params else DENIED
    if persona in rule.refused:
        return frozenset({403})
    return rule.ok


def _leaves(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v, key)
    else:
        yield key, value


def _readable(response: Any) -> tuple[list[tuple[str, Any]], str]:
    """(key, value) leaves of a JSON body, or ("", text) for HTML and spreadsheets."""
    kind = response.get("Content-Type", "")
    if "json" in kind:
        return list(_leaves(json.loads(response.content))), ""
    if "spreadsheetml" in kind:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(response.content), read_only=True)
        cells = [str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row if c]
        return [], "\n".join(cells)
    return [], response.content.decode(errors="replace")


def _leaks(response: Any, ctx: Ctx, *, public_orgs: bool = False, names_actors: bool = False) -> list[str]:
    forbidden = ctx.forbidden(public_orgs=public_orgs)
    if names_actors:
        forbidden["usernames"] = set()
    leaves, text = _readable(response)
    found = []
    if leaves:
        for key, value in leaves:
            if not isinstance(value, str):
                continue
            found += [m for m in forbidden["text"] if m in value]
            if key in {"username", "actor_label"} and value in forbidden["usernames"]:
                found.append(value)
            if key == "prefix" and value in forbidden["prefixes"]:
                found.append(f"token {value}")
    else:
        role_codes = {code for code, *_ in BUILTIN_ROLES}
        found += [m for m in forbidden["text"] if m in text]
        found += [u for u in forbidden["usernames"] if u not in role_codes and u in text]
        found += [f"token {p}" for p in forbidden["prefixes"] if p in text]
    return sorted(set(found))


def _is_empty(response: Any) -> bool:
    body = json.loads(response.content) if "json" in response.get("Content-Type", "") else None
    if isinstance(body, dict) and "items" in body:
        return body["items"] == []
    return body == [] if body is not None else True


def _shown(response: Any, marker: str) -> bool:
    leaves, text = _readable(response)
    return any(marker in str(v) for _, v in leaves) if leaves else marker in text


def check(route: str, persona: str, ctx: Ctx) -> list[str]:
    """Every way ``persona`` is let down or let in wrongly on ``route`` (empty: all as expected)."""
    rule = expectation(route)
    problems = []
    for variant in rule.variants():
        method, response = _call(_client(ctx), route, rule, ctx, variant)
        status = response.status_code
        expected = _expected(route, rule, persona, variant)
        where = f"{route} as {persona} ({variant} of scope)"
        if status not in expected:
            detail = response.content[:300].decode(errors="replace")
            problems.append(f"{where}: got {status}, expected one of {sorted(expected)} — {detail}")
            continue
        if status == 302 and persona == "anonymous" and not rule.public:
            location = response.get("Location", "")
            if not location.startswith(reverse("console:login")):
                problems.append(f"{where}: redirected to {location}, not to the sign-in page")
        if 200 <= status < 300 and method == "GET":
            leaked = _leaks(response, ctx, public_orgs=rule.public_orgs, names_actors=rule.names_actors)
            if leaked:
                problems.append(f"{where}: shows what is out of its scope: {leaked}")
            lacks = rule.perm is not None and not holds(persona, rule.perm)
            if lacks and rule.lists and not _is_empty(response):
                problems.append(f"{where}: holds no {rule.perm} yet the list is not empty")
            if not lacks and rule.shows is not None and persona != "anonymous" and not rule.public:
                marker = rule.shows(ctx)
                if not _shown(response, marker):
                    problems.append(f"{where}: does not show {marker!r}, which is in its scope")
    return problems


# --- the tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("surface", "route"), ROUTES, ids=[f"{s} {r}" for s, r in ROUTES])
def test_every_route_answers_every_persona_as_its_scope_allows(matrix_world, surface, route, persona):
    problems = check(route, persona, matrix_world(persona))
    assert not problems, "\n".join(problems)


def test_a_route_without_an_expectation_fails_the_matrix():
    with pytest.raises(pytest.fail.Exception, match="route GET /brand-new has no authorization expectation"):
        expectation("GET /brand-new")


def test_every_expectation_names_a_route_that_exists():
    discovered = set(api_routes()) | set(console_routes())
    stale = sorted((set(API_RULES) | set(CONSOLE_RULES)) - discovered)
    assert not stale, f"expectations for routes that no longer exist: {stale}"


def test_the_matrix_covers_the_api_and_the_console():
    routes = {r for _, r in ROUTES}
    assert "GET /people" in routes and "GET /orgs/schools/{school_id}" in routes and "GET /audit/events" in routes
    assert "console:person_search" in routes and "console:school_detail" in routes


# Spelled out, the sentences of the issue (the matrix above checks them for every route too).


def _people_names(client: Client) -> set[str]:
    response = client.get(f"{API_PREFIX}/people")
    assert response.status_code == 200
    return {p["name"] for p in response.json()["items"]}


def test_a_school_admin_never_sees_another_schools_persons(matrix_world):
    ctx = matrix_world("school_admin")
    names = _people_names(_client(ctx))
    assert ctx.world.student_person.name in names
    assert ctx.world.jinshui_student.name not in names and ctx.world.luoyang_student.name not in names


def test_a_city_admin_never_sees_another_citys_persons(matrix_world):
    ctx = matrix_world("city_admin")
    names = _people_names(_client(ctx))
    assert {ctx.world.student_person.name, ctx.world.jinshui_student.name} <= names
    assert ctx.world.luoyang_student.name not in names


def test_an_outsider_sees_nothing(matrix_world):
    client = _client(matrix_world("outsider"))
    for path in ("/people", "/orgs/schools", "/accounts/users", "/audit/events"):
        response = client.get(API_PREFIX + path)
        assert response.status_code == 403 or response.json()["items"] == [], path


def test_the_openapi_document_lists_every_route(client):
    response = client.get(f"{API_PREFIX}/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    documented = {
        method.upper() + " " + _PARAM.sub(r"{\1}", path.removeprefix(API_PREFIX))
        for path in paths
        for method in paths[path]
    }
    assert set(api_routes()) <= documented, sorted(set(api_routes()) - documented)
