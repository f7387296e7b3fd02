"""Call set-up services: copy, freeze after opening, window moves with reason, rubric total, states."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sciplan.calls.models import Call, CallState
from sciplan.calls.services import CallAction, copy_call, transition_call, update_call
from sciplan.core.errors import Conflict, NotFound, ValidationFailed
from sciplan.core.models import AuditEvent, Notification

pytestmark = pytest.mark.django_db


def test_copy_of_2024_call_is_a_2025_draft_with_dates_moved(call_2024, personas):
    copy = copy_call(call_2024, by=personas.bureau)

    assert (copy.state, copy.year, copy.title) == (CallState.DRAFT, 2025, "2025年度岳阳市创新联合体申报")
    assert (copy.closes_at.year, copy.rd_first_year, copy.rubric) == (2025, 2022, call_2024.rubric)
    assert copy.industries.count() == call_2024.industries.count()
    assert AuditEvent.objects.filter(event_type="call.copy", object_id=str(copy.pk)).count() == 1


def test_copy_refuses_a_year_out_of_range_and_writes_nothing(call_2024, personas):
    before = Call.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        copy_call(call_2024, year=2101, by=personas.bureau)

    assert caught.value.field_errors == {"year": "请填写2000至2100之间的年度。"}
    assert Call.objects.count() == before


def test_copy_refused_for_applicant(call_2024, personas):
    with pytest.raises(NotFound):
        copy_call(call_2024, by=personas.applicant)


def test_threshold_change_refused_once_opened(call, personas):
    with pytest.raises(ValidationFailed) as caught:
        update_call(call, data={"rd_threshold": 500}, by=personas.bureau)

    assert "已冻结" in caught.value.field_errors["rd_threshold"]


def test_window_move_after_opening_needs_reason_and_tells_applicants(complete_application, call, personas):
    later = call.closes_at + timedelta(days=3)
    with pytest.raises(ValidationFailed) as caught:
        update_call(call, data={"closes_at": later}, by=personas.bureau)
    assert list(caught.value.field_errors) == ["reason"]

    update_call(call, data={"closes_at": later}, reason="系统维护顺延", by=personas.bureau)

    event = AuditEvent.objects.filter(event_type="call.update").latest("id")
    assert list(event.detail["changes"]) == ["closes_at"]
    assert event.detail["reason"] == "系统维护顺延"
    assert Notification.objects.filter(user=personas.applicant, subject__contains="时间节点调整").count() == 1


def test_rubric_weights_must_add_up_to_100(call_2024, personas):
    draft = copy_call(call_2024, by=personas.bureau)
    rubric = [
        {"label": "实力", "max": 60, "description": "说明"},
        {"label": "合作", "max": 30, "description": "说明"},
    ]

    with pytest.raises(ValidationFailed) as caught:
        update_call(draft, data={"rubric": rubric}, by=personas.bureau)

    assert caught.value.field_errors == {"rubric": "各项指标分值合计须为100分，当前合计90分。"}


def test_states_walk_draft_published_and_refuse_skipping(call_2024, personas):
    draft = copy_call(call_2024, year=2027, by=personas.bureau)  # windows in the future
    with pytest.raises(Conflict):
        transition_call(draft, CallAction.ARCHIVE, by=personas.bureau)

    published = transition_call(draft, CallAction.PUBLISH, by=personas.bureau)

    assert published.state == CallState.PUBLISHED
    with pytest.raises(ValidationFailed):
        transition_call(published, CallAction.CLOSE, by=personas.bureau)  # still open for applications


def test_states_walk_the_whole_table_with_one_audit_record_each(call_2024, personas):
    from sciplan.core import clock

    draft = copy_call(call_2024, year=2027, by=personas.bureau)
    published = transition_call(draft, CallAction.PUBLISH, by=personas.bureau)
    now = clock.now()
    # Not opened yet (it opens in 2027), so its windows may still be moved back to end the call now.
    update_call(
        published,
        data={"opens_at": now - timedelta(days=10), "closes_at": now - timedelta(hours=1)},
        by=personas.bureau,
    )
    closed = transition_call(published, CallAction.CLOSE, by=personas.bureau)
    archived = transition_call(closed, CallAction.ARCHIVE, by=personas.bureau)

    events = AuditEvent.objects.filter(object_id=str(draft.pk), event_type__startswith="call.").order_by("id")
    assert [e.event_type for e in events] == [
        "call.copy",
        "call.publish",
        "call.update",
        "call.close",
        "call.archive",
    ]
    assert [e.detail["changes"]["state"]["new"] for e in events if "state" in e.detail["changes"]] == [
        CallState.PUBLISHED,
        CallState.CLOSED,
        CallState.ARCHIVED,
    ]
    assert archived.state == CallState.ARCHIVED
    with pytest.raises(Conflict):
        update_call(archived, data={"title": "改名"}, by=personas.bureau)


def test_required_attachments_follow_the_attachment_specs(call_2024, personas):
    draft = copy_call(call_2024, by=personas.bureau)
    specs = [
        {"kind": "charter", "name": "章程", "types": ["pdf"], "max_mb": 10, "required": True},
        {"kind": "commitment", "name": "承诺书", "types": ["pdf"], "max_mb": 10, "required": False},
    ]

    update_call(draft, data={"attachment_specs": specs}, by=personas.bureau)

    draft.refresh_from_db()
    assert (call_2024.required_attachments, draft.required_attachments) == (
        ["financial_evidence", "charter", "commitment"],
        ["charter"],
    )


def test_a_deactivated_entry_stays_on_its_call_but_is_not_chosen_anew_or_copied(call_2024, personas):
    from sciplan.calls.models import Industry, Recommender

    copy = copy_call(call_2024, by=personas.bureau)
    kept = copy.industries.first()
    Industry.objects.filter(pk=kept.pk).update(active=False)
    dropped = (
        Recommender.objects.exclude(pk__in=copy.recommenders.values("pk")).first()
        or Recommender.objects.first()
    )
    copy.recommenders.remove(dropped)
    Recommender.objects.filter(pk=dropped.pk).update(active=False)
    industries = sorted(copy.industries.values_list("pk", flat=True))
    recommenders = sorted(copy.recommenders.values_list("pk", flat=True))

    update_call(copy, data={"industries": industries, "title": "保留已选的停用产业"}, by=personas.bureau)
    with pytest.raises(ValidationFailed) as refused:
        update_call(copy, data={"recommenders": [*recommenders, dropped.pk]}, by=personas.bureau)
    second = copy_call(copy, by=personas.bureau)

    assert kept.pk in copy.industries.values_list("pk", flat=True)
    assert "已停用" in refused.value.field_errors["recommenders"]
    assert kept.pk not in second.industries.values_list("pk", flat=True)
