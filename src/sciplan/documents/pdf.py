"""HTML → PDF with WeasyPrint, Chinese fonts embedded (fonts-noto-cjk, installed by the project's setup).

Each thread keeps one WeasyPrint font configuration and the parsed stylesheets for its whole life. A
fresh font configuration per document (WeasyPrint's default) loads fontconfig's configuration again and
makes Pango open and measure the CJK faces again — about 0.8 s of a typical 申报书 — and parsing the
documents' stylesheet costs another 0.1 s. Pango's font map is not shared between threads, so the cache
is per thread. The faces are the subsets of :mod:`sciplan.documents.fonts`.

Python's cyclic garbage collector is paused while WeasyPrint works: a render allocates hundreds of
thousands of objects that live until it ends, and each full collection they trigger walks every object
of the process — Django, the application, the task queue — not just the render's. In a worker that
doubled the time of a typical 申报书 (0.44 s without the collections, 1.0 s with). The render's
garbage is collected once, when it is done.
"""

from __future__ import annotations

import atexit
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from sciplan.core import authority
from sciplan.documents import fonts

PDF_BASE_CSS = """
@page { size: A4; margin: 22mm 20mm 20mm 20mm; }
html { font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", "Source Han Serif SC", serif; font-size: 11pt; }
"""

# The static stylesheets of the documents; each template keeps only its few variable rules inline.
STYLESHEETS = Path(__file__).resolve().parent / "templates" / "documents" / "pdf"


class _Renderer:
    def __init__(self) -> None:
        from weasyprint.text.fonts import FontConfiguration

        self.font_config = FontConfiguration()
        self.font_faces = fonts.font_face_css()
        self.sheets: dict[str, Any] = {}

    def stylesheet(self, name: str) -> Any:
        """The parsed stylesheet ``name`` (a file in :data:`STYLESHEETS`, or "" for the base)."""
        if name not in self.sheets:
            from weasyprint import CSS

            text = (STYLESHEETS / name).read_text(encoding="utf-8") if name else PDF_BASE_CSS
            self.sheets[name] = CSS(string=f"{self.font_faces}\n{text}", font_config=self.font_config)
        return self.sheets[name]


_local = threading.local()


@atexit.register
def _drop_renderer() -> None:
    """Drop this thread's renderer while the interpreter still works: WeasyPrint removes its font
    configuration's temporary folder in ``__del__``, which fails once the modules are torn down (the
    configuration is also held by the styles of documents that only the garbage collector frees)."""
    vars(_local).clear()
    gc.collect()


def _renderer() -> _Renderer:
    renderer = getattr(_local, "renderer", None)
    if renderer is None:
        renderer = _local.renderer = _Renderer()
    return renderer


_gc_lock = threading.Lock()
_gc_pauses = 0  # renders under way; the collector runs again when the last one ends
_gc_was_enabled = True


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (process-wide, so counted across threads) and collect the
    young generation once at the end."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            resume = _gc_pauses == 0 and _gc_was_enabled
            if resume:
                gc.enable()
        if resume:
            gc.collect(0)


def html_to_pdf(html: str, *, base_url: str | None = None, stylesheet: str = "") -> bytes:
    """The PDF of ``html`` with the stylesheet file ``stylesheet`` (the base page and font when empty)."""
    from weasyprint import HTML

    renderer = _renderer()
    with _collector_paused():
        pdf: bytes = HTML(string=html, base_url=base_url or str(settings.BASE_DIR)).write_pdf(
            stylesheets=[renderer.stylesheet(stylesheet)], font_config=renderer.font_config
        )
    return pdf


def render_pdf(template: str, context: dict) -> bytes:
    # Rendered without a request, so without context processors: the issuing authority is passed here.
    return html_to_pdf(render_to_string(template, {"AUTHORITY": authority.current(), **context}))
