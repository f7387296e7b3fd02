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

from sciplan.core.errors import VALIDATION_DETAIL

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

    Below capacity nothing is refused: the kernel does not spread connections evenly over the
    processes, so one process may briefly hold more requests than its limit while another is idle. A
    request that finds every slot taken waits in a short line (``MAX_QUEUED_REQUESTS`` places, at most
    ``QUEUE_WAIT_MS``) and is served as soon as a slot frees; only when the line is full is it refused
    at once, and a request that waited its whole time is refused then.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.limit = settings.MAX_CONCURRENT_REQUESTS
        self.slots = threading.BoundedSemaphore(self.limit) if self.limit else None
        self.line_length = settings.MAX_QUEUED_REQUESTS if settings.MAX_QUEUED_REQUESTS >= 0 else self.limit
        self.wait_seconds = settings.QUEUE_WAIT_MS / 1000
        self.waiting = 0
        self.line = threading.Lock()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.slots is None or request.path == "/healthz":
            return self.get_response(request)
        if not self.slots.acquire(blocking=False) and not self._wait_for(self.slots):
            return busy_response(request)
        try:
            return self.get_response(request)
        finally:
            self.slots.release()

    def _wait_for(self, slots: threading.BoundedSemaphore) -> bool:
        with self.line:
            if self.waiting >= self.line_length:
                return False
            self.waiting += 1
        try:
            return slots.acquire(timeout=self.wait_seconds)
        finally:
            with self.line:
                self.waiting -= 1


