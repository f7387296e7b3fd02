"""The working-day calendar: Chinese public holidays and make-up working days (调休).

The State Council publishes each year's arrangement in the preceding December; the maintained
``chinese_calendar`` package carries it (2004 to the last published year). Admin overrides come first,
so a correction or a year the package does not know yet is one row away. Where neither knows a date,
Monday to Friday are working days except the fixed-date statutory holidays, and the caller can tell
the date was guessed (``covered``).

Pure functions: the overrides are passed in (``{date: is_workday}``) by the app that stores them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import chinese_calendar

Overrides = Mapping[date, bool]

# Statutory holidays on fixed solar dates (全国年节及纪念日放假办法, as revised in 2024): used for years the
# package does not cover yet. The lunar ones (春节, 清明, 端午, 中秋) and make-up days need an override.
FIXED_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})
WEEKDAY_LABELS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def covered(day: date) -> bool:
    """Whether the official arrangement for ``day``'s year is known to the package."""
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def is_workday(day: date, overrides: Overrides | None = None) -> bool:
    if overrides and day in overrides:
        return bool(overrides[day])
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS


def working_days_from(start: date, count: int, overrides: Overrides | None = None) -> list[date]:
    """The first ``count`` working days on or after ``start`` (``start`` is day 1 when it is one)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    days: list[date] = []
    day = start
    # A year has at most ~30 consecutive days off (an override gone wrong); stop rather than loop forever.
    limit = start + timedelta(days=count * 7 + 60)
    while len(days) < count:
        if day > limit:
            raise ValueError("no working days found: check the calendar overrides")
        if is_workday(day, overrides):
            days.append(day)
        day += timedelta(days=1)
    return days


def last_working_day(start: date, count: int, overrides: Overrides | None = None) -> date:
    """The last day of a period of ``count`` working days starting on ``start``."""
    return working_days_from(start, count, overrides)[-1]


def uncovered_days(start: date, end: date) -> list[date]:
    """Dates between ``start`` and ``end`` whose year the official arrangement does not cover."""
    result = []
    day = start
    while day <= end:
        if not covered(day):
            result.append(day)
        day += timedelta(days=1)
    return result
