"""STANDARDS D18–D21: type by content, size and count limits, zip bombs, hostile names, download
headers, integrity of stored files. Through the public interfaces: the API and the upload page."""

from __future__ import annotations

import io
import zipfile
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from sciplan.api.auth import issue_token
from sciplan.applications.demo import sample_pdf
from sciplan.applications.models import Attachment
from sciplan.core import filetypes, storage
from sciplan.core.models import AuditEvent

pytestmark = pytest.mark.django_db

PDF = sample_pdf()


def _api(user) -> Client:
    raw, _ = issue_token(user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def _upload(client, application, content: bytes, name: str, kind: str = "other"):
    return client.post(
        f"/api/v1/applications/{application.pk}/attachments",
        {"kind": kind, "file": SimpleUploadedFile(name, content, content_type="application/pdf")},
    )


def _docx_with(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"<html><script>alert(1)</script></html>", "申报书.pdf"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "图片.pdf"),
        (b"#!/bin/sh\nrm -rf /\n", "脚本.pdf"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64, "程序.pdf"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "程序.pdf"),
        (b"PK\x03\x04 not really a zip", "表格.xlsx"),
    ],
)
def test_disguised_files_are_refused_by_content(complete_application, personas, content, name):
    response = _upload(_api(personas.applicant), complete_application, content, name)

    assert response.status_code == 422
    assert Attachment.objects.filter(application=complete_application, original_name=name).count() == 0


def test_real_pdf_is_accepted_whatever_its_name(complete_application, personas):
    response = _upload(_api(personas.applicant), complete_application, PDF, "scan.exe")

    assert response.status_code == 201


def test_zip_bomb_docx_is_refused_before_inflating(complete_application, personas):
    bomb = _docx_with({"word/media/bomb.bin": b"\0" * (60 * 1024 * 1024)})  # 60 MB of zeros → ~60 KB
    assert len(bomb) < 200 * 1024

    response = _upload(_api(personas.applicant), complete_application, bomb, "章程.docx")

    assert response.status_code == 422
    assert "压缩炸弹" in response.json()["errors"]["file"]


def test_declared_sizes_over_the_cap_are_refused_before_inflating(monkeypatch):
    """An archive that admits to a bomb costs nothing; one that hides it is inflated with a cap below."""
    bomb = _docx_with({"xl/huge.xml": b"A" * (30 * 1024 * 1024)})
    inflated = []
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: inflated.append(a) or None)
    monkeypatch.setattr(filetypes, "_inflated_size", lambda *a: inflated.append(a) or 0)

    with pytest.raises(filetypes.FileTypeError):
        filetypes.sniff(io.BytesIO(bomb))
    assert inflated == []


def test_oversized_file_is_refused(complete_application, personas, settings):
    settings.UPLOAD_MAX_BYTES = 1024

    response = _upload(_api(personas.applicant), complete_application, PDF + b"0" * 2048, "大文件.pdf")

    assert response.status_code == 422
    assert "超过" in response.json()["errors"]["file"]


def test_per_application_file_count_is_limited(complete_application, personas, settings):
    settings.UPLOAD_MAX_FILES_PER_APPLICATION = Attachment.objects.filter(
        application=complete_application, removed_at__isnull=True
    ).count()

    response = _upload(_api(personas.applicant), complete_application, PDF, "再一个.pdf")

    assert response.status_code == 422
    assert response.json()["errors"]["file"] == "附件数量已达上限，请删除不需要的附件。"


