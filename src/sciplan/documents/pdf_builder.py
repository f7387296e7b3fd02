"""PDF of the 申报书, the 实施方案 and the submission receipt (WeasyPrint, CJK fonts embedded)."""

from __future__ import annotations

from typing import Any

import segno
from django.template.loader import render_to_string

from sciplan.core import authority
from sciplan.documents.content import Document, Table, Text, fitted_widths, numbered
from sciplan.documents.pdf import html_to_pdf


def css_string(text: str) -> str:
    """``text`` as the inside of a CSS string literal: no quote, backslash, newline or ``<`` can escape."""
    out = []
    for ch in text:
        if ch in '"\\<>' or ord(ch) < 32:
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return "".join(out)


def qr_data_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=4, border=1)


def _table_context(block: Table) -> dict[str, Any]:
    def cells(row: list[str]) -> list[dict[str, str]]:
        return [
            {
                "text": text,
                "cls": "num" if i in block.numeric else ("c" if i == 0 and block.centre_first else ""),
            }
            for i, text in enumerate(row)
        ]

    widths = None
    if block.widths:
        small = len(block.headers) > 5  # the template's table.members: 8.5 pt, 1.4 mm padding
        rows = list(block.rows) + ([block.total] if block.total else [])
        mm = fitted_widths(
            block.headers,
            rows,
            block.widths,
            total_mm=168,
            size_pt=8.5 if small else 10,
            padding_mm=2.8 if small else 4,
            one_line=block.one_line,
        )
        widths = [round(w * 100 / 168, 2) for w in mm]
    return {
        "kind": "table",
        "headers": block.headers,
        "caption": block.caption,
        "body": [
            {"cells": cells(row), "cls": "total" if i in block.emphasis else ""}
            for i, row in enumerate(block.rows)
        ],
        "total": block.total,
        "total_cells": cells(block.total) if block.total else [],
        "col_widths": widths,
        "together": block.together,
    }


def document_context(doc: Document) -> dict[str, Any]:
    chapters = []
    for index, chapter in enumerate(doc.chapters):
        blocks, heading_no = [], 0
        for block in chapter.blocks:
            if isinstance(block, Table):
                blocks.append(_table_context(block))
            elif isinstance(block, Text) and block.heading:
                blocks.append(
                    {
                        "kind": "text",
                        "heading": block.heading,
                        "number": f"（{numbered(heading_no)}）",
                        "paragraphs": block.paragraphs,
                    }
                )
                heading_no += 1
            else:
                blocks.append(block)
        chapters.append({"number": numbered(index), "title": chapter.title, "blocks": blocks})
    return {
        "doc": _DocView(doc, chapters),
        "header_css": css_string(doc.header_text),
        "footer_css": css_string(doc.footer_text),
        "qr": qr_data_uri(doc.verify_url) if doc.verify_url else "",
        "box_height": 52 if len(doc.signatures) == 3 else 70,
    }


class _DocView:
    """The document with its chapters prepared for the template."""

    def __init__(self, doc: Document, chapters: list[dict[str, Any]]):
        self._doc = doc
        self.chapters = chapters

    def __getattr__(self, name: str) -> Any:
        return getattr(self._doc, name)


def document_pdf(doc: Document) -> bytes:
    html = render_to_string("documents/pdf/document.html", document_context(doc))
    return html_to_pdf(html, stylesheet="document.css")


def receipt_pdf(context: dict[str, Any]) -> bytes:
    context = {
        **context,
        "qr": qr_data_uri(context["verify_url"]),
        "AUTHORITY": authority.current(),
        "header_css": css_string(context["call_title"]),
    }
    return html_to_pdf(render_to_string("documents/pdf/receipt.html", context), stylesheet="receipt.css")
