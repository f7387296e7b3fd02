"""Another city is configuration: with the authority set to 株洲市 no public page names 岳阳."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from sciplan.calls.models import Call, CallState, Industry, IndustryGroup, Recommender, RecommenderKind
from sciplan.core import authority, clock

ZHUZHOU = {
    "city": "株洲市",
    "region_code": "4302",
    "bureau": "",
    "division": "高新技术科",
    "address": "株洲市天元区神农大道1号",
    "phone": "0731-28680000",
    "system_name": "",
    "guideline": "",
}

pytestmark = pytest.mark.django_db


@pytest.fixture
def zhuzhou_call() -> Call:
    """A published call of the other city, with its own recommender and industry (no Yueyang data)."""
    now = clock.now()
    call = Call.objects.create(
        title="2026年度株洲市创新联合体申报",
        state=CallState.PUBLISHED,
        year=2026,
        notice="株洲市科学技术局关于组织申报创新联合体的通知。",
        opens_at=now - timedelta(days=3),
        closes_at=now + timedelta(days=20),
        recommend_deadline=now + timedelta(days=25),
        paper_deadline=clock.local(now).date() + timedelta(days=30),
        paper_address="株洲市天元区神农大道1号",
        rd_threshold=Decimal("800.00"),
        rd_first_year=2023,
        contact="株洲市科学技术局高新技术科 0731-28680000",
    )
    call.industries.set(
        [Industry.objects.create(code="zz01", group=IndustryGroup.choices[0][0], name="轨道交通")]
    )
    call.recommenders.set(
        [Recommender.objects.create(code="430211", name="天元区科技局", kind=RecommenderKind.choices[0][0])]
    )
    return call


@override_settings(SCIPLAN_AUTHORITY=ZHUZHOU)
def test_public_pages_name_the_configured_city_and_never_yueyang(zhuzhou_call):
    client = Client()
    urls = [
        reverse("core:home"),
        reverse("calls:list"),
        reverse("calls:detail", args=[zhuzhou_call.pk]),
        reverse("recognition:notices"),
        reverse("recognition:register"),
        reverse("documents:verify"),
    ]
    pages = {url: client.get(url) for url in urls}

    assert {url: response.status_code for url, response in pages.items()} == dict.fromkeys(urls, 200)
    text = {url: response.content.decode() for url, response in pages.items()}
    assert [url for url in urls if "岳阳" in text[url]] == []
    assert [url for url in urls if "株洲市科学技术局" not in text[url]] == []


@override_settings(SCIPLAN_AUTHORITY=ZHUZHOU, SITE_URL="https://kj.zhuzhou.example")
def test_authority_fills_bureau_system_name_and_naming_rule_from_the_city():
    issuer = authority.current()

    assert (issuer.bureau, issuer.system_name, issuer.consortium_name("轨道交通")) == (
        "株洲市科学技术局",
        "株洲市科技计划管理系统",
        "株洲市轨道交通创新联合体",
    )
    assert issuer.url("/verify/") == "https://kj.zhuzhou.example/verify/"
