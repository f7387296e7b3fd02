"""HTML → PDF with WeasyPrint, Chinese fonts embedded (fonts-noto-cjk, installed by the project's setup)."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string

from sciplan.core import authority

PDF_BASE_CSS = """
@page { size: A4; margin: 22mm 20mm 20mm 20mm; }
html { font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", "Source Han Serif SC", serif; font-size: 11pt; }
"""


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    from weasyprint import CSS, HTML

    return HTML(string=html, base_url=base_url or str(settings.BASE_DIR)).write_pdf(
        stylesheets=[CSS(string=PDF_BASE_CSS)]
    )


def render_pdf(template: str, context: dict) -> bytes:
    # Rendered without a request, so without context processors: the issuing authority is passed here.
    return html_to_pdf(render_to_string(template, {"AUTHORITY": authority.current(), **context}))
