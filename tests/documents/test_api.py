"""The documents API: document_download, document_verify (anonymous), export_download (bureau)."""

from __future__ import annotations

import pytest

from sciplan.api.auth import issue_token
from sciplan.documents import codes


def _auth(user) -> dict:
    token, _ = issue_token(user)
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _document_url(version, kind):
    return f"/api/v1/applications/{version.application_id}/versions/{version.number}/documents/{kind}"


@pytest.mark.parametrize(
    "kind", ["application_docx", "application_pdf", "plan_docx", "plan_pdf", "receipt_pdf"]
)
def test_document_download_by_applicant_is_an_attachment(client, personas, version, kind):
    response = client.get(_document_url(version, kind), **_auth(personas.applicant))

    data = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
    assert data[:4] == (b"%PDF" if kind.endswith("pdf") else b"PK\x03\x04")


@pytest.mark.parametrize("persona", ["applicant_b", "park", "county_b"])
def test_document_download_of_another_unit_is_404(client, personas, version, persona):
    response = client.get(_document_url(version, "application_pdf"), **_auth(personas[persona]))

    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_document_download_unknown_kind_is_422(client, personas, version):
    response = client.get(_document_url(version, "secrets_pdf"), **_auth(personas.applicant))

    assert response.status_code == 422


def test_document_download_without_token_is_401(client, version):
    response = client.get(_document_url(version, "application_pdf"))

    assert response.status_code == 401


def test_document_verify_anonymous_round_trip(client, version):
    code = codes.code_for(version)

    response = client.get("/api/v1/documents/verify", {"code": codes.display(code)})

    body = response.json()
    assert response.status_code == 200
    assert (body["consortium_name"], body["lead_unit"], body["version_number"], body["is_current"]) == (
        "岳阳市高性能聚烯烃新材料创新联合体",
        "岳阳华辰新材料股份有限公司",
        1,
        True,
    )
    assert (body["code"], body["receipt_no"], body["state"]) == (
        codes.display(code),
        version.receipt_no,
        "有效：为该申报书最新提交的版本",
    )


def test_document_verify_superseded(client, resubmitted):
    code = codes.code_for(resubmitted.versions.get(number=1))

    body = client.get("/api/v1/documents/verify", {"code": code}).json()

    assert (body["is_current"], body["latest_version_number"], body["state"]) == (False, 2, "已被第2版取代")


def test_document_verify_altered_code_is_422(client, version):
    code = codes.code_for(version)
    altered = code[:-1] + ("2" if code[-1] != "2" else "3")

    response = client.get("/api/v1/documents/verify", {"code": altered})

    assert (response.status_code, response.json()["errors"]["code"]) == (
        422,
        "校验码输入有误，请逐位核对后重新输入。",
    )


def test_export_download_by_bureau_is_xlsx(client, personas, submitted_application):
    response = client.get("/api/v1/exports", {"kind": "applications"}, **_auth(personas.bureau))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert b"".join(response.streaming_content)[:2] == b"PK"


@pytest.mark.parametrize("persona", ["applicant", "county", "finance"])
def test_export_download_by_others_is_404(client, personas, submitted_application, persona):
    response = client.get("/api/v1/exports", {"kind": "applications"}, **_auth(personas[persona]))

    assert response.status_code == 404
