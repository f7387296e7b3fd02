"""The recognition API: the same services, permissions and refusals as the pages."""

from __future__ import annotations

import pytest
import time_machine

from sciplan.applications.models import Application
from sciplan.applications.workflow import Status
from tests.api.conftest import ApiClient, sign_in
from tests.recognition.conftest import NOTICE_START, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def bureau_api(personas):
    return sign_in(personas.bureau.username)


def test_public_notice_create_and_anonymous_list(call, make_proposed, bureau_api):
    (application,) = make_proposed(1)

    with time_machine.travel(at(2024, 9, 27, 9, 0), tick=False):
        created = bureau_api.post(
            f"/recognition/calls/{call.pk}/public-notices", {"starts_on": str(NOTICE_START)}
        )
        listed = ApiClient().get("/public-notices", current="true")

    assert created.status_code == 201
    assert created.json()["ends_at"] == "2024-10-09T18:00:00+08:00"
    body = listed.json()
    assert [(n["id"], [e["application_id"] for e in n["entries"]]) for n in body] == [
        (created.json()["id"], [application.pk])
    ]
    assert body[0]["entries"][0]["member_units"] == [m.name for m in application.members.all()]


def test_public_notice_create_refused_for_an_applicant(call, make_proposed, personas):
    make_proposed(1)

    response = sign_in(personas.applicant.username).post(
        f"/recognition/calls/{call.pk}/public-notices", {"starts_on": "2030-01-02"}
    )

    assert response.status_code == 403


def test_objection_create_anonymous_late_and_malformed(published):
    notice, (application,) = published(1)
    good = {
        "application_id": application.pk,
        "objector_kind": "person",
        "objector_name": "张三",
        "objector_mobile": "13912345678",
        "content": "该联合体成员单位合作情况与申报不符。",
    }
    client = ApiClient()

    with time_machine.travel(at(2024, 10, 9, 17, 59, 59), tick=False):
        accepted = client.post(f"/public-notices/{notice.pk}/objections", good)
        malformed = client.post(f"/public-notices/{notice.pk}/objections", {**good, "objector_mobile": "110"})
        anonymous = client.post(
            f"/public-notices/{notice.pk}/objections", {**good, "objector_kind": "anonymous"}
        )
    with time_machine.travel(at(2024, 10, 9, 18, 0, 0), tick=False):
        late = client.post(f"/public-notices/{notice.pk}/objections", good)

    assert [r.status_code for r in (accepted, malformed, anonymous, late)] == [201, 422, 422, 409]
    assert list(malformed.json()["errors"]) == ["objector_mobile"]
    assert list(anonymous.json()["errors"]) == ["objector_kind"]
    assert late.json()["code"] == "deadline_passed"


def test_objection_resolve_upheld_and_recognition_create(published, bureau_api):
    notice, (kept, removed) = published(2)
    with time_machine.travel(at(2024, 10, 8, 9, 0), tick=False):
        receipt = (
            ApiClient()
            .post(
                f"/public-notices/{notice.pk}/objections",
                {
                    "application_id": removed.pk,
                    "objector_kind": "unit",
                    "unit_name": "岳阳智联装备制造有限公司",
                    "unit_uscc": removed.lead_unit.uscc,
                    "content": "该联合体研发投入数据不实，请核查。",
                },
            )
            .json()["receipt_no"]
        )
    from sciplan.recognition.models import Objection

    objection = Objection.objects.get(receipt_no=receipt)

    resolved = bureau_api.post(
        f"/objections/{objection.pk}/resolve", {"outcome": "upheld", "investigation": "经核实，数据不实。"}
    )
    with time_machine.travel(at(2024, 10, 10, 9, 0), tick=False):
        created = bureau_api.post(
            f"/applications/{kept.pk}/recognition",
            {"doc_number": "岳科发〔2024〕8号", "recognized_on": "2024-10-10"},
        )

    assert resolved.json()["application_status"] == Status.NOT_RECOGNIZED
    assert created.status_code == 201
    assert (created.json()["official_name"], created.json()["status"]) == (
        "岳阳市高性能聚烯烃新材料创新联合体",
        "recognized",
    )
    assert Application.objects.get(pk=removed.pk).status == Status.NOT_RECOGNIZED


def test_recognized_list_filters_by_year_anonymously(recognized):
    (recognition,) = recognized(1)

    this_year = ApiClient().get("/recognized", year=2024).json()
    other_year = ApiClient().get("/recognized", year=2023).json()

    assert [r["id"] for r in this_year] == [recognition.pk]
    assert other_year == []


def test_assessment_submit_and_grade(recognized, personas, bureau_api):
    (recognition,) = recognized(1)
    applicant = sign_in(personas.applicant.username)
    with time_machine.travel(at(2025, 3, 3, 10, 0), tick=False):
        submitted = applicant.upload(
            f"/recognized/{recognition.pk}/assessments",
            {
                "year": 2024,
                "progress": "完成中试。",
                "results_transferred": "转化2项。",
                "local_share": "40",
                "mechanism": "理事会按季度议事。",
            },
        )
    graded = bureau_api.post(f"/assessments/{submitted.json()['id']}/grade", {"grade": "excellent"})
    by_applicant = applicant.post(f"/assessments/{submitted.json()['id']}/grade", {"grade": "excellent"})

    assert submitted.status_code == 201
    assert graded.json()["grade"] == "excellent"
    assert by_applicant.status_code == 404


def test_revoke_through_application_transition_marks_the_register_entry(recognized, bureau_api):
    (recognition,) = recognized(1)

    answer = bureau_api.post(
        f"/applications/{recognition.application_id}/transitions",
        {"action": "revoke", "reason": "经局务会议研究决定撤销。"},
    )

    recognition.refresh_from_db()
    assert answer.status_code == 200, answer.content
    assert answer.json()["application"]["status"] == Status.REVOKED
    assert (recognition.revoked_reason, recognition.revoked_on is not None) == (
        "经局务会议研究决定撤销。",
        True,
    )
    assert ApiClient().get("/recognized", year=2024).json()[0]["revoked_on"] is not None


def test_assessment_notice_and_revocation_after_failing_through_the_api(recognized, personas, bureau_api):
    from sciplan.recognition import assessment as assessment_services
    from tests.recognition.test_assessment import submit

    (recognition,) = recognized(1)
    assessment = submit(recognition, personas.applicant)
    assessment_services.grade_assessment(
        assessment, grade="fail", comment="攻关任务未按期完成。", by=personas.bureau
    )
    with time_machine.travel(at(2025, 4, 1, 9, 0), tick=False):
        notice = bureau_api.post("/recognition/assessment-notices", {"year": 2024, "starts_on": "2025-04-01"})
        early = bureau_api.post(
            f"/applications/{recognition.application_id}/transitions",
            {"action": "revoke", "reason": "考核不合格", "payload": {"assessment_id": assessment.pk}},
        )
    with time_machine.travel(at(2025, 4, 9, 10, 0), tick=False):
        revoked = bureau_api.post(
            f"/applications/{recognition.application_id}/transitions",
            {
                "action": "revoke",
                "reason": "经局务会议研究决定撤销。",
                "payload": {"assessment_id": assessment.pk},
            },
        )

    recognition.refresh_from_db()
    assert notice.status_code == 201, notice.content
    assert notice.json()["ends_at"] == "2025-04-08T18:00:00+08:00"
    assert (early.status_code, early.json()["code"]) == (409, "state")
    assert revoked.status_code == 200, revoked.content
    assert recognition.revoked_reason == "2024年度考核不合格：经局务会议研究决定撤销。"
