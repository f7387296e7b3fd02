"""Cross-cutting request handling: security headers, session timeouts, bounded concurrency."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    """CSP (with frame-ancestors), Referrer-Policy and nosniff on every response (STANDARDS H36)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/api/v1/docs"):
            response.setdefault("Content-Security-Policy", CSP)
        response.setdefault("Referrer-Policy", "same-origin")
        response.setdefault("X-Content-Type-Options", "nosniff")
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


class SessionTimeoutMiddleware:
    """Log out a session idle for ``SESSION_IDLE_SECONDS``; the absolute limit is SESSION_COOKIE_AGE."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            stamp = int(time.time())
            last = request.session.get("last_seen", stamp)
            if stamp - last > settings.SESSION_IDLE_SECONDS:
                logout(request)
                request.session["timed_out"] = True
            elif stamp - last > 30:
                # Touch the session at most every 30 s so a busy page does not write on every request.
                request.session["last_seen"] = stamp
            elif "last_seen" not in request.session:
                request.session["last_seen"] = stamp
        return self.get_response(request)


class ConcurrencyLimitMiddleware:
    """Refuse fast with 503 + Retry-After when a process is already working on its limit of requests.

    Under a deadline surge a quick "try again in a few seconds" is better than a request that hangs
    until the client gives up (STANDARDS I39). Off when ``MAX_CONCURRENT_REQUESTS`` is 0.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.limit = settings.MAX_CONCURRENT_REQUESTS
        self.slots = threading.BoundedSemaphore(self.limit) if self.limit else None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.slots is None or request.path == "/healthz":
            return self.get_response(request)
        if not self.slots.acquire(timeout=0.05):
            response = JsonResponse({"detail": "系统繁忙，请稍后重试。"}, status=503)
            response["Retry-After"] = "3"
            return response
        try:
            return self.get_response(request)
        finally:
            self.slots.release()
