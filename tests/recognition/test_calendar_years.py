"""The calendar by year end to end: the administrator (or the bureau) confirms a year on the page or
through the API, and a notice whose working days reach into an unconfirmed year is refused — on the
page and through the API — with a message naming that year."""

from __future__ import annotations

import json
from datetime import date

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from sciplan.applications.workflow import Status
from sciplan.core import workdays
from sciplan.core.models import AuditEvent
from sciplan.recognition.models import WorkdayYear
from tests.api.conftest import sign_in
from tests.recognition.conftest import at

pytestmark = pytest.mark.django_db


def _first_unknown_year() -> int:
    """The first year the bundled arrangement does not carry (2027 when this was written)."""
    year = 2026
    while workdays.covered(date(year, 6, 1)):
        year += 1
    return year


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def spanning():
    """A notice of five working days from 28 December of the last known year reaches into the next."""
    year = _first_unknown_year()
    return year, date(year - 1, 12, 28), at(year - 1, 12, 21, 9, 0)


def test_page_refuses_a_notice_reaching_into_an_unconfirmed_year_and_names_it(
    call, personas, make_proposed, spanning
):
    year, start, today = spanning
    (application,) = make_proposed(1)

    with time_machine.travel(today, tick=False):
        response = signed_in(personas.bureau).post(
            reverse("recognition:publish", args=[call.pk]), {"starts_on": start.isoformat(), "confirm": "1"}
        )

    html = response.content.decode()
    assert response.status_code == 422
    assert f"{year}年的工作日历尚未确认" in html
    application.refresh_from_db()
    assert application.status == Status.PROPOSED
    assert call.notices.count() == 0


def test_api_refuses_the_same_notice_and_accepts_it_once_the_year_is_confirmed(
    call, personas, make_proposed, spanning
):
    year, start, today = spanning
    make_proposed(1)

    with time_machine.travel(today, tick=False):
        bureau = sign_in(personas.bureau.username)
        admin = sign_in(personas.admin.username)
        refused = bureau.post(f"/recognition/calls/{call.pk}/public-notices", {"starts_on": str(start)})
        confirmed = admin.client.put(
            f"/api/v1/workday-calendar/{year}",
            json.dumps({"holidays": [f"{year}-01-01"], "workdays": [], "source": "国务院办公厅通知"}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {admin.token}",
        )
        published = bureau.post(f"/recognition/calls/{call.pk}/public-notices", {"starts_on": str(start)})

    assert refused.status_code == 422
    assert f"{year}年的工作日历尚未确认" in refused.json()["errors"]["starts_on"]
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "confirmed"
    assert published.status_code == 201


def test_administrator_confirms_a_year_on_the_page(personas):
    year = _first_unknown_year()
    client = signed_in(personas.admin)

    form = client.get(reverse("recognition:calendar"), {"year": year})
    saved = client.post(
        reverse("recognition:calendar"),
        {
            "form": "year",
            "year": str(year),
            "holidays": f"{year}-01-01\n{year}-05-03",
            "workdays": "",
            "source": "国务院办公厅通知",
        },
    )

    assert form.status_code == 200
    assert f"{year}-01-01" in form.content.decode()  # prefilled with the fixed-date holidays
    assert saved.status_code == 302
    entry = WorkdayYear.objects.get(year=year)
    assert (entry.holidays, entry.confirmed_by) == ([f"{year}-01-01", f"{year}-05-03"], personas.admin)
    event = AuditEvent.objects.filter(event_type="calendar.year_confirmed").get()
    assert (event.detail["old"], event.detail["new"]["holidays"]) == (None, entry.holidays)


def test_bad_year_input_stays_on_the_page_beside_the_field(personas):
    year = _first_unknown_year()

    response = signed_in(personas.bureau).post(
        reverse("recognition:calendar"),
        {"form": "year", "year": str(year), "holidays": f"{year}-02-30", "workdays": ""},
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert f"“{year}-02-30”不是有效日期，请按2027-02-05的格式填写。" in html
    assert f"{year}-02-30</textarea>" in html
    assert not WorkdayYear.objects.filter(year=year).exists()


def test_year_out_of_range_is_refused_beside_the_year_field(personas):
    response = signed_in(personas.bureau).post(
        reverse("recognition:calendar"), {"form": "year", "year": "1999", "holidays": "1999-01-04"}
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert '<p class="error" id="e-year">年度应在2000至2100之间。</p>' in html
    assert "1999-01-04</textarea>" in html
    assert not WorkdayYear.objects.exists()


@pytest.mark.parametrize("persona", ["applicant", "county", "finance", "park"])
def test_calendar_page_is_404_for_other_roles(personas, persona):
    response = signed_in(personas[persona]).post(
        reverse("recognition:calendar"), {"form": "year", "year": "2030", "holidays": "2030-01-01"}
    )

    assert response.status_code == 404
    assert not WorkdayYear.objects.exists()
