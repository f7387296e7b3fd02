"""API: 文档与导出 — documents of a submitted version, verification codes, the bureau's exports.

``document_verify`` is open to anyone (``auth=None``): it tells what a printed code stands for and
carries no contact details or personal data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Query, Router, Schema
from pydantic import Field

from sciplan.api.schemas import errors
from sciplan.core import storage
from sciplan.core.errors import ValidationFailed
from sciplan.core.http import client_ip
from sciplan.documents import codes, exports, services
from sciplan.documents.xlsx import XLSX_CONTENT_TYPE

router = Router(tags=["文档与导出"])

BINARY = {"schema": {"type": "string", "format": "binary"}}


class VerifyOut(Schema):
    code: str = Field(description="规范化的校验码（XXXX-XXXX-XXXX）")
    call_title: str = Field(description="申报批次")
    consortium_name: str = Field(description="联合体名称")
    lead_unit: str = Field(description="牵头单位")
    version_number: int = Field(description="该文档对应的提交版本号")
    submitted_at: datetime = Field(description="该版本的提交时间（服务器接收时间）")
    receipt_no: str = Field(description="回执编号")
    is_current: bool = Field(description="是否为该申报书最新提交的版本")
    latest_version_number: int = Field(description="该申报书最新提交的版本号")
    state: str = Field(description="中文结论，如“有效：为该申报书最新提交的版本”或“已被第2版取代”")


class DocumentItemOut(Schema):
    kind: str = Field(description="文档类型")
    label: str = Field(description="文档名称")
    state: str = Field(description="ready（已生成）、pending、running、retrying、failed")
    state_label: str = Field(description="中文状态")


class DocumentPendingOut(Schema):
    detail: str = Field(description="中文说明，如“文档正在生成，请3秒后重试。”")
    code: Literal["not_ready"] = Field(description="固定为 not_ready：文档尚在生成，不是错误")
    state: str = Field(description="所请求文档的状态：pending、running、retrying、failed（已重新排队）")
    ready: int = Field(description="该版本已生成的文档份数")
    total: int = Field(description="该版本的文档总份数")
    retry_after: int = Field(description="建议多少秒后重试（与响应头 Retry-After 相同）")
    documents: list[DocumentItemOut] = Field(description="该版本每份文档的生成状态")


class ExportQuery(Schema):
    kind: Literal["applications", "recognized"] = Field(
        description="applications：申报书汇总（全部字段，成员单位另表）；recognized：已认定名单"
    )
    call_id: int | None = Field(None, description="只导出该申报批次；不填为全部批次")


@router.get(
    "/applications/{application_id}/versions/{number}/documents/{kind}",
    operation_id="document_download",
    summary="下载申报文档",
    description=(
        "下载某一提交版本的申报书、实施方案（DOCX 或 PDF）或提交回执（PDF）。文档由冻结的提交内容生成，"
        "带校验码和二维码；只能下载有权查看的申报书，每次下载记入审计日志。提交后文档在后台排队生成，"
        "尚未生成完毕时答 202 及 Retry-After（秒）和生成进度，请按 Retry-After 稍后再次请求。"
    ),
    response={200: None, 202: DocumentPendingOut, **errors(401, 404)},
    openapi_extra={
        "responses": {
            "200": {
                "description": "文档文件（Content-Disposition: attachment）",
                "content": {
                    "application/pdf": BINARY,
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": BINARY,
                },
            }
        }
    },
)
def document_download(
    request: HttpRequest,
    application_id: int,
    number: int,
    kind: Literal["application_docx", "application_pdf", "plan_docx", "plan_pdf", "receipt_pdf"],
):
    try:
        row, filename, content_type = services.document_for_download(
            application_id, number, kind, by=request.auth, ip=client_ip(request)
        )
    except services.NotReady as pending:
        return _not_ready(pending.progress)
    return storage.attachment_response(row.storage_key, filename=filename, content_type=content_type)


def _not_ready(progress: services.Progress) -> HttpResponse:
    body = {
        "detail": f"文档正在生成（{progress.label}），请{progress.retry_after}秒后重试。",
        "code": "not_ready",
        "state": progress.state,
        "ready": progress.ready,
        "total": progress.total,
        "retry_after": progress.retry_after,
        "documents": progress.items,
    }
    response = JsonResponse(body, status=202, json_dumps_params={"ensure_ascii": False})
    response["Retry-After"] = str(progress.retry_after)
    response["Cache-Control"] = "no-store"
    return response


@router.get(
    "/documents/verify",
    auth=None,
    operation_id="document_verify",
    summary="核验文档校验码",
    description=(
        "输入纸质文档上的校验码，返回其对应的申报批次、联合体名称、牵头单位、版本号、提交时间，以及是否已被"
        "更新的版本取代。校验码有误（位数、字符或校验位不对）答 422；格式正确但不存在答 404。无需登录。"
    ),
    response={200: VerifyOut, **errors(404, 422)},
)
def document_verify(request: HttpRequest, code: str):
    try:
        result = codes.verify(code)
    except codes.CodeError as exc:
        raise ValidationFailed(str(exc), field_errors={"code": str(exc)}) from None
    except codes.UnknownCode:
        return 404, {"detail": "未找到与该校验码对应的申报文档。", "code": "not_found"}
    return {
        "code": codes.display(result.code),
        "call_title": result.call_title,
        "consortium_name": result.consortium_name,
        "lead_unit": result.lead_unit,
        "version_number": result.version_number,
        "submitted_at": result.submitted_at,
        "receipt_no": result.receipt_no,
        "is_current": result.is_current,
        "latest_version_number": result.latest_number,
        "state": result.state_label,
    }


@router.get(
    "/exports",
    operation_id="export_download",
    summary="导出数据（XLSX）",
    description="市科技局导出申报书汇总或已认定名单。内容取自最新提交的版本；每次导出记入审计日志。其他角色答 404。",
    response={200: None, **errors(401, 404, 422)},
    openapi_extra={
        "responses": {"200": {"description": "XLSX 文件", "content": {XLSX_CONTENT_TYPE: BINARY}}}
    },
)
def export_download(request: HttpRequest, query: Query[ExportQuery]):
    data, filename = exports.export(query.kind, by=request.auth, call_id=query.call_id, ip=client_ip(request))
    return storage.bytes_response(data, filename=filename, content_type=XLSX_CONTENT_TYPE)
