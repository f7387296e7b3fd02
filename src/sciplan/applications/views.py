"""Applicant pages: the list, the overview, the sections, platforms, members, attachments, the eligibility
check, submitting, withdrawing, receipts and frozen versions, and the public member confirmation page.

Views parse input, call one service and render. Objects outside the user's scope are 404 (the query
helpers raise ``NotFound``); a refused action shows the service's Chinese message.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from sciplan.applications import actions, eligibility, forms, permissions, queries, services, workflow
from sciplan.applications.models import (
    Application,
    ApplicationVersion,
    Attachment,
    AttachmentKind,
    Member,
    RdPlatform,
    StatusEvent,
)
from sciplan.applications.sections import BY_CODE, SECTIONS
from sciplan.applications.workflow import Action, Status
from sciplan.calls.deadlines import deadline_for
from sciplan.calls.models import Call, Stage
from sciplan.core import audit, clock, filetypes, storage
from sciplan.core.errors import Conflict, DomainError, NotFound
from sciplan.core.http import client_ip

# --- helpers ------------------------------------------------------------------------------------------

STEPS = ("填写申报书", "提交", "推荐单位受理", "推荐", "形式审查", "专家评审", "公示", "认定")
# state → (index of the step in progress, stopped there for good)
STEP_OF: dict[str, tuple[int, bool]] = {
    Status.DRAFT: (0, False),
    Status.RETURNED: (0, False),
    Status.SUBMITTED: (2, False),
    Status.WITHDRAWN: (1, True),
    Status.ACCEPTED: (3, False),
    Status.AWAITING_FINANCE: (3, False),
    Status.NOT_RECOMMENDED: (3, True),
    Status.RECOMMENDED: (4, False),
    Status.CORRECTION: (4, False),
    Status.FORMAL_REVIEW_FAILED: (4, True),
    Status.UNDER_REVIEW: (5, False),
    Status.PROPOSED: (6, False),
    Status.IN_PUBLIC_NOTICE: (6, False),
    Status.NOT_RECOGNIZED: (6, True),
    Status.RECOGNIZED: (8, False),
    Status.REVOKED: (7, True),
}
BADGE = {
    Status.RETURNED: "badge-warn",
    Status.CORRECTION: "badge-warn",
    Status.RECOGNIZED: "badge-ok",
    Status.RECOMMENDED: "badge-ok",
    Status.SUBMITTED: "badge-info",
    Status.DRAFT: "",
}
ACTION_PAGES = {Action.SUBMIT: "submit", Action.SUBMIT_CORRECTION: "submit", Action.WITHDRAW: "withdraw"}


def _application(request: HttpRequest, pk: int) -> Application:
    try:
        return queries.application_detail(request.user, pk)
    except NotFound:
        raise Http404 from None


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Autosave") == "1" or "application/json" in request.headers.get("Accept", "")


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=False):
        return target
    return fallback


def _steps(status: str) -> list[dict[str, Any]]:
    current, stopped = STEP_OF.get(status, (0, False))
    steps = []
    for index, label in enumerate(STEPS):
        state = "done" if index < current else "current" if index == current else ""
        if stopped and index == current:
            state = "stopped"
        steps.append({"label": label, "state": state})
    return steps


def _filled(application: Application, name: str) -> bool:
    value = getattr(application, name + "_id" if name == "industry" else name)
    return value not in (None, "", [])


def _nav(application: Application, current: str, user) -> list[dict[str, Any]]:
    """The side menu of an application's pages, with a mark for each section that is complete."""
    pk = application.pk

    def item(code: str, label: str, url: str, done: bool | None = None) -> dict[str, Any]:
        return {"code": code, "label": label, "url": url, "current": code == current, "done": done}

    items = [item("overview", "申报概况", reverse("applications:detail", args=[pk]))]
    for section in SECTIONS:
        url = reverse("applications:section", args=[pk, section.code])
        done = all(_filled(application, n) for n in section.required)
        items.append(item(section.code, section.title, url, done))
        if section.code == "lead":
            platforms = list(application.platforms.all())
            items.append(
                item("platforms", "研发平台", reverse("applications:platforms", args=[pk]), bool(platforms))
            )
            members = list(application.members.all())
            confirmed = bool(members) and all(m.is_confirmed for m in members)
            items.append(item("members", "成员单位", reverse("applications:members", args=[pk]), confirmed))
    items.append(item("attachments", "附件材料", reverse("applications:attachments", args=[pk])))
    items.append(item("eligibility", "资格自查", reverse("applications:eligibility", args=[pk])))
    if permissions.relates_to(user, application) and user.role == "applicant":
        items.append(item("submit", "提交申报", reverse("applications:submit", args=[pk])))
    return items


