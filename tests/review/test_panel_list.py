"""panel_list: every recorded draw of a call, for the bureau only — an integrator finds a draw's id here
instead of guessing ids with panel_verify."""

from __future__ import annotations

import pytest

from sciplan.review import panels

pytestmark = pytest.mark.django_db


def test_bureau_lists_every_draw_of_the_call_and_of_one_application(under_review, personas, make_expert, api):
    for i in range(3):
        make_expert(f"专家{i}", f"外省大学{i}")
    first = panels.draw_panel([under_review.pk], size=2, by=personas.bureau)

    listed = api(personas.bureau).get("/review/panels", call_id=under_review.call_id)
    mine = api(personas.bureau).get(
        "/review/panels", call_id=under_review.call_id, application_id=under_review.pk
    )
    other = api(personas.bureau).get("/review/panels", call_id=under_review.call_id, application_id=987654)

    assert listed.status_code == 200, listed.content
    assert [d["id"] for d in listed.json()] == [first.pk]
    row = listed.json()[0]
    assert (row["seed"], row["snapshot_hash"], row["applications"]) == (
        first.seed,
        first.snapshot_hash,
        [under_review.pk],
    )
    assert (row["is_redraw"], row["drawn_by"]) == (False, personas.bureau.display_name)
    assert [d["id"] for d in mine.json()] == [first.pk]
    assert other.json() == []


@pytest.mark.parametrize("persona", ["applicant", "county", "finance", "admin"])
def test_no_one_but_the_bureau_sees_the_draws(under_review, personas, make_expert, api, persona):
    make_expert("专家甲", "外省大学")
    panels.draw_panel([under_review.pk], size=1, by=personas.bureau)

    response = api(personas[persona]).get("/review/panels", call_id=under_review.call_id)

    assert response.status_code == 404


def test_an_application_lists_its_first_draw_and_the_redraw_after_a_recusal(
    under_review, personas, make_expert, api
):
    experts = [make_expert("专家", f"外省大学{i}", user=True) for i in range(4)]
    first = panels.draw_panel([under_review.pk], size=2, seed="seed-l", by=personas.bureau)
    leaving = next(e for e in experts if e.pk in first.result)
    panels.declare(
        panels.get_assignment_for(leaving.user, under_review.pk),
        conflict=True,
        reason="曾在牵头单位兼职",
        by=leaving.user,
    )

    mine = api(personas.bureau).get(
        "/review/panels", call_id=under_review.call_id, application_id=under_review.pk
    )

    rows = mine.json()
    assert [r["is_redraw"] for r in rows] == [True, False]
    assert rows[1]["id"] == first.pk
    assert rows[0]["applications"] == [under_review.pk] and rows[0]["size"] == 1
