"""API: 申报书 — the applicant's application, its members, platforms and files, checks and actions.

Every operation reads through ``applications.queries`` (404 outside the caller's scope) and writes
through ``applications.services`` / ``applications.actions``, the same functions the pages call, so the
API enforces the same permissions, deadlines and validation.
"""

from __future__ import annotations

from typing import IO, Annotated, Any, cast

from django.db import transaction
from django.http import HttpResponse
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field

from sciplan.api.auth import ApiRequest
from sciplan.api.schemas import (
    MAX_ID,
    ApplicationCreateIn,
    ApplicationDetail,
    ApplicationPage,
    ApplicationPatch,
    ApplicationPatchBase,
    AttachmentOut,
    EligibilityOut,
    HistoryOut,
    Id,
    MemberConfirmIn,
    MemberConfirmOut,
    MemberCreated,
    MemberIn,
    MemberPatch,
    PlatformIn,
    PlatformOut,
    PlatformPatch,
    TransitionIn,
    TransitionOut,
    application_detail_out,
    attachment_out,
    binary_content,
    errors,
    member_out,
    platform_out,
    summary_out,
    version_out,
)
from sciplan.applications import actions, budget, eligibility, queries, services
from sciplan.applications.models import Application, Attachment, AttachmentKind, RdPlatform, StatusEvent
from sciplan.applications.sections import SECTIONS
from sciplan.applications.workflow import Action, Status
from sciplan.calls.models import Call
from sciplan.core import audit, clock, filetypes, storage
from sciplan.core.errors import Conflict, NotFound, ValidationFailed
from sciplan.core.http import client_ip

router = Router(tags=["申报书"])


def _detail(user, pk: int) -> dict:
    return application_detail_out(queries.application_detail(user, pk), user)


def _summary(user, pk: int) -> dict:
    application = queries.applications_for(user).filter(pk=pk).first()
    if application is None:
        raise NotFound()
    return summary_out(application)


# --- the application ----------------------------------------------------------------------------------


class ListFilter(Schema):
    status: Status | None = Field(None, description="按状态筛选")
    call_id: int | None = Field(None, ge=1, le=MAX_ID, description="按申报批次筛选")
    limit: int = Field(50, ge=1, le=200, description="每页条数，最多200")
    offset: int = Field(0, ge=0, le=1_000_000, description="跳过的条数")


@router.get(
    "/applications",
    operation_id="application_list",
    summary="申报书列表",
    description=(
        "当前用户可见的申报书：申报单位看本单位的，推荐单位与财政部门看本辖区已提交的，市科技局看全部已提交的。"
        "按最后保存时间倒序，分页。"
    ),
    response={200: ApplicationPage, **errors(401, 422)},
)
def application_list(request: ApiRequest, filters: Query[ListFilter]):
    qs = queries.applications_for(request.auth)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.call_id:
        qs = qs.filter(call_id=filters.call_id)
    count = qs.count()
    items = [summary_out(a) for a in qs[filters.offset : filters.offset + filters.limit]]
    return {"count": count, "items": items}


@router.post(
    "/applications",
    operation_id="application_create",
    summary="新建申报书",
    description="为本单位在指定批次新建一份申报书（草稿）。每个单位在同一批次只能有一份有效申报书（409）；申报截止后不能新建（409）。",
    response={201: ApplicationDetail, **errors(401, 403, 404, 409, 422)},
)
def application_create(request: ApiRequest, payload: ApplicationCreateIn):
    call = Call.objects.public().filter(pk=payload.call_id).first()
    if call is None:
        raise NotFound("没有这个申报批次。")
    application = services.create_application(call=call, by=request.auth, ip=client_ip(request))
    return 201, _detail(request.auth, application.pk)


@router.get(
    "/applications/{application_id}",
    operation_id="application_get",
    summary="申报书详情",
    description=(
        "申报书的全部内容：各栏目字段、近三年财务数据、研发平台、成员单位、附件信息、提交版本，"
        "经费预算（建设期三年的资金来源与用途及合计），以及当前用户可执行的操作。version 为修改版本号，修改时须回传。"
    ),
    response={200: ApplicationDetail, **errors(401, 404)},
)
def application_get(request: ApiRequest, application_id: Id):
    return _detail(request.auth, application_id)


