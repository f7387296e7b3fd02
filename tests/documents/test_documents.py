"""The 申报书, the 实施方案 and the receipt, read back from the generated PDF and DOCX files."""

from __future__ import annotations

import re

import pytest

from sciplan.applications.sections import SECTIONS
from sciplan.documents import codes, content, services
from sciplan.documents.content import label
from tests.documents.conftest import docx_tables, docx_text, pdf_fonts, pdf_text, squeeze

MEMBER_NAMES = ["中南大学", "湖南理工学院", "岳阳市产品质量检验检测中心"]


def _field_texts(version, document: str) -> list[str]:
    """Every section title, field label and text value of ``document`` as it must appear."""
    fields = version.snapshot["fields"]
    expected = []
    for section in (s for s in SECTIONS if s.document == document):
        if section.title != "实施方案":
            expected.append(section.title)
        for name in section.fields:
            value = fields.get(name)
            if (
                isinstance(value, str)
                and value
                and name not in ("start_date", "end_date", "planned_investment", "lead_standing_level")
            ):
                expected.extend([label(name), value])
    return expected


def _missing(expected: list[str], text: str) -> list[str]:
    return [item for item in expected if squeeze(item) not in text]


def test_application_pdf_has_every_section_members_and_totals(version):
    text = pdf_text(services.render(version, "application_pdf"))

    expected = [
        *_field_texts(version, "application"),
        *MEMBER_NAMES,
        "岳阳市高性能聚烯烃新材料创新联合体",
        "岳阳华辰新材料股份有限公司",
        "云溪区",
        "合计165,000.001,410.00",
        "成员单位共3家，其中岳阳市内2家、市外1家",
        "承诺书",
        "岳阳市科学技术局制",
        "牵头单位意见",
        "推荐单位意见",
        "财政部门意见",
        f"回执编号：{version.receipt_no}",
        codes.display(codes.derive(version.content_hash)),
    ]
    assert _missing(expected, text) == []


def test_application_docx_has_every_section_members_and_totals(version):
    data = services.render(version, "application_docx")
    text = docx_text(data)
    tables = docx_tables(data)

    finance = next(t for t in tables if t[0] == ["年度", "营业收入（万元）", "研发投入（万元）"])
    members = next(t for t in tables if t[0][1:3] == ["单位名称", "统一社会信用代码"])
    assert _missing([*_field_texts(version, "application"), "承诺书", "财政部门意见"], text) == []
    assert finance[-1] == ["合计", "165,000.00", "1,410.00"]
    assert [row[1] for row in members[1:]] == MEMBER_NAMES


@pytest.mark.parametrize("kind", ["plan_pdf", "plan_docx"])
def test_plan_has_every_chapter(version, kind):
    data = services.render(version, kind)
    text = pdf_text(data) if kind.endswith("pdf") else docx_text(data)

    expected = [
        *_field_texts(version, "plan"),
        "岳阳市高性能聚烯烃新材料创新联合体实施方案",
        "一、攻关任务（三个一代）",
        "八、预期成果与考核指标",
        "审核推荐意见",
    ]
    assert _missing(expected, text) == []


def test_park_application_has_no_finance_box(call, personas):
    from sciplan.applications.demo import build_complete_application
    from sciplan.applications.services import submit_application

    application = build_complete_application(call, personas.applicant_b, direction="智能装备")
    version = submit_application(application, by=personas.applicant_b)

    text = docx_text(services.render(version, "application_docx"))

    assert ("推荐单位意见" in text, "财政部门意见" in text) == (True, False)


def test_receipt_pdf_has_number_time_version_and_code(version):
    text = pdf_text(services.render(version, "receipt_pdf"))
    from sciplan.core import clock

    expected = [
        "网上申报提交回执",
        f"回执编号：{version.receipt_no}",
        clock.fmt(version.submitted_at),
        "第1版",
        codes.display(codes.derive(version.content_hash)),
        version.content_hash,
    ]
    assert _missing(expected, text) == []


def test_long_texts_and_many_members_flow_across_pages_uncut(call, personas):
    from tests.documents.builders import submitted_max_version

    version = submitted_max_version(call, personas.applicant, members=15)
    fields = version.snapshot["fields"]

    header = version.snapshot["call"]["title"]
    text = pdf_text(services.render(version, "application_pdf"), header=header)
    plan_text = pdf_text(services.render(version, "plan_pdf"), header=header)

    members = version.snapshot["members"]
    assert len(members) == 15
    assert (
        _missing(
            [fields["basis"], *(m["name"] for m in members), *(m["cooperation_results"] for m in members)],
            text,
        )
        == []
    )
    assert (
        _missing(
            [fields[name] for name in ("task_application", "local_support", "expected_results")],
            plan_text,
        )
        == []
    )


def test_draft_preview_is_watermarked_and_has_no_code(complete_application, personas):
    result = services.draft_preview(complete_application.pk, by=personas.applicant)
    text = pdf_text(result.data)

    printed_codes = re.findall(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", text)

    assert ("草稿预览" in text, "草稿·无校验码" in text, printed_codes) == (True, True, [])
    assert result.filename == "岳阳市高性能聚烯烃新材料创新联合体申报书_草稿预览.pdf"


def test_content_build_uses_frozen_snapshot_not_live_form(version, personas):
    from sciplan.applications.models import Application

    Application.objects.filter(pk=version.application_id).update(basis="提交后才改的文字")

    document = content.build(version.snapshot, "application", code=codes.derive(version.content_hash))
    texts = [p for c in document.chapters for b in c.blocks if hasattr(b, "paragraphs") for p in b.paragraphs]

    assert "提交后才改的文字" not in texts
    assert version.snapshot["fields"]["basis"] in texts


@pytest.mark.parametrize("kind", ["application_pdf", "plan_pdf", "receipt_pdf"])
def test_pdf_embeds_every_font_it_uses(version, kind):
    fonts = pdf_fonts(services.render(version, kind))

    # the two cuts of Noto CJK (documents/fonts.py), embedded, every character with its glyph
    assert fonts == {"SciPlan-Sans": (True, "/Identity-H"), "SciPlan-Serif": (True, "/Identity-H")}
