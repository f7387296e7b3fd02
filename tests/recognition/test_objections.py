"""Objections: real name and mobile, or unit and USCC; anonymous, malformed and late ones refused."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from sciplan.applications.models import Application, StatusEvent
from sciplan.applications.workflow import Status
from sciplan.core.errors import DeadlinePassed, ValidationFailed
from sciplan.recognition import services
from sciplan.recognition.models import Objection, ObjectionOutcome
from tests.recognition.conftest import at

pytestmark = pytest.mark.django_db


def person(application, **kw) -> dict:
    data = {
        "application": str(application.pk),
        "objector_kind": "person",
        "objector_name": "张三",
        "objector_mobile": "13912345678",
        "content": "该联合体成员单位合作协议签订日期与实际不符，请核查。",
    }
    data.update(kw)
    return data


def test_objection_one_second_before_the_end_is_accepted(published):
    notice, (application,) = published(1)

    with time_machine.travel(at(2024, 10, 9, 17, 59, 59), tick=False):
        objection = services.file_objection(notice, person(application))

    assert objection.objector_mobile == "13912345678"
    assert objection.outcome == ObjectionOutcome.PENDING


def test_objection_at_the_end_second_is_refused_as_late(published):
    notice, (application,) = published(1)

    with time_machine.travel(at(2024, 10, 9, 18, 0, 0), tick=False), pytest.raises(DeadlinePassed) as caught:
        services.file_objection(notice, person(application))

    assert (
        caught.value.message
        == "公示已于2024年10月09日 18:00:00结束，服务器时间为2024年10月09日 18:00:00，逾期异议不予受理。"
    )
    assert Objection.objects.count() == 0


def test_anonymous_objection_is_refused(published):
    notice, (application,) = published(1)

    with time_machine.travel(at(2024, 10, 8, 10, 0), tick=False), pytest.raises(ValidationFailed) as caught:
        services.file_objection(
            notice, person(application, objector_kind="", objector_name="", objector_mobile="")
        )

    assert list(caught.value.field_errors) == ["objector_kind"]
    assert Objection.objects.count() == 0


def test_objection_with_a_malformed_mobile_or_uscc_is_refused(published):
    notice, (application,) = published(1)

    with time_machine.travel(at(2024, 10, 8, 10, 0), tick=False):
        with pytest.raises(ValidationFailed) as by_person:
            services.file_objection(notice, person(application, objector_mobile="1234567"))
        with pytest.raises(ValidationFailed) as by_unit:
            services.file_objection(
                notice,
                person(
                    application,
                    objector_kind="unit",
                    unit_name="岳阳某某科技有限公司",
                    unit_uscc="91430600MA4L0H01XX",
                ),
            )

    assert list(by_person.value.field_errors) == ["objector_mobile"]
    assert list(by_unit.value.field_errors) == ["unit_uscc"]
    assert Objection.objects.count() == 0


def test_objection_by_a_unit_with_a_valid_uscc_is_accepted(published, personas):
    notice, (application,) = published(1)
    uscc = personas.applicant_b.unit.uscc

    with time_machine.travel(at(2024, 10, 8, 10, 0), tick=False):
        objection = services.file_objection(
            notice,
            person(application, objector_kind="unit", unit_name="岳阳智联装备制造有限公司", unit_uscc=uscc),
        )

    assert (objection.objector_kind, objection.unit_uscc) == ("unit", uscc)


def test_refused_objection_form_keeps_the_text_and_shows_the_message_beside_the_field(published):
    notice, (application,) = published(1)
    client = Client()

    with time_machine.travel(at(2024, 10, 8, 10, 0), tick=False):
        response = client.post(
            reverse("recognition:objection_new", args=[notice.pk]),
            person(application, objector_mobile="12345"),
        )

    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="e-objector_mobile">请填写11位手机号码' in html
    assert "该联合体成员单位合作协议签订日期与实际不符，请核查。" in html
    assert 'value="张三"' in html


def test_late_objection_form_tells_the_server_time(published):
    notice, (application,) = published(1)

    with time_machine.travel(at(2024, 10, 9, 18, 0, 1), tick=False):
        response = Client().post(reverse("recognition:objection_new", args=[notice.pk]), person(application))

    assert response.status_code == 422
    assert "服务器时间为2024年10月09日 18:00:01，逾期异议不予受理。" in response.content.decode()


def test_upheld_objection_removes_the_consortium_from_the_proposal(published, personas):
    notice, (kept, removed) = published(2)
    with time_machine.travel(at(2024, 10, 8, 10, 0), tick=False):
        objection = services.file_objection(notice, person(removed))

    services.resolve_objection(
        objection, outcome=ObjectionOutcome.UPHELD, investigation="经核实，协议日期不符。", by=personas.bureau
    )

    statuses = dict(Application.objects.filter(pk__in=[kept.pk, removed.pk]).values_list("pk", "status"))
    assert statuses == {kept.pk: Status.IN_PUBLIC_NOTICE, removed.pk: Status.NOT_RECOGNIZED}
    event = StatusEvent.objects.get(application=removed, action="uphold_objection")
    assert event.reason == f"异议成立（{objection.receipt_no}）：经核实，协议日期不符。"


def test_objection_not_upheld_keeps_the_consortium_and_cannot_be_resolved_twice(published, personas):
    from sciplan.core.errors import Conflict

    notice, (application,) = published(1)
    with time_machine.travel(at(2024, 10, 8, 10, 0), tick=False):
        objection = services.file_objection(notice, person(application))
    services.resolve_objection(
        objection, outcome="not_upheld", investigation="经核实，材料真实。", by=personas.bureau
    )

    with pytest.raises(Conflict):
        services.resolve_objection(objection, outcome="upheld", investigation="再次处理", by=personas.bureau)

    assert Application.objects.get(pk=application.pk).status == Status.IN_PUBLIC_NOTICE


def test_objector_identity_is_for_bureau_staff_only(published, personas):
    notice, (application,) = published(1)
    with time_machine.travel(at(2024, 10, 8, 10, 0), tick=False):
        objection = services.file_objection(notice, person(application))
    url = reverse("recognition:objection", args=[objection.pk])
    statuses = {}
    for name in ("applicant", "county", "finance", "admin"):
        client = Client()
        client.force_login(personas[name])
        statuses[name] = client.get(url).status_code
    bureau = Client()
    bureau.force_login(personas.bureau)
    page = bureau.get(url).content.decode()

    assert statuses == {"applicant": 404, "county": 404, "finance": 404, "admin": 404}
    assert "张三" in page
    assert "139****5678" in page
    assert "13912345678" not in page


def test_bureau_reveals_the_objectors_mobile_with_one_audited_click(published, personas):
    from sciplan.core.models import AuditEvent

    notice, (application,) = published(1)
    with time_machine.travel(at(2024, 10, 8, 10, 0), tick=False):
        objection = services.file_objection(notice, person(application))
    body = {"model": "recognition.objection", "pk": objection.pk, "field": "objector_mobile"}
    bureau = Client()
    bureau.force_login(personas.bureau)

    revealed = bureau.post(reverse("accounts:unmask"), body)

    assert revealed.json() == {"value": "13912345678"}
    assert AuditEvent.objects.filter(event_type="pii.unmask", object_id=str(objection.pk)).count() == 1


def test_objections_from_one_source_are_limited_per_hour(published):
    from sciplan.recognition.services import OBJECTIONS_PER_SOURCE_PER_HOUR, TooManyObjections

    notice, (application,) = published(1)
    with time_machine.travel(at(2024, 10, 8, 10, 0), tick=False):
        for _ in range(OBJECTIONS_PER_SOURCE_PER_HOUR):
            services.file_objection(notice, person(application), ip="203.0.113.7")
        with pytest.raises(TooManyObjections) as caught:
            services.file_objection(notice, person(application), ip="203.0.113.7")
        other_source = services.file_objection(notice, person(application), ip="203.0.113.8")

    assert caught.value.status == 429
    assert other_source.ip == "203.0.113.8"
    assert Objection.objects.count() == OBJECTIONS_PER_SOURCE_PER_HOUR + 1


def test_bureau_list_shows_the_objector_masked(published, personas, call):
    notice, (application,) = published(1)
    with time_machine.travel(at(2024, 10, 8, 10, 0), tick=False):
        services.file_objection(notice, person(application))
    client = Client()
    client.force_login(personas.bureau)

    html = client.get(reverse("recognition:call", args=[call.pk])).content.decode()

    assert "张* 139****5678" in html
    assert "13912345678" not in html


def test_objection_page_after_the_end_says_the_notice_is_over(published):
    notice, _ = published(1)

    with time_machine.travel(at(2024, 10, 10, 9, 0), tick=False):
        html = Client().get(reverse("recognition:objection_new", args=[notice.pk])).content.decode()

    assert "本公示已于2024年10月09日 18:00结束，不再受理异议。" in html
    assert '<form method="post" novalidate' not in html
