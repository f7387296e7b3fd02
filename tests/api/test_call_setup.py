"""The bureau's call set-up through the API: the same services, permissions and validation as the pages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sciplan.calls.models import Call, CallState
from sciplan.core import clock
from sciplan.core.models import AuditEvent
from tests.api.conftest import sign_in

pytestmark = pytest.mark.django_db

NOT_BUREAU = ("applicant", "applicant_b", "county", "finance", "park", "county_b", "finance_b", "admin")


def _new_call_body(industry_ids, recommender_ids) -> dict:
    year = clock.local(clock.now()).year + 1
    return {
        "title": f"{year}年度创新联合体申报",
        "year": year,
        "opens_at": f"{year}-07-01T00:00:00",
        "closes_at": f"{year}-08-01T18:00:00",
        "recommend_deadline": f"{year}-08-06T18:00:00+08:00",
        "paper_deadline": f"{year}-08-10",
        "rd_threshold": "800",
        "rd_first_year": year - 3,
        "industries": industry_ids,
        "recommenders": recommender_ids,
        "rubric": [
            {"label": "牵头单位实力", "max": 60, "description": "研发投入与平台"},
            {"label": "合作基础", "max": 40, "description": "成员与协议"},
        ],
        "attachment_specs": [{"kind": "charter", "types": ["pdf"], "max_mb": 10, "required": True}],
    }


@pytest.fixture
def ids(call):
    return list(call.industries.values_list("pk", flat=True)), list(
        call.recommenders.values_list("pk", flat=True)
    )


def test_create_then_publish_a_call(ids, personas):
    bureau = sign_in("bureau")

    created = bureau.post("/calls", _new_call_body(*ids))
    body = created.json()
    published = bureau.post(f"/calls/{body['id']}/publish")

    assert (created.status_code, body["state"], body["rd_threshold"]) == (201, "draft", "800.00")
    assert [i["max"] for i in body["rubric"]] == [60, 40]
    assert [a["code"] for a in body["required_attachments"]] == ["charter"]
    assert (published.status_code, published.json()["state"]) == (200, "published")
    assert body["id"] in [c["id"] for c in sign_in("applicant").get("/calls").json()]
    events = AuditEvent.objects.filter(object_id=str(body["id"]), event_type__startswith="call.")
    assert sorted(events.values_list("event_type", flat=True)) == ["call.create", "call.publish"]


def test_create_with_bad_weights_answers_422_with_a_field_message(ids, personas):
    body = _new_call_body(*ids)
    body["rubric"][1]["max"] = 30

    response = sign_in("bureau").post("/calls", body)

    assert response.status_code == 422
    assert response.json()["errors"] == {"rubric": "各项指标分值合计须为100分，当前合计90分。"}
    assert Call.objects.count() == 1


def test_create_with_windows_out_of_order_names_the_field(ids, personas):
    body = _new_call_body(*ids)
    body["closes_at"] = body["opens_at"]

    response = sign_in("bureau").post("/calls", body)

    assert (response.status_code, list(response.json()["errors"])) == (422, ["closes_at"])


def test_copy_makes_next_years_draft(call_2024, personas):
    response = sign_in("bureau").post(f"/calls/{call_2024.pk}/copy", {})

    body = response.json()
    assert (response.status_code, body["year"], body["state"]) == (201, 2025, "draft")
    assert body["closes_at"].startswith("2025-08-04T18:00:00")
    assert body["rd_years"] == [2022, 2023, 2024]


def test_copy_refuses_a_year_out_of_range_like_the_page(call_2024, personas):
    before = Call.objects.count()
    response = sign_in("bureau").post(f"/calls/{call_2024.pk}/copy", {"year": 2101})

    assert (response.status_code, response.json()["errors"]) == (
        422,
        {"year": "请填写2000至2100之间的年度。"},
    )
    assert Call.objects.count() == before


def test_update_of_an_opened_call_refuses_frozen_rules_and_needs_a_reason_to_move_a_window(call, personas):
    bureau = sign_in("bureau")
    later = clock.local(call.closes_at + timedelta(days=1)).isoformat()

    frozen = bureau.patch(f"/calls/{call.pk}", {"rd_threshold": "10"})
    no_reason = bureau.patch(f"/calls/{call.pk}", {"closes_at": later})
    moved = bureau.patch(f"/calls/{call.pk}", {"closes_at": later, "reason": "系统维护顺延"})

    assert (frozen.status_code, list(frozen.json()["errors"])) == (422, ["rd_threshold"])
    assert "已冻结" in frozen.json()["errors"]["rd_threshold"]
    assert (no_reason.status_code, list(no_reason.json()["errors"])) == (422, ["reason"])
    assert (moved.status_code, moved.json()["closes_at"]) == (200, later)
    event = AuditEvent.objects.filter(event_type="call.update", object_id=str(call.pk)).get()
    assert event.detail["reason"] == "系统维护顺延"


def test_update_of_a_draft_changes_only_what_is_sent(call_2024, personas):
    bureau = sign_in("bureau")
    draft_id = bureau.post(f"/calls/{call_2024.pk}/copy", {}).json()["id"]

    response = bureau.patch(f"/calls/{draft_id}", {"title": "2025年度申报（修订）", "panel_min_size": 7})

    draft = Call.objects.get(pk=draft_id)
    assert response.status_code == 200
    assert (draft.title, draft.panel_min_size, draft.rubric) == ("2025年度申报（修订）", 7, call_2024.rubric)
    changes = (
        AuditEvent.objects.filter(event_type="call.update", object_id=str(draft_id)).get().detail["changes"]
    )
    assert changes == {
        "title": {"old": "2025年度岳阳市创新联合体申报", "new": "2025年度申报（修订）"},
        "panel_min_size": {"old": 5, "new": 7},
    }


def test_transitions_out_of_turn_answer_409(call_2024, personas):
    bureau = sign_in("bureau")

    answers = [bureau.post(f"/calls/{call_2024.pk}/{a}").status_code for a in ("publish", "close", "archive")]

    assert answers == [409, 409, 200]  # the 2024 call is closed: only archiving is left
    assert Call.objects.get(pk=call_2024.pk).state == CallState.ARCHIVED
    assert bureau.patch(f"/calls/{call_2024.pk}", {"title": "改名"}).status_code == 409


def test_set_up_operations_are_404_for_everyone_but_the_bureau(call_2024, ids, personas):
    draft = sign_in("bureau").post(f"/calls/{call_2024.pk}/copy", {"year": 2030}).json()["id"]
    answers = {}
    for name in NOT_BUREAU:
        client = sign_in(name)
        answers[name] = [
            client.post("/calls", _new_call_body(*ids)).status_code,
            client.patch(f"/calls/{draft}", {"title": "x"}).status_code,
            client.post(f"/calls/{draft}/copy", {}).status_code,
            client.post(f"/calls/{draft}/publish").status_code,
            client.post(f"/calls/{call_2024.pk}/archive").status_code,
        ]

    assert answers == {name: [404] * 5 for name in NOT_BUREAU}
    assert (Call.objects.count(), Call.objects.get(pk=draft).state) == (3, CallState.DRAFT)
    assert Call.objects.get(pk=call_2024.pk).state == CallState.CLOSED


def test_a_draft_stays_invisible_through_the_public_operations(call_2024, personas):
    draft = sign_in("bureau").post(f"/calls/{call_2024.pk}/copy", {}).json()["id"]

    answers = [sign_in(name).get(f"/calls/{draft}").status_code for name in ("applicant", "county")]

    assert answers == [404, 404]


def test_state_and_unknown_fields_in_an_update_body_are_ignored(call_2024, personas):
    bureau = sign_in("bureau")
    draft = bureau.post(f"/calls/{call_2024.pk}/copy", {}).json()["id"]

    response = bureau.patch(f"/calls/{draft}", {"state": "published", "program": "other", "id": 1})

    assert (response.status_code, response.json()["state"]) == (200, "draft")
    assert (Call.objects.get(pk=draft).state, Call.objects.get(pk=draft).program) == (
        CallState.DRAFT,
        "innovation_consortium",
    )
    assert not AuditEvent.objects.filter(event_type="call.update", object_id=str(draft)).exists()
