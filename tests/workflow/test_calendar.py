"""The working-day calendar: weekends, public holidays and make-up working days (调休)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from edubase.workflow.calendar import add_working_days, is_working_day

D = dt.date


def test_weekends_are_off_and_weekdays_on() -> None:
    assert is_working_day(D(2025, 3, 3))  # Monday
    assert not is_working_day(D(2025, 3, 8))  # Saturday


def test_national_day_is_off_and_its_makeup_saturday_is_on() -> None:
    assert not is_working_day(D(2025, 10, 8))
    assert is_working_day(D(2025, 10, 11))
    assert is_working_day(D(2025, 9, 28))  # Sunday, 调休上班


def test_spring_festival_2026_is_off() -> None:
    assert not is_working_day(D(2026, 2, 17))
    assert is_working_day(D(2026, 2, 14))  # Saturday, 调休上班


def test_adding_working_days_skips_the_national_day_holiday() -> None:
    # Tue 30 Sep 2025 + 1 working day → Thu 9 Oct (1–8 Oct off)
    assert add_working_days(D(2025, 9, 30), 1) == D(2025, 10, 9)
    assert add_working_days(D(2025, 9, 30), 3) == D(2025, 10, 11)  # the make-up Saturday counts


def test_adding_working_days_keeps_the_time_of_day() -> None:
    start = dt.datetime(2025, 3, 7, 15, 30, tzinfo=dt.UTC)  # Friday
    assert add_working_days(start, 1) == dt.datetime(2025, 3, 10, 15, 30, tzinfo=dt.UTC)


def test_zero_days_is_the_start_and_negative_is_refused() -> None:
    assert add_working_days(D(2025, 3, 8), 0) == D(2025, 3, 8)
    with pytest.raises(ValueError, match="negative"):
        add_working_days(D(2025, 3, 8), -1)


@override_settings(EDUBASE_HOLIDAYS=["2027-01-01"], EDUBASE_MAKEUP_WORKDAYS=["2027-01-02"])
def test_holidays_are_configurable() -> None:
    assert not is_working_day(D(2027, 1, 1))
    assert is_working_day(D(2027, 1, 2))
