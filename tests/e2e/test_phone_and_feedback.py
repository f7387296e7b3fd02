"""What the walk-through of issue 14 found hard, asserted in the browser: on a phone the public notice's
提出异议 and the applicant's downloads sit in cards with 44 px targets and no sideways scroll; a message
after an upload or a deletion appears in the section the person is looking at; a failed self-check rule
links to the page that fixes it and the side menu ticks what is complete; a form that comes back with
messages shows SciPlan's error summary, focused and linked to each field; the bureau's application page
opens the stage that is due and its menu keeps every entry on screen."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from sciplan.applications.models import Attachment
from sciplan.core import clock
from sciplan.recognition.models import PublicNotice
from tests.e2e import steps
from tests.e2e.conftest import DESKTOP, PHONE, login
from tests.factories import application_in_state
from tests.recognition.conftest import (
    make_proposed,  # noqa: F401 (a fixture)
    published,  # noqa: F401 (a fixture)
)

pytestmark = pytest.mark.django_db(transaction=True)

CHINESE = re.compile(r"[\u4e00-\u9fff]")

# Buttons, menu entries and the links of card tables: what a thumb must hit.
TARGETS = ".btn, button:not(.link), .main-nav a, table.stack td a, .user-box a"


def phone_report(page) -> dict:
    """Horizontal overflow, where the content starts, and visible touch targets lower than 44 px."""
    return page.evaluate(
        """sel => ({
          scroll: document.documentElement.scrollWidth, width: document.documentElement.clientWidth,
          top: Math.round(document.querySelector('main').getBoundingClientRect().top + window.scrollY),
          small: [...document.querySelectorAll(sel)].filter(e => {
            const r = e.getBoundingClientRect();
            return r.width > 0 && r.height > 0 && r.height < 44 && !e.closest('[hidden], dialog');
          }).map(e => (e.innerText || '').trim().slice(0, 16) + ' ' + Math.round(e.getBoundingClientRect().height))
        })""",
        TARGETS,
    )


def assert_fits_a_phone(page) -> None:
    report = phone_report(page)
    assert report["scroll"] <= report["width"], f"{page.url} scrolls sideways: {report}"
    assert report["small"] == [], f"{page.url} touch targets under 44 px: {report['small']}"
    assert report["top"] <= 170, f"{page.url}: header and menu take {report['top']} px"


def test_public_notice_on_a_phone_puts_the_objection_button_in_reach(new_page, published, shoot):  # noqa: F811
    notice, _applications = published(2)
    PublicNotice.objects.filter(pk=notice.pk).update(ends_at=clock.now() + timedelta(days=7))
    page = new_page(viewport=PHONE)

    page.goto(f"{page.base}/gongshi/{notice.pk}/")
    steps.settle(page)
    buttons = page.get_by_role("link", name="提出异议")
    first = buttons.first.bounding_box()
    shoot(page, "public-notice-phone")

    assert buttons.count() == 2
    assert first["x"] >= 0 and first["x"] + first["width"] <= PHONE["width"]
    assert first["height"] >= 44
    assert_fits_a_phone(page)
    buttons.first.click()
    steps.settle(page)
    assert "/objection/" in page.url
    assert_fits_a_phone(page)


def test_applicant_sees_feedback_where_they_act(new_page, call, personas, shoot):
    application = application_in_state(call, personas.applicant, "draft", direction="云溪新材料")
    commitment = Attachment.objects.get(application=application, kind="commitment", removed_at__isnull=True)
    page = new_page(viewport=PHONE)
    login(page, "applicant")
    menu = page.locator(".section-nav")

    page.goto(f"{page.base}/applications/{application.pk}/attachments/")
    steps.settle(page)
    assert_fits_a_phone(page)
    assert menu.get_by_role("link", name=re.compile("附件材料")).inner_text().startswith("✓")
    assert menu.get_by_role("link", name=re.compile("资格自查")).inner_text().startswith("✓")

    section = page.locator("#kind-commitment")
    section.get_by_role("button", name="删除").click()
    steps.settle(page)
    message = section.locator(".messages")
    box = message.bounding_box()
    shoot(page, "attachment-deleted-phone")
    assert message.inner_text() == f"已删除“{commitment.original_name}”。"
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]  # on screen, where the person is
    assert menu.get_by_role("link", name=re.compile("附件材料")).inner_text().startswith("○")

    page.goto(f"{page.base}/applications/{application.pk}/eligibility/")
    failed = page.locator(".rule.fail")
    assert failed.count() == 1
    shoot(page, "self-check-fix-link", phone=False)
    failed.get_by_role("link", name="附件材料").click()
    steps.settle(page)
    assert page.url.endswith(f"/applications/{application.pk}/attachments/")

    section = page.locator("#kind-commitment")
    section.locator('input[type="file"]').set_input_files(steps.pdf("承诺书.pdf"))
    section.get_by_role("button", name="上传").click()
    steps.settle(page)
    message = page.locator("#kind-commitment .messages")
    box = message.bounding_box()
    shoot(page, "attachment-uploaded-phone")
    assert message.inner_text().startswith("已上传“承诺书.pdf”")
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]
    assert menu.get_by_role("link", name=re.compile("资格自查")).inner_text().startswith("✓")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_refused_form_leads_with_a_linked_error_summary(new_page, personas, shoot, viewport):
    page = new_page(viewport=viewport)
    page.goto(page.base + "/accounts/register/")
    page.get_by_label("单位名称").fill("岳阳示范有限公司")
    page.locator("#f-password").fill("Abcdef-2024")
    page.locator("#f-password2").fill("Abcdef-2025")

    page.get_by_role("button", name="提交注册").click()
    steps.settle(page)
    summary = page.locator("[data-error-summary]")
    links = summary.locator("a")
    beside = page.locator("main p.error:not([hidden])")
    texts = links.all_inner_texts()
    shoot(page, f"error-summary-{'phone' if viewport == PHONE else 'desktop'}")

    # The server's messages (the browser's own bubbles never stopped the form), one link for each.
    assert beside.count() >= 3 and links.count() == beside.count()
    assert all(CHINESE.search(t) for t in texts), texts
    assert any("两次输入的密码不一致" in t for t in texts), texts
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    target = links.first.get_attribute("href")
    links.first.click()
    assert page.evaluate("document.activeElement.id") == target.removeprefix("#")
    assert page.get_by_label("单位名称").input_value() == "岳阳示范有限公司"
    if viewport == PHONE:
        assert_fits_a_phone(page)


def test_bureau_application_page_opens_the_due_stage(new_page, call, personas, shoot):
    application = application_in_state(
        call, personas.applicant_b, "under_review", direction="智能装备", actor=personas.bureau
    )
    page = new_page()
    login(page, "bureau")

    page.goto(f"{page.base}/review/applications/{application.pk}/")
    steps.settle(page)
    shoot(page, "bureau-application-stages", phone=True)
    opened = page.locator("details.stage[open]").evaluate_all("ds => ds.map(d => d.id)")
    nav = page.locator(".main-nav a")
    off_screen = nav.evaluate_all(
        "links => links.filter(a => a.getBoundingClientRect().right > innerWidth).map(a => a.innerText)"
    )

    assert opened == ["visits"]
    assert page.locator("details.stage").count() == 5
    assert "专家抽取" in nav.all_inner_texts()
    assert off_screen == []
    assert page.locator(".user-box").get_by_role("link", name="两步验证").is_visible()

    page.locator("details#avoid > summary").click()
    assert page.locator("#a-expert").is_visible()
    page.set_viewport_size(PHONE)
    assert_fits_a_phone(page)
