"""API: extension_create and the recommendation actions through application_transition (SPEC §14)."""

from __future__ import annotations

import pytest

from sciplan.applications.models import Application
from sciplan.calls.models import Extension
from sciplan.recommendations.queries import recommendation_for
from tests.factories import application_in_state
from tests.recommendations.conftest import api_sign_in as sign_in
from tests.recommendations.conftest import record_clean_credit

pytestmark = pytest.mark.django_db


def test_api_extension_create_for_a_recommender(call, personas):
    response = sign_in("bureau").post(
        "/extensions",
        {
            "call_id": call.pk,
            "stage": "recommend",
            "recommender_id": personas.county.recommender_id,
            "until": "2099-01-01T18:00:00+08:00",
            "reason": "系统维护，顺延推荐截止时间。",
        },
    )

    extension = Extension.objects.get()
    assert response.status_code == 201
    assert (extension.recommender_id, extension.stage, extension.granted_by) == (
        personas.county.recommender_id,
        "recommend",
        personas.bureau,
    )
    assert response.json()["until"] == "2099-01-01T18:00:00+08:00"


def test_api_extension_create_errors_are_field_by_field(call, personas):
    response = sign_in("bureau").post(
        "/extensions",
        {"call_id": call.pk, "stage": "recommend", "until": "2099-01-01T18:00:00+08:00", "reason": ""},
    )

    assert response.status_code == 422
    assert response.json()["errors"] == {
        "recommender": "推荐环节的延期须指定一个推荐单位。",
        "reason": "请填写延期理由。",
    }


@pytest.mark.parametrize("name", ["county", "finance", "applicant"])
def test_api_extension_create_by_others_is_404(call, personas, name):
    response = sign_in(name).post(
        "/extensions",
        {
            "call_id": call.pk,
            "stage": "recommend",
            "recommender_id": personas.county.recommender_id,
            "until": "2099-01-01T18:00:00+08:00",
            "reason": "自行延期",
        },
    )

    assert response.status_code == 404
    assert Extension.objects.count() == 0


def test_api_recommend_through_application_transition_uses_the_same_handler(call, personas):
    application = application_in_state(call, personas.applicant_b, "accepted")
    record_clean_credit(application, personas.park)

    response = sign_in("park").post(
        f"/applications/{application.pk}/transitions",
        {"action": "recommend", "payload": {"opinion": "同意推荐。", "rank": 1}},
    )

    rec = recommendation_for(application)
    assert response.status_code == 200
    assert Application.objects.get(pk=application.pk).status == "recommended"
    assert (rec.opinion, rec.rank) == ("同意推荐。", 1)
