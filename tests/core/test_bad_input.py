"""Input no field can store, bodies too large or unreadable: a 4xx with a Chinese message naming the
field or the limit, never a 500 (issue: NUL bytes and lone surrogates; STANDARDS C15, C16)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from sciplan.applications.models import Application
from sciplan.core.badinput import FIELD_MESSAGE
from tests.api.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

LONE_SURROGATE = '"\\ud800"'  # valid JSON text, but no database can store the string it decodes to


def _send(client: Client, method: str, path: str, body: str, **extra):
    return getattr(client, method)(path, body.encode(), content_type="application/json", **extra)


def _register_body(**changes) -> str:
    body = {
        "unit_name": "空字符有限公司",
        "uscc": "91430600MA4L0H0182",
        "recommender_id": 1,
        "username": "nulunit",
        "name": "张三",
        "mobile": "13807300000",
        "password": "Abcdef12345!",
    }
    body.update(changes)
    return json.dumps(body)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/auth/token", json.dumps({"username": "a\x00b", "password": "x"}), "username"),
        ("/api/v1/auth/token", '{"username": "ab", "password": ' + LONE_SURROGATE + "}", "password"),
        ("/api/v1/units", _register_body(unit_name="空字符\x00有限公司"), "unit_name"),
        ("/api/v1/units", _register_body(address=["x"]).replace('["x"]', LONE_SURROGATE), "address"),
    ],
)
def test_api_anonymous_unstorable_characters_are_422_naming_the_field(call, path, body, field):
    response = _send(Client(raise_request_exception=False), "post", path, body)

    assert response.status_code == 422
    assert response.json()["code"] == "validation"
    assert response.json()["errors"] == {field: FIELD_MESSAGE}


@pytest.mark.parametrize("value", ['"研究\\u0000方向"', '"\\udc00研究方向"'])
def test_api_application_patch_with_unstorable_characters_changes_nothing(
    personas, complete_application, value
):
    client = Client(raise_request_exception=False)
    token = sign_in(personas.applicant.username).token
    before = Application.objects.get(pk=complete_application.pk)
    body = f'{{"version": {before.version}, "direction": {value}, "members": [{{"name": {value}}}]}}'

    response = _send(
        client, "patch", f"/api/v1/applications/{before.pk}", body, HTTP_AUTHORIZATION=f"Bearer {token}"
    )

    after = Application.objects.get(pk=before.pk)
    assert response.status_code == 422
    assert response.json()["errors"] == {"direction": FIELD_MESSAGE, "members.0.name": FIELD_MESSAGE}
    assert (after.version, after.direction) == (before.version, before.direction)


def test_api_query_string_with_nul_is_422(personas):
    token = sign_in(personas.bureau.username).token

    response = Client(raise_request_exception=False).get(
        "/api/v1/applications", {"q": "a\x00"}, HTTP_AUTHORIZATION=f"Bearer {token}"
    )

    assert (response.status_code, response.json()["errors"]) == (422, {"q": FIELD_MESSAGE})


def test_page_form_field_with_nul_names_the_field(personas, complete_application):
    client = Client(raise_request_exception=False)
    client.force_login(personas.applicant)

    response = client.post(
        f"/applications/{complete_application.pk}/section/basic/", {"direction": "研究\x00方向"}
    )

    assert response.status_code == 400
    assert f"“方向/领域”{FIELD_MESSAGE}" in response.content.decode()
    assert Application.objects.get(pk=complete_application.pk).direction == complete_application.direction


def test_page_autosave_with_nul_answers_json_errors_by_field(personas, complete_application):
    client = Client(raise_request_exception=False)
    client.force_login(personas.applicant)

    response = client.post(
        f"/applications/{complete_application.pk}/section/basic/",
        {"direction": "研究\x00方向"},
        HTTP_ACCEPT="application/json",
        HTTP_X_AUTOSAVE="1",
    )

    assert (response.status_code, response.json()["errors"]) == (422, {"direction": FIELD_MESSAGE})


def _surrogate_form(application, encoding: str) -> tuple[bytes, str]:
    """A section form whose 方向/领域 holds a lone surrogate as a client can send one in a form: the
    bytes ED A0 80 (percent-encoded, or raw in a multipart part)."""
    if encoding == "urlencoded":
        body = f"base_version={application.version}&direction=%ED%A0%80%E7%A0%94%E7%A9%B6".encode()
        return body, "application/x-www-form-urlencoded"
    body = (
        f'--B\r\nContent-Disposition: form-data; name="base_version"\r\n\r\n{application.version}\r\n'
        '--B\r\nContent-Disposition: form-data; name="direction"\r\n\r\n'
    ).encode() + b"\xed\xa0\x80\xe7\xa0\x94\xe7\xa9\xb6\r\n--B--\r\n"
    return body, "multipart/form-data; boundary=B"


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_page_form_field_with_a_lone_surrogate_names_the_field(personas, complete_application, encoding):
    """Django decodes such bytes to U+FFFD: before, the page saved "���研究" as the direction."""
    client = Client(raise_request_exception=False)
    client.force_login(personas.applicant)
    body, content_type = _surrogate_form(complete_application, encoding)

    response = client.post(
        f"/applications/{complete_application.pk}/section/basic/", body, content_type=content_type
    )

    assert response.status_code == 400
    assert f"“方向/领域”{FIELD_MESSAGE}" in response.content.decode()
    assert Application.objects.get(pk=complete_application.pk).direction == complete_application.direction


def test_page_autosave_with_a_lone_surrogate_answers_json_errors_by_field(personas, complete_application):
    client = Client(raise_request_exception=False)
    client.force_login(personas.applicant)
    body, content_type = _surrogate_form(complete_application, "urlencoded")

    response = client.post(
        f"/applications/{complete_application.pk}/section/basic/",
        body,
        content_type=content_type,
        HTTP_ACCEPT="application/json",
        HTTP_X_AUTOSAVE="1",
    )

    assert (response.status_code, response.json()["errors"]) == (422, {"direction": FIELD_MESSAGE})


def test_anonymous_sign_in_page_with_a_lone_surrogate_is_400():
    response = Client(raise_request_exception=False).post(
        "/accounts/login/", b"username=%ED%A0%80&password=x", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 400
    assert "含有无法保存的字符" in response.content.decode()


def test_form_text_that_is_valid_utf8_passes_the_check():
    from sciplan.core.badinput import urlencoded_fields

    body = "direction=研究+方向&name=%E7%8E%8B&empty=&flag".encode()

    assert urlencoded_fields(body) == []
    assert urlencoded_fields(b"a=%ED%A0%80&b=%FF&%FF=1") == ["a", "b", "body"]


def test_anonymous_sign_in_page_with_nul_is_400_not_500():
    response = Client(raise_request_exception=False).post(
        "/accounts/login/", {"username": "bureau\x00", "password": "x"}
    )

    assert response.status_code == 400
    assert "含有无法保存的字符" in response.content.decode()


def test_api_json_body_over_the_limit_is_413_with_a_message(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    body = json.dumps({"username": "a" * (1024 * 1024 + 10), "password": "x"})

    response = _send(Client(raise_request_exception=False), "post", "/api/v1/auth/token", body)

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert response.json()["detail"] == "提交的内容过大，超过1MB的限制。请减少内容，附件请逐个上传。"


def test_declared_length_over_the_upload_limit_is_413_before_reading(
    settings, personas, complete_application
):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    client = Client(raise_request_exception=False)
    client.force_login(personas.applicant)
    big = SimpleUploadedFile("大.pdf", b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024 + 10))

    response = client.post(
        f"/applications/{complete_application.pk}/attachments/upload/", {"file": big, "kind": "other"}
    )

    assert response.status_code == 413
    assert "超过2MB的限制" in response.content.decode()


def test_multipart_part_header_over_django_limit_is_a_clear_400(personas, complete_application):
    token = sign_in(personas.applicant.username).token
    # Some 340 Chinese characters: the part's header passes Django's 1 KiB limit. Built by hand because
    # the test client's files cut their names to 255 characters.
    long_name = "很长的附件文件名称" * 38 + ".pdf"
    body = (
        f'--B\r\nContent-Disposition: form-data; name="kind"\r\n\r\nother\r\n'
        f'--B\r\nContent-Disposition: form-data; name="file"; filename="{long_name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n%%EOF\n\r\n--B--\r\n"
    ).encode()

    response = Client(raise_request_exception=False).post(
        f"/api/v1/applications/{complete_application.pk}/attachments",
        body,
        content_type="multipart/form-data; boundary=B",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "bad_upload"
    assert response.json()["errors"] == {"file": response.json()["detail"]}
    assert "文件名过长" in response.json()["detail"]