# API name → the name the section service knows.
RENAMED = {"industry_id": "industry", "recommender_id": "recommender"}
SECTION_OF = {name: s.code for s in SECTIONS for name in s.fields}
SECTION_OF["recommender"] = "basic"


def _api_name(name: str) -> str:
    for api_name, service_name in RENAMED.items():
        if name == service_name:
            return api_name
    match = budget.KEY.match(name)
    if match:
        return f"budget.{match.group(1)}.{match.group(2)}"
    if name.startswith(("revenue_", "rd_")):
        kind, _, year = name.partition("_")
        return f"finances.{year}.{'revenue' if kind == 'revenue' else 'rd_spending'}"
    return name


def _by_section(payload: Any, call: Call) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Split a PATCH body into the sections' own field names; unknown years are reported, not dropped."""
    data = payload.dict(exclude_unset=True)
    data.pop("version", None)
    groups: dict[str, dict[str, Any]] = {}
    problems: dict[str, str] = {}
    for year_row in data.pop("finances", None) or []:
        year = year_row["year"]
        if year not in call.rd_years:
            problems[f"finances.{year}"] = f"本批次统计的年度为{'、'.join(map(str, call.rd_years))}。"
            continue
        for key, name in (("revenue", "revenue"), ("rd_spending", "rd")):
            if key in year_row:
                value = year_row[key]
                groups.setdefault("lead", {})[f"{name}_{year}"] = "" if value is None else str(value)
    for year_row in data.pop("budget", None) or []:
        index = year_row.pop("index")
        for line, value in year_row.items():
            groups.setdefault("plan", {})[budget.key(index, line)] = "" if value is None else str(value)
    for name, value in data.items():
        name = RENAMED.get(name, name)
        section = SECTION_OF.get(name)
        if section is None:
            continue
        if hasattr(value, "quantize"):
            value = str(value)
        groups.setdefault(section, {})[name] = value
    return groups, problems


class _Refused(Exception):
    pass


@router.patch(
    "/applications/{application_id}",
    operation_id="application_update",
    summary="修改申报书",
    description=(
        "部分修改：只列出要改的字段，并带上修改所基于的 version。各栏目按同一规则保存，全部成功才生效："
        "任一字段有误返回 422 及“字段 → 中文提示”；同单位他人在此期间已修改了同一字段且内容不同，返回 409，"
        "current 中给出当前版本号与这些字段的当前内容，不会覆盖。status、lead_unit 等只读字段即使出现在请求中也一律忽略。"
    ),
    response={200: ApplicationDetail, **errors(401, 403, 404, 409, 422)},
)
def application_update(request: ApiRequest, application_id: Id, payload: ApplicationPatch):  # type: ignore[valid-type]
    user = request.auth
    patch: ApplicationPatchBase = payload
    application = queries.get_application_for(user, application_id)
    if patch.version > application.version:
        # A version nobody has saved yet would slip past the conflict check of every field.
        message = f"版本号{patch.version}不存在（当前为{application.version}），请重新读取申报书后再修改。"
        raise ValidationFailed(message, field_errors={"version": message})
    groups, field_errors = _by_section(patch, application.call)
    conflicts: dict[str, Any] = {}
    current_version = None
    try:
        with transaction.atomic():
            for section, data in groups.items():
                try:
                    services.save_section(
                        application, section, data, base_version=patch.version, by=user, partial_ok=False
                    )
                except ValidationFailed as exc:
                    field_errors.update({_api_name(k): v for k, v in exc.field_errors.items()})
                except Conflict as exc:
                    if exc.code != "stale":
                        raise
                    current_version = exc.current.get("version")
                    conflicts.update({_api_name(k): v for k, v in exc.current.get("fields", {}).items()})
            if conflicts or field_errors:
                raise _Refused
    except _Refused:
        if conflicts:
            raise Conflict(
                "您编辑期间，同单位其他人员已修改并保存了以下内容。请对照两个版本后再保存。",
                current={"version": current_version, "fields": conflicts},
                code="stale",
            ) from None
        raise ValidationFailed("部分内容填写有误，请按提示修改。", field_errors=field_errors) from None
    return _detail(user, application_id)


