"""Every decision of the recommender and the finance department asks once (issue: irreversible actions):
a POST without ``confirm=1`` changes nothing and shows what will happen and who will be told, with what
was typed kept; the confirmed POST decides."""

from __future__ import annotations

import re

import pytest

from sciplan.applications.models import Application, StatusEvent
from sciplan.recommendations.models import Recommendation
from tests.factories import application_in_state
from tests.recommendations.conftest import record_clean_credit, upload_pdf_letter

pytestmark = pytest.mark.django_db

CASES = [
    # (state, actor, action, posted, panel title, who is told, button class, state after confirming)
    ("submitted", "county", "accept", {}, "确认受理", "申报单位", "btn", "accepted"),
    (
        "submitted",
        "county",
        "return",
        {"reason": "请补充研发投入佐证。"},
        "退回修改",
        "短信",
        "btn btn-secondary",
        "returned",
    ),
    (
        "accepted",
        "county",
        "recommend",
        {"opinion": "同意推荐。", "rank": "1"},
        "确认推荐",
        "本级财政部门",
        "btn",
        "awaiting_finance",
    ),
    (
        "accepted",
        "county",
        "decline",
        {"reason": "研发投入不足。"},
        "不予推荐",
        "申报单位",
        "btn btn-danger",
        "not_recommended",
    ),
    (
        "awaiting_finance",
        "finance",
        "finance_confirm",
        {},
        "确认联合推荐",
        "申报单位",
        "btn",
        "recommended",
    ),
    (
        "awaiting_finance",
        "finance",
        "finance_refuse",
        {"reason": "配套资金未落实。"},
        "不同意推荐",
        "科技部门",
        "btn btn-danger",
        "accepted",
    ),
]


def _application(call, personas, state):
    application = application_in_state(call, personas.applicant, state)
    if state != "awaiting_finance":  # a co-signed recommendation was credit-checked before it
        record_clean_credit(application, personas.county)
    return application


def _events(application) -> list[str]:
    return list(
        StatusEvent.objects.filter(application=application).order_by("id").values_list("action", flat=True)
    )


@pytest.mark.parametrize(("state", "actor", "action", "posted", "title", "told", "css", "after"), CASES)
def test_decision_without_confirm_changes_nothing_and_shows_the_panel(
    call, personas, web_as, state, actor, action, posted, title, told, css, after
):
    application = _application(call, personas, state)
    before = _events(application)

    response = web_as(actor).post(f"/recommend/applications/{application.pk}/act/{action}/", posted)
    page = response.content.decode()

    assert response.status_code == 200
    assert Application.objects.get(pk=application.pk).status == state
    assert _events(application) == before
    assert f'id="confirm-{action}"' in page
    assert "data-confirm-open" in page
    assert title in page
    assert "将通知：" in page and told in page
    assert 'name="confirm" value="1"' in page
    panel = page.split(f'id="confirm-{action}"')[1].split("data-confirm-cancel")[0]
    assert re.findall(r'name="confirm" value="1" class="([^"]+)"', panel) == [css]
    for value in posted.values():
        assert value in page  # nothing typed is lost


@pytest.mark.parametrize(("state", "actor", "action", "posted", "title", "told", "css", "after"), CASES)
def test_confirmed_decision_is_taken(
    call, personas, web_as, state, actor, action, posted, title, told, css, after
):
    application = _application(call, personas, state)

    response = web_as(actor).post(
        f"/recommend/applications/{application.pk}/act/{action}/", {**posted, "confirm": "1"}
    )

    assert response.status_code == 302
    assert Application.objects.get(pk=application.pk).status == after


def test_detail_page_carries_each_question_closed_for_the_dialog(call, personas, web_as):
    application = _application(call, personas, "accepted")

    page = web_as("county").get(f"/recommend/applications/{application.pk}/").content.decode()

    assert page.count("data-confirm-panel") == 3  # recommend, decline, return
    assert "data-confirm-open" not in page
    assert page.count('data-confirm-panel role="group" aria-labelledby') == 3


def test_a_missing_reason_is_said_at_once_without_a_question(call, personas, web_as):
    application = _application(call, personas, "accepted")

    response = web_as("county").post(
        f"/recommend/applications/{application.pk}/act/decline/", {"reason": " "}
    )

    assert response.status_code == 400
    assert "data-confirm-open" not in response.content.decode()
    assert Application.objects.get(pk=application.pk).status == "accepted"


def test_unconfirmed_recommend_keeps_rank_and_writes_no_recommendation(call, personas, web_as):
    application = _application(call, personas, "accepted")

    response = web_as("county").post(
        f"/recommend/applications/{application.pk}/act/recommend/",
        {"opinion": "理由充分，同意推荐。", "rank": "1"},
    )

    assert "理由充分，同意推荐。</textarea>" in response.content.decode()
    assert Recommendation.objects.filter(application=application).count() == 0


# --- the letter's alarm and the call selector -------------------------------------------------------


def test_missing_letter_alarm_is_for_the_recommender_only(call, personas, web_as):
    application = _application(call, personas, "awaiting_finance")
    pages = {
        name: web_as(name).get(url).content.decode()
        for name in ("county", "finance")
        for url in [f"/recommend/applications/{application.pk}/"]
    }
    worklists = {
        name: web_as(name).get("/recommend/worklist/").content.decode() for name in ("county", "finance")
    }
    letters = {
        name: web_as(name).get("/recommend/letter/").content.decode() for name in ("county", "finance")
    }

    alarm = "未上传推荐函：市科技局将不予受理"
    assert [alarm in pages["county"], alarm in worklists["county"], alarm in letters["county"]] == [True] * 3
    assert [alarm in pages["finance"], alarm in worklists["finance"], alarm in letters["finance"]] == [
        False
    ] * 3
    assert "由科技部门上传，财政部门无需办理" in worklists["finance"]


def test_no_alarm_once_the_letter_is_uploaded(call, personas, web_as):
    upload_pdf_letter(call, personas.county)

    page = web_as("county").get("/recommend/worklist/").content.decode()

    assert "未上传推荐函" not in page


def test_call_selector_has_a_switch_button_and_no_inline_script(call, call_2024, personas, web_as):
    page = web_as("finance").get("/recommend/worklist/").content.decode()
    selector = (
        page.split('id="f-call"')[0].rsplit("<form", 1)[1] + page.split('id="f-call"')[1].split("</form>")[0]
    )

    assert "onchange" not in page
    assert "data-autosubmit" in selector
    assert ">切换</button>" in selector
    assert "<noscript>" not in selector


def test_switching_calls_without_javascript_shows_the_chosen_call(call, call_2024, personas, web_as):
    response = web_as("finance").get("/recommend/worklist/", {"call": call_2024.pk})

    assert response.context["call"] == call_2024
