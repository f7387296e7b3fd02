"""The recommenders' deadline of the 2024 call, 2024-08-09 18:00 Asia/Shanghai, to the second, and the
bureau's extension for one recommender (SPEC §3, §6; STANDARDS G35)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from sciplan.applications import actions
from sciplan.applications.models import Application
from sciplan.applications.workflow import Status
from sciplan.calls.models import Extension, Stage
from sciplan.calls.services import grant_extension
from sciplan.core.errors import DomainError, NotFound, ValidationFailed
from sciplan.core.models import AuditEvent
from tests.factories import application_in_state

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def submitted_2024(call_2024, personas):
    with time_machine.travel(at(2024, 7, 10, 9, 0), tick=False):
        return {
            "yunxi": application_in_state(call_2024, personas.applicant, "submitted", direction="云溪新材料"),
            "huarong": application_in_state(
                call_2024, personas.applicant_jiangbei, "submitted", direction="华容食品"
            ),
        }


def test_recommender_acts_at_17_59_59(submitted_2024, personas):
    with time_machine.travel(at(2024, 8, 9, 17, 59, 59, 999000), tick=False):
        actions.perform(submitted_2024["yunxi"], "accept", by=personas.county)

    assert Application.objects.get(pk=submitted_2024["yunxi"].pk).status == Status.ACCEPTED


def test_recommender_refused_at_18_00_00_with_server_time(submitted_2024, personas):
    with time_machine.travel(at(2024, 8, 9, 18, 0, 0), tick=False), pytest.raises(DomainError) as caught:
        actions.perform(submitted_2024["yunxi"], "accept", by=personas.county)

    assert (caught.value.status, caught.value.message) == (
        409,
        "推荐单位推荐已于2024年08月09日 18:00:00截止，服务器时间为2024年08月09日 18:00:00，本次操作未生效。",
    )
    assert Application.objects.get(pk=submitted_2024["yunxi"].pk).status == Status.SUBMITTED


def test_recommender_deadline_is_independent_of_the_applicants(submitted_2024, personas):
    # 2024-08-05: the applicants' window closed the day before; recommenders still work.
    with time_machine.travel(at(2024, 8, 5, 10, 0), tick=False):
        actions.perform(submitted_2024["huarong"], "accept", by=personas.county_b)

    assert Application.objects.get(pk=submitted_2024["huarong"].pk).status == Status.ACCEPTED


def test_extension_lets_exactly_that_recommender_act(submitted_2024, personas, call_2024):
    with time_machine.travel(at(2024, 8, 9, 20, 0), tick=False):
        grant_extension(
            call_2024,
            stage=Stage.RECOMMEND,
            until=at(2024, 8, 12, 18, 0),
            reason="系统故障，云溪区未能按时完成推荐。",
            by=personas.bureau,
            recommender=personas.county.recommender,
        )
    with time_machine.travel(at(2024, 8, 10, 9, 0), tick=False):
        actions.perform(submitted_2024["yunxi"], "accept", by=personas.county)
        with pytest.raises(DomainError) as other:
            actions.perform(submitted_2024["huarong"], "accept", by=personas.county_b)
    with time_machine.travel(at(2024, 8, 12, 18, 0), tick=False), pytest.raises(DomainError) as late:
        actions.perform(
            Application.objects.get(pk=submitted_2024["yunxi"].pk), "decline", by=personas.county, reason="迟"
        )

    assert Application.objects.get(pk=submitted_2024["yunxi"].pk).status == Status.ACCEPTED
    assert Application.objects.get(pk=submitted_2024["huarong"].pk).status == Status.SUBMITTED
    assert other.value.status == 409
    assert late.value.message.startswith("推荐单位推荐已于2024年08月12日 18:00:00截止")
    assert AuditEvent.objects.filter(event_type="call.extension_grant").count() == 1


def test_extension_needs_a_reason_and_a_later_time(call_2024, personas):
    with pytest.raises(ValidationFailed) as caught:
        grant_extension(
            call_2024,
            stage=Stage.RECOMMEND,
            until=at(2024, 8, 9, 12, 0),
            reason=" ",
            by=personas.bureau,
            recommender=personas.county.recommender,
        )

    assert caught.value.field_errors == {
        "reason": "请填写延期理由。",
        "until": "延期截止时间须晚于原截止时间2024年08月09日 18:00:00。",
    }
    assert Extension.objects.count() == 0


def test_extension_for_the_apply_stage_needs_a_unit(call_2024, personas):
    with pytest.raises(ValidationFailed) as caught:
        grant_extension(
            call_2024,
            stage=Stage.APPLY,
            until=at(2024, 8, 6, 18, 0),
            reason="单位断网",
            by=personas.bureau,
            recommender=personas.county.recommender,
        )

    assert caught.value.field_errors == {"unit": "网上申报环节的延期须指定一家申报单位。"}


@pytest.mark.parametrize("name", ["county", "finance", "applicant"])
def test_extension_by_anyone_but_the_bureau_is_not_found(call_2024, personas, name):
    with pytest.raises(NotFound):
        grant_extension(
            call_2024,
            stage=Stage.RECOMMEND,
            until=at(2024, 8, 12, 18, 0),
            reason="自行延期",
            by=personas[name],
            recommender=personas.county.recommender,
        )


def test_worklist_countdown_shows_the_recommenders_own_extension(submitted_2024, personas, call_2024, web_as):
    grant_extension(
        call_2024,
        stage=Stage.RECOMMEND,
        until=at(2024, 8, 12, 18, 0),
        reason="延期",
        by=personas.bureau,
        recommender=personas.county.recommender,
    )
    with time_machine.travel(at(2024, 8, 9, 17, 0), tick=False):
        own = web_as("county").get(f"/recommend/worklist/?call={call_2024.pk}").content.decode()
        other = web_as("county_b").get(f"/recommend/worklist/?call={call_2024.pk}").content.decode()

    assert "2024年08月12日 18:00:00" in own
    assert "剩余3天1小时0分" in own
    assert "2024年08月09日 18:00:00" in other
    assert "剩余1小时0分0秒" in other


@pytest.mark.parametrize(
    ("name", "expected"), [("bureau", 200), ("county", 404), ("finance", 404), ("applicant", 404)]
)
def test_extension_page_is_for_the_bureau_only(call_2024, personas, web_as, name, expected):
    assert web_as(name).get("/calls/extensions/").status_code == expected


def test_extension_page_grants_and_lists(call_2024, personas, web_as):
    client = web_as("bureau")

    bad = client.post(
        "/calls/extensions/",
        {
            "call": call_2024.pk,
            "stage": "recommend",
            "recommender": "",
            "until": "2024-08-12T18:00:00",
            "reason": "",
        },
    )
    good = client.post(
        "/calls/extensions/",
        {
            "call": call_2024.pk,
            "stage": "recommend",
            "recommender": personas.county.recommender_id,
            "until": "2024-08-12T18:00:00",
            "reason": "系统故障顺延",
        },
    )
    listing = client.get("/calls/extensions/").content.decode()

    assert bad.status_code == 422
    assert "推荐环节的延期须指定一个推荐单位。" in bad.content.decode()
    assert "请填写延期理由。" in bad.content.decode()
    assert good.status_code == 302
    assert Extension.objects.get().until == at(2024, 8, 12, 18, 0)
    assert "系统故障顺延" in listing
