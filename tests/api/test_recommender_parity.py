"""A recommender and its finance department do through the API alone what they do on the pages:
accept, record the credit check, upload the letter, recommend, reorder, co-sign (issue: API parity)."""

from __future__ import annotations

import io

import pytest

from sciplan.applications.demo import sample_pdf
from sciplan.applications.models import Application
from sciplan.core import clock
from sciplan.core.models import AuditEvent
from tests.api.conftest import sign_in

pytestmark = pytest.mark.django_db

TODAY = lambda: clock.local(clock.now()).date().isoformat()  # noqa: E731


def _credit(day: str) -> dict:
    return {
        "entries": [
            {"source": source, "result": "clean", "checked_on": day, "note": ""}
            for source in ("creditchina", "zxgk", "gsxt")
        ]
    }


def test_county_and_finance_recommend_through_the_api_alone(submitted_application, personas):
    pk = submitted_application.pk
    county = sign_in(personas.county.username)

    accepted = county.post(f"/applications/{pk}/transitions", {"action": "accept"})
    credit = county.put(f"/applications/{pk}/credit-checks", _credit(TODAY()))
    letter = io.BytesIO(sample_pdf())
    letter.name = "推荐函.pdf"
    uploaded = county.upload(
        f"/calls/{submitted_application.call_id}/recommendation-letter", {"file": letter}
    )
    recommended = county.post(
        f"/applications/{pk}/transitions",
        {"action": "recommend", "reason": "同意推荐", "payload": {"opinion": "合作基础扎实，同意推荐。"}},
    )
    ranked = county.put(f"/applications/{pk}/recommendation-rank", {"rank": 1})
    confirmed = sign_in(personas.finance.username).post(
        f"/applications/{pk}/transitions", {"action": "finance_confirm"}
    )

    assert [r.status_code for r in (accepted, credit, uploaded, recommended, ranked)] == [
        200,
        200,
        201,
        200,
        200,
    ]
    assert confirmed.status_code == 200, confirmed.content
    assert {c["source"] for c in credit.json()} == {"creditchina", "zxgk", "gsxt"}
    assert ranked.json() == {"application_id": pk, "rank": 1}
    assert Application.objects.get(pk=pk).status == "recommended"
    event = AuditEvent.objects.get(event_type="recommendation.credit_check", object_id=str(pk))
    assert event.ip  # the address is recorded, as for every other action


def test_credit_check_through_the_api_says_what_is_wrong_per_field(submitted_application, personas):
    pk = submitted_application.pk
    county = sign_in(personas.county.username)
    county.post(f"/applications/{pk}/transitions", {"action": "accept"})

    future = county.put(f"/applications/{pk}/credit-checks", _credit("2999-01-01"))
    malformed = county.put(f"/applications/{pk}/credit-checks", {"entries": [{"source": "elsewhere"}]})

    assert future.status_code == 422
    assert future.json()["errors"]["creditchina_checked_on"] == "查询日期不能晚于今天。"
    assert malformed.status_code == 422


@pytest.mark.parametrize("persona", ["applicant", "county_b", "park", "finance", "bureau"])
def test_only_the_applications_own_recommender_records_credit_or_reorders(
    submitted_application, personas, persona
):
    pk = submitted_application.pk
    sign_in(personas.county.username).post(f"/applications/{pk}/transitions", {"action": "accept"})
    client = sign_in(personas[persona].username)

    credit = client.put(f"/applications/{pk}/credit-checks", _credit(TODAY()))
    rank = client.put(f"/applications/{pk}/recommendation-rank", {"rank": 1})

    assert credit.status_code in (403, 404), credit.content
    assert rank.status_code in (403, 404), rank.content
    assert not AuditEvent.objects.filter(event_type="recommendation.credit_check").exists()


def test_credit_check_without_a_token_is_401(submitted_application):
    from tests.api.conftest import ApiClient

    assert (
        ApiClient()
        .put(f"/applications/{submitted_application.pk}/credit-checks", _credit(TODAY()))
        .status_code
        == 401
    )
