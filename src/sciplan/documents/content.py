"""What the 申报书 and the 实施方案 say, built from a frozen snapshot, independent of the file format.

The DOCX and PDF builders both walk the same :class:`Document`, so the two formats cannot drift apart:
a cover, chapters made of key–value tables, data tables and headed texts, the commitment and the
signature and seal boxes. Section titles and field labels come from ``applications.sections`` and the
model's verbose names, so a field added to the form appears in the documents too.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from sciplan.applications import budget
from sciplan.applications.models import Application, StandingLevel
from sciplan.applications.sections import SECTIONS, Section
from sciplan.core import authority
from sciplan.documents.codes import display

DOCUMENT_TITLES = {"application": "{city}创新联合体申报书", "plan": "创新联合体实施方案"}
CHINESE_NUMERALS = "一二三四五六七八九十"

COMMITMENT = (
    "本单位郑重承诺：",
    "一、本申报书及实施方案所填报的内容和所附材料均真实、准确、完整、合法，不存在弄虚作假、"
    "侵犯他人知识产权等行为；",
    "二、所列成员单位均已知悉并同意参与本创新联合体建设，合作协议真实有效；",
    "三、本单位近三年无严重失信行为，未被列入严重失信主体名单，无重大安全、质量、环境污染事故；",
    "四、如获认定，将按照实施方案组织建设，接受{bureau}及相关部门的监督检查和年度考核，"
    "按要求报送建设进展和绩效情况；",
    "五、纸质申报材料与网上提交的版本一致（以本文档校验码为准）。",
    "如有不实，本单位愿意承担相应责任，并接受有关部门依法依规作出的处理。",
)


@dataclass
class KeyValues:
    """A form table: each row holds one or two (label, value) pairs; a single pair spans the row."""

    rows: list[list[tuple[str, str]]]
    kind: str = "kv"


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    numeric: frozenset[int] = frozenset()
    widths: list[int] | None = None  # relative column widths
    total: list[str] | None = None
    caption: str = ""
    kind: str = "table"
    emphasis: frozenset[int] = frozenset()  # rows printed like totals (the subtotals of a budget)
    one_line: frozenset[int] = frozenset()  # columns never narrower than their longest text
    centre_first: bool = True  # the first column is a 序号 or 年度; False for a column of item names
    together: bool = False  # a short table printed on one page (it moves to the next page whole)


@dataclass
class Text:
    heading: str
    paragraphs: list[str]
    kind: str = "text"


@dataclass
class Chapter:
    title: str
    blocks: list[Any]


@dataclass
class Signature:
    title: str
    lines: list[str]


@dataclass
class Document:
    kind: str  # application or plan
    title: str
    call_title: str
    consortium_name: str
    lead_unit: str
    recommender: str
    contact: str
    date_text: str
    version_number: int | None
    receipt_no: str
    code: str  # display form, "" for a draft
    verify_url: str
    is_draft: bool
    cover_rows: list[tuple[str, str]]
    chapters: list[Chapter]
    commitment: tuple[str, ...]
    signatures: list[Signature] = field(default_factory=list)
    issuer: str = ""
    system_name: str = ""

    @property
    def title_lines(self) -> list[str]:
        """The cover title broken where an official would break it: the name, then the kind."""
        if self.kind == "plan":
            return [self.consortium_name, "实施方案"]
        return [self.title]

    @property
    def header_text(self) -> str:
        return self.call_title

    @property
    def footer_text(self) -> str:
        if self.is_draft:
            return "草稿预览 · 未提交 · 不作为申报材料"
        return f"第{self.version_number}版 · 校验码 {self.code}"


def text_width_mm(text: str, size_pt: float) -> float:
    """How wide ``text`` sets on one line, at most: a CJK or full-width character is one em, a Latin
    capital 0.78 em, any other character 0.64 em — the widths of DejaVu, which LibreOffice sets where
    宋体 and Times New Roman are missing (Times New Roman's digits are half an em)."""
    em = size_pt * 25.4 / 72
    return sum(em if ord(ch) > 0x2E7F else em * (0.78 if ch.isupper() else 0.64) for ch in text)


def fitted_widths(
    headers: list[str],
    rows: list[list[str]],
    relative: list[float],
    *,
    total_mm: float,
    size_pt: float,
    padding_mm: float,
    short: int = 6,
    one_line: Collection[int] = (),
) -> list[float]:
    """Column widths in mm: the relative shares, except that a column whose every text (header
    included) is short — 序号, 级别, 年度 — or that is named in ``one_line`` (amounts, codes) is never
    narrower than its longest text on one line. A header that may wrap carries its line breaks."""
    whole = sum(relative)
    widths = [total_mm * w / whole for w in relative]
    minimum = []
    for index in range(len(relative)):
        texts = [headers[index]] + [row[index] for row in rows if index < len(row)]
        lines = [line for text in texts for line in (text or "").split("\n")]
        if index in one_line or max((len(line) for line in lines), default=0) <= short:
            minimum.append(max(text_width_mm(line, size_pt) for line in lines) + padding_mm + 0.8)
        else:
            minimum.append(0.0)
    fixed = {i for i, (w, m) in enumerate(zip(widths, minimum, strict=True)) if m > w}
    if not fixed:
        return widths
    rest = total_mm - sum(minimum[i] for i in fixed)
    free = sum(relative[i] for i in range(len(relative)) if i not in fixed) or 1
    return [minimum[i] if i in fixed else rest * relative[i] / free for i in range(len(relative))]


def label(name: str) -> str:
    return str(Application._meta.get_field(name).verbose_name)


def numbered(index: int) -> str:
    return CHINESE_NUMERALS[index] if index < len(CHINESE_NUMERALS) else str(index + 1)


def paragraphs(text: str | None) -> list[str]:
    lines = [line.strip() for line in (text or "").replace("\r\n", "\n").split("\n")]
    return [line for line in lines if line] or ["（未填写）"]


def money(value: Any) -> str:
    amount = to_decimal(value)
    return "" if amount is None else f"{amount:,.2f}"


def to_decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def chinese_date(value: Any) -> str:
    if not value:
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    return f"{value.year}年{value.month:02d}月{value.day:02d}日"


def short_date(value: Any) -> str:
    """2024.07.04 — for narrow table cells."""
    text = chinese_date(value)
    if text == "—" or "年" not in text:
        return text
    return text.replace("年", ".").replace("月", ".").replace("日", "")


def _text(value: Any) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or "—"
    return str(value)


# --- chapters of the 申报书 -----------------------------------------------------------------------------


def _basic(snapshot: dict, section: Section) -> list[Any]:
    f = snapshot["fields"]
    return [
        KeyValues(
            [
                [("联合体名称", snapshot["consortium_name"])],
                [
                    (label("direction"), _text(f.get("direction"))),
                    (label("industry"), _text(f.get("industry"))),
                ],
                [(label("tech_field"), _text(f.get("tech_field")))],
                [
                    ("推荐单位", snapshot["recommender"]["name"]),
                    (label("planned_investment"), money(f.get("planned_investment")) or "—"),
                ],
                # a row of its own: in a half-width cell the second date broke after its year
                [("建设期", f"{chinese_date(f.get('start_date'))} 至 {chinese_date(f.get('end_date'))}")],
                [
                    (label("contact_name"), _text(f.get("contact_name"))),
                    (label("contact_post"), _text(f.get("contact_post"))),
                ],
                [
                    (label("contact_mobile"), _text(f.get("contact_mobile"))),
                    (label("contact_email"), _text(f.get("contact_email"))),
                ],
            ]
        )
    ]


def _finance_table(snapshot: dict) -> Table:
    rows, revenue_total, rd_total = [], Decimal(0), Decimal(0)
    for item in snapshot.get("finances", []):
        revenue, rd = to_decimal(item.get("revenue")), to_decimal(item.get("rd_spending"))
        revenue_total += revenue or 0
        rd_total += rd or 0
        rows.append([f"{item['year']}年", money(revenue) or "—", money(rd) or "—"])
    return Table(
        headers=["年度", "营业收入（万元）", "研发投入（万元）"],
        rows=rows,
        numeric=frozenset({1, 2}),
        widths=[2, 3, 3],
        total=["合计", money(revenue_total), money(rd_total)],
        caption="近三年营业收入与研发投入",
    )


def _budget_table(snapshot: dict) -> Table:
    """经费预算表: a row per line, a column per year of the plan, the three-year total last; each group
    of lines is headed by its total, so the row totals and the column totals are both printed."""
    years = [item.get("year") for item in sorted(snapshot["budget"], key=lambda item: item["index"])]
    printed = budget.printed_rows(budget.rows_from_snapshot(snapshot["budget"]))
    table_rows = [
        [row.label, *(money(v) if v is not None else "—" for v in row.amounts), money(row.total)]
        for row in printed
    ]
    emphasis = {i for i, row in enumerate(printed) if row.subtotal}
    return Table(
        headers=[
            "项目",
            *(
                f"{budget.YEAR_NAMES[i]}\n（{y}年）" if y else budget.YEAR_NAMES[i]
                for i, y in zip(budget.YEARS, years, strict=True)
            ),
            "三年合计",
        ],
        rows=table_rows,
        numeric=frozenset({1, 2, 3, 4}),
        widths=[7, 4, 4, 4, 4],
        caption="经费预算表（单位：万元）",
        emphasis=frozenset(emphasis),
        one_line=frozenset({0, 1, 2, 3, 4}),
        centre_first=False,
        together=True,
    )


def _budget_chapter(snapshot: dict) -> list[Any]:
    """Chapter 经费预算与投入: the narrative, the budget table and what 其他来源 is. A snapshot from before
    the budget table (schema 1) prints as it did then: the narrative and the lead unit's finances."""
    f = snapshot["fields"]
    blocks: list[Any] = [Text("", paragraphs(f.get("budget_plan")))]
    if "budget" not in snapshot:
        return [*blocks, _finance_table(snapshot)]
    blocks.append(_budget_table(snapshot))
    note = (f.get(budget.OTHER_NOTE) or "").strip()
    if note:
        blocks.append(Text("", [f"{label(budget.OTHER_NOTE)}：{note}"]))
    return blocks


def _platform_table(snapshot: dict) -> Table:
    rows = [
        [str(i), p["name"], p.get("level_label", ""), p.get("authority", ""), f"{p.get('year', '')}年"]
        for i, p in enumerate(snapshot.get("platforms", []), start=1)
    ]
    return Table(
        headers=["序号", "平台名称", "级别", "认定部门", "认定年度"],
        rows=rows or [["—", "（无）", "", "", ""]],
        widths=[1, 6, 2, 4, 2],
        caption="市级以上研发平台",
    )


def _lead(snapshot: dict, section: Section) -> list[Any]:
    f = snapshot["fields"]
    lead = snapshot["lead_unit"]
    standing = dict(StandingLevel.choices).get(f.get("lead_standing_level") or "", "—")
    return [
        KeyValues(
            [
                [("单位名称", lead["name"])],
                [
                    ("统一社会信用代码", lead.get("uscc") or "—"),
                    (label("lead_legal_rep"), _text(f.get("lead_legal_rep"))),
                ],
                [("通讯地址", lead.get("address") or "—")],
                [
                    (label("lead_enterprise_type"), _text(f.get("lead_enterprise_type"))),
                    (label("lead_standing_level"), standing),
                ],
                [(label("lead_credentials"), _text(f.get("lead_credentials")))],
                [
                    (label("lead_rd_staff"), _text(f.get("lead_rd_staff"))),
                    (label("lead_invention_patents"), _text(f.get("lead_invention_patents"))),
                ],
            ]
        ),
        _finance_table(snapshot),
        _platform_table(snapshot),
        Text(label("lead_standing"), paragraphs(f.get("lead_standing"))),
    ]


def _members(snapshot: dict) -> list[Any]:
    members = snapshot.get("members", [])
    local = sum(1 for m in members if m.get("in_yueyang"))
    by_category: dict[str, int] = {}
    for m in members:
        by_category[m["category_label"]] = by_category.get(m["category_label"], 0) + 1
    mix = "，".join(f"{name}{count}家" for name, count in by_category.items())
    summary = (
        f"成员单位共{len(members)}家，其中{authority.current().in_city}{local}家、市外{len(members) - local}家"
        + (f"；{mix}。" if mix else "。")
    )
    rows = []
    for i, m in enumerate(members, start=1):
        agreement = short_date(m.get("agreement_signed_on"))
        if m.get("agreement_years"):
            agreement += f"\n期限{m['agreement_years']}年"
        rows.append(
            [
                str(i),
                m["name"],
                m.get("uscc", ""),
                m.get("category_label", ""),
                "市内" if m.get("in_yueyang") else "市外",
                agreement,
                short_date(m.get("cooperation_started_on")),
                "已确认" if m.get("confirmed_at") else "未确认",
            ]
        )
    # Role and results can be a thousand characters each: they follow the table as headed texts, which
    # flow across pages naturally (a table cell that long would be hard to read and slow to lay out).
    details = [
        Text(
            m["name"],
            [
                "在联合体中的分工：" + " ".join(paragraphs(m.get("role"))),
                "前期合作成效：" + " ".join(paragraphs(m.get("cooperation_results"))),
                "联系人："
                + ("　".join(x for x in (m.get("contact_name"), m.get("contact_mobile")) if x) or "—"),
            ],
        )
        for m in members
    ]
    return [
        Text("", [summary]),
        Table(
            headers=[
                "序号",
                "单位名称",
                "统一社会信用代码",
                "类别",
                "所在地",
                "合作协议签订",
                "实质性合作开始",
                "确认",
            ],
            rows=rows or [["—", "（无）", "", "", "", "", "", ""]],
            widths=[4, 22, 23, 12, 7, 14, 12, 8],
            caption="成员单位名单",
        ),
        *details,
    ]


def _governance(snapshot: dict, section: Section) -> list[Any]:
    f = snapshot["fields"]
    return [
        KeyValues(
            [
                [(label("meeting_frequency"), _text(f.get("meeting_frequency")))],
                [
                    (label("liaison_name"), _text(f.get("liaison_name"))),
                    (label("liaison_post"), _text(f.get("liaison_post"))),
                ],
                [(label("liaison_mobile"), _text(f.get("liaison_mobile")))],
            ]
        ),
        *[
            Text(label(name), paragraphs(f.get(name)))
            for name in ("decision_body", "execution_body", "ip_sharing", "member_entry_exit")
        ],
    ]


def _texts(snapshot: dict, section: Section) -> list[Any]:
    return [Text(label(name), paragraphs(snapshot["fields"].get(name))) for name in section.fields]


def _attachments(snapshot: dict) -> Table:
    rows = [
        [str(i), a.get("kind_label", ""), a.get("name", ""), (a.get("sha256") or "")[:16]]
        for i, a in enumerate(snapshot.get("attachments", []), start=1)
    ]
    return Table(
        headers=["序号", "附件类型", "文件名", "SHA-256（前16位）"],
        rows=rows or [["—", "（无）", "", ""]],
        widths=[1, 4, 9, 4],
        caption="网上提交的附件",
    )


RENDERERS = {"basic": _basic, "lead": _lead, "governance": _governance}


def _application_chapters(snapshot: dict) -> list[Chapter]:
    chapters: list[Chapter] = []
    for section in (s for s in SECTIONS if s.document == "application"):
        blocks = RENDERERS.get(section.code, _texts)(snapshot, section)
        chapters.append(Chapter(section.title, blocks))
        if section.code == "lead":
            chapters.append(Chapter("成员单位", _members(snapshot)))
    chapters.append(Chapter("附件清单", [_attachments(snapshot)]))
    return chapters


def _plan_chapters(snapshot: dict) -> list[Chapter]:
    chapters: list[Chapter] = []
    for section in (s for s in SECTIONS if s.document == "plan"):
        if section.title == "实施方案":
            # The section that gathers the plan's own chapters: each field is a chapter of the document.
            for name in section.fields:
                if name == budget.OTHER_NOTE:
                    continue  # printed under the budget table
                if name == "budget_plan":
                    chapters.append(Chapter(label(name), _budget_chapter(snapshot)))
                    continue
                chapters.append(Chapter(label(name), [Text("", paragraphs(snapshot["fields"].get(name)))]))
        else:
            chapters.append(Chapter(section.title, _texts(snapshot, section)))
    return chapters


def _signatures(snapshot: dict) -> list[Signature]:
    signatures = [
        Signature("牵头单位意见", ["法定代表人（签字）：", "（单位盖章）", "年　　月　　日"]),
        Signature("推荐单位意见", ["负责人（签字）：", "（单位盖章）", "年　　月　　日"]),
    ]
    if snapshot["recommender"].get("needs_finance_cosign"):
        signatures.append(Signature("财政部门意见", ["负责人（签字）：", "（单位盖章）", "年　　月　　日"]))
    return signatures


def build(
    snapshot: dict,
    kind: str,
    *,
    code: str = "",
    version_number: int | None = None,
    receipt_no: str = "",
    submitted_at: datetime | None = None,
) -> Document:
    """The document ``kind`` ("application" or "plan") of a snapshot. A snapshot without ``code`` is a
    draft: it is watermarked and carries no verification code."""
    f = snapshot["fields"]
    is_draft = not code
    issuer = authority.current()
    title = DOCUMENT_TITLES[kind].format(city=issuer.city)
    if kind == "plan":
        title = f"{snapshot['consortium_name']}实施方案"
    when = submitted_at or timezone.now()
    contact = "　".join(x for x in (f.get("contact_name"), f.get("contact_mobile")) if x) or "—"
    cover_rows = [
        ("申报批次", snapshot["call"]["title"]),
        ("联合体名称", snapshot["consortium_name"]),
        ("牵头单位（盖章）", snapshot["lead_unit"]["name"]),
        ("推荐单位（盖章）", snapshot["recommender"]["name"]),
        ("联系人", contact),
        ("提交日期" if not is_draft else "预览日期", chinese_date(when)),
    ]
    chapters = _application_chapters(snapshot) if kind == "application" else _plan_chapters(snapshot)
    return Document(
        kind=kind,
        title=title,
        call_title=snapshot["call"]["title"],
        consortium_name=snapshot["consortium_name"],
        lead_unit=snapshot["lead_unit"]["name"],
        recommender=snapshot["recommender"]["name"],
        contact=contact,
        date_text=chinese_date(when),
        version_number=version_number,
        receipt_no=receipt_no,
        code=display(code) if code else "",
        verify_url=verify_url(code) if code else "",
        is_draft=is_draft,
        cover_rows=cover_rows,
        chapters=chapters,
        commitment=tuple(line.format(bureau=issuer.bureau) for line in COMMITMENT),
        signatures=_signatures(snapshot),
        issuer=issuer.bureau,
        system_name=issuer.system_name,
    )


def verify_url(code: str) -> str:
    return authority.current().url(f"/verify/?code={code}")
