"""Counting a notice in working days on the official calendar with 调休, and the admin's overrides."""

from __future__ import annotations

from datetime import date, time

import pytest

from sciplan.core import workdays
from sciplan.recognition import calendar, services
from sciplan.recognition.models import WorkdayOverride
from tests.recognition.conftest import at


def test_working_days_across_national_day_2024_count_the_make_up_sunday():
    days = workdays.working_days_from(date(2024, 9, 27), 5)

    assert days == [
        date(2024, 9, 27),
        date(2024, 9, 29),
        date(2024, 9, 30),
        date(2024, 10, 8),
        date(2024, 10, 9),
    ]


@pytest.mark.django_db
def test_notice_end_from_2024_09_27_is_october_9_at_18():
    assert calendar.notice_end(date(2024, 9, 27), 5) == at(2024, 10, 9, 18, 0)


@pytest.mark.django_db
def test_notice_end_honours_another_closing_time():
    assert calendar.notice_end(date(2024, 9, 27), 5, time(17, 30)) == at(2024, 10, 9, 17, 30)


@pytest.mark.django_db
def test_notice_starting_on_an_ordinary_saturday_begins_on_monday():
    assert calendar.notice_days(date(2024, 10, 19), 5) == [
        date(2024, 10, 21),
        date(2024, 10, 22),
        date(2024, 10, 23),
        date(2024, 10, 24),
        date(2024, 10, 25),
    ]


@pytest.mark.django_db
def test_notice_starting_on_the_make_up_saturday_counts_it_as_day_one():
    assert calendar.notice_days(date(2024, 10, 12), 5) == [
        date(2024, 10, 12),
        date(2024, 10, 14),
        date(2024, 10, 15),
        date(2024, 10, 16),
        date(2024, 10, 17),
    ]


@pytest.mark.django_db
def test_notice_starting_on_the_holiday_saturday_begins_on_the_make_up_sunday():
    assert calendar.notice_end(date(2024, 9, 28), 5) == at(2024, 10, 10, 18, 0)


@pytest.mark.django_db
def test_override_making_a_day_off_moves_the_end(personas):
    services.set_workday_override(
        day=date(2024, 9, 30), is_workday=False, note="测试：临时停工", by=personas.admin
    )

    assert calendar.notice_end(date(2024, 9, 27), 5) == at(2024, 10, 10, 18, 0)


@pytest.mark.django_db
def test_override_making_a_holiday_a_working_day_shortens_the_notice(personas):
    services.set_workday_override(
        day=date(2024, 10, 7), is_workday=True, note="测试：更正", by=personas.bureau
    )

    assert calendar.notice_end(date(2024, 9, 27), 5) == at(2024, 10, 8, 18, 0)


@pytest.mark.django_db
def test_removing_an_override_restores_the_official_calendar(personas):
    services.set_workday_override(day=date(2024, 9, 30), is_workday=False, note="", by=personas.admin)
    services.delete_workday_override(WorkdayOverride.objects.get(), by=personas.admin)

    assert calendar.notice_end(date(2024, 9, 27), 5) == at(2024, 10, 9, 18, 0)


@pytest.mark.django_db
def test_override_refused_for_an_applicant(personas):
    from sciplan.core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        services.set_workday_override(day=date(2024, 9, 30), is_workday=False, note="", by=personas.applicant)

    assert WorkdayOverride.objects.count() == 0


def test_years_the_package_does_not_cover_fall_back_to_weekdays():
    assert workdays.covered(date(2024, 1, 2)) is True
    assert workdays.covered(date(2099, 1, 2)) is False
    assert [workdays.is_workday(date(2099, 1, d)) for d in (2, 3, 4)] == [True, False, False]


def test_uncovered_years_keep_the_fixed_date_statutory_holidays():
    assert [workdays.is_workday(date(2099, 10, d)) for d in (1, 2, 5)] == [False, False, True]
