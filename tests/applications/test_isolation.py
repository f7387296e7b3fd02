"""Who sees what: own unit, own jurisdiction once submitted, the bureau once submitted (SPEC §2)."""

from __future__ import annotations

import pytest

from sciplan.applications import queries
from sciplan.core.errors import NotFound

pytestmark = pytest.mark.django_db


def visible_ids(user):
    return sorted(queries.applications_for(user).values_list("pk", flat=True))


def test_draft_is_visible_only_to_its_own_unit(complete_application, personas):
    pk = complete_application.pk

    assert {
        name: visible_ids(personas[name])
        for name in ("applicant", "applicant_b", "county", "finance", "bureau")
    } == {
        "applicant": [pk],
        "applicant_b": [],
        "county": [],
        "finance": [],
        "bureau": [],
    }


def test_submitted_is_visible_to_own_county_and_the_bureau_only(submitted_application, personas):
    pk = submitted_application.pk
    names = (
        "applicant",
        "applicant_b",
        "county",
        "finance",
        "park",
        "county_b",
        "finance_b",
        "bureau",
        "admin",
    )

    assert {n: visible_ids(personas[n]) for n in names} == {
        "applicant": [pk],
        "applicant_b": [],
        "county": [pk],
        "finance": [pk],
        "park": [],
        "county_b": [],
        "finance_b": [],
        "bureau": [pk],
        "admin": [],
    }


@pytest.mark.parametrize("name", ["applicant_b", "park", "county_b", "finance_b", "admin"])
def test_get_application_for_an_outsider_is_not_found(submitted_application, personas, name):
    with pytest.raises(NotFound):
        queries.get_application_for(personas[name], submitted_application.pk)


def test_application_list_query_count_is_constant(call, personas):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import application_in_state

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            rows = [
                (a.consortium_name, a.lead_unit.name, a.recommender.name, a.member_count)
                for a in queries.applications_for(personas.bureau)
            ]
        return len(ctx.captured_queries), len(rows)

    application_in_state(call, personas.applicant, "submitted")
    one = count_queries()
    for name in ("applicant_b", "applicant_xinghu", "applicant_jiangbei", "applicant_gangcheng"):
        application_in_state(call, personas[name], "submitted", direction=name)
    five = count_queries()

    assert (one, five) == ((1, 1), (1, 5))
