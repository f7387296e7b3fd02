"""The bureau's intake, formal review and site visits. Plain functions taking the acting user.

State changes of an application go through ``applications.actions.perform`` (and so through
``workflow.transition``); this module only records what the bureau saw and decided.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from sciplan.accounts.roles import Role
from sciplan.applications.actions import perform, register_action
from sciplan.applications.models import Application, AttachmentKind
from sciplan.applications.workflow import Action, Status, refuse_early, register_guard, transition
from sciplan.calls.models import Call, Recommender
from sciplan.core import audit, clock, filetypes, storage
from sciplan.core.errors import NotFound, ValidationFailed
from sciplan.review.models import (
    FormalOutcome,
    FormalReview,
    PaperReceipt,
    SiteVisit,
    SiteVisitFile,
    SummaryTableReceipt,
    VisitConclusion,
)

VISIT_FILE_TYPES = ("pdf", "jpeg", "png", "docx")


def ensure_bureau(user) -> None:
    """Bureau staff only. Anyone else gets 404: the bureau's records do not exist for them."""
    if getattr(user, "role", None) != Role.BUREAU or not user.is_active:
        raise NotFound()


def letter_of(application: Application):
    """The recommender's letter for the application's call, or ``None`` (also when the
    recommendations app does not offer one yet: no letter, no intake)."""
    try:
        from sciplan.recommendations.queries import letter_for
    except ImportError:
        return None
    return letter_for(application.call_id, application.recommender_id)


def _date(raw: Any, field: str, label: str) -> date:
    if isinstance(raw, datetime):
        return clock.local(raw).date()
    if isinstance(raw, date):
        return raw
    parsed = parse_date(str(raw or "").strip()) if raw else None
    if parsed is None:
        raise ValidationFailed(f"请填写{label}。", field_errors={field: f"请填写正确的{label}（年-月-日）。"})
    return parsed


def _text(data: dict, field: str, label: str, *, max_length: int, required: bool = True) -> str:
    value = str(data.get(field) or "").strip()
    if required and not value:
        raise ValidationFailed(f"请填写{label}。", field_errors={field: f"请填写{label}。"})
    if len(value) > max_length:
        message = f"{label}不能超过{max_length}字。"
        raise ValidationFailed(message, field_errors={field: message})
    return value


# --- intake -----------------------------------------------------------------------------------------


@transaction.atomic
def record_paper_receipt(application: Application, data: dict[str, Any], *, by) -> PaperReceipt:
    ensure_bureau(by)
    if application.status == Status.DRAFT:
        raise NotFound()
    received_on = _date(data.get("received_on"), "received_on", "接收日期")
    if received_on > clock.local(clock.now()).date():
        raise ValidationFailed(
            "接收日期不能晚于今天。", field_errors={"received_on": "接收日期不能晚于今天。"}
        )
    try:
        copies = int(str(data.get("copies", "")).strip())
    except ValueError:
        copies = 0
    if not 1 <= copies <= 99:
        raise ValidationFailed("请填写份数。", field_errors={"copies": "份数应为1至99之间的整数。"})
    receipt = PaperReceipt.objects.create(
        application=application,
        received_on=received_on,
        copies=copies,
        received_by=_text(data, "received_by", "接收人", max_length=50),
        note=_text(data, "note", "备注", max_length=300, required=False),
        recorded_by=by,
    )
    audit.record("review.paper_receipt", actor=by, obj=application, detail={"copies": copies})
    return receipt


@transaction.atomic
def record_summary_table(
    call: Call, recommender: Recommender, data: dict[str, Any], *, by
) -> SummaryTableReceipt:
    ensure_bureau(by)
    receipt, _ = SummaryTableReceipt.objects.update_or_create(
        call=call,
        recommender=recommender,
        defaults={
            "received_on": _date(data.get("received_on"), "received_on", "接收日期"),
            "received_by": _text(data, "received_by", "接收人", max_length=50),
            "recorded_by": by,
        },
    )
    audit.record("review.summary_table", actor=by, obj=receipt, detail={"recommender": recommender.pk})
    return receipt


