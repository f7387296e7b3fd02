"""Form descriptions for the applicant's pages, generated from ``sections.SECTIONS`` and the model fields.

A field added to the registry or the model appears on the page with its Chinese label (the model's
``verbose_name``), its required mark, its help text and, for long texts, a live character counter. The
pages render these descriptions themselves so that every input gets a real ``<label for>``, an error
beside it and the data attributes autosave needs; the services do all validation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.http import QueryDict

from sciplan.applications import budget
from sciplan.applications.models import Application, FinanceYear, Member, RdPlatform, StandingLevel
from sciplan.applications.sections import CREDENTIALS, ENTERPRISE_TYPES, Section
from sciplan.applications.services import FINANCE_KEY, MEMBER_FIELDS
from sciplan.core.authority import lazy_text

# Text fields at least this long get a character counter (and a textarea when they are TextFields).
COUNTER_FROM = 100

HELP: dict[str, str] = {
    "direction": lazy_text(
        "联合体名称按“{city}＋方向＋创新联合体”生成，此处只填写方向部分，如“高性能聚烯烃新材料”。"
    ),
    "industry": "须为本批次1+3+X现代产业体系目录中的产业。",
    "recommender": "按牵头单位注册地或所在园区选择推荐单位。",
    "contact_mobile": "11位手机号码，用于接收审核通知短信。",
    "planned_investment": "单位：万元，保留两位小数；应与“实施方案”中经费预算的三年合计一致。",
    "budget_other_note": "填写了“其他来源”的，写明资金的具体来源，如银行科技贷款、各级科技计划项目资金。",
    "lead_credentials": "可多选；资质证明请在“附件材料”中上传。",
    "lead_rd_staff": "上年末在册研发人员数。",
    "lead_standing": "说明牵头单位在国内、省内或市内的行业主导地位及依据。",
    "liaison_name": "通知要求明确负责日常工作对接的工作人员。",
    "decision_body": "如理事会：组成、职责与议事规则。",
    "execution_body": "如秘书处：挂靠单位、人员与职责。",
    "task_application": "面向现有产品与工艺的应用一代技术攻关。",
    "task_development": "面向下一代产品的研发一代技术攻关。",
    "task_reserve": "面向前沿方向的储备一代技术布局。",
    "local_support": "本地配套率现状与三年目标、配套企业名单。",
    "uscc": "18位统一社会信用代码。",
    "in_yueyang": lazy_text("成员单位注册地位于{city}行政区域内。"),
    "agreement_years": "协议期限须为3年以上。",
    "cooperation_started_on": "实质性合作须在提交申报前满1年。",
}


@dataclass
class FieldSpec:
    name: str
    label: str
    kind: str  # text, textarea, select, checkboxes, date, decimal, integer, email, tel, checkbox
    required: bool = False
    max_length: int | None = None
    help: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)
    value: Any = ""
    error: str = ""
    field_version: int = 0
    prefix: str = ""  # keeps ids unique where a page holds several forms (one per member)

    @property
    def counter(self) -> bool:
        return bool(self.max_length) and (self.kind == "textarea" or self.max_length >= COUNTER_FROM)

    @property
    def input_id(self) -> str:
        return f"f-{self.prefix}{self.name}"

    @property
    def display(self) -> str:
        """The value as a reader sees it (read-only pages, conflict panels)."""
        if self.kind == "checkboxes":
            return "、".join(self.value or []) or "—"
        if self.kind == "checkbox":
            return "是" if self.value else "否"
        if self.choices:
            labels = dict(self.choices)
            return labels.get(str(self.value), "") or "—"
        return str(self.value) if self.value not in (None, "") else "—"

    @property
    def str_value(self) -> str:
        if self.value is None:
            return ""
        return str(self.value)


def _kind_of(model_field: models.Field, name: str) -> str:
    if name.endswith("mobile"):
        return "tel"
    if isinstance(model_field, models.EmailField):
        return "email"
    if isinstance(model_field, models.TextField):
        return "textarea"
    if isinstance(model_field, models.DateField):
        return "date"
    if isinstance(model_field, models.DecimalField):
        return "decimal"
    if isinstance(model_field, models.BooleanField):
        return "checkbox"
    if isinstance(model_field, models.IntegerField) and not model_field.choices:
        return "integer"
    if model_field.choices:
        return "select"
    return "text"


def _model_spec(model, name: str, *, required: bool) -> FieldSpec:
    model_field = model._meta.get_field(name)
    kind = _kind_of(model_field, name)
    choices = [(str(k), str(v)) for k, v in model_field.choices] if model_field.choices else []
    return FieldSpec(
        name=name,
        label=str(model_field.verbose_name),
        kind=kind,
        required=required,
        max_length=getattr(model_field, "max_length", None) if kind in ("text", "textarea") else None,
        help=HELP.get(name, ""),
        choices=choices,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def section_fields(
    application: Application,
    section: Section,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> list[FieldSpec]:
    """The fields of ``section`` with the saved values, overridden by ``values`` (what was typed)."""
    values = values or {}
    errors = errors or {}
    call = application.call
    names = list(section.fields)
    if section.code == "basic":
        names.insert(names.index("industry") + 1, "recommender")
    specs = []
    for name in names:
        required = name in section.required or name == "recommender"
        if name == "industry":
            spec = FieldSpec(name, "所属产业（1+3+X）", "select", required, help=HELP[name])
            spec.choices = [
                (str(i.pk), f"{i.get_group_display()[:1]} · {i.name}") for i in call.industries.all()
            ]
            current = application.industry_id
        elif name == "recommender":
            spec = FieldSpec(name, "推荐单位", "select", True, help=HELP[name])
            spec.choices = [(str(r.pk), r.name) for r in call.recommenders.all()]
            current = application.recommender_id
        elif name == "lead_credentials":
            spec = FieldSpec(name, "企业资质", "checkboxes", required, help=HELP[name])
            spec.choices = [(c, c) for c in CREDENTIALS]
            current = application.lead_credentials or []
        elif name == "lead_enterprise_type":
            spec = FieldSpec(name, "企业性质", "select", required)
            spec.choices = [(t, t) for t in ENTERPRISE_TYPES]
            current = application.lead_enterprise_type
        elif name == "lead_standing_level":
            spec = FieldSpec(name, "行业地位", "select", required)
            spec.choices = [(str(k), str(v)) for k, v in StandingLevel.choices]
            current = application.lead_standing_level
        else:
            spec = _model_spec(Application, name, required=required)
            current = _plain(getattr(application, name))
        spec.value = values.get(name, current)
        if spec.kind == "select" and spec.value is not None:
            spec.value = str(spec.value)
        spec.error = errors.get(name, "")
        spec.field_version = application.field_versions.get(name, 0)
        specs.append(spec)
    return specs


@dataclass
class FinanceRow:
    year: int
    revenue: FieldSpec
    rd: FieldSpec


def finance_rows(
    application: Application, *, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None
) -> list[FinanceRow]:
    """The three-year table of the lead section: ``revenue_<year>`` and ``rd_<year>`` inputs."""
    values = values or {}
    errors = errors or {}
    by_year: dict[int, FinanceYear] = {f.year: f for f in application.finance_years.all()}
    rows = []
    for year in application.call.rd_years:
        row = by_year.get(year)
        cells = []
        for kind, label, attr in (("revenue", "营业收入", "revenue"), ("rd", "研发投入", "rd_spending")):
            name = f"{kind}_{year}"
            current = _plain(getattr(row, attr)) if row else ""
            cells.append(
                FieldSpec(
                    name=name,
                    label=f"{year}年{label}（万元）",
                    kind="decimal",
                    required=kind == "rd",
                    value=values.get(name, current if current is not None else ""),
                    error=errors.get(name, ""),
                    field_version=application.field_versions.get(name, 0),
                )
            )
        rows.append(FinanceRow(year, cells[0], cells[1]))
    return rows


@dataclass(frozen=True)
class BudgetRow(budget.PrintedRow):
    """A printed row of the budget with its line's inputs, one per year (none on a group's total row)."""

    cells: tuple[FieldSpec, ...] = ()


@dataclass
class BudgetTable:
    """The budget of the plan section, row by row as ``budget.printed_rows`` prints it, with the inputs
    ``budget_<year>_<line>`` of each line, the saved totals and the 其他来源说明 field below it."""

    years: list[str]  # column headings: 第一年（2025年）…
    rows: list[BudgetRow]
    totals: budget.Totals
    note: FieldSpec | None

    @property
    def columns(self) -> list[dict[str, Any]]:
        """Per year: whether the sources and uses agree, by how much they differ (for the first render;
        the page's script recomputes it as the applicant types)."""
        t = self.totals
        return [
            {
                "index": index,
                "balanced": t.balanced(index),
                "difference": budget.money(abs(t.sources[index] - t.uses[index])),
                "filled": t.filled[index],
            }
            for index in budget.YEARS
        ]


def budget_table(
    application: Application,
    fields: list[FieldSpec],
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> BudgetTable:
    """The plan section's budget table; ``fields`` are the section's fields (``section_fields``), of
    which the 其他来源说明 is shown with the table."""
    values = values or {}
    errors = errors or {}
    saved = {row.index: row.amounts() for row in application.budget_years.all()}
    years = budget.plan_years(application.start_date, application.call.year)

    def cells(code: str) -> tuple[FieldSpec, ...]:
        specs = []
        for index in budget.YEARS:
            name = budget.key(index, code)
            current = (saved.get(index) or {}).get(code)
            specs.append(
                FieldSpec(
                    name=name,
                    label=field_label(name, years=years),
                    kind="decimal",
                    value=values.get(name, _plain(current) if current is not None else ""),
                    error=errors.get(name, ""),
                    field_version=application.field_versions.get(name, 0),
                )
            )
        return tuple(specs)

    return BudgetTable(
        years=[budget.year_label(i, years) for i in budget.YEARS],
        rows=[
            BudgetRow(**vars(row), cells=cells(row.code) if row.code else ())
            for row in budget.printed_rows(saved)
        ],
        totals=budget.totals(saved),
        note=next((f for f in fields if f.name == budget.OTHER_NOTE), None),
    )


def section_data(post: QueryDict, section: Section, application: Application) -> dict[str, Any]:
    """The submitted values of one section, as ``services.save_section`` takes them.

    Only fields present in the request are included, so an autosave that sends only what was typed
    never touches (or conflicts on) the fields a colleague changed. A checkbox group sends a marker
    (``<name>__present``) so that "all unticked" is told apart from "not sent".
    """
    data: dict[str, Any] = {}
    allowed = list(section.fields)
    if section.code == "basic":
        allowed.append("recommender")
    for name in allowed:
        if name == "lead_credentials":
            if f"{name}__present" in post or name in post:
                data[name] = post.getlist(name)
        elif name in post:
            data[name] = post.get(name, "")
    if section.code == "lead":
        for key in post:
            match = FINANCE_KEY.match(key)
            if match and int(match.group(2)) in application.call.rd_years:
                data[key] = post.get(key, "")
    if section.code == "plan":
        data.update({key: post.get(key, "") for key in post if budget.KEY.match(key)})
    return data


def display_value(application: Application, name: str, value: Any) -> str:
    """A stored or submitted value of ``name`` as a reader sees it (for the conflict panel)."""
    if value in (None, "", []):
        return ""
    if name == "industry":
        industry = application.call.industries.filter(pk=value).first()
        return industry.name if industry else str(value)
    if name == "recommender":
        recommender = application.call.recommenders.filter(pk=value).first()
        return recommender.name if recommender else str(value)
    if name == "lead_credentials":
        return "、".join(value) if isinstance(value, list) else str(value)
    if name == "lead_standing_level":
        return dict(StandingLevel.choices).get(value, str(value))
    return str(value)


def standing_label(value: str) -> str:
    return dict(StandingLevel.choices).get(value, value or "")


def field_label(name: str, *, years: list[int] | None = None) -> str:
    """The label of a field or table cell; a budget cell's needs the plan's ``years``
    (``budget.plan_years``)."""
    match = FINANCE_KEY.match(name)
    if match:
        kind = "营业收入" if match.group(1) == "revenue" else "研发投入"
        return f"{match.group(2)}年{kind}（万元）"
    match = budget.KEY.match(name)
    if match:
        if years is None:
            raise ValueError(f"{name}: a budget cell is labelled with the plan's years")
        return f"{budget.cell_label(int(match.group(1)), match.group(2), years)}（万元）"
    if name == "recommender":
        return "推荐单位"
    return str(Application._meta.get_field(name).verbose_name)


# --- members and platforms ------------------------------------------------------------------------

MEMBER_REQUIRED = {"name", "uscc", "category", "role", "agreement_signed_on", "agreement_years"}
MEMBER_REQUIRED |= {"cooperation_started_on"}


def member_fields(
    member: Member | None = None,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    prefix: str = "",
) -> list[FieldSpec]:
    values = values or {}
    errors = errors or {}
    specs = []
    for name in MEMBER_FIELDS:
        spec = _model_spec(Member, name, required=name in MEMBER_REQUIRED)
        if spec.kind == "checkbox":
            current: Any = member.in_yueyang if member else False
        else:
            current = _plain(getattr(member, name)) if member else ""
        spec.value = values.get(name, current)
        if spec.value is None:
            spec.value = ""
        spec.error = errors.get(name, "")
        spec.prefix = prefix
        specs.append(spec)
    return specs


def member_data(post: QueryDict) -> dict[str, Any]:
    data: dict[str, Any] = {name: post.get(name, "") for name in MEMBER_FIELDS if name in post}
    if "in_yueyang__present" in post:
        data["in_yueyang"] = post.get("in_yueyang") == "on"
    return data


PLATFORM_FIELDS = ("name", "level", "authority", "year")


def platform_fields(
    platform: RdPlatform | None = None,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    prefix: str = "",
) -> list[FieldSpec]:
    values = values or {}
    errors = errors or {}
    specs = []
    for name in PLATFORM_FIELDS:
        spec = _model_spec(RdPlatform, name, required=True)
        if name == "year":
            spec.kind = "integer"
        current = getattr(platform, name) if platform else ""
        spec.value = values.get(name, "" if current is None else str(current))
        spec.error = errors.get(name, "")
        spec.prefix = prefix
        specs.append(spec)
    return specs


def platform_data(post: QueryDict) -> dict[str, Any]:
    return {name: post.get(name, "") for name in PLATFORM_FIELDS if name in post}
