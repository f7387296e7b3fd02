"""DOCX of the 申报书 and the 实施方案 (python-docx), the format of the bureau's own templates.

Body text in 宋体, headings in 黑体 (the fonts of Chinese official documents); A4 portrait; the call's
name in the page header and "第 X 页 共 Y 页" with the verification code in the footer of every page but
the cover; table header rows repeat on each page and rows may break across pages so long texts are
never cut. Rows of key–value tables and data tables are kept whole (``w:cantSplit``): their cells hold
only short values, long texts are paragraphs.
"""

from __future__ import annotations

from io import BytesIO

import segno
from docx import Document as new_docx
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph

from sciplan.documents.content import (
    Document,
    KeyValues,
    Table,
    Text,
    fitted_widths,
    numbered,
    text_width_mm,
)

BODY_FONT = "宋体"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"
TEXT_WIDTH_MM = 165
CELL_PADDING_MM = 3.8  # Word's default cell margins, 0.19 cm either side


def _fonts(element, east_asia: str, *, latin: str = LATIN_FONT) -> None:
    """Set the Latin and East Asian fonts of a run or style (python-docx only sets the Latin one)."""
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), east_asia)


def _run(
    paragraph: Paragraph, text: str, *, size: float | None = None, bold: bool = False, font: str = BODY_FONT
):
    run = paragraph.add_run(text)
    _fonts(run._element, font)
    if size:
        run.font.size = Pt(size)
    run.bold = bold or None
    return run


def _setup_styles(docx) -> None:
    normal = docx.styles["Normal"]
    normal.font.size = Pt(11)
    _fonts(normal.element, BODY_FONT)
    normal.paragraph_format.space_after = Pt(3)
    normal.paragraph_format.line_spacing = 1.3
    for name, size in (("Heading 1", 15), ("Heading 2", 12)):
        style = docx.styles[name]
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.color.rgb = RGBColor(0, 0, 0)
        _fonts(style.element, HEADING_FONT)
        style.paragraph_format.space_before = Pt(12 if name == "Heading 1" else 6)
        style.paragraph_format.space_after = Pt(6 if name == "Heading 1" else 3)
        style.paragraph_format.keep_with_next = True


def page_field(paragraph: Paragraph, instruction: str, *, size: float = 9) -> None:
    """A Word field (PAGE, NUMPAGES) that Word and WPS fill in when they lay the page out."""
    run = _run(paragraph, "", size=size)
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text == instruction:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {instruction} "
        else:
            element = OxmlElement("w:t")
            element.text = text
        run._element.append(element)


def _border(paragraph: Paragraph, side: str) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    line = OxmlElement(f"w:{side}")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        line.set(qn(key), value)
    borders.append(line)
    ppr.append(borders)


def _page_setup(docx, doc: Document) -> None:
    section = docx.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(25), Mm(22)
    section.left_margin, section.right_margin = Mm(25), Mm(20)
    section.header_distance, section.footer_distance = Mm(12), Mm(10)
    section.different_first_page_header_footer = True  # the cover has neither
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(header, doc.header_text, size=9, font=HEADING_FONT)
    _border(header, "bottom")
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(footer, doc.footer_text + "　　第 ", size=9)
    page_field(footer, "PAGE")
    _run(footer, " 页　共 ", size=9)
    page_field(footer, "NUMPAGES")
    _run(footer, " 页", size=9)


def _cell_text(
    cell, text: str, *, bold: bool = False, align=None, size: float = 10, font: str = BODY_FONT
) -> None:
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    lines = (text or "").split("\n")
    paragraph = cell.paragraphs[0]
    for index, line in enumerate(lines):
        if index:
            paragraph = cell.add_paragraph()
        paragraph.paragraph_format.space_before = Pt(2) if index == 0 else Pt(0)
        paragraph.paragraph_format.space_after = Pt(2) if index == len(lines) - 1 else Pt(0)
        paragraph.paragraph_format.line_spacing = 1.15
        if align is not None:
            paragraph.alignment = align
        _run(paragraph, line, bold=bold, size=size, font=font)


def _shade(cell, fill: str = "F0F0F0") -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def repeat_header(row) -> None:
    """Print this (header) row again at the top of every page the table runs onto."""
    trpr = row._tr.get_or_add_trPr()
    element = OxmlElement("w:tblHeader")
    element.set(qn("w:val"), "true")
    trpr.append(element)


