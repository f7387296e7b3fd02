"""Intake (letter + paper copy) guards formal pass; formal return sets the correction deadline."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from sciplan.applications.demo import sample_pdf
from sciplan.applications.workflow import Status
from sciplan.core import clock
from sciplan.core.errors import Conflict, ValidationFailed
from sciplan.review import services
from sciplan.review.models import FormalReview
from tests.factories import application_in_state


@pytest.fixture
def recommended(call, personas):
    return application_in_state(call, personas.applicant, "recommended")


def _all_checked(application):
    return {key: True for key, _ in services.checklist_items(application.call)}


def _upload_letter(application, personas):
    from sciplan.recommendations import services as rec

    rec.upload_letter(
        application.call, fileobj=io.BytesIO(sample_pdf()), filename="推荐函.pdf", by=personas.county
    )


def _paper(application, personas):
    today = clock.local(clock.now()).date()
    services.record_paper_receipt(
        application,
        {"received_on": today.isoformat(), "copies": "3", "received_by": "李娜"},
        by=personas.bureau,
    )


def test_formal_pass_refused_without_letter_and_paper(recommended, personas):
    with pytest.raises(Conflict) as exc:
        services.record_formal_review(
            recommended, checklist=_all_checked(recommended), outcome="pass", by=personas.bureau
        )

    recommended.refresh_from_db()
    assert exc.value.message == "受理材料不全：推荐单位（云溪区）尚未上传推荐函；尚未登记收到纸质材料。"
    assert (recommended.status, FormalReview.objects.count()) == (Status.RECOMMENDED, 0)


def test_formal_pass_with_letter_and_paper_moves_to_review(recommended, personas):
    _upload_letter(recommended, personas)
    _paper(recommended, personas)

    services.record_formal_review(
        recommended, checklist=_all_checked(recommended), outcome="pass", by=personas.bureau
    )

    recommended.refresh_from_db()
    assert (recommended.status, services.intake_missing(recommended)) == (Status.UNDER_REVIEW, [])


def test_formal_fail_needs_a_reason(recommended, personas):
    with pytest.raises(ValidationFailed) as exc:
        services.record_formal_review(recommended, checklist={}, outcome="fail", by=personas.bureau)

    assert exc.value.field_errors == {"reason": "不通过或退回补正须填写理由。"}


def test_formal_return_sets_the_correction_deadline(recommended, personas, api):
    deadline = clock.local(clock.now() + timedelta(days=5)).replace(microsecond=0)

    response = api(personas.bureau).post(
        f"/review/applications/{recommended.pk}/formal-review",
        {"outcome": "return", "reason": "缺少联合体章程盖章页", "deadline": deadline.isoformat()},
    )

    recommended.refresh_from_db()
    assert (response.status_code, response.json()["status"]) == (201, "correction")
    assert (recommended.status, recommended.correction_deadline) == (Status.CORRECTION, deadline)


def test_paper_receipt_api_reports_what_is_missing(recommended, personas, api):
    response = api(personas.bureau).post(
        f"/review/applications/{recommended.pk}/paper-receipts",
        {"received_on": clock.local(clock.now()).date().isoformat(), "copies": 2, "received_by": "李娜"},
    )

    assert response.status_code == 201
    assert response.json()["intake_missing"] == ["推荐单位（云溪区）尚未上传推荐函"]


def test_paper_receipt_page_keeps_input_and_shows_the_error(recommended, personas, client):
    client.force_login(personas.bureau)

    response = client.post(
        f"/review/applications/{recommended.pk}/paper/",
        {"received_on": "", "copies": "0", "received_by": "王五"},
    )

    body = response.content.decode()
    assert response.status_code == 422
    assert "请填写正确的接收日期（年-月-日）。" in body
    assert 'value="王五"' in body


def test_a_refused_formal_pass_is_kept_in_the_audit_log(recommended, personas):
    from sciplan.core.models import AuditEvent

    with pytest.raises(Conflict):
        services.record_formal_review(
            recommended, checklist=_all_checked(recommended), outcome="pass", by=personas.bureau
        )

    assert list(
        AuditEvent.objects.filter(event_type="application.refused").values_list("outcome", flat=True)
    ) == ["refused"]
