"""API: 评审 — intake, formal review, site visits, the expert pool, draws, ranking, and the experts' work.

Every endpoint calls the same services as the pages; anything the caller may not see is 404.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile

from sciplan.api.schemas import Id, errors
from sciplan.applications.queries import get_application_for
from sciplan.applications.workflow import Status
from sciplan.calls.models import Call, Recommender
from sciplan.core import audit
from sciplan.core.http import client_ip
from sciplan.review import experts as pool
from sciplan.review import invitations, panels, scoring, services
from sciplan.review.models import GONE, Expert

router = Router(tags=["评审"])


def _user(request: HttpRequest):
    return request.auth


# --- shapes ------------------------------------------------------------------------------------------


class PaperReceiptIn(Schema):
    received_on: date = Field(description="接收日期")
    copies: int = Field(description="份数", ge=1, le=99)
    received_by: str = Field(description="接收人", max_length=50)
    note: str = Field("", description="备注", max_length=300)


class PaperReceiptOut(Schema):
    id: int = Field(description="纸质材料接收记录编号")
    application_id: int = Field(description="申报书编号")
    received_on: date = Field(description="接收日期")
    copies: int = Field(description="份数")
    received_by: str = Field(description="接收人")
    intake_missing: list[str] = Field(description="通过受理还缺少的材料")


class FormalReviewIn(Schema):
    outcome: str = Field(
        description="pass（通过）、fail（不通过）或 return（退回补正）",
        json_schema_extra={"enum": ["pass", "fail", "return"]},
    )
    checklist: dict[str, bool] = Field(
        default_factory=dict,
        description=(
            "审查清单：项目代码 → 是否符合。代码为 att_<必传附件类型>（按批次要求）、agreements、platform、"
            "paper_matches、signed、complete；通过时须全部为 true"
        ),
    )
    reason: str = Field("", description="审查意见；不通过或退回补正时必填", max_length=2000)
    deadline: datetime | None = Field(None, description="退回补正时的补正截止时间")


class FormalReviewOut(Schema):
    id: int = Field(description="形式审查记录编号")
    application_id: int = Field(description="申报书编号")
    outcome: str = Field(
        description="审查结论：pass 通过、fail 不通过、return 退回补正",
        json_schema_extra={"enum": ["pass", "fail", "return"]},
    )
    status: str = Field(description="申报书的新状态", json_schema_extra={"enum": [s.value for s in Status]})
    correction_deadline: datetime | None = Field(description="补正截止时间（退回补正时）")


class SiteVisitOut(Schema):
    id: int = Field(description="现场考察记录编号")
    application_id: int = Field(description="申报书编号")
    visit_date: date = Field(description="考察日期")
    team: str = Field(description="考察组成员")
    findings: str = Field(description="考察情况")
    conclusion: str = Field(
        description="考察结论：confirmed 情况属实、partly 基本属实需整改、not_confirmed 与申报不符",
        json_schema_extra={"enum": ["confirmed", "partly", "not_confirmed"]},
    )
    files: list[str] = Field(description="已保存的附件文件名")


class ExpertOut(Schema):
    id: int = Field(description="专家编号")
    name: str = Field(description="姓名")
    organisation: str = Field(description="工作单位")
    organisation_uscc: str = Field(description="工作单位统一社会信用代码（用于回避判断）")
    fields: list[str] = Field(description="评审领域（产业编码）")
    title: str = Field(description="职称/职务")
    phone: str = Field(description="非市科技局用户看到的是脱敏号码")
    email: str = Field(description="电子邮箱（非市科技局用户看到的是脱敏地址）")
    active: bool = Field(description="是否启用；停用的专家不会被抽取")
    can_sign_in: bool = Field(description="有启用的登录账号；没有的专家不会被抽取")


class InviteOut(Schema):
    expert_id: int = Field(description="专家编号")
    user_id: int = Field(description="专家的登录账号")
    username: str = Field(description="登录名（邮件中同样告知专家）")
    created: bool = Field(description="true：新开设账号；false：账号已存在，重新发送了链接")


class ExpertIn(Schema):
    name: str = Field(description="姓名", max_length=50)
    organisation: str = Field(description="工作单位", max_length=200)
    organisation_uscc: str = Field("", description="工作单位统一社会信用代码（用于回避判断）", max_length=18)
    fields: list[str] = Field(description="产业编码或名称（1+3+X）")
    title: str = Field("", description="职称/职务", max_length=50)
    phone: str = Field("", description="手机号码", max_length=20)
    email: str = Field("", description="电子邮箱（邀请开设账号时必填）", max_length=254)
    active: bool = Field(True, description="是否启用")
    user: str | None = Field(None, description="关联的专家账号用户名")


class ImportRowOut(Schema):
    line: int = Field(description="表格中的行号")
    errors: dict[str, str] = Field(description="列名 → 中文错误信息")


class ImportOut(Schema):
    imported: int = Field(description="已导入的专家人数")
    rows: int = Field(description="表格中的数据行数")
    errors: list[ImportRowOut] = Field(description="有误的行")
    invited: int = Field(0, description="已发送账号邀请的专家人数（invite=true 时）")
    not_invited: list[str] = Field(default_factory=list, description="未发送邀请的专家及原因")


class DrawIn(Schema):
    applications: list[int] = Field(description="一份申报书，或同一领域的一组申报书")
    size: int = Field(description="每组抽取的专家人数", ge=1, le=15)
    seed: str | None = Field(None, description="随机种子；不填则由系统生成并记录")


class DrawOut(Schema):
    id: int = Field(description="抽取记录编号（panel_verify 使用）")
    field: str = Field(description="评审领域（产业编码）")
    size: int = Field(description="抽取人数")
    seed: str = Field(description="随机种子")
    snapshot_hash: str = Field(description="专家库快照的 SHA-256")
    result: list[int] = Field(description="抽中的专家编号，按抽取顺序")
    applications: list[int] = Field(description="本次抽取覆盖的申报书编号")


class PanelVerifyOut(Schema):
    """专家抽取的复核结果。"""

    ok: bool = Field(description="复核一致：重新抽取的结果与记录相同，且快照未被改动")
    message: str = Field(description="中文复核结论")
    recorded: list[int] = Field(description="记录的抽取结果（专家编号）")
    recomputed: list[int] = Field(description="按种子与快照重新抽取的结果（专家编号）")
    snapshot_hash_ok: bool = Field(description="专家库快照与记录的 SHA-256 一致")


class RankRowOut(Schema):
    application_id: int = Field(description="申报书编号")
    name: str = Field(description="联合体名称")
    lead_unit: str = Field(description="牵头单位")
    recommender: str = Field(description="推荐单位")
    scores: int = Field(description="已提交的评分份数")
    panel: int = Field(description="评审组人数")
    mean: str | None = Field(description="平均分（两位小数的十进制字符串）；评分未齐时为空")
    score: str | None = Field(description="计入排名的得分（两位小数的十进制字符串）")
    trimmed: bool = Field(description="是否已去掉一个最高分和一个最低分")
    rank: int | None = Field(description="名次；并列同名次，其后名次顺延")
    tied: bool = Field(description="是否与他人并列")


class RankingOut(Schema):
    call_id: int = Field(description="申报批次编号")
    confirmed: bool = Field(description="是否已确认（冻结）")
    content_hash: str | None = Field(description="确认时记录的内容哈希（SHA-256）")
    confirmed_at: datetime | None = Field(description="确认时间")
    rows: list[RankRowOut] = Field(description="排名，按名次")


class AssignmentOut(Schema):
    application_id: int = Field(description="申报书编号")
    consortium_name: str = Field(description="联合体名称")
    lead_unit: str = Field(description="牵头单位")
    members: list[str] = Field(description="成员单位名称")
    status: str = Field(
        description="任务状态：pending 待声明回避情况、active 已声明无利益冲突、recused 已回避",
        json_schema_extra={"enum": ["pending", "active", "recused"]},
    )
    declared_at: datetime | None = Field(description="声明时间")
    scored: bool = Field(description="是否已提交评分")


class DeclareIn(Schema):
    conflict: bool = Field(description="false：声明无利益冲突；true：申请回避")
    reason: str = Field("", description="回避原因；申请回避时必填", max_length=300)


class ScoreIn(Schema):
    values: dict[str, Any] = Field(description="指标代码 → 得分")
    comments: dict[str, str] = Field(description="指标代码 → 评语")


class ScoreOut(Schema):
    application_id: int = Field(description="申报书编号")
    total: str = Field(description="总分（两位小数的十进制字符串）")
    values: dict[str, str] = Field(description="指标代码 → 得分（一位小数的十进制字符串）")
    submitted_at: datetime = Field(description="提交时间")


def _expert_out(user, expert: Expert) -> dict:
    contact = pool.contact_for(user, expert)
    return {
        "id": expert.pk,
        "name": expert.name,
        "organisation": expert.organisation,
        "organisation_uscc": expert.organisation_uscc,
        "fields": expert.fields,
        "title": expert.title,
        "active": expert.active,
        "can_sign_in": expert.user_id is not None and expert.user.is_active,
        **contact,
    }


# --- the bureau --------------------------------------------------------------------------------------


@router.post(
    "/review/applications/{application_id}/paper-receipts",
    response={201: PaperReceiptOut, **errors(404, 409)},
    operation_id="paper_receipt_create",
    summary="登记纸质材料",
    description="市科技局登记收到一份申报书的纸质材料：接收日期、份数、接收人。返回通过受理还缺少的材料。仅市科技局可用，其他角色看不到该申报书（404）。",
)
def paper_receipt_create(request, application_id: int, payload: PaperReceiptIn):
    user = _user(request)
    services.ensure_bureau(user)
    application = get_application_for(user, application_id)
    receipt = services.record_paper_receipt(application, payload.dict(), by=user)
    return 201, {
        "id": receipt.pk,
        "application_id": application.pk,
        "received_on": receipt.received_on,
        "copies": receipt.copies,
        "received_by": receipt.received_by,
        "intake_missing": services.intake_missing(application),
    }


@router.post(
    "/review/applications/{application_id}/formal-review",
    response={201: FormalReviewOut, **errors(400, 404, 409)},
    operation_id="formal_review_create",
    summary="形式审查",
    description="市科技局对申报书作出形式审查结论：通过、不通过（须填理由，终局）或退回补正（须填理由与补正截止时间）。申报书不在待审查状态时返回 409。",
)
def formal_review_create(request, application_id: int, payload: FormalReviewIn):
    user = _user(request)
    services.ensure_bureau(user)
    application = get_application_for(user, application_id)
    review = services.record_formal_review(
        application,
        checklist=payload.checklist,
        outcome=payload.outcome,
        reason=payload.reason,
        deadline=payload.deadline,
        by=user,
        ip=client_ip(request),
    )
    application.refresh_from_db()
    return 201, {
        "id": review.pk,
        "application_id": application.pk,
        "outcome": review.outcome,
        "status": application.status,
        "correction_deadline": review.correction_deadline,
    }


@router.post(
    "/review/applications/{application_id}/site-visits",
    response={201: SiteVisitOut, **errors(404, 409)},
    operation_id="site_visit_create",
    summary="登记现场考察",
    description="市科技局登记现场考察（multipart）：考察日期、考察组、情况、结论，可附照片与材料（PDF、JPG、PNG、DOCX，按内容识别）。",
)
def site_visit_create(
    request,
    application_id: int,
    visit_date: Form[date],
    team: Form[str],
    findings: Form[str],
    conclusion: Form[str],
    files: File[list[UploadedFile]] = None,  # None: a visit without files
):
    user = _user(request)
    services.ensure_bureau(user)
    application = get_application_for(user, application_id)
    from django.db import transaction

    with transaction.atomic():
        visit = services.record_site_visit(
            application,
            {"visit_date": visit_date, "team": team, "findings": findings, "conclusion": conclusion},
            by=user,
        )
        names = [
            services.add_visit_file(visit, fileobj=f, filename=f.name, by=user).original_name
            for f in files or []
        ]
    return 201, {
        "id": visit.pk,
        "application_id": application.pk,
        "visit_date": visit.visit_date,
        "team": visit.team,
        "findings": visit.findings,
        "conclusion": visit.conclusion,
        "files": names,
    }


@router.get(
    "/review/experts",
    response={200: list[ExpertOut], **errors(404)},
    operation_id="expert_list",
    summary="专家库",
    description="市科技局查看专家库，可按领域（产业编码或名称）与是否启用筛选，分页（limit 最多 500）。联系方式完整显示，每次查看记入审计日志。其他角色 404。",
)
def expert_list(request, field: str = "", active: bool | None = None, limit: int = 100, offset: int = 0):
    user = _user(request)
    services.ensure_bureau(user)
    qs = Expert.objects.select_related("user").order_by("id")
    if active is not None:
        qs = qs.filter(active=active)
    start = max(offset, 0)
    experts = list(pool.in_field(qs, field)[start : start + min(max(limit, 1), 500)])
    audit.record(
        "review.expert_contacts_view", actor=user, object_type="review.expert", detail={"count": len(experts)}
    )
    return [_expert_out(user, e) for e in experts]


@router.post(
    "/review/experts",
    response={201: ExpertOut, **errors(404, 409)},
    operation_id="expert_create",
    summary="新增专家",
    description="市科技局在专家库中新增一位专家：姓名、工作单位及其统一社会信用代码（用于回避判断）、领域、职称、联系方式。其他角色 404。",
)
def expert_create(request, payload: ExpertIn):
    user = _user(request)
    expert = pool.create_expert(payload.dict(), by=user)
    return 201, _expert_out(user, expert)


@router.post(
    "/review/experts/import",
    response={200: ImportOut, **errors(404)},
    operation_id="expert_import",
    summary="导入专家",
    description="市科技局从 XLSX 导入专家。任何一行有误则整表不导入并逐行说明，除非 import_valid_rows=true（只导入无误的行）；invite=true 时为填写了电子邮箱的专家开设账号并发送密码设置链接。",
)
def expert_import(
    request, file: File[UploadedFile], import_valid_rows: Form[bool] = False, invite: Form[bool] = False
):
    user = _user(request)
    result = pool.import_experts(
        file, by=user, import_valid_rows=import_valid_rows, invite=invite, ip=client_ip(request)
    )
    return {
        "imported": result.imported,
        "rows": len(result.rows),
        "errors": [{"line": row.line, "errors": row.errors} for row in result.errors],
        "invited": result.invited,
        "not_invited": result.not_invited,
    }


@router.post(
    "/review/experts/{expert_id}/invite",
    response={200: InviteOut, **errors(401, 404, 409, 422)},
    operation_id="expert_invite",
    summary="邀请专家（开设账号）",
    description="为专家库中的专家开设评审专家账号，并向其电子邮箱发送一次性的密码设置链接；已有账号的重新发送链接。未填写电子邮箱返回 422；账号已停用返回 409（须由系统管理员启用）。仅市科技局可用。",
)
def expert_invite(request, expert_id: Id):
    user = _user(request)
    invitation = invitations.invite_expert(
        pool.get_expert_for(user, expert_id), by=user, ip=client_ip(request)
    )
    return {
        "expert_id": invitation.expert.pk,
        "user_id": invitation.user.pk,
        "username": invitation.user.username,
        "created": invitation.created,
    }


@router.post(
    "/review/panels",
    response={201: DrawOut, **errors(404, 409)},
    operation_id="panel_draw",
    summary="抽取评审专家",
    description="市科技局为一份申报书或同一领域的一组申报书随机抽取评审专家，自动排除与牵头单位、成员单位有关联的专家；记录随机种子与专家库快照，可用 panel_verify 复核。申报书未通过形式审查或已抽取时返回 409，可抽取的专家不足时返回 422（pool_too_small）。",
)
def panel_draw(request, payload: DrawIn):
    user = _user(request)
    draw = panels.draw_panel(payload.applications, size=payload.size, seed=payload.seed, by=user)
    return 201, _draw_out(draw)


def _draw_out(draw) -> dict:
    return {
        "id": draw.pk,
        "field": draw.field,
        "size": draw.size,
        "seed": draw.seed,
        "snapshot_hash": draw.snapshot_hash,
        "result": draw.result,
        "applications": [a["id"] for a in draw.snapshot["applications"]],
    }


class DrawListQuery(Schema):
    call_id: int = Field(description="申报批次")
    application_id: int | None = Field(None, description="只列出抽取了这份申报书的记录（含补抽）")


class DrawRecordOut(DrawOut):
    is_redraw: bool = Field(description="是否为补抽（回避、声明冲突或无法联系后补足空缺）")
    reason_code: str = Field(
        description=(
            "补抽原因类别：recusal（回避）、conflict（申报冲突）、unreachable（专家无法联系）、other（其他）、"
            "self_recusal（专家本人声明回避）、vacancy（空缺席位补抽）；首次抽取为空"
        )
    )
    reason: str = Field(description="补抽原因")
    replaced: list[int] = Field(description="本次抽中、后来被替换或本人回避的专家编号")
    drawn_by: str = Field(description="操作人")
    drawn_at: datetime = Field(description="抽取时间")


class SeatsReplaceIn(Schema):
    experts: list[int] = Field(description="要替换的专家编号（须在当前评审组中且尚未提交评分）")
    reason_code: str = Field(
        description="原因：recusal（回避）、conflict（申报冲突）、unreachable（专家无法联系）、other（其他）"
    )
    reason: str = Field(description="具体情况（必填）")


class ScoreReopenIn(Schema):
    reason: str = Field(description="退回原因（必填，专家将看到）")


class ScoreReopenOut(Schema):
    """退回重评的记录。"""

    application_id: int = Field(description="申报书编号")
    expert_id: int = Field(description="专家编号")
    reason: str = Field(description="市科技局写明的退回理由")
    previous_total: str = Field(description="退回前的评分合计")
    reopened_at: datetime = Field(description="退回时间")


@router.get(
    "/review/panels",
    response={200: list[DrawRecordOut], **errors(401, 404)},
    operation_id="panel_list",
    summary="专家抽取记录",
    description="本批次的全部抽取记录，新的在前，每条含种子与快照校验值，可逐条用 panel_verify 复核；补抽记录一并列出。",
)
def panel_list(request, query: Query[DrawListQuery]):
    user = _user(request)
    draws = panels.draws_for(user, query.call_id, application_id=query.application_id)
    return [_draw_record_out(d) for d in draws]


def _draw_record_out(d) -> dict:
    return {
        **_draw_out(d),
        "is_redraw": d.is_redraw,
        "reason_code": d.reason_code,
        "reason": d.reason,
        "replaced": sorted({a.expert_id for a in d.assignments.all() if a.status in GONE}),
        "drawn_by": d.drawn_by.display_name,
        "drawn_at": d.drawn_at,
    }


@router.post(
    "/review/applications/{application_id}/panel/replace",
    response={201: DrawRecordOut, **errors(401, 404, 409, 422)},
    operation_id="panel_replace",
    summary="替换评审组专家并重新抽取",
    description="评审组抽定后只能逐一替换专家，须选择原因并写明具体情况；被替换的专家与原抽取记录一并保留，可用 panel_list 查看。",
)
def panel_replace(request, application_id: int, payload: SeatsReplaceIn):
    user = _user(request)
    application = panels.panel_record(user, application_id).application
    draw = panels.replace_seats(
        application,
        assignment_ids=panels.seat_ids(application, payload.experts),
        reason_code=payload.reason_code,
        reason=payload.reason,
        by=user,
    )
    return 201, _draw_record_out(draw)


@router.post(
    "/review/applications/{application_id}/experts/{expert_id}/score/reopen",
    response={200: ScoreReopenOut, **errors(401, 404, 409, 422)},
    operation_id="score_reopen",
    summary="退回专家评分",
    description="退回一位专家已提交（已锁定）的评分供其修改，须写明原因；专家会收到通知，重新提交前原评分仍计入。",
)
def score_reopen(request, application_id: int, expert_id: int, payload: ScoreReopenIn):
    user = _user(request)
    score = scoring.score_of_expert(user, application_id, expert_id)
    reopening = scoring.reopen_score(score, reason=payload.reason, by=user, ip=client_ip(request))
    return {
        "application_id": application_id,
        "expert_id": expert_id,
        "reason": reopening.reason,
        "previous_total": str(reopening.previous_total),
        "reopened_at": reopening.reopened_at,
    }


@router.get(
    "/review/panels/{draw_id}/verify",
    response={200: PanelVerifyOut, **errors(404)},
    operation_id="panel_verify",
    summary="复核专家抽取",
    description="按记录的随机种子与专家库快照重新抽取一次，核对结果与记录是否一致、快照是否未被改动。仅市科技局可用。",
)
def panel_verify(request, draw_id: int):
    user = _user(request)
    outcome = panels.verify_draw(panels.get_draw_for(user, draw_id), by=user)
    return {
        "ok": outcome.ok,
        "message": outcome.message,
        "recorded": outcome.expected,
        "recomputed": outcome.recomputed,
        "snapshot_hash_ok": outcome.hash_ok,
    }


def _ranking_out(call) -> dict:
    from sciplan.review.models import Ranking

    ranking = Ranking.objects.filter(call=call).first()
    if ranking is not None:
        return {
            "call_id": call.pk,
            "confirmed": True,
            "content_hash": ranking.content_hash,
            "confirmed_at": ranking.confirmed_at,
            "rows": ranking.rows,
        }
    from dataclasses import asdict

    rows = [asdict(r) for r in scoring.compute_ranking(call)]
    return {"call_id": call.pk, "confirmed": False, "content_hash": None, "confirmed_at": None, "rows": rows}


@router.get(
    "/review/calls/{call_id}/ranking",
    response={200: RankingOut, **errors(404)},
    operation_id="ranking_get",
    summary="评审排名",
    description="本批次的评审排名：去掉最高分与最低分后取平均分，并列同名次，其后名次顺延；确认后返回冻结的版本及其内容哈希。",
)
def ranking_get(request, call_id: int):
    return _ranking_out(scoring.get_call_for(_user(request), call_id))


@router.post(
    "/review/calls/{call_id}/ranking/confirm",
    response={200: RankingOut, **errors(404, 409)},
    operation_id="ranking_confirm",
    summary="确认评审排名",
    description="确认本批次的评审排名：记录内容哈希并冻结，此后评分不能再提交或修改。尚有专家未评分、有申报书未抽取专家或已确认时返回 409。",
)
def ranking_confirm(request, call_id: int):
    user = _user(request)
    call = scoring.get_call_for(user, call_id)
    scoring.confirm_ranking(call, by=user)
    return _ranking_out(call)


# --- experts -----------------------------------------------------------------------------------------


@router.get(
    "/review/assignments",
    response={200: list[AssignmentOut], **errors(404)},
    operation_id="assignment_list",
    summary="我的评审任务",
    description="评审专家查看分配给本人的评审任务，含牵头单位与成员单位名单，供判断是否需要回避。",
)
def assignment_list(request):
    items = list(panels.assignments_for(_user(request)).prefetch_related("application__members"))
    return [
        {
            "application_id": a.application_id,
            "consortium_name": a.application.consortium_name,
            "lead_unit": a.application.lead_unit.name,
            "members": [m.name for m in a.application.members.all()],
            "status": a.status,
            "declared_at": a.declared_at,
            "scored": hasattr(a, "score"),
        }
        for a in items
    ]


@router.post(
    "/review/assignments/{application_id}/declaration",
    response={200: AssignmentOut, **errors(404, 409)},
    operation_id="conflict_declare",
    summary="声明利益冲突",
    description="评审专家对一份申报书声明无利益冲突（之后方可查看申报书与评分），或申请回避（须说明原因，系统自动补抽）。已回避或已评分时返回 409。",
)
def conflict_declare(request, application_id: int, payload: DeclareIn):
    user = _user(request)
    assignment = panels.declare(
        panels.get_assignment_for(user, application_id),
        conflict=payload.conflict,
        reason=payload.reason,
        by=user,
    )
    application = assignment.application
    return {
        "application_id": application.pk,
        "consortium_name": application.consortium_name,
        "lead_unit": application.lead_unit.name,
        "members": list(application.members.values_list("name", flat=True)),
        "status": assignment.status,
        "declared_at": assignment.declared_at,
        "scored": False,
    }


@router.post(
    "/review/assignments/{application_id}/score",
    response={201: ScoreOut, **errors(404, 409)},
    operation_id="score_submit",
    summary="提交评分",
    description="评审专家按评分指标逐项打分（0 至满分，最多一位小数）并填写评语；须先声明无利益冲突。提交后评分即锁定，再次提交返回 409（score_locked），除非市科技局已用 score_reopen 退回；排名确认后不能再提交或修改（409）。",
)
def score_submit(request, application_id: int, payload: ScoreIn):
    user = _user(request)
    score = scoring.submit_score(
        panels.get_assignment_for(user, application_id),
        values=payload.values,
        comments=payload.comments,
        by=user,
        ip=client_ip(request),
    )
    return 201, {
        "application_id": application_id,
        "total": str(score.total),
        "values": score.values,
        "submitted_at": score.submitted_at,
    }


# --- what the bureau's review pages also do ------------------------------------------------------------


class SummaryTableIn(Schema):
    recommender_id: int = Field(ge=1, le=2**63 - 1, description="报送信息汇总表的推荐单位")
    received_on: date = Field(description="接收日期")
    received_by: str = Field(max_length=50, description="接收人，最多50字")


class SummaryTableOut(Schema):
    id: int = Field(description="汇总表接收记录编号")
    call_id: int = Field(description="申报批次")
    recommender_id: int = Field(description="推荐单位")
    received_on: date = Field(description="接收日期")
    received_by: str = Field(description="接收人")


class AvoidIn(Schema):
    expert_id: int = Field(ge=1, le=2**63 - 1, description="须回避的专家")
    reason: str = Field("", max_length=300, description="回避理由，最多300字")


class AvoidOut(Schema):
    application_id: int = Field(description="申报书")
    expert_id: int = Field(description="须回避的专家；抽取时不再抽到")
    reason: str = Field(description="回避理由")


@router.post(
    "/review/calls/{call_id}/summary-tables",
    response={201: SummaryTableOut, **errors(401, 404, 422)},
    operation_id="summary_table_receipt_create",
    summary="登记收到信息汇总表",
    description="登记收到一个推荐单位报送的纸质信息汇总表（再次登记覆盖原记录）。仅市科技局。",
)
def summary_table_receipt_create(request, call_id: Id, payload: SummaryTableIn):
    user = _user(request)
    services.ensure_bureau(user)
    call = get_object_or_404(Call, pk=call_id)
    recommender = get_object_or_404(Recommender, pk=payload.recommender_id)
    receipt = services.record_summary_table(call, recommender, payload.dict(), by=user)
    return 201, {
        "id": receipt.pk,
        "call_id": call.pk,
        "recommender_id": recommender.pk,
        "received_on": receipt.received_on,
        "received_by": receipt.received_by,
    }


@router.put(
    "/review/experts/{expert_id}",
    response={200: ExpertOut, **errors(401, 404, 422)},
    operation_id="expert_update",
    summary="修改专家信息",
    description="修改专家库中一位专家的信息（整条替换，与网页表单相同）；停用的专家不再被抽取。仅市科技局。",
)
def expert_update(request, expert_id: Id, payload: ExpertIn):
    user = _user(request)
    expert = pool.update_expert(pool.get_expert_for(user, expert_id), payload.dict(), by=user)
    return _expert_out(user, expert)


@router.post(
    "/review/applications/{application_id}/avoid",
    response={201: AvoidOut, **errors(401, 404, 422)},
    operation_id="avoid_create",
    summary="列入回避名单",
    description="将一位专家列入一份申报书的回避名单（抽取与补抽时排除）。仅市科技局。",
)
def avoid_create(request, application_id: Id, payload: AvoidIn):
    user = _user(request)
    services.ensure_bureau(user)
    application = get_application_for(user, application_id)
    expert = pool.get_expert_for(user, payload.expert_id)
    entry = panels.add_avoid(application, expert, reason=payload.reason, by=user)
    return 201, {"application_id": application.pk, "expert_id": expert.pk, "reason": entry.reason}


@router.post(
    "/review/applications/{application_id}/panel/fill",
    response={201: DrawOut, **errors(401, 404, 409, 422)},
    operation_id="panel_fill",
    summary="补抽评审专家",
    description="专家库扩充后补足一份申报书评审组的空缺席位；与抽取一样记录随机种子与快照。仅市科技局。",
)
def panel_fill(request, application_id: Id):
    user = _user(request)
    services.ensure_bureau(user)
    draw = panels.fill_vacancies(get_application_for(user, application_id), by=user)
    return 201, _draw_out(draw)
