"""The dictionaries: services (validation beside the field, codes fixed, deactivate never delete, one
audit record per change with old and new values) and the administrator's pages."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sciplan.calls import dictionaries
from sciplan.calls.dictionaries import INDUSTRIES, RECOMMENDERS
from sciplan.calls.models import Industry, Recommender
from sciplan.core.errors import NotFound, ValidationFailed
from sciplan.core.models import AuditEvent

pytestmark = pytest.mark.django_db

COUNTY = {
    "code": "430700",
    "name": "常德市武陵区",
    "kind": "county",
    "region_code": "430702",
    "needs_finance_cosign": "1",
    "order": "20",
}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _events(prefix: str) -> list[tuple[str, dict]]:
    return [
        (e.event_type, e.detail)
        for e in AuditEvent.objects.filter(event_type__startswith=prefix).order_by("id")
    ]


# ---------------------------------------------------------------- services


def test_create_recommender_records_its_values(personas):
    entry = dictionaries.create_entry(RECOMMENDERS, data=COUNTY, by=personas.admin)

    assert (entry.code, entry.region_code, entry.needs_finance_cosign, entry.active) == (
        "430700",
        "430702",
        True,
        True,
    )
    [(event, detail)] = _events("dictionary.recommender")
    assert event == "dictionary.recommender_created"
    assert detail["old"] is None
    assert detail["new"]["region_code"] == "430702"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"region_code": "43070"}, "region_code", "行政区划代码应为6位数字（GB/T 2260），如430602。"),
        (
            {"region_code": ""},
            "region_code",
            "县市区须填写6位行政区划代码（GB/T 2260），不以00结尾（00结尾的是地级市的代码）。",
        ),
        ({"region_code": "430600"}, "region_code", "以00结尾的是地级市的代码，请填写县市区的6位代码。"),
        ({"region_code": "430602"}, "region_code", "行政区划代码430602已属于另一个县市区。"),
        ({"code": "430602"}, "code", "编码“430602”已被使用，请换一个。"),
        ({"code": "43 07"}, "code", "编码只能由字母、数字和下划线组成，不超过20位。"),
        ({"name": "岳阳楼区"}, "name", "已有名为“岳阳楼区”的推荐单位。"),
        ({"kind": "city"}, "kind", "请选择类型（县市区科技部门或高新园区）。"),
        ({"order": "abc"}, "order", "排序请填写0至9999之间的整数。"),
    ],
)
def test_bad_recommender_input_is_refused_beside_the_field(personas, changes, field, message):
    before = Recommender.objects.count()

    with pytest.raises(ValidationFailed) as refused:
        dictionaries.create_entry(RECOMMENDERS, data={**COUNTY, **changes}, by=personas.admin)

    assert refused.value.field_errors == {field: message}
    assert Recommender.objects.count() == before
    assert _events("dictionary.") == []


def test_park_needs_no_region_code(personas):
    park = dictionaries.create_entry(
        RECOMMENDERS, data={"code": "P20", "name": "岳阳新港园区", "kind": "park"}, by=personas.admin
    )

    assert (park.region_code, park.needs_finance_cosign) == ("", False)


def test_update_keeps_the_code_and_records_only_what_changed(personas):
    industry = Industry.objects.get(code="port_logistics")

    dictionaries.update_entry(
        industry,
        data={"code": "renamed", "group": "3", "name": "港口物流与航运", "order": str(industry.order)},
        by=personas.admin,
    )

    industry.refresh_from_db()
    assert (industry.code, industry.name, industry.pending_confirmation) == (
        "port_logistics",
        "港口物流与航运",
        False,
    )
    assert _events("dictionary.industry") == [
        (
            "dictionary.industry_updated",
            {
                "old": {"name": "港口物流", "pending_confirmation": True},
                "new": {"name": "港口物流与航运", "pending_confirmation": False},
            },
        )
    ]


def test_unchanged_update_records_nothing(personas):
    industry = Industry.objects.get(code="petrochem")
    data = {name: getattr(industry, name) for name in INDUSTRIES.fields}

    dictionaries.update_entry(industry, data=data, by=personas.admin)

    assert _events("dictionary.") == []


def test_industry_group_and_name_are_required(personas):
    with pytest.raises(ValidationFailed) as refused:
        dictionaries.create_entry(INDUSTRIES, data={"code": "hydrogen"}, by=personas.admin)

    assert refused.value.field_errors == {"group": "请选择类别（1、3或X）。", "name": "请填写名称。"}


def test_deactivated_entry_is_kept_and_no_longer_offered(personas, call):
    industry = call.industries.get(code="green")

    dictionaries.set_active(industry, active=False, by=personas.admin)
    dictionaries.set_active(industry, active=False, by=personas.admin)  # already: nothing recorded

    assert Industry.objects.filter(pk=industry.pk).exists()
    assert industry.code not in set(Industry.objects.active().values_list("code", flat=True))
    assert industry.code in set(call.industries.values_list("code", flat=True))  # the call keeps it
    dictionaries.set_active(industry, active=True, by=personas.admin)
    assert [e for e, _ in _events("dictionary.industry")] == [
        "dictionary.industry_deactivated",
        "dictionary.industry_reactivated",
    ]
    assert _events("dictionary.industry")[0][1] == {"old": {"active": True}, "new": {"active": False}}


@pytest.mark.parametrize("persona", ["bureau", "applicant", "county", "finance", "park"])
def test_only_the_administrator_changes_dictionaries(personas, persona):
    industry = Industry.objects.get(code="petrochem")

    with pytest.raises(NotFound):
        dictionaries.set_active(industry, active=False, by=personas[persona])
    with pytest.raises(NotFound):
        dictionaries.create_entry(RECOMMENDERS, data=COUNTY, by=personas[persona])

    assert Industry.objects.get(pk=industry.pk).active is True


# ---------------------------------------------------------------- pages


def test_administrator_creates_edits_and_deactivates_through_the_pages(personas):
    client = signed_in(personas.admin)

    created = client.post(reverse("calls:recommender_new"), COUNTY)
    entry = Recommender.objects.get(code="430700")
    edited = client.post(reverse("calls:recommender_edit", args=[entry.pk]), {**COUNTY, "name": "武陵区"})
    stopped = client.post(reverse("calls:recommender_active", args=[entry.pk]), {"active": "0"})
    listing = client.get(reverse("calls:recommender_list"))

    assert (created.status_code, edited.status_code, stopped.status_code) == (302, 302, 302)
    entry.refresh_from_db()
    assert (entry.name, entry.active) == ("武陵区", False)
    assert "已停用" in listing.content.decode()
    assert [e for e, _ in _events("dictionary.recommender")] == [
        "dictionary.recommender_created",
        "dictionary.recommender_updated",
        "dictionary.recommender_deactivated",
    ]


def test_bad_input_on_the_page_shows_the_message_and_keeps_what_was_typed(personas):
    response = signed_in(personas.admin).post(
        reverse("calls:recommender_new"), {**COUNTY, "region_code": "4307"}
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert "行政区划代码应为6位数字（GB/T 2260），如430602。" in html
    assert 'value="常德市武陵区"' in html
    assert 'value="4307"' in html
    assert not Recommender.objects.filter(code="430700").exists()


def test_index_says_expert_fields_are_the_industries_and_links_the_calendar(personas):
    html = signed_in(personas.admin).get(reverse("calls:dictionaries")).content.decode()

    assert "专家评审领域即上述产业目录（1+3+X），不另设目录" in html
    assert reverse("recognition:calendar") in html
    assert "现代石化（石化新材料）" in html


def test_menu_shows_the_dictionaries_to_the_administrator_only(personas):
    admin_html = signed_in(personas.admin).get(reverse("calls:dictionaries")).content.decode()
    bureau_html = signed_in(personas.bureau).get("/").content.decode()

    link = f'href="{reverse("calls:dictionaries")}"'
    assert (link in admin_html, link in bureau_html) == (True, False)


DICTIONARY_ROUTES = [
    ("GET", "calls:dictionaries", False),
    ("GET", "calls:industry_list", False),
    ("GET", "calls:industry_new", False),
    ("POST", "calls:industry_new", False),
    ("GET", "calls:industry_edit", True),
    ("POST", "calls:industry_edit", True),
    ("POST", "calls:industry_active", True),
    ("GET", "calls:recommender_list", False),
    ("GET", "calls:recommender_new", False),
    ("POST", "calls:recommender_new", False),
    ("GET", "calls:recommender_edit", True),
    ("POST", "calls:recommender_edit", True),
    ("POST", "calls:recommender_active", True),
]


def test_every_dictionary_page_is_404_for_every_other_persona(personas):
    """Permission matrix for the dictionary routes (listed in UNCLASSIFIED of the security suite)."""
    industry = Industry.objects.get(code="petrochem")
    recommender = Recommender.objects.get(code="430603")
    ids = {"industry": industry.pk, "recommender": recommender.pk}
    answers = {}
    for name, persona in personas.items():
        client = signed_in(persona)
        for method, route, with_pk in DICTIONARY_ROUTES:
            args = [ids[route.split(":")[1].split("_")[0]]] if with_pk else []
            url = reverse(route, args=args)
            data = {**COUNTY, "active": "0"}
            response = client.get(url) if method == "GET" else client.post(url, data)
            answers[(name, method, route)] = response.status_code
    expected = {}
    for name in personas:
        for method, route, _ in DICTIONARY_ROUTES:
            if name != "admin":
                expected[(name, method, route)] = 404
    assert {k: v for k, v in answers.items() if k[0] != "admin"} == expected
    assert all(v in (200, 302, 422) for k, v in answers.items() if k[0] == "admin")
    assert (Industry.objects.get(pk=industry.pk).active, Recommender.objects.get(pk=recommender.pk).name) == (
        False,  # only the administrator's post went through
        recommender.name,
    )


def test_missing_entry_is_404_for_the_administrator(personas):
    client = signed_in(personas.admin)

    assert client.get(reverse("calls:industry_edit", args=[987654])).status_code == 404
    assert client.post(reverse("calls:recommender_active", args=[987654]), {"active": "0"}).status_code == 404


@pytest.mark.parametrize("route", ["calls:industry_list", "calls:recommender_list"])
def test_list_query_count_does_not_grow_with_the_rows(personas, route):
    client = signed_in(personas.admin)
    client.get(reverse(route))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse(route))
    for i in range(15):
        Industry.objects.create(code=f"extra{i}", group="X", name=f"新增产业{i}")
        Recommender.objects.create(code=f"P9{i}", name=f"新增园区{i}", kind="park")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse(route))

    assert len(many) == len(few)


def test_forms_for_new_data_offer_active_entries_and_what_the_record_already_names(personas, call):
    stopped = Industry.objects.get(code="green")
    dictionaries.set_active(stopped, active=False, by=personas.admin)
    kept = list(call.industries.values_list("pk", flat=True))

    fresh = set(dictionaries.offered(INDUSTRIES).values_list("code", flat=True))
    existing = set(dictionaries.offered(INDUSTRIES, keep=kept).values_list("code", flat=True))

    assert ("green" in fresh, "green" in existing) == (False, stopped.pk in kept)
    assert dictionaries.newly_chosen_inactive(INDUSTRIES, [stopped.pk]) == ["节能环保"]
    assert dictionaries.newly_chosen_inactive(INDUSTRIES, [stopped.pk], keep=[stopped.pk]) == []


def test_registration_neither_offers_nor_accepts_a_deactivated_recommender(client, dictionaries):
    from sciplan.accounts import services as account_services
    from sciplan.accounts import uscc
    from sciplan.core.errors import DomainError

    gone = Recommender.objects.get(code="430603")
    Recommender.objects.filter(pk=gone.pk).update(active=False)
    page = client.get("/accounts/register/").content.decode()
    data = {
        "unit_name": "岳阳停用推荐单位测试有限公司",
        "uscc": uscc.build("91430600", "MA4L0T09"),
        "recommender": gone.pk,
        "username": "gone_admin",
        "name": "钱进",
        "mobile": "13807309997",
        "password": "Gone-2024-password",
    }

    with pytest.raises(DomainError) as refused:
        account_services.register_unit(data)

    assert f'value="{gone.pk}"' not in page
    assert refused.value.field_errors["recommender"] == "请选择所在县市区或园区。"
