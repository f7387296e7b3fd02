"""The ranking sheet as XLSX. Text a spreadsheet would read as a formula is always stored inert."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HEADER = [
    "名次",
    "并列",
    "联合体名称",
    "牵头单位",
    "推荐单位",
    "评分专家数",
    "算术平均分",
    "最终得分",
    "计分方法",
]


def _values(row: dict) -> list[Any]:
    return [
        row["rank"] if row["rank"] is not None else "—",
        "并列" if row["tied"] else "",
        row["name"],
        row["lead_unit"],
        row["recommender"],
        f"{row['scores']}/{row['panel']}",
        Decimal(row["mean"]) if row["mean"] is not None else "—",
        Decimal(row["score"]) if row["score"] is not None else "—",
        "去掉一个最高分和一个最低分后平均" if row["trimmed"] else "算术平均",
    ]


def ranking_xlsx(rows: list[dict], *, title: str) -> bytes:
    """One sheet, one row per application in rank order (ties share a rank)."""
    try:
        from sciplan.documents import xlsx
    except ImportError:
        return _plain_xlsx(rows, title=title)
    workbook = xlsx.new_workbook()
    xlsx.write_table(workbook.active, HEADER, [_values(r) for r in rows], title=title)
    return xlsx.workbook_bytes(workbook)


def _plain_xlsx(rows: list[dict], *, title: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(HEADER)
    for row in rows:
        sheet.append([None] * len(HEADER))
        for col, value in enumerate(_values(row), start=1):
            cell = sheet.cell(row=sheet.max_row, column=col)
            if isinstance(value, str) and value.startswith(FORMULA_START):
                cell._value, cell.data_type, cell.quotePrefix = value, "s", True  # literal, never a formula
            else:
                cell.value = value
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
