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


def test_sniff_reads_the_central_directory_only(monkeypatch):
    bomb = _docx_with({"xl/huge.xml": b"A" * (30 * 1024 * 1024)})
    opened = []
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: opened.append(a) or None)

    with pytest.raises(filetypes.FileTypeError):
        filetypes.sniff(io.BytesIO(bomb))
    assert opened == []


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
