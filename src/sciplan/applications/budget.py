"""The budget of the three-year plan (经费预算): its lines, amounts as people type them, totals, balance.

The table has one row per year of the construction period (第一年…第三年) and one column per line: where
the money comes from (资金来源) and what it is spent on (资金用途). Each year's sources must add up to
its uses; a 说明 tells what "其他来源" is. The form, the save service, the pre-check, the snapshot, the
API and the documents all read the lines from here, so a line added here appears everywhere.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

from sciplan.core.fieldchecks import clean_field

YEARS = (1, 2, 3)
YEAR_NAMES = {1: "第一年", 2: "第二年", 3: "第三年"}

# (model field, label). Sources first, then uses; the model's verbose names are these labels.
SOURCES = (
    ("source_lead", "牵头单位自筹"),
    ("source_members", "成员单位投入"),
    ("source_other", "其他来源"),
)
USES = (
    ("use_equipment", "设备购置费"),
    ("use_materials", "材料与测试化验费"),
    ("use_personnel", "人员费用"),
    ("use_cooperation", "合作与委托研发费"),
    ("use_platform", "平台建设费"),
    ("use_other", "其他支出"),
)
LINES = SOURCES + USES
LINE_LABELS = dict(LINES)
SOURCE_CODES = tuple(code for code, _ in SOURCES)
USE_CODES = tuple(code for code, _ in USES)

KEY = re.compile(r"^budget_([1-3])_(" + "|".join(LINE_LABELS) + r")$")
OTHER_NOTE = "budget_other_note"

_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d*)?$")
_PLAIN = re.compile(r"^\d+(\.\d*)?$|^\.\d+$")


def key(index: int, line: str) -> str:
    """The form and service name of one cell: ``budget_<year index>_<line>``."""
    return f"budget_{index}_{line}"


def parse_amount(raw: Any, field: Any, *, label: str = "") -> Decimal | None:
    """An amount in 万元 as people type it (``6800``, ``6,800.00``, ``６８００``, ``6800万元``), cleaned
    by the model ``DecimalField`` it is stored in (``_meta.get_field``).

    Empty is ``None``. What is not a non-negative number in one of those forms raises
    :class:`ValidationError` here; the number's digits and decimals are the field's to check
    (``core.fieldchecks.clean_field``), so the limits are the column's own. Every message names the
    amount by ``label`` (e.g. "2023年研发投入"), or by the field's verbose name.
    """
    name = label or str(field.verbose_name)
    if raw is None:
        return None
    if isinstance(raw, Decimal | int) and not isinstance(raw, bool):
        text = str(raw)
    elif isinstance(raw, float):
        text = repr(raw)
    else:
        text = unicodedata.normalize("NFKC", str(raw))
    text = re.sub(r"\s+", "", text).replace("，", ",").replace("。", ".")
    if text.endswith("万元"):
        text = text[:-2]
    elif text.endswith("万"):
        text = text[:-1]
    if text == "":
        return None
    if text.startswith("-"):
        raise ValidationError(f"{name}不能为负数。", code="negative")
    if "," in text and not _GROUPED.match(text):
        where = f"{name}的千位分隔符位置不对"
        raise ValidationError(f"{where}，请按“6,800.00”或“6800”的格式填写。", code="grouping")
    text = text.replace(",", "")
    if not _PLAIN.match(text):
        raise ValidationError(f"{name}应填写金额数字（单位：万元），如“6800”或“6,800.00”。", code="invalid")
    # Trailing zeros are not decimals anyone meant ("6800.100"): the field checks the number itself.
    amount = clean_field(field, Decimal(text).normalize(), None, label=name)
    return amount.quantize(Decimal(1).scaleb(-field.decimal_places))


def plan_years(start_date: date | str | None, call_year: int) -> list[int]:
    """The calendar years of 第一年…第三年: from the construction period's start (建设期开始), or — while
    that is not filled in — the three years after the call's year."""
    if isinstance(start_date, str) and start_date:
        try:
            start_date = date.fromisoformat(start_date[:10])
        except ValueError:
            start_date = None
    first = start_date.year if isinstance(start_date, date) else call_year + 1
    return [first + offset for offset in range(len(YEARS))]


def money(amount: Decimal | None, *, empty: str = "—") -> str:
    """An amount in 万元 as the tables and messages print it: ``6,800.00``; ``empty`` for an empty cell."""
    return empty if amount is None else f"{amount:,.2f}"


def year_label(index: int, years: list[int]) -> str:
    return f"{YEAR_NAMES[index]}（{years[index - 1]}年）"


