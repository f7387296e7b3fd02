"""Public pages and anonymous endpoints: no login, no personal data, query counts that do not grow."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.recognition.conftest import at

pytestmark = pytest.mark.django_db

MOBILE = re.compile(r"(?<!\d)(?:\+?86)?1[3-9]\d{9}(?!\d)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
ID_NUMBER = re.compile(r"(?<![\dA-Z])\d{17}[\dXx](?![\dA-Z])")


def personal_data(text: str) -> list[str]:
    return MOBILE.findall(text) + EMAIL.findall(text) + ID_NUMBER.findall(text)


def count_queries(url: str) -> int:
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_public_pages_and_endpoints_carry_no_contact_or_personal_data(recognized, published, personas):
    (recognition,) = recognized(1)
    notice, (application,) = published(1, directions=["智能装备"])
    client = Client()
    with time_machine.travel(at(2024, 10, 8, 10, 0), tick=False):
        client.post(
            reverse("recognition:objection_new", args=[notice.pk]),
            {
                "application": application.pk,
                "objector_kind": "person",
                "objector_name": "张三",
                "objector_mobile": "13912345678",
                "content": "请核查该联合体的成员单位合作情况。",
            },
        )
        pages = [
            reverse("recognition:notices"),
            reverse("recognition:notice", args=[notice.pk]),
            reverse("recognition:objection_new", args=[notice.pk]),
            reverse("recognition:objection_done", args=[notice.pk]),
            reverse("recognition:objection_lookup"),
            reverse("recognition:register"),
            reverse("recognition:register_detail", args=[recognition.pk]),
            "/api/v1/public-notices",
            "/api/v1/recognized",
        ]
        found = {url: personal_data(client.get(url).content.decode()) for url in pages}

    assert found == {url: [] for url in pages}


def test_public_notice_shows_lead_unit_industry_members_and_end_time(published):
    notice, (application,) = published(1)

    with time_machine.travel(at(2024, 10, 8, 10, 0), tick=False):
        html = Client().get(reverse("recognition:notice", args=[notice.pk])).content.decode()

    assert "岳阳市高性能聚烯烃新材料创新联合体" in html
    assert application.lead_unit.name in html
    assert application.industry.name in html
    assert all(m.name in html for m in application.members.all())
    assert "2024年10月09日 18:00" in html


def test_public_notice_list_query_count_does_not_grow(published):
    published(1)
    with time_machine.travel(at(2024, 10, 8, 10, 0), tick=False):
        one = count_queries(reverse("recognition:notices"))
    published(2, directions=["智能装备", "生物医药"])
    with time_machine.travel(at(2024, 10, 8, 10, 0), tick=False):
        many = count_queries(reverse("recognition:notices"))

    assert many == one


def test_public_notice_detail_query_count_does_not_grow(published, make_proposed, call, personas):
    notice_one, _ = published(1)
    with time_machine.travel(at(2024, 10, 8, 10, 0), tick=False):
        one = count_queries(reverse("recognition:notice", args=[notice_one.pk]))
    notice_many, _ = published(3, directions=["智能装备", "生物医药", "绿色食品"])
    with time_machine.travel(at(2024, 10, 8, 10, 0), tick=False):
        many = count_queries(reverse("recognition:notice", args=[notice_many.pk]))

    assert many == one


@pytest.mark.parametrize("url", ["/recognized/", "/api/v1/recognized", "/api/v1/public-notices"])
def test_register_and_public_endpoints_query_count_does_not_grow(recognized, url):
    recognized(1)
    one = count_queries(url)
    recognized(3)
    many = count_queries(url)

    assert many == one


def test_bureau_call_page_query_count_does_not_grow(recognized, call, personas):
    client = Client()
    client.force_login(personas.bureau)
    recognized(1)
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("recognition:call", args=[call.pk])).status_code == 200
    recognized(3)
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("recognition:call", args=[call.pk])).status_code == 200

    assert len(many) == len(one)


def test_bureau_pages_are_404_for_other_roles_and_a_login_redirect_for_anonymous(call, personas):
    urls = [
        reverse("recognition:bureau"),
        reverse("recognition:call", args=[call.pk]),
        reverse("recognition:calendar"),
    ]
    seen = {}
    for name in ("applicant", "county", "expert") if "expert" in personas else ("applicant", "county"):
        client = Client()
        client.force_login(personas[name])
        seen[name] = [client.get(u).status_code for u in urls]
    anonymous = [Client().get(u).status_code for u in urls]

    assert seen == {name: [404, 404, 404] for name in seen}
    assert anonymous == [302, 302, 302]
