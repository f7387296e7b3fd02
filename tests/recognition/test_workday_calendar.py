"""Years of the working-day calendar: a notice in a year nobody confirmed is refused, naming the year."""

from __future__ import annotations

from datetime import date

import pytest

from sciplan.core.errors import ValidationFailed
from sciplan.recognition import calendar, services


@pytest.mark.django_db
def test_notice_in_2027_is_refused_until_the_year_is_confirmed():
    with pytest.raises(ValidationFailed) as refused:
        calendar.require_confirmed(date(2027, 2, 1), 5)

    assert "2027年的工作日历尚未确认" in refused.value.field_errors["starts_on"]


@pytest.mark.django_db
def test_confirmed_2027_counts_spring_festival_as_days_off(personas):
    services.confirm_workday_year(
        2027,
        holidays="2027-02-05, 2027-02-08 2027-02-09\n2027-02-10 2027-02-11",
        workdays="2027-02-20",
        source="国务院办公厅通知",
        by=personas.admin,
    )

    calendar.require_confirmed(date(2027, 2, 1), 5)
    assert calendar.notice_days(date(2027, 2, 3), 4) == [
        date(2027, 2, 3),
        date(2027, 2, 4),
        date(2027, 2, 12),
        date(2027, 2, 15),
    ]
    assert calendar.year_status(2027) == "confirmed"


@pytest.mark.django_db
def test_confirming_a_year_refuses_a_weekend_holiday_and_records_old_and_new(personas):
    with pytest.raises(ValidationFailed) as refused:
        services.confirm_workday_year(2027, holidays="2027-02-06", workdays="", by=personas.admin)
    assert sorted(refused.value.field_errors) == ["holidays"]

    services.confirm_workday_year(2027, holidays="2027-01-01", workdays="", by=personas.admin)
    services.confirm_workday_year(2027, holidays="2027-01-01 2027-02-05", workdays="", by=personas.admin)

    from sciplan.core.models import AuditEvent

    last = AuditEvent.objects.filter(event_type="calendar.year_confirmed").order_by("-id").first()
    assert last.detail["old"]["holidays"] == ["2027-01-01"]
    assert last.detail["new"]["holidays"] == ["2027-01-01", "2027-02-05"]


@pytest.mark.django_db
def test_prefill_of_a_published_year_lists_its_make_up_days():
    holidays, worked = calendar.prefill(2024)

    assert date(2024, 10, 7) in holidays
    assert date(2024, 10, 12) in worked


@pytest.mark.django_db
def test_year_the_package_carries_counts_as_published_without_confirmation():
    calendar.require_confirmed(date(2024, 9, 27), 5)  # nobody confirmed 2024: the package decides

    assert calendar.year_status(2024) == "published"
    assert calendar.notice_days(date(2024, 9, 27), 5) == [
        date(2024, 9, 27),
        date(2024, 9, 29),  # Sunday worked in exchange for the National Day week
        date(2024, 9, 30),
        date(2024, 10, 8),
        date(2024, 10, 9),
    ]
    assert (calendar.year_status(2027), calendar.missing_years(date(2027, 2, 1), 5)) == ("missing", [2027])