@router.get(
    "/applications/{application_id}/eligibility",
    operation_id="eligibility_check",
    summary="资格自查",
    description="按本批次规则逐条检查：硬性条件全部满足才能提交；提示项仅供参考。随时可查，不改变任何内容。",
    response={200: EligibilityOut, **errors(401, 404)},
)
def eligibility_check(request: ApiRequest, application_id: Id):
    application = queries.application_detail(request.auth, application_id)
    now = clock.now()
    results = eligibility.check_application(application, at=now)
    return {
        "eligible": not eligibility.hard_failures(results),
        "checked_at": now,
        "rules": [
            {
                "code": r.code,
                "title": r.title,
                "passed": r.passed,
                "hard": r.hard,
                "messages": r.messages,
                "summary": r.summary,
            }
            for r in results
        ],
    }


@router.post(
    "/applications/{application_id}/transitions",
    operation_id="application_transition",
    summary="执行流程操作",
    description=(
        "提交、撤回、受理、退回、推荐、不予推荐、财政部门确认等流程操作，与网页走同一处理。"
        "谁能在什么状态、什么时间执行什么操作，由流程表决定：不允许时返回 409（状态或截止时间）或 403（角色）。"
        "带 idempotency_key 的请求重复发送只生效一次；提交类操作返回提交版本与回执编号。"
    ),
    response={200: TransitionOut, **errors(400, 401, 403, 404, 409, 422)},
)
def application_transition(request: ApiRequest, application_id: Id, payload: TransitionIn):
    user = request.auth
    application = queries.get_application_for(user, application_id)
    actions.perform(
        application,
        payload.action,
        by=user,
        reason=payload.reason,
        idempotency_key=payload.idempotency_key or None,
        ip=client_ip(request),
        payload=payload.payload,
    )
    version = None
    if payload.action in (Action.SUBMIT, Action.SUBMIT_CORRECTION):
        latest = application.versions.order_by("-number").first()
        version = version_out(latest) if latest else None
    return {"application": _summary(user, application_id), "version": version}


@router.get(
    "/applications/{application_id}/history",
    operation_id="application_history",
    summary="流转记录与提交版本",
    description="申报书的每一次状态变化（谁、何时、从何状态到何状态、意见）及每个提交版本的回执编号。",
    response={200: HistoryOut, **errors(401, 404)},
)
def application_history(request: ApiRequest, application_id: Id):
    application = queries.get_application_for(request.auth, application_id)
    versions = list(application.versions.order_by("number"))
    receipts = {v.number: v.receipt_no for v in versions}
    events = StatusEvent.objects.filter(application=application).select_related("actor").order_by("at", "id")
    return {
        "events": [
            {
                "action": e.action,
                "action_label": Action(e.action).label if e.action in Action.values else e.action,
                "from_status": e.from_status,
                "from_status_label": e.get_from_status_display(),
                "to_status": e.to_status,
                "to_status_label": e.get_to_status_display(),
                "actor_name": e.actor.display_name,
                "actor_role": e.actor_role,
                "at": e.at,
                "reason": e.reason,
                "version_number": e.version_number,
                "receipt_no": receipts.get(e.version_number) if e.version_number else None,
            }
            for e in events
        ],
        "versions": [version_out(v) for v in versions],
    }


# --- members ------------------------------------------------------------------------------------------


@router.post(
    "/applications/{application_id}/members",
    operation_id="member_create",
    summary="添加成员单位",
    description=(
        "添加一家成员单位。返回的 confirm_token 只出现这一次：请转交该成员单位，由其调用 member_confirm 在线确认参与；"
        "未确认的成员单位会阻止提交。"
    ),
    response={201: MemberCreated, **errors(401, 403, 404, 409, 422)},
)
def member_create(request: ApiRequest, application_id: Id, payload: MemberIn):
    application = queries.get_application_for(request.auth, application_id)
    result = services.add_member(
        application, payload.dict(exclude_unset=True), by=request.auth, ip=client_ip(request)
    )
    return 201, {**member_out(result.member, reveal=True), "confirm_token": result.confirm_token}


