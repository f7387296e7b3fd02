"""The applicant's pages for repeatable items (platforms, members), explanations and frozen versions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sciplan.accounts import uscc
from sciplan.applications import services
from sciplan.applications.models import Application, MemberCategory, RdPlatform
from sciplan.applications.workflow import Action, transition
from sciplan.calls.models import PlatformLevel

pytestmark = pytest.mark.django_db


def test_platform_add_edit_delete_through_the_pages(client, personas, complete_application):
    client.force_login(personas.applicant)
    pk = complete_application.pk
    data = {
        "name": "岳阳市聚烯烃工程技术研究中心",
        "level": PlatformLevel.CITY,
        "authority": "岳阳市科技局",
        "year": "2020",
    }

    added = client.post(reverse("applications:platforms", args=[pk]), data)
    platform = RdPlatform.objects.get(application_id=pk, name=data["name"])
    edited = client.post(
        reverse("applications:platform_edit", args=[pk, platform.pk]),
        {**data, "year": "2021", "version": platform.version},
    )
    stale = client.post(
        reverse("applications:platform_edit", args=[pk, platform.pk]),
        {**data, "year": "2019", "version": platform.version},
    )
    deleted = client.post(reverse("applications:platform_delete", args=[pk, platform.pk]))

    assert [added.status_code, edited.status_code, stale.status_code, deleted.status_code] == [
        302,
        302,
        409,
        302,
    ]
    assert "该研发平台已被他人修改" in stale.content.decode()
    assert RdPlatform.objects.filter(pk=platform.pk).exists() is False


def test_platform_with_missing_fields_is_reported_beside_them(client, personas, complete_application):
    client.force_login(personas.applicant)

    response = client.post(
        reverse("applications:platforms", args=[complete_application.pk]), {"name": "只填了名称的平台"}
    )

    page = response.content.decode()
    assert response.status_code == 422
    assert [page.count(m) for m in ("请填写级别。", "请填写认定部门。", "请填写认定年度。")] == [1, 1, 1]
    assert 'value="只填了名称的平台"' in page


def _new_member(application, user):
    return services.add_member(
        application,
        {
            "name": "岳阳新材料研究院",
            "uscc": uscc.build("12430600", "44880039"),
            "category": MemberCategory.INSTITUTE,
            "role": "中试验证",
        },
        by=user,
    )


def test_overview_explains_why_submit_is_refused(client, personas, complete_application):
    _new_member(complete_application, personas.applicant)
    client.force_login(personas.applicant)

    page = client.get(reverse("applications:detail", args=[complete_application.pk])).content.decode()

    assert "暂不能提交" in page
    assert "岳阳新材料研究院：" in page
    assert "尚未在线确认参与" in page


def test_member_edit_with_a_stale_version_keeps_the_typed_text(client, personas, complete_application):
    result = _new_member(complete_application, personas.applicant)
    member = result.member
    services.update_member(
        member, {"role": "同事改过的分工"}, base_version=member.version, by=personas.applicant
    )
    client.force_login(personas.applicant)

    response = client.post(
        reverse("applications:member_edit", args=[complete_application.pk, member.pk]),
        {"version": member.version, "role": "我改的分工"},
    )

    page = response.content.decode()
    assert response.status_code == 409
    assert "该成员单位已被他人修改" in page
    assert "我改的分工" in page


def test_reissued_link_spends_the_old_one(client, personas, complete_application):
    result = _new_member(complete_application, personas.applicant)
    old_path = reverse("applications:confirm", args=[result.confirm_token])
    client.force_login(personas.applicant)

    client.post(reverse("applications:member_link", args=[complete_application.pk, result.member.pk]))
    members_page = client.get(
        reverse("applications:members", args=[complete_application.pk])
    ).content.decode()
    client.logout()

    assert 'id="confirm-link"' in members_page
    assert client.get(old_path).status_code == 404


def test_frozen_version_keeps_its_text_after_a_later_edit(client, personas, submitted_application):
    transition(submitted_application, Action.RETURN, by=personas.county, reason="请修改建设基础")
    application = Application.objects.get(pk=submitted_application.pk)
    services.save_section(
        application,
        "basis",
        {"basis": "退回后修改的建设基础"},
        base_version=application.version,
        by=personas.applicant,
    )
    client.force_login(personas.applicant)

    frozen = client.get(reverse("applications:version", args=[application.pk, 1])).content.decode()

    assert submitted_application.basis in frozen
    assert "退回后修改的建设基础" not in frozen


def test_phone_numbers_are_masked_for_the_county_and_shown_to_the_owner(
    client, personas, submitted_application
):
    url = reverse("applications:section", args=[submitted_application.pk, "basic"])

    client.force_login(personas.county)
    county_page = client.get(url).content.decode()
    client.force_login(personas.applicant)
    owner_page = client.get(url).content.decode()

    assert "138****1234" in county_page
    assert "13807301234" not in county_page
    assert 'value="13807301234"' not in owner_page  # read-only after submission, shown as text
    assert "13807301234" in owner_page
