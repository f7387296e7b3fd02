"""dictionary_list and workday_calendar_update: the dictionaries for the administrator and the bureau,
404 for everyone else; the calendar year through the same service and validation as the page."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from sciplan.calls.models import Industry, Recommender
from sciplan.core.models import AuditEvent
from sciplan.recognition.models import WorkdayYear
from tests.api.conftest import BASE, sign_in

pytestmark = pytest.mark.django_db

OTHERS = ("applicant", "applicant_b", "county", "finance", "park", "county_b", "finance_b")


def _put(client, year, body):
    return client.client.put(
        f"{BASE}/workday-calendar/{year}",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {client.token}",
    )


def test_dictionary_list_returns_every_kind(personas):
    Industry.objects.filter(code="green").update(active=False)

    body = sign_in("admin").get("/dictionaries").json()

    assert sorted(body) == ["calendar_years", "expert_fields", "industries", "recommenders"]
    by_code = {i["code"]: i for i in body["industries"]}
    assert (by_code["green"]["active"], by_code["port_logistics"]["pending_confirmation"]) == (False, True)
    assert [f["code"] for f in body["expert_fields"]] == [i["code"] for i in body["industries"]]
    county = next(r for r in body["recommenders"] if r["code"] == "430603")
    assert (county["region_code"], county["needs_finance_cosign"], county["kind"]) == (
        "430603",
        True,
        "county",
    )
    assert {y["status"] for y in body["calendar_years"]} <= {"confirmed", "published", "missing"}


def test_dictionary_list_by_kind_for_the_bureau(personas):
    body = sign_in("bureau").get("/dictionaries", kind="recommenders").json()

    assert (body["industries"], body["calendar_years"]) == (None, None)
    assert len(body["recommenders"]) == Recommender.objects.count()


def test_dictionary_list_refuses_an_unknown_kind(personas):
    response = sign_in("admin").get("/dictionaries", kind="regions")

    assert response.status_code == 422


@pytest.mark.parametrize("persona", OTHERS)
def test_dictionaries_do_not_exist_for_other_roles(personas, persona):
    client = sign_in(persona)

    listed = client.get("/dictionaries")
    updated = _put(client, 2030, {"holidays": ["2030-01-01"]})

    assert (listed.status_code, updated.status_code) == (404, 404)
    assert not WorkdayYear.objects.exists()


def test_dictionaries_need_a_token(db):
    assert Client().get(f"{BASE}/dictionaries").status_code == 401
    assert (
        Client().put(f"{BASE}/workday-calendar/2030", "{}", content_type="application/json").status_code
        == 401
    )


def test_workday_calendar_update_confirms_and_reports_the_year(personas):
    answer = _put(
        sign_in("admin"),
        2030,
        {"holidays": ["2030-01-01", "2030-02-04"], "workdays": ["2030-02-09"], "source": "国务院办公厅通知"},
    )

    assert answer.status_code == 200
    assert answer.json()["holidays"] == ["2030-01-01", "2030-02-04"]
    assert (answer.json()["status"], answer.json()["workdays"]) == ("confirmed", ["2030-02-09"])
    assert AuditEvent.objects.filter(event_type="calendar.year_confirmed").count() == 1


def test_workday_calendar_update_validation_is_the_pages(personas):
    bureau = sign_in("bureau")

    weekend = _put(bureau, 2030, {"holidays": ["2030-01-05"]})
    other_year = _put(bureau, 2030, {"holidays": ["2031-01-01"]})
    out_of_range = _put(bureau, 1999, {"holidays": ["1999-01-01"]})

    assert weekend.status_code == 422
    assert weekend.json()["errors"] == {"holidays": "2030-01-05是周末，本就休息，无需列为放假日期。"}
    assert other_year.json()["errors"] == {"holidays": "2031-01-01不属于2030年。"}
    assert out_of_range.status_code == 422
    assert not WorkdayYear.objects.exists()


# ---------------------------------------------------------------- editing through the API


def test_administrator_adds_changes_and_deactivates_an_industry(personas):
    admin = sign_in("admin")

    created = admin.post(
        "/dictionaries/industries", {"code": "hydrogen", "group": "X", "name": "氢能", "order": 90}
    )
    assert created.status_code == 201, created.content
    entry = created.json()
    assert (entry["code"], entry["group"], entry["name"], entry["active"]) == ("hydrogen", "X", "氢能", True)

    renamed = admin.patch(f"/dictionaries/industries/{entry['id']}", {"name": "氢能与储能"})
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["group"], renamed.json()["order"]) == (
        "氢能与储能",
        "X",
        90,
    )

    stopped = admin.post(f"/dictionaries/industries/{entry['id']}/active", {"active": False})
    assert (stopped.status_code, stopped.json()["active"]) == (200, False)
    assert Industry.objects.get(pk=entry["id"]).active is False
    events = list(
        AuditEvent.objects.filter(object_id=str(entry["id"]), event_type__startswith="dictionary.industry_")
        .order_by("id")
        .values_list("event_type", flat=True)
    )
    assert events == [
        "dictionary.industry_created",
        "dictionary.industry_updated",
        "dictionary.industry_deactivated",
    ]


def test_recommender_rules_are_the_pages(personas):
    admin = sign_in("admin")

    refused = admin.post("/dictionaries/recommenders", {"code": "yy-new", "name": "新设县", "kind": "county"})
    duplicate = admin.post(
        "/dictionaries/recommenders",
        {"code": "yy-dup", "name": Recommender.objects.first().name, "kind": "park"},
    )

    assert refused.status_code == 422
    assert "行政区划代码" in refused.json()["errors"]["region_code"]
    assert duplicate.status_code == 422
    assert "name" in duplicate.json()["errors"]


@pytest.mark.parametrize("persona", ("bureau", *OTHERS))
def test_only_the_administrator_edits_the_dictionaries(personas, persona):
    client = sign_in(persona)
    industry = Industry.objects.first()

    answers = [
        client.post("/dictionaries/industries", {"code": "x1", "group": "X", "name": "某产业"}).status_code,
        client.patch(f"/dictionaries/industries/{industry.pk}", {"name": "改名"}).status_code,
        client.post(f"/dictionaries/industries/{industry.pk}/active", {"active": False}).status_code,
    ]

    assert answers == [404, 404, 404]
    industry.refresh_from_db()
    assert industry.active is True


def test_calendar_year_statuses_are_the_ones_the_schema_lists(personas):
    """Found by fuzzing: a year with the built-in arrangement answered ``published``, which the schema's
    enum (``missing``, ``draft``, ``confirmed``) did not list."""
    from sciplan.recognition.calendar import YEAR_STATUS_LABELS

    schema = Client().get(f"{BASE}/openapi.json").json()
    listed = schema["components"]["schemas"]["CalendarYear"]["properties"]["status"]["enum"]

    body = sign_in("bureau").get("/dictionaries", kind="calendar_years").json()

    assert sorted(listed) == sorted(YEAR_STATUS_LABELS) == ["confirmed", "missing", "published"]
    assert {year["status"] for year in body["calendar_years"]} <= set(listed)
