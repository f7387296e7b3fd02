"""Jurisdiction: two counties × two applicants × (recommender, finance, applicant, bureau). Every page,
file, export and API endpoint of this app answers 200 for the own jurisdiction and 404 otherwise
(SPEC §2, §7; STANDARDS B7, B8)."""

from __future__ import annotations

import pytest

from sciplan.applications.models import Attachment
from tests.recommendations.conftest import api_sign_in as sign_in
from tests.recommendations.conftest import upload_pdf_letter

pytestmark = pytest.mark.django_db

PERSONAS = ["county", "finance", "applicant", "county_b", "finance_b", "applicant_jiangbei", "bureau"]


@pytest.fixture
def world(call, personas, two_counties):
    return {
        "call": call,
        "apps": two_counties,
        "files": {k: Attachment.objects.filter(application=a).first() for k, a in two_counties.items()},
        "letters": {
            "yunxi": upload_pdf_letter(call, personas.county),
            "huarong": upload_pdf_letter(call, personas.county_b),
        },
        "recommenders": {
            "yunxi": personas.county.recommender_id,
            "huarong": personas.county_b.recommender_id,
        },
    }


def matrix(web_as, path_of) -> dict[str, dict[str, int]]:
    return {
        name: {side: web_as(name).get(path_of(side)).status_code for side in ("yunxi", "huarong")}
        for name in PERSONAS
    }


JURISDICTION = {
    "county": {"yunxi": 200, "huarong": 404},
    "finance": {"yunxi": 200, "huarong": 404},
    "applicant": {"yunxi": 404, "huarong": 404},
    "county_b": {"yunxi": 404, "huarong": 200},
    "finance_b": {"yunxi": 404, "huarong": 200},
    "applicant_jiangbei": {"yunxi": 404, "huarong": 404},
    "bureau": {"yunxi": 404, "huarong": 404},
}
JURISDICTION_AND_BUREAU = {**JURISDICTION, "bureau": {"yunxi": 200, "huarong": 200}}


def test_detail_pages_by_jurisdiction(world, web_as):
    assert matrix(web_as, lambda side: f"/recommend/applications/{world['apps'][side].pk}/") == JURISDICTION


def test_attachment_downloads_by_jurisdiction(world, web_as):
    # The detail page links the applicant app's permission-checked download.
    assert matrix(web_as, lambda side: f"/applications/files/{world['files'][side].pk}/download/") == {
        **JURISDICTION_AND_BUREAU,
        "applicant": {"yunxi": 200, "huarong": 404},
        "applicant_jiangbei": {"yunxi": 404, "huarong": 200},
    }


def test_detail_links_attachments_to_the_permission_checked_download(world, web_as):
    page = web_as("county").get(f"/recommend/applications/{world['apps']['yunxi'].pk}/").content.decode()

    assert f"/applications/files/{world['files']['yunxi'].pk}/download/" in page


def test_action_posts_outside_the_jurisdiction_are_not_found(world, web_as):
    paths = {
        side: [
            f"/recommend/applications/{world['apps'][side].pk}/act/accept/",
            f"/recommend/applications/{world['apps'][side].pk}/credit/",
            f"/recommend/applications/{world['apps'][side].pk}/rank/",
        ]
        for side in ("yunxi", "huarong")
    }

    answers = {
        name: sorted({web_as(name).post(p, {"reason": "x"}).status_code for p in paths["huarong"]})
        for name in ("county", "finance", "applicant", "bureau")
    }

    assert answers == {"county": [404], "finance": [404], "applicant": [404], "bureau": [404]}


def test_letter_downloads_by_jurisdiction_and_the_bureau(world, web_as):
    assert (
        matrix(web_as, lambda side: f"/recommend/letters/{world['letters'][side].pk}/download/")
        == JURISDICTION_AND_BUREAU
    )


def test_summary_exports_by_jurisdiction_and_the_bureau(world, web_as):
    call = world["call"]

    def path(side):
        return f"/recommend/calls/{call.pk}/summary.xlsx?recommender={world['recommenders'][side]}"

    assert matrix(web_as, path) == JURISDICTION_AND_BUREAU


def test_worklist_lists_only_the_own_jurisdiction(world, web_as):
    pages = {name: web_as(name).get("/recommend/worklist/") for name in PERSONAS}
    seen = {
        name: [
            side
            for side in ("yunxi", "huarong")
            if page.status_code == 200 and world["apps"][side].consortium_name in page.content.decode()
        ]
        for name, page in pages.items()
    }

    assert {name: page.status_code for name, page in pages.items()} == {
        "county": 200,
        "finance": 200,
        "applicant": 404,
        "county_b": 200,
        "finance_b": 200,
        "applicant_jiangbei": 404,
        "bureau": 404,
    }
    assert seen == {
        "county": ["yunxi"],
        "finance": ["yunxi"],
        "applicant": [],
        "county_b": ["huarong"],
        "finance_b": ["huarong"],
        "applicant_jiangbei": [],
        "bureau": [],
    }


def test_api_summary_table_by_jurisdiction_and_the_bureau(world):
    call = world["call"]
    answers = {}
    for name in PERSONAS:
        client = sign_in(name)
        answers[name] = {
            side: client.get(
                f"/calls/{call.pk}/summary-table", format="docx", recommender_id=world["recommenders"][side]
            ).status_code
            for side in ("yunxi", "huarong")
        }

    assert answers == JURISDICTION_AND_BUREAU


def test_api_summary_table_without_login_is_401(world):
    from tests.api.conftest import ApiClient

    response = ApiClient().get(f"/calls/{world['call'].pk}/summary-table")

    assert response.status_code == 401


def test_api_summary_table_answers_a_media_type_the_schema_declares(world):
    """Found by fuzzing: the schema said ``application/octet-stream`` and the answer is the file's own
    type, so a client checking the schema refused every summary table."""
    from django.test import Client

    schema = Client().get("/api/v1/openapi.json").json()
    declared = schema["paths"]["/api/v1/calls/{call_id}/summary-table"]["get"]["responses"]["200"]["content"]
    county = sign_in("county")
    answers = {
        fmt: county.get(
            f"/calls/{world['call'].pk}/summary-table",
            format=fmt,
            recommender_id=world["recommenders"]["yunxi"],
        )
        for fmt in ("xlsx", "docx")
    }

    assert {fmt: (a.status_code, a["Content-Type"] in declared) for fmt, a in answers.items()} == {
        "xlsx": (200, True),
        "docx": (200, True),
    }
