"""《创新联合体信息汇总表》: a recommender's recommended applications, in rank order, as XLSX and DOCX.

Values come from the frozen snapshot of each application's latest submitted version, never from the
editable form, so the table matches what was submitted. Both files are A4 landscape with the header
repeated on every printed page; the XLSX keeps numbers as numbers and writes formula-like text inert
(``documents.xlsx``).

Office programs print what the file says, not what Word guesses: the DOCX uses the table pieces of
``documents.docx_builder`` — fixed widths on the grid and the cells (LibreOffice and WPS follow the
grid), fitted so numbers, codes and short headers stay on one line; rows kept whole; header rows
repeated — and numbers its pages; the XLSX gives every row the height of its longest wrapped cell, because
a spreadsheet row prints only as tall as it is set. Both end with the signature and seal lines of the
recommending unit — and of the finance department where it co-signs (the counties) — and a 填表人 /
联系电话 line.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal, InvalidOperation
from io import BytesIO

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from sciplan.calls.models import Call, Recommender
from sciplan.core import audit, clock
from sciplan.core.errors import NotFound, ValidationFailed
from sciplan.documents.content import fitted_widths
from sciplan.documents.docx_builder import (
    CELL_PADDING_MM,
    column_widths,
    keep_whole,
    page_field,
    repeat_header,
)
from sciplan.documents.xlsx import XLSX_CONTENT_TYPE, new_workbook, set_cell, workbook_bytes, wrapped_lines
from sciplan.recommendations import queries
from sciplan.recommendations.models import Recommendation

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TITLE_FONT = "宋体"
BODY_FONT = "宋体"  # docs/documents.md: body text in 宋体 in every generated file

# (header, sub-header or None, XLSX width). "成员单位数" spans two columns: the total (a number) and
# the breakdown by category.
COLUMNS: list[tuple[str, str | None, float]] = [
    ("序号", None, 5),
    ("联合体名称", None, 15),
    ("产业方向", None, 11),
    ("牵头单位", None, 15),
    ("统一社会信用代码", None, 20),
    ("所在县市区/园区", None, 12),
    ("研发平台及级别", None, 18),
    ("近三年研发投入\n(万元)", None, 11),
    ("成员单位数", "合计", 5),
    ("成员单位数", "按类别", 12),
    ("成员单位名单", None, 24),
    ("联系人/职务/手机", None, 14),
    ("推荐单位", None, 13),
    ("推荐排序", None, 6),
    ("备注", None, 9),
]
NUMERIC_COLUMNS = {0, 7, 8, 13}
# Never wrapped in the DOCX: the numbers, the 18-character credit code and the contact column (name,
# post and the 11-digit mobile number, one to a line).
ONE_LINE_COLUMNS = NUMERIC_COLUMNS | {4, 11}


def signature_lines(recommender: Recommender) -> list[str]:
    """Who signs and seals the table: the recommending unit, and the finance department of a county."""
    units = [f"推荐单位（{recommender.name}）"]
    if recommender.needs_finance_cosign:
        units.append("财政部门")
    return [f"{unit}负责人（签字）：　　　　　　（盖章）　　年　　月　　日" for unit in units]


FILLER_LINE = "填表人：　　　　　　　　联系电话：　　　　　　　　"


def _decimal(text) -> Decimal:
    try:
        return Decimal(str(text)) if text not in (None, "") else Decimal("0")
    except InvalidOperation:
        return Decimal("0")


def summary_rows(items: list[tuple[Recommendation, dict]]) -> list[list]:
    """One list of cell values per recommended application, in rank order."""
    rows = []
    for index, (rec, snap) in enumerate(items, start=1):
        fields = snap.get("fields", {})
        lead = snap.get("lead_unit", {})
        members = snap.get("members", [])
        by_category = Counter(m.get("category_label", "") for m in members)
        platforms = "\n".join(
            f"{p.get('name', '')}（{p.get('level_label', '')}）" for p in snap.get("platforms", [])
        )
        rd_total = sum((_decimal(f.get("rd_spending")) for f in snap.get("finances", [])), Decimal("0"))
        # One line each, so the 11-digit mobile number never breaks inside a narrow column.
        contact = "\n".join(
            v
            for v in (
                fields.get("contact_name", ""),
                fields.get("contact_post", ""),
                fields.get("contact_mobile", ""),
            )
        )
        remark = "" if rec.application.status != "awaiting_finance" else "待财政部门确认"
        rows.append(
            [
                index,
                snap.get("consortium_name", ""),
                fields.get("industry", ""),
                lead.get("name", ""),
                lead.get("uscc", ""),
                snap.get("recommender", {}).get("name", ""),
                platforms,
                rd_total.quantize(Decimal("0.01")),
                len(members),
                "\n".join(f"{label}{count}家" for label, count in by_category.items()),
                "\n".join(
                    f"{i}. {m.get('name', '')}（{m.get('category_label', '')}）"
                    for i, m in enumerate(members, 1)
                ),
                contact,
                rec.recommender.name,
                rec.rank,
                remark,
            ]
        )
    return rows


def title_of(call: Call) -> str:
    return f"{call.title}  创新联合体信息汇总表"


def filename_of(call: Call, recommender: Recommender, ext: str) -> str:
    return f"创新联合体信息汇总表-{call.year}-{recommender.name}.{ext}"


# --- XLSX ---------------------------------------------------------------------------------------------

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEADER_ROWS = (3, 4)


def summary_xlsx(call: Call, recommender: Recommender, items: list[tuple[Recommendation, dict]]) -> bytes:
    wb = new_workbook()
    ws = wb.active
    ws.title = "信息汇总表"
    last = get_column_letter(len(COLUMNS))
    ws.merge_cells(f"A1:{last}1")
    set_cell(ws["A1"], "创新联合体信息汇总表").font = Font(name=TITLE_FONT, size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 30
    ws.merge_cells(f"A2:{last}2")
    subtitle = f"批次：{call.title}    推荐单位（盖章）：{recommender.name}    导出时间：{clock.fmt(clock.now(), seconds=False)}"
    set_cell(ws["A2"], subtitle).font = Font(name=BODY_FONT, size=11)

    head_font = Font(name=TITLE_FONT, size=10, bold=True)
    fill = PatternFill("solid", fgColor="E8EEF5")
    top, sub = HEADER_ROWS
    col = 1
    while col <= len(COLUMNS):
        header, subheader, _width = COLUMNS[col - 1]
        if subheader is None:
            ws.merge_cells(start_row=top, start_column=col, end_row=sub, end_column=col)
            set_cell(ws.cell(row=top, column=col), header)
            col += 1
            continue
        span = sum(1 for h, s, _w in COLUMNS if h == header and s)
        ws.merge_cells(start_row=top, start_column=col, end_row=top, end_column=col + span - 1)
        set_cell(ws.cell(row=top, column=col), header)
        for offset in range(span):
            set_cell(ws.cell(row=sub, column=col + offset), COLUMNS[col - 1 + offset][1])
        col += span
    for row in HEADER_ROWS:
        for c in range(1, len(COLUMNS) + 1):
            cell = ws.cell(row=row, column=c)
            cell.font, cell.fill, cell.border = head_font, fill, _BORDER
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)

    body_font = Font(name=BODY_FONT, size=10)
    last_row = sub
    for r, values in enumerate(summary_rows(items), start=sub + 1):
        lines = 1
        for c, value in enumerate(values, start=1):
            fmt = "#,##0.00" if c - 1 == 7 else ("0" if c - 1 in NUMERIC_COLUMNS else None)
            cell = set_cell(ws.cell(row=r, column=c), value, number_format=fmt)
            cell.font, cell.border = body_font, _BORDER
            cell.alignment = Alignment(
                vertical="top", wrap_text=True, horizontal="center" if c - 1 in NUMERIC_COLUMNS else None
            )
            lines = max(lines, wrapped_lines(value, COLUMNS[c - 1][2]))
        # A row prints only as tall as it is set: give it the height of its longest wrapped cell.
        ws.row_dimensions[r].height = round(lines * 13.5 + 4, 1)
        last_row = r
    ws.row_dimensions[3].height = ws.row_dimensions[4].height = 20
    for c, (_h, _s, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    note_font = Font(name=BODY_FONT, size=11)
    for offset, line in enumerate([*signature_lines(recommender), FILLER_LINE], start=2):
        row = last_row + offset
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(COLUMNS))
        set_cell(ws.cell(row=row, column=1), line).font = note_font
        ws.row_dimensions[row].height = 24

    ws.freeze_panes = ws.cell(row=sub + 1, column=3)
    ws.print_title_rows = f"{top}:{sub}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    # The page header sits at 0.3 in, the table starts at 0.8 in: the title never covers the header.
    ws.page_margins.top, ws.page_margins.header = 0.8, 0.3
    ws.page_margins.bottom, ws.page_margins.footer = 0.7, 0.3
    ws.oddHeader.center.text = f"{call.title} · {recommender.name}".replace("&", "&&")
    ws.oddHeader.center.font = TITLE_FONT
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.oddFooter.center.font = TITLE_FONT
    return workbook_bytes(wb)


# --- DOCX ---------------------------------------------------------------------------------------------


def _font(run, name: str, size: float, *, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        fonts.set(qn(attr), name)


def _page_number_footer(section) -> None:
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for piece in ("第 ", "PAGE", " 页，共 ", "NUMPAGES", " 页"):
        if piece in ("PAGE", "NUMPAGES"):
            page_field(paragraph, piece, size=9)
        else:
            _font(paragraph.add_run(piece), BODY_FONT, 9)


def _write(cell, text: str, *, font: str, size: float, bold: bool = False, center: bool = False) -> None:
    for extra in cell.paragraphs[1:]:
        extra._element.getparent().remove(extra._element)
    for run in cell.paragraphs[0].runs:
        run._element.getparent().remove(run._element)
    lines = str(text).split("\n") if text not in (None, "") else [""]
    for index, line in enumerate(lines):
        paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
        paragraph.paragraph_format.space_after = Pt(0)
        if center:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(paragraph.add_run(line), font, size, bold=bold)


def _text(value) -> str:
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return "" if value is None else str(value)


def summary_docx(call: Call, recommender: Recommender, items: list[tuple[Recommendation, dict]]) -> bytes:
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.left_margin = section.right_margin = Mm(12)
    section.top_margin = section.bottom_margin = Mm(15)
    section.footer_distance = Mm(7)
    _page_number_footer(section)
    styles = document.styles["Normal"]
    styles.font.name = BODY_FONT
    styles.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(title.add_run("创新联合体信息汇总表"), TITLE_FONT, 18, bold=True)
    info = document.add_paragraph()
    _font(info.add_run(f"批次：{call.title}    推荐单位（盖章）：{recommender.name}"), BODY_FONT, 12)

    table = document.add_table(rows=2, cols=len(COLUMNS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    top, sub = table.rows[0], table.rows[1]
    col = 0
    while col < len(COLUMNS):
        header, subheader, _w = COLUMNS[col]
        if subheader is None:
            merged = top.cells[col].merge(sub.cells[col])
            _write(merged, header, font=TITLE_FONT, size=9, bold=True, center=True)
            col += 1
            continue
        span = sum(1 for h, s, _x in COLUMNS if h == header and s)
        merged = top.cells[col].merge(top.cells[col + span - 1])
        _write(merged, header, font=TITLE_FONT, size=9, bold=True, center=True)
        for offset in range(span):
            _write(
                sub.cells[col + offset],
                COLUMNS[col + offset][1] or "",
                font=TITLE_FONT,
                size=9,
                bold=True,
                center=True,
            )
        col += span
    for header_row in (top, sub):
        repeat_header(header_row)
        keep_whole(header_row)
    texts = [[_text(value) for value in values] for values in summary_rows(items)]
    for values in texts:
        row = table.add_row()
        keep_whole(row)
        for index, (cell, text) in enumerate(zip(row.cells, values, strict=True)):
            _write(cell, text, font=BODY_FONT, size=9, center=index in NUMERIC_COLUMNS)
    column_widths(
        table,
        fitted_widths(
            [subheader or header for header, subheader, _w in COLUMNS],
            texts,
            [width for _h, _s, width in COLUMNS],
            total_mm=297 - 24,
            size_pt=9,
            padding_mm=CELL_PADDING_MM,
            one_line=ONE_LINE_COLUMNS,
        ),
    )
    if not items:
        document.add_paragraph("（本批次尚无推荐的申报。）")
    for line in [
        f"填表日期：{clock.local(clock.now()):%Y年%m月%d日}",
        *signature_lines(recommender),
        FILLER_LINE,
    ]:
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.space_before = Pt(10)
        paragraph.paragraph_format.keep_with_next = True
        _font(paragraph.add_run(line), BODY_FONT, 12)
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


CONTENT_TYPES = {"xlsx": XLSX_CONTENT_TYPE, "docx": DOCX_CONTENT_TYPE}
BUILDERS = {"xlsx": summary_xlsx, "docx": summary_docx}


def export_summary(
    user, call_id, fmt: str, *, recommender_id=None, ip: str | None = None
) -> tuple[bytes, str, str]:
    """The summary table of ``user``'s recommender (the bureau names one) as (data, filename, type).
    Out of scope is 404; every export is audited."""
    if fmt not in BUILDERS:
        raise ValidationFailed(
            "格式只能是 xlsx 或 docx。", field_errors={"format": "格式只能是 xlsx 或 docx。"}
        )
    try:
        call = Call.objects.get(pk=call_id)
    except (Call.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    recommender = queries.recommender_for(user, call, recommender_id)
    if not call.recommenders.filter(pk=recommender.pk).exists():
        raise NotFound()
    items = queries.recommended_for_summary(call, recommender)
    data = BUILDERS[fmt](call, recommender, items)
    audit.record(
        "recommendation.summary_export",
        actor=user,
        obj=recommender,
        ip=ip,
        detail={"call": call.pk, "format": fmt, "rows": len(items)},
    )
    return data, filename_of(call, recommender, fmt), CONTENT_TYPES[fmt]
