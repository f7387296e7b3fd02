"""The work list: counts by state, filters, the letter banner, pending registrations, a fixed number of
queries however many applications there are (SPEC §7; STYLE: query-count test for every list)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sciplan.accounts.demo import ensure_user, unit_code
from sciplan.accounts.models import Unit, UnitStatus
from sciplan.accounts.roles import Role
from sciplan.applications import actions
from tests.factories import application_in_state
from tests.recommendations.conftest import record_clean_credit, upload_pdf_letter

pytestmark = pytest.mark.django_db


def extra_applicants(count: int, recommender) -> list:
    users = []
    for index in range(count):
        unit = Unit.objects.create(
            name=f"岳阳测试企业{index}有限公司",
            uscc=unit_code(f"MA4LT{index:03d}"),
            recommender=recommender,
            status=UnitStatus.APPROVED,
        )
        users.append(ensure_user(f"extra_{index}", f"填报人{index}", Role.APPLICANT, unit=unit))
    return users


def worklist_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/recommend/worklist/")
    assert response.status_code == 200
    return len(captured)


def test_worklist_query_count_does_not_grow_with_applications(call, personas, web_as):
    county = personas.county
    users = extra_applicants(5, county.recommender)
    first = application_in_state(call, personas.applicant, "submitted", direction="甲")
    record_clean_credit(first, county)
    application_in_state(call, personas.applicant_xinghu, "accepted", direction="乙")
    client = web_as("county")
    few = worklist_queries(client)
    for index, user in enumerate(users):
        application = application_in_state(call, user, "accepted", direction=f"方向{index}")
        record_clean_credit(application, county)
        if index < 3:
            actions.perform(application, "recommend", by=county, payload={"opinion": "同意。", "rank": 1})

    many = worklist_queries(client)

    assert many == few


def test_worklist_counts_by_state_and_filters(call, personas, web_as):
    application_in_state(call, personas.applicant, "submitted", direction="新材料")
    application_in_state(call, personas.applicant_xinghu, "accepted", direction="生物医药")
    client = web_as("county")

    everything = client.get("/recommend/worklist/")
    accepted = client.get("/recommend/worklist/", {"status": "accepted"}).content.decode()
    by_uscc = client.get("/recommend/worklist/", {"q": personas.applicant.unit.uscc}).content.decode()
    by_name = client.get("/recommend/worklist/", {"q": "岳阳市生物医药创新联合体"}).content.decode()

    assert [(c["code"], c["count"]) for c in everything.context["counts"]] == [
        ("submitted", 1),
        ("accepted", 1),
    ]
    assert everything.context["total"] == 2
    assert ("岳阳市新材料创新联合体" in accepted, "岳阳市生物医药创新联合体" in accepted) == (False, True)
    assert ("岳阳市新材料创新联合体" in by_uscc, "岳阳市生物医药创新联合体" in by_uscc) == (True, False)
    assert ("岳阳市新材料创新联合体" in by_name, "岳阳市生物医药创新联合体" in by_name) == (False, True)


def test_worklist_shows_the_letter_banner_until_uploaded(call, personas, web_as):
    client = web_as("county")

    before = client.get("/recommend/worklist/").content.decode()
    upload_pdf_letter(call, personas.county)
    after = client.get("/recommend/worklist/").content.decode()

    assert "未上传推荐函：市科技局将不予受理" in before
    assert "未上传推荐函：市科技局将不予受理" not in after
    assert "推荐函已上传" in after


def test_worklist_links_pending_registrations_for_the_recommender_only(call, personas, web_as):
    county = web_as("county").get("/recommend/worklist/")
    finance = web_as("finance").get("/recommend/worklist/")

    assert county.context["pending_units"] == 1
    assert "/accounts/units/pending/" in county.content.decode()
    assert finance.context["pending_units"] == 0


def test_home_of_recommender_and_finance_is_the_worklist(call, personas, web_as):
    answers = {name: web_as(name).get("/").headers.get("Location") for name in ("county", "finance")}

    assert answers == {"county": "/recommend/worklist/", "finance": "/recommend/worklist/"}


def test_recommend_form_error_keeps_what_was_typed(call, personas, web_as):
    application = application_in_state(call, personas.applicant_b, "accepted")
    record_clean_credit(application, personas.park)

    response = web_as("park").post(
        f"/recommend/applications/{application.pk}/act/recommend/",
        {"opinion": "同意推荐，理由充分。", "rank": "零"},
    )
    page = response.content.decode()

    assert response.status_code == 422
    assert "同意推荐，理由充分。</textarea>" in page
    assert "推荐排序应为正整数，如 1、2、3。" in page


def test_return_without_reason_is_shown_beside_the_field(call, personas, web_as):
    application = application_in_state(call, personas.applicant, "submitted")

    response = web_as("county").post(f"/recommend/applications/{application.pk}/act/return/", {"reason": ""})

    assert response.status_code == 400
    assert "“退回修改”须填写理由。" in response.content.decode()


def test_web_recommend_then_finance_confirm(call, personas, web_as):
    application = application_in_state(call, personas.applicant, "accepted")
    record_clean_credit(application, personas.county)

    first = web_as("county").post(
        f"/recommend/applications/{application.pk}/act/recommend/",
        {"opinion": "同意推荐。", "rank": "1", "confirm": "1"},
    )
    waiting = web_as("finance").get(f"/recommend/applications/{application.pk}/").content.decode()
    second = web_as("finance").post(
        f"/recommend/applications/{application.pk}/act/finance_confirm/", {"confirm": "1"}
    )
    application.refresh_from_db()

    assert (first.status_code, second.status_code) == (302, 302)
    assert "待财政部门确认" in waiting
    assert application.status == "recommended"


def test_worklist_shows_a_page_at_a_time(call, personas, web_as, monkeypatch):
    from sciplan.recommendations import views

    monkeypatch.setattr(views, "WORKLIST_PAGE_SIZE", 2)
    users = extra_applicants(3, personas.county.recommender)
    for index, user in enumerate(users):
        application_in_state(call, user, "submitted", direction=f"方向{index}")
    client = web_as("county")

    first = client.get("/recommend/worklist/", {"status": "submitted"})
    second = client.get("/recommend/worklist/", {"status": "submitted", "page": 2})

    assert len(first.context["applications"]) == 2
    assert len(second.context["applications"]) == 1
    page = first.content.decode()
    assert "第 1 / 2 页，共 3 条" in page
    assert "status=submitted&amp;page=2" in page
