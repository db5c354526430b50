"""Scope: the one place that turns an actor into the org subtrees it may act on.

An actor holds grants: (org path, permission codes). A grant applies to its org and
everything below it (materialised paths: a descendant's path starts with its
ancestor's). Every selector of a scoped model starts from ``scope_for(actor, perm)``
and filters with ``Scope.q(<path field>)``; nothing else filters by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from django.db.models import Q

from edubase.core.errors import PermissionDenied


@dataclass(frozen=True)
class Grant:
    """Permission codes held on one org subtree."""

    path: str
    permissions: frozenset[str]


@runtime_checkable
class Actor(Protocol):
    """Anything that acts: a user (session), a user through an API token."""

    pk: Any
    is_superuser: bool

    def grants(self) -> Sequence[Grant]:
        """Every (subtree, permissions) the actor holds."""
        ...


def _minimal(paths: Iterable[str]) -> tuple[str, ...]:
    """Drop paths covered by an ancestor path already in the set."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return tuple(kept)


@dataclass(frozen=True)
class Scope:
    """The org subtrees where an actor holds one permission (``everything`` for superusers)."""

    permission: str
    paths: tuple[str, ...]
    everything: bool = False

    @property
    def empty(self) -> bool:
        return not self.everything and not self.paths

    def q(self, path_field: str = "path") -> Q:
        """Filter for rows whose org path lies in scope (an impossible filter when empty)."""
        if self.everything:
            return Q()
        if not self.paths:
            return Q(pk__in=[])
        query = Q()
        for path in self.paths:
            query |= Q(**{f"{path_field}__startswith": path})
        return query

    def covers(self, path: str) -> bool:
        """Whether the org at ``path`` is in scope."""
        return self.everything or any(path.startswith(p) for p in self.paths)


def scope_for(actor: Actor | Any, permission: str) -> Scope:
    """The scope of ``actor`` for ``permission`` (empty for anonymous or unknown actors)."""
    if actor is None or not getattr(actor, "is_authenticated", True) or not isinstance(actor, Actor):
        return Scope(permission, ())
    token_permissions = getattr(actor, "token_permissions", None)
    if token_permissions is not None and permission not in token_permissions:
        return Scope(permission, ())  # an API token narrows its user's rights, never widens them
    if actor.is_superuser:
        return Scope(permission, (), everything=True)
    return Scope(permission, _minimal(g.path for g in actor.grants() if permission in g.permissions))


def require(actor: Actor | Any, permission: str, *, path: str) -> None:
    """Raise ``PermissionDenied`` unless the actor holds ``permission`` on the org at ``path``."""
    if not scope_for(actor, permission).covers(path):
        raise PermissionDenied()


def has_anywhere(actor: Actor | Any, permission: str) -> bool:
    """Whether the actor holds ``permission`` on at least one org (menus, entry checks)."""
    return not scope_for(actor, permission).empty
