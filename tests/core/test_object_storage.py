"""Private files on S3-compatible object storage (django-storages' S3 backend), against the S3 server the
test run starts on 127.0.0.1 (``object_store``, tests/conftest.py): upload and hash, the permission-checked
download, the deletion rules, no orphan after a failed commit, ``verify_files``, and backup, restore and
``verify_backup`` with the files in a bucket.

What the bucket holds is always read with boto3 directly, not through the code under test.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections
from django.test import Client
from django.urls import reverse

import sciplan
from sciplan.api.auth import issue_token
from sciplan.applications.demo import sample_pdf
from sciplan.applications.models import Application, Attachment, AttachmentKind
from sciplan.applications.services import delete_attachment, upload_attachment
from sciplan.core import storage
from sciplan.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _upload(application, user, data: bytes, name: str = "补充材料.pdf") -> Attachment:
    return upload_attachment(
        application, kind=AttachmentKind.OTHER, fileobj=io.BytesIO(data), filename=name, by=user
    )


# --- configuration --------------------------------------------------------------------------------------


def _settings_in_a_fresh_process(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SCIPLAN_S3_", "SCIPLAN_STORAGE"))}
    code = (
        "import json, os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'sciplan.settings'; django.setup(); from django.conf import settings; "
        "private = settings.STORAGES.get('private'); "
        "config = private and private['OPTIONS'].pop('client_config'); "
        "print(json.dumps(private and {**private, 'config': [config.s3, config.signature_version, "
        "config.connect_timeout, config.read_timeout, config.retries]}))"
    )
    return subprocess.run(  # noqa: S603 — fixed argument list
        [sys.executable, "-c", code],
        # The checkout under test, not whichever copy of the package the interpreter would find first.
        env={**clean, "PYTHONPATH": str(Path(sciplan.__file__).parent.parent), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_environment_alone_selects_the_backend():
    default = _settings_in_a_fresh_process()
    s3 = _settings_in_a_fresh_process(
        SCIPLAN_STORAGE="s3",
        SCIPLAN_S3_BUCKET="sciplan-files",
        SCIPLAN_S3_ENDPOINT_URL="http://minio.internal:9000",
        SCIPLAN_S3_ACCESS_KEY="app",
        SCIPLAN_S3_SECRET_KEY="app-secret",
        SCIPLAN_S3_PREFIX="/yueyang/",
    )
    missing_bucket = _settings_in_a_fresh_process(SCIPLAN_STORAGE="s3")

    assert default.returncode == 0, default.stderr
    assert json.loads(default.stdout) is None  # the file system, under PRIVATE_STORAGE_ROOT
    assert s3.returncode == 0, s3.stderr
    configured = json.loads(s3.stdout)
    assert configured["BACKEND"] == "storages.backends.s3.S3Storage"
    assert {k: configured["OPTIONS"][k] for k in ("bucket_name", "endpoint_url", "access_key")} == {
        "bucket_name": "sciplan-files",
        "endpoint_url": "http://minio.internal:9000",
        "access_key": "app",
    }
    assert configured["config"] == [
        {"addressing_style": "path"},
        "s3v4",
        5,
        30,
        {"max_attempts": 3, "mode": "standard"},
    ]
    assert configured["OPTIONS"]["location"] == "yueyang"
    assert configured["OPTIONS"]["default_acl"] is None
    assert missing_bucket.returncode != 0
    assert "SCIPLAN_S3_BUCKET" in missing_bucket.stderr


def test_half_a_key_pair_is_refused(monkeypatch):
    from sciplan import settings as project_settings

    monkeypatch.setenv("SCIPLAN_S3_BUCKET", "sciplan-files")
    monkeypatch.setenv("SCIPLAN_S3_ACCESS_KEY", "app")
    monkeypatch.delenv("SCIPLAN_S3_SECRET_KEY", raising=False)
    with pytest.raises(ImproperlyConfigured, match="SCIPLAN_S3_SECRET_KEY"):
        project_settings.s3_private_storage()


# --- upload, download, deletion ------------------------------------------------------------------------


def test_an_upload_is_stored_in_the_bucket_under_a_generated_key_with_its_hash(
    object_store, complete_application, personas, settings
):
    data = sample_pdf() + b"%s3 upload"
    attachment = _upload(complete_application, personas.applicant, data, "../../etc/passwd 申报.pdf")

    in_bucket = object_store.objects()
    assert in_bucket[attachment.storage_key] == data
    assert attachment.storage_key.startswith(f"applications/{complete_application.pk}/")
    assert attachment.sha256 == _sha(data)
    assert storage.stored_sha256(attachment.storage_key) == _sha(data)
    assert set(in_bucket) == set(Attachment.objects.values_list("storage_key", flat=True))
    assert not settings.PRIVATE_STORAGE_ROOT.exists()  # nothing went to the local directory


def test_a_download_streams_from_the_bucket_through_the_permission_checked_view(
    object_store, complete_application, personas
):
    data = sample_pdf() + b"%streamed"
    attachment = _upload(complete_application, personas.applicant, data, "合作协议（盖章）.pdf")
    url = reverse("applications:download", args=[attachment.pk])
    owner, other_unit, anonymous = Client(), Client(), Client()
    owner.force_login(personas.applicant)
    other_unit.force_login(personas.applicant_b)

    response = owner.get(url)
    body = b"".join(response.streaming_content)

    assert response.status_code == 200
    assert body == data
    assert response["Content-Length"] == str(len(data))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename*=UTF-8''%E5%90%88%E4%BD%9C%E5%8D%8F%E8%AE%AE%EF%BC%88%E7%9B%96%E7%AB%A0%EF%BC%89.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Location" not in response  # served by the application, never a redirect to the bucket
    assert other_unit.get(url).status_code == 404
    assert anonymous.get(url).status_code == 302
    assert list(
        AuditEvent.objects.filter(event_type="attachment.download", object_id=str(attachment.pk)).values_list(
            "actor_id", flat=True
        )
    ) == [personas.applicant.pk]


def test_the_api_uploads_to_and_downloads_from_the_bucket(object_store, complete_application, personas):
    data = sample_pdf() + b"%through the API"
    raw, _ = issue_token(personas.applicant)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    other_raw, _ = issue_token(personas.applicant_b)
    other = Client(HTTP_AUTHORIZATION=f"Bearer {other_raw}")
    created = api.post(
        f"/api/v1/applications/{complete_application.pk}/attachments",
        {"kind": "other", "file": SimpleUploadedFile("说明.pdf", data, content_type="application/pdf")},
    )
    assert created.status_code == 201, created.content
    url = f"/api/v1/applications/{complete_application.pk}/attachments/{created.json()['id']}"

    response = api.get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert response["X-Content-Type-Options"] == "nosniff"
    assert object_store.objects()[Attachment.objects.get(pk=created.json()["id"]).storage_key] == data
    assert other.get(url).status_code == 404


def test_an_object_changed_in_the_bucket_is_refused_and_audited(object_store, complete_application, personas):
    attachment = _upload(complete_application, personas.applicant, sample_pdf() + b"%original")
    object_store.put(attachment.storage_key, sample_pdf() + b"%replaced behind the application's back")
    client = Client()
    client.force_login(personas.applicant)

    response = client.get(reverse("applications:download", args=[attachment.pk]))

    assert response.status_code == 409
    tampered = AuditEvent.objects.get(event_type="file.tampered")
    assert (tampered.outcome, tampered.detail["expected"], tampered.detail["file"]) == (
        "refused",
        attachment.sha256,
        f"applications.attachment#{attachment.pk}",
    )


def test_deleting_a_never_submitted_file_removes_the_object(
    object_store, complete_application, personas, django_capture_on_commit_callbacks
):
    attachment = _upload(complete_application, personas.applicant, sample_pdf() + b"%draft only")
    key = attachment.storage_key
    assert key in object_store.objects()

    with django_capture_on_commit_callbacks(execute=True):
        delete_attachment(attachment, by=personas.applicant)

    assert key not in object_store.objects()
    assert not Attachment.objects.filter(pk=attachment.pk).exists()


def test_a_file_a_submitted_version_refers_to_is_never_deleted_from_the_bucket(
    object_store, submitted_application, personas, django_capture_on_commit_callbacks
):
    Application.objects.filter(pk=submitted_application.pk).update(status="returned")
    attachment = submitted_application.attachments.get(kind="charter")

    with django_capture_on_commit_callbacks(execute=True):
        delete_attachment(attachment, by=personas.applicant)

    assert Attachment.objects.get(pk=attachment.pk).removed_at is not None
    assert object_store.objects()[attachment.storage_key][:5] == b"%PDF-"


@pytest.mark.django_db(transaction=True)
def test_a_failed_commit_leaves_no_orphan_object(object_store, complete_application, personas):
    before = object_store.objects()
    attachments = Attachment.objects.count()

    with (
        mock.patch.object(connection, "commit", side_effect=DatabaseError("connection lost at COMMIT")),
        pytest.raises(DatabaseError),
    ):
        _upload(complete_application, personas.applicant, sample_pdf() + b"%never committed")

    assert object_store.objects() == before
    assert Attachment.objects.count() == attachments


# --- verify_files, backup, restore ---------------------------------------------------------------------


def test_verify_files_reads_every_object_and_reports_a_changed_one(
    object_store, complete_application, personas
):
    attachment = _upload(complete_application, personas.applicant, sample_pdf() + b"%to verify")
    out = io.StringIO()
    call_command("verify_files", stdout=out)
    assert out.getvalue().strip() == f"已校验{Attachment.objects.count()}个文件，全部一致。"

    object_store.put(attachment.storage_key, b"%PDF-1.4 changed")
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 stored file"):
        call_command("verify_files", stdout=io.StringIO(), stderr=err)

    assert f"applications.attachment #{attachment.pk}" in err.getvalue()
    assert AuditEvent.objects.filter(event_type="file.tampered", object_id=str(attachment.pk)).count() == 1


@pytest.mark.django_db(transaction=True)
def test_backup_restore_and_verify_round_trip_with_the_files_in_a_bucket(
    object_store, complete_application, personas, scratch, tmp_path
):
    _upload(complete_application, personas.applicant, sample_pdf() + b"%in the backup")
    source_bucket = object_store.bucket
    expected = {key: _sha(data) for key, data in object_store.objects().items()}
    assert len(expected) == Attachment.objects.count() >= 2
    backup = tmp_path / "backup"

    out = io.StringIO()
    call_command("backup", str(backup), stdout=out)
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    call_command("verify_backup", str(backup), stdout=io.StringIO())

    assert manifest["files"]["copied"] is True
    assert manifest["files"]["storage"] == "S3Storage"
    assert manifest["files"]["sha256"] == expected
    assert manifest["files"]["named_but_missing"] == []
    assert {key: _sha((backup / "files" / key).read_bytes()) for key in expected} == expected
    assert f"私有文件存储桶 {source_bucket}/sciplan" in out.getvalue()

    # Restore into an empty database and an empty bucket of its own.
    target_bucket = object_store.new_bucket()
    object_store.use(target_bucket, prefix="restored")
    done = io.StringIO()
    call_command("restore", str(backup), database=scratch, stdout=done)

    assert {key: _sha(data) for key, data in object_store.objects(target_bucket).items()} == expected
    assert "恢复并校验完成" in done.getvalue()
    assert sorted(Attachment.objects.using(scratch).values_list("storage_key", flat=True)) == sorted(expected)
    call_command("restore", str(backup), database=scratch, verify=True, stdout=io.StringIO())

    # A changed object after the restore is a difference; a non-empty bucket is not overwritten unforced.
    changed = sorted(expected)[0]
    object_store.put(changed, b"%PDF-1.4 changed after the restore")
    err = io.StringIO()
    with pytest.raises(CommandError, match="恢复结果与备份清单不符"):
        call_command("restore", str(backup), database=scratch, verify=True, stdout=io.StringIO(), stderr=err)
    assert changed in err.getvalue()

    connections[scratch].close()
    with pytest.raises(CommandError, match=f"私有文件存储桶 {target_bucket}/restored 不是空的"):
        _restore_with_empty_database(backup, scratch)
    call_command("restore", str(backup), database=scratch, force=True, stdout=io.StringIO())
    assert {key: _sha(data) for key, data in object_store.objects(target_bucket).items()} == expected


def _restore_with_empty_database(backup, alias: str) -> None:
    """Restore into ``alias`` after emptying it, so that only the bucket can make the restore refuse."""
    db = connections[alias]
    with db.cursor() as cursor:
        for table in db.introspection.table_names(cursor):
            if db.vendor == "postgresql":
                cursor.execute(f"DROP TABLE IF EXISTS {db.ops.quote_name(table)} CASCADE")
            else:
                cursor.execute("PRAGMA foreign_keys = OFF")
                cursor.execute(f"DROP TABLE IF EXISTS {db.ops.quote_name(table)}")
    call_command("restore", str(backup), database=alias, stdout=io.StringIO())
