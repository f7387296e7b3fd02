"""Recognising an uploaded file by its content, never by its name (STANDARDS D18, D19)."""

from __future__ import annotations

import zipfile
from typing import IO

# What a declared type is allowed to be, by content. The display label is what the user is told.
LABELS = {"pdf": "PDF", "jpeg": "JPG", "png": "PNG", "docx": "DOCX", "xlsx": "XLSX"}
MIME = {
    "pdf": "application/pdf",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXTENSIONS = {"pdf": "pdf", "jpeg": "jpg", "png": "png", "docx": "docx", "xlsx": "xlsx"}

# A DOCX/XLSX whose parts would inflate past this, or at a ratio past this, is refused unopened.
ZIP_MAX_UNCOMPRESSED = 200 * 1024 * 1024
ZIP_MAX_RATIO = 100
ZIP_MAX_MEMBERS = 2000


class FileTypeError(ValueError):
    """The file is not what it claims, or is dangerous to open. The message is for the user."""


def _ooxml_kind(fileobj: IO[bytes]) -> str | None:
    try:
        archive = zipfile.ZipFile(fileobj)
    except zipfile.BadZipFile:
        return None
    infos = archive.infolist()
    if len(infos) > ZIP_MAX_MEMBERS:
        raise FileTypeError("压缩结构异常（文件条目过多），已拒绝。")
    total = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos) or 1
    if total > ZIP_MAX_UNCOMPRESSED or total / packed > ZIP_MAX_RATIO:
        raise FileTypeError("文件解压后体积异常（疑似压缩炸弹），已拒绝。")
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return None


def sniff(fileobj: IO[bytes]) -> str | None:
    """Return the content kind (``pdf``, ``jpeg``, ``png``, ``docx``, ``xlsx``) or ``None``.

    Reads the head of the file and, for ZIP-based Office files, the central directory only: members are
    never inflated, so a zip bomb costs nothing. Raises :class:`FileTypeError` for a hostile archive.
    """
    fileobj.seek(0)
    head = fileobj.read(16)
    fileobj.seek(0)
    kind: str | None = None
    if head.startswith(b"%PDF-"):
        kind = "pdf"
    elif head.startswith(b"\xff\xd8\xff"):
        kind = "jpeg"
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = "png"
    elif head.startswith(b"PK\x03\x04"):
        kind = _ooxml_kind(fileobj)
    fileobj.seek(0)
    return kind


def describe(kinds: list[str] | tuple[str, ...]) -> str:
    return "、".join(LABELS[k] for k in kinds)
