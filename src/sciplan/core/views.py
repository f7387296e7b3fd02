"""The home page (each role's start), health check, notifications and error pages."""

from __future__ import annotations

import logging
import uuid

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from sciplan.accounts.roles import Role
from sciplan.calls import queries as call_queries

logger = logging.getLogger("sciplan.errors")

ROLE_HOME = {
    Role.APPLICANT: "applications:list",
    Role.RECOMMENDER: "recommendations:worklist",
    Role.FINANCE: "recommendations:worklist",
    Role.BUREAU: "review:dashboard",
    Role.EXPERT: "review:assignments",
    Role.ADMIN: "review:dashboard",
}


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_authenticated:
        try:
            return redirect(reverse(ROLE_HOME[user.role]))
        except (KeyError, NoReverseMatch):
            pass
    cards = call_queries.home_call_cards()
    return render(
        request,
        "core/home.html",
        {"calls": cards["calls"], "practice_calls": cards["practice"], "now": timezone.now()},
    )


def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("health check: database unreachable")
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    items = request.user.notifications.all()[:100]
    request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    return render(request, "core/notifications.html", {"items": items})


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    error_id = uuid.uuid4().hex[:12]
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message, "error_id": error_id}, status=status)
    else:
        response = render(
            request,
            "core/error.html",
            {"status": status, "title": title, "message": message, "error_id": error_id},
            status=status,
        )
    response["X-Error-Id"] = error_id  # the same id goes to the log, so support can find the traceback
    return response


def bad_request(request, exception=None):
    return _error(request, 400, "请求有误", "请求的格式不正确，请返回后重试。")


def permission_denied(request, exception=None):
    return _error(request, 403, "无权访问", "您没有权限进行此操作。")


def page_not_found(request, exception=None):
    return _error(request, 404, "未找到", "页面不存在，或您无权查看。")


def server_error(request):
    import sys

    from sciplan.core.middleware import busy_response, is_database_unavailable

    # Django calls this inside its ``except``: an unreachable database, met in a middleware before any
    # view ran, is a "busy, retry" answer, not a server error (STANDARDS F30).
    if is_database_unavailable(sys.exc_info()[1]):
        logger.warning("database unavailable on %s", request.path)
        return busy_response(request)
    response = _error(
        request, 500, "系统错误", "系统处理时出错，请稍后重试。如多次出现，请将错误编号告知技术支持。"
    )
    logger.error("server error %s on %s", response.get("X-Error-Id", ""), request.path)
    return response
