"""API keys of integration accounts (SPEC §14): the system administrator's services, and the check a
key passes on every request.

An integration account is an ordinary account of the recommender, finance or bureau role marked
``is_integration``: it has no password and acts with exactly its role's permissions, through the keys
issued for it. A key is random, shown once at creation and stored only as its SHA-256; it has a name, a
scope (``read``: only reading operations; ``write``: everything the role may do), an expiry, and is
revocable. Deactivating the account revokes its keys. Every issue and revocation is audited; every
write made with a key carries the key's id in its audit record (``core.audit``).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from sciplan.accounts.models import ApiKey, ApiKeyScope, User
from sciplan.accounts.roles import Role
from sciplan.core import audit, clock
from sciplan.core.errors import Conflict, NotFound, ValidationFailed

# The roles an integration account may have: the offices that work on applications in bulk. Not the
# administrator or the audit viewer (separation of duties), not experts (personal conflict
# declarations), not applicants (a unit's own users register themselves).
INTEGRATION_ROLES = (Role.RECOMMENDER, Role.FINANCE, Role.BUREAU)
KEY_PREFIX = "sck_"
MAX_DAYS = 366
DEFAULT_DAYS = 180
# How often the last use is written at most, when the address did not change: one write a minute per
# key, not one per request.
LAST_USE_EVERY = timedelta(seconds=60)


def ensure_admin(by) -> None:
    # As in ``user_admin`` (which imports this module to revoke keys on deactivation).
    if getattr(by, "role", None) != Role.ADMIN:
        raise NotFound()


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def key_state(key: ApiKey, *, now: datetime | None = None) -> str:
    """``active``, ``expired`` or ``revoked``."""
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at <= (now or clock.now()):
        return "expired"
    return "active"


STATE_LABELS = {"active": "有效", "expired": "已过期", "revoked": "已吊销"}
REVOKE_REASONS = {"admin": "管理员吊销", "deactivated": "账号停用"}


def integration_account_for(by, pk) -> User:
    """The integration account ``pk``, or 404 for anyone but the system administrator."""
    ensure_admin(by)
    user = User.objects.filter(pk=pk, is_integration=True).select_related("recommender").first()
    if user is None:
        raise NotFound()
    return user


def key_list(user: User, *, by) -> QuerySet[ApiKey]:
    ensure_admin(by)
    return ApiKey.objects.filter(user=user).order_by("-created_at", "-id")


def get_key_for(by, user: User, pk) -> ApiKey:
    ensure_admin(by)
    key = ApiKey.objects.filter(user=user, pk=pk).first() if str(pk).isdigit() else None
    if key is None:
        raise NotFound()
    return key


def _expiry(raw: Any, errors: dict[str, str]) -> datetime | None:
    """The key expires at the end of the given day (Asia/Shanghai), at most ``MAX_DAYS`` ahead."""
    today = clock.local(clock.now()).date()
    if raw in (None, ""):
        day = today + timedelta(days=DEFAULT_DAYS)
    elif isinstance(raw, date):
        day = raw
    else:
        try:
            day = date.fromisoformat(str(raw).strip())
        except ValueError:
            errors["expires_on"] = "日期格式不正确，请使用 YYYY-MM-DD。"
            return None
    if day <= today:
        errors["expires_on"] = "有效期须晚于今天。"
        return None
    if day > today + timedelta(days=MAX_DAYS):
        errors["expires_on"] = (
            f"有效期最长{MAX_DAYS}天（至{(today + timedelta(days=MAX_DAYS)).isoformat()}）。"
        )
        return None
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


@transaction.atomic
def create_key(user: User, data: dict[str, Any], *, by, ip: str | None = None) -> tuple[str, ApiKey]:
    """Issue a key for an active integration account; returns the raw key (shown once) and its row."""
    ensure_admin(by)
    locked = User.objects.select_for_update().get(pk=user.pk)
    errors: dict[str, str] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = "请填写密钥名称（如对接的系统或脚本）。"
    elif len(name) > 50:
        errors["name"] = "名称不能超过50字。"
    scope = str(data.get("scope") or "")
    if scope not in ApiKeyScope.values:
        errors["scope"] = "请选择权限范围：只读或读写。"
    expires_at = _expiry(data.get("expires_on"), errors)
    if errors or expires_at is None:
        raise ValidationFailed("密钥信息有误，请按提示修改。", field_errors=errors)
    if not locked.is_integration or not locked.is_active:
        raise Conflict("只能为已启用的接口集成账号创建密钥。", code="state")
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        user=locked,
        name=name,
        prefix=raw[:12],
        key_hash=hash_key(raw),
        scope=scope,
        created_by=by,
        expires_at=expires_at,
    )
    audit.record(
        "api_key.create",
        actor=by,
        obj=key,
        ip=ip,
        detail={"user": locked.pk, "scope": scope, "expires_at": expires_at.isoformat()},
    )
    return raw, key


@transaction.atomic
def revoke_key(key: ApiKey, *, by, ip: str | None = None) -> ApiKey:
    """Revoke one key at once: the next request with it gets 401."""
    ensure_admin(by)
    locked = ApiKey.objects.select_for_update().get(pk=key.pk)
    if locked.revoked_at is not None:
        raise Conflict("该密钥已吊销。", code="state")
    locked.revoked_at = clock.now()
    locked.revoked_by = by
    locked.revoke_reason = "admin"
    locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    audit.record("api_key.revoke", actor=by, obj=locked, ip=ip, detail={"user": locked.user_id})
    return locked


def revoke_keys_of(user: User, *, by=None, reason: str = "deactivated", ip: str | None = None) -> int:
    """Revoke every live key of ``user`` (the account was deactivated); audited when there were any."""
    count = ApiKey.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=clock.now(), revoked_by=by, revoke_reason=reason
    )
    if count:
        audit.record("api_key.revoke", actor=by, obj=user, ip=ip, detail={"reason": reason, "keys": count})
    return count


def authenticate(raw: str, *, ip: str | None) -> ApiKey | None:
    """The live key ``raw`` of an active integration account, with its last use recorded; else ``None``.

    Revoked, expired, unknown keys and keys of deactivated accounts are all the same ``None`` (401).
    """
    if not raw.startswith(KEY_PREFIX):
        return None
    now = clock.now()
    key = (
        ApiKey.objects.select_related("user", "user__unit", "user__recommender")
        .filter(key_hash=hash_key(raw), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if key is None or not key.user.is_active or not key.user.is_integration:
        return None
    if key.last_used_at is None or now - key.last_used_at > LAST_USE_EVERY or key.last_used_ip != ip:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now, last_used_ip=ip)
        key.last_used_at, key.last_used_ip = now, ip
    return key
