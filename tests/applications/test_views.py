"""The applicant's pages: who may see them, saving sections, conflicts, files, confirmation, submitting."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sciplan.accounts import uscc
from sciplan.applications import services
from sciplan.applications.demo import sample_pdf
from sciplan.applications.models import (
    Application,
    ApplicationVersion,
    Attachment,
    AttachmentKind,
    Member,
    MemberCategory,
)
from sciplan.applications.sections import SECTIONS
from sciplan.applications.workflow import Action, Status, transition
from sciplan.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _urls(application: Application) -> list[str]:
    pk = application.pk
    urls = [
        reverse("applications:detail", args=[pk]),
        reverse("applications:platforms", args=[pk]),
        reverse("applications:members", args=[pk]),
        reverse("applications:attachments", args=[pk]),
        reverse("applications:eligibility", args=[pk]),
        reverse("applications:submit", args=[pk]),
        reverse("applications:withdraw", args=[pk]),
    ]
    urls += [reverse("applications:section", args=[pk, s.code]) for s in SECTIONS]
    return urls


def _version_urls(application: Application) -> list[str]:
    return [
        reverse("applications:version", args=[application.pk, 1]),
        reverse("applications:receipt", args=[application.pk, 1]),
    ]


def _status_codes(client, user, urls: list[str]) -> list[int]:
    client.force_login(user)
    return [client.get(url).status_code for url in urls]


def test_every_page_renders_for_the_owner(client, personas, complete_application):
    urls = _urls(complete_application)

    codes = _status_codes(client, personas.applicant, urls)

    assert codes == [200] * len(urls)


def test_every_page_is_404_for_another_applicant_and_another_county(client, personas, submitted_application):
    urls = _urls(submitted_application) + _version_urls(submitted_application)

    other_applicant = _status_codes(client, personas.applicant_b, urls)
    other_county = _status_codes(client, personas.county_b, urls)

    assert other_applicant == [404] * len(urls)
    assert other_county == [404] * len(urls)


def test_submitted_pages_render_for_the_owner_and_its_own_county(client, personas, submitted_application):
    urls = _urls(submitted_application) + _version_urls(submitted_application)

    owner = _status_codes(client, personas.applicant, urls)
    county = _status_codes(
        client, personas.county, [reverse("applications:detail", args=[submitted_application.pk])]
    )

    assert owner == [200] * len(urls)
    assert county == [200]


def test_draft_is_404_for_its_own_county_before_submission(client, personas, complete_application):
    codes = _status_codes(
        client, personas.county, [reverse("applications:detail", args=[complete_application.pk])]
    )

    assert codes == [404]


def test_pages_redirect_anonymous_visitors_to_login(client, complete_application):
    response = client.get(reverse("applications:detail", args=[complete_application.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- sections ----------------------------------------------------------------------------------------


def _section_url(application: Application, code: str) -> str:
    return reverse("applications:section", args=[application.pk, code])


def test_section_save_keeps_valid_fields_and_reports_invalid_ones(client, personas, complete_application):
    client.force_login(personas.applicant)
    url = _section_url(complete_application, "basic")

    response = client.post(
        url,
        {
            "base_version": complete_application.version,
            "tech_field": "新的技术领域",
            "contact_mobile": "12345",
        },
    )

    application = Application.objects.get(pk=complete_application.pk)
    assert response.status_code == 422
    assert application.tech_field == "新的技术领域"
    assert application.contact_mobile == "13807301234"
    assert "请填写11位手机号码" in response.content.decode()
    assert 'value="12345"' in response.content.decode()


def test_section_autosave_answers_json_with_the_new_version(client, personas, complete_application):
    client.force_login(personas.applicant)
    url = _section_url(complete_application, "lead")
    year = complete_application.call.rd_years[0]

    response = client.post(
        url,
        {"base_version": complete_application.version, "lead_rd_staff": "200", f"rd_{year}": "abc"},
        headers={"X-Autosave": "1"},
    )

    body = response.json()
    assert response.status_code == 200
    assert body["version"] == complete_application.version + 1
    assert body["saved"] == ["lead_rd_staff"]
    assert list(body["errors"]) == [f"rd_{year}"]


def test_section_save_with_a_stale_version_returns_both_texts(client, personas, complete_application):
    base = complete_application.version
    services.save_section(
        complete_application, "basis", {"basis": "同事先保存的内容"}, base_version=base, by=personas.applicant
    )
    client.force_login(personas.applicant)
    url = _section_url(complete_application, "basis")

    as_json = client.post(url, {"base_version": base, "basis": "我写的内容"}, headers={"X-Autosave": "1"})
    as_page = client.post(url, {"base_version": base, "basis": "我写的内容"})

    fields = as_json.json()["fields"]
    assert as_json.status_code == 409
    assert [(f["name"], f["mine"], f["theirs"]) for f in fields] == [
        ("basis", "我写的内容", "同事先保存的内容")
    ]
    assert as_page.status_code == 409
    assert "我写的内容" in as_page.content.decode()
    assert "同事先保存的内容" in as_page.content.decode()
    assert Application.objects.get(pk=complete_application.pk).basis == "同事先保存的内容"


def test_section_keep_mine_saves_on_the_new_version(client, personas, complete_application):
    base = complete_application.version
    saved = services.save_section(
        complete_application, "basis", {"basis": "同事先保存的内容"}, base_version=base, by=personas.applicant
    )
    client.force_login(personas.applicant)

    response = client.post(
        _section_url(complete_application, "basis"),
        {"base_version": base, "keep_mine_version": saved.application.version, "basis": "我写的内容"},
    )

    assert response.status_code == 302
    assert Application.objects.get(pk=complete_application.pk).basis == "我写的内容"


def test_section_ignores_fields_outside_the_form(client, personas, complete_application):
    client.force_login(personas.applicant)

    client.post(
        _section_url(complete_application, "basic"),
        {"base_version": complete_application.version, "status": "recommended", "basis": "x"},
    )

    application = Application.objects.get(pk=complete_application.pk)
    assert (application.status, application.basis) == (Status.DRAFT, complete_application.basis)


def test_section_of_a_submitted_application_is_read_only(client, personas, submitted_application):
    client.force_login(personas.applicant)
    url = _section_url(submitted_application, "basic")

    page = client.get(url)
    save = client.post(url, {"base_version": submitted_application.version, "tech_field": "改"})

    assert 'id="section-form"' not in page.content.decode()
    assert save.status_code == 409
    assert Application.objects.get(pk=submitted_application.pk).tech_field == submitted_application.tech_field


# --- files ---------------------------------------------------------------------------------------------


def _upload(client, application, content: bytes, name: str, kind: str = AttachmentKind.CHARTER):
    handle = io.BytesIO(content)
    handle.name = name
    return client.post(
        reverse("applications:upload", args=[application.pk]),
        {"kind": kind, "form": f"kind-{kind}", "file": handle},
    )


def test_upload_refuses_html_named_pdf_and_says_why(client, personas, complete_application):
    client.force_login(personas.applicant)
    before = Attachment.objects.filter(application=complete_application).count()

    response = _upload(client, complete_application, b"<html><script>alert(1)</script></html>", "章程.pdf")
    page = client.get(reverse("applications:attachments", args=[complete_application.pk]))

    assert response.status_code == 302
    assert Attachment.objects.filter(application=complete_application).count() == before
    assert "只接受PDF、DOCX、JPG、PNG文件" in page.content.decode()


def test_uploaded_pdf_is_downloadable_only_by_its_owner(client, personas, complete_application):
    client.force_login(personas.applicant)
    _upload(client, complete_application, sample_pdf(), "新章程.pdf")
    attachment = Attachment.objects.get(application=complete_application, original_name="新章程.pdf")
    url = reverse("applications:download", args=[attachment.pk])

    owner = client.get(url)
    owner_body = b"".join(owner.streaming_content)
    codes = _status_codes(client, personas.applicant_b, [url]) + _status_codes(
        client, personas.county_b, [url]
    )

    assert owner.status_code == 200
    assert owner_body == sample_pdf()
    assert owner["Content-Disposition"].startswith("attachment;")
    assert codes == [404, 404]
    assert (
        AuditEvent.objects.filter(event_type="attachment.download", object_id=str(attachment.pk)).count() == 1
    )


# --- members ---------------------------------------------------------------------------------------------


def _add_member(client, application) -> str:
    client.post(
        reverse("applications:members", args=[application.pk]),
        {
            "name": "岳阳新材料研究院",
            "uscc": uscc.build("12430600", "44880039"),
            "category": MemberCategory.INSTITUTE,
            "in_yueyang__present": "1",
            "in_yueyang": "on",
            "role": "中试验证",
            "agreement_signed_on": "2023-01-01",
            "agreement_years": "5",
            "cooperation_started_on": "2022-06-01",
        },
    )
    page = client.get(reverse("applications:members", args=[application.pk])).content.decode()
    start = page.index('id="confirm-link"')
    value = page[start:].split('value="', 1)[1].split('"', 1)[0]
    return value.replace("http://testserver", "")


def test_member_confirmation_link_works_once(client, personas, complete_application):
    client.force_login(personas.applicant)
    path = _add_member(client, complete_application)
    client.logout()

    page = client.get(path)
    confirm = client.post(path, {"confirmer_name": "赵研究员"})
    again = client.get(path)

    member = Member.objects.get(application=complete_application, name="岳阳新材料研究院")
    assert page.status_code == 200
    assert "岳阳新材料研究院" in page.content.decode()
    assert confirm.status_code == 200
    assert (member.is_confirmed, member.confirmed_by_name) == (True, "赵研究员")
    assert again.status_code == 404
    assert "确认链接无效或已失效" in again.content.decode()


def test_member_link_is_shown_only_once(client, personas, complete_application):
    client.force_login(personas.applicant)
    _add_member(client, complete_application)

    second_look = client.get(reverse("applications:members", args=[complete_application.pk]))

    assert 'id="confirm-link"' not in second_look.content.decode()


def test_member_confirmation_requires_a_name(client, personas, complete_application):
    client.force_login(personas.applicant)
    path = _add_member(client, complete_application)
    client.logout()

    response = client.post(path, {"confirmer_name": " "})

    assert response.status_code == 422
    assert "请填写确认人姓名" in response.content.decode()
    assert Member.objects.get(name="岳阳新材料研究院").is_confirmed is False


# --- submitting -------------------------------------------------------------------------------------------


def test_submit_twice_through_the_page_gives_one_version(client, personas, complete_application):
    client.force_login(personas.applicant)
    url = reverse("applications:submit", args=[complete_application.pk])

    first = client.post(url, {"idempotency_key": "k-1"})
    second = client.post(url, {"idempotency_key": "k-1"})
    third = client.post(url, {"idempotency_key": "k-2"})

    receipt = reverse("applications:receipt", args=[complete_application.pk, 1])
    assert [first["Location"], second["Location"], third["Location"]] == [receipt, receipt, receipt]
    assert ApplicationVersion.objects.filter(application=complete_application).count() == 1
    assert Application.objects.get(pk=complete_application.pk).status == Status.SUBMITTED


def test_receipt_shows_number_time_version_and_hash(client, personas, submitted_application):
    client.force_login(personas.applicant)
    version = ApplicationVersion.objects.get(application=submitted_application)

    page = client.get(reverse("applications:receipt", args=[submitted_application.pk, 1])).content.decode()

    assert version.receipt_no in page
    assert version.content_hash[:16] in page
    assert "第 1 版" in page


def test_submit_after_the_deadline_shows_the_server_time(client, personas, complete_application):
    from sciplan.calls.models import Call
    from sciplan.core import clock

    Call.objects.filter(pk=complete_application.call_id).update(closes_at=clock.now())
    client.force_login(personas.applicant)

    response = client.post(
        reverse("applications:submit", args=[complete_application.pk]), {"idempotency_key": "late"}
    )

    assert response.status_code == 409
    assert "服务器时间为" in response.content.decode()
    assert ApplicationVersion.objects.filter(application=complete_application).count() == 0


def test_resubmit_after_send_back_creates_version_two(client, personas, submitted_application):
    transition(submitted_application, Action.RETURN, by=personas.county, reason="请补充成员单位合作成效")
    client.force_login(personas.applicant)

    overview = client.get(reverse("applications:detail", args=[submitted_application.pk])).content.decode()
    save = client.post(
        _section_url(submitted_application, "basis"),
        {"base_version": submitted_application.version, "basis": "补充后的建设基础"},
    )
    submit = client.post(
        reverse("applications:submit", args=[submitted_application.pk]), {"idempotency_key": "r"}
    )

    numbers = list(
        ApplicationVersion.objects.filter(application=submitted_application).values_list("number", flat=True)
    )
    assert "请补充成员单位合作成效" in overview
    assert save.status_code == 302
    assert submit["Location"] == reverse("applications:receipt", args=[submitted_application.pk, 2])
    assert numbers == [1, 2]
    first = ApplicationVersion.objects.get(application=submitted_application, number=1)
    assert first.snapshot["fields"]["basis"] == submitted_application.basis


def test_withdraw_through_the_page(client, personas, submitted_application):
    client.force_login(personas.applicant)

    response = client.post(
        reverse("applications:withdraw", args=[submitted_application.pk]), {"reason": "调整"}
    )

    assert response.status_code == 302
    assert Application.objects.get(pk=submitted_application.pk).status == Status.WITHDRAWN


# --- the list ----------------------------------------------------------------------------------------------


def _extra_applications(call, user, count: int) -> None:
    for _ in range(count):
        Application.objects.create(
            call=call,
            lead_unit=user.unit,
            recommender=user.unit.recommender,
            created_by=user,
            direction="测试",
        )


def _list_queries(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("applications:list"))
    assert response.status_code == 200
    return len(queries)


def test_list_query_count_does_not_grow_with_applications(client, personas, call):
    _extra_applications(call, personas.applicant, 1)
    one = _list_queries(client, personas.applicant)
    _extra_applications(call, personas.applicant, 5)

    six = _list_queries(client, personas.applicant)

    assert Application.objects.filter(lead_unit=personas.applicant.unit).count() == 6
    assert six == one


def test_overview_shows_the_pre_check_only_while_the_form_can_change(client, complete_application, personas):
    client.force_login(personas.applicant)
    url = f"/applications/{complete_application.pk}/"
    draft_page = client.get(url).content.decode()
    from sciplan.applications.services import submit_application

    submit_application(complete_application, by=personas.applicant)
    submitted_page = client.get(url).content.decode()

    assert ('id="elig-title"' in draft_page, 'id="elig-title"' in submitted_page) == (True, False)
