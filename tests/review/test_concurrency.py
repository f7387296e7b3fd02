"""On PostgreSQL: concurrent draws for one application seat one panel; a confirmation and a score never
interleave (the call row is locked by both)."""

from __future__ import annotations

import pytest

from sciplan.core.errors import Conflict
from sciplan.review import panels, scoring
from sciplan.review.models import Assignment, Draw, Ranking, Score
from tests.concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_five_concurrent_draws_for_one_application_seat_one_panel(under_review, personas, make_expert):
    for i in range(6):
        make_expert("专家", f"单位{i}")

    results, errors = run_concurrently(
        5, lambda: panels.draw_panel([under_review.pk], size=3, by=personas.bureau).pk
    )

    assert (len(results), [type(e) for e in errors]) == (1, [Conflict] * 4)
    assert Draw.objects.count() == 1
    assert Assignment.objects.filter(application=under_review).count() == 3


def test_score_racing_a_confirmation_is_either_before_it_or_refused(under_review, personas, make_expert):
    under_review.call.panel_min_size = 2  # the race is the subject; a panel of two is complete here
    under_review.call.save(update_fields=["panel_min_size"])
    experts = [make_expert("专家", f"单位{i}", user=True) for i in range(2)]
    panels.draw_panel([under_review.pk], size=2, by=personas.bureau)
    seats = []
    for expert in experts:
        seat = panels.get_assignment_for(expert.user, under_review.pk)
        panels.declare(seat, conflict=False, by=expert.user)
        seats.append((seat, expert.user))
    rubric = scoring.rubric_of(under_review.call)

    def score(seat, user, value):
        return scoring.submit_score(
            seat,
            values={i["code"]: value for i in rubric},
            comments={i["code"]: "好" for i in rubric},
            by=user,
        )

    for seat, user in seats:
        score(seat, user, "10")
    calls = iter(
        [
            lambda: scoring.confirm_ranking(under_review.call, by=personas.bureau),
            lambda: score(*seats[0], "12"),
        ]
    )

    results, errors = run_concurrently(2, lambda: next(calls)())

    ranking = Ranking.objects.get()
    frozen_total = next(r for r in ranking.rows if r["application_id"] == under_review.pk)["mean"]
    stored = Score.objects.get(assignment=seats[0][0]).total
    # Either the score landed before the confirmation (and is in it), or it was refused after.
    assert len(results) + len(errors) == 2
    assert (str(stored), frozen_total) in {("50.00", "50.00"), ("60.00", "55.00")}
