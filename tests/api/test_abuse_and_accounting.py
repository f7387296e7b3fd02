"""Abuse and accounting through the API: registration shares the web form's rate limit, the writes of
applicants and recommenders are audited with the client's address, an uploaded name cannot pose as
another file type."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from sciplan.accounts import uscc
from sciplan.applications.demo import sample_pdf
from sciplan.core.models import AuditEvent
from sciplan.core.ratelimit import matching_rule
from sciplan.core.storage import stored_name
from tests.api.conftest import ApiClient, sign_in
from tests.api.test_recommender_parity import TODAY, _credit

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.7"


class FromAddress(ApiClient):
    """An API client whose requests come from ``ADDRESS``."""

    def __init__(self, token: str | None = None):
        super().__init__(token)
        self.client = Client(REMOTE_ADDR=ADDRESS)


def _as(username: str) -> FromAddress:
    return FromAddress(sign_in(username).token)


def test_unit_register_has_the_registration_forms_limit():
    web = matching_rule("accounts:register", "POST")
    api = matching_rule("api:unit_register", "POST")

    assert api is not None
    assert api == web
    assert (api.limit, api.window, api.key) == (10, 3600, "ip")


def test_unit_register_and_the_web_form_share_one_budget_per_address(personas):
    web = Client(REMOTE_ADDR=ADDRESS)
    pages = [web.post("/accounts/register/", {}).status_code for _ in range(5)]
    api = [FromAddress().post("/units", {}).status_code for _ in range(5)]
    limited = FromAddress().post("/units", {})
    elsewhere = ApiClient().post("/units", {})

    assert 429 not in pages + api
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 3600
    assert elsewhere.status_code == 422


def _ips(event_type: str, *, since: int = 0) -> list[str | None]:
    """The addresses of the events of ``event_type`` after the event with id ``since``."""
    events = AuditEvent.objects.filter(event_type=event_type, pk__gt=since).order_by("pk")
    return list(events.values_list("ip", flat=True))


def _last_event() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_application_create_is_audited_with_the_address(call, personas):
    response = _as(personas.applicant_b.username).post("/applications", {"call_id": call.pk})

    assert response.status_code == 201, response.content
    assert _ips("application.create") == [ADDRESS]


def test_attachment_upload_and_delete_are_audited_with_the_address(complete_application, personas):
    client = _as(personas.applicant.username)
    path = f"/applications/{complete_application.pk}/attachments"
    since = _last_event()

    created = client.upload(path, {"kind": "other", "file": SimpleUploadedFile("其他.pdf", sample_pdf())})
    deleted = client.delete(f"{path}/{created.json()['id']}")

    assert (created.status_code, deleted.status_code) == (201, 204)
    assert (_ips("attachment.upload", since=since), _ips("attachment.delete", since=since)) == (
        [ADDRESS],
        [ADDRESS],
    )


def test_member_writes_are_audited_with_the_address(complete_application, personas):
    client = _as(personas.applicant.username)
    path = f"/applications/{complete_application.pk}/members"
    since = _last_event()
    created = client.post(
        path,
        {
            "name": "湖南大学",
            "uscc": uscc.build("12100000", "44488506"),
            "category": "university",
            "role": "联合攻关",
        },
    )
    member = created.json()
    updated = client.patch(f"{path}/{member['id']}", {"version": member["version"], "role": "中试验证"})
    confirmed = FromAddress().post(
        "/members/confirm",
        {"token": updated.json()["confirm_token"] or member["confirm_token"], "confirmer_name": "张教授"},
    )
    deleted = client.delete(f"{path}/{member['id']}")

    assert [r.status_code for r in (created, updated, confirmed, deleted)] == [201, 200, 200, 204]
    assert {
        t: _ips(t, since=since) for t in ("member.create", "member.update", "member.confirm", "member.delete")
    } == {
        "member.create": [ADDRESS],
        "member.update": [ADDRESS],
        "member.confirm": [ADDRESS],
        "member.delete": [ADDRESS],
    }
    assert AuditEvent.objects.get(event_type="member.update").detail["fields"] == ["role"]


def test_credit_check_is_audited_with_the_address(submitted_application, personas):
    client = _as(personas.county.username)
    pk = submitted_application.pk
    since = _last_event()

    client.post(f"/applications/{pk}/transitions", {"action": "accept"})
    response = client.put(f"/applications/{pk}/credit-checks", _credit(TODAY()))

    assert response.status_code == 200, response.content
    assert _ips("recommendation.credit_check", since=since) == [ADDRESS]


def test_agreement_named_with_a_double_extension_keeps_only_the_real_type(complete_application, api_as):
    member = complete_application.members.first()

    response = api_as("applicant").upload(
        f"/applications/{complete_application.pk}/attachments",
        {"kind": "agreement", "member_id": member.pk, "file": SimpleUploadedFile("x.pdf.exe", sample_pdf())},
    )

    assert response.status_code == 201, response.content
    assert response.json()["original_name"] == "x.pdf"


@pytest.mark.parametrize(
    ("offered", "kind", "kept"),
    [
        ("x.pdf.exe", "pdf", "x.pdf"),
        ("合作协议.PDF.Exe ", "pdf", "合作协议.pdf"),
        ("证书.jpg.html", "jpeg", "证书.jpg"),
        ("scan.exe", "png", "scan.png"),
        ("平台证书", "pdf", "平台证书.pdf"),
        ("2024.06 合作协议.pdf", "pdf", "2024.06 合作协议.pdf"),
        ("方案v1.2.docx", "docx", "方案v1.2.docx"),
        ("../../a.xlsx.bat", "xlsx", "a.xlsx"),
        (".exe", "pdf", "file.pdf"),
    ],
)
def test_stored_name_keeps_only_the_sniffed_types_extension(offered, kind, kept):
    assert stored_name(offered, kind=kind) == kept
