"""The bureau's and the consortium's pages: one service call each, messages beside the fields."""

from __future__ import annotations

import io

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sciplan.applications.demo import sample_pdf
from sciplan.applications.models import Application
from sciplan.applications.workflow import Status
from sciplan.recognition import assessment as assessment_services
from sciplan.recognition.models import Assessment, Recognition
from tests.factories import application_in_state
from tests.recognition.conftest import at

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_propose_form_with_errors_keeps_what_was_typed(call, personas, ranking_guard):
    application = application_in_state(call, personas.applicant, Status.UNDER_REVIEW)
    ranking_guard(call, [application])

    response = signed_in(personas.bureau).post(
        reverse("recognition:propose", args=[call.pk]),
        {"meeting_date": "2024-09-20", "attendees": "李娜、王强", "minutes": "会议纪要正文"},
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert "请至少选择一个拟认定的联合体。" in html
    assert 'value="李娜、王强"' in html
    assert "会议纪要正文</textarea>" in html


def test_propose_form_is_closed_with_a_reason_before_the_ranking_is_confirmed(call, personas):
    application_in_state(call, personas.applicant, Status.UNDER_REVIEW)

    html = signed_in(personas.bureau).get(reverse("recognition:call", args=[call.pk])).content.decode()

    assert "评审排名尚未确认，暂不能确定拟认定名单。" in html
    assert f'href="{reverse("review:ranking")}?call={call.pk}"' in html
    assert 'name="applications"' not in html and "列入拟认定名单</button>" not in html


def test_propose_form_with_errors_keeps_the_ticked_boxes(call, personas, ranking_guard):
    first = application_in_state(call, personas.applicant, Status.UNDER_REVIEW)
    second = application_in_state(call, personas.applicant_b, Status.UNDER_REVIEW, direction="智能装备")
    ranking_guard(call, [first, second])

    response = signed_in(personas.bureau).post(
        reverse("recognition:propose", args=[call.pk]), {"applications": [second.pk], "attendees": "李娜"}
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert f'value="{second.pk}" checked' in html
    assert f'value="{first.pk}">' in html


def test_propose_and_publish_through_the_pages(call, personas, ranking_guard):
    application = application_in_state(call, personas.applicant, Status.UNDER_REVIEW)
    ranking_guard(call, [application])
    client = signed_in(personas.bureau)
    minutes = io.BytesIO(sample_pdf())
    minutes.name = "会议纪要.pdf"

    proposed = client.post(
        reverse("recognition:propose", args=[call.pk]),
        {
            "applications": [application.pk],
            "meeting_date": "2024-09-20",
            "attendees": "李娜",
            "minutes_file": minutes,
        },
    )
    with time_machine.travel(at(2024, 9, 27, 9, 0), tick=False):
        published = client.post(
            reverse("recognition:publish", args=[call.pk]),
            {"starts_on": "2024-09-27", "end_time": "17:30", "confirm": "1"},
        )

    assert (proposed.status_code, published.status_code) == (302, 302)
    assert Application.objects.get(pk=application.pk).status == Status.IN_PUBLIC_NOTICE
    assert call.notices.get().ends_at == at(2024, 10, 9, 17, 30)


def test_recognize_page_shows_the_duplicate_name_beside_the_field(published, personas):
    _notice, (first, second) = published(2, directions=["新材料", "新材料"])
    client = signed_in(personas.bureau)
    with time_machine.travel(at(2024, 10, 16, 10, 0), tick=False):
        client.post(
            reverse("recognition:recognize", args=[first.pk]),
            {
                "official_name": "岳阳市新材料创新联合体",
                "doc_number": "岳科发〔2024〕1号",
                "recognized_on": "2024-10-16",
                "confirm": "1",
            },
        )
        response = client.post(
            reverse("recognition:recognize", args=[second.pk]),
            {
                "official_name": "岳阳市新材料创新联合体",
                "doc_number": "岳科发〔2024〕2号",
                "recognized_on": "2024-10-16",
                "confirm": "1",
            },
        )

    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="e-official_name">已有认定的联合体名为“岳阳市新材料创新联合体”' in html
    assert 'value="岳科发〔2024〕2号"' in html
    assert Recognition.objects.count() == 1


def test_applicant_submits_the_assessment_through_the_page(recognized, personas):
    (recognition,) = recognized(1)
    report = io.BytesIO(sample_pdf())
    report.name = "年度报告.pdf"

    with time_machine.travel(at(2025, 3, 3, 10, 0), tick=False):
        response = signed_in(personas.applicant).post(
            reverse("recognition:assessment_new", args=[recognition.pk]),
            {
                "year": "2024",
                "progress": "完成中试",
                "results_transferred": "转化2项",
                "local_share": "40",
                "mechanism": "季度议事",
                "attachments": [report],
            },
        )
    other = signed_in(personas.applicant_b).get(reverse("recognition:assessment_new", args=[recognition.pk]))

    assert response.status_code == 302
    assert Assessment.objects.get().attachments.count() == 1
    assert other.status_code == 404


def test_assessment_list_query_count_does_not_grow(recognized, personas):
    recognitions = recognized(4)
    client = signed_in(personas.bureau)

    def submit(recognition):
        user = personas[
            next(
                n
                for n in ("applicant", "applicant_b", "applicant_xinghu", "applicant_jiangbei")
                if personas[n].unit_id == recognition.application.lead_unit_id
            )
        ]
        with time_machine.travel(at(2025, 3, 3, 10, 0), tick=False):
            assessment_services.submit_assessment(
                recognition,
                year=2024,
                data={"progress": "甲", "results_transferred": "乙", "local_share": "10", "mechanism": "丙"},
                by=user,
            )

    submit(recognitions[0])
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("recognition:assessments"))
    for recognition in recognitions[1:]:
        submit(recognition)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("recognition:assessments"))

    assert len(many) == len(one)
