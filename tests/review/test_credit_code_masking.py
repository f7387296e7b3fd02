"""Unit credit codes are shown the same way on every page for one viewer (core.masking.USCC_ROLES): in
full to the applicant, the recommender, finance and the bureau; masked — the lead unit and every
member alike — to an assigned expert."""

from __future__ import annotations

import re

import pytest

from sciplan.applications.models import Member
from sciplan.core.masking import mask_uscc, uscc_for
from sciplan.review import panels

pytestmark = pytest.mark.django_db

CODE = re.compile(r"\b[0-9A-HJ-NP-RTUW-Y*]{18}\b")


def test_mask_keeps_the_kind_and_the_last_four():
    assert mask_uscc("91430600MA4L1001XY") == "9143**********01XY"
    assert mask_uscc("") == ""


def test_who_sees_full_codes(personas, make_expert):
    expert = make_expert("专家", "单位甲", user=True)
    viewers = [
        *(personas[n] for n in ("applicant", "county", "finance", "bureau", "admin")),
        expert.user,
    ]

    shown = {u.username: uscc_for(u, "91430600MA4L1001XY") for u in viewers}

    full, masked = "91430600MA4L1001XY", "9143**********01XY"
    assert shown == {
        "applicant": full,
        "county": full,
        "finance": full,
        "bureau": full,
        "admin": masked,
        expert.user.username: masked,
    }


def _codes(page: str) -> list[str]:
    return CODE.findall(page)


def test_an_assigned_expert_sees_every_code_masked_on_the_members_and_version_pages(
    under_review, personas, make_expert, client, api
):
    expert = make_expert("专家", "单位甲", user=True)
    panels.draw_panel([under_review.pk], size=1, by=personas.bureau)
    api(expert.user).post(f"/review/assignments/{under_review.pk}/declaration", {"conflict": False})
    client.force_login(expert.user)
    members = set(Member.objects.filter(application=under_review).values_list("uscc", flat=True))

    pages = [
        client.get(f"/applications/{under_review.pk}/members/").content.decode(),
        client.get(f"/applications/{under_review.pk}/versions/1/").content.decode(),
    ]

    shown = [code for page in pages for code in _codes(page)]
    assert shown, "the pages show the codes"
    assert all("*" in code for code in shown)
    assert not members & set(shown)


def test_the_applicant_sees_every_code_in_full(under_review, personas, client):
    client.force_login(personas.applicant)
    members = set(Member.objects.filter(application=under_review).values_list("uscc", flat=True))

    page = client.get(f"/applications/{under_review.pk}/members/").content.decode()

    assert members <= set(_codes(page))
