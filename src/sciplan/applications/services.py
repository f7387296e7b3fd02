"""Writes to applications. Plain functions: they take the acting user, never the request.

Saving is section by section with optimistic locking (see ``Application.field_versions``); submitting
freezes a version and goes through ``workflow.transition``; members confirm through one-time links.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, NoReturn

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from sciplan.accounts.roles import Role
from sciplan.accounts.services import clean_uscc
from sciplan.accounts.validators import validate_mobile
from sciplan.applications import budget, permissions
from sciplan.applications.models import (
    Application,
    ApplicationVersion,
    Attachment,
    AttachmentKind,
    BudgetYear,
    FinanceYear,
    Member,
    RdPlatform,
)
from sciplan.applications.sections import BY_CODE, CREDENTIALS, ENTERPRISE_TYPES
from sciplan.applications.snapshot import build_snapshot, content_hash
from sciplan.applications.workflow import EDITABLE, FINAL, Action, Status, check, refused, transition
from sciplan.calls.deadlines import ensure_open
from sciplan.calls.models import Call, Stage
from sciplan.core import audit, clock, filetypes, storage
from sciplan.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from sciplan.core.fieldchecks import clean_field

MOBILE_FIELDS = {"contact_mobile", "liaison_mobile"}
FINANCE_KEY = re.compile(r"^(revenue|rd)_(\d{4})$")


def _ensure_editable(application: Application, user) -> None:
    if not permissions.can_view(user, application):
        raise NotFound()
    if not permissions.can_edit(user, application):
        if application.status not in EDITABLE:
            raise Conflict(f"申报书当前状态为“{application.get_status_display()}”，不能修改。", code="state")
        raise NotAllowed("只有牵头单位的填报人可以修改申报书。")


# --- creating --------------------------------------------------------------------------------------


@transaction.atomic
def create_application(*, call: Call, by, ip: str | None = None) -> Application:
    """A new draft for the user's unit in ``call``; one non-final application per unit and call."""
    if by.role != Role.APPLICANT or not by.unit_id:
        raise NotAllowed("只有申报单位用户可以创建申报书。")
    ensure_open(call, Stage.APPLY, unit=by.unit)
    existing = (
        Application.objects.filter(call=call, lead_unit_id=by.unit_id).exclude(status__in=FINAL).first()
    )
    if existing is not None:
        raise Conflict("本单位在本批次已有申报书，请继续填写原申报书。", code="duplicate")
    unit = by.unit
    recommender = unit.recommender or call.recommenders.first()
    application = Application.objects.create(
        call=call,
        lead_unit=unit,
        recommender=recommender,
        created_by=by,
        lead_legal_rep=unit.legal_representative,
        contact_name=by.name,
        contact_mobile=by.mobile,
        contact_email=by.email,
    )
    FinanceYear.objects.bulk_create([FinanceYear(application=application, year=y) for y in call.rd_years])
    audit.record("application.create", actor=by, obj=application, ip=ip)
    return application


# --- saving a section -----------------------------------------------------------------------------


@dataclass
class SaveResult:
    application: Application
    saved: list[str]
    errors: dict[str, str]


def _without_unit(label: Any) -> str:
    return str(label).replace("（万元）", "")


def _clean_field(application: Application, name: str, raw: Any) -> Any:
    """Turn a submitted value into the model's value, or raise ValidationError with a Chinese message."""
    if name == "industry":
        if raw in (None, ""):
            return None
        industry = application.call.industries.filter(pk=raw).first()
        if industry is None:
            raise ValidationError("请选择本批次1+3+X产业目录中的产业。")
        return industry
    if name == "recommender":
        recommender = application.call.recommenders.filter(pk=raw).first()
        if recommender is None:
            raise ValidationError("请选择本批次的推荐单位。")
        return recommender
    if name == "lead_credentials":
        values = [v for v in (raw or []) if v]
        unknown = [v for v in values if v not in CREDENTIALS]
        if unknown:
            raise ValidationError(f"未知的企业资质：{'、'.join(unknown)}。")
        return values
    field = Application._meta.get_field(name)
    if isinstance(raw, str):
        raw = raw.strip()
    if raw in ("", None):
        return "" if field.get_internal_type() in {"CharField", "TextField", "EmailField"} else None
    if name in MOBILE_FIELDS:
        return validate_mobile(raw)
    if name == "lead_enterprise_type" and raw not in ENTERPRISE_TYPES:
        raise ValidationError("请从列表中选择企业性质。")
    if field.max_length and isinstance(raw, str) and len(raw) > field.max_length:
        raise ValidationError(f"不能超过{field.max_length}字，当前{len(raw)}字。")
    if name == "planned_investment":
        return budget.parse_amount(raw, field, label=_without_unit(field.verbose_name))
    return clean_field(field, raw, application)


