"""The home page's call cards and a call's public page are cached, and never show a change late.

Every visitor who is not bureau staff sees the same rows, so they are read once and kept until the call,
its industries or an industry's name change (issue: public pages at 2.5× the sign-in page's CPU).
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sciplan.calls.models import CallState, Industry
from sciplan.calls.services import CallAction, copy_call, transition_call

pytestmark = pytest.mark.django_db


def _queries(client: Client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries), response.content.decode()


def _without_csrf(page: str) -> str:
    return re.sub(r'"X-CSRFToken": "[^"]+"|name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def test_home_and_call_page_read_the_database_once_for_anonymous_visitors(call):
    client = Client()
    detail = reverse("calls:detail", args=[call.pk])
    for url in (reverse("core:home"), detail):
        first, page = _queries(client, url)
        again, page_again = _queries(client, url)
        assert first > 0
        assert again == 0
        assert _without_csrf(page_again) == _without_csrf(page)


def test_a_published_call_shows_on_the_home_page_at_once(call, personas):
    client = Client()
    assert call.title in client.get(reverse("core:home")).content.decode()
    draft = copy_call(call, year=call.year, by=personas.bureau)
    draft.title = "2024年度岳阳市创新联合体第二批申报"
    draft.save(update_fields=["title"])
    assert draft.title not in client.get(reverse("core:home")).content.decode()

    transition_call(draft, CallAction.PUBLISH, by=personas.bureau)

    assert draft.title in client.get(reverse("core:home")).content.decode()


def test_an_edited_call_and_a_renamed_industry_show_on_the_call_page_at_once(call):
    client = Client()
    detail = reverse("calls:detail", args=[call.pk])
    industry = call.industries.first()
    assert industry.name in client.get(detail).content.decode()

    call.contact = "0730-8880000"
    call.save(update_fields=["contact"])
    assert "0730-8880000" in client.get(detail).content.decode()

    industry.name = "高端石化新材料"
    industry.save(update_fields=["name"])
    assert "高端石化新材料" in client.get(detail).content.decode()

    extra = Industry.objects.exclude(pk__in=call.industries.values("pk")).first()
    if extra is not None:
        call.industries.add(extra)
        assert extra.name in client.get(detail).content.decode()


def test_a_draft_is_never_served_from_the_cache_to_anyone_but_the_bureau(call, personas):
    draft = copy_call(call, year=call.year, by=personas.bureau)
    bureau = Client()
    bureau.force_login(personas.bureau)
    detail = reverse("calls:detail", args=[draft.pk])

    assert bureau.get(detail).status_code == 200
    assert Client().get(detail).status_code == 404
    applicant = Client()
    applicant.force_login(personas.applicant)
    assert applicant.get(detail).status_code == 404

    transition_call(draft, CallAction.PUBLISH, by=personas.bureau)
    assert Client().get(detail).status_code == 200
    draft.refresh_from_db()
    assert draft.state == CallState.PUBLISHED
