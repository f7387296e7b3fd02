"""API: 审计. The audit log for bureau staff and audit viewers (SPEC §12, §14 ``audit_list``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from sciplan.accounts.roles import AUDIT_VIEWER_ROLES
from sciplan.api.schemas import LocalDateTime, errors, local_times
from sciplan.core import audit
from sciplan.core.errors import NotAllowed
from sciplan.core.http import client_ip

router = Router(tags=["审计"])

MAX_PAGE_SIZE = 200


class AuditFilter(Schema):
    event_type: str | None = Field(
        None, max_length=64, description="事件类型前缀，如 auth.、application.submit"
    )
    actor: str | None = Field(None, max_length=150, description="操作人登录名")
    outcome: str | None = Field(
        None, pattern="^(ok|refused|failed)$", description="结果：ok、refused、failed"
    )
    object_id: str | None = Field(None, max_length=64, description="对象编号")
    since: date | None = Field(None, description="起始日期（含）")
    until: date | None = Field(None, description="截止日期（含）")
    page: int = Field(1, ge=1, le=100_000, description="页码，从 1 开始")
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE, description="每页条数，最多 200")


class AuditEventOut(Schema):
    id: int = Field(description="审计记录编号（递增）")
    at: LocalDateTime = Field(description="时间（+08:00）")
    actor: str = Field(description="操作人登录名；匿名为空")
    ip: str | None = Field(description="来源 IP")
    event_type: str = Field(description="事件类型")
    object_type: str = Field(description="对象类型，如 applications.application")
    object_id: str = Field(description="对象编号")
    outcome: str = Field(
        description="ok、refused、failed", json_schema_extra={"enum": ["ok", "refused", "failed"]}
    )
    detail: dict[str, Any] = Field(description="详情（已脱敏）")
    hash: str = Field(description="本条记录的哈希（链式）")


class AuditPage(Schema):
    count: int = Field(description="符合条件的总条数")
    page: int = Field(description="页码")
    page_size: int = Field(description="每页条数")
    items: list[AuditEventOut] = Field(description="本页的审计记录，最新在前")


@router.get(
    "/audit/events",
    operation_id="audit_list",
    summary="审计日志",
    description="按类型、操作人、结果、对象与日期筛选的审计日志，分页，最新在前。仅市科技局与审计管理员可用；每次查询记入审计日志。",
    response={200: AuditPage, **errors(401, 403, 422)},
)
def audit_list(request: HttpRequest, filters: Query[AuditFilter]):
    from sciplan.accounts.security_views import filtered_events

    user = request.auth
    if user.role not in AUDIT_VIEWER_ROLES:
        raise NotAllowed("只有市科技局和审计管理员可以查看审计日志。")
    params = {
        "type": filters.event_type or "",
        "user": filters.actor or "",
        "outcome": filters.outcome or "",
        "object": filters.object_id or "",
        "since": filters.since.isoformat() if filters.since else "",
        "until": filters.until.isoformat() if filters.until else "",
    }
    qs, _values, _errors = filtered_events(params)
    count = qs.count()
    start = (filters.page - 1) * filters.page_size
    rows = list(qs[start : start + filters.page_size])
    audit.record(
        "audit.view", actor=user, ip=client_ip(request), detail={"channel": "api", "filters": params}
    )
    return {
        "count": count,
        "page": filters.page,
        "page_size": filters.page_size,
        "items": [
            {
                "id": e.pk,
                "at": e.at,
                "actor": e.actor_label,
                "ip": e.ip,
                "event_type": e.event_type,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "outcome": e.outcome,
                "detail": local_times(e.detail),
                "hash": e.hash,
            }
            for e in rows
        ],
    }
