"""Every page each person reaches from their menu, at desktop and phone width, without one console error
or Content-Security-Policy violation (the ``new_page`` fixture fails the test on either); the
recommender's call selector with and without JavaScript; and the confirmation of an irreversible
decision, as a dialog and as the page's own panel when scripts are off."""

from __future__ import annotations

import pytest

from sciplan.applications.models import Application
from sciplan.applications.workflow import Status
from sciplan.review import panels
from tests.e2e import steps
from tests.e2e.conftest import DESKTOP, PHONE, login
from tests.e2e.test_story import make_experts
from tests.factories import application_in_state
from tests.recommendations.conftest import record_clean_credit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(call, call_2024, personas):
    """Applications in the states the menus lead to: submitted, accepted, awaiting finance, under review."""
    submitted = application_in_state(call, personas.applicant, "submitted", direction="云溪新材料")
    accepted = application_in_state(call, personas.applicant_b, "accepted", direction="智能装备")
    record_clean_credit(accepted, personas.park)
    under_review = application_in_state(
        call, personas.applicant_jiangbei, "under_review", direction="华容食品", actor=personas.bureau
    )
    experts = make_experts(1)
    panels.draw_panel([under_review.pk], size=1, by=personas.bureau)
    return {"submitted": submitted, "accepted": accepted, "under_review": under_review, "expert": experts[0]}


def _menu(page) -> list[str]:
    return page.locator(".main-nav a").evaluate_all("links => links.map(a => a.getAttribute('href'))")


def _sweep(page, extra: list[str]) -> list[str]:
    """Visits the person's home, every menu entry and ``extra``; returns the paths visited."""
    page.goto(page.base + "/")
    steps.settle(page)
    paths = ["/", *_menu(page), *extra]
    for path in dict.fromkeys(paths):
        response = page.goto(page.base + path)
        steps.settle(page)
        assert response.status < 400, (path, response.status)
        if page.viewport_size["width"] <= PHONE["width"]:
            # A phone page never scrolls sideways: wide tables scroll inside themselves or read as cards.
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, (path, f"scrolls sideways by {overflow} px")
    return paths


PERSONS = {
    "applicant": lambda w: [
        f"/applications/{w['submitted'].pk}/",
        f"/applications/{w['submitted'].pk}/members/",
    ],
    "county": lambda w: [f"/recommend/applications/{w['submitted'].pk}/", "/accounts/units/pending/"],
    "finance": lambda w: ["/recommend/letter/"],
    "park": lambda w: [f"/recommend/applications/{w['accepted'].pk}/"],
    "bureau": lambda w: [f"/review/applications/{w['under_review'].pk}/", "/review/ranking/"],
    "admin": lambda w: [],
}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("person", list(PERSONS))
def test_every_menu_page_is_free_of_console_errors(new_page, world, shoot, two_factor, person, viewport):
    page = new_page(viewport=viewport)
    login(page, person)

    visited = _sweep(page, PERSONS[person](world))

    shoot(page, f"{person}-last-page")
    assert len(visited) > 1
    assert page.problems == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_expert_and_public_pages_are_free_of_console_errors(new_page, world, shoot, viewport):
    expert = new_page(viewport=viewport)
    login(expert, world["expert"].user.username)
    _sweep(expert, ["/review/assignments/"])
    public = new_page(viewport=viewport)
    for path in ("/", "/calls/", "/gongshi/", "/gongshi/objection/status/", "/recognized/", "/verify/"):
        public.goto(public.base + path)
        steps.settle(public)
    shoot(public, "public-last-page")
    assert expert.problems == [] and public.problems == []


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_county_and_finance_reach_the_other_call(new_page, world, call_2024, shoot, javascript):
    page = new_page(javascript=javascript)
    login(page, "finance")
    page.goto(page.base + "/recommend/worklist/")

    page.get_by_label("申报批次").select_option(str(call_2024.pk))
    if not javascript:
        page.get_by_role("button", name="切换").click()
    page.wait_for_url(f"**/recommend/worklist/?call={call_2024.pk}")
    steps.settle(page)

    shoot(page, f"finance-other-call-{'js' if javascript else 'nojs'}", phone=True)
    assert page.get_by_label("申报批次").input_value() == str(call_2024.pk)
    assert page.get_by_text("未上传推荐函：市科技局将不予受理").count() == 0  # not finance's to act on


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_decline_asks_in_a_dialog_and_cancel_keeps_everything(new_page, world, shoot, viewport):
    application = world["accepted"]
    page = new_page(viewport=viewport)
    login(page, "park")
    page.goto(f"{page.base}/recommend/applications/{application.pk}/")
    box = page.locator("form.action-box").filter(has=page.get_by_role("heading", name="不予推荐", exact=True))
    box.locator('[name="reason"]').fill("研发投入不足，合作基础薄弱。")

    box.get_by_role("button", name="不予推荐", exact=True).click()
    dialog = page.locator("dialog.confirm-dialog[open]")
    dialog.wait_for()
    text = dialog.inner_text()
    shoot(page, "decline-dialog")
    dialog.get_by_role("link", name="取消").click()

    assert "这是最终决定" in text and "将通知：" in text and "申报单位" in text
    assert page.locator("dialog.confirm-dialog[open]").count() == 0
    assert box.locator('[name="reason"]').input_value() == "研发投入不足，合作基础薄弱。"
    assert Application.objects.get(pk=application.pk).status == Status.ACCEPTED

    box.get_by_role("button", name="不予推荐", exact=True).click()
    steps.confirm(page)
    shoot(page, "declined")
    assert Application.objects.get(pk=application.pk).status == Status.NOT_RECOMMENDED


def test_without_javascript_the_page_asks_and_keeps_the_text(new_page, world, shoot):
    application = world["accepted"]
    page = new_page(javascript=False)
    login(page, "park")
    page.goto(f"{page.base}/recommend/applications/{application.pk}/")
    box = page.locator("form.action-box").filter(has=page.get_by_role("heading", name="推荐", exact=True))
    box.locator('[name="opinion"]').fill("合作基础扎实，同意推荐。")

    box.get_by_role("button", name="推荐", exact=True).click()
    steps.settle(page)
    panel = page.locator("[data-confirm-open]")
    shoot(page, "recommend-panel-nojs", phone=True)

    assert panel.count() == 1 and "将通知：" in panel.inner_text()
    assert Application.objects.get(pk=application.pk).status == Status.ACCEPTED
    assert page.locator('[name="opinion"]').first.input_value() == "合作基础扎实，同意推荐。"
    panel.get_by_role("button", name="确认推荐").click()
    steps.settle(page)
    assert Application.objects.get(pk=application.pk).status == Status.RECOMMENDED
