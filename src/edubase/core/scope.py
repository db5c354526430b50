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


#: the materialised-path alphabet of ``orgs.Org`` (treebeard's default), in sort order
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _successor(path: str) -> str | None:
    """The smallest path, in the same alphabet, greater than every path starting with ``path``."""
    chars = list(path)
    for i in range(len(chars) - 1, -1, -1):
        position = _ALPHABET.find(chars[i])
        if position == -1:
            raise ValueError(f"path {path!r} is outside the materialised-path alphabet")
        if position + 1 < len(_ALPHABET):
            return "".join(chars[:i]) + _ALPHABET[position + 1]
    return None


def subtree_q(path: str, path_field: str = "path") -> Q:
    """Rows whose org path is ``path`` or below it, as an index-friendly range."""
    return Scope("", (path,)).q(path_field)


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
        """Filter for rows whose org path lies in scope (an impossible filter when empty).

        Written as a range ``path >= P AND path < successor(P)`` rather than ``LIKE 'P%'``:
        both databases answer a range from the path index, whatever the collation, while
        SQLite never uses an index for ``LIKE … ESCAPE``.
        """
        if self.everything:
            return Q()
        if not self.paths:
            return Q(pk__in=[])
        query = Q()
        for path in self.paths:
            upper = _successor(path)
            bounds = {f"{path_field}__gte": path}
            if upper is not None:
                bounds[f"{path_field}__lt"] = upper
            query |= Q(**bounds)
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