def _page(request: HttpRequest, template: str, application: Application, current: str, **context) -> dict:
    context.update(
        application=application,
        nav=_nav(application, current, request.user),
        editable=permissions.can_edit(request.user, application),
        badge=BADGE.get(application.status, "badge-bad" if application.status in workflow.FINAL else ""),
        send_back=_send_back(application),
    )
    return context


def _send_back(application: Application) -> StatusEvent | None:
    """The latest send-back while the application is back with its owner: its reason leads every page."""
    if application.status not in (Status.RETURNED, Status.CORRECTION):
        return None
    return (
        application.events.filter(to_status=application.status)
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )


def _human_size(size: int) -> str:
    if size >= 1048576:
        return f"{size / 1048576:.1f} MB"
    return f"{max(size / 1024, 0.1):.1f} KB"


def _accept_attr(kind: str) -> str:
    """A hint for the browser's file picker; the server still checks the content."""
    extensions = [filetypes.EXTENSIONS[k] for k in services.ALLOWED_TYPES[AttachmentKind(kind)]]
    if "jpg" in extensions:
        extensions.append("jpeg")
    return ",".join("." + e for e in extensions)


def _pop_upload_error(request: HttpRequest) -> dict[str, str]:
    error = request.session.pop("upload_error", None)
    return {error["form"]: error["message"]} if error else {}


# --- the list and creating ----------------------------------------------------------------------------


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    applications = list(queries.applications_for(request.user))
    now = clock.now()
    open_calls = list(Call.objects.filter(opens_at__lte=now, closes_at__gt=now))
    # One active application per unit and call: offer to continue it instead of starting another.
    active = {a.call_id: a for a in applications if a.status not in workflow.FINAL}
    for call in open_calls:
        call.existing = active.get(call.pk)
    return render(request, "applications/list.html", {"applications": applications, "open_calls": open_calls})


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    try:
        call = Call.objects.get(pk=request.POST.get("call"))
        application = services.create_application(call=call, by=request.user)
    except (Call.DoesNotExist, ValueError):
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("applications:list")
    return redirect("applications:detail", pk=application.pk)


# --- the overview -------------------------------------------------------------------------------------


def _actions(application: Application, user) -> list[dict[str, Any]]:
    """What the user may do now, and why not when refused (the reason is asked for on the action's page)."""
    items = []
    for action in workflow.actions_for(application.status, user.role):
        refusal = workflow.check(application, action, by=user, reason="—")
        page = ACTION_PAGES.get(action)
        items.append(
            {
                "label": "修改后重新提交"
                if application.status == Status.RETURNED and action == Action.SUBMIT
                else Action(action).label,
                "url": reverse(f"applications:{page}", args=[application.pk]) if page else "",
                "refusal": refusal.message if refusal else "",
                "danger": action == Action.WITHDRAW,
            }
        )
    return items


