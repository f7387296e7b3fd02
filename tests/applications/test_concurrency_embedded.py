"""Concurrent submits on whichever engine the run uses — the embedded default (SQLite) included.

SQLite serialises writers (``transaction_mode: IMMEDIATE``, WAL, a busy timeout); this proves that the
embedded default takes 16 submitting clients at once with no error, one version per application and the
same receipt for a repeated submit.
"""

from __future__ import annotations

import itertools
import threading

import pytest

from sciplan.accounts import uscc
from sciplan.accounts.demo import ensure_user
from sciplan.accounts.models import Unit
from sciplan.applications.demo import build_complete_application
from sciplan.applications.models import Application, ApplicationVersion, StatusEvent
from sciplan.applications.services import submit_application
from tests.concurrency import run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 16
APPLICATIONS = 8  # each submitted by two clients at once


def test_sixteen_concurrent_submitting_clients_get_no_error(call, personas):
    users, apps = [], []
    for index in range(APPLICATIONS):
        unit = Unit.objects.create(
            name=f"嵌入式并发单位{index}",
            uscc=uscc.build("91430600", f"MA4LE{index:03d}"),
            recommender=personas.county.recommender,
            status="approved",
        )
        user = ensure_user(f"embedded{index}", f"并发{index}", "applicant", unit=unit)
        users.append(user)
        apps.append(build_complete_application(call, user, direction=f"嵌入式方向{index}"))
    slots = itertools.cycle(range(APPLICATIONS))
    lock = threading.Lock()

    def submit_one():
        with lock:
            index = next(slots)
        return apps[index].pk, submit_application(apps[index], by=users[index]).receipt_no

    results, errors = run_concurrently(CLIENTS, submit_one)

    assert errors == []
    assert len(results) == CLIENTS
    receipts = {}
    for pk, receipt in results:
        receipts.setdefault(pk, set()).add(receipt)
    assert {pk: len(r) for pk, r in receipts.items()} == {app.pk: 1 for app in apps}
    assert ApplicationVersion.objects.filter(application__in=apps).count() == APPLICATIONS
    assert StatusEvent.objects.filter(application__in=apps, action="submit").count() == APPLICATIONS
    assert set(Application.objects.filter(pk__in=[a.pk for a in apps]).values_list("status", flat=True)) == {
        "submitted"
    }
