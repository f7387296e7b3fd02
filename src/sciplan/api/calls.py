"""API: 申报批次 — the public list and notice of each call, with its windows and rules; and the bureau's
set-up of calls (create, copy, change, publish, close, archive) through the same services as the pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Router, Schema

from sciplan.api.schemas import CallDetailOut, CallOut, Id, LocalDateTime, MoneyIn, RubricItem, errors
from sciplan.applications.models import AttachmentKind
from sciplan.calls import queries
from sciplan.calls.models import Call, PlatformLevel
from sciplan.calls.services import (
    CallAction,
    copy_call,
    create_call,
    ensure_bureau,
    transition_call,
    update_call,
)
from sciplan.core import clock
from sciplan.core.http import client_ip

router = Router(tags=["申报批次"])


def _phase(call: Call, now) -> str:
    if now < call.opens_at:
        return "upcoming"
    return "open" if now < call.closes_at else "closed"


def call_out(call: Call, now) -> dict:
    return {
        "id": call.pk,
        "title": call.title,
        "year": call.year,
        "program": call.program,
        "is_practice": call.is_practice,
        "opens_at": call.opens_at,
        "closes_at": call.closes_at,
        "recommend_deadline": call.recommend_deadline,
        "paper_deadline": call.paper_deadline,
        "phase": _phase(call, now),
    }


@router.get(
    "/calls",
    auth=None,
    operation_id="call_list",
    summary="申报批次列表",
    description="已发布的申报批次（不含草稿与已归档批次），按开始时间倒序；phase 按服务器时间给出 未开始/申报中/已截止。无需登录。",
    response={200: list[CallOut]},
)
def call_list(request: HttpRequest):
    now = clock.now()
    calls = queries.calls_listed_for(request.user).order_by("-opens_at", "-id")
    return [call_out(call, now) for call in calls]


def _labels(codes: list[str]) -> list[dict]:
    return [
        {"code": code, "label": AttachmentKind(code).label if code in AttachmentKind.values else code}
        for code in codes
    ]


@router.get(
    "/calls/{call_id}",
    auth=None,
    operation_id="call_get",
    summary="申报批次详情",
    description="通知正文、时间节点、申报条件（门槛）、1+3+X 产业目录、推荐单位、必传附件与评分指标。无需登录。",
    response={200: CallDetailOut, **errors(404)},
)
def call_get(request: HttpRequest, call_id: Id):
    return call_detail_out(queries.get_call_for(request.user, call_id))


def call_detail_out(call: Call) -> dict:
    return {
        **call_out(call, clock.now()),
        "notice": call.notice,
        "paper_address": call.paper_address,
        "contact": call.contact,
        "rd_threshold": call.rd_threshold,
        "rd_years": call.rd_years,
        "min_platform_level": call.min_platform_level,
        "min_platform_level_label": PlatformLevel(call.min_platform_level).label,
        "agreement_min_years": call.agreement_min_years,
        "cooperation_min_years": call.cooperation_min_years,
        "public_notice_days": call.public_notice_days,
        "industries": [
            {"id": i.pk, "code": i.code, "group": i.group, "name": i.name} for i in call.industries.all()
        ],
        "recommenders": [
            {
                "id": r.pk,
                "code": r.code,
                "name": r.name,
                "kind": r.kind,
                "needs_finance_cosign": r.needs_finance_cosign,
            }
            for r in call.recommenders.all()
        ],
        "required_attachments": _labels(call.required_attachments or []),
        "rubric": [
            {"code": item.get("code", ""), "label": item.get("label", ""), "max": item.get("max", 0)}
            for item in (call.rubric or [])
        ],
    }


# --- set-up by the bureau -----------------------------------------------------------------------------

SmallInt = Annotated[int, Field(ge=0, le=32767)]
Text = Annotated[str, Field(max_length=20000)]


class RubricItemIn(Schema):
    code: str = Field("", max_length=30, description="指标代码（可不填，按顺序生成）")
    label: str = Field(max_length=200, description="指标名称")
    max: SmallInt = Field(description="分值（整数，各项合计100）")
    description: str = Field(max_length=2000, description="指标说明，专家据此打分")


class AttachmentSpecIn(Schema):
    kind: str = Field(max_length=40, description="附件类型代码，如 financial_evidence、charter、commitment")
    name: str = Field("", max_length=200, description="显示名称（可不填，用类型名称）")
    types: list[Annotated[str, Field(max_length=10)]] = Field(
        max_length=10, description="允许的文件格式：pdf、jpeg、png、docx、xlsx"
    )
    max_mb: SmallInt = Field(description="大小上限（MB）")
    required: bool = Field(description="是否必传")


class CallSetupIn(Schema):
    """每个字段都可不填：新建时取新批次的默认值，修改时保持原值。"""

    title: str | None = Field(None, max_length=200, description="通知标题")
    year: SmallInt | None = Field(None, description="年度")
    notice: Text | None = Field(None, description="通知正文")
    is_practice: bool | None = Field(None, description="是否为演练批次")
    opens_at: datetime | None = Field(None, description="网上申报开始（无时区时按北京时间）")
    closes_at: datetime | None = Field(None, description="网上申报截止")
    recommend_deadline: datetime | None = Field(None, description="推荐单位推荐截止")
    paper_deadline: date | None = Field(None, description="纸质材料报送截止日期")
    correction_deadline: datetime | None = Field(None, description="形式审查补正截止（可为空）")
    paper_address: str | None = Field(None, max_length=200, description="纸质材料报送地址")
    rd_threshold: MoneyIn | None = Field(None, description="近三年研发投入合计门槛（万元）")
    rd_first_year: SmallInt | None = Field(None, description="研发投入统计起始年度")
    min_platform_level: SmallInt | None = Field(
        None, description="研发平台最低级别：1 市级，2 省级，3 国家级"
    )
    agreement_min_years: SmallInt | None = Field(None, description="合作协议最短期限（年）")
    cooperation_min_years: SmallInt | None = Field(None, description="实质性合作最短时长（年）")
    public_notice_days: SmallInt | None = Field(None, description="公示期（工作日，5至30）")
    panel_min_size: SmallInt | None = Field(None, description="评审专家组最少人数")
    panel_default_size: SmallInt | None = Field(None, description="评审专家组默认人数")
    contact: Text | None = Field(None, description="咨询联系方式，每行一条")
    industries: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] | None = Field(
        None, max_length=200, description="参与本批次的产业 id"
    )
    recommenders: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] | None = Field(
        None, max_length=200, description="参与本批次的推荐单位 id"
    )
    attachment_specs: list[AttachmentSpecIn] | None = Field(None, max_length=50, description="附件要求")
    rubric: list[RubricItemIn] | None = Field(None, max_length=50, description="评分指标")


class CallUpdateIn(CallSetupIn):
    reason: str = Field(
        "", max_length=500, description="调整理由：已开始申报的批次调整时间节点时必填，并通知申报单位"
    )


class CallCopyIn(Schema):
    year: SmallInt | None = Field(None, description="新批次年度，默认为原批次年度加一")


class RubricItemOut(RubricItem):
    description: str = Field(description="指标说明")


class AttachmentSpecOut(Schema):
    kind: str = Field(description="附件类型代码")
    name: str = Field(description="附件名称")
    types: list[str] = Field(description="接受的格式（按内容识别）：pdf、jpeg、png、docx、xlsx")
    max_mb: int = Field(description="单个文件大小上限（MB）")
    required: bool = Field(description="是否为必传附件")


class CallSetupOut(CallDetailOut):
    state: str = Field(description="draft 草稿，published 已发布，closed 已结束，archived 已归档")
    correction_deadline: LocalDateTime | None = Field(description="形式审查补正截止")
    panel_min_size: int = Field(description="每组评审专家的最少人数")
    panel_default_size: int = Field(description="每组评审专家的默认人数")
    attachment_specs: list[AttachmentSpecOut] = Field(description="附件要求")
    # A list of a subtype (each item with its description): list is invariant for mypy.
    rubric: list[RubricItemOut] = Field(description="评分指标（含说明）")  # type: ignore[assignment]


def _setup_out(call: Call) -> dict:
    call = Call.objects.prefetch_related("industries", "recommenders").get(pk=call.pk)
    return {
        **call_detail_out(call),
        "state": call.state,
        "correction_deadline": call.correction_deadline,
        "panel_min_size": call.panel_min_size,
        "panel_default_size": call.panel_default_size,
        "attachment_specs": [
            {
                "kind": s.get("kind", ""),
                "name": s.get("name", ""),
                "types": list(s.get("types") or []),
                "max_mb": s.get("max_mb", 0),
                "required": bool(s.get("required")),
            }
            for s in call.attachment_specs or []
        ],
        "rubric": [
            {
                "code": i.get("code", ""),
                "label": i.get("label", ""),
                "max": i.get("max", 0),
                "description": i.get("description", ""),
            }
            for i in call.rubric or []
        ],
    }


def _bureau_call(user, call_id: int) -> Call:
    ensure_bureau(user)  # before the fetch: a published call is visible to all, its set-up is not
    return queries.get_call_for(user, call_id)


def _values(payload: CallSetupIn) -> dict:
    data = payload.dict(exclude_unset=True)
    data.pop("reason", None)
    return data


SETUP = "仅市科技局可用，其他角色一律返回 404。"


@router.post(
    "/calls",
    operation_id="call_create",
    summary="新建申报批次（草稿）",
    description="市科技局新建一个草稿批次；未传的字段取新批次的默认值。校验与网页相同：时间节点先后、"
    "评分指标合计100分、附件要求、门槛范围，错误按字段给出中文说明（422）。每次新建记一条审计记录。" + SETUP,
    response={201: CallSetupOut, **errors(401, 404, 422)},
)
def call_create(request: HttpRequest, payload: CallSetupIn):
    call = create_call(data=_values(payload), by=request.auth, ip=client_ip(request))
    return 201, _setup_out(call)


@router.patch(
    "/calls/{call_id}",
    operation_id="call_update",
    summary="修改申报批次设置",
    description="只改所传字段。批次开始申报后，申报条件、评分指标、附件要求和产业目录冻结，修改被拒绝（422，"
    "字段说明原因）；时间节点仍可调整，但须填写 reason，调整后通知本批次申报单位。已归档批次不能修改（409）。"
    "审计记录保存每个字段的原值与新值。" + SETUP,
    response={200: CallSetupOut, **errors(401, 404, 409, 422)},
)
def call_update(request: HttpRequest, call_id: Id, payload: CallUpdateIn):
    call = _bureau_call(request.auth, call_id)
    call = update_call(
        call, data=_values(payload), reason=payload.reason, by=request.auth, ip=client_ip(request)
    )
    return 200, _setup_out(call)


@router.post(
    "/calls/{call_id}/copy",
    operation_id="call_copy",
    summary="复制为新批次",
    description="以已有批次为底稿新建草稿批次（默认下一年度）：时间节点与研发投入统计年度按年度差顺延，"
    "标题中的年度一并替换，原批次不变。" + SETUP,
    response={201: CallSetupOut, **errors(401, 404, 422)},
)
def call_copy(request: HttpRequest, call_id: Id, payload: CallCopyIn):
    source = _bureau_call(request.auth, call_id)
    call = copy_call(source, year=payload.year, by=request.auth, ip=client_ip(request))
    return 201, _setup_out(call)


def _transition(request: HttpRequest, call_id: int, action: str):
    call = _bureau_call(request.auth, call_id)
    return 200, _setup_out(transition_call(call, action, by=request.auth, ip=client_ip(request)))


@router.post(
    "/calls/{call_id}/publish",
    operation_id="call_publish",
    summary="发布申报批次",
    description="草稿 → 已发布：批次公开，到开始时间后接受申报。发布前检查时间节点、评分指标、产业目录和推荐单位，"
    "网上申报截止时间已过的不能发布（422）；非草稿批次返回 409。" + SETUP,
    response={200: CallSetupOut, **errors(401, 404, 409, 422)},
)
def call_publish(request: HttpRequest, call_id: Id):
    return _transition(request, call_id, CallAction.PUBLISH)


@router.post(
    "/calls/{call_id}/close",
    operation_id="call_close",
    summary="结束申报批次",
    description="已发布 → 已结束：网上申报截止后才能结束（否则 422）；已提交的申报书继续推荐与评审。" + SETUP,
    response={200: CallSetupOut, **errors(401, 404, 409, 422)},
)
def call_close(request: HttpRequest, call_id: Id):
    return _transition(request, call_id, CallAction.CLOSE)


@router.post(
    "/calls/{call_id}/archive",
    operation_id="call_archive",
    summary="归档申报批次",
    description="已结束 → 已归档：不再出现在列表中，所有设置不能再修改。" + SETUP,
    response={200: CallSetupOut, **errors(401, 404, 409, 422)},
)
def call_archive(request: HttpRequest, call_id: Id):
    return _transition(request, call_id, CallAction.ARCHIVE)
