"""Ten concurrent submits of one application on PostgreSQL: one submission, one audit event, one receipt
(STANDARDS F29); and the deadline race (G33)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from sciplan.accounts import uscc
from sciplan.accounts.demo import ensure_user
from sciplan.accounts.models import Unit
from sciplan.applications.demo import build_complete_application
from sciplan.applications.models import Application, ApplicationVersion, StatusEvent
from sciplan.applications.services import submit_application
from sciplan.core import clock
from sciplan.core.errors import DomainError
from sciplan.core.models import AuditEvent
from tests.concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_ten_concurrent_submits_make_one_submission(complete_application, personas):
    app = complete_application

    results, errors = run_concurrently(10, lambda: submit_application(app, by=personas.applicant).receipt_no)

    assert errors == []
    assert len(set(results)) == 1 and len(results) == 10
    assert ApplicationVersion.objects.filter(application=app).count() == 1
    assert StatusEvent.objects.filter(application=app, action="submit").count() == 1
    assert AuditEvent.objects.filter(event_type="application.submit", object_id=str(app.pk)).count() == 1
    assert Application.objects.get(pk=app.pk).status == "submitted"


def test_deadline_race_accepts_only_before_and_refuses_cleanly_after(call, personas):
    count = 20
    users = []
    for index in range(count):
        unit = Unit.objects.create(
            name=f"并发测试单位{index}",
            uscc=uscc.build("91430600", f"MA4LC{index:03d}"),
            recommender=personas.county.recommender,
            status="approved",
        )
        users.append(ensure_user(f"race{index}", f"并发{index}", "applicant", unit=unit))
    apps = [build_complete_application(call, u, direction=f"并发方向{i}") for i, u in enumerate(users)]
    deadline = clock.now() + timedelta(seconds=2)
    type(call).objects.filter(pk=call.pk).update(closes_at=deadline)
    slots = iter(range(count))
    lock = threading.Lock()

    def submit_one():
        with lock:
            index = next(slots)
        # Spread the requests from 1 s before to 1 s after the deadline.
        fire_at = deadline - timedelta(seconds=1) + timedelta(milliseconds=100 * index)
        time.sleep(max((fire_at - clock.now()).total_seconds(), 0))
        try:
            version = submit_application(apps[index], by=users[index])
            return ("ok", apps[index].pk, version.submitted_at)
        except DomainError as exc:
            return ("refused", apps[index].pk, exc.status)

    results, errors = run_concurrently(count, submit_one)

    assert errors == []
    accepted = [(pk, when) for kind, pk, when in results if kind == "ok"]
    refused = [(pk, status) for kind, pk, status in results if kind == "refused"]
    assert accepted and refused
    assert all(when < deadline for _, when in accepted)
    assert {status for _, status in refused} == {409}
    stored = dict(
        ApplicationVersion.objects.filter(application__in=apps).values_list("application_id", "submitted_at")
    )
    assert stored == dict(accepted)
    assert set(
        Application.objects.filter(pk__in=[pk for pk, _ in refused]).values_list("status", flat=True)
    ) == {"draft"}
