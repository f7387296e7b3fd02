"""The budget table of the 实施方案 (chapter 经费预算与投入), in PDF and DOCX, and old versions without it."""

from __future__ import annotations

import io

import docx
import pytest

from sciplan.applications import budget
from sciplan.applications.models import ApplicationVersion
from sciplan.documents import content, docx_builder, pdf_builder, services
from tests.documents.builders import DEMO_BUDGET_ROWS as ROWS
from tests.documents.conftest import docx_tables, pdf_text, squeeze


def _years(version) -> list[int]:
    return [b["year"] for b in version.snapshot["budget"]]


def test_budget_table_has_a_row_per_line_a_column_per_year_and_both_totals(version):
    document = content.build(version.snapshot, "plan", code="X")
    chapter = next(c for c in document.chapters if c.title == "经费预算与投入")
    table = next(b for b in chapter.blocks if isinstance(b, content.Table))
    years = _years(version)

    assert table.headers == [
        "项目",
        f"第一年\n（{years[0]}年）",
        f"第二年\n（{years[1]}年）",
        f"第三年\n（{years[2]}年）",
        "三年合计",
    ]
    assert table.rows == ROWS
    assert (table.emphasis, table.together) == (frozenset({0, 4}), True)
    assert [c.title for c in document.chapters].count("其他来源说明") == 0


def test_plan_docx_prints_the_budget_table_with_rows_kept_whole(version):
    data = services.render(version, "plan_docx")
    table = next(t for t in docx_tables(data) if t[0][0] == "项目")
    rows = docx.Document(io.BytesIO(data)).tables
    budget_table = next(t for t in rows if t.rows[0].cells[0].text == "项目")

    assert table[1:] == ROWS
    assert all(
        r._tr.trPr is not None and r._tr.trPr.find(docx_builder.qn("w:cantSplit")) is not None
        for r in budget_table.rows[1:]
    )
    assert squeeze("其他来源说明：市级科技计划项目资金与银行科技贷款贴息。") in squeeze(
        "".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    )


def test_plan_pdf_prints_the_budget_table_on_one_page(version):
    from pypdf import PdfReader

    data = services.render(version, "plan_pdf")
    pages = [squeeze(p.extract_text()) for p in PdfReader(io.BytesIO(data)).pages]
    years = _years(version)

    on_one_page = [i for i, page in enumerate(pages) if all(squeeze("".join(row)) in page for row in ROWS)]
    assert len(on_one_page) == 1
    assert f"第一年（{years[0]}年）" in pages[on_one_page[0]]
    assert "经费预算表（单位：万元）" in pages[on_one_page[0]]
    assert "其他来源说明：市级科技计划项目资金与银行科技贷款贴息。" in pdf_text(data)


@pytest.mark.parametrize("kind", ["plan_pdf", "plan_docx"])
def test_a_version_submitted_before_the_budget_table_still_prints(version, kind):
    old = dict(version.snapshot, schema=1)
    old.pop("budget")
    old["fields"] = {k: v for k, v in old["fields"].items() if k != budget.OTHER_NOTE}
    ApplicationVersion.objects.filter(pk=version.pk).update(snapshot=old)
    version.refresh_from_db()

    data = services.render(version, kind)

    if kind == "plan_pdf":
        text = pdf_text(data)
        assert ("经费预算与投入" in text, "经费预算表" in text, "近三年营业收入与研发投入" in text) == (
            True,
            False,
            True,
        )
    else:
        headers = [t[0] for t in docx_tables(data)]
        assert ["年度", "营业收入（万元）", "研发投入（万元）"] in headers
        assert not any(h[0] == "项目" for h in headers)


def test_draft_preview_prints_an_unbalanced_budget_as_typed(complete_application, personas):
    from sciplan.applications.services import save_section

    save_section(
        complete_application,
        "plan",
        {"budget_1_use_equipment": "", "budget_1_source_lead": "1,600"},
        base_version=complete_application.version,
        by=personas.applicant,
    )
    result = services.draft_preview(complete_application.pk, by=personas.applicant, document="plan")
    text = pdf_text(result.data)

    assert squeeze("一、资金来源合计2,100.00") in text
    assert squeeze("1. 设备购置费—700.00500.001,200.00") in text


def test_pdf_builder_marks_the_subtotal_rows(version):
    document = content.build(version.snapshot, "plan", code="X")
    chapter = next(c for c in document.chapters if c.title == "经费预算与投入")
    table = next(b for b in chapter.blocks if isinstance(b, content.Table))

    context = pdf_builder._table_context(table)

    assert [row["cls"] for row in context["body"]] == ["total", "", "", "", "total", "", "", "", "", "", ""]
