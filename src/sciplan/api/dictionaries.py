"""API: 数据字典 — the industries (which are also the expert fields), the recommending units and the
working-day calendar by year; entering or confirming a year's arrangement.

``dictionary_list`` is for the system administrator and bureau staff (the bureau needs the ids to set up
a call); ``workday_calendar_update`` uses the calendar page's service and roles (administrator, bureau).
Anyone else gets 404: for them the dictionaries do not exist.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema

from sciplan.api.schemas import errors
from sciplan.calls import dictionaries
from sciplan.core import clock
from sciplan.core.errors import NotFound
from sciplan.core.http import client_ip
from sciplan.recognition import calendar, services

router = Router(tags=["数据字典"])

Year = Annotated[int, Path(ge=2000, le=2100, description="年度，如2027")]


class DictionaryKind(StrEnum):
    INDUSTRIES = "industries"
    RECOMMENDERS = "recommenders"
    EXPERT_FIELDS = "expert_fields"
    CALENDAR_YEARS = "calendar_years"


class IndustryEntry(Schema):
    id: int = Field(description="产业编号")
    code: str = Field(description="产业编码")
    group: str = Field(
        description="产业类别：1 主导产业、3 优势产业、X 新兴产业",
        json_schema_extra={"enum": ["1", "3", "X"]},
    )
    group_label: str = Field(description="产业类别的中文名称")
    name: str = Field(description="产业名称")
    pending_confirmation: bool = Field(description="目录调整待确认（尚未生效）")
    order: int = Field(description="排序")
    active: bool = Field(description="是否启用；停用的不再出现在新批次中，已有记录保留")


class RecommenderEntry(Schema):
    id: int = Field(description="推荐单位编号")
    code: str = Field(description="行政区划代码或园区编码")
    name: str = Field(description="推荐单位名称")
    kind: str = Field(description="county 县市区，park 园区", json_schema_extra={"enum": ["county", "park"]})
    kind_label: str = Field(description="类型的中文名称")
    region_code: str = Field(description="所在行政区划代码")
    needs_finance_cosign: bool = Field(description="推荐须财政部门联合确认")
    order: int = Field(description="排序")
    active: bool = Field(description="是否启用")


class ExpertField(Schema):
    code: str = Field(description="专家领域代码（即产业编码）")
    name: str = Field(description="专家领域名称")
    industry_id: int = Field(description="对应的产业编号")
    active: bool = Field(description="是否启用")


class CalendarYear(Schema):
    year: int = Field(description="年度")
    status: str = Field(
        description=(
            "工作日历状态代码：confirmed 已确认；published 已内置国务院办公厅安排（未经管理员确认）；"
            "missing 未确认"
        ),
        json_schema_extra={"enum": ["confirmed", "missing", "published"]},  # calendar.YEAR_STATUS_LABELS
    )
    status_label: str = Field(description="工作日历状态")
    holidays: list[date] = Field(description="法定节假日（放假的日期）")
    workdays: list[date] = Field(description="调休上班的周末日期")
    source: str = Field(description="依据（如国务院办公厅通知文号）")
    confirmed_at: datetime | None = Field(description="确认时间")
    confirmed_by: str = Field(description="确认人")


class DictionariesOut(Schema):
    industries: list[IndustryEntry] | None = Field(None, description="1+3+X 产业目录（kind=industries 时）")
    recommenders: list[RecommenderEntry] | None = Field(None, description="推荐单位（kind=recommenders 时）")
    expert_fields: list[ExpertField] | None = Field(None, description="专家领域（kind=expert_fields 时）")
    calendar_years: list[CalendarYear] | None = Field(None, description="工作日历（kind=calendar_years 时）")


class CalendarYearIn(Schema):
    holidays: list[date] = Field(description="法定节假日（放假的日期），须属于该年度")
    workdays: list[date] = Field([], description="调休上班的周末日期，须属于该年度")
    source: str = Field("", description="依据（如国务院办公厅通知文号）", max_length=200)


def _industries() -> list[dict]:
    return [
        {
            "id": i.pk,
            "code": i.code,
            "group": i.group,
            "group_label": i.get_group_display(),
            "name": i.name,
            "pending_confirmation": i.pending_confirmation,
            "order": i.order,
            "active": i.active,
        }
        for i in dictionaries.INDUSTRIES.model.objects.all()
    ]


def _recommenders() -> list[dict]:
    return [
        {
            "id": r.pk,
            "code": r.code,
            "name": r.name,
            "kind": r.kind,
            "kind_label": r.get_kind_display(),
            "region_code": r.region_code,
            "needs_finance_cosign": r.needs_finance_cosign,
            "order": r.order,
            "active": r.active,
        }
        for r in dictionaries.RECOMMENDERS.model.objects.all()
    ]


def _expert_fields(industries: list[dict]) -> list[dict]:
    return [
        {"code": i["code"], "name": i["name"], "industry_id": i["id"], "active": i["active"]}
        for i in industries
    ]


@router.get(
    "/dictionaries",
    operation_id="dictionary_list",
    summary="数据字典",
    description=(
        "产业目录（1+3+X，含“待确认”标记）、推荐单位（县市区含GB/T 2260行政区划代码与财政联合推荐标记，"
        "以及园区）、专家评审领域（即产业目录，按产业编码记录）和年度工作日历（本年、次年及已确认的年度）。"
        "kind 只取其中一类；不填返回全部。已停用的条目也列出（active=false），只是不再供新数据选择。"
        "系统管理员与市科技局可用。"
    ),
    response={200: DictionariesOut, **errors(401, 404)},
)
def dictionary_list(request: HttpRequest, kind: DictionaryKind | None = None):
    dictionaries.ensure_reader(request.auth)
    wanted = {kind.value} if kind else {k.value for k in DictionaryKind}
    body: dict = {}
    if wanted & {"industries", "expert_fields"}:
        industries = _industries()
        if "industries" in wanted:
            body["industries"] = industries
        if "expert_fields" in wanted:
            body["expert_fields"] = _expert_fields(industries)
    if "recommenders" in wanted:
        body["recommenders"] = _recommenders()
    if "calendar_years" in wanted:
        body["calendar_years"] = calendar.years_overview(clock.local(clock.now()).year)
    return body


@router.put(
    "/workday-calendar/{year}",
    operation_id="workday_calendar_update",
    summary="录入或确认年度工作日历",
    description=(
        "按国务院办公厅公布的安排录入或确认某一年度的放假日期（周一至周五中放假的日期）与调休上班日期"
        "（周六、周日上班的日期）。确认后该年度的公示期按此计算；涉及未确认年度的公示不能发布。"
        "与工作日历页面同一服务与权限（系统管理员、市科技局），每次确认记入审计日志（含修改前后的安排）。"
    ),
    response={200: CalendarYear, **errors(401, 404, 422)},
)
def workday_calendar_update(request: HttpRequest, year: Year, payload: CalendarYearIn):
    role: str = getattr(request.auth, "role", "")
    if role not in services.CALENDAR_ROLES:
        raise NotFound()  # as on the calendar page: for anyone else the calendar does not exist
    services.confirm_workday_year(
        year,
        holidays=payload.holidays,
        workdays=payload.workdays,
        source=payload.source,
        by=request.auth,
        ip=client_ip(request),
    )
    return next(y for y in calendar.years_overview(year) if y["year"] == year)


# ---------------------------------------------------------------- editing (the administrator's page)


class EditableKind(StrEnum):
    INDUSTRIES = "industries"
    RECOMMENDERS = "recommenders"


class DictionaryEntryIn(Schema):
    """一个字典条目的内容。新增时按类型填写全部必填项；修改时只填要改的字段，其余保持不变。编码创建后不能修改。"""

    code: str | None = Field(
        None, max_length=20, description="编码（新增时填写；产业编码供专家领域引用，创建后不能修改）"
    )
    name: str | None = Field(None, max_length=100, description="名称：产业不超过50字，推荐单位不超过100字")
    group: str | None = Field(
        None,
        description="产业类别（仅产业）：1 主导产业、3 优势产业、X 新兴产业",
        json_schema_extra={"enum": ["1", "3", "X"]},
    )
    pending_confirmation: bool | None = Field(None, description="目录调整待确认（仅产业）")
    kind: str | None = Field(
        None,
        description="推荐单位类型（仅推荐单位）：county 县市区，park 园区",
        json_schema_extra={"enum": ["county", "park"]},
    )
    region_code: str | None = Field(
        None, max_length=6, description="6位行政区划代码（GB/T 2260，仅推荐单位；县市区必填，不以00结尾）"
    )
    needs_finance_cosign: bool | None = Field(None, description="推荐须财政部门联合确认（仅推荐单位）")
    order: int | None = Field(None, ge=0, le=9999, description="排序，数字小的在前")


class DictionaryActiveIn(Schema):
    active: bool = Field(description="false 停用（不再供新数据选择，已有记录保留）；true 重新启用")


EntryId = Annotated[int, Path(description="字典条目编号（dictionary_list 中的 id）")]


def _entry_out(kind: dictionaries.Kind, entry) -> dict:
    rows = _industries() if kind is dictionaries.INDUSTRIES else _recommenders()
    return next(row for row in rows if row["id"] == entry.pk)


def _given(payload: DictionaryEntryIn) -> dict:
    return {name: value for name, value in payload.dict().items() if value is not None}


@router.post(
    "/dictionaries/{kind}",
    operation_id="dictionary_entry_create",
    summary="新增字典条目",
    description=(
        "在产业目录或推荐单位中新增一条（启用状态），与数据字典页面同一服务：名称不能重复，县市区须有"
        "行政区划代码，编码创建后不能修改。记入审计日志。仅系统管理员可用，其他角色返回 404。"
    ),
    response={201: IndustryEntry | RecommenderEntry, **errors(401, 404, 422)},
)
def dictionary_entry_create(request: HttpRequest, kind: EditableKind, payload: DictionaryEntryIn):
    which = dictionaries.KINDS[kind.value]
    entry = dictionaries.create_entry(which, data=_given(payload), by=request.auth, ip=client_ip(request))
    return 201, _entry_out(which, entry)


@router.patch(
    "/dictionaries/{kind}/{entry_id}",
    operation_id="dictionary_entry_update",
    summary="修改字典条目",
    description=(
        "修改条目的名称、类别或类型、标记与排序；未填写的字段保持原值，编码不能修改。"
        "内容未变时不写入也不记录。记入审计日志（含修改前后）。仅系统管理员可用。"
    ),
    response={200: IndustryEntry | RecommenderEntry, **errors(401, 404, 422)},
)
def dictionary_entry_update(
    request: HttpRequest, kind: EditableKind, entry_id: EntryId, payload: DictionaryEntryIn
):
    which = dictionaries.KINDS[kind.value]
    entry = dictionaries.get_entry_for(request.auth, which, entry_id)
    data = {name: getattr(entry, name) for name in which.fields}
    data.update(_given(payload))
    entry = dictionaries.update_entry(entry, data=data, by=request.auth, ip=client_ip(request))
    return _entry_out(which, entry)


@router.post(
    "/dictionaries/{kind}/{entry_id}/active",
    operation_id="dictionary_entry_activate",
    summary="停用或重新启用字典条目",
    description=(
        "字典条目不删除，只停用：停用后不再出现在注册、批次设置等新数据的选择中，已有申报、批次和账号中的"
        "记录保留原样。记入审计日志。仅系统管理员可用。"
    ),
    response={200: IndustryEntry | RecommenderEntry, **errors(401, 404)},
)
def dictionary_entry_activate(
    request: HttpRequest, kind: EditableKind, entry_id: EntryId, payload: DictionaryActiveIn
):
    which = dictionaries.KINDS[kind.value]
    entry = dictionaries.get_entry_for(request.auth, which, entry_id)
    entry = dictionaries.set_active(entry, active=payload.active, by=request.auth, ip=client_ip(request))
    return _entry_out(which, entry)
