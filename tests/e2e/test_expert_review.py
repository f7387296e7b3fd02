"""The expert's path on a phone (390×844) and at desktop width: the declaration with the commitment
text and recusal set apart, the sheet with its running total, the read-only full text and back, the
review step, and the sheet locked after submitting. No console error, no horizontal scroll."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from sciplan.review import panels, scoring
from sciplan.review.models import Score
from tests.e2e import steps
from tests.e2e.conftest import DESKTOP, PHONE, login
from tests.e2e.test_story import make_experts
from tests.factories import application_in_state

pytestmark = pytest.mark.django_db(transaction=True)


def _no_sideways_scroll(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_expert_declares_scores_reviews_and_is_locked(new_page, shoot, call, personas, viewport):
    application = application_in_state(call, personas.applicant, "under_review", actor=personas.bureau)
    (expert,) = make_experts(1)
    panels.draw_panel([application.pk], size=1, by=personas.bureau)
    rubric = scoring.rubric_of(call)
    page = new_page(viewport=viewport)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    login(page, expert.user.username)

    # The task list leads to the declaration; the commitment is shown, recusal is folded away below.
    page.goto(page.base + "/review/assignments/")
    page.get_by_role("link", name="声明利益冲突情况").click()
    steps.settle(page)
    expect(page.get_by_text(panels.COMMITMENT)).to_be_visible()
    primary = page.get_by_role("button", name="本人承诺无利益冲突，开始评审")
    recuse = page.locator("details.recuse summary")
    expect(page.get_by_role("button", name="确认申请回避")).to_be_hidden()
    gap = recuse.bounding_box()["y"] - (primary.bounding_box()["y"] + primary.bounding_box()["height"])
    assert gap >= 40, f"申请回避 sits {gap}px below the primary action"
    if viewport == PHONE:
        assert primary.bounding_box()["height"] >= 44
    _no_sideways_scroll(page)
    shoot(page, f"expert-declare-{viewport['width']}")
    primary.click()
    steps.settle(page)

    # The sheet: the running total follows what is typed.
    assert page.url.endswith(f"/review/assignments/{application.pk}/score/")
    total = page.locator("[data-running-total]")
    expect(total).to_have_text("0.00")
    first = page.locator("input.score-input").first
    first.fill("20.5")
    expect(total).to_have_text("20.50")
    for item, score in zip(rubric, page.locator("input.score-input").all(), strict=True):
        score.fill(str(item["max"] - 3))
    for comment in page.locator('textarea[name^="comment_"]').all():
        comment.fill("技术路线清晰，合作机制健全。")
    expected = f"{sum(item['max'] - 3 for item in rubric):.2f}"
    expect(total).to_have_text(expected)
    _no_sideways_scroll(page)
    shoot(page, f"expert-sheet-{viewport['width']}")

    # The full text is read-only, without the applicant's countdown, and leads back to the sheet.
    page.get_by_role("link", name="查看申报书全文（只读）").click()
    steps.settle(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("只读")
    assert page.locator("textarea, input.score-input").count() == 0
    assert page.locator(".countdown").count() == 0
    _no_sideways_scroll(page)
    shoot(page, f"expert-full-text-{viewport['width']}")
    page.get_by_role("link", name="返回评分").first.click()
    steps.settle(page)
    expect(total).to_have_text(expected)  # what was typed is still there

    # The review step shows each score and the weighted total; confirming locks the sheet.
    page.get_by_role("button", name="核对评分").click()
    steps.settle(page)
    expect(page.locator("#confirm-total")).to_have_text(expected)
    assert Score.objects.filter(assignment__application=application).count() == 0
    _no_sideways_scroll(page)
    shoot(page, f"expert-review-step-{viewport['width']}")
    page.get_by_role("button", name=re.compile("^确认提交评分")).click()
    steps.settle(page)

    expect(page.get_by_text("已提交 · 已锁定")).to_be_visible()
    assert page.locator("input.score-input").count() == 0
    assert page.get_by_role("button", name=re.compile("修改评分|核对评分")).count() == 0
    expect(page.get_by_text("评审期间不显示其他专家的评分", exact=False)).to_be_visible()
    _no_sideways_scroll(page)
    shoot(page, f"expert-locked-{viewport['width']}")
    assert str(Score.objects.get(assignment__application=application).total) == expected
    assert problems == []
