"""A public objection is filed once however often its form is sent (post/redirect/get, a token per form),
and its objector can look up how it stands with the 受理编号 and the phone number, nothing more."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from sciplan.recognition import services
from sciplan.recognition.models import Objection, ObjectionOutcome
from tests.recognition.conftest import at
from tests.recognition.test_objections import person

pytestmark = pytest.mark.django_db

DURING = at(2024, 10, 8, 10, 0)


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def _token(client: Client, notice) -> str:
    page = client.get(reverse("recognition:objection_new", args=[notice.pk])).content.decode()
    return re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)


def test_filing_redirects_and_a_reload_files_nothing_new(published):
    notice, (application,) = published(1)
    client = Client()

    with time_machine.travel(DURING, tick=False):
        token = _token(client, notice)
        posted = client.post(
            reverse("recognition:objection_new", args=[notice.pk]),
            {**person(application), "idempotency_key": token},
        )
        shown = client.get(posted["Location"])
        reloaded = client.get(posted["Location"])

    objection = Objection.objects.get()
    assert posted.status_code == 302
    assert posted["Location"] == reverse("recognition:objection_done", args=[notice.pk])
    assert objection.receipt_no in shown.content.decode()
    assert objection.receipt_no in reloaded.content.decode()
    assert Objection.objects.count() == 1


def test_sending_the_same_form_again_returns_the_first_objection(published):
    notice, (application,) = published(1)
    client = Client()

    with time_machine.travel(DURING, tick=False):
        token = _token(client, notice)
        url = reverse("recognition:objection_new", args=[notice.pk])
        first = client.post(url, {**person(application), "idempotency_key": token}, follow=True)
        again = client.post(url, {**person(application), "idempotency_key": token}, follow=True)

    receipt = Objection.objects.get().receipt_no
    assert Objection.objects.count() == 1
    assert receipt in first.content.decode() and receipt in again.content.decode()


def test_two_forms_are_two_objections(published):
    notice, (application,) = published(1)

    with time_machine.travel(DURING, tick=False):
        services.file_objection(notice, person(application), idempotency_key="form-a")
        services.file_objection(notice, person(application), idempotency_key="form-b")
        services.file_objection(notice, person(application), idempotency_key="form-a")

    assert Objection.objects.count() == 2


def test_every_form_carries_a_new_token(published):
    notice, _ = published(1)
    client = Client()

    with time_machine.travel(DURING, tick=False):
        tokens = {_token(client, notice) for _ in range(3)}

    assert len(tokens) == 3


def test_done_page_of_another_browser_shows_nothing(published):
    notice, (application,) = published(1)
    with time_machine.travel(DURING, tick=False):
        Client().post(reverse("recognition:objection_new", args=[notice.pk]), person(application))
        other = Client().get(reverse("recognition:objection_done", args=[notice.pk]))

    assert (other.status_code, other["Location"]) == (302, reverse("recognition:notice", args=[notice.pk]))


def _lookup(client: Client, receipt: str, contact: str):
    return client.post(reverse("recognition:objection_lookup"), {"receipt_no": receipt, "contact": contact})


def test_lookup_with_receipt_and_phone_shows_the_status_only(published, personas):
    notice, (application,) = published(1)
    with time_machine.travel(DURING, tick=False):
        objection = services.file_objection(notice, person(application))
    services.resolve_objection(
        objection,
        outcome=ObjectionOutcome.NOT_UPHELD,
        investigation="经核实，协议日期无误。",
        by=personas.bureau,
    )

    response = _lookup(Client(), objection.receipt_no.lower(), "139 1234 5678")
    page = response.content.decode()

    assert response.status_code == 200
    assert "已处理：异议不成立" in page
    assert application.consortium_name in page
    for private in ("经核实，协议日期无误。", "张三", "13912345678", "该联合体成员单位合作协议"):
        assert private not in page


def test_lookup_with_a_wrong_phone_says_the_same_as_an_unknown_receipt(published):
    notice, (application,) = published(1)
    with time_machine.travel(DURING, tick=False):
        objection = services.file_objection(notice, person(application))
    client = Client()

    wrong_phone = _lookup(client, objection.receipt_no, "13900000000").content.decode()
    unknown = _lookup(client, "YY20241008DEADBEEF", "13912345678").content.decode()

    message = "未查到与该受理编号和手机号码（或信用代码）相符的异议，请核对后重试。"
    assert message in wrong_phone and message in unknown
    assert "调查核实中" not in wrong_phone


def test_unit_objection_is_looked_up_by_its_credit_code(published):
    from sciplan.accounts.demo import unit_code

    notice, (application,) = published(1)
    code = unit_code("MA4L0Q55")
    with time_machine.travel(DURING, tick=False):
        objection = services.file_objection(
            notice,
            person(application, objector_kind="unit", unit_name="岳阳异议测试有限公司", unit_uscc=code),
        )

    page = _lookup(Client(), objection.receipt_no, code.lower()).content.decode()

    assert "调查核实中" in page


def test_lookup_asks_for_both_fields_beside_them():
    response = _lookup(Client(), "", "")
    page = response.content.decode()

    assert response.status_code == 422
    assert 'id="e-receipt_no">请填写受理编号' in page
    assert 'id="e-contact">请填写提交异议时填写的手机号码' in page


def test_lookup_is_rate_limited(published, settings):
    client = Client()
    answers = [_lookup(client, "YY20241008DEADBEEF", "13912345678").status_code for _ in range(11)]

    assert answers == [422] * 10 + [429]
