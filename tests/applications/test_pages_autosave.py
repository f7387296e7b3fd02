"""Browser tests of the section form's safety net (STANDARDS F26, F27): autosave, offline, conflict, restore.

A real Chromium types into the page served by a live server; every check waits for what the page says,
never for a fixed time.
"""

from __future__ import annotations

import time

import pytest
from django.urls import reverse
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from sciplan.applications import services
from sciplan.applications.models import Application
from tests.e2e.conftest import artifacts_dir, browser, login, new_page, shoot  # noqa: F401 - fixtures

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _basis_page(new_page, application):  # noqa: F811 - the fixture, passed in
    page = new_page()
    login(page, "applicant")
    page.goto(page.base + reverse("applications:section", args=[application.pk, "basis"]))
    return page


def _wait_saved(page, text: str = "已自动保存") -> None:
    try:
        page.wait_for_function(
            "t => document.querySelector('[data-save-state]').textContent.includes(t)",
            arg=text,
            timeout=30_000,
        )
    except PlaywrightTimeout:
        state = page.locator("[data-save-state]").inner_text()
        raise AssertionError(f"the page never said {text!r}; it says {state!r}") from None


def _field(application, name: str) -> str:
    return getattr(Application.objects.get(pk=application.pk), name)


def test_typing_is_saved_automatically(new_page, complete_application, shoot):  # noqa: F811
    page = _basis_page(new_page, complete_application)

    page.get_by_label("第一年目标").fill("第一年：完成中试线建设。")
    _wait_saved(page)

    shoot(page, "autosaved", phone=True)
    assert _field(complete_application, "goal_year1") == "第一年：完成中试线建设。"


def test_offline_text_is_kept_locally_and_saved_when_back(new_page, complete_application, shoot):  # noqa: F811
    page = _basis_page(new_page, complete_application)
    page.context.set_offline(True)

    page.get_by_label("第二年目标").fill("离线时写下的第二年目标。")
    page.locator("[data-offline-banner]").wait_for(state="visible")
    stored = page.evaluate(
        f"localStorage.getItem('sciplan:draft:{complete_application.pk}:basis:goal_year2')"
    )
    shoot(page, "offline")
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    _wait_saved(page)

    assert page.locator("[data-offline-banner]").inner_text() == "离线，已在本机暂存。恢复网络后将自动保存。"
    assert '"value":"离线时写下的第二年目标。"' in stored
    assert _field(complete_application, "goal_year2") == "离线时写下的第二年目标。"


def test_conflict_shows_both_texts_and_keeps_mine_on_request(new_page, complete_application, personas, shoot):  # noqa: F811
    page = _basis_page(new_page, complete_application)
    services.save_section(
        complete_application,
        "basis",
        {"goal_year3": "同事保存的第三年目标。"},
        base_version=complete_application.version,
        by=personas.applicant,
    )

    page.get_by_label("第三年目标").fill("我写的第三年目标。")
    panel = page.locator("[data-conflict-panel]")
    panel.wait_for(state="visible")
    texts = panel.locator("pre").all_inner_texts()
    shoot(page, "conflict", phone=True)
    panel.get_by_role("button", name="保留我的内容").click()
    _wait_saved(page)

    assert texts == ["我写的第三年目标。", "同事保存的第三年目标。"]
    assert _field(complete_application, "goal_year3") == "我写的第三年目标。"


def _wait_for_field(application, name: str, expected: str, *, seconds: float = 30) -> str:
    """The server's value once it equals ``expected`` (or the last value seen after ``seconds``)."""
    deadline = time.monotonic() + seconds
    value = _field(application, name)
    while value != expected and time.monotonic() < deadline:
        time.sleep(0.2)
        value = _field(application, name)
    return value


def test_text_typed_before_the_tab_closed_is_not_lost(new_page, complete_application):  # noqa: F811
    page = _basis_page(new_page, complete_application)
    url = page.url
    # The connection drops just as the tab is closed. Whichever way the last words travel — the save
    # the closing page starts, or the copy kept in this browser and restored on the next visit — they
    # reach the server and the reopened page shows them.
    page.context.set_offline(True)
    page.get_by_label("建设基础与前期合作情况").fill("关闭页面前来不及保存的内容。")
    page.close()
    page.context.set_offline(False)

    reopened = page.context.new_page()
    reopened.goto(url)

    assert (
        _wait_for_field(complete_application, "basis", "关闭页面前来不及保存的内容。")
        == "关闭页面前来不及保存的内容。"
    )
    assert reopened.get_by_label("建设基础与前期合作情况").input_value() == "关闭页面前来不及保存的内容。"


def test_a_copy_kept_in_the_browser_is_restored_and_saved(new_page, complete_application):  # noqa: F811
    """The restore path on its own: a local copy from an earlier visit whose save never arrived."""
    page = new_page()
    login(page, "applicant")
    url = page.base + reverse("applications:section", args=[complete_application.pk, "basis"])
    page.goto(url)
    key = f"sciplan:draft:{complete_application.pk}:basis:basis"
    version = Application.objects.get(pk=complete_application.pk).version
    page.evaluate(
        "([k, v]) => localStorage.setItem(k, JSON.stringify({value: '上次未送达的内容。', base: v, at: Date.now()}))",
        [key, version],
    )
    page.goto(url)
    _wait_saved(page)

    assert page.get_by_label("建设基础与前期合作情况").input_value() == "上次未送达的内容。"
    assert _field(complete_application, "basis") == "上次未送达的内容。"
    assert page.evaluate("k => localStorage.getItem(k)", key) is None