def _remaining(deadline, now) -> str:
    seconds = max(int((deadline - now).total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    return f"{days}天{hours}小时{rest // 60}分" if days else f"{hours}小时{rest // 60}分{rest % 60}秒"


SEND_BACKS = {Action.RETURN, Action.FORMAL_RETURN, Action.FINANCE_REFUSE}


def _events(application: Application) -> list[StatusEvent]:
    events = list(application.events.select_related("actor").order_by("at", "id"))
    labels = dict(Action.choices)
    for event in events:
        event.action_label = labels.get(event.action, event.action)
        event.is_send_back = event.action in SEND_BACKS
    return events


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    now = clock.now()
    deadline = deadline_for(application.call, Stage.APPLY, unit=application.lead_unit)
    results = eligibility.check_application(application, at=now)
    context = _page(
        request,
        "applications/detail.html",
        application,
        "overview",
        steps=_steps(application.status),
        now=now,
        deadline=deadline,
        deadline_open=now < deadline,
        actions=_actions(application, request.user),
        hard_failed=[r for r in results if r.hard and not r.passed],
        hard_count=sum(1 for r in results if r.hard),
        soft=[r for r in results if not r.hard],
        remaining=_remaining(deadline, now),
        versions=application.versions.select_related("submitted_by").order_by("number"),
        events=_events(application),
    )
    return render(request, "applications/detail.html", context)


# --- sections -----------------------------------------------------------------------------------------


def _conflict_fields(application: Application, exc: Conflict, data: dict[str, Any]) -> list[dict]:
    theirs = exc.current.get("fields", {})
    return [
        {
            "name": name,
            "label": forms.field_label(name),
            "mine": forms.display_value(application, name, data.get(name)),
            "mine_raw": data.get(name, ""),
            "theirs": forms.display_value(application, name, value),
            "theirs_raw": value,
        }
        for name, value in theirs.items()
    ]


def _section_context(request, application, section, *, values=None, errors=None, **extra) -> dict:
    finance = forms.finance_rows(application, values=values, errors=errors) if section.code == "lead" else []
    return _page(
        request,
        "applications/section.html",
        application,
        section.code,
        section=section,
        fields=forms.section_fields(application, section, values=values, errors=errors),
        finance=finance,
        base_version=extra.pop("base_version", application.version),
        **extra,
    )


@login_required
@require_http_methods(["GET", "POST"])
def section(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    spec = BY_CODE.get(code)
    if spec is None:
        raise Http404
    application = _application(request, pk)
    if request.method == "GET":
        return render(request, "applications/section.html", _section_context(request, application, spec))
    data = forms.section_data(request.POST, spec, application)
    try:
        base = int(request.POST.get("keep_mine_version") or request.POST.get("base_version") or 0)
        result = services.save_section(
            application, code, data, base_version=base, by=request.user, partial_ok=True
        )
    except ValueError:
        return _section_refused(request, application, spec, data, "页面版本信息缺失，请刷新后重试。", 400)
    except Conflict as exc:
        if exc.code != "stale":
            return _section_refused(request, application, spec, data, exc.message, exc.status)
        conflicts = _conflict_fields(application, exc, data)
        version = exc.current.get("version")
        if _wants_json(request):
            body = {"ok": False, "conflict": True, "message": exc.message, "version": version}
            return JsonResponse({**body, "fields": conflicts}, status=409)
        context = _section_context(
            request,
            application,
            spec,
            values=data,
            conflicts=conflicts,
            conflict_version=version,
            conflict_message=exc.message,
            base_version=base,
        )
        return render(request, "applications/section.html", context, status=409)
    except DomainError as exc:
        return _section_refused(request, application, spec, data, exc.message, exc.status)
    saved = result.application
    if _wants_json(request):
        return JsonResponse(
            {
                "ok": not result.errors,
                "version": saved.version,
                "saved": result.saved,
                "errors": result.errors,
                "saved_at": clock.local(clock.now()).strftime("%H:%M:%S"),
                "consortium_name": saved.consortium_name,
            }
        )
    if not result.errors:
        messages.success(request, f"已保存“{spec.title}”（{clock.fmt(clock.now())}）。")
        return redirect("applications:section", pk=pk, code=code)
    fresh = _application(request, pk)
    typed = {n: v for n, v in data.items() if n in result.errors}
    context = _section_context(request, fresh, spec, values=typed, errors=result.errors, has_errors=True)
    return render(request, "applications/section.html", context, status=422)


def _section_refused(request, application, section, data, message: str, status: int) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"ok": False, "message": message}, status=status)
    context = _section_context(request, application, section, values=data, refusal=message)
    return render(request, "applications/section.html", context, status=status)


# --- platforms ----------------------------------------------------------------------------------------


def _platforms_page(request, application, *, add=None, edits=None, status=200) -> HttpResponse:
    add_values, add_errors = add or ({}, {})
    edits = edits or {}
    upload_errors = _pop_upload_error(request)
    certificates: dict[int, list[Attachment]] = {}
    for attachment in application.attachments.all():
        if attachment.platform_id:
            certificates.setdefault(attachment.platform_id, []).append(attachment)
    platforms = []
    for platform in application.platforms.all():
        values, errors = edits.get(platform.pk, ({}, {}))
        platforms.append(
            {
                "obj": platform,
                "fields": forms.platform_fields(
                    platform, values=values, errors=errors, prefix=f"p{platform.pk}-"
                ),
                "open": bool(errors),
                "certificates": certificates.get(platform.pk, []),
                "form_id": f"platform-{platform.pk}",
                "upload_error": upload_errors.get(f"platform-{platform.pk}", ""),
            }
        )
    context = _page(
        request,
        "applications/platforms.html",
        application,
        "platforms",
        platforms=platforms,
        add_fields=forms.platform_fields(values=add_values, errors=add_errors, prefix="new-"),
        add_open=bool(add_errors),
        accepted=filetypes.describe(services.ALLOWED_TYPES[AttachmentKind.PLATFORM_CERTIFICATE]),
        accept_attr=_accept_attr(AttachmentKind.PLATFORM_CERTIFICATE),
        max_mb=settings.UPLOAD_MAX_BYTES // 1048576,
    )
    return render(request, "applications/platforms.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def platforms(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    if request.method == "GET":
        return _platforms_page(request, application)
    data = forms.platform_data(request.POST)
    try:
        platform = services.add_platform(application, data, by=request.user)
    except DomainError as exc:
        errors = exc.field_errors or {"name": exc.message}
        messages.error(request, f"{exc.message}（见下方“添加研发平台”）")
        return _platforms_page(request, application, add=(data, errors), status=exc.status)
    messages.success(request, f"已添加研发平台“{platform.name}”。请上传其认定证书。")
    return redirect(reverse("applications:platforms", args=[pk]) + f"#platform-{platform.pk}")


def _platform_of(application: Application, platform_pk: int) -> RdPlatform:
    try:
        return application.platforms.get(pk=platform_pk)
    except RdPlatform.DoesNotExist:
        raise Http404 from None


@login_required
@require_POST
def platform_edit(request: HttpRequest, pk: int, platform_pk: int) -> HttpResponse:
    application = _application(request, pk)
    platform = _platform_of(application, platform_pk)
    data = forms.platform_data(request.POST)
    try:
        base = int(request.POST.get("version") or 0)
        services.update_platform(platform, data, base_version=base, by=request.user)
    except ValueError:
        raise Http404 from None
    except DomainError as exc:
        errors = exc.field_errors or {"name": exc.message}
        messages.error(request, f"{exc.message}（见“{platform.name}”）")
        return _platforms_page(request, application, edits={platform.pk: (data, errors)}, status=exc.status)
    messages.success(request, "研发平台已保存。")
    return redirect(reverse("applications:platforms", args=[pk]) + f"#platform-{platform.pk}")


@login_required
@require_POST
def platform_delete(request: HttpRequest, pk: int, platform_pk: int) -> HttpResponse:
    application = _application(request, pk)
    platform = _platform_of(application, platform_pk)
    try:
        services.delete_platform(platform, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已删除研发平台“{platform.name}”及其证书。")
    return redirect("applications:platforms", pk=pk)


# --- members ------------------------------------------------------------------------------------------


def _confirm_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("applications:confirm", args=[token]))


def _members_page(request, application, *, add=None, edits=None, status=200) -> HttpResponse:
    add_values, add_errors = add or ({}, {})
    edits = edits or {}
    upload_errors = _pop_upload_error(request)
    agreements: dict[int, list[Attachment]] = {}
    for attachment in application.attachments.all():
        if attachment.member_id and attachment.kind == AttachmentKind.AGREEMENT:
            agreements.setdefault(attachment.member_id, []).append(attachment)
    members = []
    for member in application.members.all():
        values, errors = edits.get(member.pk, ({}, {}))
        members.append(
            {
                "obj": member,
                "fields": forms.member_fields(member, values=values, errors=errors, prefix=f"m{member.pk}-"),
                "open": bool(errors),
                "agreements": agreements.get(member.pk, []),
                "form_id": f"member-{member.pk}",
                "upload_error": upload_errors.get(f"member-{member.pk}", ""),
            }
        )
    context = _page(
        request,
        "applications/members.html",
        application,
        "members",
        members=members,
        add_fields=forms.member_fields(values=add_values, errors=add_errors, prefix="new-"),
        add_open=bool(add_errors) or not members,
        new_link=request.session.pop("member_link", None),
        accepted=filetypes.describe(services.ALLOWED_TYPES[AttachmentKind.AGREEMENT]),
        accept_attr=_accept_attr(AttachmentKind.AGREEMENT),
        max_mb=settings.UPLOAD_MAX_BYTES // 1048576,
        confirmed_count=sum(1 for m in members if m["obj"].is_confirmed),
    )
    return render(request, "applications/members.html", context, status=status)


def _show_link_once(request: HttpRequest, member: Member, token: str) -> None:
    # Kept in the session only until the next page shows it: only the token's hash is stored for good.
    request.session["member_link"] = {"name": member.name, "url": _confirm_url(request, token)}


@login_required
@require_http_methods(["GET", "POST"])
def members(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    if request.method == "GET":
        return _members_page(request, application)
    data = forms.member_data(request.POST)
    try:
        result = services.add_member(application, data, by=request.user)
    except DomainError as exc:
        errors = exc.field_errors or {"name": exc.message}
        messages.error(request, f"{exc.message}（见下方“添加成员单位”）")
        return _members_page(request, application, add=(data, errors), status=exc.status)
    if result.confirm_token:
        _show_link_once(request, result.member, result.confirm_token)
    messages.success(request, f"已添加成员单位“{result.member.name}”。请将确认链接发给该单位。")
    return redirect("applications:members", pk=pk)


def _member_of(request: HttpRequest, application: Application, member_pk: int) -> Member:
    try:
        return queries.get_member_for(request.user, application, member_pk)
    except NotFound:
        raise Http404 from None


@login_required
@require_POST
def member_edit(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    application = _application(request, pk)
    member = _member_of(request, application, member_pk)
    data = forms.member_data(request.POST)
    try:
        base = int(request.POST.get("version") or 0)
        result = services.update_member(member, data, base_version=base, by=request.user)
    except ValueError:
        raise Http404 from None
    except DomainError as exc:
        errors = exc.field_errors or {"name": exc.message}
        messages.error(request, f"{exc.message}（见“{member.name}”）")
        return _members_page(request, application, edits={member.pk: (data, errors)}, status=exc.status)
    if result.confirm_token:
        _show_link_once(request, result.member, result.confirm_token)
        messages.warning(request, "已保存。成员单位的关键信息有变化，需要该单位重新确认。")
    else:
        messages.success(request, f"成员单位“{result.member.name}”已保存。")
    return redirect(reverse("applications:members", args=[pk]) + f"#member-{member.pk}")


@login_required
@require_POST
def member_link(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    application = _application(request, pk)
    member = _member_of(request, application, member_pk)
    try:
        token = services.reissue_member_link(member, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        _show_link_once(request, member, token)
        messages.success(request, "已生成新的确认链接，原链接已失效。")
    return redirect("applications:members", pk=pk)


@login_required
@require_POST
def member_delete(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    application = _application(request, pk)
    member = _member_of(request, application, member_pk)
    try:
        services.delete_member(member, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已删除成员单位“{member.name}”及其合作协议。")
    return redirect("applications:members", pk=pk)


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The member unit's public confirmation page, reached through its one-time link (no login)."""
    try:
        member = services.member_for_token(token)
    except NotFound as exc:
        return render(request, "applications/confirm_invalid.html", {"message": exc.message}, status=404)
    context: dict[str, Any] = {"member": member, "application": member.application}
    if request.method == "POST":
        name = request.POST.get("confirmer_name", "")
        try:
            confirmed = services.confirm_member(token, confirmer_name=name, ip=client_ip(request))
        except DomainError as exc:
            context.update(error=exc.field_errors.get("confirmer_name", ""), message=exc.message, typed=name)
            return render(request, "applications/confirm.html", context, status=exc.status)
        return render(request, "applications/confirm_done.html", {"member": confirmed, **context})
    return render(request, "applications/confirm.html", context)


# --- attachments --------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def attachments(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    files = (
        Attachment.objects.filter(application=application, removed_at__isnull=True)
        .select_related("uploaded_by", "member", "platform")
        .order_by("kind", "id")
    )
    upload_errors = _pop_upload_error(request)
    required = set(application.call.required_attachments)
    kinds = []
    for kind in AttachmentKind:
        rows = [f for f in files if f.kind == kind]
        for f in rows:
            f.human_size = _human_size(f.size)
            f.owner = f.member.name if f.member else f.platform.name if f.platform else ""
        kinds.append(
            {
                "code": kind.value,
                "label": kind.label,
                "files": rows,
                "required": kind.value in required,
                "accepted": filetypes.describe(services.ALLOWED_TYPES[kind]),
                "accept_attr": _accept_attr(kind),
                "error": upload_errors.get(f"kind-{kind.value}", ""),
            }
        )
    context = _page(
        request,
        "applications/attachments.html",
        application,
        "attachments",
        kinds=kinds,
        max_mb=settings.UPLOAD_MAX_BYTES // 1048576,
        members=list(application.members.all()),
        platforms=list(application.platforms.all()),
    )
    return render(request, "applications/attachments.html", context)


@login_required
@require_POST
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    """One upload form for the three pages that carry one; errors go back beside the file input."""
    application = _application(request, pk)
    back = _safe_next(request, reverse("applications:attachments", args=[pk]))
    form_id = request.POST.get("form", "")[:40]
    fileobj = request.FILES.get("file")
    try:
        if fileobj is None:
            raise DomainError("请选择要上传的文件。", field_errors={"file": "请选择要上传的文件。"})
        member_id = int(request.POST["member"]) if request.POST.get("member") else None
        platform_id = int(request.POST["platform"]) if request.POST.get("platform") else None
        attachment = services.upload_attachment(
            application,
            kind=request.POST.get("kind", ""),
            fileobj=fileobj,
            filename=fileobj.name,
            by=request.user,
            member_id=member_id,
            platform_id=platform_id,
        )
    except ValueError:
        raise Http404 from None
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        message = next(iter(exc.field_errors.values()), exc.message)
        request.session["upload_error"] = {"form": form_id, "message": message}
        return redirect(back)
    messages.success(request, f"已上传“{attachment.original_name}”（{_human_size(attachment.size)}）。")
    return redirect(back)


@login_required
@require_POST
def attachment_delete(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    application = _application(request, pk)
    try:
        attachment = application.attachments.get(pk=attachment_pk, removed_at__isnull=True)
    except Attachment.DoesNotExist:
        raise Http404 from None
    try:
        services.delete_attachment(attachment, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已删除“{attachment.original_name}”。")
    return redirect(_safe_next(request, reverse("applications:attachments", args=[pk])))


@login_required
def download(request: HttpRequest, attachment_pk: int) -> HttpResponse:
    try:
        attachment = queries.get_attachment_for(request.user, attachment_pk)
    except NotFound:
        raise Http404 from None
    audit.record(
        "attachment.download",
        actor=request.user,
        obj=attachment,
        ip=client_ip(request),
        detail={"application": attachment.application_id, "sha256": attachment.sha256},
    )
    return storage.attachment_response(
        attachment.storage_key,
        filename=attachment.original_name,
        content_type=filetypes.MIME.get(attachment.content_kind, "application/octet-stream"),
    )


# --- eligibility, submit, withdraw --------------------------------------------------------------------


@login_required
def eligibility_page(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    results = eligibility.check_application(application)
    context = _page(
        request,
        "applications/eligibility.html",
        application,
        "eligibility",
        hard=[r for r in results if r.hard],
        soft=[r for r in results if not r.hard],
        checked_at=clock.now(),
    )
    return render(request, "applications/eligibility.html", context)


def _submit_action(application: Application) -> str:
    return Action.SUBMIT_CORRECTION if application.status == Status.CORRECTION else Action.SUBMIT


def _submit_page(request, application, *, error: str = "", status: int = 200) -> HttpResponse:
    action = _submit_action(application)
    refusal = workflow.check(application, action, by=request.user)
    results = eligibility.check_application(application)
    context = _page(
        request,
        "applications/submit.html",
        application,
        "submit",
        refusal=refusal.message if refusal else "",
        error=error,
        hard_failed=[r for r in results if r.hard and not r.passed],
        idempotency_key=uuid.uuid4().hex,
        deadline=deadline_for(application.call, Stage.APPLY, unit=application.lead_unit),
        now=clock.now(),
        next_number=len(application.versions.all()) + 1,
        sections=SECTIONS,
        resubmit=application.status == Status.RETURNED,
    )
    return render(request, "applications/submit.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    if request.method == "GET":
        return _submit_page(request, application)
    key = (request.POST.get("idempotency_key") or "").strip()[:64] or None
    try:
        actions.perform(
            application,
            _submit_action(application),
            by=request.user,
            idempotency_key=key,
            ip=client_ip(request),
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        fresh = _application(request, pk)
        return _submit_page(request, fresh, error=exc.message, status=exc.status)
    version = ApplicationVersion.objects.filter(application_id=pk).order_by("-number").first()
    if version is None:  # a correction re-submission keeps its version history in the events
        return redirect("applications:detail", pk=pk)
    return redirect("applications:receipt", pk=pk, number=version.number)


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    error = ""
    reason = request.POST.get("reason", "")
    if request.method == "POST":
        try:
            actions.perform(
                application, Action.WITHDRAW, by=request.user, reason=reason, ip=client_ip(request)
            )
        except NotFound:
            raise Http404 from None
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, "申报书已撤回。撤回后本申报不再进入推荐和评审。")
            return redirect("applications:detail", pk=pk)
    refusal = workflow.check(application, Action.WITHDRAW, by=request.user)
    context = _page(
        request,
        "applications/withdraw.html",
        application,
        "overview",
        refusal=refusal.message if refusal else "",
        error=error,
        reason=reason,
    )
    return render(request, "applications/withdraw.html", context, status=409 if error else 200)


# --- receipts and frozen versions ---------------------------------------------------------------------


def _version_of(application: Application, number: int) -> ApplicationVersion:
    for version in application.versions.all():
        if version.number == number:
            return version
    raise Http404


@login_required
def receipt(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    application = _application(request, pk)
    version = _version_of(application, number)
    context = _page(request, "applications/receipt.html", application, "overview", version=version)
    return render(request, "applications/receipt.html", context)


def _snapshot_sections(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """The frozen fields grouped by section, labelled like the form, for reading."""
    values = snapshot.get("fields", {})
    rendered = []
    for section in SECTIONS:
        rows = []
        for name in section.fields:
            value = values.get(name, "")
            if name == "lead_standing_level":
                value = forms.standing_label(value)
            elif isinstance(value, list):
                value = "、".join(value)
            rows.append({"label": forms.field_label(name), "value": value})
        rendered.append({"title": section.title, "rows": rows, "code": section.code})
    return rendered


def _iso_local(value: str | None) -> str:
    """A frozen ISO timestamp shown in Asia/Shanghai wall time, to the second."""
    if not value:
        return ""
    try:
        return clock.fmt(datetime.fromisoformat(value))
    except ValueError:
        return value


@login_required
def version_view(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    application = _application(request, pk)
    version = _version_of(application, number)
    snapshot = version.snapshot
    members_by_id = {m["id"]: m["name"] for m in snapshot.get("members", [])}
    platforms_by_id = {p["id"]: p["name"] for p in snapshot.get("platforms", [])}
    files = [
        {
            **a,
            "human_size": _human_size(a.get("size") or 0),
            "owner": members_by_id.get(a.get("member_id")) or platforms_by_id.get(a.get("platform_id")) or "",
        }
        for a in snapshot.get("attachments", [])
    ]
    members = [
        {**m, "confirmed_display": _iso_local(m.get("confirmed_at"))} for m in snapshot.get("members", [])
    ]
    context = _page(
        request,
        "applications/version.html",
        application,
        "overview",
        version=version,
        snapshot=snapshot,
        sections=_snapshot_sections(snapshot),
        files=files,
        members=members,
        all_versions=sorted(application.versions.all(), key=lambda v: v.number),
    )
    return render(request, "applications/version.html", context)
