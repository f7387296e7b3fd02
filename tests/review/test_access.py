"""Experts see exactly the applications assigned to them, and only after declaring no conflict."""

from __future__ import annotations

from sciplan.applications import permissions
from sciplan.review import panels
from tests.factories import application_in_state


def test_expert_gets_404_for_unassigned_and_for_assigned_before_declaring(
    under_review, call, personas, make_expert, client, api
):
    other = application_in_state(call, personas.applicant_b, "under_review", direction="智能装备")
    expert = make_expert("专家", "单位甲", user=True)
    panels.draw_panel([under_review.pk], size=1, by=personas.bureau)
    client.force_login(expert.user)

    unassigned = [
        client.get(f"/applications/{other.pk}/").status_code,
        client.get(f"/review/assignments/{other.pk}/score/").status_code,
    ]
    before = [
        client.get(f"/applications/{under_review.pk}/").status_code,
        client.get(f"/review/assignments/{under_review.pk}/score/").status_code,
    ]
    declared = api(expert.user).post(
        f"/review/assignments/{under_review.pk}/declaration", {"conflict": False}
    )
    after = [
        client.get(f"/applications/{under_review.pk}/").status_code,
        client.get(f"/review/assignments/{under_review.pk}/score/").status_code,
    ]
    foreign = api(expert.user).post(f"/review/assignments/{other.pk}/declaration", {"conflict": False})

    assert (unassigned, before, declared.status_code, after, foreign.status_code) == (
        [404, 404],
        [404, 404],
        200,
        [200, 200],
        404,
    )
    assert list(permissions.visible(expert.user).values_list("pk", flat=True)) == [under_review.pk]


def test_bureau_pages_are_404_for_experts_and_applicants(under_review, personas, make_expert, client):
    expert = make_expert("专家", "单位甲", user=True)
    urls = [
        "/review/dashboard/",
        "/review/applications/",
        f"/review/applications/{under_review.pk}/",
        "/review/experts/",
        "/review/ranking/",
        "/review/intake/",
        "/review/draws/",
        f"/review/applications/{under_review.pk}/panel/",
    ]
    results = {}
    for user in (expert.user, personas.applicant, personas.county):
        client.force_login(user)
        results[user.username] = [client.get(u).status_code for u in urls]

    assert results == {u: [404] * len(urls) for u in results}


def test_expert_contacts_are_masked_for_everyone_but_the_bureau(make_expert, personas, api):
    make_expert("专家", "单位甲")

    as_bureau = api(personas.bureau).get("/review/experts").json()[0]
    as_applicant = api(personas.applicant).get("/review/experts")

    assert (as_bureau["phone"], as_bureau["email"]) == ("13507301234", "expert@example.cn")
    assert as_applicant.status_code == 404


def test_avoid_entry_recorded_after_the_declaration_closes_the_application(
    under_review, personas, make_expert, client, api
):
    expert = make_expert("专家", "单位甲", user=True)
    panels.draw_panel([under_review.pk], size=1, by=personas.bureau)
    api(expert.user).post(f"/review/assignments/{under_review.pk}/declaration", {"conflict": False})
    client.force_login(expert.user)
    before = client.get(f"/applications/{under_review.pk}/").status_code

    panels.add_avoid(under_review, expert, reason="申报单位申请回避", by=personas.bureau)
    after = [
        client.get(f"/applications/{under_review.pk}/").status_code,
        client.get(f"/review/assignments/{under_review.pk}/score/").status_code,
        api(expert.user)
        .post(f"/review/assignments/{under_review.pk}/score", {"values": {}, "comments": {}})
        .status_code,
    ]

    assert (before, after) == (200, [404, 404, 404])


def test_expert_of_a_member_unit_is_closed_out_even_when_seated(under_review, personas, make_expert, client):
    expert = make_expert("专家", "单位甲", user=True)
    panels.draw_panel([under_review.pk], size=1, by=personas.bureau)
    panels.declare(panels.get_assignment_for(expert.user, under_review.pk), conflict=False, by=expert.user)
    member = under_review.members.order_by("id").first()
    type(expert).objects.filter(pk=expert.pk).update(organisation=member.name)  # corrected since the draw
    client.force_login(expert.user)

    assert client.get(f"/applications/{under_review.pk}/").status_code == 404
    assert list(permissions.visible(expert.user)) == []


def test_seat_opens_nothing_before_review_and_cannot_be_declared_there(
    under_review, personas, make_expert, api
):
    from sciplan.applications.models import Application
    from sciplan.review.models import Assignment

    expert = make_expert("专家", "单位甲", user=True)
    panels.draw_panel([under_review.pk], size=1, by=personas.bureau)
    Application.objects.filter(pk=under_review.pk).update(status="submitted")

    declared = api(expert.user).post(
        f"/review/assignments/{under_review.pk}/declaration", {"conflict": False}
    )

    assert declared.status_code == 404
    assert Assignment.objects.get(expert=expert).status == "pending"


def test_expert_pages_are_404_for_another_expert(under_review, personas, make_expert, client):
    make_expert("专家", "单位甲", user=True)
    stranger = make_expert("专家", "单位乙", user=True, fields=("equipment",))
    panels.draw_panel([under_review.pk], size=1, by=personas.bureau)
    client.force_login(stranger.user)

    answers = [
        client.get(f"/review/assignments/{under_review.pk}/{page}/").status_code
        for page in ("declare", "score", "full")
    ]

    assert answers == [404, 404, 404]


def test_bureau_actions_on_the_panel_are_404_for_the_expert(under_review, personas, make_expert, client):
    expert = make_expert("专家", "单位甲", user=True)
    panels.draw_panel([under_review.pk], size=1, by=personas.bureau)
    seat = under_review.assignments.get()
    client.force_login(expert.user)

    replace = client.post(
        f"/review/applications/{under_review.pk}/panel/replace/",
        {"seats": [seat.pk], "reason_code": "other", "reason": "想换"},
    )
    reopen = client.post(f"/review/applications/{under_review.pk}/scores/1/reopen/", {"reason": "x"})

    seat.refresh_from_db()
    assert (replace.status_code, reopen.status_code, seat.status) == (404, 404, "pending")
