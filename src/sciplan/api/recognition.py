"""API: 认定与公示 — proposed list, public notice, objections, recognition, the register, assessment.

``public_notice_list``, ``objection_create`` and ``recognized_list`` are open to anyone (``auth=None``)
and carry no contact details or personal data.
"""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile

from sciplan.applications.permissions import visible
from sciplan.calls.models import Call
from sciplan.core import clock
from sciplan.core.errors import NotFound
from sciplan.core.http import client_ip
from sciplan.recognition import assessment as assessment_services
from sciplan.recognition import queries, services
from sciplan.recognition.models import Assessment, Objection, Recognition

router = Router(tags=["认定与公示"])


class ProposalIn(Schema):
    application_ids: list[int]
    meeting_date: date
    attendees: str
    minutes: str


class ProposalOut(Schema):
    id: int
    call_id: int
    meeting_date: date
    application_ids: list[int]


class NoticeIn(Schema):
    starts_on: date
    working_days: int | None = None
    end_time: str | None = None
    body: str = ""


class NoticeEntryOut(Schema):
    application_id: int
    consortium_name: str
    lead_unit: str
    industry: str | None
    direction: str
    member_units: list[str]
    grade: str | None = None


class NoticeOut(Schema):
    id: int
    kind: str
    title: str
    year: int
    starts_on: date
    working_days: int
    ends_at: datetime
    entries: list[NoticeEntryOut] = []


class ObjectionIn(Schema):
    application_id: int
    objector_kind: str
    objector_name: str = ""
    objector_mobile: str = ""
    unit_name: str = ""
    unit_uscc: str = ""
    contact_name: str = ""
    content: str


class ObjectionReceipt(Schema):
    receipt_no: str
    submitted_at: datetime


class ObjectionResolveIn(Schema):
    outcome: str
    investigation: str


class ObjectionOut(Schema):
    id: int
    receipt_no: str
    application_id: int
    outcome: str
    application_status: str


class RecognitionIn(Schema):
    doc_number: str
    recognized_on: date
    official_name: str = ""


class RecognizedOut(Schema):
    id: int
    official_name: str
    doc_number: str
    recognized_on: date
    year: int
    industry: str | None
    direction: str
    lead_unit: str
    lead_unit_uscc: str
    member_units: list[str]
    status: str
    revoked_on: date | None
    revoked_reason: str


class AssessmentIn(Schema):
    year: int
    progress: str
    results_transferred: str
    local_share: str
    mechanism: str


class AssessmentOut(Schema):
    id: int
    recognition_id: int
    year: int
    grade: str
    attachment_count: int


class GradeIn(Schema):
    grade: str
    comment: str = ""


def _entry(e) -> dict:
    a = e.application
    return {
        "application_id": a.pk,
        "consortium_name": e.assessment.recognition.official_name if e.assessment else a.consortium_name,
        "lead_unit": a.lead_unit.name,
        "industry": a.industry.name if a.industry else None,
        "direction": a.direction,
        "member_units": [m.name for m in a.members.all()],
        "grade": e.assessment.get_grade_display() if e.assessment else None,
    }


def _notice(n) -> dict:
    return {
        "id": n.pk,
        "kind": n.kind,
        "title": n.title,
        "year": n.year,
        "starts_on": n.starts_on,
        "working_days": n.working_days,
        "ends_at": clock.local(n.ends_at),
        "entries": [_entry(e) for e in n.entries.all()],
    }


def _recognized(r: Recognition) -> dict:
    return {
        "id": r.pk,
        "official_name": r.official_name,
        "doc_number": r.doc_number,
        "recognized_on": r.recognized_on,
        "year": r.year,
        "industry": r.industry.name if r.industry else None,
        "direction": r.application.direction,
        "lead_unit": r.application.lead_unit.name,
        "lead_unit_uscc": r.application.lead_unit.uscc,
        "member_units": [m.name for m in r.application.members.all()],
        "status": "revoked" if r.revoked_on else "recognized",
        "revoked_on": r.revoked_on,
        "revoked_reason": r.revoked_reason,
    }


def _call(pk: int) -> Call:
    call = Call.objects.filter(pk=pk).first()
    if call is None:
        raise NotFound()
    return call


@router.post(
    "/recognition/calls/{call_id}/proposals", response={201: ProposalOut}, operation_id="proposal_create"
)
def proposal_create(request: HttpRequest, call_id: int, payload: ProposalIn):
    """Record the decision meeting and put the selected applications (under review) on the proposed list."""
    decision = services.propose(
        _call(call_id),
        application_ids=payload.application_ids,
        meeting_date=payload.meeting_date,
        attendees=payload.attendees,
        minutes=payload.minutes,
        by=request.auth,
        ip=client_ip(request),
    )
    ids = sorted(decision.applications.values_list("pk", flat=True))
    return 201, {
        "id": decision.pk,
        "call_id": call_id,
        "meeting_date": decision.meeting_date,
        "application_ids": ids,
    }


@router.post(
    "/recognition/calls/{call_id}/public-notices",
    response={201: NoticeOut},
    operation_id="public_notice_create",
)
def public_notice_create(request: HttpRequest, call_id: int, payload: NoticeIn):
    """Publish the call's proposed list for N working days (default: the call's); ends 18:00 unless set."""
    notice = services.publish_notice(
        _call(call_id),
        starts_on=payload.starts_on,
        working_days=payload.working_days,
        end_time=payload.end_time,
        body=payload.body,
        by=request.auth,
        ip=client_ip(request),
    )
    return 201, _notice(queries.notice_with_entries(notice.pk))


