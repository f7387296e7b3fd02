"""Attachments: type by content, private storage, sha256, never lose a file a version refers to."""

from __future__ import annotations

import io
import zipfile

import pytest

from sciplan.applications import queries
from sciplan.applications.demo import sample_pdf
from sciplan.applications.models import Attachment
from sciplan.applications.services import delete_attachment, upload_attachment
from sciplan.core import storage
from sciplan.core.errors import NotFound, ValidationFailed

pytestmark = pytest.mark.django_db


def upload(app, user, data: bytes, name="文件.pdf", kind="other"):
    return upload_attachment(app, kind=kind, fileobj=io.BytesIO(data), filename=name, by=user)


def test_html_named_pdf_is_refused(complete_application, personas):
    with pytest.raises(ValidationFailed) as caught:
        upload(
            complete_application, personas.applicant, b"<html><script>alert(1)</script></html>", "报告.pdf"
        )

    assert caught.value.field_errors == {
        "file": "“其他材料”只接受PDF、DOCX、XLSX、JPG、PNG文件；所选文件的内容不是这些格式。"
    }


def test_real_pdf_is_stored_privately_with_its_hash(complete_application, personas):
    data = sample_pdf()
    attachment = upload(complete_application, personas.applicant, data, "../../etc/passwd\x07申报.pdf")

    assert attachment.original_name == "passwd_申报.pdf"
    assert attachment.storage_key.startswith(f"applications/{complete_application.pk}/")
    assert attachment.sha256 == storage.stored_sha256(attachment.storage_key)
    assert attachment.size == len(data)


def test_zip_bomb_docx_is_refused_without_inflating(complete_application, personas):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"0" * (50 * 1024 * 1024))

    with pytest.raises(ValidationFailed) as caught:
        upload(complete_application, personas.applicant, buffer.getvalue(), "章程.docx", kind="charter")

    assert caught.value.field_errors == {"file": "文件解压后体积异常（疑似压缩炸弹），已拒绝。"}


def test_attachment_of_another_unit_is_not_found(complete_application, personas):
    attachment = complete_application.attachments.first()

    with pytest.raises(NotFound):
        queries.get_attachment_for(personas.applicant_b, attachment.pk)
    assert queries.get_attachment_for(personas.applicant, attachment.pk) == attachment


def test_deleting_a_file_of_a_submitted_version_only_hides_it(submitted_application, personas):
    from sciplan.applications.models import Application

    app = submitted_application
    Application.objects.filter(pk=app.pk).update(status="returned")
    app.refresh_from_db()
    attachment = app.attachments.get(kind="charter")

    delete_attachment(attachment, by=personas.applicant)

    kept = Attachment.objects.get(pk=attachment.pk)
    assert kept.removed_at is not None
    assert storage.private_storage().exists(kept.storage_key)


def test_deleting_a_never_submitted_file_removes_it(
    complete_application, personas, django_capture_on_commit_callbacks
):
    attachment = upload(complete_application, personas.applicant, sample_pdf())
    key = attachment.storage_key

    with django_capture_on_commit_callbacks(execute=True):
        delete_attachment(attachment, by=personas.applicant)

    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert not storage.private_storage().exists(key)


# --- STANDARDS F28: no outcome leaves a file without a row ----------------------------------------


def _files_on_disk(settings) -> set[str]:
    root = settings.PRIVATE_STORAGE_ROOT
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _orphans(settings) -> set[str]:
    named = set()
    for model in storage.stored_file_models():
        named.update(model.objects.values_list("storage_key", flat=True))
    return _files_on_disk(settings) - named


def _fail_commit():
    from unittest import mock

    from django.db import DatabaseError, connection

    return mock.patch.object(connection, "commit", side_effect=DatabaseError("connection lost at COMMIT"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "step",
    ["create", "audit", "version_bump", "commit"],
)
def test_a_failure_at_any_step_of_an_upload_leaves_no_orphan_file(
    complete_application, personas, settings, step
):
    from unittest import mock

    from django.db import DatabaseError

    before = Attachment.objects.count()
    assert _orphans(settings) == set()
    patches = {
        "create": mock.patch.object(Attachment.objects, "create", side_effect=DatabaseError("insert failed")),
        "audit": mock.patch(
            "sciplan.applications.services.audit.record", side_effect=DatabaseError("audit write failed")
        ),
        "version_bump": mock.patch(
            "sciplan.applications.services._bump", side_effect=DatabaseError("version bump failed")
        ),
        "commit": _fail_commit(),
    }
    written = []
    real_save = storage.save_private

    def spy(*args, **kwargs):
        written.append(real_save(*args, **kwargs))
        return written[-1]

    with (
        mock.patch("sciplan.core.storage.save_private", side_effect=spy),
        patches[step],
        pytest.raises(DatabaseError),
    ):
        upload(complete_application, personas.applicant, sample_pdf(), "失败.pdf")

    assert len(written) == 1  # the file was really written before the failure
    assert Attachment.objects.count() == before
    assert _orphans(settings) == set()


@pytest.mark.django_db(transaction=True)
def test_a_committed_upload_keeps_its_file(complete_application, personas, settings):
    attachment = upload(complete_application, personas.applicant, sample_pdf(), "成功.pdf")

    assert attachment.storage_key in _files_on_disk(settings)
    assert _orphans(settings) == set()


@pytest.mark.django_db(transaction=True)
def test_a_letter_whose_commit_fails_leaves_no_file(call, personas, settings):
    from django.db import DatabaseError

    from sciplan.recommendations.services import upload_letter

    with _fail_commit(), pytest.raises(DatabaseError):
        upload_letter(call, fileobj=io.BytesIO(sample_pdf()), filename="推荐函.pdf", by=personas.county)

    assert _orphans(settings) == set()
