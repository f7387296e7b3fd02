"""Spreadsheet helpers shared by every export (applications, scores, rankings, recognised lists).

Exports are opened by officials in Excel or WPS. Two promises hold for every cell written here:

* **Inert text.** A text value beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would
  be run as a formula by a spreadsheet program (CSV/formula injection, STANDARDS). Such a value is stored
  as a string cell with the ``quotePrefix`` style — the same thing Excel does when a user types a leading
  apostrophe — so it is shown literally and never evaluated.
* **Typed values.** Numbers stay numbers, dates stay dates, so officials can sort and sum.

``write_table`` lays a sheet out for reading and printing: bold header, frozen header row, header
repeated on every printed page, readable column widths, A4 landscape, 宋体.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.worksheet import Worksheet

FONT_NAME = "宋体"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
MIN_WIDTH = 6
MAX_WIDTH = 60

_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="E8EEF5")
_BODY_FONT = Font(name=FONT_NAME, size=10)
_HEADER_FONT = Font(name=FONT_NAME, size=10, bold=True)
# Characters Excel cannot store in a cell (XML 1.0 control characters other than tab, LF, CR).
_ILLEGAL = {c: None for c in range(32) if c not in (9, 10, 13)}


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def safe_cell(value: Any) -> Any:
    """The value in the form to hand to openpyxl: typed for numbers and dates, cleaned for text.

    Returns a plain Python value. Text that looks like a formula is returned unchanged; pass the cell to
    :func:`set_cell` (or use :func:`write_table`) so it is also marked as literal text.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, dt.datetime):
        # Excel has no time zones: show the wall-clock time in the server's zone (Asia/Shanghai).
        if value.tzinfo is not None:
            from django.utils import timezone

            value = timezone.localtime(value).replace(tzinfo=None)
        return value
    if isinstance(value, dt.date):
        return value
    text = str(value).translate(_ILLEGAL)
    return text


def set_cell(cell: Cell, value: Any, *, number_format: str | None = None) -> Cell:
    """Write ``value`` into ``cell`` so it is typed and, if text, never executed as a formula."""
    value = safe_cell(value)
    if isinstance(value, str) and is_formula_like(value):
        # Assigning through .value would let openpyxl treat a leading "=" as a formula; set the string
        # type explicitly and add quotePrefix so Excel/WPS also keep it literal after editing.
        cell._value = value
        cell.data_type = TYPE_STRING
        cell.quotePrefix = True
    else:
        cell.value = value
    if number_format:
        cell.number_format = number_format
    elif isinstance(value, dt.datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, dt.date):
        cell.number_format = DATE_FORMAT
    elif isinstance(value, Decimal):
        cell.number_format = "#,##0.00"
    return cell


def _display_width(value: Any) -> int:
    """Approximate column width in Excel units: CJK characters count double."""
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return 19
    if isinstance(value, dt.date):
        return 10
    text = str(value)
    longest = max((line for line in text.split("\n")), key=len, default="")
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in longest)


