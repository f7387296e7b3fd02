"""STANDARDS B9: fields a form or API body may not set — status, recommender, lead unit, role, score,
version — are ignored, through the public interfaces (the API and the pages)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from sciplan.accounts.models import Unit, UnitStatus, User
from sciplan.accounts.roles import Role
from sciplan.api.auth import issue_token
from sciplan.applications.models import Application
from sciplan.applications.workflow import Status
from sciplan.calls.models import Recommender
from tests.accounts.helpers import licence_scan

pytestmark = pytest.mark.django_db

FORBIDDEN = {
    "status": Status.RECOGNIZED,
    "recommender": None,  # filled per test
    "recommender_id": None,
    "lead_unit": None,
    "lead_unit_id": None,
    "created_by": None,
    "submitted_at": "2020-01-01T00:00:00+08:00",
    "score": 100,
    "total_score": 100,
    "id": 987654,
}


def _api(user) -> Client:
    raw, _ = issue_token(user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def _hostile(personas, *, recommender: bool = True) -> dict:
    """The applicant chooses the recommender in the 基本信息 section while drafting (a real field there);
    anywhere else it is a forbidden extra."""
    other = Recommender.objects.get(code="430623")
    extra = {"recommender": other.pk, "recommender_id": other.pk} if recommender else {}
    return {
        **{k: v for k, v in FORBIDDEN.items() if not k.startswith("recommender")},
        **extra,
        "lead_unit": personas.applicant_b.unit_id,
        "lead_unit_id": personas.applicant_b.unit_id,
        "created_by": personas.bureau.pk,
    }


def test_api_update_ignores_status_recommender_unit_and_score(complete_application, personas):
    before = Application.objects.get(pk=complete_application.pk)
    body = {**_hostile(personas, recommender=False), "version": before.version, "direction": "改过的方向"}

    response = _api(personas.applicant).patch(
        f"/api/v1/applications/{before.pk}", json.dumps(body), content_type="application/json"
    )

    after = Application.objects.get(pk=before.pk)
    assert response.status_code == 200
    assert after.direction == "改过的方向"
    assert (
        after.status,
        after.recommender_id,
        after.lead_unit_id,
        after.created_by_id,
        after.submitted_at,
    ) == (
        before.status,
        before.recommender_id,
        before.lead_unit_id,
        before.created_by_id,
        before.submitted_at,
    )
    assert after.version == before.version + 1


def test_api_update_cannot_set_the_version_counter(complete_application, personas):
    before = Application.objects.get(pk=complete_application.pk)
    body = {"version": before.version + 50, "direction": "伪造版本"}

    _api(personas.applicant).patch(
        f"/api/v1/applications/{before.pk}", json.dumps(body), content_type="application/json"
    )

    after = Application.objects.get(pk=before.pk)
    assert after.version in (before.version, before.version + 1)  # the server counts; the body never sets it


def test_api_create_ignores_status_and_other_units(call, personas):
    body = {**_hostile(personas), "call_id": call.pk}

    response = _api(personas.applicant_b).post(
        "/api/v1/applications", json.dumps(body), content_type="application/json"
    )

    created = Application.objects.get(pk=response.json()["id"])
    assert response.status_code == 201
    assert (created.status, created.lead_unit_id, created.created_by_id) == (
        Status.DRAFT,
        personas.applicant_b.unit_id,
        personas.applicant_b.pk,
    )
    assert created.recommender_id == personas.applicant_b.unit.recommender_id


def test_section_form_ignores_status_and_recommender_outside_basic(complete_application, personas):
    client = Client()
    client.force_login(personas.applicant)
    before = Application.objects.get(pk=complete_application.pk)

    client.post(
        f"/applications/{before.pk}/section/governance/",
        {
            **{k: v for k, v in _hostile(personas).items() if v is not None},
            "base_version": before.version,
            "direction": "表单方向",
        },
    )

    after = Application.objects.get(pk=before.pk)
    assert (after.status, after.recommender_id, after.lead_unit_id) == (
        before.status,
        before.recommender_id,
        before.lead_unit_id,
    )


def test_registration_ignores_role_staff_and_approval(dictionaries):
    from sciplan.accounts.demo import unit_code

    response = Client().post(
        "/accounts/register/",
        {
            "unit_name": "岳阳越权测试有限公司",
            "uscc": unit_code("MA4L0Y88"),
            "recommender": Recommender.objects.get(code="430603").pk,
            "username": "massassign",
            "name": "测试",
            "mobile": "13807309999",
            "password": "Strong-Pass-2024",
            "password2": "Strong-Pass-2024",
            "licence": licence_scan(),
            "role": Role.BUREAU,
            "is_staff": "on",
            "is_superuser": "on",
            "status": UnitStatus.APPROVED,
            "recommender_id": "1",
        },
    )

    assert response.status_code == 302, response.content.decode()[-3000:]
    user = User.objects.get(username="massassign")
    assert (user.role, user.is_staff, user.is_superuser, user.unit.status) == (
        Role.APPLICANT,
        False,
        False,
        UnitStatus.PENDING,
    )


def test_unit_admin_cannot_create_a_bureau_user(personas):
    client = Client()
    client.force_login(personas.applicant)

    client.post(
        "/accounts/unit/users/",
        {
            "username": "sneaky",
            "name": "某人",
            "mobile": "13807308888",
            "password": "Strong-Pass-2024",
            "role": Role.BUREAU,
            "unit": personas.applicant_b.unit_id,
            "is_unit_admin": "on",
        },
    )

    user = User.objects.get(username="sneaky")
    assert (user.role, user.unit_id, user.is_unit_admin) == (
        Role.APPLICANT,
        personas.applicant.unit_id,
        False,
    )


def test_unit_review_cannot_move_the_unit_to_another_recommender(personas):
    pending = Unit.objects.get(status=UnitStatus.PENDING)
    client = Client()
    client.force_login(personas.county)

    client.post(
        f"/accounts/units/{pending.pk}/review/",
        {
            "decision": "approve",
            "confirm": "1",
            "recommender": Recommender.objects.get(code="P01").pk,
            "name": "改名",
        },
    )

    pending.refresh_from_db()
    assert (pending.status, pending.recommender.code, pending.name) == (
        UnitStatus.APPROVED,
        "430603",
        "岳阳云溪新能源科技有限公司",
    )