def test_too_many_files_in_one_request_is_refused(complete_application, personas, settings):
    client = Client()
    client.force_login(personas.applicant)
    files = [SimpleUploadedFile(f"f{i}.pdf", PDF) for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)]

    response = client.post(
        f"/applications/{complete_application.pk}/attachments/upload/", {"kind": "other", "file": files}
    )

    assert response.status_code == 400


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.pdf",
        "a\x00b\r\nc\x1b[31m.pdf",
        "..\\..\\windows\\win.ini.pdf",
        "很长的中文文件名" * 40 + ".pdf",
    ],
)
def test_hostile_names_are_stored_under_generated_keys(complete_application, personas, name, settings):
    response = _upload(_api(personas.applicant), complete_application, PDF, name)

    assert response.status_code == 201
    attachment = Attachment.objects.latest("id")
    assert attachment.storage_key.startswith(f"applications/{complete_application.pk}/")
    assert attachment.storage_key.endswith(".pdf")
    assert len(attachment.storage_key.rsplit("/", 1)[1]) == 36  # uuid4 hex + ".pdf"
    assert "/" not in attachment.original_name and "\\" not in attachment.original_name
    assert not any(ord(c) < 32 for c in attachment.original_name)
    assert len(attachment.original_name) <= 120
    stored = list((settings.PRIVATE_STORAGE_ROOT / "applications" / str(complete_application.pk)).iterdir())
    assert all(p.name.count(".") == 1 for p in stored)


def test_download_is_an_attachment_with_filename_star_and_nosniff(complete_application, personas):
    client = _api(personas.applicant)
    created = _upload(client, complete_application, PDF, "合作协议<script>.pdf").json()

    response = client.get(f"/api/v1/applications/{complete_application.pk}/attachments/{created['id']}")

    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=UTF-8''")
    assert unquote(disposition.split("''", 1)[1]) == "合作协议_script_.pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF


def test_tampered_file_is_refused_on_download_and_audited(complete_application, personas, settings):
    client = Client(REMOTE_ADDR="10.3.3.3")
    client.force_login(personas.applicant)
    created = _upload(_api(personas.applicant), complete_application, PDF, "原件.pdf").json()
    attachment = Attachment.objects.get(pk=created["id"])
    (settings.PRIVATE_STORAGE_ROOT / attachment.storage_key).write_bytes(PDF + b"% changed\n")

    response = client.get(f"/applications/files/{attachment.pk}/download/")

    assert response.status_code == 409
    event = AuditEvent.objects.filter(event_type="file.tampered").latest("id")
    assert (event.actor_id, event.ip, event.outcome) == (personas.applicant.pk, "10.3.3.3", "refused")


def test_verify_files_reports_a_changed_file(complete_application, personas, settings):
    created = _upload(_api(personas.applicant), complete_application, PDF, "原件.pdf").json()
    attachment = Attachment.objects.get(pk=created["id"])
    call_command("verify_files")  # all intact: no error

    (settings.PRIVATE_STORAGE_ROOT / attachment.storage_key).write_bytes(b"%PDF-1.4 other")

    with pytest.raises(CommandError):
        call_command("verify_files")
    assert AuditEvent.objects.filter(event_type="file.tampered", object_id=str(attachment.pk)).count() == 1


def test_clean_filename_strips_paths_and_controls():
    assert storage.clean_filename("../../a\x00b.pdf") == "a_b.pdf"
    assert storage.clean_filename("C:\\x\\y.pdf") == "y.pdf"
    assert storage.clean_filename("") == "file"


# --- item: real inflated bytes, PDF structure, named audit rows --------------------------------------


def _lying_docx(real_bytes: int, declared: int) -> bytes:
    """A DOCX whose media part declares ``declared`` bytes but inflates to ``real_bytes``."""
    name = b"word/media/image1.bin"
    data = bytearray(_docx_with({name.decode(): b"\0" * real_bytes}))
    # Local header of the part: uncompressed size at offset 22; central entry: at offset 24.
    local = data.find(name) - 30
    assert data[local : local + 4] == b"PK\x03\x04"
    data[local + 22 : local + 26] = declared.to_bytes(4, "little")
    central = data.rfind(name) - 46
    assert data[central : central + 4] == b"PK\x01\x02"
    data[central + 24 : central + 28] = declared.to_bytes(4, "little")
    return bytes(data)


