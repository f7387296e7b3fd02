"""Writes: the proposed list, public notices, objections, recognition, calendar overrides.

Plain functions taking the acting user (``by=``); application states change only through
``workflow.transition``. Each raises a ``core.errors.DomainError`` with a Chinese message.
"""

from __future__ import annotations

import re
import secrets
from datetime import date, time, timedelta
from typing import IO, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from sciplan.accounts.models import User
from sciplan.accounts.roles import Role
from sciplan.accounts.services import clean_uscc
from sciplan.accounts.validators import validate_mobile
from sciplan.applications.models import Application
from sciplan.applications.workflow import Action, Status, refuse_early, transition
from sciplan.calls.models import Call
from sciplan.core import audit, authority, clock, filetypes, storage
from sciplan.core.errors import Conflict, DeadlinePassed, DomainError, NotAllowed, NotFound, ValidationFailed
from sciplan.core.notifications import notify
from sciplan.recognition import calendar
from sciplan.recognition.models import (
    Decision,
    NoticeEntry,
    NoticeKind,
    Objection,
    ObjectionOutcome,
    ObjectorKind,
    PublicNotice,
    Recognition,
    StoredFile,
    WorkdayOverride,
    WorkdayYear,
)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# A public form: one source may file this many objections to one notice per hour (flooding the bureau
# with copies is not an objection). Genuine objectors rarely file more than one or two.
OBJECTIONS_PER_SOURCE_PER_HOUR = 5


class TooManyObjections(DomainError):
    status = 429
    code = "rate_limited"


ALLOWED_KINDS = ("pdf", "jpeg", "png", "docx", "xlsx")


def _require(user, *roles: str) -> None:
    if getattr(user, "role", None) not in roles:
        raise NotAllowed("您的角色不能执行此操作。")


def _required_text(data: dict, fields: dict[str, str]) -> dict[str, str]:
    return {f: f"请填写{label}。" for f, label in fields.items() if not str(data.get(f) or "").strip()}


def _parse_date(value: Any, field: str, label: str, errors: dict[str, str]) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        errors[field] = f"请填写{label}（格式：2024-09-27）。"
        return None


def store_upload(fileobj: IO[bytes], *, name: str, by, field: str, prefix: str) -> StoredFile:
    """Check a file by its content and keep it privately. The row is written after the file, and the
    file is removed again unless the surrounding ``storage.files_with_rows()`` block commits the row
    (STANDARDS F28)."""
    size = getattr(fileobj, "size", None)
    if size is None:
        fileobj.seek(0, 2)
        size = fileobj.tell()
        fileobj.seek(0)
    if size == 0:
        raise ValidationFailed("文件为空。", field_errors={field: "文件为空，请重新选择。"})
    if size > MAX_UPLOAD_BYTES:
        raise ValidationFailed("文件过大。", field_errors={field: "文件不能超过20MB。"})
    try:
        kind = filetypes.sniff(fileobj, accept=ALLOWED_KINDS)
    except filetypes.FileTypeError as exc:
        raise ValidationFailed(str(exc), field_errors={field: str(exc)}) from None
    if kind not in ALLOWED_KINDS:
        message = f"文件内容不是允许的格式（{filetypes.describe(ALLOWED_KINDS)}）。"
        raise ValidationFailed(message, field_errors={field: message})
    return StoredFile.objects.create(
        **storage.store_upload(fileobj, filename=name, kind=kind, prefix=prefix, by=by)
    )


# ---------------------------------------------------------------- calendar


def set_workday_override(*, day: date, is_workday: bool, note: str, by) -> WorkdayOverride:
    _require(by, Role.BUREAU, Role.ADMIN)
    override, _ = WorkdayOverride.objects.update_or_create(
        date=day, defaults={"is_workday": is_workday, "note": note.strip()[:200], "updated_by": by}
    )
    audit.record(
        "calendar.override", actor=by, obj=override, detail={"date": day.isoformat(), "workday": is_workday}
    )
    return override


