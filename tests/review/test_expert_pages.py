"""The expert's pages and the panel record: declaration with the commitment, the score sheet with its
review step and lock, the read-only full text, the empty states, and the draw records for the audit viewer."""

from __future__ import annotations

import re

import pytest

from sciplan.accounts.demo import ensure_user
from sciplan.accounts.roles import Role
from sciplan.review import panels, scoring
from sciplan.review.models import Score


@pytest.fixture
def seat(under_review, personas, make_expert):
    """One expert drawn (panel of one), not yet declared."""
    make_expert("专家", "单位甲")
    panels.draw_panel([under_review.pk], size=1, by=personas.bureau)
    return under_review.assignments.select_related("expert__user").get()


def _form(call, points="10"):
    data = {}
    for item in scoring.rubric_of(call):
        data[f"score_{item['code']}"] = points
        data[f"comment_{item['code']}"] = "论证充分"
    return data


def test_assignments_empty_state_says_why_and_whom_to_contact(make_expert, client):
    expert = make_expert("专家", "单位甲")
    client.force_login(expert.user)

    page = client.get("/review/assignments/").content.decode()

    assert "暂无评审任务" in page
    assert "随机抽取" in page
    assert "站内消息" in page
    assert "咨询电话" in page


def test_declaration_page_shows_the_commitment_and_sets_recusal_apart(seat, client):
    client.force_login(seat.expert.user)

    page = client.get(f"/review/assignments/{seat.application_id}/declare/").content.decode()

    assert panels.COMMITMENT in page
    primary = page.index("本人承诺无利益冲突，开始评审")
    recusal = page.index("<details")
    assert primary < recusal
    assert re.search(r'class="btn btn-secondary" type="submit">确认申请回避', page)


def test_recusal_without_reason_keeps_the_page_with_the_message_beside_the_field(seat, client):
    client.force_login(seat.expert.user)

    response = client.post(f"/review/assignments/{seat.application_id}/declare/", {"conflict": "yes"})

    seat.refresh_from_db()
    assert response.status_code == 422
    assert 'id="e-r-reason">请说明回避原因。' in response.content.decode()
    assert seat.status == "pending"


def test_the_sheet_goes_through_a_review_step_then_locks(seat, client):
    client.force_login(seat.expert.user)
    panels.declare(seat, conflict=False, by=seat.expert.user)
    url = f"/review/assignments/{seat.application_id}/score/"
    call = seat.application.call

    sheet = client.get(url).content.decode()
    review = client.post(url, {**_form(call, "12.5"), "step": "review"})
    saved_after_review = Score.objects.filter(assignment=seat).exists()
    back = client.post(url, {**_form(call, "12.5"), "step": "edit"})
    confirmed = client.post(url, {**_form(call, "12.5"), "step": "confirm"})
    locked = client.get(url).content.decode()
    again = client.post(url, {**_form(call, "20"), "step": "confirm"})

    assert 'src="/static/review/score.js"' in sheet and "<script>" not in sheet
    assert "data-running-total>0.00</output>" in sheet
    assert review.status_code == 200
    assert 'id="confirm-total">62.50<' in review.content.decode()
    assert saved_after_review is False
    assert 'value="12.5"' in back.content.decode() and "data-running-total>62.50<" in back.content.decode()
    assert confirmed.status_code == 302
    assert "已提交 · 已锁定" in locked and 'name="score_' not in locked and "修改评分" not in locked
    assert again.status_code == 422
    assert Score.objects.get(assignment=seat).total == 62.5


def test_an_invalid_sheet_stays_on_the_form_with_every_value_kept(seat, client):
    client.force_login(seat.expert.user)
    panels.declare(seat, conflict=False, by=seat.expert.user)
    data = {**_form(seat.application.call, "10"), "step": "review"}
    first = next(k for k in data if k.startswith("score_"))
    data[first] = "99"

    response = client.post(f"/review/assignments/{seat.application_id}/score/", data)

    page = response.content.decode()
    assert response.status_code == 422
    assert 'value="99"' in page and "论证充分" in page
    assert "得分应在0至" in page


