"""Private file storage for uploads and generated documents.

Files are stored under generated keys (never the uploader's file name) outside any public URL; they are
served only by views that check permission first (STANDARDS D20). Production can point the backend at
S3-compatible storage through ``STORAGES['private']`` without code change.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from typing import IO

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.http import FileResponse
from django.utils.encoding import escape_uri_path

from sciplan.core.errors import DomainError


def private_storage() -> Storage:
    if "private" in settings.STORAGES:
        return storages["private"]
    return FileSystemStorage(location=settings.PRIVATE_STORAGE_ROOT, base_url=None)


def sha256_of(fileobj: IO[bytes]) -> str:
    digest = hashlib.sha256()
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def clean_filename(name: str, *, max_length: int = 120) -> str:
    """A display name safe to show and to send in Content-Disposition: no path, no control characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .") or "file"
    if len(name) > max_length:
        stem, dot, ext = name.rpartition(".")
        if dot and len(ext) <= 10:
            name = stem[: max_length - len(ext) - 1] + "." + ext
        else:
            name = name[:max_length]
    return name


def save_private(fileobj: IO[bytes], *, prefix: str, extension: str) -> str:
    """Store ``fileobj`` under a new random key and return the key."""
    key = f"{prefix}/{uuid.uuid4().hex}.{extension}"
    fileobj.seek(0)
    return private_storage().save(key, File(fileobj))


def delete_private(key: str) -> None:
    if key:
        private_storage().delete(key)


def stored_sha256(key: str) -> str:
    with private_storage().open(key, "rb") as handle:
        return sha256_of(handle)


def stored_file_models() -> list:
    """Every model that records a private file's key and its SHA-256."""
    from django.apps import apps

    return [
        model
        for model in apps.get_models()
        if {"storage_key", "sha256"} <= {f.name for f in model._meta.get_fields()}
    ]


def recorded_sha256(key: str) -> str:
    for model in stored_file_models():
        found = model.objects.filter(storage_key=key).values_list("sha256", flat=True).first()
        if found:
            return found
    return ""


class TamperedFile(DomainError):
    """The stored bytes no longer match the SHA-256 recorded at upload (STANDARDS D21)."""

    status = 409
    code = "file_tampered"

    def __init__(self):
        super().__init__("文件完整性校验未通过，已拒绝下载并记录，请联系市科技局。")


def check_integrity(key: str, expected_sha256: str, *, actor=None, obj=None, ip: str | None = None) -> None:
    """Refuse (and audit) a stored file whose content no longer matches its recorded hash."""
    from sciplan.core import audit
    from sciplan.core.http import client_ip

    request = audit.current_request()
    if request is not None:
        user = getattr(request, "user", None)
        actor = actor or (user if getattr(user, "is_authenticated", False) else None)
        ip = ip or client_ip(request)
    try:
        actual = stored_sha256(key)
    except FileNotFoundError:
        actual = "missing"
    if actual != expected_sha256:
        audit.record(
            "file.tampered",
            actor=actor,
            obj=obj,
            ip=ip,
            outcome="refused",
            detail={"key": key, "expected": expected_sha256, "actual": actual},
        )
        raise TamperedFile()


def attachment_response(
    key: str,
    *,
    filename: str,
    content_type: str,
    sha256: str | None = None,
    actor=None,
    obj=None,
    ip: str | None = None,
) -> FileResponse:
    """Serve a private file as a download: never inline, never sniffed (STANDARDS D20).

    The file is checked first against ``sha256`` or, when not given, the hash recorded with its key by
    any model that has ``storage_key`` and ``sha256``; a changed file is refused with
    :class:`TamperedFile` and an audit event instead of being served (STANDARDS D21).
    """
    expected = sha256 or recorded_sha256(key)
    if expected:
        check_integrity(key, expected, actor=actor, obj=obj, ip=ip)
    response = FileResponse(private_storage().open(key, "rb"), content_type=content_type)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''" + escape_uri_path(
        clean_filename(filename)
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def bytes_response(data: bytes, *, filename: str, content_type: str) -> FileResponse:
    from io import BytesIO

    response = FileResponse(BytesIO(data), content_type=content_type)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''" + escape_uri_path(
        clean_filename(filename)
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