def delete_workday_override(override: WorkdayOverride, *, by) -> None:
    _require(by, Role.BUREAU, Role.ADMIN)
    audit.record("calendar.override_deleted", actor=by, obj=override, detail={"date": str(override.date)})
    override.delete()


CALENDAR_ROLES = (Role.ADMIN, Role.BUREAU)


def _parse_days(values: Any, year: int, field: str, errors: dict[str, str]) -> list[date]:
    """Dates of ``year`` from a list or a text of ISO dates separated by commas, spaces or new lines."""
    items = re.split(r"[\s,，、;；]+", values) if isinstance(values, str) else list(values or [])
    days = set()
    for item in items:
        if not str(item).strip():
            continue
        try:
            day = item if isinstance(item, date) else date.fromisoformat(str(item).strip())
        except ValueError:
            errors[field] = f"“{item}”不是有效日期，请按2027-02-05的格式填写。"
            return []
        if day.year != year:
            errors[field] = f"{day.isoformat()}不属于{year}年。"
            return []
        days.add(day)
    return sorted(days)


def confirm_workday_year(
    year: int, *, holidays: Any, workdays: Any, source: str = "", by, ip: str | None = None
) -> WorkdayYear:
    """Enter or confirm ``year``'s holiday arrangement. From then on it, not the package, counts notices
    in that year. Audited with the old and the new arrangement; never deleted."""
    _require(by, *CALENDAR_ROLES)
    errors: dict[str, str] = {}
    if not 2000 <= int(year) <= 2100:
        raise ValidationFailed("年度有误。", field_errors={"year": "年度应在2000至2100之间。"})
    off = _parse_days(holidays, year, "holidays", errors)
    worked = _parse_days(workdays, year, "workdays", errors)
    weekend_off = [d.isoformat() for d in off if d.weekday() >= 5]
    if weekend_off and "holidays" not in errors:
        errors["holidays"] = f"{'、'.join(weekend_off)}是周末，本就休息，无需列为放假日期。"
    weekday_worked = [d.isoformat() for d in worked if d.weekday() < 5]
    if weekday_worked and "workdays" not in errors:
        errors["workdays"] = f"{'、'.join(weekday_worked)}不是周末；调休上班日应为周六或周日。"
    if not off and "holidays" not in errors:
        errors["holidays"] = "请填写该年度的放假日期（国务院办公厅通知中工作日放假的日期）。"
    if errors:
        raise ValidationFailed("请检查标注的内容。", field_errors=errors)
    with transaction.atomic():
        entry = WorkdayYear.objects.select_for_update().filter(year=year).first()
        old = (
            {"holidays": entry.holidays, "workdays": entry.workdays, "source": entry.source}
            if entry
            else None
        )
        new = {
            "holidays": [d.isoformat() for d in off],
            "workdays": [d.isoformat() for d in worked],
            "source": (source or "").strip()[:200],
        }
        if entry is None:
            entry = WorkdayYear.objects.create(year=year, confirmed_by=by, **new)
        else:
            for name, value in new.items():
                setattr(entry, name, value)
            entry.confirmed_by = by
            entry.save()
        audit.record(
            "calendar.year_confirmed",
            actor=by,
            obj=entry,
            ip=ip,
            detail={"year": year, "old": old, "new": new},
        )
    return entry


# ---------------------------------------------------------------- proposed list


