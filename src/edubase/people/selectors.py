"""Scoped reads of persons and memberships: every query starts from ``core.scope``.

Who sees a person: an actor holding the permission on an org where the person has an
OPEN enrolment (``end`` is null) or an OPEN employment. Actors whose scope covers a
whole province (a root node of the org tree) see every person, including persons not
yet attached to any org and persons merged into another.

The scope filter takes one of two index-friendly shapes, chosen by the size of the
scope (measured on PostgreSQL with 1,000,000 persons, 5,000 schools):

* a narrow scope (a school, a few orgs): ``pk IN (SELECT person_id … UNION …)`` — the
  ``org.path`` prefix index finds the orgs, the partial ``(school|org, person) WHERE end
  IS NULL`` indexes their open members; cost grows with the scope, not the table;
* a broad scope (a county, a city): ``EXISTS (open membership of this person at an org
  under the scope)`` — probed through the same partial indexes, row by row, so a
  first page or an exact identifier lookup stops after a few probes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import Exists, OuterRef, Q, QuerySet

from edubase.core.errors import NotFound
from edubase.core.scope import Scope, has_anywhere, scope_for, subtree_q
from edubase.orgs.models import Org
from edubase.people.models import Employment, Enrolment, Person, PersonEvent
from edubase.people.standards.gb11643 import normalize_id_number

#: longest chain of merges followed when an identifier belongs to a merged person
_MAX_MERGE_HOPS = 16
#: a scope with at most this many orgs is "narrow": its members are collected, not probed
NARROW_SCOPE_ORGS = 16


def root_paths() -> list[str]:
    """Paths of the top nodes of the org tree (one per province)."""
    return list(Org.objects.filter(depth=1).values_list("path", flat=True))


def is_province_wide(scope: Scope, roots: list[str] | None = None) -> bool:
    """Whether ``scope`` covers every top node of the org tree (everything for superusers)."""
    if scope.everything:
        return True
    roots = root_paths() if roots is None else roots
    return bool(roots) and all(scope.covers(path) for path in roots)


def _open_member_ids(scope: Scope) -> QuerySet[Any]:
    """``person_id`` of every open enrolment or employment at an org in ``scope``."""
    enrolled = Enrolment.objects.filter(scope.q("school__path"), end__isnull=True).values("person_id")
    employed = Employment.objects.filter(scope.q("org__path"), end__isnull=True).values("person_id")
    return enrolled.union(employed)


def _has_open_membership(scope: Scope | None) -> Q:
    """Persons with an open enrolment or employment (at an org in ``scope``, if given)."""
    enrolled = Enrolment.objects.filter(person_id=OuterRef("pk"), end__isnull=True)
    employed = Employment.objects.filter(person_id=OuterRef("pk"), end__isnull=True)
    if scope is not None:
        enrolled = enrolled.filter(scope.q("school__path"))
        employed = employed.filter(scope.q("org__path"))
    return Q(Exists(enrolled)) | Q(Exists(employed))


def _is_narrow(scope: Scope) -> bool:
    return Org.objects.filter(scope.q("path")).values("pk")[: NARROW_SCOPE_ORGS + 1].count() <= NARROW_SCOPE_ORGS


def persons_for(actor: Any, *, permission: str = "people.view") -> QuerySet[Person]:
    """Persons the actor holds ``permission`` on (see module docstring)."""
    scope = scope_for(actor, permission)
    if scope.empty:
        return Person.objects.none()
    roots = root_paths()
    if is_province_wide(scope, roots):
        return Person.objects.all()
    in_scope = Q(pk__in=_open_member_ids(scope)) if _is_narrow(scope) else _has_open_membership(scope)
    if any(path in scope.paths for path in roots):
        in_scope |= ~_has_open_membership(None)  # one province of several: its unattached persons too
    return Person.objects.filter(in_scope)


def _resolve_merges(pk: UUID) -> UUID:
    """Follow ``merged_into`` from ``pk`` to the person that was kept."""
    current = pk
    for _ in range(_MAX_MERGE_HOPS):
        nxt = Person.objects.filter(pk=current).values_list("merged_into_id", flat=True).first()
        if nxt is None:
            return current
        current = nxt
    return current


def id_number_digest(value: str) -> str:
    """Blind-index value of an identifier as typed (spaces dropped, upper-cased, ``G``/``J``/``L`` prefix cut)."""
    number = normalize_id_number(value)
    if len(number) == 19 and number[0] in "GJL":
        number = number[1:]  # the 19-character national form: kind letter + 18
    field = Person._meta.get_field("id_number_bidx")
    return field.digest(number)


def search_persons(actor: Any, *, name: str | None = None, id_number: str | None = None) -> QuerySet[Person]:
    """Persons in ``people.view`` scope whose name starts with ``name`` (a surname, a full name)
    and/or whose identifier is exactly ``id_number`` (blind index; an identifier of a merged
    person finds the kept one). Ordered by name.

    Prefix, not substring: a prefix walks the name index at any size (1,000,000 persons on
    PostgreSQL in milliseconds), a substring scans the table. Merged-away persons are left
    out of name searches."""
    persons = persons_for(actor)
    if id_number is not None and id_number.strip():
        pk = Person.objects.filter(id_number_bidx=id_number_digest(id_number)).values_list("pk", flat=True).first()
        if pk is None:
            return Person.objects.none()
        persons = persons.filter(pk=_resolve_merges(pk))
    else:
        persons = persons.filter(merged_into__isnull=True)
    if name is not None and name.strip():
        persons = persons.filter(name__startswith=name.strip())
    return persons.order_by("name", "pk")


def get_person(actor: Any, *, pk: UUID | str, permission: str = "people.view") -> Person:
    """The person ``pk``; ``NotFound`` when missing or outside the actor's scope."""
    try:
        key = pk if isinstance(pk, UUID) else UUID(str(pk))
    except ValueError as exc:
        raise NotFound() from exc
    person = persons_for(actor, permission=permission).filter(pk=key).first()
    if person is None:
        raise NotFound()
    return person


