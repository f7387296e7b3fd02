"""API: 申报批次 — the public list and notice of each call, with its windows and rules."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from sciplan.api.schemas import CallDetailOut, CallOut, Id, errors
from sciplan.applications.models import AttachmentKind
from sciplan.calls import queries
from sciplan.calls.models import Call, PlatformLevel
from sciplan.core import clock

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
    call = queries.get_call_for(request.user, call_id)
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
