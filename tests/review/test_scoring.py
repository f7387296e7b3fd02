"""Aggregation (mean, or trimmed mean from 5 scores), ties, confirming, and frozen scores (SPEC §8)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from sciplan.core.errors import Conflict, ValidationFailed
from sciplan.review import panels, scoring
from sciplan.review.queries import confirmed_ranking

D = Decimal


def test_aggregate_panel_of_four_is_the_plain_mean():
    assert scoring.aggregate([D("80"), D("90"), D("70"), D("61")]) == (D("75.25"), False)


def test_aggregate_panel_of_five_drops_one_highest_and_one_lowest():
    assert scoring.aggregate([D("80"), D("90"), D("70"), D("60"), D("99")]) == (D("80.00"), True)


def test_aggregate_drops_only_one_of_tied_extremes():
    # Two lowest at 70 and two highest at 90: one of each goes, the other stays.
    assert scoring.aggregate([D("70"), D("70"), D("80"), D("90"), D("90")]) == (D("80.00"), True)
    assert scoring.aggregate([D("70"), D("70"), D("80"), D("80"), D("90")]) == (D("76.67"), True)


def test_aggregate_no_scores_is_none():
    assert scoring.aggregate([]) == (None, False)


def _row(pk, score):
    return scoring.RankRow(pk, f"联合体{pk}", "牵头", "推荐", 5, 5, score, score, True)


def test_ranks_ties_share_a_rank_and_the_next_rank_skips():
    rows = scoring.assign_ranks(
        [_row(1, "85.00"), _row(2, "90.00"), _row(3, "85.00"), _row(4, "80.00"), _row(5, None)]
    )

    assert [(r.application_id, r.rank, r.tied) for r in rows] == [
        (2, 1, False),
        (1, 2, True),
        (3, 2, True),
        (4, 4, False),
        (5, None, False),
    ]


def _score(assignment, user, value):
    """``value``: the same points for every indicator (a string), or a share of each maximum."""
    rubric = scoring.rubric_of(assignment.application.call)
    if isinstance(value, Decimal):
        values = {item["code"]: str(item["max"] * value) for item in rubric}
    else:
        values = {item["code"]: value for item in rubric}
    return scoring.submit_score(
        assignment,
        values=values,
        comments={item["code"]: "论证充分" for item in rubric},
        by=user,
    )


@pytest.fixture
def scored_panel(under_review, personas, make_expert):
    experts = [make_expert("专家", f"单位{i}", user=True) for i in range(5)]
    panels.draw_panel([under_review.pk], size=5, seed="panel-5", by=personas.bureau)
    seats = []
    for expert, value in zip(experts, [D("1"), D("0.9"), D("0.7"), D("0.5"), D("0.6")], strict=True):
        seat = panels.get_assignment_for(expert.user, under_review.pk)
        panels.declare(seat, conflict=False, by=expert.user)
        _score(seat, expert.user, value)
        seats.append((seat, expert.user))
    return seats


def test_submit_score_outside_bounds_names_the_indicator(under_review, personas, make_expert):
    expert = make_expert("专家", "单位甲", user=True)
    make_expert("专家", "单位乙")
    panels.draw_panel([under_review.pk], size=2, by=personas.bureau)
    seat = panels.get_assignment_for(expert.user, under_review.pk)
    panels.declare(seat, conflict=False, by=expert.user)
    rubric = scoring.rubric_of(under_review.call)
    values = {item["code"]: "10" for item in rubric}
    values["lead_strength"] = "26"

    with pytest.raises(ValidationFailed) as exc:
        scoring.submit_score(seat, values=values, comments={i["code"]: "好" for i in rubric}, by=expert.user)

    assert exc.value.field_errors == {"score_lead_strength": "“牵头单位实力与带动力”的得分应在0至25分之间。"}


def test_confirmed_ranking_is_trimmed_frozen_and_refuses_later_scores(scored_panel, under_review, personas):
    # Totals 100, 90, 70, 50, 60 → drop 100 and 50 → (90 + 70 + 60) / 3 = 73.33; the plain mean is 74.00
    ranking = scoring.confirm_ranking(under_review.call, by=personas.bureau)
    seat, user = scored_panel[0]

    with pytest.raises(Conflict) as exc:
        _score(seat, user, "1")

    frozen = confirmed_ranking(under_review.call)
    assert exc.value.message == "评审排名已确认，评分不能再提交或修改。"
    assert [(r.application_id, r.rank, r.score, r.mean, r.trimmed) for r in frozen] == [
        (under_review.pk, 1, D("73.33"), D("74.00"), True)
    ]
    assert frozen.content_hash == ranking.content_hash == scoring.content_hash(ranking.rows)


def test_confirm_refused_while_an_expert_has_not_scored(under_review, personas, make_expert):
    for i in range(3):
        make_expert("专家", f"单位{i}")
    panels.draw_panel([under_review.pk], size=3, by=personas.bureau)

    with pytest.raises(Conflict):
        scoring.confirm_ranking(under_review.call, by=personas.bureau)

    assert confirmed_ranking(under_review.call) is None


def test_score_submit_api_after_confirmation_is_409(scored_panel, under_review, personas, api):
    scoring.confirm_ranking(under_review.call, by=personas.bureau)
    _, user = scored_panel[1]
    rubric = scoring.rubric_of(under_review.call)

    response = api(user).post(
        f"/review/assignments/{under_review.pk}/score",
        {"values": {i["code"]: 5 for i in rubric}, "comments": {i["code"]: "改" for i in rubric}},
    )

    assert (response.status_code, response.json()["code"]) == (409, "ranking_confirmed")


def test_rubric_cannot_change_once_review_started(under_review, personas, make_expert):
    make_expert("专家", "单位甲")
    panels.draw_panel([under_review.pk], size=1, by=personas.bureau)

    with pytest.raises(Conflict):
        scoring.update_rubric(
            under_review.call, [{"code": "a", "label": "新指标", "max": 100}], by=personas.bureau
        )


def test_an_expert_sees_the_panel_only_after_the_ranking_is_confirmed(
    under_review, personas, make_expert, client
):
    under_review.call.panel_min_size = 2
    under_review.call.save(update_fields=["panel_min_size"])
    first, second = make_expert("专家", "单位甲", user=True), make_expert("专家", "单位乙", user=True)
    panels.draw_panel([under_review.pk], size=2, by=personas.bureau)
    for expert in (first, second):
        panels.declare(
            panels.get_assignment_for(expert.user, under_review.pk), conflict=False, by=expert.user
        )
    _score(panels.get_assignment_for(first.user, under_review.pk), first.user, "10")
    client.force_login(second.user)
    url = f"/review/assignments/{under_review.pk}/score/"

    before = client.get(url)
    _score(panels.get_assignment_for(second.user, under_review.pk), second.user, "12")
    all_in = client.get(url)
    scoring.confirm_ranking(under_review.call, by=personas.bureau)
    confirmed = client.get(url)

    assert before.context["result"] is None
    assert all_in.context["result"] is None
    assert "50.00" not in all_in.content.decode()
    assert confirmed.context["result"] == scoring.PanelResult(["50.00", "60.00"], "55.00", False)


def test_ranking_export_keeps_formula_like_text_inert():
    from openpyxl import load_workbook

    from sciplan.review.exporters import ranking_xlsx

    row = {**_row(1, "80.00").__dict__, "rank": 1, "lead_unit": '=HYPERLINK("http://x","点我")'}
    data = ranking_xlsx([row], title="评审排名")

    sheet = load_workbook(io.BytesIO(data)).active
    cell = sheet.cell(row=2, column=4)
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x","点我")', "s")
    assert [c.value for c in sheet[1]][:3] == ["名次", "并列", "联合体名称"]


def test_rubric_edit_before_review_replaces_the_indicators(call, personas):
    items = [{"code": "a", "label": "技术先进性", "max": "60"}, {"code": "", "label": "带动作用", "max": 40}]

    saved = scoring.update_rubric(call, items, by=personas.bureau)

    call.refresh_from_db()
    assert (
        saved
        == call.rubric
        == [
            {"code": "a", "label": "技术先进性", "max": 60},
            {"code": "item2", "label": "带动作用", "max": 40},
        ]
    )


def test_confirm_refused_while_an_application_under_review_has_no_panel(scored_panel, call, personas):
    from tests.factories import application_in_state

    application_in_state(call, personas.applicant_b, "under_review", direction="智能装备")

    with pytest.raises(Conflict) as exc:
        scoring.confirm_ranking(call, by=personas.bureau)

    assert exc.value.message == "以下申报书尚未抽取评审专家：岳阳市智能装备创新联合体。"
