"""STANDARDS E23, E25 (PIPL): phone and ID numbers are masked for roles without the right — in every
page, export and API answer — unmasking needs the right and is audited; logs and audit details never
hold passwords, session keys, full phone or ID numbers."""

from __future__ import annotations

import io
import json
import logging
import zipfile

import pytest
from django.test import Client

from sciplan.accounts.demo import DEMO_PASSWORD
from sciplan.api.auth import issue_token
from sciplan.applications.workflow import Status
from sciplan.core import masking
from sciplan.core.models import AuditEvent
from sciplan.core.scrubbing import mask_personal, scrub
from tests.accounts.helpers import licence_scan
from tests.security.routes import all_routes, url_for
from tests.security.test_permission_matrix import _args, _classify, _objects

pytestmark = pytest.mark.django_db


def test_masks_look_like_138_stars_1234():
    assert masking.mask_phone("13807301234") == "138****1234"
    assert masking.mask_phone("+86 138 0730 1234") == "138****1234"
    assert masking.mask_id_number("430602199001011234") == "430***********1234"
    assert (
        mask_personal("电话13807301234，身份证430602199001011234。")
        == "电话138****1234，身份证430***********1234。"
    )
    assert mask_personal("订单号 202408041800001234567") == "订单号 202408041800001234567"  # not a phone


def test_scrub_drops_secrets_and_escapes_control_characters():
    cleaned = scrub(
        {"password": "Demo-2024-pass", "sessionid": "abc", "note": "a\x1b[31mb\r\nc", "otp": "123456"}
    )

    assert cleaned == {"password": "***", "sessionid": "***", "note": "a\\x1b[31mb\\x0d\\x0ac", "otp": "***"}


