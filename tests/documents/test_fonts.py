"""The cut CJK fonts of the PDFs: made once, complete for GB 2312, and never a missing glyph outside it."""

from __future__ import annotations

import logging
import threading

from fontTools.ttLib import TTFont

from sciplan.applications import services as application_services
from sciplan.applications.models import Application
from sciplan.applications.sections import SECTIONS
from sciplan.documents import fonts, pdf, services
from tests.documents.conftest import pdf_fonts, pdf_text

# Characters of people's and companies' names that GB 2312 lacks (GBK has them), and one of CJK
# extension B: the cut has none of them, the full Noto faces have all.
RARE = "堃喆犇玥珺昇镕祎𠀾"


def test_cut_has_every_character_of_gb2312_under_its_own_name(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    path = fonts.cut_path(fonts.SERIF)
    font = TTFont(path)
    cmap = font.getBestCmap()
    names = font["name"]
    source, index = fonts._source(fonts.SERIF)
    source_cmap = TTFont(source, fontNumber=index, lazy=True).getBestCmap()

    assert len(fonts.gb2312()) == 6763 + 682
    assert sorted(fonts.gb2312() - cmap.keys()) == []
    assert sorted((fonts.charset() & source_cmap.keys()) - cmap.keys()) == []
    assert [c for c in RARE if ord(c) in cmap] == []
    assert (names.getDebugName(1), names.getDebugName(6)) == ("SciPlan Serif", "SciPlanSerif-Regular")
    assert "SIL Open Font License" in names.getDebugName(13)  # the license travels with the cut


def test_cut_is_made_once_and_then_only_read(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    first = fonts.cut_path(fonts.SANS)
    made = first.stat().st_mtime_ns
    again = fonts.cut_path(fonts.SANS)

    assert again == first
    assert again.stat().st_mtime_ns == made
    assert [p.name for p in (tmp_path / "fonts").iterdir()] == [first.name]  # no half-written file left


def test_face_that_is_not_installed_gives_no_cut(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    missing = fonts.Face("SciPlan Test", "No Such Font CJK XX", "SciPlanTest-Regular")

    assert fonts.cut_path(missing) is None
    assert not (tmp_path / "fonts").exists()


def _submitted_with(application: Application, text: str, user) -> Application:
    section = next(s for s in SECTIONS if s.document == "application" and "basis" in s.fields)
    application_services.save_section(
        application, section.code, {"basis": text}, base_version=application.version, by=user
    )
    application_services.submit_application(Application.objects.get(pk=application.pk), by=user)
    return Application.objects.get(pk=application.pk)


def test_characters_outside_the_cut_print_from_the_full_face(complete_application, personas, caplog):
    text = f"牵头单位负责人王{RARE}长期从事聚烯烃研究。"
    application = _submitted_with(complete_application, text, personas.applicant)
    version = application.versions.get()

    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        data = services.render(version, "application_pdf")
    used = pdf_fonts(data)

    assert text in pdf_text(data)
    assert {name: encoding for name, (_, encoding) in used.items()} == {
        "SciPlan-Sans": "/Identity-H",
        "SciPlan-Serif": "/Identity-H",
        "Noto-Serif-CJK-SC": "/Identity-H",  # the rare characters, and only they
    }
    assert all(embedded for embedded, _ in used.values())
    assert [r.getMessage() for r in caplog.records if ".notdef" in r.getMessage()] == []


def test_threads_render_at_once_each_with_its_own_fonts():
    html = "<html lang='zh-Hans'><body><h2>审核推荐意见</h2><p>同意推荐。</p></body></html>"
    results: dict[int, bytes] = {}

    def render(n: int) -> None:
        results[n] = pdf.html_to_pdf(html, stylesheet="document.css")

    threads = [threading.Thread(target=render, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(results) == [0, 1, 2]
    assert [pdf_text(data) for data in results.values()] == ["审核推荐意见同意推荐。"] * 3


def test_render_leaves_the_garbage_collector_as_it_found_it():
    import gc

    html = "<html lang='zh-Hans'><body><p>同意推荐。</p></body></html>"
    states = []
    try:
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            pdf.html_to_pdf(html, stylesheet="document.css")
            states.append(gc.isenabled())
    finally:
        gc.enable()

    assert states == [True, False]
