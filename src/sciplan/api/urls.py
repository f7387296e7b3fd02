"""The JSON API (SPEC §14): /api/v1/, schema at /api/v1/openapi.json, docs at /api/v1/docs.

Each domain has its own router module in this package; they are mounted here in the order of the
procedure. Domain errors raised by services become JSON answers with a field → message map.
"""

from __future__ import annotations

import json
from datetime import datetime
from importlib import import_module
from typing import Any

from django.db import DatabaseError
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

from sciplan.api.auth import token_auth
from sciplan.api.schemas import local_iso
from sciplan.core import authority
from sciplan.core.errors import VALIDATION_DETAIL, Conflict, DomainError
from sciplan.core.middleware import busy_response, is_database_unavailable


class LocalTimeEncoder(NinjaJSONEncoder):
    """Every aware datetime in an answer in Asia/Shanghai (``+08:00``), whichever schema field or plain
    dict it comes from — never ``Z`` or ``+00:00`` (docs/api.md, "times")."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime) and timezone.is_aware(o):
            return local_iso(o)
        return super().default(o)


class ChineseJSONRenderer(JSONRenderer):
    """UTF-8 JSON with Chinese as Chinese, not ``\\u`` escapes: readable in logs, curl and the docs."""

    json_dumps_params = {"ensure_ascii": False}
    encoder_class = LocalTimeEncoder


# The answers every operation of a kind can give, whatever its own rules: added to each operation's
# responses in the schema (an operation's own declaration of the same status wins).
COMMON_ERRORS = {
    400: "请求体无法解析（不是有效的 JSON，或 multipart 格式有误），或业务规则拒绝了请求"
    "（code：bad_request、bad_upload、too_many_files、too_many_fields、invalid）",
    401: "未登录、令牌已过期或已吊销（code：unauthenticated）",
    404: "对象不存在或不在您的权限范围内，两者无法区分（code：not_found）",
    413: "请求体超过大小限制（code：too_large）",
    422: "字段有误，errors 逐项说明，未保存任何内容（code：validation）",
    429: "请求过于频繁，请按 Retry-After（秒）等待后重试（code：rate_limited、locked）",
    503: "系统繁忙或数据库暂不可用，请按 Retry-After（秒）后重试（code：unavailable）",
}
STATUS_TEXT = {
    403: "您可以查看该对象，但您的角色不能执行此操作（code：not_allowed）",
    409: "版本已过期（stale，附 current）、状态不允许（state）、已过截止时间（deadline_passed）"
    "或与已有内容冲突（duplicate、incomplete 等）",
}
ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}

# What a path or query parameter is, by its name (``operationId.name`` where one name means two things):
# the identifiers in paths are the ids that other answers carry.
PARAMETER_TEXT = {
    "application_id": "申报书编号（application_list、application_get 的 id）",
    "attachment_id": "附件编号（application_get 的 attachments[].id）",
    "member_id": "成员单位编号（application_get 的 members[].id）",
    "platform_id": "研发平台编号（application_get 的 platforms[].id）",
    "call_id": "申报批次编号（call_list 的 id）",
    "unit_id": "单位编号",
    "user_id": "用户编号（user_list 的 id）",
    "key_id": "接口密钥编号（api_key_list 的 id）",
    "expert_id": "专家编号（expert_list 的 id）",
    "draw_id": "抽取记录编号（panel_draw、panel_list 的 id）",
    "objection_id": "异议编号",
    "notice_id": "公示编号（public_notice_list 的 id）",
    "recognition_id": "认定编号（recognized_list 的 id）",
    "assessment_id": "年度考核编号（assessment_submit 的 id）",
    "number": "提交版本号（application_get 的 versions[].number）",
    "code": "文档上的校验码",
    "current": "true 时只列出仍在公示期内的公示",
    "year": "认定年度",
    "industry_id": "产业编号",
    "field": "评审领域：产业编码或名称；不填为全部",
    "active": "true 只列出启用的专家，false 只列出停用的；不填为全部",
    "limit": "每页条数，1 至 500",
    "offset": "跳过的条数",
    "document_download.kind": "文档类型：application_docx、application_pdf、plan_docx、plan_pdf、receipt_pdf",
    "dictionary_entry_create.kind": "字典：industries 产业目录、recommenders 推荐单位",
    "dictionary_entry_update.kind": "字典：industries 产业目录、recommenders 推荐单位",
    "dictionary_entry_activate.kind": "字典：industries 产业目录、recommenders 推荐单位",
    "dictionary_list.kind": "字典：industries 产业目录、recommenders 推荐单位、expert_fields 专家领域、calendar_years 工作日历",
}


def common_errors(path: str, method: str, operation: dict) -> set[int]:
    """The statuses of :data:`COMMON_ERRORS` that apply to one operation."""
    from sciplan.core.ratelimit import matching_rule

    statuses = {503}
    if operation.get("security"):
        statuses.add(401)
    if "{" in path:
        statuses.add(404)
    if operation.get("parameters") or operation.get("requestBody"):
        statuses.add(422)
    if operation.get("requestBody"):
        statuses |= {400, 413}
    if matching_rule(f"api:{operation.get('operationId', '')}", method.upper()):
        statuses.add(429)
    return statuses


class SciplanAPI(NinjaAPI):
    """NinjaAPI whose schema never repeats a status code and declares every error answer.

    ninja keys an operation's responses by ``int`` while an ``openapi_extra`` written by hand often uses
    ``"200"``; both would reach the JSON as ``"200"`` twice, which Swagger UI refuses to parse ("duplicated
    mapping key"). The two are merged here, the hand-written one winning. Then the answers every
    operation of its kind can give (:func:`common_errors`) are added with the error schema, and every
    error answer gets a Chinese description naming its codes.
    """

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for path, item in schema.get("paths", {}).items():
            for method, operation in item.items():
                responses = operation.get("responses") if isinstance(operation, dict) else None
                if not responses:
                    continue
                merged: dict[str, dict] = {}
                for code in sorted(responses, key=lambda c: isinstance(c, str)):
                    merged.setdefault(str(code), {}).update(responses[code])
                for status in common_errors(path, method, operation):
                    merged.setdefault(str(status), {"content": {"application/json": {"schema": ERROR_REF}}})
                for key, answer in merged.items():
                    status = int(key)
                    if answer.get("description") in SUCCESS_TEXT:
                        answer["description"] = SUCCESS_TEXT[answer["description"]]
                    if status >= 400 and answer.get("description") in (None, "", *HTTP_PHRASES):
                        answer["description"] = COMMON_ERRORS.get(status) or STATUS_TEXT.get(status, "")
                operation["responses"] = dict(sorted(merged.items()))
                for parameter in operation.get("parameters", []):
                    if not parameter.get("description"):
                        text = PARAMETER_TEXT.get(f"{operation.get('operationId')}.{parameter['name']}")
                        text = (
                            text
                            or PARAMETER_TEXT.get(parameter["name"])
                            or parameter["schema"].get("description")
                        )
                        if text:
                            parameter["description"] = text
        return schema


SUCCESS_TEXT = {"OK": "成功", "Created": "已创建", "No Content": "已完成（无内容）"}
# The English phrases ninja writes as a response's description, replaced by the Chinese ones above.
HTTP_PHRASES = (
    "OK",
    "Created",
    "Bad Request",
    "Unauthorized",
    "Forbidden",
    "Not Found",
    "Conflict",
    "Content Too Large",
    "Payload Too Large",
    "Unprocessable Content",
    "Unprocessable Entity",
    "Too Many Requests",
    "Service Unavailable",
)


api = SciplanAPI(
    title=f"{authority.current().system_name} API",
    version="1.0.0",
    description="创新联合体申报的 JSON 接口。与网页使用同一套业务服务、权限、截止时间与校验。",
    urls_namespace="api",
    auth=token_auth,
    renderer=ChineseJSONRenderer(),
)

ROUTER_MODULES = [
    "accounts",
    "users",
    "api_keys",
    "calls",
    "dictionaries",
    "applications",
    "recommendations",
    "review",
    "recognition",
    "documents",
    "audit",
]
for name in ROUTER_MODULES:
    module = import_module(f"sciplan.api.{name}")
    api.add_router("/", module.router)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError):
    body: dict = {"detail": exc.message, "code": exc.code}
    if exc.field_errors:
        body["errors"] = exc.field_errors
        if exc.status == 422:
            body["detail"] = VALIDATION_DETAIL
    if isinstance(exc, Conflict) and exc.current:
        body["current"] = exc.current
    response = api.create_response(request, body, status=exc.status)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


# Lists whose items are named by a key of their own in error paths, not by their position:
# ``finances.2023.rd_spending`` for the 2023 row, whether a type check or a rule refused it.
KEYED_LISTS = {"finances": "year"}


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError):
    body = _json_body(request)
    errors: dict[str, str] = {}
    for item in exc.errors:
        loc = list(item.get("loc", []))
        if loc[:1] == ["file"]:  # ninja's source of an uploaded file; the field itself follows
            loc = loc[1:]
        loc = [p for p in loc if p not in ("body", "payload", "query", "path", "form")]
        errors[".".join(_keyed(loc, body)) or "body"] = _chinese(item)
    return api.create_response(
        request, {"detail": VALIDATION_DETAIL, "code": "validation", "errors": errors}, status=422
    )


def _json_body(request: HttpRequest) -> Any:
    if request.content_type != "application/json":
        return None
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None


def _keyed(loc: list, body: Any) -> list[str]:
    """The error path with the position of an item of a :data:`KEYED_LISTS` list replaced by its key
    as the client sent it (the position stays when the item has no usable key)."""
    out: list[str] = []
    node = body
    for index, part in enumerate(loc):
        name = str(part)
        parent = loc[index - 1] if index else None
        if isinstance(part, int) and parent in KEYED_LISTS and isinstance(node, list) and part < len(node):
            key = node[part].get(KEYED_LISTS[parent]) if isinstance(node[part], dict) else None
            if isinstance(key, int | str) and str(key).strip().isdigit():
                name = str(key).strip()
        out.append(name)
        if isinstance(node, dict):
            node = node.get(part) if isinstance(part, str) else None
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            node = None
    return out


HTTP_CODES = {
    400: "bad_request",
    403: "not_allowed",
    404: "not_found",
    405: "method_not_allowed",
    429: "rate_limited",
}


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError):
    """ninja's own refusals (an unreadable body, throttling) in our error shape and in Chinese."""
    if exc.status_code == 400:
        detail = "请求体无法解析，请发送有效的 JSON（UTF-8）。"
    elif exc.status_code == 429:
        detail = "操作过于频繁，请稍后再试。"
    else:
        detail = "请求未能处理。"
    response = api.create_response(
        request, {"detail": detail, "code": HTTP_CODES.get(exc.status_code, "error")}, status=exc.status_code
    )
    wait = getattr(exc, "wait", None)
    if wait:
        response["Retry-After"] = str(int(wait))
    return response


@api.exception_handler(OverflowError)
def number_out_of_range(request: HttpRequest, exc: OverflowError):
    """A number too large for the database (an unbounded id or page in a query) is the client's error.

    Operations should bound their numbers in the schema (``schemas.Id``); this is the safety net.
    """
    return api.create_response(
        request,
        {
            "detail": "请求中的数字超出允许范围。",
            "code": "validation",
            "errors": {"body": "数字超出允许范围。"},
        },
        status=422,
    )


@api.exception_handler(DatabaseError)
def database_error(request: HttpRequest, exc: DatabaseError):
    """An unreachable database is "busy, retry" (503 + Retry-After, the limiter's answer); any other
    database error is still a server error and goes to the log."""
    if is_database_unavailable(exc):
        return busy_response(request)
    raise exc


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404):
    return api.create_response(request, {"detail": "未找到，或您无权查看。", "code": "not_found"}, status=404)


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError):
    return api.create_response(
        request, {"detail": "未登录或令牌已失效。", "code": "unauthenticated"}, status=401
    )


def _chinese(item: dict) -> str:
    kind = item.get("type", "")
    ctx = item.get("ctx") or {}
    if kind == "missing":
        return "此项为必填项。"
    if kind == "string_too_long":
        return f"不能超过{ctx.get('max_length')}字。"
    if kind == "string_too_short":
        return f"至少{ctx.get('min_length')}个字符。"
    if kind in ("enum", "literal_error"):
        return "请从允许的选项中选择。"
    if kind.startswith("bool"):
        return "请填写 true 或 false。"
    if kind.startswith(("int", "decimal", "float", "greater_than", "less_than")):
        return "请填写数字。"
    if kind.startswith(("date", "datetime", "time")):
        return "日期格式不正确，请使用 YYYY-MM-DD。"
    if kind.startswith(("list", "dict", "model")):
        return "格式不正确。"
    if kind.startswith("string"):
        return "请填写文字。"
    if kind.startswith("json"):
        return "请求体不是有效的 JSON。"
    return "格式不正确。"
