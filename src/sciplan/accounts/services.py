"""Unit registration and approval, users of a unit, and USCC overrides."""

from __future__ import annotations

import logging
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from sciplan.accounts import uscc
from sciplan.accounts.models import Unit, UnitKind, UnitLicence, UnitStatus, UsccOverride, User
from sciplan.accounts.roles import Role
from sciplan.accounts.validators import validate_mobile, validate_username
from sciplan.calls.models import Recommender
from sciplan.core import audit, clock, filetypes, storage
from sciplan.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from sciplan.core.notifications import notify

OVERRIDE_HINT = "如确认代码与营业执照一致，请联系市科技局核实。"


def uscc_overridden(code: str) -> bool:
    """True when the bureau accepted this (normalised) code although it fails a GB 32100 rule."""
    return bool(code) and UsccOverride.objects.filter(uscc=code).exists()


def clean_uscc(raw: str) -> str:
    """The one entry check for a code anyone types (a unit, a member unit, an expert's organisation).

    Normalises (invisible characters, full width, spaces, case) and validates; a code refused only by
    an overridable rule passes when the bureau recorded an override for it. Raises ``ValidationError``.
    """
    try:
        return uscc.validate(raw)
    except uscc.UsccError as exc:
        code = uscc.normalize(raw)
        if exc.overridable and uscc_overridden(code):
            return code
        message = exc.message + (OVERRIDE_HINT if exc.overridable else "")
        raise ValidationError(message, code="uscc") from None


def uscc_accepted(code: str) -> bool:
    """A stored code still counts as valid: it passes the rules, or the bureau overrode it."""
    return uscc.is_valid(code) or uscc_overridden(uscc.normalize(code))


# What the registration's done page promises: the recommender reviews a new unit within this many
# working days (the unit is told in-app and by e-mail, see approve_unit).
REVIEW_WORKING_DAYS = 3

REGISTRATION_FIELDS = (
    "unit_name",
    "uscc",
    "kind",
    "recommender",
    "address",
    "legal_representative",
    "username",
    "name",
    "mobile",
    "email",
    "password",
)


LICENCE_TYPES = ("pdf", "jpeg", "png")


def _licence_kind(fileobj: IO[bytes]) -> str:
    """The sniffed type of an uploaded licence scan; ``ValidationError`` with the reason otherwise."""
    size = fileobj.seek(0, 2)
    fileobj.seek(0)
    if size == 0:
        raise ValidationError("文件为空，请重新选择。")
    if size > settings.UPLOAD_MAX_BYTES:
        limit = settings.UPLOAD_MAX_BYTES // 1048576
        raise ValidationError(f"文件大小为{size / 1048576:.1f}MB，超过{limit}MB的限制。")
    try:
        kind = filetypes.sniff(fileobj, accept=LICENCE_TYPES)
    except filetypes.FileTypeError as exc:
        raise ValidationError(str(exc)) from None
    if kind not in LICENCE_TYPES:
        raise ValidationError(f"营业执照只接受{filetypes.describe(LICENCE_TYPES)}文件（扫描件或照片）。")
    return kind


def licence_of(unit: Unit) -> UnitLicence | None:
    return unit.licences.select_related("uploaded_by").first()


