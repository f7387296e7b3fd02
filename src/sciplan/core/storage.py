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


def attachment_response(key: str, *, filename: str, content_type: str) -> FileResponse:
    """Serve a private file as a download: never inline, never sniffed (STANDARDS D20)."""
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
