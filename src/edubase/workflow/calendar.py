"""Working-day calendar (法定工作日): weekends off, public holidays off, make-up working days (调休) on.

Shipped data: the State Council's holiday notices —
2025: 国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）;
2026: 国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号）.
Later years, or local changes, are added through the settings ``EDUBASE_HOLIDAYS`` and
``EDUBASE_MAKEUP_WORKDAYS`` (lists of ISO dates) without a code change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TypeVar

from django.conf import settings

_When = TypeVar("_When", dt.date, dt.datetime)


def _days(first: str, last: str | None = None) -> list[dt.date]:
    start = dt.date.fromisoformat(first)
    end = dt.date.fromisoformat(last or first)
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


#: public holidays (放假日期), including the weekend days inside each holiday span
HOLIDAYS: frozenset[dt.date] = frozenset(
    [
        # 2025 — 国办发明电〔2024〕12号
        *_days("2025-01-01"),  # 元旦
        *_days("2025-01-28", "2025-02-04"),  # 春节
        *_days("2025-04-04", "2025-04-06"),  # 清明节
        *_days("2025-05-01", "2025-05-05"),  # 劳动节
        *_days("2025-05-31", "2025-06-02"),  # 端午节
        *_days("2025-10-01", "2025-10-08"),  # 国庆节、中秋节
        # 2026 — 国办发明电〔2025〕7号
        *_days("2026-01-01", "2026-01-03"),  # 元旦
        *_days("2026-02-15", "2026-02-23"),  # 春节
        *_days("2026-04-04", "2026-04-06"),  # 清明节
        *_days("2026-05-01", "2026-05-05"),  # 劳动节
        *_days("2026-06-19", "2026-06-21"),  # 端午节
        *_days("2026-09-25", "2026-09-27"),  # 中秋节
        *_days("2026-10-01", "2026-10-07"),  # 国庆节
    ]
)

#: weekend days that are working days (调休上班)
MAKEUP_WORKDAYS: frozenset[dt.date] = frozenset(
    _days(d)[0]
    for d in [
        "2025-01-26",
        "2025-02-08",
        "2025-04-27",
        "2025-09-28",
        "2025-10-11",
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ]
)


def _configured(name: str) -> frozenset[dt.date]:
    values: Iterable[str] = getattr(settings, name, ()) or ()
    return frozenset(dt.date.fromisoformat(v) for v in values)


def is_working_day(day: dt.date) -> bool:
    """Whether ``day`` is a statutory working day."""
    if day in MAKEUP_WORKDAYS or day in _configured("EDUBASE_MAKEUP_WORKDAYS"):
        return True
    if day in HOLIDAYS or day in _configured("EDUBASE_HOLIDAYS"):
        return False
    return day.weekday() < 5


def add_working_days(start: _When, n: int) -> _When:
    """The moment ``n`` working days after ``start`` (the start day itself is not counted)."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = start.date() if isinstance(start, dt.datetime) else start
    counted = 0
    while counted < n:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    if isinstance(start, dt.datetime):
        return start + dt.timedelta(days=(day - start.date()).days)
    return day