def cell_label(index: int, line: str, years: list[int]) -> str:
    """How a cell is named in its error messages, its input's label and the conflict panel:
    "2025年 牵头单位自筹" (``years`` from :func:`plan_years`)."""
    return f"{years[index - 1]}年 {LINE_LABELS[line]}"


Rows = Mapping[int, Mapping[str, Decimal | None]]


@dataclass(frozen=True)
class Totals:
    """Row and column totals of a budget. Empty cells count as zero."""

    sources: dict[int, Decimal]  # year index → total of the sources
    uses: dict[int, Decimal]
    lines: dict[str, Decimal]  # line → total over the three years
    filled: dict[int, bool]  # year index → any cell of the year filled in

    @property
    def sources_total(self) -> Decimal:
        return sum(self.sources.values(), Decimal(0))

    @property
    def uses_total(self) -> Decimal:
        return sum(self.uses.values(), Decimal(0))

    def balanced(self, index: int) -> bool:
        return self.sources[index] == self.uses[index]


def totals(rows: Rows) -> Totals:
    def amount(index: int, line: str) -> Decimal:
        return (rows.get(index) or {}).get(line) or Decimal(0)

    return Totals(
        sources={i: sum((amount(i, c) for c in SOURCE_CODES), Decimal(0)) for i in YEARS},
        uses={i: sum((amount(i, c) for c in USE_CODES), Decimal(0)) for i in YEARS},
        lines={c: sum((amount(i, c) for i in YEARS), Decimal(0)) for c, _ in LINES},
        filled={i: any((rows.get(i) or {}).get(c) is not None for c, _ in LINES) for i in YEARS},
    )


@dataclass(frozen=True)
class PrintedRow:
    """One row of the printed budget table: a group's total (一、资金来源合计) or one of its lines."""

    label: str
    amounts: list[Decimal | None]  # per year; None is an empty cell
    total: Decimal  # over the three years
    subtotal: bool
    kind: str = ""  # "source" or "use": the group the row heads or belongs to
    code: str = ""  # the line (``source_lead``…); empty on a group's total row


def printed_rows(rows: Rows) -> list[PrintedRow]:
    """The budget as every table prints it (the form, the read-only and version pages, the 实施方案):
    each group headed by its totals."""
    result = totals(rows)
    printed = []
    for kind, heading, lines, per_year, total in (
        ("source", "一、资金来源合计", SOURCES, result.sources, result.sources_total),
        ("use", "二、资金用途合计", USES, result.uses, result.uses_total),
    ):
        printed.append(PrintedRow(heading, [per_year[i] for i in YEARS], total, True, kind))
        for number, (code, name) in enumerate(lines, start=1):
            amounts = [(rows.get(i) or {}).get(code) for i in YEARS]
            printed.append(PrintedRow(f"{number}. {name}", amounts, result.lines[code], False, kind, code))
    return printed


def rows_from_snapshot(items: list[dict[str, Any]]) -> dict[int, dict[str, Decimal | None]]:
    """A snapshot's ``budget`` (decimal strings) as amounts by year index and line."""

    def amount(value: Any) -> Decimal | None:
        try:
            return None if value in (None, "") else Decimal(str(value))
        except InvalidOperation:
            return None

    return {item["index"]: {code: amount(item.get(code)) for code, _ in LINES} for item in items}


def problems(
    rows: Rows, *, other_note: str, planned_investment: Decimal | None, years: list[int]
) -> list[str]:
    """What keeps the budget from being complete and balanced, one sentence each (the pre-check rule)."""
    result = totals(rows)
    messages = []
    empty = [year_label(i, years) for i in YEARS if result.sources[i] <= 0]
    if empty:
        messages.append(f"请填写{'、'.join(empty)}的资金来源。")
    for index in YEARS:
        if result.sources[index] > 0 and not result.balanced(index):
            messages.append(
                f"{year_label(index, years)}资金来源合计{money(result.sources[index])}万元，"
                f"资金用途合计{money(result.uses[index])}万元，两者应相等。"
            )
    if result.lines["source_other"] > 0 and not (other_note or "").strip():
        messages.append("填写了“其他来源”的，请在“其他来源说明”中写明资金来源。")
    total = result.sources_total
    if planned_investment is not None and total > 0 and planned_investment != total:
        messages.append(
            f"经费预算三年合计{money(total)}万元，与“基本信息”中的计划总投入{money(planned_investment)}万元不一致。"
        )
    return messages