def propose(
    call: Call,
    *,
    application_ids: list[int],
    meeting_date: Any,
    attendees: str,
    minutes: str = "",
    minutes_file: IO[bytes] | None = None,
    minutes_file_name: str = "",
    by,
    ip: str | None = None,
) -> Decision:
    """Record the decision meeting and put the selected applications on the proposed list."""
    _require(by, Role.BUREAU)
    errors = _required_text({"attendees": attendees}, {"attendees": "参会人员"})
    meeting = _parse_date(meeting_date, "meeting_date", "会议日期", errors)
    if meeting and meeting > clock.local(clock.now()).date():
        errors["meeting_date"] = "会议日期不能晚于今天。"
    if not (minutes or "").strip() and minutes_file is None:
        errors["minutes"] = "请填写会议纪要或上传纪要附件。"
    ids = sorted({int(i) for i in application_ids if str(i).isdigit()})
    if not ids:
        errors["applications"] = "请至少选择一个拟认定的联合体。"
    if errors:
        raise ValidationFailed("请检查标注的内容。", field_errors=errors)
    applications = list(Application.objects.filter(call=call, pk__in=ids))
    if len(applications) != len(ids):
        raise ValidationFailed(
            "所选申报不属于本批次。", field_errors={"applications": "所选申报不属于本批次。"}
        )
    stored: list[StoredFile] = []
    with storage.files_with_rows():
        if minutes_file is not None:
            stored.append(
                store_upload(
                    minutes_file, name=minutes_file_name, by=by, field="minutes_file", prefix="decisions"
                )
            )
        decision = Decision.objects.create(
            call=call,
            meeting_date=meeting,
            attendees=attendees.strip(),
            minutes=(minutes or "").strip(),
            minutes_file=stored[0] if stored else None,
            created_by=by,
        )
        for application in applications:
            transition(application, Action.PROPOSE, by=by, ip=ip)
        decision.applications.set(applications)
        audit.record("recognition.proposed", actor=by, obj=decision, ip=ip, detail={"applications": ids})
    return decision


# ---------------------------------------------------------------- public notice


def publish_notice(
    call: Call,
    *,
    starts_on: Any,
    working_days: int | None = None,
    end_time: time | str | None = None,
    body: str = "",
    by,
    ip: str | None = None,
) -> PublicNotice:
    """Publish the proposed list of ``call``: every proposed application goes into public notice."""
    _require(by, Role.BUREAU)
    errors: dict[str, str] = {}
    start = _parse_date(starts_on, "starts_on", "公示开始日期", errors)
    days = working_days or call.public_notice_days
    try:
        days = int(days)
        if not 1 <= days <= 30:
            raise ValueError
    except (TypeError, ValueError):
        errors["working_days"] = "公示期应为1至30个工作日。"
    ends = _parse_time(end_time, errors)
    if start and start < clock.local(clock.now()).date():
        errors["starts_on"] = "公示开始日期不能早于今天。"
    if errors:
        raise ValidationFailed("请检查标注的内容。", field_errors=errors)
    calendar.require_confirmed(start, days)
    with transaction.atomic():
        applications = list(
            Application.objects.select_for_update(of=("self",))
            .filter(call=call, status=Status.PROPOSED)
            .order_by("pk")
        )
        if not applications:
            raise Conflict("本批次没有拟认定的联合体，无法发布公示。", code="state")
        decision = Decision.objects.filter(call=call).order_by("-created_at", "-id").first()
        notice = PublicNotice.objects.create(
            kind=NoticeKind.RECOGNITION,
            call=call,
            year=call.year,
            title=f"{call.year}年度{authority.current().city}创新联合体拟认定名单公示",
            body=body.strip(),
            starts_on=start,
            working_days=days,
            ends_at=calendar.notice_end(start, days, ends),
            decision=decision,
            created_by=by,
        )
        NoticeEntry.objects.bulk_create(
            [NoticeEntry(notice=notice, application=a, order=i) for i, a in enumerate(applications, 1)]
        )
        for application in applications:
            transition(application, Action.PUBLISH, by=by, ip=ip)
        audit.record(
            "recognition.notice_published",
            actor=by,
            obj=notice,
            ip=ip,
            detail={"ends_at": notice.ends_at.isoformat(), "applications": [a.pk for a in applications]},
        )
    return notice


def _parse_time(value: time | str | None, errors: dict[str, str]) -> time | None:
    if value in (None, ""):
        return None
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value).strip())
    except ValueError:
        errors["end_time"] = "请填写截止时刻（格式：18:00）。"
        return None


# ---------------------------------------------------------------- objections


