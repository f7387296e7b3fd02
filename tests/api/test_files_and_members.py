from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sciplan.accounts import uscc
from sciplan.applications.demo import sample_pdf
from sciplan.applications.models import Attachment, Member
from sciplan.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _file(content: bytes, name: str, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_upload_html_named_pdf_is_422(complete_application, api_as):
    before = Attachment.objects.count()

    response = api_as("applicant").upload(
        f"/applications/{complete_application.pk}/attachments",
        {"kind": "other", "file": _file(b"<html><script>alert(1)</script></html>", "报告.pdf")},
    )

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["file"]
    assert Attachment.objects.count() == before


def test_upload_real_pdf_is_201_and_downloadable_only_by_owner(complete_application, api_as):
    content = sample_pdf()
    owner = api_as("applicant")

    created = owner.upload(
        f"/applications/{complete_application.pk}/attachments",
        {"kind": "other", "file": _file(content, "../../其他 材料.pdf")},
    )
    path = f"/applications/{complete_application.pk}/attachments/{created.json()['id']}"
    download = owner.get(path)
    stranger = api_as("applicant_b").get(path)

    assert created.status_code == 201
    assert (created.json()["content_kind"], created.json()["original_name"]) == ("pdf", "其他 材料.pdf")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert download["Content-Disposition"] == (
        "attachment; filename*=UTF-8''%E5%85%B6%E4%BB%96%20%E6%9D%90%E6%96%99.pdf"
    )
    assert download["X-Content-Type-Options"] == "nosniff"
    assert stranger.status_code == 404
    assert AuditEvent.objects.filter(event_type="attachment.download").count() == 1


def test_attachment_of_other_application_is_404_under_wrong_path(
    complete_application, call, personas, api_as
):
    from sciplan.applications.demo import build_complete_application

    theirs = build_complete_application(call, personas.applicant_b, direction="智能装备")
    attachment = theirs.attachments.first()

    response = api_as("applicant").get(f"/applications/{complete_application.pk}/attachments/{attachment.pk}")

    assert response.status_code == 404


def test_attachment_delete_removes_it(complete_application, api_as):
    attachment = complete_application.attachments.get(kind="charter")

    response = api_as("applicant").delete(
        f"/applications/{complete_application.pk}/attachments/{attachment.pk}"
    )

    assert response.status_code == 204
    assert Attachment.objects.filter(pk=attachment.pk).exists() is False


def test_member_create_returns_one_time_token_that_confirms(complete_application, api_as, anonymous):
    created = api_as("applicant").post(
        f"/applications/{complete_application.pk}/members",
        {
            "name": "湖南大学",
            "uscc": uscc.build("12100000", "44488506"),
            "category": "university",
            "role": "联合攻关",
        },
    )
    token = created.json()["confirm_token"]

    confirmed = anonymous.post("/members/confirm", {"token": token, "confirmer_name": "张教授"})
    again = anonymous.post("/members/confirm", {"token": token, "confirmer_name": "张教授"})

    assert created.status_code == 201, created.content
    assert confirmed.status_code == 200
    assert confirmed.json()["member_name"] == "湖南大学"
    assert again.status_code == 404
    assert Member.objects.get(pk=created.json()["id"]).confirmed_by_name == "张教授"


def test_member_link_reissue_gives_a_new_token_and_ends_the_old_one(complete_application, api_as, anonymous):
    applicant = api_as("applicant")
    created = applicant.post(
        f"/applications/{complete_application.pk}/members",
        {
            "name": "湖南大学",
            "uscc": uscc.build("12100000", "44488506"),
            "category": "university",
            "role": "联合攻关",
        },
    )
    member_id = created.json()["id"]

    reissued = applicant.post(f"/applications/{complete_application.pk}/members/{member_id}/confirm-token")
    old = anonymous.post(
        "/members/confirm", {"token": created.json()["confirm_token"], "confirmer_name": "张教授"}
    )
    new = anonymous.post(
        "/members/confirm", {"token": reissued.json()["confirm_token"], "confirmer_name": "张教授"}
    )
    other = api_as("applicant_b").post(
        f"/applications/{complete_application.pk}/members/{member_id}/confirm-token"
    )

    assert reissued.status_code == 200, reissued.content
    assert (old.status_code, new.status_code, other.status_code) == (404, 200, 404)


def test_member_create_with_bad_fields_is_422_in_chinese(complete_application, api_as):
    response = api_as("applicant").post(
        f"/applications/{complete_application.pk}/members",
        {"name": "某单位", "uscc": "123", "category": "university", "role": "x", "contact_mobile": "110"},
    )

    assert response.status_code == 422
    assert sorted(response.json()["errors"]) == ["contact_mobile", "uscc"]


def test_member_update_with_stale_version_is_409_with_current(complete_application, api_as):
    member = complete_application.members.first()
    client = api_as("applicant")
    client.patch(f"/applications/{complete_application.pk}/members/{member.pk}", {"version": 1, "role": "甲"})

    response = client.patch(
        f"/applications/{complete_application.pk}/members/{member.pk}", {"version": 1, "role": "乙"}
    )

    assert response.status_code == 409
    assert response.json()["current"]["version"] == 2
    assert response.json()["current"]["fields"]["role"] == "甲"


def test_member_update_of_confirmed_field_asks_for_new_confirmation(complete_application, api_as):
    member = complete_application.members.first()

    response = api_as("applicant").patch(
        f"/applications/{complete_application.pk}/members/{member.pk}", {"version": 1, "agreement_years": 6}
    )

    assert response.status_code == 200
    assert (response.json()["confirmed"], response.json()["agreement_years"]) == (False, 6)
    assert len(response.json()["confirm_token"]) > 20


def test_member_delete(complete_application, api_as):
    member = complete_application.members.first()

    response = api_as("applicant").delete(f"/applications/{complete_application.pk}/members/{member.pk}")

    assert response.status_code == 204
    assert complete_application.members.count() == 2


def test_member_confirm_with_unknown_token_is_404(anonymous, db):
    response = anonymous.post("/members/confirm", {"token": "no-such-token", "confirmer_name": "张三"})

    assert response.status_code == 404


def test_upload_without_file_or_with_unknown_kind_is_422_per_field(complete_application, api_as):
    response = api_as("applicant").upload(
        f"/applications/{complete_application.pk}/attachments", {"kind": "x"}
    )

    assert response.status_code == 422
    assert response.json()["errors"] == {"kind": "请从允许的选项中选择。", "file": "此项为必填项。"}


def test_attachment_download_answers_a_media_type_the_schema_declares(complete_application, api_as):
    """Found by fuzzing: the schema said ``application/octet-stream``, the answer is the file's type."""
    from django.test import Client

    schema = Client().get("/api/v1/openapi.json").json()
    path = "/api/v1/applications/{application_id}/attachments/{attachment_id}"
    declared = schema["paths"][path]["get"]["responses"]["200"]["content"]
    attachment = complete_application.attachments.get(kind="charter")

    download = api_as("applicant").get(f"/applications/{complete_application.pk}/attachments/{attachment.pk}")

    assert (download.status_code, download["Content-Type"]) == (200, "application/pdf")
    assert download["Content-Type"] in declared
