"""Cross-cutting request handling: security headers, session timeouts, the access policy (two-factor,
password expiry, separation of duties), rate limits, the audit trail of refusals and downloads, and
bounded concurrency."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

logger = logging.getLogger("sciplan.security")

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
        # The API docs (/api/v1/docs) get the same policy: Swagger UI comes from our own static files.
        response.setdefault("Content-Security-Policy", CSP)
        response.setdefault("Referrer-Policy", "same-origin")
        response.setdefault("X-Content-Type-Options", "nosniff")
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


class SessionTimeoutMiddleware:
    """Log out a session idle for ``SESSION_IDLE_SECONDS`` or older than ``SESSION_ABSOLUTE_SECONDS``
    since sign-in (STANDARDS A3). The cookie's own age (SESSION_COOKIE_AGE) is the same absolute limit,
    but a session's expiry moves each time it is saved, so the sign-in time is checked here as well."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            stamp = int(time.time())
            last = request.session.get("last_seen", stamp)
            signed_in = request.session.setdefault("auth_at", stamp)
            absolute = getattr(settings, "SESSION_ABSOLUTE_SECONDS", settings.SESSION_COOKIE_AGE)
            if stamp - last > settings.SESSION_IDLE_SECONDS or stamp - signed_in > absolute:
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


# Pages a signed-in user can always reach, whatever the access policy still asks of them.
ALWAYS_ALLOWED = frozenset(
    {
        "accounts:login",
        "accounts:logout",
        "accounts:otp_setup",
        "accounts:otp_verify",
        "core:healthz",
    }
)
# Separation of duties (STANDARDS B11): an audit viewer reaches the audit log and their own account only.
AUDITOR_ALLOWED = frozenset(
    {
        "core:home",
        "core:notifications",
        "accounts:password_change",
        "accounts:audit_log",
        "accounts:audit_export",
        "accounts:otp_setup",
        "accounts:otp_verify",
    }
)


