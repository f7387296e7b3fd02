"""The bureau sets up next year's call in the browser: copies last year's, fixes the rubric (a wrong total
is refused beside the field, nothing typed is lost), publishes after the confirmation step, and the public
call list shows it."""

from __future__ import annotations

import pytest

from sciplan.calls.models import Call, CallState
from sciplan.core import clock
from tests.e2e.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_bureau_copies_last_years_call_edits_the_rubric_and_publishes_it(
    new_page, call_2024, personas, shoot
):
    year = clock.local(clock.now()).year + 1
    title = f"{year}年度岳阳市创新联合体申报"
    page = new_page()
    login(page, "bureau")
    page.get_by_role("link", name="批次设置").click()
    page.locator("tr", has_text=call_2024.title).get_by_role("link", name="复制为新批次").click()
    page.get_by_label("新批次年度").fill(str(year))
    shoot(page, "copy")
    page.get_by_role("button", name="复制为新批次").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_label("通知标题").input_value() == title

    page.get_by_label("第1项分值").fill("30")  # 105 in all
    page.get_by_label("第2项指标说明").fill("成员单位构成与合作协议，重点看实质性合作。")
    page.get_by_role("button", name="保存修改").click()
    page.wait_for_load_state("networkidle")
    shoot(page, "rubric-refused")
    assert page.locator("#e-rubric").inner_text() == "各项指标分值合计须为100分，当前合计105分。"
    assert page.get_by_label("第2项指标说明").input_value() == "成员单位构成与合作协议，重点看实质性合作。"
    page.get_by_label("第2项分值").fill("15")
    page.get_by_role("button", name="保存修改").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("已保存，修改记录已记入审计日志。").is_visible()

    page.get_by_role("link", name="发布", exact=True).click()
    assert page.get_by_text("本批次将出现在公开的申报通知列表中").is_visible()
    shoot(page, "publish-step")
    page.get_by_role("button", name="确认发布").click()
    page.wait_for_load_state("networkidle")
    assert page.confirms == [f"确定发布“{title}”吗？此操作不能撤销。"]

    call = Call.objects.get(title=title)
    assert (call.state, [i["max"] for i in call.rubric][:2]) == (CallState.PUBLISHED, [30, 15])
    public = new_page()
    public.goto(public.base + "/calls/")
    shoot(public, "public-list")
    assert public.get_by_text(title).count() == 1