def intake_missing(application: Application) -> list[str]:
    """What is still missing before the application can pass intake, in words."""
    missing = []
    if letter_of(application) is None:
        missing.append(f"推荐单位（{application.recommender.name}）尚未上传推荐函")
    if not application.paper_receipts.exists():
        missing.append("尚未登记收到纸质材料")
    return missing


def _intake_complete(application: Application, user) -> str | None:
    missing = intake_missing(application)
    return ("受理材料不全：" + "；".join(missing) + "。") if missing else None


register_guard("intake_complete", _intake_complete)


# --- formal review ----------------------------------------------------------------------------------


def checklist_items(call: Call) -> list[tuple[str, str]]:
    """The formal review checklist: the call's required materials, then completeness checks."""
    items = []
    for kind in call.required_attachments or []:
        label = AttachmentKind(kind).label if kind in AttachmentKind.values else kind
        items.append((f"att_{kind}", f"已提交{label}"))
    items += [
        ("agreements", "每家成员单位均附合作协议"),
        ("platform", "研发平台证书齐全"),
        ("paper_matches", "纸质材料与网上提交版本一致（核验码）"),
        ("signed", "纸质材料盖章签字齐全"),
        ("complete", "申报书各部分填写完整"),
    ]
    return items


def _parse_deadline(raw: Any) -> datetime:
    if isinstance(raw, datetime):
        value = raw
    else:
        text = str(raw or "").strip()
        value = parse_datetime(text) if text else None
        if value is None and text:
            day = parse_date(text)
            # A bare date means the end of that working day, as the paper deadline does.
            value = datetime.combine(day, time(18, 0)) if day else None
    if value is None:
        raise ValidationFailed("请填写补正截止时间。", field_errors={"deadline": "请填写补正截止时间。"})
    if timezone.is_naive(value):
        value = timezone.make_aware(value)  # the wall time of Asia/Shanghai
    if value <= clock.now():
        raise ValidationFailed(
            "补正截止时间必须晚于当前时间。", field_errors={"deadline": "补正截止时间必须晚于当前时间。"}
        )
    return value


def _formal_return(application, *, by, reason, idempotency_key, ip, payload):
    """``formal_return``: set the correction deadline and send the application back, atomically."""
    deadline = _parse_deadline((payload or {}).get("deadline"))
    refuse_early(application, Action.FORMAL_RETURN, by=by, reason=reason, ip=ip)
    with transaction.atomic():
        result = transition(
            application, Action.FORMAL_RETURN, by=by, reason=reason, idempotency_key=idempotency_key, ip=ip
        )
        Application.objects.filter(pk=result.pk).update(correction_deadline=deadline)
    result.correction_deadline = deadline
    return result


register_action(Action.FORMAL_RETURN, _formal_return)

OUTCOME_ACTION = {
    FormalOutcome.PASS: Action.FORMAL_PASS,
    FormalOutcome.FAIL: Action.FORMAL_FAIL,
    FormalOutcome.RETURN: Action.FORMAL_RETURN,
}


