"""The row type of the authorization matrix (shared by test_matrix and its extension modules)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Ctx = Any  # tests.authz.test_matrix.Ctx (kept loose to avoid an import cycle)

Body = Callable[[Ctx, str], dict[str, Any]]
Upload = Callable[[Ctx, str], tuple[str, bytes]]
DENIED = frozenset({403, 404})


@dataclass(frozen=True)
class Rule:
    """Who may use one route, and how to call it."""

    perm: str | None = None  # held somewhere; None: any signed-in user
    params: Mapping[str, str] = field(default_factory=dict)  # path parameter -> object kind
    body: Body | None = None  # JSON (API) or form data (console)
    upload: Upload | None = None  # a spreadsheet posted as ``file``
    body_refs: bool = False  # the body names an org: it has an in-scope and an out-of-scope variant
    query: Mapping[str, str] = field(default_factory=dict)
    method: str = "GET"  # console only (the API's methods are discovered)
    ok: frozenset[int] = frozenset({200})
    out: frozenset[int] | None = None  # accepted for the out-of-scope variant (default 404, or 403/404 in a body)
    lists: bool = False  # a list: a persona without the permission may get 200 with nothing in it
    shows: Callable[[Ctx], str] | None = None  # something in scope that a permission holder must see
    public: bool = False  # no sign-in needed
    everything_only: bool = False  # only everything-scope (superusers); no persona has it
    signed_in_redirects: bool = False  # the sign-in page sends a signed-in user home
    #: personas whose scope does not hold the route's SECOND object (e.g. a transfer's source school)
    refused: frozenset[str] = frozenset()
    #: the page lists orgs from the public directory (e.g. where an item may be handled): the
    #: out-of-scope school check does not apply; persons and accounts are still checked
    public_orgs: bool = False
    #: an audit trail names whoever acted on an org in scope, officials above it included
    #: (accountability): the other-users check does not apply; schools and persons still do
    names_actors: bool = False
    note: str = ""

    def variants(self) -> tuple[str, ...]:
        return ("out", "in") if self.params or self.body_refs else ("in",)
