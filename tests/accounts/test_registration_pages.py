"""Registration as the unit sees it (a repeated password, a licence scan, a done page that says how long
and how it will be told) and the recommender's review of it: a detail page before the decision, and a
decision that asks once."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from sciplan.accounts.demo import unit_code
from sciplan.accounts.models import Unit, UnitLicence, UnitStatus
from sciplan.calls.models import Recommender
from sciplan.core.models import AuditEvent
from tests.accounts.helpers import licence_scan

pytestmark = pytest.mark.django_db


def _form(**kw) -> dict:
    data = {
        "unit_name": "岳阳注册测试有限公司",
        "uscc": unit_code("MA4L0R11"),
        "recommender": Recommender.objects.get(code="430603").pk,
        "address": "岳阳市云溪区云港路8号",
        "username": "regtest01",
        "name": "刘敏",
        "mobile": "13807305555",
        "email": "liumin@example.cn",
        "password": "Strong-Pass-2024",
        "password2": "Strong-Pass-2024",
        "licence": licence_scan(),
    }
    data.update(kw)
    return data


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_mismatched_passwords_are_said_beside_the_second_field(personas):
    response = Client().post("/accounts/register/", _form(password2="Strong-Pass-2025"))
    page = response.content.decode()

    assert response.status_code == 422
    assert '<p class="error" id="e-password2">两次输入的密码不一致，请重新输入。</p>' in page
    assert 'value="岳阳注册测试有限公司"' in page  # nothing else typed is lost
    assert not Unit.objects.filter(name="岳阳注册测试有限公司").exists()


def test_registration_without_a_licence_is_refused_beside_the_field(personas):
    data = _form()
    del data["licence"]

    response = Client().post("/accounts/register/", data)

    assert response.status_code == 422
    assert 'id="e-licence">请上传营业执照或登记证书的扫描件（PDF、JPG或PNG）。' in response.content.decode()


def test_a_licence_that_is_not_a_scan_is_refused(personas):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile(
        "执照.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf"
    )

    response = Client().post("/accounts/register/", _form(licence=fake))

    assert response.status_code == 422
    assert 'id="e-licence">' in response.content.decode()
    assert UnitLicence.objects.count() == 0


def test_registration_stores_the_licence_and_the_done_page_says_how_long_and_how(personas):
    response = Client().post("/accounts/register/", _form(), follow=True)
    page = response.content.decode()
    unit = Unit.objects.get(name="岳阳注册测试有限公司")

    assert response.redirect_chain == [("/accounts/register/done/", 302)]
    assert [licence.original_name for licence in unit.licences.all()] == ["营业执照.pdf"]
    assert "3 个工作日" in page
    assert "站内通知" in page and "电子邮件" in page


@pytest.fixture
def pending(personas):
    Client().post("/accounts/register/", _form())
    return Unit.objects.get(name="岳阳注册测试有限公司")


def test_review_list_links_to_the_detail_page(pending, personas):
    page = signed_in(personas.county).get("/accounts/units/pending/").content.decode()

    assert f'href="/accounts/units/{pending.pk}/"' in page
    assert "审核通过</button>" not in page  # the decision is taken on the detail page, after reading it


def test_detail_page_shows_contact_address_and_licence(pending, personas):
    response = signed_in(personas.county).get(f"/accounts/units/{pending.pk}/")
    page = response.content.decode()

    assert response.status_code == 200
    for text in ("刘敏", "138****5555", "liumin@example.cn", "岳阳市云溪区云港路8号", "regtest01"):
        assert text in page
    assert f'href="/accounts/units/{pending.pk}/licence/"' in page
    assert AuditEvent.objects.filter(event_type="unit.review_view", object_id=str(pending.pk)).count() == 1


def test_detail_and_licence_are_for_the_region_and_the_bureau_only(pending, personas):
    answers = {
        name: (
            signed_in(personas[name]).get(f"/accounts/units/{pending.pk}/").status_code,
            signed_in(personas[name]).get(f"/accounts/units/{pending.pk}/licence/").status_code,
        )
        for name in ("county", "bureau", "county_b", "park", "finance", "applicant")
    }

    assert answers == {
        "county": (200, 200),
        "bureau": (200, 200),
        "county_b": (404, 404),
        "park": (404, 404),
        "finance": (404, 404),
        "applicant": (404, 404),
    }


def test_the_two_decisions_have_different_colours(pending, personas):
    page = signed_in(personas.county).get(f"/accounts/units/{pending.pk}/").content.decode()
    buttons = re.findall(r'<button class="([^"]+)" type="submit">(审核通过|不通过)</button>', page)

    assert buttons == [("btn", "审核通过"), ("btn btn-danger", "不通过")]
    assert "确认不通过" in page  # only inside the (closed) confirmation, not as a second red button
    assert page.count("data-confirm-open") == 0


def test_approval_without_confirm_changes_nothing_and_asks(pending, personas):
    response = signed_in(personas.county).post(
        f"/accounts/units/{pending.pk}/review/", {"decision": "approve"}
    )
    page = response.content.decode()

    pending.refresh_from_db()
    assert (response.status_code, pending.status) == (200, UnitStatus.PENDING)
    assert "data-confirm-open" in page
    assert "确认“岳阳注册测试有限公司”的注册审核通过？" in page
    assert "将通知：</strong>该单位的单位管理员（刘敏）" in page


def test_rejection_without_confirm_keeps_the_reason_and_asks(pending, personas):
    response = signed_in(personas.county).post(
        f"/accounts/units/{pending.pk}/review/", {"decision": "reject", "reason": "营业执照与单位名称不符"}
    )
    page = response.content.decode()

    pending.refresh_from_db()
    assert pending.status == UnitStatus.PENDING
    assert "营业执照与单位名称不符</textarea>" in page
    assert 'id="confirm-reject"' in page and "data-confirm-open" in page


def test_rejection_without_a_reason_is_said_beside_the_field(pending, personas):
    response = signed_in(personas.county).post(
        f"/accounts/units/{pending.pk}/review/", {"decision": "reject", "reason": "", "confirm": "1"}
    )

    assert response.status_code == 400 or response.status_code == 422
    assert 'id="e-reason">请填写不通过的理由。' in response.content.decode()


def test_confirmed_approval_is_taken(pending, personas):
    response = signed_in(personas.county).post(
        f"/accounts/units/{pending.pk}/review/", {"decision": "approve", "confirm": "1"}
    )

    pending.refresh_from_db()
    assert (response.status_code, pending.status) == (302, UnitStatus.APPROVED)
