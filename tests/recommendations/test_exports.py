"""《创新联合体信息汇总表》 read back with openpyxl and python-docx: every column, every value, rank order,
inert formula-like text, numbers as numbers, A4 landscape, repeated header rows (SPEC §7, §10)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

from sciplan.applications import actions
from sciplan.applications.models import Application
from sciplan.applications.services import save_section, submit_application
from sciplan.recommendations.exporters import export_summary
from tests.factories import application_in_state
from tests.recommendations.conftest import record_clean_credit

pytestmark = pytest.mark.django_db

HEADER_TOP = [
    "序号",
    "联合体名称",
    "产业方向",
    "牵头单位",
    "统一社会信用代码",
    "所在县市区/园区",
    "研发平台及级别",
    "近三年研发投入\n(万元)",
    "成员单位数",
    None,
    "成员单位名单",
    "联系人/职务/手机",
    "推荐单位",
    "推荐排序",
    "备注",
]
HEADER_SUB = [None] * 8 + ["合计", "按类别"] + [None] * 5
MEMBERS = "1. 中南大学（高等学校）\n2. 湖南理工学院（高等学校）\n3. 岳阳市产品质量检验检测中心（服务机构（检验检测））"


@pytest.fixture
def recommended_park(call, personas):
    """Two park applications recommended in the order 智慧物流 (1), 智能装备 (2); the equipment one's
    contact name looks like a formula."""
    equipment = application_in_state(call, personas.applicant_b, "draft", direction="智能装备")
    save_section(
        equipment,
        "basic",
        {"contact_name": '=HYPERLINK("x")'},
        base_version=equipment.version,
        by=personas.applicant_b,
    )
    submit_application(Application.objects.get(pk=equipment.pk), by=personas.applicant_b)
    logistics = application_in_state(call, personas.applicant_gangcheng, "submitted", direction="智慧物流")
    for application, rank in ((equipment, 1), (logistics, 1)):
        application = Application.objects.get(pk=application.pk)
        actions.perform(application, "accept", by=personas.park)
        record_clean_credit(application, personas.park)
        actions.perform(
            Application.objects.get(pk=application.pk),
            "recommend",
            by=personas.park,
            payload={"opinion": "同意推荐。", "rank": rank},
        )
    return {"equipment": equipment, "logistics": logistics}


def expected_rows(personas, apps):
    park = personas.park.recommender.name
    rows = []
    for index, (_key, user, direction, contact) in enumerate(
        (
            ("logistics", personas.applicant_gangcheng, "智慧物流", personas.applicant_gangcheng.name),
            ("equipment", personas.applicant_b, "智能装备", '=HYPERLINK("x")'),
        ),
        start=1,
    ):
        rows.append(
            [
                index,
                f"岳阳市{direction}创新联合体",
                "现代石化（石化新材料）",
                user.unit.name,
                user.unit.uscc,
                park,
                f"湖南省{direction}工程技术研究中心（省级）",
                Decimal("1410.00"),
                3,
                "高等学校2家\n服务机构（检验检测）1家",
                MEMBERS,
                f"{contact}\n科技部部长\n13807301234",
                park,
                index,
                None,
            ]
        )
    return rows


def test_summary_xlsx_reads_back_every_column_in_rank_order(recommended_park, personas, call):
    data, filename, _content_type = export_summary(personas.park, call.pk, "xlsx")
    ws = load_workbook(io.BytesIO(data)).active

    expected = expected_rows(personas, recommended_park)
    body = [[c.value for c in row] for row in ws.iter_rows(min_row=5, max_row=4 + len(expected))]
    formula_cell = ws.cell(row=6, column=12)

    assert filename == f"创新联合体信息汇总表-{call.year}-岳阳经济技术开发区.xlsx"
    assert ws["A1"].value == "创新联合体信息汇总表"
    assert ws["A2"].value.startswith(f"批次：{call.title}    推荐单位（盖章）：岳阳经济技术开发区")
    assert [c.value for c in ws[3]] == HEADER_TOP
    assert [c.value for c in ws[4]] == HEADER_SUB
    assert [[Decimal(str(v)) if i == 7 else v for i, v in enumerate(row)] for row in body] == expected
    assert (formula_cell.data_type, formula_cell.quotePrefix) == ("s", True)
    assert [ws.cell(row=5, column=c).data_type for c in (1, 8, 9, 14)] == ["n", "n", "n", "n"]
    assert ws.print_title_rows == "$3:$4"
    assert (ws.page_setup.orientation, ws.page_setup.paperSize) == ("landscape", 9)
    assert (ws["A1"].font.name, ws["B5"].font.name) == ("宋体", "宋体")
    assert ws.cell(row=5, column=11).alignment.wrap_text is True
    # 3 members and 2 categories: the row is as tall as the 3-line member list
    assert ws.row_dimensions[5].height >= 3 * 13.5
    notes = [ws.cell(row=r, column=1).value for r in range(5 + len(expected), ws.max_row + 1)]
    assert [n for n in notes if n] == [
        "推荐单位（岳阳经济技术开发区）负责人（签字）：　　　　　　（盖章）　　年　　月　　日",
        "填表人：　　　　　　　　联系电话：　　　　　　　　",
    ]


def test_summary_docx_reads_back_every_column_in_rank_order(recommended_park, personas, call):
    data, filename, _ = export_summary(personas.park, call.pk, "docx")
    document = Document(io.BytesIO(data))
    table = document.tables[0]

    def texts(row):
        return [cell.text for cell in row.cells]

    expected = [
        [f"{v:,.2f}" if isinstance(v, Decimal) else ("" if v is None else str(v)) for v in row]
        for row in expected_rows(personas, recommended_park)
    ]
    section = document.sections[0]
    header_flags = [row._tr.trPr.find(qn("w:tblHeader")) is not None for row in table.rows[:2]]
    first_run = table.rows[2].cells[1].paragraphs[0].runs[0]

    assert filename.endswith(".docx")
    assert document.paragraphs[0].text == "创新联合体信息汇总表"
    assert texts(table.rows[0]) == [h if h else "成员单位数" for h in HEADER_TOP]
    assert texts(table.rows[1]) == [
        h if h else (HEADER_TOP[i] if HEADER_TOP[i] else "成员单位数") for i, h in enumerate(HEADER_SUB)
    ]
    assert [texts(row) for row in table.rows[2:]] == expected
    assert header_flags == [True, True]
    assert (section.page_width > section.page_height, round(section.page_width.mm)) == (True, 297)
    assert first_run._element.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"


def test_summary_lists_awaiting_finance_with_a_remark(call, personas):
    application = application_in_state(call, personas.applicant, "accepted", direction="云溪新材料")
    record_clean_credit(application, personas.county)
    actions.perform(application, "recommend", by=personas.county, payload={"opinion": "同意。"})

    data, _, _ = export_summary(personas.finance, call.pk, "xlsx")
    ws = load_workbook(io.BytesIO(data)).active

    assert [ws.cell(row=5, column=c).value for c in (1, 2, 14, 15)] == [
        1,
        "岳阳市云溪新材料创新联合体",
        1,
        "待财政部门确认",
    ]
