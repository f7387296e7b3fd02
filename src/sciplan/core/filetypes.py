"""Recognising an uploaded file by its content, never by its name (STANDARDS D18, D19)."""

from __future__ import annotations

import struct
import zipfile
import zlib
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

# A DOCX/XLSX whose parts inflate past this, or past this many times the archive's own size, is refused.
# The bytes are counted by inflating each part with a cap, never taken from the sizes the archive declares.
ZIP_MAX_UNCOMPRESSED = 200 * 1024 * 1024
ZIP_MAX_RATIO = 100
ZIP_RATIO_FLOOR = 10 * 1024 * 1024  # small files may inflate to this much whatever their ratio
ZIP_MAX_MEMBERS = 2000
_CHUNK = 64 * 1024

# Markup that makes a browser or a viewer treat the bytes as a page; a PDF carries none of it in its
# header or after its end marker (a polyglot: "%PDF-<html><script>…", or a page appended after %%EOF).
MARKUP_SIGNATURES = (b"<html", b"<script", b"<!doctype", b"<body", b"<iframe", b"<svg", b"javascript:")
PDF_HEAD_SCAN = 1024


class FileTypeError(ValueError):
    """The file is not what it claims, or is dangerous to open. The message is for the user."""


BOMB = "文件解压后体积异常（疑似压缩炸弹），已拒绝。"
BROKEN_ZIP = "压缩结构异常（与声明的大小不符或已损坏），已拒绝。"


def _inflated_size(fileobj: IO[bytes], info: zipfile.ZipInfo, budget: int) -> int:
    """The bytes ``info`` really inflates to, read from its local entry; stops once past ``budget``."""
    fileobj.seek(info.header_offset)
    header = fileobj.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise FileTypeError(BROKEN_ZIP)
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    fileobj.seek(info.header_offset + 30 + name_length + extra_length)
    if info.compress_type == zipfile.ZIP_STORED:
        data = fileobj.read(min(info.compress_size, budget + 1))
        return len(data)
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise FileTypeError("压缩方式不受支持，请用 Word 或 WPS 重新保存后上传。")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    total = 0
    try:
        while not inflater.eof and total <= budget:
            raw = fileobj.read(_CHUNK)
            if not raw:
                break
            total += len(inflater.decompress(raw, budget - total + 1))
            while inflater.unconsumed_tail and not inflater.eof and total <= budget:
                total += len(inflater.decompress(inflater.unconsumed_tail, budget - total + 1))
    except zlib.error:
        raise FileTypeError(BROKEN_ZIP) from None
    return total


def _ooxml_kind(fileobj: IO[bytes]) -> str | None:
    try:
        archive = zipfile.ZipFile(fileobj)
    except zipfile.BadZipFile:
        return None
    infos = archive.infolist()
    if len(infos) > ZIP_MAX_MEMBERS:
        raise FileTypeError("压缩结构异常（文件条目过多），已拒绝。")
    size = fileobj.seek(0, 2)
    budget = min(ZIP_MAX_UNCOMPRESSED, max(ZIP_MAX_RATIO * size, ZIP_RATIO_FLOOR))
    declared = sum(info.file_size for info in infos)
    if declared > budget:
        raise FileTypeError(BOMB)
    total = 0
    for info in infos:
        inflated = _inflated_size(fileobj, info, budget - total)
        total += inflated
        if total > budget:
            raise FileTypeError(BOMB)
        if inflated != info.file_size:
            raise FileTypeError(BROKEN_ZIP)
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return None


def _check_pdf(fileobj: IO[bytes]) -> None:
    """A PDF must open as one (pypdf reads its page tree) and carry no markup before or after it."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    fileobj.seek(0)
    head = fileobj.read(PDF_HEAD_SCAN).lower()
    size = fileobj.seek(0, 2)
    fileobj.seek(max(size - 64 * 1024, 0))
    tail = fileobj.read()
    end = tail.rfind(b"%%EOF")
    after = tail[end + 5 :] if end >= 0 else tail
    if any(mark in head or mark in after.lower() for mark in MARKUP_SIGNATURES):
        raise FileTypeError("文件不是有效的PDF（含网页或脚本内容），已拒绝。")
    fileobj.seek(0)
    try:
        reader = PdfReader(fileobj, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileTypeError("PDF文件已加密，请上传未加密的文件。")
        if len(reader.pages) < 1:
            raise FileTypeError("PDF文件没有页面，请检查后重新上传。")
    except FileTypeError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError, RecursionError):
        raise FileTypeError("文件不是有效的PDF（无法按PDF结构读取），请重新导出后上传。") from None
    finally:
        fileobj.seek(0)


def sniff(fileobj: IO[bytes], accept: tuple[str, ...] | list[str] | None = None) -> str | None:
    """Return the content kind (``pdf``, ``jpeg``, ``png``, ``docx``, ``xlsx``) or ``None``.

    ``accept``: the kinds the caller takes. A file whose head is of another kind is named by its head
    alone (the caller refuses it by type, with the message about the kinds it takes), not opened.

    Reads the head of the file. A PDF must also open as a PDF and carry no web markup; a ZIP-based Office
    file has each part inflated with a cap (the sizes the archive declares are checked, never trusted).
    Raises :class:`FileTypeError` for a hostile or broken file.
    """
    fileobj.seek(0)
    head = fileobj.read(16)
    fileobj.seek(0)
    kind: str | None = None
    if head.startswith(b"%PDF-"):
        if accept is None or "pdf" in accept:
            _check_pdf(fileobj)
        kind = "pdf"
    elif head.startswith(b"\xff\xd8\xff"):
        kind = "jpeg"
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = "png"
    elif head.startswith(b"PK\x03\x04"):
        kind = _ooxml_kind(fileobj) if accept is None or {"docx", "xlsx"} & set(accept) else None
    fileobj.seek(0)
    return kind


def describe(kinds: list[str] | tuple[str, ...]) -> str:
    return "、".join(LABELS[k] for k in kinds)
