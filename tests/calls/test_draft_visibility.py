"""A draft call is the bureau's own: the public, applicants and the API neither list nor reach it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from sciplan.calls.models import CallState
from sciplan.calls.services import copy_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(call, personas):
    """A draft copy of the open practice call in the same year: its window is open right now."""
    copy = copy_call(call, year=call.year, by=personas.bureau)
    assert copy.state == CallState.DRAFT
    return copy


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _sees(client: Client, draft) -> dict[str, object]:
    listed = client.get(reverse("calls:list")).content.decode()
    api_list = client.get("/api/v1/calls").json()
    return {
        "list": draft.title in listed,
        "detail": client.get(reverse("calls:detail", args=[draft.pk])).status_code,
        "api_list": draft.pk in [c["id"] for c in api_list],
        "api_get": client.get(f"/api/v1/calls/{draft.pk}").status_code,
    }


def test_draft_call_is_invisible_to_the_public(draft, call):
    client = _client()

    assert _sees(client, draft) == {"list": False, "detail": 404, "api_list": False, "api_get": 404}
    home = client.get(reverse("core:home")).content.decode()
    assert (draft.title in home, call.title in home) == (False, True)


def test_draft_call_is_invisible_to_an_applicant_and_not_offered_for_a_new_application(draft, call, personas):
    client = _client(personas.applicant)

    assert _sees(client, draft) == {"list": False, "detail": 404, "api_list": False, "api_get": 404}
    page = client.get(reverse("applications:list")).content.decode()
    assert (draft.title in page, call.title in page) == (False, True)
    response = client.post(reverse("applications:create"), {"call": draft.pk})
    assert response.status_code == 404
    assert draft.applications.count() == 0


def test_draft_call_is_visible_to_bureau_staff(draft, personas):
    client = _client(personas.bureau)

    assert _sees(client, draft) == {"list": True, "detail": 200, "api_list": True, "api_get": 200}


def test_published_copy_becomes_visible_to_the_public(call_2024, personas):
    from sciplan.calls.services import CallAction, transition_call

    draft = copy_call(call_2024, year=2027, by=personas.bureau)  # windows in the future
    transition_call(draft, CallAction.PUBLISH, by=personas.bureau)

    assert _sees(_client(), draft) == {"list": True, "detail": 200, "api_list": True, "api_get": 200}


def test_draft_call_is_not_in_a_recommenders_call_choice(draft, call, personas):
    from sciplan.recommendations.queries import calls_for

    client = _client(personas.county)

    assert list(calls_for(personas.county)) == [call]
    assert client.get(reverse("recommendations:worklist"), {"call": call.pk}).status_code == 200
    assert client.get(reverse("recommendations:worklist"), {"call": draft.pk}).status_code == 404


def test_recommender_cannot_upload_a_letter_to_a_draft_call_over_the_api(draft, call, personas):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from sciplan.applications.demo import sample_pdf
    from tests.recommendations.conftest import api_sign_in

    client = api_sign_in("park")

    def upload(target):
        letter = SimpleUploadedFile("推荐函.pdf", sample_pdf())
        return client.upload(f"/calls/{target.pk}/recommendation-letter", {"file": letter}).status_code

    assert (upload(draft), upload(call)) == (404, 201)