def wrapped_lines(value, width_chars: float) -> int:
    """How many lines ``value`` takes in a column ``width_chars`` wide (Excel's unit: one Latin digit;
    a CJK character takes two)."""
    text = "" if value is None else (f"{value:,.2f}" if isinstance(value, Decimal) else str(value))
    usable = max(width_chars - 1, 1)
    total = 0
    for line in text.split("\n"):
        units = sum(2 if ord(ch) > 0x2E7F else 1 for ch in line)
        total += max(1, -(-units // int(usable)))
    return total


def write_table(
    ws: Worksheet,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    widths: Mapping[int, float] | Sequence[float | None] | None = None,
    number_formats: Mapping[int, str] | Sequence[str | None] | None = None,
    title: str | None = None,
    for_print: bool = True,
) -> Worksheet:
    """Write a header row and data rows into ``ws`` laid out for reading and printing.

    ``for_print=False`` marks a sheet meant for screens (dozens of columns): it is not scaled to one
    page wide — 60 columns on A4 would print at about 1 pt — and its page header says it is for
    screens; the sheet keeps its frozen, filtered header row either way. A spreadsheet row prints only
    as tall as it is set: the header row gets the height of its longest header wrapped at its column
    width, a data row with multi-line cells one line of height per line.

    ``widths`` and ``number_formats`` are given per column (0-based index → value, or a sequence);
    columns without an explicit width are sized from their content, clamped to a readable range.
    ``title`` (optional) names the sheet and is printed in the page header.
    """
    if title:
        ws.title = title[:31]
    width_of = _per_column(widths, len(headers))
    format_of = _per_column(number_formats, len(headers))
    measured = [_display_width(h) for h in headers]

    for col, header in enumerate(headers, start=1):
        cell = set_cell(ws.cell(row=1, column=col), header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)

    row_no = 1
    written: list[Sequence[Any]] = []
    for row_no, row in enumerate(rows, start=2):
        written.append(row)
        lines = 1
        for col, value in enumerate(row, start=1):
            cell = set_cell(ws.cell(row=row_no, column=col), value, number_format=format_of.get(col - 1))
            cell.font = _BODY_FONT
            cell.border = _BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=isinstance(cell.value, str))
            if col <= len(measured):
                measured[col - 1] = max(measured[col - 1], _display_width(cell.value))
            if isinstance(cell.value, str) and "\n" in cell.value:
                lines = max(lines, cell.value.count("\n") + 1)
        if lines > 1:
            ws.row_dimensions[row_no].height = lines * 13.5 + 3

    header_lines = 1
    for col in range(1, len(headers) + 1):
        explicit = width_of.get(col - 1)
        width = explicit if explicit else min(max(measured[col - 1] + 2, MIN_WIDTH), MAX_WIDTH)
        ws.column_dimensions[get_column_letter(col)].width = width
        header_lines = max(header_lines, wrapped_lines(headers[col - 1], width))
    if header_lines > 1:
        ws.row_dimensions[1].height = header_lines * 13.5 + 4
    if for_print:
        # A row prints only as tall as it is set: a text that wraps at its column's width needs the
        # height of all its lines, not just of its explicit line breaks (Excel's limit: 409 pt).
        widths_now = [ws.column_dimensions[get_column_letter(c)].width for c in range(1, len(headers) + 1)]
        for number, row in enumerate(written, start=2):
            lines = max(
                (wrapped_lines(v, w) for v, w in zip(row, widths_now, strict=False) if isinstance(v, str)),
                default=1,
            )
            if lines > 1:
                ws.row_dimensions[number].height = min(lines * 13.5 + 3, 409)

    ws.freeze_panes = "A2"
    if headers and row_no >= 1:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(row_no, 1)}"
    _page_setup(ws, title or ws.title, for_print=for_print)
    return ws


def _per_column(spec: Mapping[int, Any] | Sequence[Any] | None, count: int) -> dict[int, Any]:
    if spec is None:
        return {}
    if isinstance(spec, Mapping):
        return {int(k): v for k, v in spec.items() if v is not None}
    return {i: v for i, v in enumerate(spec[:count]) if v is not None}


def _page_setup(ws: Worksheet, title: str, *, for_print: bool = True) -> None:
    ws.print_title_rows = "1:1"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    if for_print:
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.horizontalCentered = True
    else:
        title = f"{title}（供屏幕查看与筛选；打印请用“会议审议名单”）"
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top, ws.page_margins.header = 0.8, 0.3
    ws.page_margins.bottom, ws.page_margins.footer = 0.7, 0.3
    ws.oddHeader.center.text = title.replace("&", "&&")
    ws.oddHeader.center.font = FONT_NAME
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.oddFooter.center.font = FONT_NAME


def new_workbook() -> Workbook:
    """An empty workbook whose default font is 宋体 (so blank cells and new sheets match)."""
    wb = Workbook()
    # openpyxl has no public setter for the default ("Normal") font; index 0 of the font table is it.
    wb._fonts = IndexedList([Font(name=FONT_NAME, size=10)])
    return wb


def workbook_bytes(wb: Workbook) -> bytes:
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
