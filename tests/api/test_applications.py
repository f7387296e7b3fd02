from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sciplan.applications.models import Application, StatusEvent
from sciplan.applications.workflow import Status
from tests.factories import application_in_state

pytestmark = pytest.mark.django_db


def test_application_create_returns_draft_with_version_one(call, api_as):
    client = api_as("applicant_b")

    response = client.post("/applications", {"call_id": call.pk})

    body = response.json()
    assert response.status_code == 201
    assert (body["status"], body["version"], body["lead_unit"]["name"]) == (
        "draft",
        1,
        "岳阳智联装备制造有限公司",
    )
    assert [f["year"] for f in body["finances"]] == call.rd_years
    assert body["created_at"].endswith("+08:00")


def test_application_get_has_members_platforms_attachments_and_money_strings(complete_application, api_as):
    response = api_as("applicant").get(f"/applications/{complete_application.pk}")

    body = response.json()
    assert response.status_code == 200
    assert len(body["members"]) == 3
    assert body["members"][0]["contact_mobile"] == "13707300000"
    assert len(body["platforms"]) == 1
    assert sorted(a["kind"] for a in body["attachments"]) == [
        "agreement",
        "agreement",
        "agreement",
        "charter",
        "commitment",
        "financial_evidence",
        "platform_certificate",
    ]
    assert body["planned_investment"] == "6800.00"
    assert body["finances"][0]["rd_spending"] == "450.00"
    assert body["actions"] == ["submit"]


@pytest.mark.parametrize(
    "path",
    [
        "/applications/{pk}",
        "/applications/{pk}/history",
        "/applications/{pk}/eligibility",
        "/applications/{pk}/attachments/{attachment}",
    ],
)
def test_other_applicant_gets_404_for_reads(complete_application, api_as, path):
    attachment = complete_application.attachments.first()

    response = api_as("applicant_b").get(path.format(pk=complete_application.pk, attachment=attachment.pk))

    assert response.status_code == 404
    assert response.json() == {"detail": "未找到，或您无权查看。", "code": "not_found"}


def test_other_applicant_gets_404_for_writes(complete_application, api_as):
    client = api_as("applicant_b")
    pk = complete_application.pk
    member = complete_application.members.first()
    attachment = complete_application.attachments.first()

    statuses = [
        client.patch(f"/applications/{pk}", {"version": 1, "direction": "夺取"}).status_code,
        client.post(
            f"/applications/{pk}/members", {"name": "某", "uscc": "x", "category": "team", "role": "r"}
        ).status_code,
        client.patch(f"/applications/{pk}/members/{member.pk}", {"version": 1, "name": "夺取"}).status_code,
        client.delete(f"/applications/{pk}/members/{member.pk}").status_code,
        client.delete(f"/applications/{pk}/attachments/{attachment.pk}").status_code,
        client.post(f"/applications/{pk}/transitions", {"action": "submit"}).status_code,
    ]

    assert statuses == [404, 404, 404, 404, 404, 404]
    assert complete_application.members.count() == 3
    assert Application.objects.get(pk=pk).status == Status.DRAFT


def test_application_update_saves_fields_of_several_sections(complete_application, api_as, call):
    application = Application.objects.get(pk=complete_application.pk)
    year = call.rd_years[0]

    response = api_as("applicant").patch(
        f"/applications/{application.pk}",
        {
            "version": application.version,
            "direction": "先进储能材料",
            "liaison_name": "王强",
            "finances": [{"year": year, "rd_spending": "512.30"}],
        },
    )

    body = response.json()
    assert response.status_code == 200
    assert (body["direction"], body["liaison_name"], body["finances"][0]["rd_spending"]) == (
        "先进储能材料",
        "王强",
        "512.30",
    )
    assert body["consortium_name"] == "岳阳市先进储能材料创新联合体"
    assert body["version"] == application.version + 3  # one save per section


