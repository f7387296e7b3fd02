"""Accept, send back, recommend with a rank, decline, and the finance co-signature (SPEC §6, §7)."""

from __future__ import annotations

import pytest

from sciplan.applications import actions
from sciplan.applications.models import Application, ApplicationVersion, StatusEvent
from sciplan.applications.services import save_section, submit_application
from sciplan.applications.workflow import Status
from sciplan.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from sciplan.core.models import AuditEvent
from sciplan.recommendations.models import Recommendation
from sciplan.recommendations.queries import recommendation_for
from tests.factories import application_in_state
from tests.recommendations.conftest import record_clean_credit

pytestmark = pytest.mark.django_db


def status_of(application) -> str:
    return Application.objects.get(pk=application.pk).status


def ranks(call, recommender) -> list[tuple[str, int]]:
    return list(
        Recommendation.objects.filter(call=call, recommender=recommender)
        .order_by("rank")
        .values_list("application__direction", "rank")
    )


@pytest.fixture
def park_accepted(call, personas):
    """Three accepted applications in the park (no finance co-signature), credit checked."""
    apps = []
    for user, direction in (
        (personas.applicant_b, "智能装备"),
        (personas.applicant_gangcheng, "智慧物流"),
    ):
        application = application_in_state(call, user, "accepted", direction=direction)
        record_clean_credit(application, personas.park)
        apps.append(application)
    return apps


def test_accept_moves_submitted_to_accepted_with_one_event(two_counties, personas):
    application = two_counties["yunxi"]

    actions.perform(application, "accept", by=personas.county)

    assert status_of(application) == Status.ACCEPTED
    assert list(StatusEvent.objects.filter(application=application).values_list("action", flat=True)) == [
        "submit",
        "accept",
    ]


def test_recommend_in_a_park_needs_no_finance(park_accepted, personas, call):
    first = park_accepted[0]

    actions.perform(first, "recommend", by=personas.park, payload={"opinion": "同意推荐。", "rank": "1"})

    rec = recommendation_for(first)
    assert status_of(first) == Status.RECOMMENDED
    assert (rec.opinion, rec.rank, rec.recommended_by, rec.finance_confirmed_at) == (
        "同意推荐。",
        1,
        personas.park,
        None,
    )


def test_recommend_with_rank_one_moves_the_others_down(park_accepted, personas, call):
    first, second = park_accepted
    actions.perform(first, "recommend", by=personas.park, payload={"opinion": "推荐一", "rank": ""})
    actions.perform(second, "recommend", by=personas.park, payload={"opinion": "推荐二", "rank": 1})

    assert ranks(call, personas.park.recommender) == [("智慧物流", 1), ("智能装备", 2)]


def test_recommend_rank_past_the_end_is_placed_last(park_accepted, personas, call):
    first, second = park_accepted
    actions.perform(first, "recommend", by=personas.park, payload={"opinion": "推荐一", "rank": 1})
    actions.perform(second, "recommend", by=personas.park, payload={"opinion": "推荐二", "rank": 9})

    assert ranks(call, personas.park.recommender) == [("智能装备", 1), ("智慧物流", 2)]


def test_recommend_without_opinion_is_refused_beside_the_field(park_accepted, personas):
    with pytest.raises(ValidationFailed) as caught:
        actions.perform(
            park_accepted[0], "recommend", by=personas.park, payload={"opinion": " ", "rank": "x"}
        )

    assert caught.value.field_errors == {
        "opinion": "请填写推荐意见。",
        "rank": "推荐排序应为正整数，如 1、2、3。",
    }
    assert status_of(park_accepted[0]) == Status.ACCEPTED


def test_move_rank_renumbers_without_gaps(park_accepted, personas, call):
    from sciplan.recommendations.services import move_rank

    first, second = park_accepted
    actions.perform(first, "recommend", by=personas.park, payload={"opinion": "一", "rank": 1})
    actions.perform(second, "recommend", by=personas.park, payload={"opinion": "二", "rank": 2})

    move_rank(Application.objects.get(pk=second.pk), rank=1, by=personas.park)

    assert ranks(call, personas.park.recommender) == [("智慧物流", 1), ("智能装备", 2)]


def test_county_recommend_waits_for_finance_then_confirm_takes_effect(two_counties, personas):
    application = two_counties["yunxi"]
    actions.perform(application, "accept", by=personas.county)
    record_clean_credit(application, personas.county)

    actions.perform(
        application, "recommend", by=personas.county, payload={"opinion": "同意推荐。", "rank": 1}
    )
    waiting = status_of(application)
    actions.perform(Application.objects.get(pk=application.pk), "finance_confirm", by=personas.finance)

    rec = recommendation_for(application)
    assert (waiting, Status(waiting).label) == (Status.AWAITING_FINANCE, "待财政部门确认")
    assert status_of(application) == Status.RECOMMENDED
    assert rec.finance_confirmed_by == personas.finance
    assert rec.finance_confirmed_at is not None


def test_county_recommender_cannot_confirm_for_finance(two_counties, personas):
    application = two_counties["yunxi"]
    actions.perform(application, "accept", by=personas.county)
    record_clean_credit(application, personas.county)
    actions.perform(application, "recommend", by=personas.county, payload={"opinion": "同意。"})

    with pytest.raises(DomainError) as caught:
        actions.perform(Application.objects.get(pk=application.pk), "finance_confirm", by=personas.county)

    assert (caught.value.status, caught.value.message) == (403, "您的角色不能执行“财政部门确认推荐”。")
    assert status_of(application) == Status.AWAITING_FINANCE