def register_unit(
    data: dict[str, Any],
    *,
    licence: IO[bytes] | None = None,
    licence_name: str = "",
    licence_required: bool = False,
    ip: str | None = None,
) -> User:
    """A new applicant unit and its unit administrator. The unit waits for its recommender's approval.

    ``licence`` is the scan of its business licence, stored privately with the unit (the web form
    requires it, ``licence_required``); the file is written before its row and removed if the
    registration fails."""
    errors: dict[str, str] = {}
    licence_kind = ""
    if licence is not None:
        try:
            licence_kind = _licence_kind(licence)
        except ValidationError as exc:
            errors["licence"] = "；".join(exc.messages)
    elif licence_required:
        errors["licence"] = "请上传营业执照或登记证书的扫描件（PDF、JPG或PNG）。"
    cleaned: dict[str, Any] = {}
    required = {"unit_name", "uscc", "recommender", "username", "name", "mobile", "password"}
    for name in REGISTRATION_FIELDS:
        value = data.get(name)
        value = value.strip() if isinstance(value, str) else ("" if value is None else value)
        if name in required and not value:
            errors[name] = "此项为必填项。"
            continue
        try:
            if name == "uscc":
                value = clean_uscc(value)
            elif name == "mobile":
                value = validate_mobile(value)
            elif name == "email" and value:
                validate_email(value)
            elif name == "recommender":
                value = (
                    Recommender.objects.active().filter(pk=value).first() if str(value).isdigit() else None
                )
                if value is None:
                    raise ValidationError("请选择所在县市区或园区。")
            elif name == "kind":
                value = value or UnitKind.ENTERPRISE
                if value not in UnitKind.values:
                    raise ValidationError("请选择单位类型。")
            elif name == "username":
                validate_username(value)
                if User.objects.filter(username__iexact=value).exists():
                    raise ValidationError("该登录名已被使用。")
        except ValidationError as exc:
            errors[name] = "；".join(exc.messages)
            continue
        cleaned[name] = value
    if "uscc" in cleaned and Unit.objects.filter(uscc=cleaned["uscc"]).exists():
        errors["uscc"] = "该单位已注册，请联系本单位的单位管理员为您添加账号。"
    if "password" in cleaned:
        probe = User(username=cleaned.get("username", ""), name=cleaned.get("name", ""), role=Role.APPLICANT)
        try:
            validate_password(cleaned["password"], probe)
        except ValidationError as exc:
            errors["password"] = "；".join(exc.messages)
    # The web form asks for the password twice (the API client types it once, from a script).
    if "password2" in data and data.get("password2") != data.get("password"):
        errors["password2"] = "两次输入的密码不一致，请重新输入。"
    if errors:
        raise ValidationFailed("注册信息有误，请按提示修改。", field_errors=errors)
    try:
        with storage.files_with_rows():
            unit = Unit.objects.create(
                name=cleaned["unit_name"],
                uscc=cleaned["uscc"],
                kind=cleaned.get("kind") or UnitKind.ENTERPRISE,
                recommender=cleaned["recommender"],
                address=cleaned.get("address", ""),
                legal_representative=cleaned.get("legal_representative", ""),
                contact_name=cleaned["name"],
                contact_mobile=cleaned["mobile"],
                contact_email=cleaned.get("email", ""),
            )
            user = User(
                username=cleaned["username"],
                name=cleaned["name"],
                mobile=cleaned["mobile"],
                email=cleaned.get("email", ""),
                role=Role.APPLICANT,
                unit=unit,
                is_unit_admin=True,
                password_changed_at=clock.now(),
            )
            user.set_password(cleaned["password"])
            user.save()
            if licence is not None:
                stored = storage.store_upload(
                    licence, filename=licence_name, kind=licence_kind, prefix=f"licences/{unit.pk}", by=user
                )
                UnitLicence.objects.create(unit=unit, **stored)
            audit.record("unit.register", actor=user, obj=unit, ip=ip, detail={"uscc": unit.uscc})
            reviewers = User.objects.filter(
                recommender=unit.recommender, role=Role.RECOMMENDER, is_active=True
            )
            notify(
                reviewers,
                subject=f"新单位注册待审核：{unit.name}",
                body="请在“单位注册审核”中审核。",
                link="/",
            )
    except IntegrityError as exc:
        logging.getLogger("sciplan.accounts").warning("registration refused by the database: %s", exc)
        raise ValidationFailed(
            "该单位或登录名已被注册。", field_errors={"uscc": "该单位或登录名已被注册。"}
        ) from None
    return user


def units_pending_for(user):
    qs = Unit.objects.select_related("recommender").filter(status=UnitStatus.PENDING)
    if user.role == Role.BUREAU:
        return qs
    if user.role == Role.RECOMMENDER and user.recommender_id:
        return qs.filter(recommender_id=user.recommender_id)
    return qs.none()