@router.get("/public-notices", response=list[NoticeOut], auth=None, operation_id="public_notice_list")
def public_notice_list(request: HttpRequest, current: bool = False):
    """Public notices that have started (``current=true``: only those still open), with their consortia."""
    notices = queries.public_notices_with_entries()
    if current:
        notices = notices.filter(ends_at__gt=clock.now())
    return [_notice(n) for n in notices]


@router.post(
    "/public-notices/{notice_id}/objections",
    response={201: ObjectionReceipt},
    auth=None,
    operation_id="objection_create",
)
def objection_create(request: HttpRequest, notice_id: int, payload: ObjectionIn):
    """File an objection with a real name and mobile, or a unit name and USCC; late ones answer 409."""
    notice = queries.public_notice(notice_id)
    data = payload.dict()
    data["application"] = str(data.pop("application_id"))
    objection = services.file_objection(notice, data, ip=client_ip(request))
    return 201, {"receipt_no": objection.receipt_no, "submitted_at": clock.local(objection.submitted_at)}


@router.post("/objections/{objection_id}/resolve", response=ObjectionOut, operation_id="objection_resolve")
def objection_resolve(request: HttpRequest, objection_id: int, payload: ObjectionResolveIn):
    """Record the investigation and outcome (``upheld`` removes the consortium from the proposal)."""
    if getattr(request.auth, "role", None) != "bureau":
        raise NotFound()
    objection = Objection.objects.filter(pk=objection_id).first()
    if objection is None:
        raise NotFound()
    objection = services.resolve_objection(
        objection,
        outcome=payload.outcome,
        investigation=payload.investigation,
        by=request.auth,
        ip=client_ip(request),
    )
    return {
        "id": objection.pk,
        "receipt_no": objection.receipt_no,
        "application_id": objection.application_id,
        "outcome": objection.outcome,
        "application_status": objection.application.__class__.objects.get(pk=objection.application_id).status,
    }


@router.post(
    "/applications/{application_id}/recognition",
    response={201: RecognizedOut},
    operation_id="recognition_create",
)
def recognition_create(request: HttpRequest, application_id: int, payload: RecognitionIn):
    """Recognise a consortium whose public notice has ended: 文号, date, unique official name."""
    application = visible(request.auth).filter(pk=application_id).first()
    if application is None:
        raise NotFound()
    recognition = services.recognize(
        application,
        doc_number=payload.doc_number,
        recognized_on=payload.recognized_on,
        official_name=payload.official_name,
        by=request.auth,
        ip=client_ip(request),
    )
    return 201, _recognized(queries.recognized().get(pk=recognition.pk))


@router.get("/recognized", response=list[RecognizedOut], auth=None, operation_id="recognized_list")
def recognized_list(request: HttpRequest, year: int | None = None, industry_id: int | None = None):
    """The public register of recognised consortia; revoked ones carry their date and reason."""
    return [_recognized(r) for r in queries.recognized(year=year, industry=industry_id)]


@router.post(
    "/recognized/{recognition_id}/assessments",
    response={201: AssessmentOut},
    operation_id="assessment_submit",
)
def assessment_submit(
    request: HttpRequest,
    recognition_id: int,
    payload: Form[AssessmentIn],
    attachments: File[list[UploadedFile]] = None,  # type: ignore[assignment]
):
    """The lead unit's yearly self-assessment (multipart; attachments are checked by content)."""
    recognition = Recognition.objects.select_related("application").filter(pk=recognition_id).first()
    if recognition is None:
        raise NotFound()
    data = payload.dict()
    assessment = assessment_services.submit_assessment(
        recognition,
        year=data.pop("year"),
        data=data,
        files=[(f, f.name or "附件") for f in (attachments or [])],
        by=request.auth,
        ip=client_ip(request),
    )
    return 201, _assessment(assessment)


@router.post("/assessments/{assessment_id}/grade", response=AssessmentOut, operation_id="assessment_grade")
def assessment_grade(request: HttpRequest, assessment_id: int, payload: GradeIn):
    """Grade a self-assessment: ``excellent`` (优秀), ``pass`` (合格) or ``fail`` (不合格)."""
    if getattr(request.auth, "role", None) not in ("bureau", "expert"):
        raise NotFound()
    assessment = Assessment.objects.filter(pk=assessment_id).first()
    if assessment is None:
        raise NotFound()
    assessment = assessment_services.grade_assessment(
        assessment, grade=payload.grade, comment=payload.comment, by=request.auth, ip=client_ip(request)
    )
    return _assessment(assessment)


def _assessment(a: Assessment) -> dict:
    return {
        "id": a.pk,
        "recognition_id": a.recognition_id,
        "year": a.year,
        "grade": a.grade,
        "attachment_count": a.attachments.count(),
    }


class AssessmentNoticeIn(Schema):
    year: int = Field(ge=2000, le=2100, description="考核年度：公示该年度已评定、尚未公示的考核结果")
    starts_on: date = Field(description="公示开始日期（工作日），公示5个工作日")


@router.post(
    "/recognition/assessment-notices",
    response={201: NoticeOut},
    operation_id="assessment_notice_create",
    summary="发布年度考核结果公示",
    description="公示一个年度已评定、尚未公示的考核结果，为期5个工作日（与网页“年度考核”相同）。仅市科技局。",
)
def assessment_notice_create(request: HttpRequest, payload: AssessmentNoticeIn):
    notice = assessment_services.publish_assessment_notice(
        year=payload.year, starts_on=payload.starts_on, by=request.auth, ip=client_ip(request)
    )
    return 201, _notice(queries.notice_with_entries(notice.pk))