def find_person_for_write(actor: Any, *, pk: UUID | str, transfer: bool = False) -> Person:
    """The person ``pk`` as the subject of an enrolment, employment or (``transfer``) a transfer.

    A school must be able to enrol a newly registered person (no membership yet, so
    outside its view scope), and a receiving school must be able to take in a student
    from another school (转学 is initiated by the receiving school). So: a person in the
    actor's ``people.change`` scope, a person with no open membership, or — for a
    transfer — any person; the service then checks the destination org. Anyone else is
    ``NotFound``, the same answer as a missing person."""
    if not has_anywhere(actor, "people.change"):
        raise NotFound()
    try:
        key = pk if isinstance(pk, UUID) else UUID(str(pk))
    except ValueError as exc:
        raise NotFound() from exc
    person = Person.objects.filter(pk=key).first()
    if person is None:
        raise NotFound()
    if transfer or not open_membership_orgs(person):
        return person
    if not persons_for(actor, permission="people.change").filter(pk=key).exists():
        raise NotFound()
    return person


def memberships_of(actor: Any, person: Person) -> tuple[list[Enrolment], list[Employment]]:
    """Every enrolment and employment of a person the actor may see (history included, oldest first).

    A person visible to the actor brings their whole history, including past schools
    outside the actor's scope: that is what one lifelong ID is for."""
    if not persons_for(actor).filter(pk=person.pk).exists():
        raise NotFound()
    enrolments = list(Enrolment.objects.filter(person=person).select_related("school").order_by("start", "pk"))
    employments = list(Employment.objects.filter(person=person).select_related("org").order_by("start", "pk"))
    return enrolments, employments


@dataclass(frozen=True)
class PersonDetail:
    """A person with memberships and identity history (for detail pages and the API)."""

    person: Person
    enrolments: list[Enrolment]
    employments: list[Employment]
    events: list[PersonEvent]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.person, name)  # the person's own fields, masked ones included


def person_detail(actor: Any, *, pk: UUID | str) -> PersonDetail:
    """One person in ``people.view`` scope with every membership and identity event."""
    person = get_person(actor, pk=pk)
    enrolments, employments = memberships_of(actor, person)
    events = list(PersonEvent.objects.filter(person=person).order_by("at", "pk"))
    return PersonDetail(person, enrolments, employments, events)


def open_membership_orgs(person: Person) -> list[Org]:
    """Orgs where the person has an open enrolment or employment."""
    schools = Org.objects.filter(enrolments__person=person, enrolments__end__isnull=True)
    orgs = Org.objects.filter(employments__person=person, employments__end__isnull=True)
    found = {org.pk: org for org in [*schools, *orgs]}
    return list(found.values())


def _last_membership_org(person: Person) -> Org | None:
    """The org of the person's most recently ended enrolment or employment."""
    candidates = [
        m
        for m in (
            Enrolment.objects.filter(person=person).select_related("school").order_by("-end", "-pk").first(),
            Employment.objects.filter(person=person).select_related("org").order_by("-end", "-pk").first(),
        )
        if m is not None
    ]
    if not candidates:
        return None
    latest = max(candidates, key=lambda m: m.end or m.start)
    return latest.school if isinstance(latest, Enrolment) else latest.org


def covering_org(actor: Any, person: Person, permission: str, *, last_known: bool = False) -> Org | None:
    """An org where the actor holds ``permission`` and the person is an open member.

    A person with no open membership is covered, with ``last_known``, through the org of
    their latest membership (a former student's school may still correct the record),
    and always through the top node for a province-wide actor. ``None`` when not covered."""
    scope = scope_for(actor, permission)
    if scope.empty:
        return None
    orgs = open_membership_orgs(person)
    for org in orgs:
        if scope.covers(org.path):
            return org
    if orgs:
        return None
    if last_known:
        last = _last_membership_org(person)
        if last is not None and scope.covers(last.path):
            return last
    if is_province_wide(scope):
        return Org.objects.filter(depth=1).order_by("path").first()
    return None


def can_reveal(actor: Any, person: Person) -> bool:
    """Whether the actor may see the full identifier and phone number of ``person``."""
    return covering_org(actor, person, "people.reveal") is not None


def count_members(actor: Any, *, org: Org | None = None) -> dict[str, int]:
    """Students (open enrolments) and staff (persons with an open employment) in ``people.view``
    scope, optionally within the subtree of ``org``."""
    scope = scope_for(actor, "people.view")
    if scope.empty:
        return {"students": 0, "staff": 0}
    enrolments = Enrolment.objects.filter(end__isnull=True)
    employments = Employment.objects.filter(end__isnull=True)
    if not is_province_wide(scope):
        enrolments = enrolments.filter(scope.q("school__path"))
        employments = employments.filter(scope.q("org__path"))
    if org is not None:
        enrolments = enrolments.filter(subtree_q(org.path, "school__path"))
        employments = employments.filter(subtree_q(org.path, "org__path"))
    return {
        "students": enrolments.count(),
        "staff": employments.values("person_id").distinct().count(),
    }