def test_application_update_stale_same_field_is_409_with_current_text(complete_application, api_as):
    application = Application.objects.get(pk=complete_application.pk)
    base = application.version
    client = api_as("applicant")
    client.patch(f"/applications/{application.pk}", {"version": base, "basis": "同事先保存的文字。"})

    response = client.patch(f"/applications/{application.pk}", {"version": base, "basis": "我的文字。"})

    assert response.status_code == 409
    assert response.json()["code"] == "stale"
    assert response.json()["current"] == {"version": base + 1, "fields": {"basis": "同事先保存的文字。"}}
    assert Application.objects.get(pk=application.pk).basis == "同事先保存的文字。"


def test_application_update_invalid_fields_is_422_with_chinese_map_and_saves_nothing(
    complete_application, api_as, call
):
    application = Application.objects.get(pk=complete_application.pk)

    response = api_as("applicant").patch(
        f"/applications/{application.pk}",
        {
            "version": application.version,
            "direction": "新方向",
            "contact_mobile": "12345",
            "industry_id": 999999,
            "finances": [{"year": call.rd_years[1], "rd_spending": "-5"}],
        },
    )

    assert response.status_code == 422
    assert response.json()["code"] == "validation"
    assert sorted(response.json()["errors"]) == [
        "contact_mobile",
        f"finances.{call.rd_years[1]}.rd_spending",
        "industry_id",
    ]
    assert response.json()["errors"]["industry_id"] == "请选择本批次1+3+X产业目录中的产业。"
    assert Application.objects.get(pk=application.pk).direction == "高性能聚烯烃新材料"


def test_application_update_type_errors_are_chinese(complete_application, api_as):
    response = api_as("applicant").patch(
        f"/applications/{complete_application.pk}", {"version": "x", "start_date": "明天"}
    )

    assert response.status_code == 422
    assert response.json()["errors"] == {
        "version": "请填写数字。",
        "start_date": "日期格式不正确，请使用 YYYY-MM-DD。",
    }


def test_application_update_ignores_mass_assignment(complete_application, api_as, personas):
    application = Application.objects.get(pk=complete_application.pk)
    other_unit = personas.applicant_b.unit

    response = api_as("applicant").patch(
        f"/applications/{application.pk}",
        {
            "version": application.version,
            "status": "recognized",
            "lead_unit": other_unit.pk,
            "lead_unit_id": other_unit.pk,
            "field_versions": {"basis": 999},
            "submitted_at": "2024-01-01T00:00:00+08:00",
        },
    )

    after = Application.objects.get(pk=application.pk)
    assert response.status_code == 200
    assert (after.status, after.lead_unit_id, after.version, after.field_versions, after.submitted_at) == (
        Status.DRAFT,
        application.lead_unit_id,
        application.version,
        application.field_versions,
        None,
    )


def test_recommender_sees_submitted_application_of_jurisdiction_only(submitted_application, api_as):
    county = api_as("county").get(f"/applications/{submitted_application.pk}")
    county_b = api_as("county_b").get(f"/applications/{submitted_application.pk}")

    assert county.status_code == 200
    assert county.json()["actions"] == ["accept", "return"]
    assert county_b.status_code == 404


def test_transition_with_same_idempotency_key_twice_gives_one_event(complete_application, api_as):
    client = api_as("applicant")
    body = {"action": "submit", "idempotency_key": "submit-0001-abcdef"}

    first = client.post(f"/applications/{complete_application.pk}/transitions", body)
    second = client.post(f"/applications/{complete_application.pk}/transitions", body)

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["application"]["status"] == "submitted"
    assert first.json()["version"]["receipt_no"] == second.json()["version"]["receipt_no"]
    assert StatusEvent.objects.filter(application=complete_application).count() == 1