def objection_status(receipt_no: str, contact: str) -> Objection:
    """The objection a member of the public filed, found by its 受理编号 together with the mobile number
    it was filed with (a unit: its 统一社会信用代码). Either wrong: ``NotFound``, the same answer for an
    unknown number and a wrong contact, so the lookup cannot be used to test receipt numbers."""
    receipt = str(receipt_no or "").strip().upper()
    given = re.sub(r"[\s-]", "", str(contact or "")).upper().removeprefix("+86")
    if not receipt or not given:
        raise NotFound()
    item = Objection.objects.select_related("application").filter(receipt_no=receipt).first()
    if item is None:
        raise NotFound()
    expected = item.objector_mobile if item.objector_kind == ObjectorKind.PERSON else item.unit_uscc
    if not expected or not secrets.compare_digest(expected.upper(), given):
        raise NotFound()
    return item


def file_objection(
    notice: PublicNotice, data: dict[str, Any], *, idempotency_key: str = "", ip: str | None = None
) -> Objection:
    """File a public objection. Anonymous, malformed or late objections are refused, with the message for
    the field; the notice's end is judged by the server clock read once, to the second.

    ``idempotency_key`` is the form's token: sending the same form again (a retry, a double click, a
    reload of the answer) returns the objection it filed the first time, and files nothing new."""
    key = str(idempotency_key or "").strip()[:64]
    if key:
        earlier = Objection.objects.filter(notice=notice, idempotency_key=key).first()
        if earlier is not None:
            return earlier
    moment = clock.now()
    errors: dict[str, str] = {}
    kind = str(data.get("objector_kind") or "")
    fields: dict[str, str] = {}
    if kind == ObjectorKind.PERSON:
        fields["objector_name"] = str(data.get("objector_name") or "").strip()
        if len(fields["objector_name"]) < 2:
            errors["objector_name"] = "请填写真实姓名，匿名异议不予受理。"
        try:
            fields["objector_mobile"] = validate_mobile(str(data.get("objector_mobile") or ""))
        except DjangoValidationError as exc:
            errors["objector_mobile"] = exc.messages[0]
    elif kind == ObjectorKind.UNIT:
        fields["unit_name"] = str(data.get("unit_name") or "").strip()
        fields["contact_name"] = str(data.get("contact_name") or "").strip()[:50]
        if len(fields["unit_name"]) < 4:
            errors["unit_name"] = "请填写单位全称，匿名异议不予受理。"
        try:
            fields["unit_uscc"] = clean_uscc(str(data.get("unit_uscc") or ""))
        except DjangoValidationError as exc:
            errors["unit_uscc"] = exc.messages[0]
    else:
        errors["objector_kind"] = "请选择以个人实名或以单位名义提出异议，匿名异议不予受理。"
    content = str(data.get("content") or "").strip()
    if len(content) < 10:
        errors["content"] = "请写明异议的事实和理由（不少于10个字）。"
    elif len(content) > 3000:
        errors["content"] = "异议内容不能超过3000字。"
    application_id = str(data.get("application") or "")
    entry = (
        notice.entries.select_related("application").filter(application_id=application_id).first()
        if application_id.isdigit()
        else None
    )
    if entry is None:
        errors["application"] = "请选择异议所针对的联合体。"
    if moment >= notice.ends_at:
        raise DeadlinePassed(
            f"公示已于{clock.fmt(notice.ends_at)}结束，服务器时间为{clock.fmt(moment)}，逾期异议不予受理。",
            field_errors={"content": f"公示已于{clock.fmt(notice.ends_at)}结束，逾期异议不予受理。"},
        )
    if clock.local(moment).date() < notice.starts_on:
        raise DeadlinePassed("公示尚未开始，暂不受理异议。", field_errors={"content": "公示尚未开始。"})
    if errors:
        raise ValidationFailed("请检查标注的内容。", field_errors=errors)
    if ip and (
        Objection.objects.filter(notice=notice, ip=ip, submitted_at__gt=moment - timedelta(hours=1)).count()
        >= OBJECTIONS_PER_SOURCE_PER_HOUR
    ):
        message = "同一来源提交异议过于频繁，请一小时后再试，或直接联系市科技局基础研究科。"
        raise TooManyObjections(message, field_errors={"content": message})
    try:
        with transaction.atomic():
            objection = Objection.objects.create(
                notice=notice,
                application=entry.application,
                objector_kind=kind,
                content=content,
                submitted_at=moment,
                receipt_no=f"YY{clock.local(moment):%Y%m%d}{secrets.token_hex(4).upper()}",
                ip=ip,
                idempotency_key=key,
                **fields,
            )
    except IntegrityError:
        # The same form sent twice at once: the other request filed it.
        earlier = Objection.objects.filter(notice=notice, idempotency_key=key).first() if key else None
        if earlier is None:
            raise
        return earlier
    audit.record(
        "recognition.objection_filed",
        obj=objection,
        ip=ip,
        detail={"notice": notice.pk, "application": entry.application_id, "kind": kind},
    )
    bureau = User.objects.filter(role=Role.BUREAU, is_active=True)
    notify(
        bureau,
        subject=f"收到公示异议：{entry.application.consortium_name}",
        body=f"受理编号 {objection.receipt_no}，请及时调查核实并处理。",
        link=reverse("recognition:objection", args=[objection.pk]),
    )
    return objection


