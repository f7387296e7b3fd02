"""Nothing lost, nothing twice, keyboard only (STANDARDS F26, F27, F29).

tests/applications/test_pages_autosave.py already proves autosave, offline typing saved when back
online, the conflict panel against a colleague's save, and text restored after a tab closed. This file adds
what a person would do next: reload after coming back online, edit in two tabs, click submit twice,
and fill a section with the keyboard alone.
"""

from __future__ import annotations

import pytest

from sciplan.applications.models import Application, ApplicationVersion, StatusEvent
from tests.e2e.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def _wait_saved(page) -> None:
    page.wait_for_function(
        "() => document.querySelector('[data-save-state]').textContent.includes('已自动保存')"
    )


def _open(page, application, code="basis"):
    page.goto(f"{page.base}/applications/{application.pk}/section/{code}/")


def test_offline_text_is_saved_when_back_and_still_there_after_reload(new_page, complete_application, shoot):
    page = new_page()
    login(page, "applicant")
    _open(page, complete_application)
    page.context.set_offline(True)
    page.get_by_label("第二年目标").fill("断网时写下的第二年目标。")
    page.locator("[data-offline-banner]").wait_for(state="visible")
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    _wait_saved(page)

    page.reload()
    assert page.get_by_label("第二年目标").input_value() == "断网时写下的第二年目标。"
    assert page.locator("[data-restore-banner]").is_hidden()
    assert Application.objects.get(pk=complete_application.pk).goal_year2 == "断网时写下的第二年目标。"


def test_two_tabs_editing_one_section_show_the_conflict_and_keep_both_texts(
    new_page, complete_application, shoot
):
    first = new_page()
    login(first, "applicant")
    _open(first, complete_application)
    second = first.context.new_page()
    second.base = first.base
    _open(second, complete_application)

    first.get_by_label("第三年目标").fill("第一个标签页写的第三年目标。")
    _wait_saved(first)
    second.get_by_label("第三年目标").fill("第二个标签页写的第三年目标。")
    panel = second.locator("[data-conflict-panel]")
    panel.wait_for(state="visible")
    shoot(second, "two-tabs-conflict", phone=True)

    assert panel.locator("pre").all_inner_texts() == [
        "第二个标签页写的第三年目标。",
        "第一个标签页写的第三年目标。",
    ]
    assert second.get_by_label("第三年目标").input_value() == "第二个标签页写的第三年目标。"
    assert Application.objects.get(pk=complete_application.pk).goal_year3 == "第一个标签页写的第三年目标。"


def test_submit_clicked_twice_quickly_submits_once(new_page, complete_application, shoot):
    page = new_page()
    login(page, "applicant")
    page.goto(f"{page.base}/applications/{complete_application.pk}/submit/")
    button = page.get_by_role("button", name="确认提交")
    button.dblclick()
    page.wait_for_url("**/receipt/")
    page.wait_for_load_state("networkidle")
    shoot(page, "double-submit-receipt")

    assert ApplicationVersion.objects.filter(application=complete_application).count() == 1
    assert StatusEvent.objects.filter(application=complete_application, action="submit").count() == 1


def test_submit_sent_twice_without_the_page_guard_still_submits_once(new_page, complete_application):
    """Even when the page's own guard is bypassed (two requests on the wire), the server submits once."""
    page = new_page()
    login(page, "applicant")
    page.goto(f"{page.base}/applications/{complete_application.pk}/submit/")
    statuses = page.evaluate(
        """async () => {
            const form = document.querySelector('form[data-once]');
            const send = () => fetch(form.action || location.href, {method: 'POST', body: new FormData(form)});
            const answers = await Promise.all([send(), send()]);
            return answers.map(a => a.status);
        }"""
    )

    assert all(s < 400 for s in statuses), statuses
    assert ApplicationVersion.objects.filter(application=complete_application).count() == 1
    assert StatusEvent.objects.filter(application=complete_application, action="submit").count() == 1


def test_a_section_filled_and_saved_with_the_keyboard_alone(new_page, complete_application, shoot):
    page = new_page()
    login(page, "applicant")
    _open(page, complete_application)
    texts = {
        "basis": "键盘填写的建设基础。",
        "goal_year1": "键盘填写的第一年目标。",
        "goal_year2": "键盘填写的第二年目标。",
        "goal_year3": "键盘填写的第三年目标。",
    }
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "basis":
            break
    else:
        raise AssertionError("Tab never reached the first field")
    for name, text in texts.items():
        assert page.evaluate("document.activeElement.name") == name
        page.keyboard.press("Control+A")
        page.keyboard.type(text)
        page.keyboard.press("Tab")
        if name != "goal_year3":
            # Past the character counter and help text to the next field, whatever sits between.
            while page.evaluate("document.activeElement.tagName") not in ("TEXTAREA", "INPUT"):
                page.keyboard.press("Tab")
    while page.evaluate("document.activeElement.textContent.trim()") != "保存":
        page.keyboard.press("Tab")
    shoot(page, "keyboard-section")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => /已自动保存|最后保存/.test(document.querySelector('[data-save-state]').textContent)"
    )
    page.wait_for_load_state("networkidle")

    saved = Application.objects.get(pk=complete_application.pk)
    assert {name: getattr(saved, name) for name in texts} == texts
