"""Lists and pages read most often, beyond those tested beside their own pages, cost a fixed number of queries, however many rows they show.

Each page is read with a few applications, then with more: the count must not grow (no query per row),
and stays under a ceiling that a change has to raise on purpose. Timing is not asserted here; the
numbers of CPU per request are in bench/.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sciplan.applications.workflow import Status
from tests.factories import applicant_of_new_unit, application_in_state

pytestmark = pytest.mark.django_db

DIRECTIONS = ["高性能聚烯烃新材料", "智能装备", "生物医药", "绿色食品", "智慧物流", "新能源", "电子信息"]


@pytest.fixture
def add_applications(call, personas):
    """``add(n, status)``: n more applications, each by its own unit in the county's jurisdiction."""
    made: list = []

    def add(n: int, status: str) -> None:
        for _ in range(n):
            i = len(made)
            user = applicant_of_new_unit(i, personas.county.recommender, tag="qc")
            made.append(
                application_in_state(
                    call, user, status, direction=DIRECTIONS[i % len(DIRECTIONS)], actor=personas.bureau
                )
            )

    add.made = made
    return add


def _count(user, url: str, *, shows=None) -> int:
    client = Client()
    client.force_login(user)
    client.get(url)  # the first request warms what every later one shares (sessions, caches)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    if shows is not None:
        assert shows.lead_unit.name in response.content.decode(), f"{url} does not list the new rows"
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    ("who", "url_name", "status", "ceiling", "lists_rows"),
    [
        # The work list, the bureau's list and dashboard have their own tests beside their pages.
        ("bureau", "review:intake", Status.RECOMMENDED, 25, True),
    ],
)
def test_list_query_count_does_not_grow_with_its_rows(
    personas, add_applications, who, url_name, status, ceiling, lists_rows
):
    user = personas[who]
    url = reverse(url_name)
    add_applications(2, status)
    few = _count(user, url, shows=add_applications.made[-1] if lists_rows else None)
    add_applications(4, status)
    many = _count(user, url, shows=add_applications.made[-1] if lists_rows else None)

    assert many == few, f"{url_name}: {few} queries with 2 rows, {many} with 6"
    assert many <= ceiling


def test_status_page_query_count_does_not_grow_with_history_and_versions(personas, call):
    application = application_in_state(call, personas.applicant, Status.SUBMITTED)
    url = reverse("applications:detail", args=[application.pk])
    first = _count(personas.applicant, url)
    # More history on the same application: a send-back and a second submission.
    from sciplan.applications.services import submit_application
    from sciplan.applications.workflow import Action, transition

    transition(application, Action.ACCEPT, by=personas.county)
    transition(application, Action.RETURN, by=personas.county, reason="请补充合作协议扫描件。")
    submit_application(application, by=personas.applicant)
    later = _count(personas.applicant, url)

    assert later == first
    # 13: a submitted application's status page does not rerun the self-check (the menu's mark included).
    assert later <= 13