class AccessPolicyMiddleware:
    """What a signed-in session must do before anything else (pages only; the API has its own checks):

    * two-factor: a user with a confirmed TOTP device must verify it; bureau staff and administrators
      must enrol one first (STANDARDS A4) — until then only enrolment, verification and sign-out answer;
    * an expired password (``PASSWORD_CHANGE_DAYS``, noted at sign-in) must be changed first;
    * an audit viewer sees only the audit log (STANDARDS B11).

    An error inside these checks refuses the request (fail closed, STANDARDS B12).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith("/api/"):
            return None
        try:
            return self._policy(request, user)
        except PermissionDenied:
            raise
        except Exception:
            logger.exception("access policy check failed; refusing %s", request.path)
            raise PermissionDenied from None

    def _policy(self, request: HttpRequest, user) -> HttpResponse | None:
        from sciplan.accounts import services
        from sciplan.accounts.roles import Role
        from sciplan.core.http import route_name

        name = route_name(request)
        if name in ALWAYS_ALLOWED:
            return None
        if getattr(settings, "OTP_ENFORCED", True) and not services.session_is_verified(user):
            # One device lookup per request, not three (found by the benchmark's profiler).
            confirmed = services.has_confirmed_device(user)
            target = "accounts:otp_verify" if confirmed else "accounts:otp_setup"
            if confirmed or services.user_requires_otp(user, confirmed=confirmed):
                return _redirect(request, target)
        if request.session.get("password_expired") and name != "accounts:password_change":
            return _redirect(request, "accounts:password_change")
        if user.role == Role.AUDITOR and name not in AUDITOR_ALLOWED:
            raise PermissionDenied("audit viewers see only the audit log")
        return None


def _redirect(request: HttpRequest, url_name: str) -> HttpResponse:
    url = reverse(url_name)
    if request.method == "GET":
        url += "?" + urlencode({"next": request.get_full_path()})
    response = HttpResponseRedirect(url)
    if request.headers.get("HX-Request") == "true":
        response["HX-Redirect"] = url
    return response


class RateLimitMiddleware:
    """Apply ``settings.RATE_LIMITS`` to the matched route before its view runs (see ``core.ratelimit``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        from sciplan.core import ratelimit
        from sciplan.core.http import route_name

        try:
            name = route_name(request)
            rule = ratelimit.matching_rule(name, request.method or "GET")
        except Exception:
            logger.exception("rate-limit rule lookup failed; refusing %s", request.path)
            return ratelimit.refused(request)
        if rule is None:
            return None
        return ratelimit.check(request, rule, rule.pattern)


EXPORT_HINTS = ("export", "summary", "table", "report")


class AuditTrailMiddleware:
    """One audit record for each refusal a signed-in user meets and each file they download
    (STANDARDS E22): a 403 anywhere, a 404 on a route that names an object, a 429, and every
    ``Content-Disposition: attachment`` response (an attachment, a generated document or an export)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from sciplan.core import audit

        token = audit.begin_request(request)
        try:
            response = self.get_response(request)
        finally:
            recorded = audit.end_request(token)
        try:
            self._record(request, response, recorded)
        except Exception:
            logger.exception("audit trail failed for %s", request.path)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception):
        """A stored file that failed its integrity check: a clear page instead of a server error (the
        check itself recorded the audit event)."""
        from django.shortcuts import render

        from sciplan.core.storage import TamperedFile

        if isinstance(exception, TamperedFile):
            return render(
                request,
                "core/error.html",
                {"status": 409, "title": "文件校验未通过", "message": exception.message},
                status=409,
            )
        return None

    def _record(self, request: HttpRequest, response: HttpResponse, recorded: list[tuple[str, str]]) -> None:
        from sciplan.core import audit
        from sciplan.core.http import client_ip, route_name

        user = getattr(request, "user", None)
        match = getattr(request, "resolver_match", None)
        if match is None:
            return
        authenticated = user is not None and user.is_authenticated
        status = response.status_code
        name = route_name(request, match)
        object_id = ",".join(f"{k}={v}" for k, v in sorted(match.kwargs.items()))[:64]
        detail = {"route": name, "method": request.method, "status": status}
        refusal_recorded = any(outcome != "ok" for _, outcome in recorded)
        download_recorded = any(("download" in kind or "export" in kind) for kind, _ in recorded)
        if (refusal_recorded and status >= 400) or (download_recorded and status == 200):
            return
        if authenticated and (status == 403 or (status == 404 and match.kwargs) or status == 429):
            audit.record(
                "access.refused",
                actor=user,
                ip=client_ip(request),
                object_type=name[:64],
                object_id=object_id,
                outcome="refused",
                detail=detail,
            )
        elif status == 200 and response.get("Content-Disposition", "").startswith("attachment"):
            kind = "export.download" if any(h in name for h in EXPORT_HINTS) else "file.download"
            detail["filename"] = response["Content-Disposition"].split("filename*=UTF-8''")[-1][:200]
            audit.record(
                kind,
                actor=user if authenticated else None,
                ip=client_ip(request),
                object_type=name[:64],
                object_id=object_id,
                detail=detail,
            )


class PersonalDataMaskingMiddleware:
    """PIPL masking as a safety net (STANDARDS E25), whatever a view rendered:

    * applicants see only their own unit's data and get it in full;
    * officials without the right (recommenders, finance, experts, administrators, audit viewers) get
      phone and ID numbers masked (138****1234) in every page and JSON answer, except on the official
      forms listed in ``settings.PII_FULL_ROUTES`` (each download is audited anyway);
    * the bureau has the right (SPEC §8): it gets full values, and every answer that carried one is
      recorded as a ``pii.view`` audit event naming the route and object.

    A failure here refuses the answer rather than letting it out unmasked (fail closed).
    """

    TEXT_TYPES = ("text/html", "application/json", "text/csv", "text/plain")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        try:
            return self._mask(request, response)
        except Exception:
            logger.exception("personal-data masking failed; refusing %s", request.path)
            return HttpResponse(
                "系统处理时出错，请稍后重试。", status=500, content_type="text/plain; charset=utf-8"
            )

    def _mask(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        from fnmatch import fnmatchcase

        from sciplan.core import audit
        from sciplan.core.http import client_ip, route_name
        from sciplan.core.masking import UNMASK_ROLES
        from sciplan.core.scrubbing import mask_personal

        user = getattr(request, "user", None)
        role = getattr(user, "role", None) if user is not None and user.is_authenticated else None
        if role in (None, "applicant") or response.streaming:
            return response
        if not response.get("Content-Type", "").startswith(self.TEXT_TYPES):
            return response
        name = route_name(request)
        if any(fnmatchcase(name, pattern) for pattern in getattr(settings, "PII_FULL_ROUTES", ())):
            return response
        charset = response.charset or "utf-8"
        text = response.content.decode(charset, "replace")
        masked = mask_personal(text, standalone=True)
        if masked == text:
            return response
        if role in UNMASK_ROLES:
            match = getattr(request, "resolver_match", None)
            kwargs = match.kwargs if match else {}
            audit.record(
                "pii.view",
                actor=user,
                ip=client_ip(request),
                object_type=name[:64],
                object_id=",".join(f"{k}={v}" for k, v in sorted(kwargs.items()))[:64],
                detail={"route": name, "method": request.method},
            )
            return response
        response.content = masked.encode(charset)
        return response
