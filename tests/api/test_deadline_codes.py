"""Every refusal for a passed deadline answers 409 with ``"code": "deadline_passed"`` on the API
(docs/api.md), whatever path it takes: creating an application, submitting, a recommender's
transition, a correction after its deadline, a unit whose extension has run out. A refusal for the
wrong state keeps ``"code": "state"``."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from sciplan.applications.models import Application
from sciplan.applications.workflow import Status
from sciplan.calls.models import Extension, Stage
from tests.api.conftest import sign_in
from tests.factories import application_in_state

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def _late(response, *, status_before: str, application: Application | None = None) -> None:
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "deadline_passed"
    assert "截止" in body["detail"]
    if application is not None:
        application.refresh_from_db()
        assert application.status == status_before


def test_application_create_after_the_window_is_deadline_passed(call_2024, personas):
    with time_machine.travel(at(2024, 8, 4, 18, 0, 0), tick=False):
        response = sign_in(personas.applicant.username).post("/applications", {"call_id": call_2024.pk})

    _late(response, status_before="")
    assert Application.objects.filter(call=call_2024).count() == 0


def test_submit_at_the_deadline_is_deadline_passed(call_2024, personas):
    with time_machine.travel(at(2024, 7, 10, 9, 0), tick=False):
        draft = application_in_state(call_2024, personas.applicant, Status.DRAFT)
    with time_machine.travel(at(2024, 8, 4, 18, 0, 0), tick=False):
        response = sign_in(personas.applicant.username).post(
            f"/applications/{draft.pk}/transitions", {"action": "submit"}
        )

    _late(response, status_before=Status.DRAFT, application=draft)
    assert draft.versions.count() == 0


def test_submit_after_the_units_extension_ran_out_is_deadline_passed(call_2024, personas):
    with time_machine.travel(at(2024, 7, 10, 9, 0), tick=False):
        draft = application_in_state(call_2024, personas.applicant, Status.DRAFT)
    Extension.objects.create(
        call=call_2024,
        stage=Stage.APPLY,
        unit=personas.applicant.unit,
        until=at(2024, 8, 6, 18, 0),
        reason="系统故障",
        granted_by=personas.bureau,
    )
    with time_machine.travel(at(2024, 8, 6, 18, 0, 0), tick=False):
        response = sign_in(personas.applicant.username).post(
            f"/applications/{draft.pk}/transitions", {"action": "submit"}
        )

    _late(response, status_before=Status.DRAFT, application=draft)
    assert "2024年08月06日 18:00:00" in response.json()["detail"]


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("accept", {}),
        ("return", {"reason": "材料不全"}),
        ("recommend", {"reason": "同意推荐", "payload": {"opinion": "同意推荐"}}),
    ],
)
def test_recommenders_transition_after_the_recommend_deadline_is_deadline_passed(
    call_2024, personas, action, body
):
    with time_machine.travel(at(2024, 7, 10, 9, 0), tick=False):
        submitted = application_in_state(call_2024, personas.applicant, Status.SUBMITTED)
        if action == "recommend":
            Application.objects.filter(pk=submitted.pk).update(status=Status.ACCEPTED)
    before = Application.objects.get(pk=submitted.pk).status
    with time_machine.travel(at(2024, 8, 9, 18, 0, 0), tick=False):
        response = sign_in(personas.county.username).post(
            f"/applications/{submitted.pk}/transitions", {"action": action, **body}
        )

    _late(response, status_before=before, application=submitted)


def test_correction_submitted_after_its_deadline_is_deadline_passed(call_2024, personas):
    with time_machine.travel(at(2024, 7, 10, 9, 0), tick=False):
        returned = application_in_state(call_2024, personas.applicant, Status.CORRECTION)
    Application.objects.filter(pk=returned.pk).update(correction_deadline=at(2024, 8, 20, 18, 0))
    with time_machine.travel(at(2024, 8, 20, 18, 0, 0), tick=False):
        response = sign_in(personas.applicant.username).post(
            f"/applications/{returned.pk}/transitions", {"action": "submit_correction"}
        )

    _late(response, status_before=Status.CORRECTION, application=returned)


def test_a_refusal_for_the_wrong_state_keeps_code_state(call_2024, personas):
    with time_machine.travel(at(2024, 7, 10, 9, 0), tick=False):
        accepted = application_in_state(call_2024, personas.applicant, Status.ACCEPTED)
        response = sign_in(personas.county.username).post(
            f"/applications/{accepted.pk}/transitions", {"action": "accept"}
        )

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "state"


def test_accept_just_before_the_recommend_deadline_is_accepted(call_2024, personas):
    with time_machine.travel(at(2024, 7, 10, 9, 0), tick=False):
        submitted = application_in_state(call_2024, personas.applicant, Status.SUBMITTED)
    with time_machine.travel(at(2024, 8, 9, 18, 0, 0) - timedelta(milliseconds=1), tick=False):
        response = sign_in(personas.county.username).post(
            f"/applications/{submitted.pk}/transitions", {"action": "accept"}
        )

    assert response.status_code == 200, response.content
