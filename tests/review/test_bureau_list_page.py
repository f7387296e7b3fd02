"""The bureau list read in two steps (``review.queries.BureauListPaginator``): the same rows in the same
order as the list's query itself, page by page, with the per-row figures, and a count without joins."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sciplan.applications.workflow import Status
from sciplan.core import clock
from sciplan.review import queries
from sciplan.review.models import PaperReceipt
from tests.factories import applicant_of_new_unit, application_in_state

pytestmark = pytest.mark.django_db


def _applications(call, personas, n: int, start: int = 0) -> list:
    """n submitted applications spread over three recommending units of different order."""
    recommenders = [personas.county.recommender, personas.county_b.recommender, personas.park.recommender]
    made = []
    for i in range(start, start + n):
        user = applicant_of_new_unit(i, recommenders[i % len(recommenders)], tag="bl", code_base=41000000)
        made.append(application_in_state(call, user, Status.SUBMITTED, direction=f"方向{i}"))
    return made


def test_pages_follow_the_lists_order_and_cover_every_row_once(call, personas):
    made = _applications(call, personas, 7)
    PaperReceipt.objects.create(
        application=made[0],
        received_on=clock.local(clock.now()).date(),
        copies=2,
        received_by="李娜",
        recorded_by=personas.bureau,
    )
    expected = list(queries.bureau_applications(call).values_list("pk", flat=True))

    pages = [queries.bureau_list_page(call, number, per_page=3) for number in (1, 2, 3)]

    assert [[a.pk for a in page] for page in pages] == [expected[0:3], expected[3:6], expected[6:7]]
    assert pages[0].paginator.count == 7 and pages[0].paginator.num_pages == 3
    rows = {a.pk: a for page in pages for a in page}
    assert rows[made[0].pk].paper_count is True and rows[made[1].pk].paper_count is False
    assert {a.member_count for a in rows.values()} == {made[0].members.count()}


def test_filters_apply_to_the_page_and_its_count(call, personas):
    made = _applications(call, personas, 4)
    recommender = str(made[1].recommender_id)

    page = queries.bureau_list_page(call, 1, per_page=20, recommender=recommender)

    assert sorted(a.pk for a in page) == sorted(a.pk for a in made if str(a.recommender_id) == recommender)
    assert page.paginator.count == len(page)
    assert queries.bureau_list_page(call, 1, per_page=20, state=Status.ACCEPTED).paginator.count == 0


def test_a_page_costs_the_same_queries_however_many_rows(call, personas):
    def cost() -> int:
        with CaptureQueriesContext(connection) as ctx:
            page = queries.bureau_list_page(call, 1, per_page=20)
            assert all((a.lead_unit.name, a.recommender.name, a.industry, a.member_count) for a in page)
        return len(ctx.captured_queries)

    _applications(call, personas, 2)
    few = cost()
    _applications(call, personas, 5, start=2)
    many = cost()

    assert (few, many) == (3, 3)  # the count, the page's ids, the page's rows