def resolve_objection(
    objection: Objection, *, outcome: str, investigation: str, by, ip: str | None = None
) -> Objection:
    """Record the investigation and outcome. An upheld objection removes the consortium from the
    proposal (``uphold_objection``, with the findings as the reason)."""
    _require(by, Role.BUREAU)
    errors = _required_text({"investigation": investigation}, {"investigation": "调查核实情况"})
    if outcome not in (ObjectionOutcome.UPHELD, ObjectionOutcome.NOT_UPHELD):
        errors["outcome"] = "请选择处理结果：异议成立或异议不成立。"
    if errors:
        raise ValidationFailed("请检查标注的内容。", field_errors=errors)
    with transaction.atomic():
        locked = Objection.objects.select_for_update().select_related("application").get(pk=objection.pk)
        if locked.outcome != ObjectionOutcome.PENDING:
            raise Conflict("该异议已处理，不能重复处理。", code="state")
        locked.outcome = outcome
        locked.investigation = investigation.strip()
        locked.resolved_by = by
        locked.resolved_at = clock.now()
        locked.save(update_fields=["outcome", "investigation", "resolved_by", "resolved_at"])
        if outcome == ObjectionOutcome.UPHELD and locked.application.status == Status.IN_PUBLIC_NOTICE:
            transition(
                locked.application,
                Action.UPHOLD_OBJECTION,
                by=by,
                reason=f"异议成立（{locked.receipt_no}）：{locked.investigation}",
                ip=ip,
            )
        audit.record(
            "recognition.objection_resolved", actor=by, obj=locked, ip=ip, detail={"outcome": outcome}
        )
    return locked


# ---------------------------------------------------------------- recognition


def latest_notice_entry(application: Application) -> NoticeEntry | None:
    return (
        NoticeEntry.objects.select_related("notice")
        .filter(application=application, notice__kind=NoticeKind.RECOGNITION)
        .order_by("-notice__starts_on", "-id")
        .first()
    )


def public_notice_ended(application: Application, user) -> str | None:
    """Guard ``public_notice_ended``: the notice is over and every objection to it has been handled."""
    entry = latest_notice_entry(application)
    if entry is None:
        return "该联合体尚未经过公示。"
    if clock.now() < entry.notice.ends_at:
        return f"公示期至{clock.fmt(entry.notice.ends_at)}结束，公示结束后方可认定。"
    if Objection.objects.filter(
        notice=entry.notice, application=application, outcome=ObjectionOutcome.PENDING
    ).exists():
        return "该联合体尚有未处理的异议，处理完毕后方可认定。"
    return None


