"""Recognition after the notice: the guard, the unique official name, the letter, the notifications."""

from __future__ import annotations

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from sciplan.applications.models import Application
from sciplan.applications.workflow import Status
from sciplan.core.errors import Conflict, ValidationFailed
from sciplan.core.models import AuditEvent, Notification
from sciplan.recognition import services
from sciplan.recognition.models import Recognition
from tests.factories import application_in_state
from tests.recognition.conftest import at

pytestmark = pytest.mark.django_db


def test_recognize_before_the_notice_ends_is_refused(published, personas):
    _notice, (application,) = published(1)

    with time_machine.travel(at(2024, 10, 9, 17, 59, 59), tick=False), pytest.raises(Conflict) as caught:
        services.recognize(
            application, doc_number="岳科发〔2024〕1号", recognized_on="2024-10-09", by=personas.bureau
        )

    assert caught.value.message == "公示期至2024年10月09日 18:00:00结束，公示结束后方可认定。"
    assert Recognition.objects.count() == 0
    assert Application.objects.get(pk=application.pk).status == Status.IN_PUBLIC_NOTICE


def test_recognize_with_a_pending_objection_is_refused(published, personas):
    notice, (application,) = published(1)
    with time_machine.travel(at(2024, 10, 8, 9, 0), tick=False):
        services.file_objection(
            notice,
            {
                "application": str(application.pk),
                "objector_kind": "person",
                "objector_name": "张三",
                "objector_mobile": "13912345678",
                "content": "请核查该联合体的研发投入数据。",
            },
        )

    with time_machine.travel(at(2024, 10, 10, 9, 0), tick=False), pytest.raises(Conflict) as caught:
        services.recognize(
            application, doc_number="岳科发〔2024〕1号", recognized_on="2024-10-10", by=personas.bureau
        )

    assert caught.value.message == "该联合体尚有未处理的异议，处理完毕后方可认定。"
    refusal = AuditEvent.objects.get(event_type="application.refused", object_id=str(application.pk))
    assert refusal.detail["action"] == "recognize"


def test_recognize_after_the_notice_records_number_date_and_name(recognized):
    (recognition,) = recognized(1)

    assert (
        recognition.official_name,
        recognition.doc_number,
        str(recognition.recognized_on),
        recognition.year,
    ) == (
        "岳阳市高性能聚烯烃新材料创新联合体",
        "岳科发〔2024〕1号",
        "2024-10-16",
        2024,
    )
    assert Application.objects.get(pk=recognition.application_id).status == Status.RECOGNIZED


def test_recognition_notifies_the_applicant_and_the_recommender(recognized, personas):
    recognized(1)

    subjects = sorted(
        Notification.objects.filter(subject__startswith="认定通知").values_list("user__username", flat=True)
    )
    assert subjects == ["applicant", "county"]


def test_a_second_consortium_with_the_same_name_is_refused(published, personas):
    _notice, (first, second) = published(2, directions=["新材料", "新材料"])
    with time_machine.travel(at(2024, 10, 16, 10, 0), tick=False):
        services.recognize(
            first, doc_number="岳科发〔2024〕1号", recognized_on="2024-10-16", by=personas.bureau
        )

        with pytest.raises(ValidationFailed) as caught:
            services.recognize(
                second, doc_number="岳科发〔2024〕2号", recognized_on="2024-10-16", by=personas.bureau
            )
        renamed = services.recognize(
            second,
            doc_number="岳科发〔2024〕2号",
            recognized_on="2024-10-16",
            official_name="岳阳市先进新材料创新联合体",
            by=personas.bureau,
        )

    assert caught.value.field_errors == {
        "official_name": "已有认定的联合体名为“岳阳市新材料创新联合体”，请调整方向/领域表述。"
    }
    assert renamed.official_name == "岳阳市先进新材料创新联合体"


def test_the_database_refuses_a_duplicate_recognised_name(recognized, personas):
    (first,) = recognized(1)
    other = application_in_state(first.call, personas.applicant_b, Status.RECOGNIZED, direction="另一方向")

    with pytest.raises(IntegrityError), transaction.atomic():
        Recognition.objects.create(
            application=other,
            call=first.call,
            official_name=first.official_name,
            doc_number="岳科发〔2024〕99号",
            recognized_on=first.recognized_on,
            year=2024,
            created_by=personas.bureau,
        )


def test_official_name_must_follow_the_naming_rule(published, personas):
    _notice, (application,) = published(1)

    with time_machine.travel(at(2024, 10, 16, 10, 0), tick=False), pytest.raises(ValidationFailed) as caught:
        services.recognize(
            application,
            doc_number="岳科发〔2024〕1号",
            recognized_on="2024-10-16",
            official_name="新材料联盟",
            by=personas.bureau,
        )

    assert list(caught.value.field_errors) == ["official_name"]


def test_recognition_letter_is_a_pdf_for_the_bureau_and_the_lead_unit_only(recognized, personas):
    (recognition,) = recognized(1)
    url = reverse("recognition:letter", args=[recognition.pk])
    statuses = {}
    for name in ("bureau", "applicant", "applicant_b", "county"):
        client = Client()
        client.force_login(personas[name])
        response = client.get(url)
        statuses[name] = response.status_code
        if name == "applicant":
            body = b"".join(response.streaming_content)

    assert statuses == {"bureau": 200, "applicant": 200, "applicant_b": 404, "county": 404}
    assert body[:5] == b"%PDF-"


def test_not_recognized_after_the_notice_needs_a_reason(published, personas):
    _notice, (application,) = published(1)

    with pytest.raises(Exception) as caught:
        services.decline(application, reason="", by=personas.bureau)
    services.decline(application, reason="局务会议研究决定不予认定。", by=personas.bureau)

    assert caught.value.message == "“不予认定”须填写理由。"
    assert Application.objects.get(pk=application.pk).status == Status.NOT_RECOGNIZED


def test_later_calls_find_the_units_recognition_in_force(recognized, personas):
    from sciplan.recognition import queries

    (recognition,) = recognized(1)

    assert queries.active_recognition_of_unit(personas.applicant.unit_id) == recognition
    assert queries.active_recognition_of_unit(personas.applicant_b.unit_id) is None