def record_formal_review(
    application: Application,
    *,
    checklist: dict[str, bool],
    outcome: str,
    reason: str = "",
    deadline: Any = None,
    by,
    ip: str | None = None,
) -> FormalReview:
    """Record the checklist and the decision, and move the application by the matching action."""
    ensure_bureau(by)
    if outcome not in FormalOutcome.values:
        raise ValidationFailed("请选择审查结论。", field_errors={"outcome": "请选择审查结论。"})
    reason = (reason or "").strip()
    if outcome != FormalOutcome.PASS and not reason:
        raise ValidationFailed("请填写审查意见。", field_errors={"reason": "不通过或退回补正须填写理由。"})
    keys = [key for key, _ in checklist_items(application.call)]
    clean = {key: bool(checklist.get(key)) for key in keys}
    if outcome == FormalOutcome.PASS and not all(clean.values()):
        unchecked = [label for key, label in checklist_items(application.call) if not clean[key]]
        message = "审查清单尚有未勾选项：" + "、".join(unchecked) + "。"
        raise ValidationFailed(message, field_errors={"checklist": message})
    payload = {"deadline": deadline} if outcome == FormalOutcome.RETURN else {}
    if outcome == FormalOutcome.RETURN:
        _parse_deadline(deadline)  # a bad deadline is a field error before anything else
    refuse_early(application, OUTCOME_ACTION[FormalOutcome(outcome)], by=by, reason=reason, ip=ip)
    with transaction.atomic():
        moved = perform(
            application, OUTCOME_ACTION[FormalOutcome(outcome)], by=by, reason=reason, ip=ip, payload=payload
        )
        return FormalReview.objects.create(
            application=moved,
            checklist=clean,
            outcome=outcome,
            reason=reason,
            correction_deadline=moved.correction_deadline if outcome == FormalOutcome.RETURN else None,
            reviewed_by=by,
        )


# --- site visits ------------------------------------------------------------------------------------


@transaction.atomic
def record_site_visit(application: Application, data: dict[str, Any], *, by) -> SiteVisit:
    ensure_bureau(by)
    if application.status in (Status.DRAFT,):
        raise NotFound()
    conclusion = str(data.get("conclusion") or "")
    if conclusion not in VisitConclusion.values:
        raise ValidationFailed("请选择考察结论。", field_errors={"conclusion": "请选择考察结论。"})
    visit = SiteVisit.objects.create(
        application=application,
        visit_date=_date(data.get("visit_date"), "visit_date", "考察日期"),
        team=_text(data, "team", "考察组成员", max_length=300),
        findings=_text(data, "findings", "考察情况", max_length=5000),
        conclusion=conclusion,
        recorded_by=by,
    )
    audit.record("review.site_visit", actor=by, obj=application, detail={"visit": visit.pk})
    return visit


def add_visit_file(visit: SiteVisit, *, fileobj: IO[bytes], filename: str, by) -> SiteVisitFile:
    """Check by content, store privately under a generated key; the file is removed if the row fails."""
    ensure_bureau(by)
    size = fileobj.seek(0, 2)
    fileobj.seek(0)
    if size == 0:
        raise ValidationFailed("文件为空。", field_errors={"file": "文件为空，请重新选择。"})
    if size > settings.UPLOAD_MAX_BYTES:
        message = f"文件大小超过{settings.UPLOAD_MAX_BYTES // 1048576}MB的限制。"
        raise ValidationFailed(message, field_errors={"file": message})
    try:
        detected = filetypes.sniff(fileobj, accept=VISIT_FILE_TYPES)
    except filetypes.FileTypeError as exc:
        raise ValidationFailed(str(exc), field_errors={"file": str(exc)}) from None
    if detected not in VISIT_FILE_TYPES:
        message = (
            f"考察照片和材料只接受{filetypes.describe(VISIT_FILE_TYPES)}文件；所选文件的内容不是这些格式。"
        )
        raise ValidationFailed(message, field_errors={"file": message})
    with storage.files_with_rows():
        row = SiteVisitFile.objects.create(
            visit=visit,
            **storage.store_upload(
                fileobj, filename=filename, kind=detected, prefix=f"site-visits/{visit.pk}", by=by
            ),
        )
        audit.record("review.site_visit_file", actor=by, obj=row, detail={"sha256": row.sha256})
    return row


def visit_file_for(user, pk) -> SiteVisitFile:
    """A site-visit file for download: bureau staff only, 404 for everyone else."""
    ensure_bureau(user)
    try:
        return SiteVisitFile.objects.select_related("visit").get(pk=pk)
    except (SiteVisitFile.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
