"""The working-day calendar with the admin's overrides applied (see ``core.workdays``)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from sciplan.core import workdays
from sciplan.recognition.models import WorkdayOverride

DEFAULT_END_TIME = time(18, 0)


def overrides_between(start: date, end: date) -> dict[date, bool]:
    return dict(
        WorkdayOverride.objects.filter(date__gte=start, date__lte=end).values_list("date", "is_workday")
    )


def notice_days(start: date, count: int) -> list[date]:
    """The working days of a notice of ``count`` working days starting on ``start``."""
    overrides = overrides_between(start, start + timedelta(days=count * 7 + 60))
    return workdays.working_days_from(start, count, overrides)


def notice_end(start: date, count: int, end_time: time | None = None) -> datetime:
    """When a notice starting on ``start`` ends: ``end_time`` (18:00) of its last working day, local time."""
    last = notice_days(start, count)[-1]
    return timezone.make_aware(datetime.combine(last, end_time or DEFAULT_END_TIME))


def uncovered_warning(start: date, count: int) -> str:
    """A warning when the official arrangement of the notice's dates is not known yet."""
    days = notice_days(start, count)
    missing = workdays.uncovered_days(start, days[-1])
    if not missing:
        return ""
    return (
        f"{missing[0].year}年的法定节假日安排尚未收录，期间按周一至周五计算工作日；"
        "如国务院已公布安排，请在“工作日历”中补充调整。"
    )


def calendar_days(start: date, count: int) -> list[dict]:
    """``count`` consecutive days from ``start`` as the calendar page shows them."""
    overrides = overrides_between(start, start + timedelta(days=count))
    days = []
    for offset in range(count):
        day = start + timedelta(days=offset)
        days.append(
            {
                "day": day,
                "weekday": workdays.WEEKDAY_LABELS[day.weekday()],
                "work": workdays.is_workday(day, overrides),
                "override": day in overrides,
                "guessed": day not in overrides and not workdays.covered(day),
            }
        )
    return days
