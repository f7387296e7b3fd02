from __future__ import annotations

import pytest

from sciplan.applications.models import Application, ApplicationVersion, StatusEvent
from sciplan.applications.services import submit_application
from sciplan.applications.workflow import Status
from sciplan.core.models import AuditEvent


@pytest.mark.django_db
def test_submit_complete_application_freezes_version_one(complete_application, personas):
    version = submit_application(complete_application, by=personas.applicant)

    application = Application.objects.get(pk=complete_application.pk)
    assert application.status == Status.SUBMITTED
    assert version.number == 1
    assert version.snapshot["consortium_name"] == "岳阳市高性能聚烯烃新材料创新联合体"
    assert [e.action for e in StatusEvent.objects.filter(application=application)] == ["submit"]
    assert (
        AuditEvent.objects.filter(event_type="application.submit", object_id=str(application.pk)).count() == 1
    )


@pytest.mark.django_db
def test_submit_twice_returns_the_same_receipt(complete_application, personas):
    first = submit_application(complete_application, by=personas.applicant)
    second = submit_application(complete_application, by=personas.applicant)

    assert second.receipt_no == first.receipt_no
    assert ApplicationVersion.objects.filter(application=complete_application).count() == 1
    assert StatusEvent.objects.filter(application=complete_application, action="submit").count() == 1
