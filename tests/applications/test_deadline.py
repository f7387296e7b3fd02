"""The applicants' deadline is the server clock in Asia/Shanghai, to the second (SPEC §3, STANDARDS G32)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from sciplan.applications.demo import build_complete_application
from sciplan.applications.models import Application, ApplicationVersion
from sciplan.applications.services import create_application, submit_application
from sciplan.applications.workflow import Status
from sciplan.calls.models import Extension, Stage
from sciplan.core.errors import Conflict, DeadlinePassed
from sciplan.core.models import AuditEvent

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def drafts_2024(call_2024, personas):
    with time_machine.travel(at(2024, 7, 10, 9, 0), tick=False):
        return (
            build_complete_application(call_2024, personas.applicant),
            build_complete_application(call_2024, personas.applicant_b, direction="智能装备"),
        )


def test_deadline_submit_at_17_59_59_is_accepted(drafts_2024, personas):
    first, _ = drafts_2024
    with time_machine.travel(at(2024, 8, 4, 17, 59, 59, 999000), tick=False):
        version = submit_application(first, by=personas.applicant)

    assert version.submitted_at == at(2024, 8, 4, 17, 59, 59, 999000)
    assert Application.objects.get(pk=first.pk).status == Status.SUBMITTED


def test_deadline_submit_at_18_00_00_is_refused_with_server_time(drafts_2024, personas):
    _, second = drafts_2024
    with time_machine.travel(at(2024, 8, 4, 18, 0, 0), tick=False), pytest.raises(Conflict) as caught:
        submit_application(second, by=personas.applicant_b)

    assert caught.value.message == (
        "网上申报已于2024年08月04日 18:00:00截止，服务器时间为2024年08月04日 18:00:00，本次操作未生效。"
    )
    assert Application.objects.get(pk=second.pk).status == Status.DRAFT
    assert ApplicationVersion.objects.filter(application=second).count() == 0


def test_deadline_refused_submit_is_audited(drafts_2024, personas):
    """The refusal is recorded even though the submit's own transaction rolls back (STANDARDS E22)."""
    _, second = drafts_2024
    with time_machine.travel(at(2024, 8, 4, 18, 0, 1), tick=False), pytest.raises(Conflict):
        submit_application(second, by=personas.applicant_b, ip="203.0.113.9")

    refusal = AuditEvent.objects.get(event_type="application.refused", object_id=str(second.pk))
    assert refusal.outcome == "refused"
    assert refusal.ip == "203.0.113.9"
    assert refusal.detail["action"] == "submit"
    assert "截止" in refusal.detail["message"]


def test_deadline_unit_extension_lets_only_that_unit_submit(drafts_2024, personas, call_2024):
    first, second = drafts_2024
    Extension.objects.create(
        call=call_2024,
        stage=Stage.APPLY,
        unit=personas.applicant.unit,
        until=at(2024, 8, 5, 12, 0),
        reason="系统故障补报",
        granted_by=personas.bureau,
    )
    with time_machine.travel(at(2024, 8, 4, 20, 0), tick=False):
        submit_application(first, by=personas.applicant)
        with pytest.raises(Conflict):
            submit_application(second, by=personas.applicant_b)

    assert [Application.objects.get(pk=a.pk).status for a in (first, second)] == [
        Status.SUBMITTED,
        Status.DRAFT,
    ]


def test_deadline_no_new_application_after_the_window(call_2024, personas):
    with time_machine.travel(at(2024, 8, 4, 18, 0, 0), tick=False), pytest.raises(DeadlinePassed):
        create_application(call=call_2024, by=personas.applicant)


def test_deadline_not_yet_open_refuses_creation(call_2024, personas):
    with time_machine.travel(at(2024, 7, 3, 23, 59, 59), tick=False), pytest.raises(DeadlinePassed) as caught:
        create_application(call=call_2024, by=personas.applicant)

    assert caught.value.message == "网上申报尚未开始，开始时间为2024年07月04日 00:00:00。"


def test_deadline_uploads_are_not_gated_only_submit_is(drafts_2024, personas):
    import io

    from sciplan.applications.demo import sample_pdf
    from sciplan.applications.services import upload_attachment

    first, _ = drafts_2024
    with time_machine.travel(at(2024, 8, 4, 18, 30), tick=False):
        attachment = upload_attachment(
            first, kind="other", fileobj=io.BytesIO(sample_pdf()), filename="补充.pdf", by=personas.applicant
        )

    assert (attachment.content_kind, attachment.application_id) == ("pdf", first.pk)