def wants_json(request: HttpRequest) -> bool:
    """The API, and the page's own scripts (autosave asks for JSON), get JSON answers."""
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def busy_response(request: HttpRequest) -> HttpResponse:
    """503 + Retry-After with the one "busy" sentence, for the API, the autosave and pages alike.

    The page version is plain HTML rendered without the site's context processors: when the database is
    the reason, the menu and the signed-in user cannot be read either.
    """
    from django.utils.html import escape

    from sciplan.core.errors import BUSY_MESSAGE, BUSY_RETRY_AFTER_SECONDS

    if wants_json(request):
        response: HttpResponse = JsonResponse(
            {"detail": BUSY_MESSAGE, "code": "unavailable", "message": BUSY_MESSAGE},
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = HttpResponse(
            '<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><title>系统繁忙</title></head>'
            f'<body><div role="alert"><h1>系统繁忙</h1><p>{escape(BUSY_MESSAGE)}</p>'
            f"<p>您已填写的内容不会丢失，请{BUSY_RETRY_AFTER_SECONDS}秒后刷新本页。</p></div></body></html>",
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(BUSY_RETRY_AFTER_SECONDS)
    return response


def is_database_unavailable(exc: BaseException | None) -> bool:
    """The database could not be reached or dropped the connection (an outage, a restart, a cut
    network, SQLite's "database is locked"): the request did not take effect and may be retried."""
    from django.db import InterfaceError, OperationalError

    return isinstance(exc, OperationalError | InterfaceError)


class DatabaseUnavailableMiddleware:
    """A view that meets an unreachable database answers 503 + Retry-After, not 500 (STANDARDS F30).

    The transaction of the request rolled back, so nothing was acknowledged that is not stored; the
    client retries. Failures outside views (a session read in a middleware) reach the same answer through
    ``core.views.server_error``, the API's through its exception handler.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if is_database_unavailable(exception):
            logger.warning("database unavailable on %s: %s", request.path, exception)
            return busy_response(request)
        return None


class RequestInputMiddleware:
    """Refuse, before any view, input that no field can take (see ``core.badinput``) and bodies that are
    too large or unreadable — each with a Chinese message naming the field or the limit:

    * a NUL or a lone surrogate in a JSON field, a form field or the query string → 422 (API and the
      page's scripts: ``errors`` keyed by field) or 400 (a page, naming the field); in a form, bytes
      that are not UTF-8 too (how a lone surrogate arrives there), rather than saving U+FFFD;
    * a body over Django's limits → 413; a multipart body Django cannot parse (a part header over its
      limit, as a file name of some 300 Chinese characters) or too many fields → 400.

    Cost on every request: a GET without a query string is only the declared-length check. A JSON body
    is decoded here and again by the API (about 20 µs for a 3 KB form; bodies are capped by
    ``DATA_UPLOAD_MAX_MEMORY_SIZE``). A form's ``request.POST`` is the one parse Django's CSRF check
    does for every POST anyway (uploads still stream to the upload handlers); it only happens earlier,
    so a view cannot swap ``request.upload_handlers`` (none does).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = self._check(request)
        if refusal is not None:
            return refusal
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> HttpResponse | None:
        from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
        from django.http.multipartparser import MultiPartParserError

        from sciplan.core import badinput

        too_big = self._declared_too_big(request)
        if too_big is not None:
            return too_big
        try:
            fields = badinput.querydict_fields(request.GET) if request.META.get("QUERY_STRING") else []
            content_type = request.content_type or ""
            if not fields and content_type == "application/json" and request.method != "GET":
                fields = badinput.json_fields(request.body)
            elif not fields and request.method == "POST":
                fields = badinput.querydict_fields(
                    request.POST, replaced_is_bad=content_type == "multipart/form-data"
                )
                if not fields and content_type == "application/x-www-form-urlencoded":
                    # Parsing the form above read the body; its bytes are checked as sent.
                    fields = badinput.urlencoded_fields(request.body)
        except RequestDataTooBig:
            return self._too_big(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        except TooManyFilesSent:
            return self._refuse(request, 400, "too_many_files", "一次提交的文件过多，请分批上传。")
        except TooManyFieldsSent:
            return self._refuse(request, 400, "too_many_fields", "提交的字段过多，请求未被处理。")
        except MultiPartParserError:
            return self._refuse(
                request,
                400,
                "bad_upload",
                "上传内容无法解析：文件名过长或请求格式不正确。请把文件改用较短的文件名后重新上传。",
                field="file",
            )
        if not fields:
            return None
        errors = {field: badinput.FIELD_MESSAGE for field in fields}
        if wants_json(request):
            return self._json(
                422,
                {
                    "detail": VALIDATION_DETAIL,
                    "code": "validation",
                    "errors": errors,
                    "message": VALIDATION_DETAIL,
                },
            )
        names = "、".join(f"“{badinput.label_for(f)}”" for f in fields)
        return self._page(request, 400, "请求有误", f"{names}{badinput.FIELD_MESSAGE}")

    def _declared_too_big(self, request: HttpRequest) -> HttpResponse | None:
        """Refuse a body whose declared length is over the limit before reading any of it: one upload
        (``UPLOAD_MAX_BYTES``) plus the form around it. Uploads up to that size get the upload's own
        message beside the file field."""
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        limit = settings.UPLOAD_MAX_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if length > limit:
            return self._too_big(request, limit)
        return None

    def _too_big(self, request: HttpRequest, limit: int) -> HttpResponse:
        request._mark_post_parse_error()  # type: ignore[attr-defined]  # the body is not read again
        message = f"提交的内容过大，超过{limit / 1048576:.0f}MB的限制。请减少内容，附件请逐个上传。"
        return self._refuse(request, 413, "too_large", message)

    def _refuse(
        self, request: HttpRequest, status: int, code: str, message: str, *, field: str = ""
    ) -> HttpResponse:
        if wants_json(request):
            body: dict = {"detail": message, "code": code, "message": message}
            if field:
                body["errors"] = {field: message}
            return self._json(status, body)
        return self._page(request, status, "请求有误" if status == 400 else "内容过大", message)

    @staticmethod
    def _json(status: int, body: dict) -> HttpResponse:
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})

    @staticmethod
    def _page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
        from django.shortcuts import render

        return render(
            request, "core/error.html", {"status": status, "title": title, "message": message}, status=status
        )


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
        # The draw records, so the audit viewer can check that no panel was re-rolled (SPEC §8).
        "review:draws",
        "review:draw",
        "review:panel",
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
        except Exception as exc:
            if is_database_unavailable(exc):
                # Still refused, but as what it is: the database dropped, so the client retries (F30).
                return busy_response(request)
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
        if request.method == "POST" and name in ratelimit.SIGN_IN_ROUTES:
            answer = ratelimit.check_sign_in(request)
            if answer is not None:
                return answer
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
        key = getattr(request, "api_key", None)
        if key is not None:
            detail["api_key"] = key.pk
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
        except Exception as exc:
            if is_database_unavailable(exc):
                return busy_response(request)
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