def test_full_text_is_read_only_and_leads_back_to_scoring(seat, client):
    client.force_login(seat.expert.user)
    url = f"/review/assignments/{seat.application_id}/full/"

    before = client.get(url)
    panels.declare(seat, conflict=False, by=seat.expert.user)
    page = client.get(url).content.decode()

    assert before.status_code == 404
    assert "只读" in page and "返回评分" in page
    assert f'href="/review/assignments/{seat.application_id}/score/"' in page
    assert 'name="score_' not in page and "textarea" not in page


def test_reopened_sheet_shows_the_reason_and_opens_again(seat, personas, client):
    panels.declare(seat, conflict=False, by=seat.expert.user)
    client.force_login(seat.expert.user)
    url = f"/review/assignments/{seat.application_id}/score/"
    client.post(url, {**_form(seat.application.call), "step": "confirm"})
    client.force_login(personas.bureau)
    score = Score.objects.get(assignment=seat)

    refused = client.post(f"/review/applications/{seat.application_id}/scores/{score.pk}/reopen/", {})
    reopened = client.post(
        f"/review/applications/{seat.application_id}/scores/{score.pk}/reopen/", {"reason": "第二项评语过简"}
    )
    client.force_login(seat.expert.user)
    page = client.get(url).content.decode()

    assert refused.status_code == 422 and "请填写退回原因" in refused.content.decode()
    assert reopened.status_code == 302
    assert "退回原因：第二项评语过简" in page and 'name="score_' in page


@pytest.fixture
def auditor(db):
    return ensure_user("auditor_p", "审计员", Role.AUDITOR, mobile="13507300002")


def test_panel_page_lists_every_draw_for_the_audit_viewer_without_forms(seat, auditor, client):
    client.force_login(auditor)

    panel = client.get(f"/review/applications/{seat.application_id}/panel/")
    listing = client.get(f"/review/draws/?call={seat.application.call_id}")
    detail = client.get(f"/review/draws/{seat.draw_id}/")
    post = client.post("/review/draws/", {"applications": [seat.application_id], "size": 1})

    assert (panel.status_code, listing.status_code, detail.status_code, post.status_code) == (
        200,
        200,
        200,
        404,
    )
    assert f"#{seat.draw_id}" in panel.content.decode()
    assert (
        "替换所选专家" not in panel.content.decode() and 'name="applications"' not in listing.content.decode()
    )


def test_replace_without_reason_keeps_the_ticked_seats(seat, personas, client, make_expert):
    make_expert("专家", "单位乙")
    client.force_login(personas.bureau)

    response = client.post(
        f"/review/applications/{seat.application_id}/panel/replace/", {"seats": [seat.pk], "reason_code": ""}
    )

    page = response.content.decode()
    assert response.status_code == 422
    assert f'value="{seat.pk}" checked' in page
    assert "请选择重新抽取的原因。" in page


def test_replace_with_reason_redraws_and_lists_both_draws(seat, personas, client, make_expert):
    make_expert("专家", "单位乙")
    client.force_login(personas.bureau)

    response = client.post(
        f"/review/applications/{seat.application_id}/panel/replace/",
        {"seats": [seat.pk], "reason_code": "recusal", "reason": "专家本人电话告知需回避"},
    )
    page = client.get(f"/review/applications/{seat.application_id}/panel/").content.decode()

    seat.refresh_from_db()
    assert response.status_code == 302
    assert seat.status == "replaced"
    assert f"（已被替换，见#{seat.replaced_by_draw_id}）" in page
    assert "回避：专家本人电话告知需回避" in page


def test_draw_page_for_a_drawn_panel_explains_the_replacement(seat, personas, client):
    client.force_login(personas.bureau)

    response = client.post(f"/review/applications/{seat.application_id}/draw/", {"size": "1"})

    assert response.status_code == 422
    assert "不能重新抽取" in response.content.decode()


def test_empty_bureau_lists_say_what_comes_next(call, personas, client):
    client.force_login(personas.bureau)

    experts = client.get("/review/experts/").content.decode()
    applications = client.get(f"/review/applications/?call={call.pk}").content.decode()
    filtered = client.get(f"/review/applications/?call={call.pk}&q=无此联合体").content.decode()
    draws = client.get(f"/review/draws/?call={call.pk}").content.decode()

    assert 'href="/review/experts/new/">新增专家</a>' in experts
    assert "申报书会出现在这里" in applications
    assert "清除筛选条件" in filtered
    assert "没有待抽取专家的申报书。" in draws and "state=recommended" in draws
