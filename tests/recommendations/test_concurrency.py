"""Two officials of one recommender recommending at the same moment on PostgreSQL: both succeed and the
ranks stay 1..n without duplicates (the recommender row lock serialises rank changes)."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection

from sciplan.accounts.demo import ensure_user
from sciplan.accounts.roles import Role
from sciplan.applications import actions
from sciplan.applications.models import Application
from sciplan.recommendations.models import Recommendation
from tests.factories import application_in_state
from tests.recommendations.conftest import record_clean_credit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_recommends_keep_ranks_unique(call, personas):
    colleague = ensure_user("park_2", "孙伟同事", Role.RECOMMENDER, recommender=personas.park.recommender)
    apps = [
        application_in_state(call, personas.applicant_b, "accepted", direction="智能装备"),
        application_in_state(call, personas.applicant_gangcheng, "accepted", direction="智慧物流"),
    ]
    for application in apps:
        record_clean_credit(application, personas.park)
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def recommend(application, user):
        try:
            barrier.wait()
            actions.perform(
                Application.objects.get(pk=application.pk),
                "recommend",
                by=user,
                payload={"opinion": "同意推荐。", "rank": 1},
            )
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=recommend, args=(apps[0], personas.park)),
        threading.Thread(target=recommend, args=(apps[1], colleague)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    close_old_connections()

    assert errors == []
    assert sorted(Recommendation.objects.values_list("rank", flat=True)) == [1, 2]
    assert sorted(
        Application.objects.filter(pk__in=[a.pk for a in apps]).values_list("status", flat=True)
    ) == [
        "recommended",
        "recommended",
    ]