@dataclass
class _Rows:
    """The per-year rows a section save may touch: finances by calendar year, budget by plan year."""

    finances: dict[int, FinanceYear]
    budget: dict[int, BudgetYear]


def _current(application: Application, name: str, rows: _Rows) -> Any:
    match = FINANCE_KEY.match(name)
    if match:
        row = rows.finances.get(int(match.group(2)))
        if row is None:
            return None
        return row.revenue if match.group(1) == "revenue" else row.rd_spending
    match = budget.KEY.match(name)
    if match:
        line = rows.budget.get(int(match.group(1)))
        return None if line is None else getattr(line, match.group(2))
    if name in ("industry", "recommender"):
        return getattr(application, name + "_id")
    return getattr(application, name)


def _comparable(value: Any) -> Any:
    return getattr(value, "pk", value)


def save_section(
    application: Application,
    section: str,
    data: dict[str, Any],
    *,
    base_version: int,
    by,
    partial_ok: bool = False,
) -> SaveResult:
    """Save the fields of one section that are present in ``data``.

    A field that someone else changed after ``base_version`` and that this save would change differently
    is a conflict: nothing is written and :class:`Conflict` carries the current values, so the caller can
    show both texts. With ``partial_ok`` the valid fields are saved and the invalid ones are reported
    (autosave); without it any invalid field refuses the whole save (the API's 422).
    """
    spec = BY_CODE.get(section)
    if spec is None:
        raise NotFound("没有这个栏目。")
    with transaction.atomic():
        locked = Application.objects.select_for_update().select_related("call").get(pk=application.pk)
        _ensure_editable(locked, by)
        rows = _Rows(
            finances={f.year: f for f in locked.finance_years.all()},
            budget={b.index: b for b in locked.budget_years.all()},
        )
        allowed = set(spec.fields)
        if section == "basic":
            allowed.add("recommender")
        if section == "lead":
            allowed |= {f"{kind}_{year}" for year in locked.call.rd_years for kind in ("revenue", "rd")}
        if section == "plan":
            allowed |= {budget.key(index, line) for index in budget.YEARS for line, _ in budget.LINES}
        years = budget.plan_years(locked.start_date, locked.call.year)
        cleaned: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for name, raw in data.items():
            if name not in allowed:
                continue  # mass assignment: status, version, recommender of another section… are ignored
            try:
                finance = FINANCE_KEY.match(name)
                if finance:
                    field = FinanceYear._meta.get_field(
                        "revenue" if finance.group(1) == "revenue" else "rd_spending"
                    )
                    label = f"{finance.group(2)}年{_without_unit(field.verbose_name)}"
                    cleaned[name] = budget.parse_amount(raw, field, label=label)
                elif cell := budget.KEY.match(name):
                    index, line = int(cell.group(1)), cell.group(2)
                    label = budget.cell_label(index, line, years)
                    cleaned[name] = budget.parse_amount(raw, BudgetYear._meta.get_field(line), label=label)
                else:
                    cleaned[name] = _clean_field(locked, name, raw)
            except ValidationError as exc:
                errors[name] = "；".join(exc.messages)
        start = cleaned.get("start_date", locked.start_date)
        end = cleaned.get("end_date", locked.end_date)
        if start and end and end <= start and "end_date" not in errors:
            errors["end_date"] = "建设期结束日期应晚于开始日期。"
            cleaned.pop("end_date", None)
        if errors and not partial_ok:
            raise ValidationFailed("部分内容填写有误，请按提示修改。", field_errors=errors)
        for name in errors:
            cleaned.pop(name, None)
        changed = [
            name
            for name, value in cleaned.items()
            if _comparable(value) != _comparable(_current(locked, name, rows))
        ]
        conflicts = [n for n in changed if locked.field_versions.get(n, 0) > base_version]
        if conflicts:
            current = {n: _plain(_current(locked, n, rows)) for n in conflicts}
            raise Conflict(
                "您编辑期间，同单位其他人员已修改并保存了以下内容。请对照两个版本后再保存。",
                current={"version": locked.version, "fields": current},
                code="stale",
            )
        if changed:
            new_version = locked.version + 1
            touched: dict[int, Any] = {}
            for name in changed:
                value = cleaned[name]
                match = FINANCE_KEY.match(name)
                budget_match = budget.KEY.match(name)
                if match:
                    year = int(match.group(2))
                    row = rows.finances.get(year) or FinanceYear.objects.create(application=locked, year=year)
                    setattr(row, "revenue" if match.group(1) == "revenue" else "rd_spending", value)
                    row.save()
                elif budget_match:
                    index = int(budget_match.group(1))
                    line = rows.budget.get(index)
                    if line is None:
                        line = rows.budget[index] = BudgetYear(application=locked, index=index)
                    setattr(line, budget_match.group(2), value)
                    touched[id(line)] = line
                else:
                    setattr(locked, name, value)
                locked.field_versions[name] = new_version
            for line in touched.values():
                line.save()
            locked.version = new_version
            locked.save()
        return SaveResult(application=locked, saved=changed, errors=errors)