def get_unit_for_review(user, pk) -> Unit:
    qs = Unit.objects.select_related("recommender")
    if user.role == Role.RECOMMENDER and user.recommender_id:
        qs = qs.filter(recommender_id=user.recommender_id)
    elif user.role != Role.BUREAU:
        raise NotFound()
    try:
        return qs.get(pk=pk)
    except (Unit.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


@transaction.atomic
def approve_unit(unit: Unit, *, by, approve: bool, reason: str = "", ip: str | None = None) -> Unit:
    """The recommender of the unit's region (or the bureau) approves or rejects a registration."""
    locked = Unit.objects.select_for_update().get(pk=unit.pk)
    if (by.role == Role.RECOMMENDER and by.recommender_id != locked.recommender_id) or by.role not in (
        Role.RECOMMENDER,
        Role.BUREAU,
    ):
        raise NotFound()
    if locked.status != UnitStatus.PENDING:
        raise Conflict(f"该单位已{locked.get_status_display()}，无需重复审核。", code="state")
    if not approve and not reason.strip():
        raise ValidationFailed("请填写不通过的理由。", field_errors={"reason": "请填写不通过的理由。"})
    locked.status = UnitStatus.APPROVED if approve else UnitStatus.REJECTED
    locked.status_reason = reason.strip()
    locked.reviewed_by = by
    locked.reviewed_at = clock.now()
    locked.save()
    audit.record(
        "unit.approve" if approve else "unit.reject", actor=by, obj=locked, ip=ip, detail={"reason": reason}
    )
    notify(
        list(locked.users.filter(is_active=True)),
        subject="单位注册审核" + ("通过" if approve else "未通过"),
        body=("您的单位注册已审核通过，可以提交申报。" if approve else f"理由：{reason}"),
        link="/",
    )
    return locked


def save_with_password(user: User, password: str, errors: dict[str, str], *, message: str) -> User:
    """Save a new account with the password its holder chose, once Django's validators accept it for
    this person; errors collected so far and a refused password raise ``ValidationFailed(message)``."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        errors["password"] = "；".join(exc.messages)
    if errors:
        raise ValidationFailed(message, field_errors=errors)
    user.set_password(password)
    user.password_changed_at = clock.now()
    user.save()
    return user


@transaction.atomic
def add_unit_user(*, by, username: str, name: str, mobile: str, email: str, password: str) -> User:
    """A unit administrator adds a filling user (填报人) to their own unit."""
    if by.role != Role.APPLICANT or not by.is_unit_admin:
        raise NotAllowed("只有单位管理员可以添加填报人。")
    errors = {}
    if not username or User.objects.filter(username__iexact=username).exists():
        errors["username"] = "该登录名已被使用。" if username else "此项为必填项。"
    try:
        mobile = validate_mobile(mobile)
    except ValidationError as exc:
        errors["mobile"] = exc.messages[0]
    user = User(
        username=username, name=name, mobile=mobile, email=email, role=Role.APPLICANT, unit_id=by.unit_id
    )
    save_with_password(user, password, errors, message="填报人信息有误。")
    audit.record("user.create", actor=by, obj=user, detail={"role": user.role, "unit": by.unit_id})
    return user


def uscc_overrides_for(user):
    """The recorded overrides, newest first; the bureau only (404 for anyone else)."""
    if user.role != Role.BUREAU:
        raise NotFound()
    return UsccOverride.objects.select_related("granted_by").order_by("-granted_at", "-pk")


@transaction.atomic
def override_uscc(*, code: str, unit_name: str, reason: str, by, ip: str | None = None) -> UsccOverride:
    """Accept one code that fails an overridable rule (a check character, or positions 1–8 of an early
    code); the bureau only, with a reason, always recorded. From then on the code is accepted wherever
    it is entered: unit registration, a member unit of an application, an expert's organisation."""
    if by.role != Role.BUREAU:
        raise NotAllowed("只有市科技局可以豁免信用代码校验。")
    normalized = uscc.normalize(code)
    errors: dict[str, str] = {}
    try:
        uscc.validate(normalized)
        errors["uscc"] = "该代码校验通过，无需豁免。"
    except uscc.UsccError as exc:
        if not exc.overridable:
            errors["uscc"] = exc.message + "此类错误不能豁免，请核对代码。"
    if not errors and uscc_overridden(normalized):
        errors["uscc"] = "该代码已豁免，无需重复办理。"
    unit_name = (unit_name or "").strip()
    reason = (reason or "").strip()
    if not unit_name:
        errors["unit_name"] = "请填写单位名称。"
    elif len(unit_name) > 200:  # UsccOverride.unit_name
        errors["unit_name"] = "单位名称不能超过200字。"
    if not reason:
        errors["reason"] = "请填写豁免理由（如核对营业执照或登记证书的情况）。"
    elif len(reason) > 300:  # UsccOverride.reason
        errors["reason"] = "豁免理由不能超过300字。"
    if errors:
        raise ValidationFailed("豁免信息有误，请按提示修改。", field_errors=errors)
    override = UsccOverride.objects.create(uscc=normalized, unit_name=unit_name, reason=reason, granted_by=by)
    Unit.objects.filter(uscc=normalized).update(uscc_override_reason=reason, uscc_override_by=by)
    audit.record(
        "unit.uscc_override",
        actor=by,
        obj=override,
        ip=ip,
        detail={"uscc": normalized, "unit_name": unit_name, "reason": reason},
    )
    return override


# --- Two-factor sign-in (STANDARDS A4) -------------------------------------------------------------


def user_requires_otp(user, *, confirmed: bool | None = None) -> bool:
    """True when signing in needs a one-time code: bureau staff, administrators and audit viewers
    always; anyone else once they have enrolled a device (``confirmed``, when the caller knows it)."""
    from sciplan.accounts.roles import TWO_FACTOR_REQUIRED_ROLES

    if not getattr(user, "is_authenticated", False):
        return False
    if user.role in TWO_FACTOR_REQUIRED_ROLES:
        return True
    return has_confirmed_device(user) if confirmed is None else confirmed


def has_confirmed_device(user) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def session_is_verified(user) -> bool:
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified()) if callable(is_verified) else False