def test_other_county_finance_gets_not_found(two_counties, personas):
    application = two_counties["yunxi"]
    actions.perform(application, "accept", by=personas.county)
    record_clean_credit(application, personas.county)
    actions.perform(application, "recommend", by=personas.county, payload={"opinion": "同意。"})

    with pytest.raises(NotFound):
        actions.perform(Application.objects.get(pk=application.pk), "finance_confirm", by=personas.finance_b)


def test_finance_refusal_returns_to_accepted_and_closes_the_rank_gap(call, personas):
    apps = [
        application_in_state(call, personas.applicant, "accepted", direction="甲方向"),
        application_in_state(call, personas.applicant_xinghu, "accepted", direction="乙方向"),
    ]
    for index, application in enumerate(apps, start=1):
        record_clean_credit(application, personas.county)
        actions.perform(
            application, "recommend", by=personas.county, payload={"opinion": "同意。", "rank": index}
        )

    with pytest.raises(DomainError) as missing_reason:
        actions.perform(Application.objects.get(pk=apps[0].pk), "finance_refuse", by=personas.finance)
    actions.perform(
        Application.objects.get(pk=apps[0].pk),
        "finance_refuse",
        by=personas.finance,
        reason="配套资金未落实。",
    )

    assert missing_reason.value.field_errors == {"reason": "“财政部门不同意推荐”须填写理由。"}
    assert status_of(apps[0]) == Status.ACCEPTED
    assert recommendation_for(apps[0]) is None
    assert ranks(call, personas.county.recommender) == [("乙方向", 1)]
    assert StatusEvent.objects.filter(application=apps[0]).last().reason == "配套资金未落实。"


def test_credit_guard_refuses_recommend_until_all_three_are_recorded(call, personas):
    application = application_in_state(call, personas.applicant_b, "accepted")

    with pytest.raises(Conflict) as caught:
        actions.perform(application, "recommend", by=personas.park, payload={"opinion": "同意。"})

    assert caught.value.message == (
        "推荐前须完成信用核查：尚未记录“信用中国”“中国执行信息公开网”“国家企业信用信息公示系统”的查询结果。"
    )
    assert (
        AuditEvent.objects.filter(event_type="application.refused", object_id=str(application.pk)).count()
        == 1
    )


def test_credit_guard_with_a_bad_record_points_to_decline(call, personas):
    application = application_in_state(call, personas.applicant_b, "accepted")
    record_clean_credit(application, personas.park, bad="zxgk")

    with pytest.raises(Conflict) as caught:
        actions.perform(application, "recommend", by=personas.park, payload={"opinion": "同意。"})
    actions.perform(application, "decline", by=personas.park, reason="牵头单位被列为失信被执行人。")

    assert caught.value.message == (
        "经查询，牵头单位在“中国执行信息公开网”存在不良记录，不能推荐；请选择“不予推荐”并填写理由。"
    )
    assert status_of(application) == Status.NOT_RECOMMENDED


def test_credit_check_with_a_future_date_is_refused_beside_the_field(call, personas):
    from datetime import timedelta

    from sciplan.core import clock
    from sciplan.recommendations.services import record_credit_checks

    application = application_in_state(call, personas.applicant_b, "accepted")
    tomorrow = clock.local(clock.now()).date() + timedelta(days=1)

    with pytest.raises(ValidationFailed) as caught:
        record_credit_checks(
            application,
            {"creditchina": {"result": "clean", "checked_on": tomorrow.isoformat()}, "gsxt": {"result": ""}},
            by=personas.park,
        )

    assert caught.value.field_errors == {"creditchina_checked_on": "查询日期不能晚于今天。"}


def test_decline_requires_a_reason(call, personas):
    application = application_in_state(call, personas.applicant_b, "accepted")

    with pytest.raises(DomainError) as caught:
        actions.perform(application, "decline", by=personas.park, reason="  ")

    assert caught.value.field_errors == {"reason": "“不予推荐”须填写理由。"}
    assert status_of(application) == Status.ACCEPTED


def test_send_back_edit_resubmit_keeps_both_versions_and_the_reason(two_counties, personas, web_as):
    application = two_counties["yunxi"]
    actions.perform(application, "return", by=personas.county, reason="请补充本地配套计划的量化指标。")
    returned = Application.objects.get(pk=application.pk)
    save_section(
        returned,
        "plan",
        {"local_support": "三年内本地配套率提升至60%。"},
        base_version=returned.version,
        by=personas.applicant,
    )
    submit_application(Application.objects.get(pk=application.pk), by=personas.applicant)

    versions = ApplicationVersion.objects.filter(application=application).order_by("number")
    client = web_as("county")
    first = client.get(f"/recommend/applications/{application.pk}/?version=1")
    second = client.get(f"/recommend/applications/{application.pk}/?version=2")
    events = StatusEvent.objects.filter(application=application).order_by("at", "id")

    assert [v.snapshot["fields"]["local_support"] for v in versions] == [
        "三年内本地配套率由30%提升至50%。",
        "三年内本地配套率提升至60%。",
    ]
    assert (first.status_code, second.status_code) == (200, 200)
    assert "三年内本地配套率由30%提升至50%。" in first.content.decode()
    assert "三年内本地配套率提升至60%。" in second.content.decode()
    assert "请补充本地配套计划的量化指标。" in second.content.decode()
    assert [(e.action, e.reason) for e in events] == [
        ("submit", ""),
        ("return", "请补充本地配套计划的量化指标。"),
        ("submit", ""),
    ]


def test_finance_cannot_recommend_whatever_the_opinion(call, personas):
    application = application_in_state(call, personas.applicant, "accepted")

    with pytest.raises(DomainError) as caught:
        actions.perform(application, "recommend", by=personas.finance, payload={"opinion": ""})

    assert (caught.value.status, caught.value.message) == (403, "您的角色不能执行“推荐”。")
    assert status_of(application) == Status.ACCEPTED
