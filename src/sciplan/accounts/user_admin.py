"""Accounts of the official roles, managed by the system administrator (SPEC §2).

Accounts are never deleted (the audit log refers to them): they are deactivated and reactivated. A new
account, a password reset and an expert invitation all work the same way: the password becomes
unusable and the person receives a one-time link (Django's ``PasswordResetTokenGenerator``) to set their
own. The token is bound to the password hash and the last sign-in, so it is spent once the password is
set, and it expires after ``PASSWORD_RESET_TIMEOUT`` seconds.

Roles whose account is tied to a record of a later app (an expert to its pool record) register a
:class:`RoleBinding` from that app's ``ready()``, so this module never imports it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.utils import reset
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from sciplan.accounts.api_keys import INTEGRATION_ROLES, revoke_keys_of
from sciplan.accounts.models import User
from sciplan.accounts.roles import Role
from sciplan.accounts.services import save_with_password
from sciplan.accounts.validators import validate_mobile, validate_username
from sciplan.calls.models import Recommender
from sciplan.core import audit, authority, clock
from sciplan.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from sciplan.core.ratelimit import clear_sign_in_failures

OFFICIAL_ROLES = (Role.RECOMMENDER, Role.FINANCE, Role.BUREAU, Role.EXPERT, Role.ADMIN, Role.AUDITOR)


@dataclass(frozen=True)
class RoleBinding:
    """What an account of ``role`` must be tied to, provided by the app that owns that record."""

    label: str
    choices: Callable[[User | None], list[tuple[int, str]]]
    bind: Callable[[User, Any], None]  # raises ValidationError with a Chinese message


_BINDINGS: dict[str, RoleBinding] = {}


def register_binding(role: str, binding: RoleBinding) -> None:
    _BINDINGS[role] = binding


def binding_for(role: str) -> RoleBinding | None:
    return _BINDINGS.get(role)


def ensure_admin(by) -> None:
    if getattr(by, "role", None) != Role.ADMIN:
        raise NotFound()


# --- reading --------------------------------------------------------------------------------------


def _locked_usernames():
    """Usernames django-axes currently holds locked (failures at the limit within the cool-off)."""
    from axes.models import AccessAttempt

    since = clock.now() - timedelta(hours=float(settings.AXES_COOLOFF_TIME))
    return AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=since
    )


def lockout_lifts_at(*, username: str, ip_address: str | None, cool_off: timedelta) -> datetime:
    """When a lockout of ``username`` at ``ip_address`` ends: ``cool_off`` after the last failure there
    (the lock holds one account at one address, settings ``AXES_LOCKOUT_PARAMETERS``); never in the past."""
    from axes.models import AccessAttempt

    now = clock.now()
    attempt = (
        AccessAttempt.objects.filter(username=username, ip_address=ip_address)
        .order_by("-attempt_time")
        .first()
        if username
        else None
    )
    return max((attempt.attempt_time if attempt else now) + cool_off, now + timedelta(seconds=1))


def user_list(
    *,
    by,
    q: str = "",
    role: str = "",
    unit: str = "",
    recommender: str = "",
    active: str = "",
    locked: str = "",
) -> QuerySet[User]:
    """Every account, searchable and filtered; ``is_locked`` is annotated in the same query."""
    ensure_admin(by)
    attempts = _locked_usernames().filter(username=OuterRef("username"))
    qs = (
        User.objects.select_related("unit", "recommender")
        .annotate(is_locked=Exists(attempts))
        .order_by("role", "username")
    )
    if q:
        qs = qs.filter(
            Q(username__icontains=q) | Q(name__icontains=q) | Q(email__icontains=q) | Q(mobile__icontains=q)
        )
    if role in Role.values:
        qs = qs.filter(role=role)
    if unit.isdigit():
        qs = qs.filter(unit_id=int(unit))
    if recommender.isdigit():
        qs = qs.filter(recommender_id=int(recommender))
    if active in ("1", "0"):
        qs = qs.filter(is_active=active == "1")
    if locked in ("1", "0"):
        qs = qs.filter(is_locked=locked == "1")
    return qs


def get_user_for(by, pk) -> User:
    ensure_admin(by)
    try:
        return User.objects.select_related("unit", "recommender").get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


# --- the one-time set-password link ---------------------------------------------------------------


def set_password_path(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("accounts:set_password", kwargs={"uidb64": uid, "token": token})


def send_set_password_link(user: User, *, reason: str) -> None:
    """E-mail the one-time link after commit; the link is never shown to the administrator."""
    hours = round(settings.PASSWORD_RESET_TIMEOUT / 3600)
    link = authority.current().url(set_password_path(user))
    body = (
        f"{user.display_name}您好：\n\n{reason}请打开以下链接设置您的登录密码（登录名：{user.username}）。"
        f"链接只能使用一次，{hours}小时内有效：\n\n{link}\n\n如非本人操作，请忽略本邮件。"
    )
    transaction.on_commit(lambda: send_mail("设置科管系统登录密码", body, None, [user.email]))


# --- writing --------------------------------------------------------------------------------------

PROFILE_FIELDS = ("name", "email", "mobile", "post")


def _clean_profile(data: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    clean = {key: str(data.get(key) or "").strip() for key in PROFILE_FIELDS}
    if not clean["name"]:
        errors["name"] = "请填写姓名。"
    elif len(clean["name"]) > 50:
        errors["name"] = "姓名不能超过50字。"
    if len(clean["post"]) > 50:
        errors["post"] = "职务不能超过50字。"
    if not clean["email"]:
        errors["email"] = "请填写电子邮箱：设置密码的链接将发送到这里。"
    else:
        try:
            validate_email(clean["email"])
        except ValidationError:
            errors["email"] = "电子邮箱格式不正确。"
    if clean["mobile"]:
        try:
            clean["mobile"] = validate_mobile(clean["mobile"])
        except ValidationError as exc:
            errors["mobile"] = exc.messages[0]
    return clean


def _clean_ties(role: str, data: dict[str, Any], errors: dict[str, str]) -> Recommender | None:
    """Recommender and finance users belong to their recommending unit; finance only to a county."""
    if role not in (Role.RECOMMENDER, Role.FINANCE):
        return None
    raw = str(data.get("recommender") or "")
    recommender = Recommender.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
    if recommender is None:
        errors["recommender"] = "请选择所属推荐单位。"
    elif role == Role.FINANCE and not recommender.needs_finance_cosign:
        errors["recommender"] = f"{recommender.name}不需要财政部门联合推荐，不能设财政部门账号。"
    return recommender


@transaction.atomic
def create_user(data: dict[str, Any], *, by, ip: str | None = None) -> User:
    """An account of an official role, tied to what it needs; the person sets their password by link."""
    ensure_admin(by)
    errors: dict[str, str] = {}
    username = str(data.get("username") or "").strip()
    try:
        validate_username(username)
    except ValidationError as exc:
        errors["username"] = exc.messages[0]
    else:
        if User.objects.filter(username__iexact=username).exists():
            errors["username"] = "该登录名已被使用。"
    role = str(data.get("role") or "")
    if role not in OFFICIAL_ROLES:
        errors["role"] = "请选择角色（申报单位账号由单位自行注册）。"
    profile = _clean_profile(data, errors)
    recommender = _clean_ties(role, data, errors)
    binding = binding_for(role)
    if binding is not None and not str(data.get("binding") or "").strip():
        errors["binding"] = f"请选择{binding.label}。"
    integration = str(data.get("integration") or "").lower() in ("1", "true", "on")
    if integration and role and role not in INTEGRATION_ROLES:
        errors["integration"] = "接口集成账号只能是推荐单位、财政部门或市科技局角色。"
    if errors:
        raise ValidationFailed("账号信息有误，请按提示修改。", field_errors=errors)
    user = User(username=username, role=role, recommender=recommender, is_integration=integration, **profile)
    user.set_unusable_password()
    user.save()
    if binding is not None:
        try:
            binding.bind(user, data.get("binding"))
        except ValidationError as exc:
            transaction.set_rollback(True)
            raise ValidationFailed(exc.messages[0], field_errors={"binding": exc.messages[0]}) from None
    audit.record(
        "user.create",
        actor=by,
        obj=user,
        ip=ip,
        detail={
            "role": role,
            "recommender": recommender.pk if recommender else None,
            "integration": integration,
        },
    )
    if not integration:  # an integration account has no password: it signs in with its API keys
        send_set_password_link(user, reason="系统管理员已为您开设科管系统账号。")
    return user


@transaction.atomic
def update_user(user: User, data: dict[str, Any], *, by, ip: str | None = None) -> User:
    """Edit profile, role and ties; a role change is its own audit record with old and new."""
    ensure_admin(by)
    locked = User.objects.select_for_update().get(pk=user.pk)
    errors: dict[str, str] = {}
    role = str(data.get("role") or locked.role)
    if role != locked.role:
        if locked.pk == by.pk:
            errors["role"] = "不能修改自己的角色（职责分离）：请由另一名系统管理员操作。"
        elif role not in OFFICIAL_ROLES or locked.role == Role.APPLICANT:
            errors["role"] = "只能在市科技局、推荐单位、财政部门、专家、管理员、审计管理员之间调整角色。"
        elif locked.is_integration and role not in INTEGRATION_ROLES:
            errors["role"] = "接口集成账号只能是推荐单位、财政部门或市科技局角色。"
    profile = _clean_profile({**{k: getattr(locked, k) for k in PROFILE_FIELDS}, **data}, errors)
    recommender = _clean_ties(
        role, data if "recommender" in data else {"recommender": locked.recommender_id}, errors
    )
    if errors:
        raise ValidationFailed("账号信息有误，请按提示修改。", field_errors=errors)
    before = {k: getattr(locked, k) for k in PROFILE_FIELDS} | {"recommender": locked.recommender_id}
    for key, value in profile.items():
        setattr(locked, key, value)
    if role in (Role.RECOMMENDER, Role.FINANCE):
        locked.recommender = recommender
    elif locked.role != Role.APPLICANT:
        locked.recommender = None
    old_role = locked.role
    locked.role = role
    locked.save()
    after = {k: getattr(locked, k) for k in PROFILE_FIELDS} | {"recommender": locked.recommender_id}
    changed = {k: {"from": before[k], "to": after[k]} for k in before if before[k] != after[k]}
    if changed:
        audit.record("user.update", actor=by, obj=locked, ip=ip, detail={"changed": sorted(changed)})
    if old_role != role:
        audit.record("user.role_change", actor=by, obj=locked, ip=ip, detail={"from": old_role, "to": role})
    return locked


@transaction.atomic
def set_active(user: User, *, active: bool, by, ip: str | None = None) -> User:
    """Deactivate or reactivate; the account and everything it did stay on record."""
    ensure_admin(by)
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.pk == by.pk and not active:
        raise NotAllowed("不能停用自己的账号。")
    if locked.is_active == active:
        raise Conflict("该账号已" + ("启用" if active else "停用") + "。", code="state")
    locked.is_active = active
    locked.save(update_fields=["is_active"])  # deactivating ends the API tokens (api.signals)
    audit.record("user.activate" if active else "user.deactivate", actor=by, obj=locked, ip=ip)
    if not active:  # and the API keys, for good: reactivating the account does not revive them
        revoke_keys_of(locked, by=by, reason="deactivated", ip=ip)
    return locked


@transaction.atomic
def reset_password(user: User, *, by, ip: str | None = None) -> User:
    """The old password stops working at once; a one-time link lets the person set a new one."""
    ensure_admin(by)
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.is_integration:
        raise Conflict("接口集成账号没有密码，使用接口密钥访问；请在“接口密钥”中管理。", code="state")
    if not locked.email:
        message = "该账号没有电子邮箱，无法发送设置密码的链接。请先填写邮箱。"
        raise ValidationFailed(message, field_errors={"email": message})
    locked.set_unusable_password()
    locked.save(update_fields=["password"])  # and with it the API tokens (api.signals)
    audit.record("user.password_reset", actor=by, obj=locked, ip=ip)
    send_set_password_link(locked, reason="系统管理员已重置您的登录密码，原密码已失效。")
    return locked


def password_set_by_link(user: User, *, ip: str | None = None) -> None:
    """After a password was set through the one-time link (already saved by Django's form): it counts
    as a fresh change, and since whoever holds the link is the account's owner, a lockout of the
    account ends here. Recorded."""
    user.password_changed_at = clock.now()
    user.save(update_fields=["password_changed_at"])
    reset(username=user.get_username())
    audit.record("user.password_set", actor=user, obj=user, ip=ip)


def unlock(*, by, username: str = "", ip_address: str = "", ip: str | None = None) -> int:
    """Lift a sign-in lockout of an account or a source address with django-axes' own reset."""
    ensure_admin(by)
    username, ip_address = username.strip(), ip_address.strip()
    if not username and not ip_address:
        message = "请填写要解锁的登录名或IP地址。"
        raise ValidationFailed(message, field_errors={"username": message})
    if ip_address:
        try:
            ip_address = str(ipaddress.ip_address(ip_address))
        except ValueError:
            # PostgreSQL's inet column would refuse it as a server error (SQLite stores any text).
            message = "IP地址格式不正确，请填写如 192.168.1.10 或 IPv6 形式的地址。"
            raise ValidationFailed(message, field_errors={"ip_address": message}) from None
    count = 0
    if username:
        count += reset(username=username)
    if ip_address:
        count += reset(ip=ip_address)
        clear_sign_in_failures(ip_address)
    audit.record(
        "user.unlock", actor=by, ip=ip, detail={"username": username, "ip": ip_address, "attempts": count}
    )
    return count


@transaction.atomic
def reset_authenticator(user: User, *, by, ip: str | None = None) -> int:
    """Remove a lost authenticator; the person enrols a new one at their next sign-in."""
    from django_otp import devices_for_user

    ensure_admin(by)
    devices = list(devices_for_user(user, confirmed=None))
    for device in devices:
        device.delete()
    audit.record("user.otp_reset", actor=by, obj=user, ip=ip, detail={"devices": len(devices)})
    return len(devices)


@transaction.atomic
def create_first_admin(*, username: str, email: str, password: str) -> User:
    """The first system administrator of a fresh installation (``manage.py create_admin``)."""
    if User.objects.filter(role=Role.ADMIN).exists():
        raise Conflict("系统中已有系统管理员；其他账号请由系统管理员在“账号管理”中开设。", code="state")
    errors: dict[str, str] = {}
    if not username:
        errors["username"] = "请填写登录名。"
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = "该登录名已被使用。"
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = "电子邮箱格式不正确。"
    user = User(username=username, email=email, role=Role.ADMIN, name="系统管理员")
    save_with_password(user, password, errors, message="管理员信息有误。")
    audit.record("user.create", obj=user, detail={"role": Role.ADMIN, "via": "create_admin"})
    return user
