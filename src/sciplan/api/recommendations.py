"""API: 推荐 — the recommender's letter, its summary table, and the bureau's deadline extensions.

Decisions (accept, return, recommend, decline, finance_confirm, finance_refuse) go through
``application_transition``, which dispatches to the same handlers as the pages; the credit check a
recommendation needs and the recommender's order have their own operations.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.http import HttpRequest
from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field

from sciplan.accounts.models import Unit
from sciplan.api.schemas import binary_content, errors
from sciplan.applications import queries as application_queries
from sciplan.calls import queries as call_queries
from sciplan.calls.models import Call, Recommender, Stage
from sciplan.calls.services import grant_extension
from sciplan.core import filetypes, storage
from sciplan.core.errors import NotFound, ValidationFailed
from sciplan.core.http import client_ip
from sciplan.recommendations import exporters, services

router = Router(tags=["推荐"])


class LetterOut(Schema):
    id: int = Field(description="推荐函编号")
    call_id: int = Field(description="申报批次编号")
    recommender_id: int = Field(description="推荐单位编号")
    recommender_name: str = Field(description="推荐单位名称")
    file_name: str = Field(description="文件名（已清理，扩展名与识别出的格式一致）")
    content_kind: str = Field(description="按内容识别的格式：pdf、jpeg、png")
    size: int = Field(description="字节数")
    sha256: str = Field(description="上传时记录的 SHA-256")
    uploaded_at: datetime = Field(description="上传时间")
    uploaded_by: str = Field(description="上传人")


def _call(user, call_id: int) -> Call:
    return call_queries.get_call_for(user, call_id)


@router.post(
    "/calls/{call_id}/recommendation-letter",
    operation_id="recommendation_letter_upload",
    summary="上传推荐函",
    description=(
        "推荐单位上传本批次加盖公章的推荐函（multipart/form-data，字段 file）。按文件内容识别，只接受 PDF、JPG、PNG；"
        "再次上传即替换，原文件保留备查。未上传推荐函的推荐单位，其推荐的申报市科技局不予受理。"
    ),
    response={201: LetterOut, **errors(401, 404, 422)},
)
def recommendation_letter_upload(request: HttpRequest, call_id: int, file: File[UploadedFile]):
    user = request.auth
    letter = services.upload_letter(
        _call(user, call_id), fileobj=file.file, filename=file.name or "", by=user, ip=client_ip(request)
    )
    return 201, {
        "id": letter.pk,
        "call_id": letter.call_id,
        "recommender_id": letter.recommender_id,
        "recommender_name": user.recommender.name,
        "file_name": letter.original_name,
        "content_kind": letter.content_kind,
        "size": letter.size,
        "sha256": letter.sha256,
        "uploaded_at": letter.uploaded_at,
        "uploaded_by": user.display_name,
    }


class SummaryQuery(Schema):
    format: Literal["xlsx", "docx"] = Field("xlsx", description="文件格式：xlsx 或 docx")
    recommender_id: int | None = Field(
        None, description="市科技局用户须指定推荐单位；推荐单位与财政部门只能下载本单位的"
    )


@router.get(
    "/calls/{call_id}/summary-table",
    operation_id="summary_table_download",
    summary="下载《创新联合体信息汇总表》",
    description="本推荐单位已推荐的申报，按推荐排序，取自冻结的提交版本。每次下载记入审计日志。",
    response={200: None, **errors(401, 404, 422)},
    openapi_extra={
        "responses": {
            "200": {
                "description": "XLSX 或 DOCX 文件",
                "content": binary_content(filetypes.MIME["xlsx"], filetypes.MIME["docx"]),
            }
        }
    },
)
def summary_table_download(request: HttpRequest, call_id: int, query: Query[SummaryQuery]):
    data, filename, content_type = exporters.export_summary(
        request.auth, call_id, query.format, recommender_id=query.recommender_id, ip=client_ip(request)
    )
    return storage.bytes_response(data, filename=filename, content_type=content_type)


class ExtensionIn(Schema):
    call_id: int = Field(description="申报批次编号")
    stage: Literal["apply", "recommend"] = Field(
        description="apply：某申报单位的网上申报；recommend：某推荐单位的推荐"
    )
    unit_id: int | None = Field(None, description="stage=apply 时必填")
    recommender_id: int | None = Field(None, description="stage=recommend 时必填")
    until: datetime = Field(description="延期至（ISO 8601，带时区；不带时区按北京时间）")
    reason: str = Field(max_length=500, description="延期理由")


class ExtensionOut(Schema):
    id: int = Field(description="延期记录编号")
    call_id: int = Field(description="申报批次编号")
    stage: str = Field(
        description="apply 网上申报，recommend 推荐", json_schema_extra={"enum": ["apply", "recommend"]}
    )
    unit_id: int | None = Field(description="获准延期的申报单位编号（apply）")
    recommender_id: int | None = Field(description="获准延期的推荐单位编号（recommend）")
    until: datetime = Field(description="延期至")
    reason: str = Field(description="延期理由")
    granted_at: datetime = Field(description="批准时间")


@router.post(
    "/extensions",
    operation_id="extension_create",
    summary="批准截止时间延期",
    description="市科技局为某一申报单位（网上申报）或某一推荐单位（推荐）延长截止时间，须填写理由，记入审计日志。",
    response={201: ExtensionOut, **errors(401, 404, 422)},
)
def extension_create(request: HttpRequest, payload: ExtensionIn):
    user = request.auth
    if user.role != "bureau":
        raise NotFound()
    call = _call(user, payload.call_id)
    unit = recommender = None
    if payload.unit_id is not None:
        unit = Unit.objects.filter(pk=payload.unit_id).first()
        if unit is None:
            raise ValidationFailed("申报单位不存在。", field_errors={"unit_id": "申报单位不存在。"})
    if payload.recommender_id is not None:
        recommender = Recommender.objects.filter(pk=payload.recommender_id).first()
        if recommender is None:
            raise ValidationFailed("推荐单位不存在。", field_errors={"recommender_id": "推荐单位不存在。"})
    extension = grant_extension(
        call,
        stage=Stage(payload.stage),
        until=payload.until,
        reason=payload.reason,
        by=user,
        unit=unit,
        recommender=recommender,
        ip=client_ip(request),
    )
    return 201, {
        "id": extension.pk,
        "call_id": extension.call_id,
        "stage": extension.stage,
        "unit_id": extension.unit_id,
        "recommender_id": extension.recommender_id,
        "until": extension.until,
        "reason": extension.reason,
        "granted_at": extension.granted_at,
    }


class CreditEntryIn(Schema):
    source: Literal["creditchina", "zxgk", "gsxt"] = Field(
        description="查询渠道：creditchina 信用中国；zxgk 中国执行信息公开网；gsxt 国家企业信用信息公示系统"
    )
    result: Literal["clean", "bad"] = Field(description="clean：无不良记录；bad：有不良记录")
    checked_on: date = Field(description="查询日期（不晚于今天）")
    note: str = Field("", max_length=300, description="备注，不超过300字")


class CreditChecksIn(Schema):
    entries: list[CreditEntryIn] = Field(min_length=1, max_length=3, description="每个查询渠道一条")


class CreditCheckOut(Schema):
    source: str = Field(
        description="查询渠道：creditchina 信用中国、zxgk 中国执行信息公开网、gsxt 国家企业信用信息公示系统",
        json_schema_extra={"enum": ["creditchina", "zxgk", "gsxt"]},
    )
    has_bad_record: bool = Field(description="是否查到不良记录")
    checked_on: date = Field(description="查询日期")
    note: str = Field(description="备注")


@router.put(
    "/applications/{application_id}/credit-checks",
    operation_id="credit_check_record",
    summary="记录牵头单位信用核查结果",
    description=(
        "推荐单位记录在信用中国、中国执行信息公开网、国家企业信用信息公示系统查询牵头单位的结果（系统不访问这些网站，"
        "只记录经办人所见及查询日期）。推荐前须完成。与网页同一服务：全部通过才保存，否则按字段给出原因；记入审计日志。"
    ),
    response={200: list[CreditCheckOut], **errors(401, 404, 409, 422)},
)
def credit_check_record(request: HttpRequest, application_id: int, payload: CreditChecksIn):
    user = request.auth
    application = application_queries.get_application_for(user, application_id)
    entries = {
        e.source: {"result": e.result, "checked_on": e.checked_on, "note": e.note} for e in payload.entries
    }
    saved = services.record_credit_checks(application, entries, by=user, ip=client_ip(request))
    return [
        {"source": c.source, "has_bad_record": c.has_bad_record, "checked_on": c.checked_on, "note": c.note}
        for c in saved
    ]


class RankIn(Schema):
    rank: int = Field(ge=1, le=1000, description="在本推荐单位已推荐申报中的新位次（1为第一）")


class RankOut(Schema):
    application_id: int = Field(description="申报书编号")
    rank: int = Field(description="推荐排序（1 为第一）")


@router.put(
    "/applications/{application_id}/recommendation-rank",
    operation_id="recommendation_rank_update",
    summary="调整推荐排序",
    description="推荐单位在推荐截止前调整已推荐申报的排序（信息汇总表按此排序）。与网页同一服务，记入审计日志。",
    response={200: RankOut, **errors(401, 404, 409, 422)},
)
def recommendation_rank_update(request: HttpRequest, application_id: int, payload: RankIn):
    user = request.auth
    application = application_queries.get_application_for(user, application_id)
    rec = services.move_rank(application, rank=payload.rank, by=user, ip=client_ip(request))
    return {"application_id": application.pk, "rank": rec.rank}
