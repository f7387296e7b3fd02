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
from sciplan.core.errors import Conflict, DomainError
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


class SciplanAPI(NinjaAPI):
    """NinjaAPI whose schema never repeats a status code.

    ninja keys an operation's responses by ``int`` while an ``openapi_extra`` written by hand often uses
    ``"200"``; both would reach the JSON as ``"200"`` twice, which Swagger UI refuses to parse ("duplicated
    mapping key"). The two are merged here, the hand-written one winning.
    """

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                responses = operation.get("responses") if isinstance(operation, dict) else None
                if responses:
                    merged: dict[str, dict] = {}
                    for code in sorted(responses, key=lambda c: isinstance(c, str)):
                        merged.setdefault(str(code), {}).update(responses[code])
                    operation["responses"] = merged
        return schema


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


# The one top ``detail`` of every 422 that names fields; the fields' own messages are in ``errors``.
VALIDATION_DETAIL = "部分内容填写有误，请按提示修改。"

# Lists whose items are named by a key of their own in error paths, not by their position:
# ``finances.2023.rd_spending`` for the 2023 row, whether a type check or a rule refused it.
KEYED_LISTS = {"finances": "year"}


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError):
    body = _json_body(request)
    errors: dict[str, str] = {}
    for item in exc.errors:
        loc = [p for p in item.get("loc", [])]
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
