"""The proposed list and publishing the notice."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from sciplan.applications.models import Application, StatusEvent
from sciplan.applications.workflow import Status
from sciplan.core.errors import Conflict, NotAllowed, ValidationFailed
from sciplan.recognition import services
from sciplan.recognition.models import Decision, NoticeEntry
from tests.factories import application_in_state
from tests.recognition.conftest import NOTICE_END, NOTICE_START, at

pytestmark = pytest.mark.django_db


def test_propose_moves_selected_applications_and_records_the_meeting(call, personas, ranking_guard):
    chosen = application_in_state(call, personas.applicant, Status.UNDER_REVIEW, direction="新材料")
    left = application_in_state(call, personas.applicant_b, Status.UNDER_REVIEW, direction="智能装备")
    ranking_guard(call, [chosen, left])

    decision = services.propose(
        call,
        application_ids=[chosen.pk],
        meeting_date=date(2024, 9, 20),
        attendees="李娜、王强",
        minutes="局务会议研究确定拟认定名单。",
        by=personas.bureau,
    )

    statuses = dict(Application.objects.filter(pk__in=[chosen.pk, left.pk]).values_list("pk", "status"))
    assert statuses == {chosen.pk: Status.PROPOSED, left.pk: Status.UNDER_REVIEW}
    assert list(decision.applications.values_list("pk", flat=True)) == [chosen.pk]
    assert StatusEvent.objects.filter(application=chosen, action="propose").count() == 1


def test_propose_without_minutes_or_selection_is_refused_beside_the_fields(call, personas):
    with pytest.raises(ValidationFailed) as caught:
        services.propose(
            call, application_ids=[], meeting_date="2024-13-01", attendees="", minutes="", by=personas.bureau
        )

    assert set(caught.value.field_errors) == {"applications", "meeting_date", "attendees", "minutes"}
    assert Decision.objects.count() == 0


def test_propose_refused_for_a_recommender(call, personas):
    application = application_in_state(call, personas.applicant, Status.UNDER_REVIEW)

    with pytest.raises(NotAllowed):
        services.propose(
            call,
            application_ids=[application.pk],
            meeting_date=date(2024, 9, 20),
            attendees="甲",
            minutes="纪要",
            by=personas.county,
        )


def test_publish_puts_every_proposed_application_into_notice_until_18_00(call, personas, make_proposed):
    applications = make_proposed(2)

    with time_machine.travel(at(2024, 9, 27, 9, 0), tick=False):
        notice = services.publish_notice(call, starts_on=NOTICE_START, by=personas.bureau)

    assert notice.ends_at == NOTICE_END
    assert notice.working_days == 5
    assert sorted(
        NoticeEntry.objects.filter(notice=notice).values_list("application_id", flat=True)
    ) == sorted(a.pk for a in applications)
    assert set(Application.objects.filter(call=call).values_list("status", flat=True)) == {
        Status.IN_PUBLIC_NOTICE
    }


def test_publish_with_nothing_proposed_is_a_conflict(call, personas):
    with time_machine.travel(at(2024, 9, 27, 9, 0), tick=False), pytest.raises(Conflict):
        services.publish_notice(call, starts_on=NOTICE_START, by=personas.bureau)


def test_publish_in_the_past_is_refused(call, personas, make_proposed):
    make_proposed(1)

    with time_machine.travel(at(2024, 9, 27, 9, 0), tick=False), pytest.raises(ValidationFailed) as caught:
        services.publish_notice(call, starts_on=date(2024, 9, 26), by=personas.bureau)

    assert list(caught.value.field_errors) == ["starts_on"]