@router.patch(
    "/applications/{application_id}/members/{member_id}",
    operation_id="member_update",
    summary="修改成员单位",
    description=(
        "部分修改一家成员单位，须带上修改所基于的成员 version（他人已修改时返回 409 及当前内容）。"
        "修改名称、信用代码、类别、分工或协议信息后，该成员须重新确认：此时返回新的 confirm_token。"
    ),
    response={200: MemberCreated, **errors(401, 403, 404, 409, 422)},
)
def member_update(request: ApiRequest, application_id: Id, member_id: Id, payload: MemberPatch):
    application = queries.get_application_for(request.auth, application_id)
    member = queries.get_member_for(request.auth, application, member_id)
    data = payload.dict(exclude_unset=True)
    base_version = data.pop("version")
    result = services.update_member(
        member, data, base_version=base_version, by=request.auth, ip=client_ip(request)
    )
    return {**member_out(result.member, reveal=True), "confirm_token": result.confirm_token}


@router.post(
    "/applications/{application_id}/members/{member_id}/confirm-token",
    operation_id="member_link_reissue",
    summary="重新生成成员确认令牌",
    description=(
        "为一家成员单位生成新的一次性确认令牌（confirm_token，只出现这一次），原令牌立即失效；"
        "用于令牌遗失或转交有误。与网页“重新生成确认链接”相同。"
    ),
    response={200: MemberCreated, **errors(401, 403, 404, 409)},
)
def member_link_reissue(request: ApiRequest, application_id: Id, member_id: Id):
    application = queries.get_application_for(request.auth, application_id)
    member = queries.get_member_for(request.auth, application, member_id)
    token = services.reissue_member_link(member, by=request.auth)
    member.refresh_from_db()
    return {**member_out(member, reveal=True), "confirm_token": token}


@router.delete(
    "/applications/{application_id}/members/{member_id}",
    operation_id="member_delete",
    summary="删除成员单位",
    description="删除一家成员单位及其合作协议附件（已被提交版本引用的附件保留备查）。",
    response={204: None, **errors(401, 403, 404, 409)},
)
def member_delete(request: ApiRequest, application_id: Id, member_id: Id):
    application = queries.get_application_for(request.auth, application_id)
    member = queries.get_member_for(request.auth, application, member_id)
    services.delete_member(member, by=request.auth, ip=client_ip(request))
    return HttpResponse(status=204)


@router.post(
    "/members/confirm",
    auth=None,
    operation_id="member_confirm",
    summary="成员单位确认参与",
    description="成员单位凭牵头单位转交的一次性确认令牌确认参与联合体，须填写确认人姓名。令牌用后即失效。无需登录。",
    response={200: MemberConfirmOut, **errors(404, 409, 422)},
)
def member_confirm(request: ApiRequest, payload: MemberConfirmIn):
    member = services.confirm_member(
        payload.token, confirmer_name=payload.confirmer_name, ip=client_ip(request)
    )
    application = Application.objects.select_related("lead_unit").get(pk=member.application_id)
    return {
        "member_name": member.name,
        "consortium_name": application.consortium_name,
        "lead_unit_name": application.lead_unit.name,
        "confirmed_at": member.confirmed_at,
    }


# --- R&D platforms (needed to complete an application through the API) -------------------------------


def _platform(user, application: Application, platform_id: int) -> RdPlatform:
    platform = application.platforms.filter(pk=platform_id).first()
    if platform is None:
        raise NotFound()
    return platform


@router.post(
    "/applications/{application_id}/platforms",
    operation_id="platform_create",
    summary="添加研发平台",
    description="添加牵头单位的一个研发平台；平台证书通过 attachment_upload（kind=platform_certificate, platform_id）上传。",
    response={201: PlatformOut, **errors(401, 403, 404, 409, 422)},
)
def platform_create(request: ApiRequest, application_id: Id, payload: PlatformIn):
    application = queries.get_application_for(request.auth, application_id)
    platform = services.add_platform(application, payload.dict(), by=request.auth)
    return 201, platform_out(platform)


@router.patch(
    "/applications/{application_id}/platforms/{platform_id}",
    operation_id="platform_update",
    summary="修改研发平台",
    description="部分修改一个研发平台，须带上修改所基于的平台 version（他人已修改时返回 409）。",
    response={200: PlatformOut, **errors(401, 403, 404, 409, 422)},
)
def platform_update(request: ApiRequest, application_id: Id, platform_id: Id, payload: PlatformPatch):
    application = queries.get_application_for(request.auth, application_id)
    platform = _platform(request.auth, application, platform_id)
    data = payload.dict(exclude_unset=True)
    base_version = data.pop("version")
    platform = services.update_platform(platform, data, base_version=base_version, by=request.auth)
    return platform_out(platform)


