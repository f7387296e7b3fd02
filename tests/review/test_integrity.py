"""Scoring integrity (SPEC §8): locked scores reopened only by the bureau with a reason, and no re-rolling
of panels — every draw stays on record and a new draw for a drawn panel needs a recorded reason."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sciplan.accounts.demo import ensure_user
from sciplan.accounts.roles import Role
from sciplan.core.errors import Conflict, NotFound, ValidationFailed
from sciplan.core.models import AuditEvent, Notification
from sciplan.review import panels, scoring
from sciplan.review.models import AssignmentStatus, DrawReason, Score, ScoreReopening


def _sheet(call, points: str):
    rubric = scoring.rubric_of(call)
    return {i["code"]: points for i in rubric}, {i["code"]: "论证充分" for i in rubric}


@pytest.fixture
def seated(under_review, personas, make_expert):
    """Three experts drawn for the application; the first has declared no conflict."""
    for i in range(6):
        make_expert("专家", f"单位{i}")
    panels.draw_panel([under_review.pk], size=3, seed="seat-seed", by=personas.bureau)
    seats = list(under_review.assignments.select_related("expert__user").order_by("id"))
    panels.declare(seats[0], conflict=False, by=seats[0].expert.user)
    return seats


@pytest.fixture
def auditor(db):
    return ensure_user("auditor_t", "审计员", Role.AUDITOR, mobile="13507300001")


def _submit(seat, points="10"):
    values, comments = _sheet(seat.application.call, points)
    return scoring.submit_score(seat, values=values, comments=comments, by=seat.expert.user)


# --- the lock -----------------------------------------------------------------------------------------


def test_submitted_score_is_locked_against_a_second_submission(seated):
    seat = seated[0]
    _submit(seat, "10")

    with pytest.raises(Conflict) as exc:
        _submit(seat, "20")

    assert exc.value.code == "score_locked"
    assert Score.objects.get(assignment=seat).total == Decimal("50.00")


def test_check_score_returns_the_weighted_total_and_saves_nothing(seated):
    seat = seated[0]
    values, comments = _sheet(seat.application.call, "12.5")

    total = scoring.check_score(seat, values=values, comments=comments, by=seat.expert.user)

    assert (total, Score.objects.filter(assignment=seat).exists()) == (Decimal("62.50"), False)


def test_weighted_total_is_the_sum_of_the_indicator_scores():
    assert scoring.weighted_total({"a": "20.5", "b": "18", "c": "0.5"}) == Decimal("39.00")


# --- reopening ----------------------------------------------------------------------------------------


def test_reopen_needs_a_reason(seated, personas):
    score = _submit(seated[0])

    with pytest.raises(ValidationFailed) as exc:
        scoring.reopen_score(score, reason="  ", by=personas.bureau)

    assert list(exc.value.field_errors) == ["reason"]
    assert ScoreReopening.objects.count() == 0


def test_reopen_is_the_bureaus_alone(seated, personas):
    score = _submit(seated[0])

    with pytest.raises(NotFound):
        scoring.reopen_score(score, reason="笔误", by=seated[0].expert.user)
    with pytest.raises(NotFound):
        scoring.reopen_score(score, reason="笔误", by=personas.applicant)


def test_reopen_records_audits_notifies_and_lets_the_expert_resubmit_once(seated, personas):
    seat = seated[0]
    score = _submit(seat, "10")

    reopening = scoring.reopen_score(score, reason="第三项分值填写有误", by=personas.bureau)
    resubmitted = _submit(seat, "11")

    reopening.refresh_from_db()
    event = AuditEvent.objects.filter(event_type="review.score_reopen").get()
    assert (reopening.previous_total, reopening.reason) == (Decimal("50.00"), "第三项分值填写有误")
    assert reopening.resubmitted_at == resubmitted.submitted_at
    assert (resubmitted.total, resubmitted.reopened) == (Decimal("55.00"), False)
    assert event.detail["reason"] == "第三项分值填写有误"
    assert list(
        Notification.objects.filter(user=seat.expert.user).order_by("id").values_list("subject", flat=True)
    ) == [
        "您被抽取为创新联合体申报书评审专家",
        "评分已退回修改",
    ]
    with pytest.raises(Conflict):
        _submit(seat, "12")  # locked again after the resubmission


def test_confirm_ranking_waits_for_a_reopened_score(under_review, personas, make_expert):
    under_review.call.panel_min_size = 1
    under_review.call.save(update_fields=["panel_min_size"])
    make_expert("专家", "单位甲")
    panels.draw_panel([under_review.pk], size=1, by=personas.bureau)
    seat = under_review.assignments.select_related("expert__user").get()
    panels.declare(seat, conflict=False, by=seat.expert.user)
    scoring.reopen_score(_submit(seat), reason="请补充评语", by=personas.bureau)

    with pytest.raises(Conflict) as exc:
        scoring.confirm_ranking(under_review.call, by=personas.bureau)
    _submit(seat, "12")
    ranking = scoring.confirm_ranking(under_review.call, by=personas.bureau)

    assert exc.value.message == "以下申报书有退回修改的评分，专家尚未重新提交：岳阳市测试方向创新联合体。"
    assert ranking.rows[0]["score"] == "60.00"
    with pytest.raises(Conflict):
        scoring.reopen_score(Score.objects.get(assignment=seat), reason="再改", by=personas.bureau)


# --- no re-rolling ------------------------------------------------------------------------------------


def test_a_drawn_panel_cannot_be_drawn_again(seated, under_review, personas):
    with pytest.raises(Conflict):
        panels.draw_panel([under_review.pk], size=3, by=personas.bureau)


@pytest.mark.parametrize(
    ("code", "reason", "field"),
    [("", "联系不上", "reason_code"), ("rerun", "联系不上", "reason_code"), ("unreachable", " ", "reason")],
)
def test_replacing_seats_needs_a_listed_reason_and_an_explanation(seated, personas, code, reason, field):
    with pytest.raises(ValidationFailed) as exc:
        panels.replace_seats(
            seated[0].application,
            assignment_ids=[seated[1].pk],
            reason_code=code,
            reason=reason,
            by=personas.bureau,
        )

    assert list(exc.value.field_errors) == [field]
    assert AuditEvent.objects.filter(event_type="review.seats_replace").count() == 0


def test_a_seat_with_a_submitted_score_cannot_be_replaced(seated, personas):
    _submit(seated[0])

    with pytest.raises(ValidationFailed) as exc:
        panels.replace_seats(
            seated[0].application,
            assignment_ids=[seated[0].pk],
            reason_code=DrawReason.UNREACHABLE,
            reason="电话无人接听",
            by=personas.bureau,
        )

    assert list(exc.value.field_errors) == ["seats"]


def test_replacing_a_seat_keeps_the_whole_history(seated, under_review, personas, auditor):
    gone = seated[1]

    draw = panels.replace_seats(
        under_review,
        assignment_ids=[gone.pk],
        reason_code=DrawReason.UNREACHABLE,
        reason="连续三日电话无人接听",
        by=personas.bureau,
    )

    gone.refresh_from_db()
    record = panels.panel_record(auditor, under_review.pk)
    listed = panels.draws_for(auditor, under_review.call_id, application_id=under_review.pk)
    new_seat = under_review.assignments.get(draw=draw)
    event = AuditEvent.objects.filter(event_type="review.seats_replace").get()
    assert (gone.status, gone.replaced_by_draw_id) == (AssignmentStatus.REPLACED, draw.pk)
    assert (draw.reason_code, draw.is_redraw) == (DrawReason.UNREACHABLE, True)
    assert draw.reason.startswith("专家无法联系：连续三日电话无人接听（替换")
    assert new_seat.expert_id not in {s.expert_id for s in seated}
    assert [r.draw.pk for r in record.draws] == [seated[0].draw_id, draw.pk]
    assert [d.pk for d in listed] == [draw.pk, seated[0].draw_id]
    assert (event.detail["reason_code"], event.detail["replaced"]) == ("unreachable", [gone.expert_id])
    assert Notification.objects.filter(user=gone.expert.user, subject="评审任务已取消").count() == 1


def test_a_replaced_expert_can_no_longer_declare_or_score(seated, under_review, personas):
    gone = seated[1]
    panels.replace_seats(
        under_review,
        assignment_ids=[gone.pk],
        reason_code=DrawReason.CONFLICT,
        reason="申报单位反映该专家曾参与方案编写",
        by=personas.bureau,
    )

    with pytest.raises(Conflict):
        panels.declare(gone, conflict=False, by=gone.expert.user)
    with pytest.raises(NotFound):
        _submit(gone)


def test_a_pool_too_small_changes_nothing(under_review, personas, make_expert):
    for i in range(2):
        make_expert("专家", f"单位{i}")
    panels.draw_panel([under_review.pk], size=2, by=personas.bureau)
    seat = under_review.assignments.first()

    with pytest.raises(panels.PanelShort):
        panels.replace_seats(
            under_review,
            assignment_ids=[seat.pk],
            reason_code=DrawReason.OTHER,
            reason="专家出差",
            by=personas.bureau,
        )

    seat.refresh_from_db()
    assert seat.status == AssignmentStatus.PENDING


def test_draw_records_are_hidden_from_everyone_but_the_bureau_and_the_audit_viewer(seated, personas):
    call_id = seated[0].application.call_id
    for user in (personas.applicant, personas.county, seated[0].expert.user, personas.admin):
        with pytest.raises(NotFound):
            panels.draws_for(user, call_id)
        with pytest.raises(NotFound):
            panels.panel_record(user, seated[0].application_id)


# --- the API ------------------------------------------------------------------------------------------


def test_api_replace_reopen_and_list_draws(seated, under_review, personas, api, auditor):
    bureau = api(personas.bureau)
    _submit(seated[0], "10")

    refused = bureau.post(
        f"/review/applications/{under_review.pk}/panel/replace",
        {"experts": [seated[1].expert_id], "reason_code": "other", "reason": ""},
    )
    replaced = bureau.post(
        f"/review/applications/{under_review.pk}/panel/replace",
        {"experts": [seated[1].expert_id], "reason_code": "unreachable", "reason": "电话停机"},
    )
    not_on_panel = bureau.post(
        f"/review/applications/{under_review.pk}/panel/replace",
        {"experts": [seated[1].expert_id], "reason_code": "unreachable", "reason": "电话停机"},
    )
    reopen_refused = bureau.post(
        f"/review/applications/{under_review.pk}/experts/{seated[0].expert_id}/score/reopen", {"reason": ""}
    )
    reopened = bureau.post(
        f"/review/applications/{under_review.pk}/experts/{seated[0].expert_id}/score/reopen",
        {"reason": "分项合计有误"},
    )
    by_expert = api(seated[0].expert.user).post(
        f"/review/applications/{under_review.pk}/experts/{seated[0].expert_id}/score/reopen", {"reason": "x"}
    )
    listed = api(auditor).get("/review/panels", call_id=under_review.call_id, application_id=under_review.pk)

    assert (refused.status_code, list(refused.json()["errors"])) == (422, ["reason"])
    assert replaced.status_code == 201
    assert (replaced.json()["reason_code"], replaced.json()["is_redraw"]) == ("unreachable", True)
    assert not_on_panel.status_code == 422
    assert reopen_refused.status_code == 422
    assert (reopened.status_code, reopened.json()["previous_total"]) == (200, "50.00")
    assert by_expert.status_code == 404
    assert listed.status_code == 200
    rows = listed.json()
    assert [r["id"] for r in rows] == [replaced.json()["id"], seated[0].draw_id]
    assert rows[1]["replaced"] == [seated[1].expert_id]


def test_api_second_score_submission_is_409_locked(seated, under_review, api):
    seat = seated[0]
    values, comments = _sheet(under_review.call, "10")
    client = api(seat.expert.user)

    first = client.post(
        f"/review/assignments/{under_review.pk}/score", {"values": values, "comments": comments}
    )
    second = client.post(
        f"/review/assignments/{under_review.pk}/score", {"values": values, "comments": comments}
    )

    assert (first.status_code, second.status_code, second.json()["code"]) == (201, 409, "score_locked")