def _plain(value: Any) -> Any:
    value = _comparable(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is None:
        return ""
    return str(value) if not isinstance(value, list | int) else value


# --- members -----------------------------------------------------------------------------------------

MEMBER_FIELDS = (
    "name",
    "uscc",
    "category",
    "in_yueyang",
    "role",
    "agreement_signed_on",
    "agreement_years",
    "cooperation_started_on",
    "cooperation_results",
    "contact_name",
    "contact_mobile",
    "contact_email",
)
# Changing any of these after a member confirmed asks it to confirm again: it confirmed what it saw.
MEMBER_CONFIRMED_FIELDS = frozenset(
    {"name", "uscc", "category", "role", "agreement_signed_on", "agreement_years", "cooperation_started_on"}
)


def _clean_member(data: dict[str, Any], *, partial: bool, instance: Member | None) -> tuple[dict, dict]:
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in MEMBER_FIELDS:
        if name not in data:
            if not partial and name in {"name", "uscc", "category", "role"}:
                errors[name] = f"请填写{Member._meta.get_field(name).verbose_name}。"
            continue
        raw = data[name]
        field = Member._meta.get_field(name)
        try:
            if isinstance(raw, str):
                raw = raw.strip()
            if name == "uscc":
                cleaned[name] = clean_uscc(raw or "")
            elif name == "contact_mobile" and raw:
                cleaned[name] = validate_mobile(raw)
            elif name == "in_yueyang":
                cleaned[name] = raw in (True, "true", "1", "on", 1)
            elif raw in ("", None):
                if name in {"name", "category", "role"}:
                    raise ValidationError(f"请填写{field.verbose_name}。")
                cleaned[name] = (
                    "" if field.get_internal_type() in {"CharField", "TextField", "EmailField"} else None
                )
            else:
                if field.max_length and isinstance(raw, str) and len(raw) > field.max_length:
                    raise ValidationError(f"不能超过{field.max_length}字，当前{len(raw)}字。")
                cleaned[name] = clean_field(field, raw, instance)
        except ValidationError as exc:
            errors[name] = "；".join(exc.messages)
    years = cleaned.get("agreement_years")
    if years is not None and not 1 <= years <= 50:
        errors["agreement_years"] = "协议期限应在1至50年之间。"
    return cleaned, errors


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(24)
    return token, hashlib.sha256(token.encode()).hexdigest()


@dataclass
class MemberResult:
    member: Member
    confirm_token: str | None  # the raw one-time token, only when a new link was issued


@transaction.atomic
def add_member(application: Application, data: dict[str, Any], *, by, ip: str | None = None) -> MemberResult:
    locked = Application.objects.select_for_update().get(pk=application.pk)
    _ensure_editable(locked, by)
    cleaned, errors = _clean_member(data, partial=False, instance=None)
    if cleaned.get("uscc") and cleaned["uscc"] == locked.lead_unit.uscc:
        errors["uscc"] = "牵头单位不能同时作为成员单位。"
    if cleaned.get("uscc") and locked.members.filter(uscc=cleaned["uscc"]).exists():
        errors["uscc"] = "该成员单位已添加。"
    if errors:
        raise ValidationFailed("成员单位信息有误，请按提示修改。", field_errors=errors)
    token, token_hash = _new_token()
    order = locked.members.count() + 1
    member = Member.objects.create(application=locked, order=order, confirm_token_hash=token_hash, **cleaned)
    _bump(locked)
    audit.record("member.create", actor=by, obj=member, ip=ip, detail={"application": locked.pk})
    return MemberResult(member, token)


@transaction.atomic
def update_member(
    member: Member, data: dict[str, Any], *, base_version: int, by, ip: str | None = None
) -> MemberResult:
    locked = Member.objects.select_for_update().select_related("application__lead_unit").get(pk=member.pk)
    _ensure_editable(locked.application, by)
    if locked.version != base_version:
        raise Conflict(
            "该成员单位已被他人修改，请刷新后再编辑。",
            current={
                "version": locked.version,
                "fields": {n: _plain(getattr(locked, n)) for n in MEMBER_FIELDS},
            },
            code="stale",
        )
    cleaned, errors = _clean_member(data, partial=True, instance=locked)
    if cleaned.get("uscc") and cleaned["uscc"] == locked.application.lead_unit.uscc:
        errors["uscc"] = "牵头单位不能同时作为成员单位。"
    if (
        cleaned.get("uscc")
        and locked.application.members.filter(uscc=cleaned["uscc"]).exclude(pk=locked.pk).exists()
    ):
        errors["uscc"] = "该成员单位已添加。"
    if errors:
        raise ValidationFailed("成员单位信息有误，请按提示修改。", field_errors=errors)
    changed = {n for n, v in cleaned.items() if v != getattr(locked, n)}
    token = None
    for name in changed:
        setattr(locked, name, cleaned[name])
    if changed & MEMBER_CONFIRMED_FIELDS and locked.confirmed_at is not None:
        token, locked.confirm_token_hash = _new_token()
        locked.confirmed_at = None
        locked.confirmed_by_name = ""
    if changed:
        locked.version += 1
        locked.save()
        _bump(locked.application)
        audit.record(
            "member.update",
            actor=by,
            obj=locked,
            ip=ip,
            detail={"application": locked.application_id, "fields": sorted(changed)},
        )
    return MemberResult(locked, token)


@transaction.atomic
def reissue_member_link(member: Member, *, by, ip: str | None = None) -> str:
    locked = Member.objects.select_for_update().select_related("application").get(pk=member.pk)
    _ensure_editable(locked.application, by)
    token, locked.confirm_token_hash = _new_token()
    locked.save(update_fields=["confirm_token_hash"])
    audit.record("member.link_reissued", actor=by, obj=locked, ip=ip)
    return token


@transaction.atomic
def delete_member(member: Member, *, by, ip: str | None = None) -> None:
    locked = Member.objects.select_for_update().select_related("application").get(pk=member.pk)
    _ensure_editable(locked.application, by)
    for attachment in locked.attachments.all():
        _remove_attachment(attachment)
    audit.record("member.delete", actor=by, obj=locked, ip=ip, detail={"name": locked.name})
    locked.delete()
    _bump(locked.application)


def member_for_token(token: str) -> Member:
    token_hash = hashlib.sha256((token or "").encode()).hexdigest()
    member = (
        Member.objects.select_related("application__lead_unit", "application__call")
        .filter(confirm_token_hash=token_hash)
        .first()
    )
    if member is None or not token:
        raise NotFound("确认链接无效或已失效，请向牵头单位索取新的链接。")
    return member


@transaction.atomic
def confirm_member(token: str, *, confirmer_name: str, ip: str | None = None) -> Member:
    """The member unit confirms its participation through its one-time link."""
    member = member_for_token(token)
    locked = Member.objects.select_for_update().get(pk=member.pk)
    name = (confirmer_name or "").strip()
    if not 2 <= len(name) <= 50:
        raise ValidationFailed(
            "请填写确认人姓名。", field_errors={"confirmer_name": "请填写确认人姓名（2至50字）。"}
        )
    if locked.application.status not in EDITABLE:
        raise Conflict("该申报书已提交，无需再确认。", code="state")
    locked.confirmed_at = clock.now()
    locked.confirmed_by_name = name
    locked.confirm_token_hash = ""  # one-time: the link is spent
    locked.save(update_fields=["confirmed_at", "confirmed_by_name", "confirm_token_hash"])
    audit.record(
        "member.confirm", obj=locked, ip=ip, detail={"application": locked.application_id, "by": name}
    )
    return locked


# --- platforms ----------------------------------------------------------------------------------------


def _clean_platform(data: dict[str, Any], instance: RdPlatform | None) -> dict[str, Any]:
    cleaned, errors = {}, {}
    for name in ("name", "level", "authority", "year"):
        if name not in data and instance is not None:
            continue
        field = RdPlatform._meta.get_field(name)
        raw = data.get(name)
        try:
            if raw in ("", None):
                raise ValidationError(f"请填写{field.verbose_name}。")
            cleaned[name] = clean_field(field, raw.strip() if isinstance(raw, str) else raw, instance)
        except ValidationError as exc:
            errors[name] = "；".join(exc.messages)
    year = cleaned.get("year")
    if year is not None and not 1949 <= year <= clock.local(clock.now()).year:
        errors["year"] = "认定年度不正确。"
    if errors:
        raise ValidationFailed("研发平台信息有误，请按提示修改。", field_errors=errors)
    return cleaned


@transaction.atomic
def add_platform(application: Application, data: dict[str, Any], *, by) -> RdPlatform:
    locked = Application.objects.select_for_update().get(pk=application.pk)
    _ensure_editable(locked, by)
    platform = RdPlatform.objects.create(application=locked, **_clean_platform(data, None))
    _bump(locked)
    return platform


@transaction.atomic
def update_platform(platform: RdPlatform, data: dict[str, Any], *, base_version: int, by) -> RdPlatform:
    locked = RdPlatform.objects.select_for_update().select_related("application").get(pk=platform.pk)
    _ensure_editable(locked.application, by)
    if locked.version != base_version:
        raise Conflict("该研发平台已被他人修改，请刷新后再编辑。", code="stale")
    for name, value in _clean_platform(data, locked).items():
        setattr(locked, name, value)
    locked.version += 1
    locked.save()
    _bump(locked.application)
    return locked


@transaction.atomic
def delete_platform(platform: RdPlatform, *, by) -> None:
    locked = RdPlatform.objects.select_for_update().select_related("application").get(pk=platform.pk)
    _ensure_editable(locked.application, by)
    for attachment in locked.attachments.all():
        _remove_attachment(attachment)
    locked.delete()
    _bump(locked.application)


def _bump(application: Application) -> None:
    """Record that the application changed (members, platforms, files) without touching field versions."""
    Application.objects.filter(pk=application.pk).update(updated_at=clock.now())


# --- attachments --------------------------------------------------------------------------------------

ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    AttachmentKind.AGREEMENT: ("pdf", "jpeg", "png"),
    AttachmentKind.PLATFORM_CERTIFICATE: ("pdf", "jpeg", "png"),
    AttachmentKind.FINANCIAL_EVIDENCE: ("pdf", "jpeg", "png"),
    AttachmentKind.CHARTER: ("pdf", "docx", "jpeg", "png"),
    AttachmentKind.COMMITMENT: ("pdf", "jpeg", "png"),
    AttachmentKind.SIGNED_APPLICATION: ("pdf", "jpeg", "png"),
    AttachmentKind.OTHER: ("pdf", "docx", "xlsx", "jpeg", "png"),
}