def recognize(
    application: Application,
    *,
    doc_number: str,
    recognized_on: Any,
    official_name: str = "",
    by,
    ip: str | None = None,
) -> Recognition:
    """Recognise a consortium after its notice: 文号, date and a unique official name."""
    _require(by, Role.BUREAU)
    name = "".join((official_name or application.consortium_name).split())
    errors = _required_text({"doc_number": doc_number}, {"doc_number": "认定文号"})
    day = _parse_date(recognized_on, "recognized_on", "认定日期", errors)
    issuer = authority.current()
    if not issuer.name_pattern.match(name):
        errors["official_name"] = (
            f"名称应为“{issuer.naming_rule}”，如“{issuer.consortium_name('高性能聚烯烃新材料')}”。"
        )
    elif Recognition.objects.filter(official_name=name, revoked_on__isnull=True).exists():
        errors["official_name"] = f"已有认定的联合体名为“{name}”，请调整方向/领域表述。"
    doc_number = (doc_number or "").strip()
    if doc_number and Recognition.objects.filter(doc_number=doc_number).exists():
        errors["doc_number"] = "该文号已被使用。"
    if errors:
        raise ValidationFailed("请检查标注的内容。", field_errors=errors)
    refuse_early(application, Action.RECOGNIZE, by=by, ip=ip)
    try:
        with transaction.atomic():
            transition(application, Action.RECOGNIZE, by=by, ip=ip)
            recognition = Recognition.objects.create(
                application=application,
                call=application.call,
                official_name=name,
                doc_number=doc_number,
                recognized_on=day,
                year=day.year,
                industry_id=application.industry_id,
                created_by=by,
            )
            audit.record(
                "recognition.recognized",
                actor=by,
                obj=recognition,
                ip=ip,
                detail={"application": application.pk, "doc_number": doc_number, "name": name},
            )
            _notify_recognized(application, recognition)
    except IntegrityError:
        # Two bureau staff recognising under one name at once: the database constraint decides.
        message = f"已有认定的联合体名为“{name}”，或文号已被使用，请核对。"
        raise ValidationFailed(message, field_errors={"official_name": message}) from None
    return recognition


def _notify_recognized(application: Application, recognition: Recognition) -> None:
    link = reverse("recognition:register_detail", args=[recognition.pk])
    users = User.objects.filter(
        is_active=True, role=Role.APPLICANT, unit_id=application.lead_unit_id
    ) | User.objects.filter(is_active=True, role=Role.RECOMMENDER, recommender_id=application.recommender_id)
    notify(
        list(users),
        subject=f"认定通知：{recognition.official_name}",
        body=f"经公示无异议，{recognition.official_name}已获认定，文号：{recognition.doc_number}。",
        link=link,
        sms=True,
    )


def decline(application: Application, *, reason: str, by, ip: str | None = None) -> Application:
    """Not recognised (不予认定) after review or notice, with the reason."""
    _require(by, Role.BUREAU)
    return transition(application, Action.REJECT, by=by, reason=reason, ip=ip)


def revoke(recognition: Recognition, *, reason: str, by, ip: str | None = None) -> Recognition:
    """Revoke a recognition (transition ``revoke``), recording the date and the reason on the register."""
    _require(by, Role.BUREAU)
    if not (reason or "").strip():
        raise ValidationFailed("请填写撤销理由。", field_errors={"reason": "请填写撤销理由。"})
    refuse_early(recognition.application, Action.REVOKE, by=by, reason=reason.strip(), ip=ip)
    with transaction.atomic():
        locked = Recognition.objects.select_for_update().get(pk=recognition.pk)
        if locked.revoked_on:
            raise Conflict("该认定已撤销。", code="state")
        transition(locked.application, Action.REVOKE, by=by, reason=reason.strip(), ip=ip)
        locked.revoked_on = clock.local(clock.now()).date()
        locked.revoked_reason = reason.strip()
        locked.revoked_by = by
        locked.save(update_fields=["revoked_on", "revoked_reason", "revoked_by"])
        audit.record("recognition.revoked", actor=by, obj=locked, ip=ip, detail={"reason": reason.strip()})
    return locked


def get_recognition_for_applicant(user, pk: int) -> Recognition:
    recognition = Recognition.objects.select_related("application").filter(pk=pk).first()
    if recognition is None or user.unit_id != recognition.application.lead_unit_id:
        raise NotFound()
    return recognition
