"""API: 认定与公示 — proposed list, public notice, objections, recognition, the register, assessment.

``public_notice_list``, ``objection_create`` and ``recognized_list`` are open to anyone (``auth=None``)
and carry no contact details or personal data.
"""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile

from sciplan.api.schemas import errors
from sciplan.applications.permissions import visible
from sciplan.applications.workflow import Status
from sciplan.calls.models import Call
from sciplan.core import clock
from sciplan.core.errors import NotFound
from sciplan.core.http import client_ip
from sciplan.recognition import assessment as assessment_services
from sciplan.recognition import queries, services
from sciplan.recognition.models import Assessment, Objection, Recognition

router = Router(tags=["认定与公示"])


class ProposalIn(Schema):
    application_ids: list[int] = Field(description="列入拟认定名单的申报书编号")
    meeting_date: date = Field(description="决策会议日期")
    attendees: str = Field(description="参会人员", max_length=1000)
    minutes: str = Field(description="会议纪要", max_length=5000)


class ProposalOut(Schema):
    id: int = Field(description="拟认定记录编号")
    call_id: int = Field(description="申报批次编号")
    meeting_date: date = Field(description="决策会议日期")
    application_ids: list[int] = Field(description="列入拟认定名单的申报书编号")


class NoticeIn(Schema):
    starts_on: date = Field(description="公示开始日期")
    working_days: int | None = Field(None, description="公示期（工作日）；不填取批次设置", ge=1, le=60)
    end_time: str | None = Field(
        None, description="公示截止的时刻（HH:MM），默认 18:00", pattern=r"^\d{2}:\d{2}$"
    )
    body: str = Field("", description="公示说明", max_length=3000)


class NoticeEntryOut(Schema):
    application_id: int = Field(description="申报书编号")
    consortium_name: str = Field(description="联合体名称")
    lead_unit: str = Field(description="牵头单位")
    industry: str | None = Field(description="所属产业")
    direction: str = Field(description="方向/领域")
    member_units: list[str] = Field(description="成员单位名称")
    grade: str | None = Field(
        None,
        description="年度考核等次（考核结果公示时）：excellent 优秀、pass 合格、fail 不合格",
        json_schema_extra={"enum": ["excellent", "pass", "fail"]},
    )


class NoticeOut(Schema):
    id: int = Field(description="公示编号（提出异议时使用）")
    kind: str = Field(
        description="公示类型：recognition 拟认定名单公示、assessment 年度考核结果公示",
        json_schema_extra={"enum": ["recognition", "assessment"]},
    )
    title: str = Field(description="标题")
    year: int = Field(description="年度")
    starts_on: date = Field(description="公示开始日期")
    working_days: int = Field(description="公示期（工作日）")
    ends_at: datetime = Field(description="公示截止时间（此刻起不再受理异议）")
    entries: list[NoticeEntryOut] = Field([], description="公示的联合体")


class ObjectionIn(Schema):
    application_id: int = Field(description="被提出异议的申报书编号（见公示的 entries）")
    objector_kind: str = Field(
        description="person 个人（实名），unit 单位", json_schema_extra={"enum": ["person", "unit"]}
    )
    objector_name: str = Field("", description="个人姓名（个人异议必填）", max_length=50)
    objector_mobile: str = Field(
        "", description="手机号码（个人异议必填，单位异议填联系人手机）", max_length=20
    )
    unit_name: str = Field("", description="单位名称（单位异议必填）", max_length=200)
    unit_uscc: str = Field("", description="统一社会信用代码（单位异议必填）", max_length=18)
    contact_name: str = Field("", description="单位联系人", max_length=50)
    content: str = Field(description="异议内容与理由", max_length=3000)


class ObjectionReceipt(Schema):
    receipt_no: str = Field(description="异议受理编号")
    submitted_at: datetime = Field(description="受理时间")


class ObjectionResolveIn(Schema):
    outcome: str = Field(
        description="处理结果：upheld 异议成立，not_upheld 异议不成立",
        json_schema_extra={"enum": ["upheld", "not_upheld"]},
    )
    investigation: str = Field(description="调查核实情况", max_length=3000)


class ObjectionOut(Schema):
    id: int = Field(description="异议编号")
    receipt_no: str = Field(description="异议受理编号")
    application_id: int = Field(description="申报书编号")
    outcome: str = Field(
        description="处理结果：pending 待处理、upheld 异议成立、not_upheld 异议不成立",
        json_schema_extra={"enum": ["pending", "upheld", "not_upheld"]},
    )
    application_status: str = Field(
        description="申报书当前状态代码", json_schema_extra={"enum": [s.value for s in Status]}
    )


class RecognitionIn(Schema):
    doc_number: str = Field(description="认定文号", max_length=60)
    recognized_on: date = Field(description="认定日期")
    official_name: str = Field(
        "", description="联合体正式名称（须唯一）；不填沿用申报时的名称", max_length=100
    )


class RecognizedOut(Schema):
    id: int = Field(description="认定编号")
    official_name: str = Field(description="联合体正式名称")
    doc_number: str = Field(description="认定文号")
    recognized_on: date = Field(description="认定日期")
    year: int = Field(description="认定年度")
    industry: str | None = Field(description="所属产业")
    direction: str = Field(description="方向/领域")
    lead_unit: str = Field(description="牵头单位")
    lead_unit_uscc: str = Field(description="牵头单位统一社会信用代码")
    member_units: list[str] = Field(description="成员单位名称")
    status: str = Field(
        description="状态：recognized 已认定，revoked 已撤销",
        json_schema_extra={"enum": ["recognized", "revoked"]},
    )
    revoked_on: date | None = Field(description="撤销日期")
    revoked_reason: str = Field(description="撤销理由")