def upload_attachment(
    application: Application,
    *,
    kind: str,
    fileobj: IO[bytes],
    filename: str,
    by,
    member_id: int | None = None,
    platform_id: int | None = None,
    ip: str | None = None,
) -> Attachment:
    """Check the file by its content, store it under a generated key, record its SHA-256.

    The file is written inside ``storage.files_with_rows()``: a failure at any step — the row, the audit
    record, the version bump or the commit — removes it again, so no outcome leaves a file without a
    row (STANDARDS F28). Uploads are not deadline-gated: only submit is.
    """
    if kind not in AttachmentKind.values:
        raise ValidationFailed("请选择附件类型。", field_errors={"kind": "请选择附件类型。"})
    size = fileobj.seek(0, 2)
    fileobj.seek(0)
    if size == 0:
        raise ValidationFailed("文件为空。", field_errors={"file": "文件为空，请重新选择。"})
    limit = settings.UPLOAD_MAX_BYTES
    if size > limit:
        message = f"文件大小为{size / 1048576:.1f}MB，超过{limit // 1048576}MB的限制。"
        raise ValidationFailed(message, field_errors={"file": message})
    allowed = ALLOWED_TYPES[AttachmentKind(kind)]
    try:
        detected = filetypes.sniff(fileobj, accept=allowed)
    except filetypes.FileTypeError as exc:
        _refuse_file(application, by=by, ip=ip, kind=kind, filename=filename, message=str(exc))
    if detected not in allowed:
        message = f"“{AttachmentKind(kind).label}”只接受{filetypes.describe(allowed)}文件；所选文件的内容不是这些格式。"
        _refuse_file(
            application, by=by, ip=ip, kind=kind, filename=filename, message=message, detected=detected
        )
    with storage.files_with_rows():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        _ensure_editable(locked, by)
        if (
            locked.attachments.filter(removed_at__isnull=True).count()
            >= settings.UPLOAD_MAX_FILES_PER_APPLICATION
        ):
            raise ValidationFailed(
                "附件数量已达上限。", field_errors={"file": "附件数量已达上限，请删除不需要的附件。"}
            )
        member = locked.members.filter(pk=member_id).first() if member_id else None
        platform = locked.platforms.filter(pk=platform_id).first() if platform_id else None
        if (member_id and member is None) or (platform_id and platform is None):
            raise NotFound()
        if kind == AttachmentKind.AGREEMENT and member is None:
            raise ValidationFailed(
                "合作协议须对应一家成员单位。", field_errors={"member": "请选择成员单位。"}
            )
        if kind == AttachmentKind.PLATFORM_CERTIFICATE and platform is None:
            raise ValidationFailed(
                "平台证书须对应一个研发平台。", field_errors={"platform": "请选择研发平台。"}
            )
        stored = storage.store_upload(
            fileobj, filename=filename, kind=detected, prefix=f"applications/{locked.pk}", by=by
        )
        attachment = Attachment.objects.create(
            application=locked, member=member, platform=platform, kind=kind, **stored
        )
        audit.record(
            "attachment.upload",
            actor=by,
            obj=attachment,
            ip=ip,
            detail={"application": locked.pk, "sha256": stored["sha256"]},
        )
        _bump(locked)
    return attachment


