"""Helpers for document tests: reading text back out of PDF and DOCX files."""

from __future__ import annotations

import io
import re

import docx
import pytest
from pypdf import PdfReader

_SPACE = re.compile(r"\s+")


def squeeze(text: str) -> str:
    """Text without any whitespace: PDF extraction breaks lines wherever the layout wrapped them."""
    return _SPACE.sub("", text)


_MARGINS = re.compile(
    r"第\d+版·校验码[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}|第\d+页共\d+页|草稿预览·未提交·不作为申报材料"
)


def pdf_text(data: bytes, *, header: str = "") -> str:
    """The text of every page, squeezed, without the page header (``header``) and footer, so a paragraph
    that flows onto the next page reads as one."""
    pages = []
    for page in PdfReader(io.BytesIO(data)).pages:
        text = _MARGINS.sub("", squeeze(page.extract_text()))
        if header:
            text = text.replace(squeeze(header), "")
        pages.append(text)
    return "".join(pages)


def pdf_pages(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    for section in document.sections:
        parts.extend(p.text for p in section.header.paragraphs)
        parts.extend(p.text for p in section.footer.paragraphs)
    return squeeze("\n".join(parts))


def docx_tables(data: bytes) -> list[list[list[str]]]:
    document = docx.Document(io.BytesIO(data))
    return [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]


@pytest.fixture
def version(submitted_application):
    return submitted_application.versions.get(number=1)


@pytest.fixture
def resubmitted(submitted_application, personas):
    """The application returned by its county and submitted again: version 1 is superseded by 2."""
    from sciplan.applications.models import Application
    from sciplan.applications.services import submit_application
    from sciplan.applications.workflow import Action, transition

    transition(submitted_application, Action.RETURN, by=personas.county, reason="请补充本地配套数据。")
    application = Application.objects.get(pk=submitted_application.pk)
    submit_application(application, by=personas.applicant)
    return Application.objects.get(pk=submitted_application.pk)


def pdf_fonts(data: bytes) -> dict[str, tuple[bool, str]]:
    """Every font the PDF's pages use: its name (without the subset tag) → (embedded, encoding).
    WeasyPrint writes a font whose text needed a glyph the font lacks with its own CMap instead of
    ``/Identity-H``, mapping those characters to the .notdef box."""
    fonts = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            embedded = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
            encoding = font.get("/Encoding")
            fonts[str(font["/BaseFont"]).split("+", 1)[-1]] = (embedded, str(encoding.get_object()))
    return fonts
