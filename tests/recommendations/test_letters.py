"""The recommendation letter: PDF/JPG/PNG by content, private storage with SHA-256, replace keeps the
old file, permission-checked download (SPEC §7, §9; STANDARDS D18–D21)."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sciplan.applications.demo import sample_pdf
from sciplan.core.errors import NotFound, ValidationFailed
from sciplan.core.models import AuditEvent
from sciplan.core.storage import private_storage
from sciplan.recommendations.models import RecommendationLetter
from sciplan.recommendations.queries import letter_for
from sciplan.recommendations.services import upload_letter
from tests.recommendations.conftest import api_sign_in as sign_in
from tests.recommendations.conftest import upload_pdf_letter

pytestmark = pytest.mark.django_db


def test_letter_upload_records_sha256_and_a_private_key(call, personas):
    data = sample_pdf()

    letter = upload_pdf_letter(call, personas.county, name="../../推荐函<盖章>.pdf")

    assert letter_for(call.pk, personas.county.recommender_id) == letter
    assert (letter.sha256, letter.content_kind, letter.original_name) == (
        hashlib.sha256(data).hexdigest(),
        "pdf",
        "推荐函_盖章_.pdf",
    )
    assert letter.storage_key.startswith(f"letters/{call.pk}/{personas.county.recommender_id}/")
    assert private_storage().exists(letter.storage_key)


def test_letter_replace_keeps_the_old_file(call, personas):
    first = upload_pdf_letter(call, personas.county, name="第一版.pdf")
    second = upload_pdf_letter(call, personas.county, name="第二版.pdf")
    first.refresh_from_db()

    assert letter_for(call.pk, personas.county.recommender_id) == second
    assert first.replaced_at is not None
    assert private_storage().exists(first.storage_key)
    assert RecommendationLetter.objects.filter(call=call).count() == 2


def test_letter_that_is_html_named_pdf_is_refused(call, personas):
    with pytest.raises(ValidationFailed) as caught:
        upload_letter(
            call,
            fileobj=io.BytesIO(b"<html><script>alert(1)</script>"),
            filename="推荐函.pdf",
            by=personas.county,
        )

    assert caught.value.field_errors == {
        "file": "推荐函只接受PDF、JPG、PNG文件（盖章扫描件）；所选文件的内容不是这些格式。"
    }
    assert RecommendationLetter.objects.count() == 0


@pytest.mark.parametrize("name", ["finance", "applicant", "bureau"])
def test_letter_upload_by_others_is_not_found(call, personas, name):
    with pytest.raises(NotFound):
        upload_pdf_letter(call, personas[name])


def test_letter_page_upload_shows_errors_beside_the_field(call, personas, web_as):
    client = web_as("county")

    bad = client.post(
        "/recommend/letter/", {"call": call.pk, "file": SimpleUploadedFile("a.pdf", b"MZ\x90\x00")}
    )
    good = client.post(
        "/recommend/letter/", {"call": call.pk, "file": SimpleUploadedFile("推荐函.pdf", sample_pdf())}
    )

    assert bad.status_code == 422
    assert "推荐函只接受PDF、JPG、PNG文件" in bad.content.decode()
    assert good.status_code == 302
    assert letter_for(call.pk, personas.county.recommender_id).original_name == "推荐函.pdf"


def test_letter_download_is_an_audited_attachment(call, personas, web_as):
    letter = upload_pdf_letter(call, personas.county)

    response = web_as("finance").get(f"/recommend/letters/{letter.pk}/download/")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == sample_pdf()
    assert AuditEvent.objects.filter(event_type="recommendation.letter_download").count() == 1


def test_api_letter_upload(call, personas):
    client = sign_in("park")

    response = client.upload(
        f"/calls/{call.pk}/recommendation-letter", {"file": SimpleUploadedFile("推荐函.pdf", sample_pdf())}
    )

    body = response.json()
    assert response.status_code == 201
    assert (body["file_name"], body["content_kind"], body["recommender_id"], body["sha256"]) == (
        "推荐函.pdf",
        "pdf",
        personas.park.recommender_id,
        hashlib.sha256(sample_pdf()).hexdigest(),
    )


def test_api_letter_upload_of_a_bad_file_is_422(call, personas):
    response = sign_in("park").upload(
        f"/calls/{call.pk}/recommendation-letter", {"file": SimpleUploadedFile("x.png", b"GIF89a....")}
    )

    assert (response.status_code, response.json()["errors"]) == (
        422,
        {"file": "推荐函只接受PDF、JPG、PNG文件（盖章扫描件）；所选文件的内容不是这些格式。"},
    )


@pytest.mark.parametrize("name", ["finance", "applicant", "bureau"])
def test_api_letter_upload_by_others_is_404(call, personas, name):
    response = sign_in(name).upload(
        f"/calls/{call.pk}/recommendation-letter", {"file": SimpleUploadedFile("推荐函.pdf", sample_pdf())}
    )

    assert response.status_code == 404