def _refuse_file(
    application, *, by, ip: str | None, kind: str, filename: str, message: str, detected=None
) -> NoReturn:
    """A file refused by its content is audited with the name it was offered as (STANDARDS D18, E22)."""
    audit.record(
        "attachment.refused",
        actor=by,
        obj=application,
        ip=ip,
        outcome="refused",
        detail={
            "name": storage.clean_filename(filename),
            "kind": kind,
            "content": detected or "",
            "reason": message,
        },
    )
    raise ValidationFailed(message, field_errors={"file": message})


def _remove_attachment(attachment: Attachment) -> None:
    if attachment.in_submitted_version:
        attachment.removed_at = clock.now()
        attachment.save(update_fields=["removed_at"])
    else:
        key = attachment.storage_key
        attachment.delete()
        # robust: the row is gone for good; an object store that fails the delete leaves an unnamed
        # file (logged), not an error page for a deletion that has happened.
        transaction.on_commit(lambda: storage.delete_private(key), robust=True)


@transaction.atomic
def delete_attachment(attachment: Attachment, *, by, ip: str | None = None) -> None:
    locked = Attachment.objects.select_for_update().select_related("application").get(pk=attachment.pk)
    _ensure_editable(locked.application, by)
    audit.record("attachment.delete", actor=by, obj=locked, ip=ip, detail={"name": locked.original_name})
    _remove_attachment(locked)
    _bump(locked.application)


