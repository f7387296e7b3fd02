"""The formal review's conclusion and the freezing of the ranking ask once: without ``confirm=1``
nothing is recorded and the page shows what will happen, with the ticks and the text kept."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from sciplan.applications.demo import sample_pdf
from sciplan.applications.models import Application
from sciplan.applications.workflow import Status
from sciplan.core import clock
from sciplan.review import panels, services
from sciplan.review.models import FormalReview, Ranking
from tests.factories import application_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(call, personas):
    """A recommended application with its letter and paper copies in: formal review can pass."""
    from sciplan.recommendations import services as rec

    application = application_in_state(call, personas.applicant, "recommended")
    rec.upload_letter(call, fileobj=io.BytesIO(sample_pdf()), filename="推荐函.pdf", by=personas.county)
    services.record_paper_receipt(
        application,
        {"received_on": clock.local(clock.now()).date().isoformat(), "copies": "3", "received_by": "李娜"},
        by=personas.bureau,
    )
    return application


def bureau(personas) -> Client:
    client = Client()
    client.force_login(personas.bureau)
    return client


def _checklist(application) -> list[str]:
    return [key for key, _ in services.checklist_items(application.call)]


@pytest.mark.parametrize(
    ("outcome", "reason", "title", "button"),
    [
        ("pass", "", "形式审查通过？", "确认通过"),
        ("fail", "申报书未加盖公章。", "形式审查不通过？", "确认不通过"),
        ("return", "缺少联合体章程盖章页。", "退回补正？", "确认退回补正"),
    ],
)
def test_formal_conclusion_without_confirm_records_nothing_and_asks(
    ready, personas, outcome, reason, title, button
):
    response = bureau(personas).post(
        f"/review/applications/{ready.pk}/formal/",
        {"checklist": _checklist(ready), "outcome": outcome, "reason": reason, "deadline": ""},
    )
    page = response.content.decode()

    assert response.status_code == 200
    assert (Application.objects.get(pk=ready.pk).status, FormalReview.objects.count()) == (
        Status.RECOMMENDED,
        0,
    )
    opened = page.split("data-confirm-open")[1].split("data-confirm-cancel")[0]
    assert title in opened and button in opened
    assert page.count("data-confirm-open") == 1
    assert page.count(" checked") >= len(_checklist(ready))  # the ticks are kept
    if reason:
        assert f"{reason}</textarea>" in page


def test_confirmed_formal_fail_is_recorded(ready, personas):
    response = bureau(personas).post(
        f"/review/applications/{ready.pk}/formal/",
        {"checklist": _checklist(ready), "outcome": "fail", "reason": "申报书未加盖公章。", "confirm": "1"},
    )

    assert response.status_code == 302
    assert Application.objects.get(pk=ready.pk).status == Status.FORMAL_REVIEW_FAILED


def test_formal_fail_without_reason_is_said_at_once(ready, personas):
    response = bureau(personas).post(
        f"/review/applications/{ready.pk}/formal/",
        {"checklist": _checklist(ready), "outcome": "fail", "reason": ""},
    )

    assert response.status_code == 422
    assert "data-confirm-open" not in response.content.decode()


def test_freezing_the_ranking_without_confirm_freezes_nothing(call, personas, under_review, make_expert):
    make_expert("王专家", "湖南大学")
    panels.draw_panel([under_review.pk], size=1, by=personas.bureau)

    response = bureau(personas).post("/review/ranking/confirm/", {"call": call.pk})
    page = response.content.decode()

    assert response.status_code == 200
    assert Ranking.objects.filter(call=call).count() == 0
    assert "data-confirm-open" in page and "确认冻结排名" in page
