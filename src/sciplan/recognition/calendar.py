"""The working-day calendar with the admin's overrides applied (see ``core.workdays``)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from sciplan.core import workdays
from sciplan.core.errors import ValidationFailed
from sciplan.recognition.models import WorkdayOverride, WorkdayYear

DEFAULT_END_TIME = time(18, 0)


def _year_days(entry: WorkdayYear, start: date, end: date) -> dict[date, bool]:
    """Every day of a confirmed year between ``start`` and ``end``: the year's arrangement decides."""
    holidays = {date.fromisoformat(d) for d in entry.holidays}
    worked = {date.fromisoformat(d) for d in entry.workdays}
    day, last = max(start, date(entry.year, 1, 1)), min(end, date(entry.year, 12, 31))
    result = {}
    while day <= last:
        result[day] = day in worked or (day.weekday() < 5 and day not in holidays)
        day += timedelta(days=1)
    return result


def overrides_between(start: date, end: date) -> dict[date, bool]:
    """Confirmed years first, then the single-day corrections on top of them."""
    result: dict[date, bool] = {}
    for entry in WorkdayYear.objects.filter(year__gte=start.year, year__lte=end.year):
        result.update(_year_days(entry, start, end))
    result.update(
        WorkdayOverride.objects.filter(date__gte=start, date__lte=end).values_list("date", "is_workday")
    )
    return result


def year_status(year: int) -> str:
    """ "confirmed" (an administrator entered or confirmed it), "published" (the package carries the State
    Council's arrangement) or "missing" (nobody knows it yet: notices in it cannot be published)."""
    if WorkdayYear.objects.filter(year=year).exists():
        return "confirmed"
    return "published" if workdays.covered(date(year, 6, 1)) else "missing"


def missing_years(start: date, count: int) -> list[int]:
    """Years touched by a notice of ``count`` working days from ``start`` whose calendar is not known."""
    last = notice_days(start, count)[-1]
    known = set(
        WorkdayYear.objects.filter(year__gte=start.year, year__lte=last.year).values_list("year", flat=True)
    )
    return [
        y for y in range(start.year, last.year + 1) if y not in known and not workdays.covered(date(y, 6, 1))
    ]


def require_confirmed(start: date, count: int, *, field: str = "starts_on") -> None:
    """Refuse a notice counted on a guessed calendar (2027-02-05 除夕 is no working day)."""
    missing = missing_years(start, count)
    if missing:
        years = "、".join(str(y) for y in missing)
        message = (
            f"{years}年的工作日历尚未确认，公示期的工作日无法准确计算，暂不能发布。"
            f"请系统管理员在“工作日历”中录入并确认{years}年的法定节假日与调休安排后再发布。"
        )
        raise ValidationFailed(message, field_errors={field: message})


def prefill(year: int) -> tuple[list[date], list[date]]:
    """A year's (holidays on weekdays, weekend days worked) as a starting point for the administrator: the
    package's arrangement where it knows the year, else the fixed-date statutory holidays only."""
    holidays, worked = [], []
    day = date(year, 1, 1)
    while day.year == year:
        work = workdays.is_workday(day)
        if day.weekday() < 5 and not work:
            holidays.append(day)
        elif day.weekday() >= 5 and work:
            worked.append(day)
        day += timedelta(days=1)
    return holidays, worked


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
    missing = missing_years(start, count)
    if not missing:
        return ""
    years = "、".join(str(y) for y in missing)
    return (
        f"{years}年的工作日历尚未确认，公示期涉及该年度时不能发布；"
        f"请系统管理员在“工作日历”中录入并确认{years}年的法定节假日与调休安排。"
    )


def calendar_days(start: date, count: int) -> list[dict]:
    """``count`` consecutive days from ``start`` as the calendar page shows them."""
    overrides = overrides_between(start, start + timedelta(days=count))
    confirmed = set(WorkdayYear.objects.values_list("year", flat=True))
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
                "year_confirmed": day.year in confirmed,
            }
        )
    return days


YEAR_STATUS_LABELS = {
    "confirmed": "已确认",
    "published": "已内置国务院办公厅安排（未经管理员确认）",
    "missing": "未确认：涉及该年度的公示不能发布",
}


def years_overview(this_year: int) -> list[dict]:
    """This year, next year and every confirmed year, each with its status, for the calendar page and
    the API (``dictionary_list``)."""
    entries = {e.year: e for e in WorkdayYear.objects.select_related("confirmed_by")}
    years = sorted({this_year, this_year + 1, *entries})
    result = []
    for year in years:
        entry = entries.get(year)
        status = "confirmed" if entry else ("published" if workdays.covered(date(year, 6, 1)) else "missing")
        if entry:
            holidays, worked = entry.holidays, entry.workdays
        elif status == "published":
            off, on = prefill(year)
            holidays, worked = [d.isoformat() for d in off], [d.isoformat() for d in on]
        else:
            holidays, worked = [], []
        result.append(
            {
                "year": year,
                "status": status,
                "status_label": YEAR_STATUS_LABELS[status],
                "holidays": list(holidays),
                "workdays": list(worked),
                "source": entry.source if entry else "",
                "confirmed_at": entry.confirmed_at if entry else None,
                "confirmed_by": entry.confirmed_by.display_name if entry else "",
            }
        )
    return result


def year_form_initial(year: int) -> dict:
    """The year form prefilled: the confirmed arrangement, else the package's, else the fixed-date
    statutory holidays only (春节, 清明, 端午, 中秋 and the make-up days are then to be added)."""
    entry = WorkdayYear.objects.filter(year=year).first()
    if entry:
        holidays, worked, source = entry.holidays, entry.workdays, entry.source
    else:
        off, on = prefill(year)
        holidays, worked = [d.isoformat() for d in off], [d.isoformat() for d in on]
        source = ""
    return {
        "year": str(year),
        "holidays": "\n".join(holidays),
        "workdays": "\n".join(worked),
        "source": source,
    }