class AssessmentIn(Schema):
    year: int = Field(description="考核年度")
    progress: str = Field(description="关键核心技术攻关任务进展", max_length=5000)
    results_transferred: str = Field(description="成果转移转化情况", max_length=3000)
    local_share: str = Field(description="本地配套占比（%），0 至 100，最多两位小数")
    mechanism: str = Field(description="运行机制情况", max_length=3000)


class AssessmentOut(Schema):
    id: int = Field(description="年度考核编号")
    recognition_id: int = Field(description="认定编号")
    year: int = Field(description="考核年度")
    grade: str = Field(
        description="考核等次：excellent 优秀、pass 合格、fail 不合格；空字符串为尚未评定",
        json_schema_extra={"enum": ["", "excellent", "pass", "fail"]},
    )
    attachment_count: int = Field(description="附件数")


class GradeIn(Schema):
    grade: str = Field(
        description="考核等次：excellent 优秀、pass 合格、fail 不合格",
        json_schema_extra={"enum": ["excellent", "pass", "fail"]},
    )
    comment: str = Field("", description="考核意见", max_length=2000)


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
    "/recognition/calls/{call_id}/proposals",
    response={201: ProposalOut, **errors(403, 404, 409)},
    operation_id="proposal_create",
    summary="拟认定名单",
    description="市科技局记录决策会议（日期、参会人员、纪要），把选定的评审中申报书列入拟认定名单。其他角色 404；申报书状态不符时返回 409。",
)
def proposal_create(request: HttpRequest, call_id: int, payload: ProposalIn):
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
    response={201: NoticeOut, **errors(403, 404, 409)},
    operation_id="public_notice_create",
    summary="发布公示",
    description="市科技局发布本批次拟认定名单的公示：起始日期与公示天数（工作日，默认取批次设置），默认截至最后一个工作日 18:00。没有拟认定的联合体时返回 409。",
)
def public_notice_create(request: HttpRequest, call_id: int, payload: NoticeIn):
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


@router.get(
    "/public-notices",
    response={200: list[NoticeOut]},
    auth=None,
    operation_id="public_notice_list",
    summary="公示列表",
    description="已开始的公示及其联合体名单（current=true 只列出仍在公示期内的）。无需登录。",
)
def public_notice_list(request: HttpRequest, current: bool = False):
    notices = queries.public_notices_with_entries()
    if current:
        notices = notices.filter(ends_at__gt=clock.now())
    return [_notice(n) for n in notices]


@router.post(
    "/public-notices/{notice_id}/objections",
    response={201: ObjectionReceipt, **errors(409)},
    auth=None,
    operation_id="objection_create",
    summary="提出异议",
    description="在公示期内对公示中的联合体提出异议：个人须实名并留手机号码，单位须填写名称与统一社会信用代码。公示期外返回 409（deadline_passed）。无需登录；按来源地址限制频率。",
)
def objection_create(request: HttpRequest, notice_id: int, payload: ObjectionIn):
    notice = queries.public_notice(notice_id)
    data = payload.dict()
    data["application"] = str(data.pop("application_id"))
    objection = services.file_objection(notice, data, ip=client_ip(request))
    return 201, {"receipt_no": objection.receipt_no, "submitted_at": clock.local(objection.submitted_at)}


@router.post(
    "/objections/{objection_id}/resolve",
    response={200: ObjectionOut, **errors(403, 409)},
    operation_id="objection_resolve",
    summary="处理异议",
    description="市科技局记录异议的调查情况与处理结果；异议成立（upheld）时该联合体从拟认定名单中移除。已处理过的异议返回 409。",
)
def objection_resolve(request: HttpRequest, objection_id: int, payload: ObjectionResolveIn):
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
    response={201: RecognizedOut, **errors(403, 409)},
    operation_id="recognition_create",
    summary="认定联合体",
    description="市科技局认定一个公示期满且无成立异议的联合体：认定文号、认定日期与唯一的正式名称。状态不符或已认定时返回 409。",
)
def recognition_create(request: HttpRequest, application_id: int, payload: RecognitionIn):
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


@router.get(
    "/recognized",
    response={200: list[RecognizedOut]},
    auth=None,
    operation_id="recognized_list",
    summary="已认定名录",
    description="已认定创新联合体的公开名录，可按年度与产业筛选；已撤销的注明撤销日期与原因。无需登录。",
)
def recognized_list(request: HttpRequest, year: int | None = None, industry_id: int | None = None):
    return [_recognized(r) for r in queries.recognized(year=year, industry=industry_id)]


@router.post(
    "/recognized/{recognition_id}/assessments",
    response={201: AssessmentOut, **errors(403, 409)},
    operation_id="assessment_submit",
    summary="提交年度考核材料",
    description="已认定联合体的牵头单位提交年度自评（multipart）：进展、运行机制、成果转化、本地配套占比及附件（按内容识别）。同一年度已提交或认定已撤销时返回 409。",
)
def assessment_submit(
    request: HttpRequest,
    recognition_id: int,
    payload: Form[AssessmentIn],
    attachments: File[list[UploadedFile]] = None,  # type: ignore[assignment]
):
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


@router.post(
    "/assessments/{assessment_id}/grade",
    response={200: AssessmentOut, **errors(403, 409)},
    operation_id="assessment_grade",
    summary="评定年度考核",
    description="市科技局或评审专家评定一份年度自评：excellent（优秀）、pass（合格）或 fail（不合格），可附评语。结果已公示后不能修改（409）。",
)
def assessment_grade(request: HttpRequest, assessment_id: int, payload: GradeIn):
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
