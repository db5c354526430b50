"""Dashboard figures: school counts (orgs) and member counts (people) in the actor's scope.

Counting a province's open enrolments takes hundreds of milliseconds at 25 million
students, so the combined figures are cached for ``DASHBOARD_TTL`` seconds per scope
(the same subtrees give the same numbers, whoever asks) and shown with their time.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from edubase.core.scope import has_anywhere, scope_for
from edubase.orgs import selectors as org_selectors
from edubase.people import selectors as people_selectors

DASHBOARD_TTL = 60


def _scope_key(actor: Any) -> str:
    parts = []
    for permission in ("orgs.view", "people.view"):
        scope = scope_for(actor, permission)
        parts.append(f"{permission}={'*' if scope.everything else ','.join(scope.paths)}")
    return "dashboard:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


def dashboard_for(actor: Any) -> dict[str, Any]:
    """Totals and chart data for the home page, at most ``DASHBOARD_TTL`` seconds old."""
    key = _scope_key(actor)
    cached: dict[str, Any] | None = cache.get(key)
    if cached is not None:
        return cached
    figures: dict[str, Any] = {"as_of": timezone.now(), "counts": None, "members": None}
    if has_anywhere(actor, "orgs.view"):
        figures["counts"] = org_selectors.dashboard_counts(actor)
    if has_anywhere(actor, "people.view"):
        figures["members"] = people_selectors.count_members(actor)
    cache.set(key, figures, DASHBOARD_TTL)
    return figures
