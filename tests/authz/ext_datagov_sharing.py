"""Authorization-matrix rows of datagov_sharing (none yet: the app has no routes)."""

from __future__ import annotations

from typing import Any

from tests.authz.rules import Rule

KINDS: dict[str, tuple[str, str]] = {}
SCOPED: set[str] = set()
PAGE_NAMESPACES: tuple[str, ...] = ("datagov_sharing",)


def build(world: Any, ly_user: Any) -> dict[str, Any]:
    return {}


API_RULES: dict[str, Rule] = {}
CONSOLE_RULES: dict[str, Rule] = {}
