"""Bearer-token authentication for the JSON API, and the sign-in that issues the tokens.

Tokens are random, stored only as SHA-256, expire after ``API_TOKEN_HOURS`` and can be revoked. Signing
in goes through Django's ``authenticate`` so django-axes counts failures and locks out exactly as on the
web sign-in page (STANDARDS A2); an account with a confirmed TOTP device must add its one-time code.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.http import HttpRequest
from ninja.security import HttpBearer

from sciplan.accounts import api_keys
from sciplan.accounts.models import ApiKey, ApiKeyScope
from sciplan.accounts.roles import TWO_FACTOR_REQUIRED_ROLES
from sciplan.api.models import ApiToken
from sciplan.core import audit, clock, ratelimit
from sciplan.core.errors import DomainError
from sciplan.core.http import client_ip

BAD_CREDENTIALS = "用户名或密码不正确。连续失败5次将暂时锁定。"


class InvalidCredentials(DomainError):
    status = 401
    code = "invalid_credentials"


class LockedOut(DomainError):
    """Too many failures: the API's 429, with the cool-off in ``Retry-After``."""

    status = 429
    code = "locked"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class KeyScopeRefused(DomainError):
    """A read-only API key used for an operation that writes."""

    status = 403
    code = "scope"


class KeyRateLimited(DomainError):
    """One API key over its own request budget (``API_KEY_RATE_LIMIT`` in ``API_KEY_RATE_WINDOW``)."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


# Reading operations: a read-only key may use these methods only. Every operation that changes
# something is a POST, PUT, PATCH or DELETE (the public verification operations that POST are open to
# anyone without a key anyway).
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ApiRequest(HttpRequest):
    """What an operation receives: after :class:`TokenAuth`, ``auth`` is the user and ``api_token`` the
    token row, or ``api_key`` the key row for a request made with an API key (for annotations only;
    ninja passes Django's request)."""

    auth: Any
    api_token: ApiToken | None
    api_key: ApiKey | None


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user, *, name: str = "") -> tuple[str, ApiToken]:
    raw = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        token_hash=hash_token(raw),
        name=name[:100],
        expires_at=clock.now() + timedelta(hours=settings.API_TOKEN_HOURS),
    )
    return raw, token


def _cool_off_seconds(request: HttpRequest) -> int:
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    return int(cool_off.total_seconds()) if cool_off else 900


def _locked(request: HttpRequest, username: str) -> LockedOut:
    # The API answers the lockout itself, in JSON; the axes middleware would replace it with the web page.
    request.axes_locked_out = False  # type: ignore[attr-defined]
    audit.record(
        "auth.locked",
        outcome="refused",
        ip=client_ip(request),
        detail={"username": username[:150], "channel": "api"},
    )
    seconds = _cool_off_seconds(request)
    return LockedOut(
        f"登录失败次数过多，已暂时锁定，请{max(seconds // 60, 1)}分钟后再试。", retry_after=seconds
    )


def _totp_devices(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return list(TOTPDevice.objects.filter(user=user, confirmed=True))


def sign_in(request: HttpRequest, *, username: str, password: str, otp: str | None, name: str = ""):
    """Check the credentials (and the one-time code) and issue a token; audited either way.

    Returns ``(raw_token, ApiToken)``. Raises :class:`InvalidCredentials` (401) with the same message
    for an unknown user and a wrong password, or :class:`LockedOut` (429).
    """
    ip = client_ip(request)
    username = (username or "").strip()
    user = authenticate(request, username=username, password=password or "")
    if getattr(request, "axes_locked_out", False):
        raise _locked(request, username)
    if user is None:
        # ``authenticate`` sent user_login_failed: the accounts app audits it as ``auth.login_failed``.
        raise InvalidCredentials(BAD_CREDENTIALS)
    devices = _totp_devices(user)
    if not devices and user.role in TWO_FACTOR_REQUIRED_ROLES and getattr(settings, "OTP_ENFORCED", True):
        # Bureau staff and administrators must use two-factor (STANDARDS A4): the API is no way around it.
        audit.record(
            "auth.login_failed",
            actor=user,
            outcome="refused",
            ip=ip,
            detail={"username": username, "channel": "api", "reason": "otp_setup_required"},
        )
        raise InvalidCredentials(
            "该账号须启用两步验证，请先在网页端登录并绑定动态验证码，再获取令牌。", code="otp_setup_required"
        )
    if devices:
        code = (otp or "").strip()
        if not code:
            audit.record(
                "auth.login_failed",
                actor=user,
                outcome="refused",
                ip=ip,
                detail={"username": username, "channel": "api", "reason": "otp_required"},
            )
            raise InvalidCredentials(
                "该账号已启用两步验证，请填写动态验证码。",
                field_errors={"otp": "请填写动态验证码。"},
                code="otp_required",
            )
        if not any(device.verify_token(code) for device in devices):
            # A wrong code counts as a failed sign-in, so guessing codes runs into the same lockout.
            user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
            if getattr(request, "axes_locked_out", False):
                raise _locked(request, username)
            raise InvalidCredentials(
                "动态验证码不正确或已过期。",
                field_errors={"otp": "动态验证码不正确或已过期。"},
                code="otp_invalid",
            )
    # Resets the failure count (AXES_RESET_ON_SUCCESS) and updates last_login, as a web sign-in does.
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    raw, token = issue_token(user, name=name)
    audit.record(
        "auth.token",
        actor=user,
        obj=token,
        ip=ip,
        detail={"channel": "api", "expires_at": token.expires_at.isoformat(), "otp": bool(devices)},
    )
    return raw, token


def revoke(token: ApiToken, *, ip: str | None = None) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=clock.now())
    audit.record("auth.token_revoked", actor=token.user, obj=token, ip=ip)


def _key_auth(request: HttpRequest, raw: str):
    """An integration account's API key: the scope, then the key's own rate limit, then the user."""
    key = api_keys.authenticate(raw, ip=client_ip(request))
    if key is None:
        return None
    # Set before the checks, so the refusals below are audited with the key (core.audit).
    request.api_key = key  # type: ignore[attr-defined]
    request.api_token = None  # type: ignore[attr-defined]
    request.user = key.user
    if key.scope == ApiKeyScope.READ and request.method not in READ_METHODS:
        raise KeyScopeRefused("该接口密钥为只读，不能执行修改操作。请使用读写密钥。")
    wait = ratelimit.hit(
        f"apikey{key.pk}", limit=settings.API_KEY_RATE_LIMIT, window=settings.API_KEY_RATE_WINDOW
    )
    if wait:
        raise KeyRateLimited("该接口密钥的请求过于频繁，请稍后再试。", retry_after=wait)
    return key.user


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token or key>``; ``request.auth`` is then the user, and
    ``request.api_token`` the token row or ``request.api_key`` the key row."""

    def authenticate(self, request: HttpRequest, token: str):
        if token.startswith(api_keys.KEY_PREFIX):
            return _key_auth(request, token)
        now = clock.now()
        row = (
            ApiToken.objects.select_related("user", "user__unit", "user__recommender")
            .filter(token_hash=hash_token(token), revoked_at__isnull=True, expires_at__gt=now)
            .first()
        )
        if row is None or not row.user.is_active:
            return None
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        request.api_token = row  # type: ignore[attr-defined]
        request.api_key = None  # type: ignore[attr-defined]
        return row.user


token_auth = TokenAuth()
