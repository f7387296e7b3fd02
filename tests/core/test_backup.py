"""Backup and restore (STANDARDS F31): ``manage.py backup`` then ``manage.py restore`` into a scratch
database and a scratch file directory give back every row and every file, and a changed backup or a
changed restore is reported.

The scratch database is the ``scratch`` fixture (tests/core/conftest.py). The same round trip with the
private files in an S3-compatible bucket is in test_object_storage.py.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from sciplan.applications.demo import sample_pdf
from sciplan.applications.models import Application, Attachment, AttachmentKind
from sciplan.applications.services import upload_attachment
from sciplan.core.models import AuditEvent, Notification

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def data(complete_application, personas):
    """Demo-like data with private files: the complete application's attachments plus one more upload."""
    upload_attachment(
        complete_application,
        kind=AttachmentKind.OTHER,
        fileobj=io.BytesIO(sample_pdf() + b"%extra"),
        filename="补充材料.pdf",
        by=personas.applicant,
    )
    assert Attachment.objects.count() >= 2
    return complete_application


def _row_counts(alias: str) -> dict[str, int]:
    db = connections[alias]
    with db.cursor() as cursor:
        counts = {}
        for table in sorted(db.introspection.table_names(cursor)):
            cursor.execute(f"SELECT COUNT(*) FROM {db.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def _file_hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _backup(tmp_path) -> Path:
    target = tmp_path / "backup"
    call_command("backup", str(target), stdout=io.StringIO())
    return target


def test_backup_then_restore_into_a_scratch_database_gives_back_every_row_and_file(
    data, scratch, tmp_path, settings
):
    source_files = Path(settings.PRIVATE_STORAGE_ROOT)
    backup = _backup(tmp_path)
    expected_rows = _row_counts("default")
    expected_files = _file_hashes(source_files)
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))

    settings.PRIVATE_STORAGE_ROOT = tmp_path / "restored-files"
    out = io.StringIO()
    call_command("restore", str(backup), database=scratch, stdout=out)

    assert _row_counts(scratch) == expected_rows
    assert _file_hashes(tmp_path / "restored-files") == expected_files
    assert manifest["tables"] == expected_rows
    assert manifest["files"]["sha256"] == expected_files
    assert manifest["files"]["named_but_missing"] == []
    assert set(expected_files) >= set(Attachment.objects.values_list("storage_key", flat=True))
    assert len(expected_files) == Attachment.objects.count()
    assert list(Application.objects.using(scratch).values_list("pk", "version", "status")) == list(
        Application.objects.values_list("pk", "version", "status")
    )
    assert AuditEvent.objects.using(scratch).filter(event_type="backup.create").count() == 1
    assert "与清单一致" in out.getvalue()
    call_command("restore", str(backup), database=scratch, verify=True, stdout=io.StringIO())


def test_restore_refuses_a_non_empty_database_unless_forced(data, personas, scratch, tmp_path, settings):
    backup = _backup(tmp_path)
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "restored-files"
    call_command("restore", str(backup), database=scratch, stdout=io.StringIO())
    Notification.objects.using(scratch).create(user=personas.applicant, subject="恢复后新增", body="x")

    with pytest.raises(CommandError) as refused:
        call_command("restore", str(backup), database=scratch, stdout=io.StringIO())
    message = str(refused.value)
    assert "目标数据库不是空的" in message
    assert "--force" in message
    assert "not empty" in message
    assert Notification.objects.using(scratch).filter(subject="恢复后新增").count() == 1

    call_command("restore", str(backup), database=scratch, force=True, stdout=io.StringIO())
    assert Notification.objects.using(scratch).filter(subject="恢复后新增").count() == 0
    assert _row_counts(scratch) == _row_counts("default")


def test_restore_refuses_a_non_empty_file_directory_unless_forced(data, scratch, tmp_path, settings):
    backup = _backup(tmp_path)
    restored = tmp_path / "restored-files"
    (restored / "old").mkdir(parents=True)
    (restored / "old" / "left-over.pdf").write_bytes(b"old")
    settings.PRIVATE_STORAGE_ROOT = restored

    with pytest.raises(CommandError, match="私有文件目录"):
        call_command("restore", str(backup), database=scratch, stdout=io.StringIO())
    assert connections[scratch].introspection.table_names() == []

    call_command("restore", str(backup), database=scratch, force=True, stdout=io.StringIO())
    assert not (restored / "old" / "left-over.pdf").exists()