@router.delete(
    "/applications/{application_id}/platforms/{platform_id}",
    operation_id="platform_delete",
    summary="删除研发平台",
    description="删除一个研发平台及其证书附件（已被提交版本引用的附件保留备查）。",
    response={204: None, **errors(401, 403, 404, 409)},
)
def platform_delete(request: ApiRequest, application_id: Id, platform_id: Id):
    application = queries.get_application_for(request.auth, application_id)
    services.delete_platform(_platform(request.auth, application, platform_id), by=request.auth)
    return HttpResponse(status=204)


# --- attachments --------------------------------------------------------------------------------------


def _attachment(user, application_id: int, attachment_id: int) -> Attachment:
    attachment = queries.get_attachment_for(user, attachment_id)
    if attachment.application_id != application_id:
        raise NotFound()
    return attachment


@router.post(
    "/applications/{application_id}/attachments",
    operation_id="attachment_upload",
    summary="上传附件",
    description=(
        "multipart/form-data 上传：kind 附件类型、file 文件；合作协议须给 member_id，平台证书须给 platform_id。"
        "文件按内容识别格式（PDF、JPG、PNG、DOCX、XLSX，各类型允许的格式不同），与文件名无关；"
        "不符合的返回 422。上传不受申报截止时间限制。"
    ),
    response={201: AttachmentOut, **errors(401, 403, 404, 409, 422)},
)
def attachment_upload(
    request: ApiRequest,
    application_id: Id,
    kind: Annotated[AttachmentKind, Form(description="附件类型代码")],
    file: Annotated[UploadedFile, File(description="文件；格式按内容识别，单个文件大小有上限")],
    member_id: Annotated[
        int | None, Form(ge=1, le=MAX_ID, description="成员单位编号（合作协议必填）")
    ] = None,
    platform_id: Annotated[
        int | None, Form(ge=1, le=MAX_ID, description="研发平台编号（平台证书必填）")
    ] = None,
):
    application = queries.get_application_for(request.auth, application_id)
    attachment = services.upload_attachment(
        application,
        kind=kind,
        fileobj=cast(IO[bytes], file.file),
        filename=file.name or "",
        by=request.auth,
        member_id=member_id,
        platform_id=platform_id,
        ip=client_ip(request),
    )
    return 201, attachment_out(attachment)


@router.get(
    "/applications/{application_id}/attachments/{attachment_id}",
    operation_id="attachment_download",
    summary="下载附件",
    description="下载附件原文件（Content-Disposition: attachment）。仅能下载自己有权查看的申报书的附件，每次下载记入审计日志。",
    response={200: None, **errors(401, 404)},
    openapi_extra={
        "responses": {
            200: {  # an int, like ninja's own keys, so the two merge instead of clashing in the JSON
                "description": "附件文件（PDF、JPG、PNG、DOCX 或 XLSX，按文件内容）",
                "content": binary_content(*filetypes.MIME.values(), "application/octet-stream"),
            }
        }
    },
)
def attachment_download(request: ApiRequest, application_id: Id, attachment_id: Id):
    attachment = _attachment(request.auth, application_id, attachment_id)
    audit.record(
        "attachment.download",
        actor=request.auth,
        obj=attachment,
        ip=client_ip(request),
        detail={"application": attachment.application_id, "channel": "api"},
    )
    return storage.attachment_response(
        attachment.storage_key,
        filename=attachment.original_name,
        content_type=filetypes.MIME.get(attachment.content_kind, "application/octet-stream"),
    )


@router.delete(
    "/applications/{application_id}/attachments/{attachment_id}",
    operation_id="attachment_delete",
    summary="删除附件",
    description="删除一个附件。已被提交版本引用的附件只从当前草稿中移除，原文件保留备查。",
    response={204: None, **errors(401, 403, 404, 409)},
)
def attachment_delete(request: ApiRequest, application_id: Id, attachment_id: Id):
    attachment = _attachment(request.auth, application_id, attachment_id)
    if attachment.removed_at is not None:
        raise NotFound()
    services.delete_attachment(attachment, by=request.auth, ip=client_ip(request))
    return HttpResponse(status=204)
