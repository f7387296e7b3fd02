"""Annual assessment (年度考核): self-assessment, grading, the public notice of grades, revocation."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.db import IntegrityError, transaction

from sciplan.accounts.roles import Role
from sciplan.applications.models import Application
from sciplan.applications.workflow import Action, Status, transition
from sciplan.core import audit, authority, clock, storage
from sciplan.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from sciplan.recognition import calendar
from sciplan.recognition.models import (
    Assessment,
    Grade,
    NoticeEntry,
    NoticeKind,
    PublicNotice,
    Recognition,
    StoredFile,
)
from sciplan.recognition.services import revoke, store_upload

ASSESSMENT_NOTICE_DAYS = 5
MAX_ATTACHMENTS = 10


def submit_assessment(
    recognition: Recognition,
    *,
    year: Any,
    data: dict[str, Any],
    files: list[tuple[IO[bytes], str]] | None = None,
    by,
    ip: str | None = None,
) -> Assessment:
    """The lead unit's applicant users submit the yearly self-assessment, once per year."""
    if getattr(by, "role", None) != Role.APPLICANT or by.unit_id != recognition.application.lead_unit_id:
        raise NotFound()
    if recognition.revoked_on:
        raise Conflict("该联合体的认定已撤销，不再进行年度考核。", code="state")
    errors: dict[str, str] = {}
    labels = {
        "progress": "关键核心技术攻关任务进展",
        "results_transferred": "成果转移转化情况",
        "mechanism": "运行机制情况",
    }
    text = {f: str(data.get(f) or "").strip() for f in labels}
    for field, label in labels.items():
        if not text[field]:
            errors[field] = f"请填写{label}。"
    try:
        year_value = int(year)
        current = clock.local(clock.now()).year
        if not recognition.year <= year_value <= current:
            errors["year"] = f"考核年度应在{recognition.year}至{current}年之间。"
    except (TypeError, ValueError):
        errors["year"] = "请填写考核年度。"
    try:
        share = Decimal(str(data.get("local_share") or "").strip().rstrip("%"))
        if not Decimal(0) <= share <= Decimal(100):
            errors["local_share"] = "本地配套占比应在0至100之间。"
    except InvalidOperation:
        errors["local_share"] = "请填写本地配套占比（百分数，如35.5）。"
    files = files or []
    if len(files) > MAX_ATTACHMENTS:
        errors["attachments"] = f"附件不能超过{MAX_ATTACHMENTS}个。"
    if errors:
        raise ValidationFailed("请检查标注的内容。", field_errors=errors)
    if Assessment.objects.filter(recognition=recognition, year=year_value).exists():
        raise Conflict(f"{year_value}年度的考核材料已提交。", code="state")
    stored: list[StoredFile] = []
    try:
        with storage.files_with_rows():
            for fileobj, name in files:
                stored.append(
                    store_upload(fileobj, name=name, by=by, field="attachments", prefix="assessments")
                )
            assessment = Assessment.objects.create(
                recognition=recognition,
                year=year_value,
                local_share=share.quantize(Decimal("0.01")),
                submitted_by=by,
                submitted_at=clock.now(),
                **text,
            )
            assessment.attachments.set(stored)
            audit.record("assessment.submitted", actor=by, obj=assessment, ip=ip, detail={"year": year_value})
    except IntegrityError:
        raise Conflict(f"{year_value}年度的考核材料已提交。", code="state") from None
    return assessment


def grade_assessment(
    assessment: Assessment, *, grade: str, comment: str, by, ip: str | None = None
) -> Assessment:
    """Experts or bureau staff grade 优秀 / 合格 / 不合格, with a comment (required for 不合格)."""
    if getattr(by, "role", None) not in (Role.BUREAU, Role.EXPERT):
        raise NotAllowed("您的角色不能评定年度考核。")
    errors: dict[str, str] = {}
    if grade not in Grade.values:
        errors["grade"] = "请选择考核等次：优秀、合格或不合格。"
    if grade == Grade.FAIL and not (comment or "").strip():
        errors["grade_comment"] = "评为不合格须写明理由。"
    if errors:
        raise ValidationFailed("请检查标注的内容。", field_errors=errors)
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if NoticeEntry.objects.filter(assessment=locked).exists():
            raise Conflict("考核结果已公示，不能再修改等次。", code="state")
        locked.grade = grade
        locked.grade_comment = (comment or "").strip()
        locked.graded_by = by
        locked.graded_at = clock.now()
        locked.save(update_fields=["grade", "grade_comment", "graded_by", "graded_at"])
        audit.record("assessment.graded", actor=by, obj=locked, ip=ip, detail={"grade": grade})
    return locked


