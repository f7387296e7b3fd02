"""Publishing the notice, recognising, refusing recognition and deciding an objection ask once: without
``confirm=1`` nothing changes and the page says what will happen and who will be told."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from sciplan.applications.models import Application
from sciplan.applications.workflow import Status
from sciplan.recognition import services
from sciplan.recognition.models import ObjectionOutcome, PublicNotice, Recognition
from tests.recognition.conftest import at
from tests.recognition.test_objections import person

pytestmark = pytest.mark.django_db


def bureau(personas) -> Client:
    client = Client()
    client.force_login(personas.bureau)
    return client


def _opened(page: str) -> str:
    assert page.count("data-confirm-open") == 1
    return page.split("data-confirm-open")[1].split("data-confirm-cancel")[0]


def test_publishing_without_confirm_publishes_nothing_and_keeps_the_dates(call, personas, make_proposed):
    (application,) = make_proposed(1)

    with time_machine.travel(at(2024, 9, 27, 9, 0), tick=False):
        response = bureau(personas).post(
            reverse("recognition:publish", args=[call.pk]), {"starts_on": "2024-09-27", "end_time": "17:30"}
        )
    page = response.content.decode()

    assert response.status_code == 200
    assert PublicNotice.objects.count() == 0
    assert Application.objects.get(pk=application.pk).status == Status.PROPOSED
    opened = _opened(page)
    assert "向社会公开" in opened and "不能撤回" in opened and "确认发布公示" in opened
    assert 'value="17:30"' in page


def test_recognising_without_confirm_recognises_nothing(published, personas):
    _notice, (application,) = published(1)

    with time_machine.travel(at(2024, 10, 16, 10, 0), tick=False):
        response = bureau(personas).post(
            reverse("recognition:recognize", args=[application.pk]),
            {
                "official_name": "岳阳市新材料创新联合体",
                "doc_number": "岳科发〔2024〕9号",
                "recognized_on": "2024-10-16",
            },
        )
    page = response.content.decode()

    assert Recognition.objects.count() == 0
    assert "确认认定" in _opened(page)
    assert 'value="岳科发〔2024〕9号"' in page


def test_declining_without_confirm_keeps_the_reason_and_asks(published, personas):
    _notice, (application,) = published(1)

    response = bureau(personas).post(
        reverse("recognition:decline", args=[application.pk]), {"reason": "成员单位资格不符"}
    )
    page = response.content.decode()

    assert Application.objects.get(pk=application.pk).status == Status.IN_PUBLIC_NOTICE
    assert "确认不予认定" in _opened(page)
    assert 'value="成员单位资格不符"' in page


def test_objection_decision_without_confirm_keeps_it_pending(published, personas):
    notice, (application,) = published(1)
    with time_machine.travel(at(2024, 10, 8, 10, 0), tick=False):
        objection = services.file_objection(notice, person(application))

    response = bureau(personas).post(
        reverse("recognition:objection", args=[objection.pk]),
        {"outcome": "upheld", "investigation": "经核实，合作协议日期不符。"},
    )
    page = response.content.decode()

    objection.refresh_from_db()
    assert objection.outcome == ObjectionOutcome.PENDING
    opened = _opened(page)
    assert "移出拟认定名单" in opened and "确认异议成立" in opened
    assert "经核实，合作协议日期不符。</textarea>" in page


def test_confirmed_objection_decision_is_recorded(published, personas):
    notice, (application,) = published(1)
    with time_machine.travel(at(2024, 10, 8, 10, 0), tick=False):
        objection = services.file_objection(notice, person(application))

    bureau(personas).post(
        reverse("recognition:objection", args=[objection.pk]),
        {"outcome": "not_upheld", "investigation": "经核实，协议日期无误。", "confirm": "1"},
    )

    objection.refresh_from_db()
    assert objection.outcome == ObjectionOutcome.NOT_UPHELD
