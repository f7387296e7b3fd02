"""Private file storage for uploads and generated documents.

Files are stored under generated keys (never the uploader's file name) outside any public URL; they are
served only by views that check permission first (STANDARDS D20). The embedded default is a directory
(``PRIVATE_STORAGE_ROOT``); ``SCIPLAN_STORAGE=s3`` configures ``STORAGES['private']`` as django-storages'
S3 backend (settings.py). Everything here, and every caller, goes through Django's ``Storage`` API only
(``open``, ``save``, ``delete``, ``exists``, ``listdir``), never a file-system path, so both backends
behave the same: writing, hashing, serving, deleting, verifying and backing up.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
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


def describe_private_storage() -> str:
    """Where the private files are, for messages to operators: the directory, or the bucket and prefix."""
    backend = private_storage()
    if isinstance(backend, FileSystemStorage):
        return f"私有文件目录 {backend.location}"
    bucket = getattr(backend, "bucket_name", "")
    if bucket:
        location = getattr(backend, "location", "")
        return f"私有文件存储桶 {bucket}" + (f"/{location}" if location else "")
    return f"私有文件存储（{type(backend).__name__}）"


def all_keys(backend: Storage | None = None) -> list[str]:
    """Every key in private storage, sorted, through ``listdir`` (a bucket's prefix, or the directory).
    A directory that does not exist yet holds no keys."""
    found = backend or private_storage()

    def walk(prefix: str) -> Iterator[str]:
        try:
            directories, files = found.listdir(prefix)
        except FileNotFoundError:
            return
        for name in files:
            yield f"{prefix}/{name}" if prefix else name
        for name in directories:
            yield from walk(f"{prefix}/{name}" if prefix else name)

    return sorted(walk(""))


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


# Suffixes that name a file type. An uploaded name ending in any run of them ("x.pdf.exe", "证书.jpg.html")
# loses the whole run and gets the extension of the type its content was recognised as, so the name a
# reviewer downloads never suggests another program than the one that opens it. Other dots in a name
# ("2024.06 合作协议", "方案v1.2") are part of the name and stay.
TYPE_SUFFIXES = frozenset(
    # Grouped by kind, one line a kind: easier to read than the one-item-per-line list SIM905 asks for.
    (  # noqa: SIM905
        "pdf ofd doc docx docm dot dotx xls xlsx xlsm xlt ppt pptx pptm wps et dps rtf txt csv xml json "
        "jpg jpeg jpe png gif bmp tif tiff webp svg heic ico "
        "htm html xhtml mht mhtml shtml php asp aspx jsp "
        "exe com scr pif bat cmd msi msp dll sys cpl lnk url reg hta jar apk app dmg iso img "
        "js jse vbs vbe wsf wsh ps1 psm1 sh bash py pl rb "
        "zip rar 7z gz tgz bz2 xz tar cab arj lzh"
    ).split()
)


def stored_name(filename: str, *, kind: str) -> str:
    """The display name an upload is kept under: :func:`clean_filename`, with any trailing run of
    file-type suffixes replaced by the extension of ``kind``, the sniffed content kind
    (``x.pdf.exe`` with PDF content → ``x.pdf``; ``扫描件`` with JPEG content → ``扫描件.jpg``)."""
    from sciplan.core.filetypes import EXTENSIONS

    extension = EXTENSIONS[kind]
    stem = clean_filename(filename, max_length=120 - len(extension) - 1)
    while True:
        base, dot, suffix = stem.rpartition(".")
        if not dot or not base.strip(" ._") or suffix.lower() not in TYPE_SUFFIXES:
            break
        stem = base.rstrip(" .")
    if stem.lower() in TYPE_SUFFIXES or not stem.strip(" ._"):
        stem = "file"
    return f"{stem}.{extension}"


def save_private(fileobj: IO[bytes], *, prefix: str, extension: str) -> str:
    """Store ``fileobj`` under a new random key and return the key.

    Outside a :func:`files_with_rows` block nothing removes the file if the row naming it is never
    written; uploads go through :func:`store_in_transaction` instead.
    """
    key = f"{prefix}/{uuid.uuid4().hex}.{extension}"
    fileobj.seek(0)
    return private_storage().save(key, File(fileobj))


# --- files and the rows that name them (STANDARDS F28) -------------------------------------------------
#
# A file is written before the row that names it, so a failure at any later step — the row, the audit
# record, a version bump, the COMMIT itself, or a savepoint rolled back inside — would leave a file no
# row names. ``files_with_rows()`` is the one pattern for that: it opens the transaction, the files are
# written inside it with ``store_in_transaction()``, and when the transaction has ended (committed or
# not) every file written in it that no committed row names is removed. Django 5.2 has no on-rollback
# hook, so the guard asks the outcome directly: after the transaction has ended the database is asked
# which of the keys a row names (savepoints rolled back inside and a failed COMMIT both show as "none").
# If the database cannot answer after a failure, a file is kept only if its ``transaction.on_commit``
# callback ran, which proves the commit.


class _Scope:
    def __init__(self):
        self.written: list[str] = []
        self.kept: set[str] = set()


def _scopes() -> list[_Scope]:
    from django.db import DEFAULT_DB_ALIAS, connections

    # On the calling thread's own connection object: ``django.db.connection`` is a proxy that every
    # thread of a process shares, so scopes kept on it would mix concurrent requests' files.
    return connections[DEFAULT_DB_ALIAS].__dict__.setdefault("_sciplan_file_scopes", [])


def _named_by_a_row(keys: list[str]) -> set[str]:
    named: set[str] = set()
    for model in stored_file_models():
        named.update(model.objects.filter(storage_key__in=keys).values_list("storage_key", flat=True))
    return named


def _remove_orphans(scope: _Scope, *, failed: bool) -> None:
    import logging

    keys = list(scope.written)
    if not keys:
        return
    try:
        named = _named_by_a_row(keys)
    except Exception:
        # The database cannot say. After a failure, only a file whose commit callback ran can have a
        # row; after a success, keep what is unsure.
        logging.getLogger("sciplan.storage").exception("could not check stored files against rows")
        named = set(scope.kept) if failed else set(keys)
    for key in keys:
        if key not in named:
            try:
                delete_private(key)
            except Exception:
                # A file system error or an object store's (botocore's errors are not OSError): the
                # failure being cleaned up after must still reach the caller, not this one.
                logging.getLogger("sciplan.storage").exception("could not remove orphan file %s", key)


@contextmanager
def files_with_rows():
    """``with files_with_rows():`` — a transaction in which files stored with :func:`store_in_transaction`
    survive only together with a committed row that names them.

    Outermost, it sees the commit and cleans up after it. Nested inside another ``files_with_rows``
    block, the outer block decides. Nested inside a plain ``transaction.atomic`` (which never tells
    anyone whether it committed), a failure of this block still removes its files; the outcome of the
    enclosing transaction is that transaction's owner's to handle, so services open this block outermost.
    """
    from django.db import transaction

    stack = _scopes()
    outermost = not stack
    plain_outer = outermost and transaction.get_connection().in_atomic_block
    scope = _Scope() if outermost else stack[0]
    if outermost:
        stack.append(scope)
    mark = len(scope.written)
    try:
        with transaction.atomic():
            yield scope
    except BaseException:
        if outermost:
            stack.pop()
            _remove_orphans(scope, failed=True)
        else:
            # This savepoint was rolled back: its files are orphans whatever the outer block does.
            own = _Scope()
            own.written = scope.written[mark:]
            _remove_orphans(own, failed=True)
        raise
    if outermost:
        stack.pop()
        if not plain_outer:
            _remove_orphans(scope, failed=False)


def store_in_transaction(fileobj: IO[bytes], *, prefix: str, extension: str) -> str:
    """Store a file for a row written in the same :func:`files_with_rows` block; return its key."""
    from django.db import transaction

    stack = _scopes()
    if not stack:
        raise RuntimeError("store_in_transaction() must run inside files_with_rows()")
    scope = stack[0]
    key = save_private(fileobj, prefix=prefix, extension=extension)
    scope.written.append(key)
    transaction.on_commit(lambda: scope.kept.add(key), robust=True)
    return key


def store_upload(fileobj: IO[bytes], *, filename: str, kind: str, prefix: str, by) -> dict:
    """Store an upload inside :func:`files_with_rows` and return the columns every stored-file row
    carries (``original_name``, ``storage_key``, ``content_kind``, ``size``, ``sha256``, ``uploaded_by``),
    to pass to the row's ``create``. ``kind`` is the sniffed content kind."""
    from sciplan.core.filetypes import EXTENSIONS

    digest = sha256_of(fileobj)
    size = fileobj.seek(0, 2)
    fileobj.seek(0)
    return {
        "original_name": stored_name(filename, kind=kind),
        "storage_key": store_in_transaction(fileobj, prefix=prefix, extension=EXTENSIONS[kind]),
        "content_kind": kind,
        "size": size,
        "sha256": digest,
        "uploaded_by": by,
    }


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


def stored_row(key: str):
    """The row that names ``key`` (an attachment, a letter, a photo …), or ``None``."""
    for model in stored_file_models():
        row = model.objects.filter(storage_key=key).first()
        if row is not None:
            return row
    return None


def describe_stored(row) -> dict:
    """What an audit row says to name a stored file: its model, id and the name it was uploaded as."""
    if row is None:
        return {}
    detail = {"file": f"{row._meta.label_lower}#{row.pk}"}
    name = getattr(row, "original_name", "")
    if name:
        detail["name"] = name
    return detail


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


def open_verified(key: str, expected_sha256: str, *, actor=None, obj=None, ip: str | None = None) -> File:
    """Open a stored file and check it against its recorded hash; refuse (and audit) one that no longer
    matches or is gone (STANDARDS D21).

    The handle returned holds the very bytes that were hashed, rewound: the object store's download is
    read once into a temporary file, so what is served is what was checked, with no second request in
    which the object could change. The caller closes it (a ``FileResponse`` does when it is sent).
    """
    from sciplan.core import audit
    from sciplan.core.http import client_ip

    request = audit.current_request()
    if request is not None:
        user = getattr(request, "user", None)
        actor = actor or (user if getattr(user, "is_authenticated", False) else None)
        ip = ip or client_ip(request)
    handle: File | None
    try:
        handle = private_storage().open(key, "rb")
    except FileNotFoundError:
        handle, actual = None, "missing"
    else:
        try:
            actual = sha256_of(handle)
        except BaseException:
            handle.close()
            raise
    if actual == expected_sha256 and handle is not None:
        return handle
    if handle is not None:
        handle.close()
    row = stored_row(key)
    audit.record(
        "file.tampered",
        actor=actor,
        obj=obj or row,
        ip=ip,
        outcome="refused",
        detail={"key": key, "expected": expected_sha256, "actual": actual, **describe_stored(row)},
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
    :class:`TamperedFile` and an audit event instead of being served (STANDARDS D21). The bytes are
    streamed by this process from the storage backend, also from object storage: the client never
    talks to the bucket (docs/decisions.md, "Downloads from object storage are streamed").
    """
    expected = sha256 or recorded_sha256(key)
    if expected:
        handle = open_verified(key, expected, actor=actor, obj=obj, ip=ip)
    else:
        handle = private_storage().open(key, "rb")
    response = FileResponse(handle, content_type=content_type)
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