def verify_otp(user, code: str, *, ip: str | None = None) -> bool:
    """Check a six-digit code against the user's confirmed TOTP devices (replay- and brute-force-safe:
    django-otp refuses a code used before and throttles repeated failures). Audited either way."""
    matched = matching_device(user, code)
    audit.record("auth.otp_verify", actor=user, ip=ip, outcome="ok" if matched else "failed", detail={})
    return matched is not None


def matching_device(user, code: str):
    """The confirmed device ``code`` verifies, or ``None`` (for the sign-in page, which marks the session)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    code = "".join((code or "").split())
    if not (code.isdigit() and len(code) == 6):
        return None
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        allowed, _ = device.verify_is_allowed()
        if allowed and device.verify_token(code):
            return device
    return None


def pending_device(user):
    """The user's unconfirmed device for enrolment, created on first visit with a fresh secret."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="身份验证器", confirmed=False)
    return device


@transaction.atomic
def confirm_device(user, device, code: str, *, ip: str | None = None) -> bool:
    code = "".join((code or "").split())
    ok = code.isdigit() and len(code) == 6 and device.verify_token(code)
    if ok:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    audit.record("auth.otp_enrol", actor=user, ip=ip, outcome="ok" if ok else "failed", obj=device)
    return bool(ok)


def password_expired(user) -> bool:
    """A password older than ``PASSWORD_CHANGE_DAYS`` (0 = never) must be changed (等保 periodic change)."""
    from datetime import timedelta

    from django.conf import settings

    days = getattr(settings, "PASSWORD_CHANGE_DAYS", 0)
    changed = getattr(user, "password_changed_at", None)
    if not days or changed is None:
        return False
    return clock.now() - changed > timedelta(days=days)


@transaction.atomic
def change_role(user: User, *, role: str, by, ip: str | None = None) -> User:
    """Change a user's role (system administrators only), audited (STANDARDS E22)."""
    if getattr(by, "role", None) != Role.ADMIN:
        raise NotAllowed("只有系统管理员可以调整用户角色。")
    if role not in Role.values:
        raise ValidationFailed("角色无效。", field_errors={"role": "请选择有效的角色。"})
    locked = User.objects.select_for_update().get(pk=user.pk)
    before = locked.role
    locked.role = role
    locked.save(update_fields=["role"])
    audit.record("user.role_change", actor=by, obj=locked, ip=ip, detail={"from": before, "to": role})
    return locked