def test_withdraw_with_same_idempotency_key_twice_gives_one_event(submitted_application, api_as):
    client = api_as("applicant")
    body = {"action": "withdraw", "reason": "暂缓申报", "idempotency_key": "withdraw-0001-abc"}

    first = client.post(f"/applications/{submitted_application.pk}/transitions", body)
    second = client.post(f"/applications/{submitted_application.pk}/transitions", body)

    assert (first.status_code, second.status_code) == (200, 200)
    assert [e.action for e in StatusEvent.objects.filter(application=submitted_application)] == [
        "submit",
        "withdraw",
    ]


def test_transition_not_allowed_in_state_is_409(complete_application, api_as):
    response = api_as("applicant").post(
        f"/applications/{complete_application.pk}/transitions", {"action": "withdraw"}
    )

    assert response.status_code == 409
    assert response.json()["code"] == "state"


def test_transition_of_another_role_is_403(submitted_application, api_as):
    response = api_as("applicant").post(
        f"/applications/{submitted_application.pk}/transitions", {"action": "accept"}
    )

    assert response.status_code == 403
    assert Application.objects.get(pk=submitted_application.pk).status == Status.SUBMITTED


def test_transition_return_without_reason_is_400_with_field(submitted_application, api_as):
    response = api_as("county").post(
        f"/applications/{submitted_application.pk}/transitions", {"action": "return"}
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"reason": "“退回修改”须填写理由。"}


def test_history_lists_events_with_receipt(submitted_application, api_as):
    response = api_as("applicant").get(f"/applications/{submitted_application.pk}/history")

    body = response.json()
    assert response.status_code == 200
    assert [(e["action"], e["from_status"], e["to_status"]) for e in body["events"]] == [
        ("submit", "draft", "submitted")
    ]
    assert body["events"][0]["receipt_no"] == body["versions"][0]["receipt_no"]
    assert body["events"][0]["at"].endswith("+08:00")


def test_eligibility_check_of_complete_application_passes(complete_application, api_as):
    response = api_as("applicant").get(f"/applications/{complete_application.pk}/eligibility")

    assert response.status_code == 200
    assert response.json()["eligible"] is True
    assert [r["passed"] for r in response.json()["rules"] if r["hard"]] == [True] * len(
        [r for r in response.json()["rules"] if r["hard"]]
    )


def test_application_list_query_count_does_not_grow(call, personas, api_as):
    client = api_as("bureau")
    client.get("/applications")  # the token's first use records last_used_at: one extra write, once
    application_in_state(call, personas.applicant, Status.SUBMITTED)

    with CaptureQueriesContext(connection) as one:
        first = client.get("/applications")
    for user in ("applicant_b", "applicant_xinghu", "applicant_jiangbei"):
        application_in_state(call, personas[user], Status.SUBMITTED, direction=f"{user}方向")
    with CaptureQueriesContext(connection) as four:
        second = client.get("/applications")

    assert (first.json()["count"], second.json()["count"]) == (1, 4)
    assert len(four.captured_queries) == len(one.captured_queries)


def test_huge_numbers_are_422_not_a_database_error(personas, api_as):
    client = api_as("applicant")

    statuses = [
        client.get("/applications", offset=61687360289013825536).status_code,
        client.get("/applications/99999999999999999999999").status_code,
        client.post("/applications", {"call_id": 99999999999999999999999}).status_code,
    ]

    assert statuses == [422, 422, 422]


def test_unreadable_body_is_400_in_our_error_shape(complete_application, api_as):
    client = api_as("applicant")

    response = client.client.post(
        f"/api/v1/applications/{complete_application.pk}/transitions",
        b"\x00",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {client.token}",
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "请求体无法解析，请发送有效的 JSON（UTF-8）。",
        "code": "bad_request",
    }


def test_application_update_with_version_from_the_future_is_422(complete_application, api_as):
    application = Application.objects.get(pk=complete_application.pk)

    response = api_as("applicant").patch(
        f"/applications/{application.pk}", {"version": application.version + 5, "basis": "覆盖"}
    )

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["version"]
    assert Application.objects.get(pk=application.pk).basis == application.basis