def publish_assessment_notice(*, year: int, starts_on: Any, by, ip: str | None = None) -> PublicNotice:
    """A 5-working-day public notice of the year's graded assessments not yet published."""
    if getattr(by, "role", None) != Role.BUREAU:
        raise NotAllowed("您的角色不能发布公示。")
    from sciplan.recognition.services import _parse_date

    errors: dict[str, str] = {}
    start = _parse_date(starts_on, "starts_on", "公示开始日期", errors)
    if errors:
        raise ValidationFailed("请检查标注的内容。", field_errors=errors)
    calendar.require_confirmed(start, ASSESSMENT_NOTICE_DAYS)
    with transaction.atomic():
        assessments = list(
            Assessment.objects.select_for_update(of=("self",))
            .filter(year=year)
            .exclude(grade="")
            .exclude(notice_entries__isnull=False)
            .select_related("recognition")
            .order_by("recognition__official_name")
        )
        if not assessments:
            raise Conflict(f"{year}年度没有已评定且未公示的考核结果。", code="state")
        notice = PublicNotice.objects.create(
            kind=NoticeKind.ASSESSMENT,
            year=year,
            title=f"{year}年度{authority.current().city}创新联合体年度考核结果公示",
            starts_on=start,
            working_days=ASSESSMENT_NOTICE_DAYS,
            ends_at=calendar.notice_end(start, ASSESSMENT_NOTICE_DAYS),
            created_by=by,
        )
        NoticeEntry.objects.bulk_create(
            [
                NoticeEntry(notice=notice, application_id=a.recognition.application_id, assessment=a, order=i)
                for i, a in enumerate(assessments, 1)
            ]
        )
        audit.record("assessment.notice_published", actor=by, obj=notice, ip=ip, detail={"year": year})
    return notice


def revoke_after_failure(assessment: Assessment, *, reason: str, by, ip: str | None = None) -> Recognition:
    """Revoke the recognition of a consortium graded 不合格 once the grade's notice is over."""
    if assessment.grade != Grade.FAIL:
        raise Conflict("只有考核不合格的联合体可以据此撤销认定。", code="state")
    entry = NoticeEntry.objects.select_related("notice").filter(assessment=assessment).first()
    if entry is None or clock.now() < entry.notice.ends_at:
        raise Conflict("考核结果须经公示期满后方可撤销认定。", code="state")
    recognition = assessment.recognition
    if recognition.application.status != Status.RECOGNIZED:
        raise Conflict("该联合体当前不是已认定状态。", code="state")
    text = f"{assessment.year}年度考核不合格：{(reason or assessment.grade_comment).strip()}"
    return revoke(recognition, reason=text, by=by, ip=ip)


def revoke_action(application, *, by, reason, idempotency_key, ip, payload) -> Application:
    """``revoke`` through ``applications.actions.perform`` (the API's ``application_transition``), as on
    the register page: the register entry is marked, not only the state changed; with
    ``payload.assessment_id`` it is the revocation after that failed annual assessment."""
    recognition = Recognition.objects.filter(application=application).first()
    if recognition is None:  # not recognised: the table refuses, and the refusal is audited
        return transition(
            application, Action.REVOKE, by=by, reason=reason, idempotency_key=idempotency_key, ip=ip
        )
    assessment_id = (payload or {}).get("assessment_id")
    if assessment_id:
        found = str(assessment_id).isdigit() and int(assessment_id) <= 2**63 - 1
        assessment = (
            Assessment.objects.filter(pk=int(assessment_id), recognition=recognition).first()
            if found
            else None
        )
        if assessment is None:
            raise NotFound()
        revoke_after_failure(assessment, reason=reason, by=by, ip=ip)
    else:
        revoke(recognition, reason=reason, by=by, ip=ip)
    return Application.objects.get(pk=application.pk)