def test_a_docx_declaring_small_sizes_that_inflates_large_is_refused(complete_application, personas):
    bomb = _lying_docx(real_bytes=40 * 1024 * 1024, declared=2048)
    archive = zipfile.ZipFile(io.BytesIO(bomb))
    assert sum(i.file_size for i in archive.infolist()) < 10_000  # what the archive claims
    assert len(bomb) < 200 * 1024

    response = _upload(_api(personas.applicant), complete_application, bomb, "章程.docx", kind="charter")

    assert response.status_code == 422
    assert "压缩炸弹" in response.json()["errors"]["file"]
    assert not Attachment.objects.filter(original_name="章程.docx").exists()


def test_a_docx_whose_declared_size_is_wrong_is_refused_even_when_small():
    forged = _lying_docx(real_bytes=5000, declared=100)

    with pytest.raises(filetypes.FileTypeError):
        filetypes.sniff(io.BytesIO(forged))


def test_the_inflation_check_stops_at_its_cap(monkeypatch):
    """Counting is bounded: a part is inflated only up to the remaining budget, never in full."""
    monkeypatch.setattr(filetypes, "ZIP_RATIO_FLOOR", 1024 * 1024)
    monkeypatch.setattr(filetypes, "ZIP_MAX_RATIO", 1)
    bomb = _lying_docx(real_bytes=50 * 1024 * 1024, declared=10)
    seen = []
    real = filetypes._inflated_size

    def counting(fileobj, info, budget):
        size = real(fileobj, info, budget)
        seen.append(size)
        return size

    monkeypatch.setattr(filetypes, "_inflated_size", counting)
    with pytest.raises(filetypes.FileTypeError):
        filetypes.sniff(io.BytesIO(bomb))
    assert seen and max(seen) <= 1024 * 1024 + 1  # stopped at the cap, not at the real 50 MB


def test_a_real_docx_is_accepted(complete_application, personas):
    response = _upload(
        _api(personas.applicant),
        complete_application,
        _docx_with({"word/styles.xml": "<w:styles/>" * 50}),
        "章程.docx",
        kind="charter",
    )

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("content", "label"),
    [
        (b"%PDF-<html><script>alert(1)</script></html>", "markup after the magic"),
        (
            sample_pdf() + b"\n<html><body><script>alert(document.cookie)</script></body></html>\n",
            "page appended",
        ),
        (b"%PDF-1.4\n<!DOCTYPE html><title>x</title>\n%%EOF\n", "a page in PDF clothing"),
        (b"%PDF-1.7\nthis is no PDF at all\n%%EOF\n", "no PDF structure"),
    ],
)
def test_a_file_that_is_not_structurally_a_pdf_is_refused(complete_application, personas, content, label):
    response = _upload(_api(personas.applicant), complete_application, content, "恶意.pdf")

    assert response.status_code == 422, label
    assert "PDF" in response.json()["errors"]["file"]
    assert not Attachment.objects.filter(original_name="恶意.pdf").exists()


def test_a_refused_file_is_audited_with_its_name(complete_application, personas):
    _upload(_api(personas.applicant), complete_application, b"%PDF-<html><script>", "恶意.pdf")

    event = AuditEvent.objects.filter(event_type="attachment.refused").latest("id")
    assert (event.actor_id, event.outcome, event.object_id) == (
        personas.applicant.pk,
        "refused",
        str(complete_application.pk),
    )
    assert event.detail["name"] == "恶意.pdf"
    assert "PDF" in event.detail["reason"]


def test_a_tampered_file_is_audited_with_the_attachment_named(complete_application, personas, settings):
    client = Client()
    client.force_login(personas.applicant)
    created = _upload(_api(personas.applicant), complete_application, PDF, "原件.pdf").json()
    attachment = Attachment.objects.get(pk=created["id"])
    (settings.PRIVATE_STORAGE_ROOT / attachment.storage_key).write_bytes(PDF + b"% changed\n")

    assert client.get(f"/applications/files/{attachment.pk}/download/").status_code == 409

    event = AuditEvent.objects.filter(event_type="file.tampered").latest("id")
    assert event.object_id == str(attachment.pk)
    assert event.detail["name"] == "原件.pdf"
    assert event.detail["file"] == f"applications.attachment#{attachment.pk}"