# --- submitting -----------------------------------------------------------------------------------------


def receipt_number(application: Application, number: int) -> str:
    return f"YYCX{application.call.year}{application.pk:06d}-{number:02d}"


# Work that follows every new submitted version, registered by the app that owns it (the documents app
# queues the version's documents). Called inside the submission's transaction, so it is rolled back
# with it; a repeated submission that returns the existing version calls nothing.
_AFTER_SUBMIT: list[Callable[[ApplicationVersion], object]] = []


def register_after_submit(hook: Callable[[ApplicationVersion], object]) -> None:
    if hook not in _AFTER_SUBMIT:
        _AFTER_SUBMIT.append(hook)


def submit_application(
    application: Application,
    *,
    by,
    idempotency_key: str | None = None,
    ip: str | None = None,
    at: datetime | None = None,
) -> ApplicationVersion:
    """Freeze a version and submit. Idempotent: a repeat answers with the same version and receipt.

    The server clock is read once, on arrival, before any lock is waited for: a request received at
    17:59:59.999 is on time even if another request held the row for a moment (STANDARDS G32).
    """
    moment = at or clock.now()
    with transaction.atomic():
        locked = (
            Application.objects.select_for_update(of=("self",))
            .select_related("call", "recommender", "lead_unit", "industry")
            .get(pk=application.pk)
        )
        if not permissions.can_view(by, locked):
            raise NotFound()
        latest = locked.versions.order_by("-number").first()
        repeated = idempotency_key and locked.events.filter(idempotency_key=idempotency_key).exists()
        last_event = locked.events.order_by("-at", "-id").first()
        may_submit = by.role == Role.APPLICANT and permissions.relates_to(by, locked)
        if (
            latest
            and may_submit
            and (
                repeated
                or (locked.status == Status.SUBMITTED and last_event and last_event.action == Action.SUBMIT)
            )
        ):
            return latest
        action = Action.SUBMIT_CORRECTION if locked.status == Status.CORRECTION else Action.SUBMIT
        refusal = check(locked, action, by=by, at=moment)
        if refusal is None:
            version = _freeze_and_submit(
                locked, action, latest, by=by, idempotency_key=idempotency_key, at=moment, ip=ip
            )
    if refusal is not None:
        # Nothing was written: the refusal is audited after the transaction, so its record is kept.
        raise refused(locked, action, refusal, by=by, ip=ip)
    return version


def _freeze_and_submit(
    locked: Application, action: str, latest, *, by, idempotency_key: str | None, at: datetime, ip
) -> ApplicationVersion:
    """Freeze the next version of a locked application and transition it (inside the caller's lock)."""
    number = (latest.number if latest else 0) + 1
    snapshot = build_snapshot(locked)
    snapshot["version"] = number
    snapshot["submitted_at"] = at.isoformat()
    version = ApplicationVersion.objects.create(
        application=locked,
        number=number,
        snapshot=snapshot,
        content_hash=content_hash(snapshot),
        receipt_no=receipt_number(locked, number),
        submitted_at=at,
        submitted_by=by,
    )
    locked.attachments.filter(removed_at__isnull=True).update(in_submitted_version=True)
    transition(locked, action, by=by, idempotency_key=idempotency_key, version_number=number, at=at, ip=ip)
    for hook in _AFTER_SUBMIT:
        hook(version)
    return version


def withdraw_application(
    application: Application, *, by, reason: str = "", ip: str | None = None
) -> Application:
    return transition(application, Action.WITHDRAW, by=by, reason=reason, ip=ip)