def _bodies(response) -> str:
    """The text a user receives, including the cells of an XLSX/DOCX export."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "".join(
                archive.read(n).decode("utf-8", "replace") for n in archive.namelist() if n.endswith(".xml")
            )
    return content.decode("utf-8", "replace")


PHONES = ("13807301234", "13907305678")  # the demo application's contact and liaison mobiles
# The official forms carry the signed contact lines in full (each download audited); the bureau also has
# the right to its exports. Everything else an official receives is masked.
FULL_FOR_OFFICIALS = {
    "documents:application_docx",
    "documents:application_pdf",
    "documents:plan_docx",
    "documents:plan_pdf",
    "documents:receipt_pdf",
    "api:document_download",
}


def test_no_page_export_or_api_answer_shows_a_full_phone_to_officials_without_the_right(call, personas):
    from tests.factories import application_in_state

    application = application_in_state(call, personas.applicant, Status.SUBMITTED)
    objs = _objects(application)
    leaks = []
    masked_seen = False
    for name in ("county", "finance", "county_b", "admin"):
        web = Client()
        web.force_login(personas[name])
        raw, _ = issue_token(personas[name])
        api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        for route in all_routes():
            kind = _classify(route)
            if "GET" not in route.methods or kind is None:
                continue
            response = (api if route.api else web).get(url_for(route, _args(route, objs, missing=False)))
            if response.status_code != 200:
                continue
            if route.name in FULL_FOR_OFFICIALS:
                continue
            text = _bodies(response)
            leaks += [f"{name} {route.name}: {p}" for p in PHONES if p in text]
            if name == "county" and route.name == "api:application_get":
                masked_seen = "138****1234" in text

    assert leaks == []
    assert masked_seen is True


def test_bureau_sees_full_numbers_and_every_such_view_is_audited(call, personas):
    from tests.factories import application_in_state

    application = application_in_state(call, personas.applicant, Status.SUBMITTED)
    objs = _objects(application)
    web = Client(REMOTE_ADDR="10.8.8.8")
    web.force_login(personas.bureau)
    raw, _ = issue_token(personas.bureau)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", REMOTE_ADDR="10.8.8.8")
    unaudited = []
    full_views = 0
    for route in all_routes():
        if "GET" not in route.methods or _classify(route) is None or route.name in FULL_FOR_OFFICIALS:
            continue
        before = AuditEvent.objects.filter(event_type="pii.view").count()
        response = (api if route.api else web).get(url_for(route, _args(route, objs, missing=False)))
        if (
            response.status_code != 200
            or response.streaming
            or not any(p in response.content.decode("utf-8", "replace") for p in PHONES)
        ):
            continue
        full_views += 1
        if AuditEvent.objects.filter(event_type="pii.view").count() != before + 1:
            unaudited.append(route.name)

    assert unaudited == []
    assert full_views >= 1
    event = AuditEvent.objects.filter(event_type="pii.view").latest("id")
    assert (event.actor_id, event.ip) == (personas.bureau.pk, "10.8.8.8")


def test_owner_sees_their_own_phone_numbers(call, personas):
    from tests.factories import application_in_state

    application = application_in_state(call, personas.applicant, Status.DRAFT)
    raw, _ = issue_token(personas.applicant)

    body = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get(f"/api/v1/applications/{application.pk}").content

    assert PHONES[0].encode() in body


def test_bureau_unmasks_one_value_and_it_is_audited(call, personas, client_for):
    from tests.factories import application_in_state

    application = application_in_state(call, personas.applicant, Status.SUBMITTED)

    response = client_for("bureau").post(
        "/accounts/unmask/",
        {"model": "applications.application", "pk": application.pk, "field": "contact_mobile"},
    )

    assert response.json() == {"value": "13807301234"}
    event = AuditEvent.objects.filter(event_type="pii.unmask").latest("id")
    assert (event.actor_id, event.object_id, event.detail) == (
        personas.bureau.pk,
        str(application.pk),
        {"field": "contact_mobile"},
    )


def test_unmask_is_refused_without_the_right_or_scope(call, personas, client_for):
    from tests.factories import application_in_state

    application = application_in_state(call, personas.applicant, Status.SUBMITTED)
    body = {"model": "applications.application", "pk": application.pk, "field": "contact_mobile"}

    county = client_for("county").post("/accounts/unmask/", body)
    other_field = client_for("bureau").post("/accounts/unmask/", {**body, "field": "basis"})
    draft = application_in_state(call, personas.applicant_b, Status.DRAFT, direction="草稿方向")
    private = client_for("bureau").post("/accounts/unmask/", {**body, "pk": draft.pk})

    assert (county.status_code, other_field.status_code, private.status_code) == (403, 404, 404)
    assert AuditEvent.objects.filter(event_type="pii.unmask").count() == 0


def test_logs_and_audit_hold_no_secrets_after_login_registration_and_submission(
    complete_application, personas, caplog
):
    from sciplan.accounts.demo import unit_code
    from sciplan.applications.services import submit_application
    from sciplan.calls.models import Recommender

    caplog.set_level(logging.DEBUG)
    client = Client()
    client.post("/accounts/login/", {"username": "applicant", "password": DEMO_PASSWORD})
    session_key = client.cookies["sessionid"].value
    client.post("/accounts/login/", {"username": "applicant", "password": "Wrong-2024-pass"})
    Client().post(
        "/accounts/register/",
        {
            "unit_name": "岳阳隐私测试有限公司",
            "uscc": unit_code("MA4L0Y77"),
            "recommender": Recommender.objects.get(code="430603").pk,
            "username": "privacy01",
            "name": "隐私",
            "mobile": "13607301111",
            "password": "Secret-Reg-2024",
            "password2": "Secret-Reg-2024",
            "licence": licence_scan(),
        },
    )
    submit_application(complete_application, by=personas.applicant)
    logging.getLogger("sciplan.test").info("caller typed 13607301111 and 430602199001011234")

    formatted = logging.Formatter("%(message)s")
    handler_filter = __import__("sciplan.core.scrubbing", fromlist=["ScrubFilter"]).ScrubFilter()
    log_text = ""
    for record in caplog.records:
        handler_filter.filter(record)
        log_text += formatted.format(record) + "\n"
    audit_text = json.dumps(
        list(AuditEvent.objects.values("detail", "actor_label", "object_id")), ensure_ascii=False
    )
    for secret in (
        DEMO_PASSWORD,
        "Wrong-2024-pass",
        "Secret-Reg-2024",
        session_key,
        "13607301111",
        "13807301234",
        "430602199001011234",
    ):
        assert secret not in log_text, secret
        assert secret not in audit_text, secret
    assert "136****1111" in log_text


def test_settings_route_every_log_record_through_the_scrubber(settings):
    handler = settings.LOGGING["handlers"]["console"]

    assert handler["filters"] == ["scrub"]
    assert settings.LOGGING["filters"]["scrub"]["()"] == "sciplan.core.scrubbing.ScrubFilter"
