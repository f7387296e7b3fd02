"""The bureau's XLSX exports: every field, typed cells, inert formula-like text, constant query count."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from sciplan.applications import services as app_services
from sciplan.applications.workflow import Status
from sciplan.core.models import AuditEvent
from sciplan.documents import exports, xlsx
from tests.factories import application_in_state

FORMULA = '=HYPERLINK("http://x","y")'


def _sheet_rows(data: bytes, sheet: str) -> list[dict]:
    ws = load_workbook(io.BytesIO(data))[sheet]
    rows = list(ws.iter_rows())
    headers = [c.value for c in rows[0]]
    return [dict(zip(headers, row, strict=True)) for row in rows[1:]]


@pytest.fixture
def formula_application(complete_application, personas):
    """A submitted application whose text fields start like spreadsheet formulas."""
    app_services.save_section(
        complete_application,
        "governance",
        {"meeting_frequency": FORMULA, "ip_sharing": "@SUM(A1:A9)"},
        base_version=complete_application.version,
        by=personas.applicant,
    )
    complete_application.refresh_from_db()
    app_services.submit_application(complete_application, by=personas.applicant)
    return complete_application


def test_applications_export_writes_formula_like_text_as_inert_text(client, personas, formula_application):
    client.force_login(personas.bureau)

    response = client.get(reverse("documents:export_applications"))

    data = b"".join(response.streaming_content)
    row = _sheet_rows(data, "申报书汇总")[0]
    cell = row["议事频次"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (FORMULA, "s", True)
    assert (row["知识产权与利益分配"].value, row["知识产权与利益分配"].data_type) == ("@SUM(A1:A9)", "s")
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml


def test_applications_export_has_every_field_typed_and_members_on_a_second_sheet(
    personas, submitted_application
):
    version = submitted_application.versions.get()

    data = exports.applications_workbook(personas.bureau)

    wb = load_workbook(io.BytesIO(data))
    row = _sheet_rows(data, "申报书汇总")[0]
    members = _sheet_rows(data, "成员单位")
    fields = version.snapshot["fields"]
    assert wb.sheetnames == ["申报书汇总", "成员单位"]
    assert (row["联合体名称"].value, row["当前状态"].value, row["最新提交版本"].value) == (
        "岳阳市高性能聚烯烃新材料创新联合体",
        "已提交，待推荐单位受理",
        1,
    )
    assert row["建设期开始"].value == dt.datetime.fromisoformat(fields["start_date"])
    assert (row["计划总投入（万元）"].value, row["研发人员数"].value) == (6800, 186)
    assert row["近三年研发投入合计（万元）"].value == 1410
    assert row["建设基础与前期合作情况"].value == fields["basis"]
    assert [m["成员单位名称"].value for m in members] == [
        "中南大学",
        "湖南理工学院",
        "岳阳市产品质量检验检测中心",
    ]
    assert [m["位于岳阳市内"].value for m in members] == ["否", "是", "是"]
    ws = wb["申报书汇总"]
    assert (ws.freeze_panes, ws.print_title_rows, ws.page_setup.orientation) == ("A2", "$1:$1", "landscape")


def test_applications_export_leaves_out_drafts(personas, complete_application):
    data = exports.applications_workbook(personas.bureau)

    assert _sheet_rows(data, "申报书汇总") == []


@pytest.mark.parametrize("persona", ["applicant", "county", "finance", "admin"])
def test_export_by_anyone_but_the_bureau_is_404(client, personas, submitted_application, persona):
    client.force_login(personas[persona])

    response = client.get(reverse("documents:export_applications"))

    assert response.status_code == 404


def test_export_is_audited(client, personas, submitted_application):
    client.force_login(personas.bureau)

    client.get(reverse("documents:export_applications"))

    event = AuditEvent.objects.filter(event_type="export.download").latest("id")
    assert (event.actor_id, event.detail["kind"], event.detail["rows"]) == (
        personas.bureau.pk,
        "applications",
        1,
    )


def test_applications_export_query_count_does_not_grow_with_rows(call, personas):
    application_in_state(call, personas.applicant, Status.SUBMITTED, direction="方向一")
    with CaptureQueriesContext(connection) as one:
        exports.applications_workbook(personas.bureau)
    for key in ("applicant_b", "applicant_xinghu", "applicant_jiangbei"):
        application_in_state(call, personas[key], Status.SUBMITTED, direction=f"{key}方向")
    exports.applications_workbook(personas.bureau)  # records the new codes
    with CaptureQueriesContext(connection) as four:
        exports.applications_workbook(personas.bureau)

    assert len(four) == len(one) - 1  # the first export also recorded the verification code


def test_recognized_export_lists_only_recognized(call, personas):
    recognized = application_in_state(call, personas.applicant, Status.RECOGNIZED, direction="已认定方向")
    application_in_state(call, personas.applicant_b, Status.UNDER_REVIEW, direction="评审中方向")

    rows = _sheet_rows(exports.recognized_workbook(personas.bureau), "已认定创新联合体名单")

    assert [r["创新联合体名称"].value for r in rows] == [recognized.consortium_name]


def test_meeting_export_prints_ten_columns_one_page_wide_and_is_audited(
    client, personas, submitted_application
):
    version = submitted_application.versions.get()
    client.force_login(personas.bureau)

    response = client.get(reverse("documents:export_meeting"))

    data = b"".join(response.streaming_content)
    ws = load_workbook(io.BytesIO(data)).active
    row = [c.value for c in ws[2]]
    event = AuditEvent.objects.filter(event_type="export.download").latest("id")
    assert [c.value for c in ws[1]] == [
        "序号",
        "联合体名称",
        "牵头单位",
        "推荐单位",
        "所属产业",
        "成员单位数",
        "计划总投入（万元）",
        "近三年研发投入（万元）",
        "当前状态",
        "回执编号",
    ]
    assert row == [
        1,
        "岳阳市高性能聚烯烃新材料创新联合体",
        submitted_application.lead_unit.name,
        submitted_application.recommender.name,
        version.snapshot["fields"]["industry"],
        3,
        6800,
        1410,
        "已提交，待推荐单位受理",
        version.receipt_no,
    ]
    assert ws.max_row == 2
    page = ws.page_setup
    assert (page.orientation, page.paperSize, ws.print_title_rows) == ("landscape", 9, "$1:$1")
    assert (ws.sheet_properties.pageSetUpPr.fitToPage, page.fitToWidth, page.fitToHeight) == (True, 1, 0)
    assert ws.oddHeader.center.text == "创新联合体会议审议名单"
    assert ws.row_dimensions[1].height >= 2 * 13.5  # "近三年研发投入（万元）" wraps in its 12-wide column
    assert (event.actor_id, event.object_id, event.detail["kind"], event.detail["rows"]) == (
        personas.bureau.pk,
        "meeting",
        "meeting",
        1,
    )


def test_meeting_export_by_a_recommender_is_404(client, personas, submitted_application):
    client.force_login(personas.county)

    assert client.get(reverse("documents:export_meeting")).status_code == 404


def test_write_table_types_values_and_sizes_columns():
    wb = xlsx.new_workbook()
    xlsx.write_table(
        wb.active,
        ["名称", "金额", "日期"],
        [["+1 看起来像公式", Decimal("12.50"), dt.date(2024, 8, 4)], ["普通文本", 3, None]],
        title="测试",
    )

    ws = load_workbook(io.BytesIO(xlsx.workbook_bytes(wb)))["测试"]
    a2, b2, c2 = ws["A2"], ws["B2"], ws["C2"]
    assert (a2.value, a2.data_type, a2.quotePrefix) == ("+1 看起来像公式", "s", True)
    assert (b2.value, b2.data_type, c2.value, c2.number_format) == (
        12.5,
        "n",
        dt.datetime(2024, 8, 4),
        "yyyy-mm-dd",
    )
    assert (ws["A3"].quotePrefix, ws["A1"].font.name, ws.column_dimensions["A"].width) == (False, "宋体", 17)