def keep_whole(row) -> None:
    """Never split this row across pages (tables hold only short values; long texts are paragraphs)."""
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def column_widths(table: DocxTable, widths_mm: list[float]) -> None:
    """Fixed column widths in mm. Word reads the cell widths, LibreOffice and WPS the table grid: set
    both, and a fixed layout so no program re-balances the columns by their content. A merged cell
    gets the sum of the columns it spans."""
    widths = [Mm(width) for width in widths_mm]
    table.autofit = False
    tblpr = table._tbl.tblPr
    layout = tblpr.find(qn("w:tblLayout"))
    if layout is None:
        layout = OxmlElement("w:tblLayout")
        tblpr.append(layout)
    layout.set(qn("w:type"), "fixed")
    for col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(int(width.twips)))
    for tr in table._tbl.tr_lst:
        first = 0
        for tc in tr.tc_lst:
            tc.width = sum(widths[first : first + tc.grid_span], Mm(0))
            first += tc.grid_span


def _key_values(docx, block: KeyValues) -> None:
    table = docx.add_table(rows=0, cols=4)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for pairs in block.rows:
        row = table.add_row()
        keep_whole(row)
        cells = row.cells
        if len(pairs) == 1:
            cells[1].merge(cells[3])
            pairs = [pairs[0]]
        for index, (key, value) in enumerate(pairs):
            _cell_text(cells[index * 2], key, align=WD_ALIGN_PARAGRAPH.CENTER, font=HEADING_FONT)
            _shade(cells[index * 2], "F7F7F7")
            _cell_text(cells[index * 2 + 1], value)
    # The key column holds its longest label on one line ("日常对接工作人员" must not become "…人 | 员").
    longest = max((text_width_mm(k, 10) for pairs in block.rows for k, _ in pairs), default=0)
    key = min(max(longest + CELL_PADDING_MM + 1, 30), 48)
    value = (TEXT_WIDTH_MM - 2 * key) / 2
    column_widths(table, [key, value, key, value])
    docx.add_paragraph()


