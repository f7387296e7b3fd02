from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sciplan.accounts import uscc
from sciplan.accounts.demo import ensure_user
from sciplan.accounts.models import Unit, UnitStatus
from sciplan.accounts.roles import Role
from sciplan.calls.models import Recommender
from sciplan.core.models import AuditEvent
from sciplan.review import panels
from sciplan.review.models import Expert
from tests.api.conftest import sign_in
from tests.factories import application_in_state

pytestmark = pytest.mark.django_db


def _registration(**overrides) -> dict:
    body = {
        "unit_name": "岳阳新澜科技有限公司",
        "uscc": uscc.build("91430600", "MA4L0Q07"),
        "recommender_id": Recommender.objects.get(code="430603").pk,
        "username": "xinlan_admin",
        "name": "钱进",
        "mobile": "13807309999",
        "password": "Xinlan-2024-ok",
    }
    return {**body, **overrides}


def test_unit_register_creates_pending_unit(personas, anonymous):
    response = anonymous.post("/units", _registration())

    assert response.status_code == 201
    assert (response.json()["status"], response.json()["recommender"]["name"]) == ("pending", "云溪区")
    assert AuditEvent.objects.filter(event_type="unit.register").count() == 1


def test_unit_register_reports_fields_in_chinese(personas, anonymous):
    response = anonymous.post(
        "/units", _registration(uscc="91430600MA4L0Q07X0", mobile="123", recommender_id=999999)
    )

    assert response.status_code == 422
    assert sorted(response.json()["errors"]) == ["mobile", "recommender_id", "uscc"]
    assert Unit.objects.filter(name="岳阳新澜科技有限公司").exists() is False


def test_unit_approve_by_region_recommender(personas, anonymous):
    unit_id = anonymous.post("/units", _registration()).json()["id"]

    other_county = sign_in("county_b").post(f"/units/{unit_id}/decision", {"approve": True})
    applicant = sign_in("applicant").post(f"/units/{unit_id}/decision", {"approve": True})
    own_county = sign_in("county").post(f"/units/{unit_id}/decision", {"approve": True})
    repeated = sign_in("county").post(f"/units/{unit_id}/decision", {"approve": False, "reason": "再审"})

    assert (other_county.status_code, applicant.status_code) == (404, 404)
    assert (own_county.status_code, own_county.json()["status"]) == (200, "approved")
    assert repeated.status_code == 409
    assert Unit.objects.get(pk=unit_id).status == UnitStatus.APPROVED


def test_unit_reject_needs_reason(personas, anonymous):
    unit_id = anonymous.post("/units", _registration()).json()["id"]

    response = sign_in("county").post(f"/units/{unit_id}/decision", {"approve": False})

    assert response.status_code == 422
    assert response.json()["errors"] == {"reason": "请填写不通过的理由。"}


def test_call_list_and_get_are_public(call, call_2024, anonymous):
    listed = anonymous.get("/calls")
    detail = anonymous.get(f"/calls/{call_2024.pk}")

    assert listed.status_code == 200
    assert sorted(c["phase"] for c in listed.json()) == ["closed", "open"]
    assert detail.status_code == 200
    assert detail.json()["closes_at"] == "2024-08-04T18:00:00+08:00"
    assert detail.json()["rd_threshold"] == "1000.00"
    assert detail.json()["rd_years"] == [2021, 2022, 2023]
    assert len(detail.json()["recommenders"]) == 18


def test_call_get_unknown_is_404(anonymous, db):
    assert anonymous.get("/calls/999999").status_code == 404


def test_call_list_query_count_does_not_grow(call, anonymous):
    with CaptureQueriesContext(connection) as one:
        anonymous.get("/calls")
    from sciplan.calls.demo import create_call_2024

    create_call_2024()
    with CaptureQueriesContext(connection) as two:
        response = anonymous.get("/calls")

    assert len(response.json()) == 2
    assert len(two.captured_queries) == len(one.captured_queries)


def test_recommender_sees_contact_phones_masked_and_owner_in_full(call, personas):
    application = application_in_state(call, personas.applicant, "submitted")

    county_view = sign_in("county").get(f"/applications/{application.pk}").json()
    owner_view = sign_in("applicant").get(f"/applications/{application.pk}").json()

    assert (county_view["contact_mobile"], county_view["members"][0]["contact_mobile"]) == (
        "138****1234",
        "137****0000",
    )
    assert county_view["contact_email"] == "c***@example.cn"
    assert (owner_view["contact_mobile"], owner_view["members"][0]["contact_mobile"]) == (
        "13807301234",
        "13707300000",
    )


def test_assigned_expert_sees_contact_phones_masked(call, personas):
    application = application_in_state(call, personas.applicant, "under_review", actor=personas.bureau)
    account = ensure_user("expert_api", "专家甲", Role.EXPERT, mobile="13507300000")
    Expert.objects.create(name="专家甲", organisation="湖南大学", fields=["petrochem"], user=account)
    draw = panels.draw_panel([application.pk], size=1, by=personas.bureau)
    panels.declare(draw.assignments.get(), conflict=False, by=account)

    expert_view = sign_in("expert_api").get(f"/applications/{application.pk}").json()
    bureau_view = sign_in("bureau").get(f"/applications/{application.pk}").json()

    assert (expert_view["contact_mobile"], expert_view["liaison_mobile"]) == ("138****1234", "139****5678")
    assert expert_view["members"][0]["contact_mobile"] == "137****0000"
    assert expert_view["actions"] == []
    assert (bureau_view["contact_mobile"], bureau_view["members"][0]["contact_mobile"]) == (
        "13807301234",
        "13707300000",
    )


def test_unit_admin_adds_a_filling_user_through_the_api(personas, api_as):
    from sciplan.accounts.models import User

    body = {
        "username": "tianbao01",
        "name": "填报人甲",
        "mobile": "13807301111",
        "password": "Tianbao-2024-ok",
    }

    created = api_as("applicant").post("/units/mine/users", body)
    refused = api_as("county").post("/units/mine/users", {**body, "username": "tianbao02"})
    bad = api_as("applicant").post("/units/mine/users", {**body, "username": "tianbao03", "mobile": "123"})

    assert created.status_code == 201, created.content
    user = User.objects.get(username="tianbao01")
    assert (user.role, user.unit_id) == (Role.APPLICANT, personas.applicant.unit_id)
    assert refused.status_code == 403
    assert (bad.status_code, list(bad.json()["errors"])) == (422, ["mobile"])


def test_bureau_overrides_a_uscc_through_the_api_and_others_cannot(personas, api_as):
    early = uscc.build("90430600", "MA4L7E01")
    body = {"uscc": early, "unit_name": "岳阳老字号酱园", "reason": "核对登记证书无误"}

    bureau = api_as("bureau")
    refused = api_as("county").post("/uscc-overrides", body)
    created = bureau.post("/uscc-overrides", body)
    again = bureau.post("/uscc-overrides", body)

    assert refused.status_code == 403
    assert created.status_code == 201, created.content
    assert created.json()["uscc"] == early
    assert (again.status_code, again.json()["errors"]) == (422, {"uscc": "该代码已豁免，无需重复办理。"})
    assert AuditEvent.objects.filter(event_type="unit.uscc_override").count() == 1
