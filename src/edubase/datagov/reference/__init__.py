"""Reference data (参考数据): national code tables and education data elements, one module per standard.

``TABLES`` lists the code tables the catalogue loads (``services.load_reference``); each entry
names its standard, version and source. ``jyt`` lists the JY/T data elements.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edubase.datagov.reference import gb2260, gb2261_1, gb3304, gb4762

ItemRow = tuple[str, str, str, dict[str, Any]]


@dataclass(frozen=True)
class ReferenceTable:
    """A code table as shipped: where it comes from and how to list its items."""

    slug: str
    standard: str
    name: str
    version: Callable[[], str]
    source: str
    items: Callable[[], list[ItemRow]]


def _flat(rows: tuple[tuple[str, str], ...], extra: dict[str, dict[str, Any]] | None = None) -> list[ItemRow]:
    return [(code, name, "", (extra or {}).get(code, {})) for code, name in rows]


TABLES: tuple[ReferenceTable, ...] = (
    ReferenceTable(
        "gb2261-1", gb2261_1.STANDARD, gb2261_1.NAME, lambda: gb2261_1.VERSION, gb2261_1.SOURCE,
        lambda: _flat(gb2261_1.ITEMS),
    ),
    ReferenceTable(
        "gb3304", gb3304.STANDARD, gb3304.NAME, lambda: gb3304.VERSION, gb3304.SOURCE,
        lambda: _flat(gb3304.ITEMS, {c: {"letters": v} for c, v in gb3304.LETTER_CODES.items()}),
    ),
    ReferenceTable(
        "gb4762", gb4762.STANDARD, gb4762.NAME, lambda: gb4762.VERSION, gb4762.SOURCE, lambda: _flat(gb4762.ITEMS)
    ),
    ReferenceTable("gb2260", gb2260.STANDARD, gb2260.NAME, gb2260.version, gb2260.SOURCE, gb2260.items),
)  # fmt: skip

TABLES_BY_SLUG: dict[str, ReferenceTable] = {t.slug: t for t in TABLES}