def _table(docx, block: Table) -> None:
    if block.caption:
        caption = docx.add_paragraph()
        caption.paragraph_format.keep_with_next = True
        caption.paragraph_format.space_after = Pt(2)
        _run(caption, block.caption, bold=True, size=10, font=HEADING_FONT)
    small = len(block.headers) > 5
    size = 8.5 if small else 10
    table = docx.add_table(rows=1, cols=len(block.headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, header in zip(table.rows[0].cells, block.headers, strict=True):
        _cell_text(cell, header, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, size=size, font=HEADING_FONT)
        _shade(cell)
    repeat_header(table.rows[0])
    if block.together:
        for cell in table.rows[0].cells:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.keep_with_next = True
    rows = list(block.rows) + ([block.total] if block.total else [])
    for number, row in enumerate(rows):
        strong = row is block.total or number in block.emphasis
        added = table.add_row()
        keep_whole(added)
        cells = added.cells
        for index, (cell, text) in enumerate(zip(cells, row, strict=True)):
            align = (
                WD_ALIGN_PARAGRAPH.RIGHT
                if index in block.numeric
                else WD_ALIGN_PARAGRAPH.CENTER
                if index == 0 and block.centre_first
                else None
            )
            _cell_text(cell, text, align=align, size=size, bold=strong)
            if block.together and number < len(rows) - 1:
                # Word and LibreOffice keep a table together when each row keeps with the next.
                for paragraph in cell.paragraphs:
                    paragraph.paragraph_format.keep_with_next = True
            if strong and number in block.emphasis:
                _shade(cell, "F7F7F7")
    if block.widths:
        column_widths(
            table,
            fitted_widths(
                block.headers,
                rows,
                block.widths,
                total_mm=TEXT_WIDTH_MM,
                size_pt=size,
                padding_mm=CELL_PADDING_MM,
                one_line=block.one_line,
            ),
        )
    docx.add_paragraph()


def _paragraphs(docx, texts: list[str]) -> None:
    for text in texts:
        paragraph = docx.add_paragraph()
        paragraph.paragraph_format.first_line_indent = Pt(22)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        _run(paragraph, text)


def _cover(docx, doc: Document) -> None:
    top = docx.add_paragraph()
    top.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _run(
        top,
        "草稿预览" if doc.is_draft else f"回执编号：{doc.receipt_no}　第{doc.version_number}版",
        size=10,
        font=HEADING_FONT,
    )
    for _ in range(4):
        docx.add_paragraph()
    for line in doc.title_lines:
        title = docx.add_paragraph()
        title.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(title, line, size=24 if len(line) <= 17 else 20, bold=True, font=HEADING_FONT)
    subtitle = docx.add_paragraph()
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(subtitle, doc.call_title, size=13)
    for _ in range(3):
        docx.add_paragraph()
    table = docx.add_table(rows=0, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for key, value in doc.cover_rows:
        cells = table.add_row().cells
        _cell_text(cells[0], key, size=12, font=HEADING_FONT)
        _cell_text(cells[1], value, size=12)
        _underline(cells[1])
    column_widths(table, [40, 100])
    docx.add_paragraph()
    qr = docx.add_paragraph()
    qr.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if doc.verify_url:
        buffer = BytesIO()
        segno.make(doc.verify_url, error="m").save(buffer, kind="png", scale=6, border=1)
        buffer.seek(0)
        qr.add_run().add_picture(buffer, width=Mm(24))
        code = docx.add_paragraph()
        code.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(code, f"校验码 {doc.code}", size=11, bold=True, font=HEADING_FONT)
        _run(code, "\n扫码或在系统“文档核验”页输入校验码核对", size=8)
    else:
        _run(qr, "草稿 · 无校验码（正式文档请在提交后下载）", size=11, bold=True, font=HEADING_FONT)
    issuer = docx.add_paragraph()
    issuer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    issuer.paragraph_format.space_before = Pt(30)
    _run(issuer, f"{doc.issuer}制", size=14, font=HEADING_FONT)
    when = docx.add_paragraph()
    when.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(when, doc.date_text, size=12)


def _underline(cell) -> None:
    borders = OxmlElement("w:tcBorders")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    cell._tc.get_or_add_tcPr().append(borders)


def _page_break(docx) -> None:
    docx.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _commitment_and_opinions(docx, doc: Document) -> None:
    _page_break(docx)
    heading = docx.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.paragraph_format.space_after = Pt(18)
    _run(heading, "承　诺　书", size=20, bold=True, font=HEADING_FONT)
    for text in doc.commitment:
        paragraph = docx.add_paragraph()
        paragraph.paragraph_format.first_line_indent = Pt(24)
        paragraph.paragraph_format.line_spacing = 1.7
        _run(paragraph, text, size=12)
    for line in ("牵头单位（盖章）：", "法定代表人（签字）：", "年　　月　　日"):
        paragraph = docx.add_paragraph()
        paragraph.paragraph_format.left_indent = Mm(85)
        paragraph.paragraph_format.space_before = Pt(12)
        _run(paragraph, line, size=12)
    _page_break(docx)
    heading = docx.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.paragraph_format.space_after = Pt(12)
    _run(heading, "审核推荐意见", size=16, bold=True, font=HEADING_FONT)
    table = docx.add_table(rows=0, cols=1)
    table.style = "Table Grid"
    height = Mm(55 if len(doc.signatures) == 3 else 75)
    for signature in doc.signatures:
        row = table.add_row()
        row.height = height
        cell = row.cells[0]
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
        _run(cell.paragraphs[0], signature.title, bold=True, size=12, font=HEADING_FONT)
        for _ in range(3):
            cell.add_paragraph()
        for line in signature.lines:
            paragraph = cell.add_paragraph()
            paragraph.paragraph_format.left_indent = Mm(90)
            paragraph.paragraph_format.space_after = Pt(6)
            _run(paragraph, line)
        keep_whole(row)
    if not doc.is_draft:
        note = docx.add_paragraph()
        note.paragraph_format.space_before = Pt(6)
        _run(
            note,
            f"本文档由{doc.system_name}根据第{doc.version_number}版网上提交内容生成，校验码 {doc.code}。"
            f"核验地址：{doc.verify_url}",
            size=9,
        )


def document_docx(doc: Document) -> bytes:
    docx = new_docx()
    _setup_styles(docx)
    _page_setup(docx, doc)
    docx.core_properties.title = doc.title
    docx.core_properties.author = doc.system_name
    docx.core_properties.subject = doc.call_title
    docx.core_properties.comments = "" if doc.is_draft else f"校验码 {doc.code}"
    _cover(docx, doc)
    for index, chapter in enumerate(doc.chapters):
        heading = docx.add_heading(level=1)
        _run(heading, f"{numbered(index)}、{chapter.title}", font=HEADING_FONT)
        if index == 0:
            heading.paragraph_format.page_break_before = True
        heading_no = 0
        for block in chapter.blocks:
            if isinstance(block, KeyValues):
                _key_values(docx, block)
            elif isinstance(block, Table):
                _table(docx, block)
            elif isinstance(block, Text):
                if block.heading:
                    sub = docx.add_heading(level=2)
                    _run(sub, f"（{numbered(heading_no)}）{block.heading}", font=HEADING_FONT)
                    heading_no += 1
                _paragraphs(docx, block.paragraphs)
    _commitment_and_opinions(docx, doc)
    buffer = BytesIO()
    docx.save(buffer)
    return buffer.getvalue()
