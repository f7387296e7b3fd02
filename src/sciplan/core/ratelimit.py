"""A small fixed-window rate limiter on the shared cache (Redis in production, locmem in development).

Rules live in ``settings.RATE_LIMITS`` as ``(route pattern, methods, limit, window seconds, key)``; the
route pattern is matched (shell-style) against ``core.http.route_name`` — ``accounts:login`` for a page,
``api:auth_token_create`` for an API operation — so endpoints added later are covered by a pattern
without touching their views. Patterns joined by ``|`` share one counter, so one budget covers the
same act on the page and in the API (``accounts:register|api:unit_register``). ``key`` is ``ip`` or ``user`` (the signed-in user, else the address).
A limited request gets 429 with ``Retry-After`` (STANDARDS I39, SPEC §14). A failure of the limiter
itself refuses the request (fail closed, STANDARDS B12).

Failed sign-ins are counted per client address as well, whatever names they try
(``LOGIN_ADDRESS_FAILURE_LIMIT`` in ``LOGIN_ADDRESS_WINDOW_SECONDS``): beyond it that address alone is
answered 429 on the sign-in routes until its window ends, every other address signs in as before. The
address is always ``core.http.client_ip``, so a rotated ``X-Forwarded-For`` from a peer that is not a
configured proxy is the same address every time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from sciplan.core.http import client_ip


@dataclass(frozen=True)
class Rule:
    pattern: str
    methods: frozenset[str]
    limit: int
    window: int
    key: str = "ip"


def rules() -> list[Rule]:
    return [
        Rule(pattern, frozenset(m.upper() for m in methods.split(",")), limit, window, key)
        for pattern, methods, limit, window, key in getattr(settings, "RATE_LIMITS", [])
    ]


def matching_rule(name: str, method: str) -> Rule | None:
    for rule in rules():
        if method in rule.methods and any(fnmatchcase(name, p) for p in rule.pattern.split("|")):
            return rule
    return None


def _window(window: int) -> tuple[int, int]:
    """Now and the start of the fixed window it falls in."""
    now = int(time.time())
    return now, now - now % window


def _count(key: str, *, window: int) -> int:
    """Add one to the counter ``key`` (kept for the window) and return the new count."""
    if cache.add(key, 1, timeout=window + 1):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 1)
        return 1


def hit(bucket: str, *, limit: int, window: int) -> int | None:
    """Count one request in ``bucket``; return seconds to wait when over the limit, else ``None``."""
    now, start = _window(window)
    if _count(f"rl:{bucket}:{start}", window=window) > limit:
        return max(start + window - now, 1)
    return None


SIGN_IN_ROUTES = ("accounts:login", "api:auth_token_create")


def _sign_in_key(address: str, start: int) -> str:
    return f"rl:signin-failures:ip{address}:{start}"


def record_sign_in_failure(request: HttpRequest | None) -> None:
    """Count one failed sign-in against the client's address (called from the auth signal)."""
    if request is None:
        return
    window = settings.LOGIN_ADDRESS_WINDOW_SECONDS
    _, start = _window(window)
    _count(_sign_in_key(client_ip(request) or "-", start), window=window)


def sign_in_wait(request: HttpRequest) -> int | None:
    """Seconds this address must wait before trying to sign in again, or ``None``."""
    window = settings.LOGIN_ADDRESS_WINDOW_SECONDS
    now, start = _window(window)
    failures = cache.get(_sign_in_key(client_ip(request) or "-", start), 0)
    if failures >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
        return max(start + window - now, 1)
    return None


def clear_sign_in_failures(address: str) -> None:
    """Lift the address limit at once (an administrator's unlock of that address)."""
    _, start = _window(settings.LOGIN_ADDRESS_WINDOW_SECONDS)
    cache.delete(_sign_in_key(address, start))


def check_sign_in(request: HttpRequest) -> HttpResponse | None:
    """The address limit on a sign-in attempt; a broken limiter refuses (fail closed)."""
    try:
        wait = sign_in_wait(request)
    except Exception:
        logging.getLogger("sciplan.security").exception("sign-in limiter failed; refusing")
        return refused(request)
    return too_many(request, wait) if wait else None


def subject(request: HttpRequest, key: str) -> str:
    user = getattr(request, "user", None)
    if key == "user" and user is not None and user.is_authenticated:
        return f"u{user.pk}"
    return f"ip{client_ip(request) or '-'}"


def too_many(request: HttpRequest, retry_after: int) -> HttpResponse:
    message = "操作过于频繁，请稍后再试。"
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message, "code": "rate_limited"}, status=429)
    else:
        response = render(
            request,
            "core/error.html",
            {"status": 429, "title": "请求过于频繁", "message": f"{message}请在{retry_after}秒后重试。"},
            status=429,
        )
    response["Retry-After"] = str(retry_after)
    return response


def refused(request: HttpRequest) -> HttpResponse:
    response = JsonResponse({"detail": "系统繁忙，请稍后重试。", "code": "unavailable"}, status=503)
    response["Retry-After"] = "5"
    return response


def check(request: HttpRequest, rule: Rule, scope: str) -> HttpResponse | None:
    """Apply one rule; a broken limiter refuses (fail closed)."""
    try:
        wait = hit(f"{scope}:{subject(request, rule.key)}", limit=rule.limit, window=rule.window)
    except Exception:
        import logging

        logging.getLogger("sciplan.security").exception("rate limiter failed; refusing %s", scope)
        return refused(request)
    return too_many(request, wait) if wait else None


def ratelimit(scope: str, *, limit: int, window: int, key: str = "ip", methods: str = "POST") -> Callable:
    """Decorator for a view that is not matched by a ``RATE_LIMITS`` pattern."""
    rule = Rule(scope, frozenset(methods.split(",")), limit, window, key)

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method in rule.methods:
                answer = check(request, rule, scope)
                if answer is not None:
                    return answer
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