def test_a_tampered_file_in_the_backup_is_detected_and_nothing_is_restored(data, scratch, tmp_path, settings):
    backup = _backup(tmp_path)
    key = Attachment.objects.order_by("pk").values_list("storage_key", flat=True).first()
    (backup / "files" / key).write_bytes(b"%PDF-1.4 changed")

    err = io.StringIO()
    with pytest.raises(CommandError, match="备份与清单不符"):
        call_command("verify_backup", str(backup), stdout=io.StringIO(), stderr=err)
    assert key in err.getvalue()

    settings.PRIVATE_STORAGE_ROOT = tmp_path / "restored-files"
    with pytest.raises(CommandError, match="未恢复任何内容"):
        call_command("restore", str(backup), database=scratch, stdout=io.StringIO(), stderr=io.StringIO())
    assert connections[scratch].introspection.table_names() == []
    assert not (tmp_path / "restored-files").exists()


def test_an_intact_backup_verifies(data, tmp_path):
    backup = _backup(tmp_path)
    out = io.StringIO()
    call_command("verify_backup", str(backup), stdout=out)
    assert "备份完好" in out.getvalue()
    assert {oct(p.stat().st_mode & 0o777) for p in backup.rglob("*") if p.is_file()} == {oct(0o600)}
    assert backup.stat().st_mode & 0o777 == 0o700


def test_a_changed_database_copy_is_detected(data, tmp_path):
    backup = _backup(tmp_path)
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    with open(backup / manifest["database"]["file"], "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(CommandError):
        call_command("verify_backup", str(backup), stdout=io.StringIO(), stderr=io.StringIO())


def test_verify_reports_a_restore_whose_rows_or_files_differ(data, personas, scratch, tmp_path, settings):
    backup = _backup(tmp_path)
    restored = tmp_path / "restored-files"
    settings.PRIVATE_STORAGE_ROOT = restored
    call_command("restore", str(backup), database=scratch, stdout=io.StringIO())

    key = Attachment.objects.order_by("pk").values_list("storage_key", flat=True).first()
    (restored / key).write_bytes(b"changed after the restore")
    Notification.objects.using(scratch).create(user=personas.applicant, subject="多出一行", body="x")
    err = io.StringIO()
    with pytest.raises(CommandError, match="恢复结果与备份清单不符"):
        call_command("restore", str(backup), database=scratch, verify=True, stdout=io.StringIO(), stderr=err)
    assert key in err.getvalue()
    assert "core_notification" in err.getvalue()


def test_audit_rows_appended_after_the_backup_are_not_a_difference(data, tmp_path):
    from sciplan.core import audit

    backup = _backup(tmp_path)
    audit.record("test.after_backup")
    call_command("restore", str(backup), verify=True, stdout=io.StringIO())


def test_backup_refuses_a_directory_that_is_not_empty(data, tmp_path):
    target = tmp_path / "backup"
    target.mkdir()
    (target / "something").write_text("x")
    with pytest.raises(CommandError, match="不是空的"):
        call_command("backup", str(target), stdout=io.StringIO())


@pytest.mark.postgres
def test_postgres_backup_is_a_pg_dump_custom_archive_restored_with_pg_restore(
    data, scratch, tmp_path, settings
):
    backup = _backup(tmp_path)
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["engine"] == "postgresql"
    assert (backup / "database.dump").read_bytes()[:5] == b"PGDMP"

    settings.PRIVATE_STORAGE_ROOT = tmp_path / "restored-files"
    call_command("restore", str(backup), database=scratch, stdout=io.StringIO())
    assert _row_counts(scratch) == _row_counts("default")
    # The append-only trigger came back with the data.
    with connections[scratch].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'core_auditevent'::regclass AND NOT tgisinternal"
        )
        assert cursor.fetchone()[0] >= 1
    # Forced over itself, pg_restore --clean replaces the objects in one transaction.
    call_command("restore", str(backup), database=scratch, force=True, stdout=io.StringIO())
    assert _row_counts(scratch) == _row_counts("default")
