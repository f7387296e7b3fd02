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
        description="工作日历状态代码", json_schema_extra={"enum": ["missing", "draft", "confirmed"]}
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
