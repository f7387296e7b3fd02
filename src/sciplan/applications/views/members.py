"""Member units, their one-time confirmation links, and the public confirmation page (no login)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from sciplan.applications import forms, queries, services
from sciplan.applications.models import Application, Attachment, AttachmentKind, Member
from sciplan.applications.views.frame import accept_attr, application_for, page_context, pop_upload_error
from sciplan.core import filetypes
from sciplan.core.errors import DomainError, NotFound
from sciplan.core.http import client_ip


def _confirm_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("applications:confirm", args=[token]))


def _members_page(request, application, *, add=None, edits=None, status=200) -> HttpResponse:
    add_values, add_errors = add or ({}, {})
    edits = edits or {}
    upload_errors = pop_upload_error(request)
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
    context = page_context(
        request,
        application,
        "members",
        members=members,
        add_fields=forms.member_fields(values=add_values, errors=add_errors, prefix="new-"),
        add_open=bool(add_errors) or not members,
        new_link=request.session.pop("member_link", None),
        accepted=filetypes.describe(services.ALLOWED_TYPES[AttachmentKind.AGREEMENT]),
        accept_attr=accept_attr(AttachmentKind.AGREEMENT),
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
    application = application_for(request, pk)
    if request.method == "GET":
        return _members_page(request, application)
    data = forms.member_data(request.POST)
    try:
        result = services.add_member(application, data, by=request.user, ip=client_ip(request))
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
    application = application_for(request, pk)
    member = _member_of(request, application, member_pk)
    data = forms.member_data(request.POST)
    try:
        base = int(request.POST.get("version") or 0)
        result = services.update_member(
            member, data, base_version=base, by=request.user, ip=client_ip(request)
        )
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
    application = application_for(request, pk)
    member = _member_of(request, application, member_pk)
    try:
        token = services.reissue_member_link(member, by=request.user, ip=client_ip(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        _show_link_once(request, member, token)
        messages.success(request, "已生成新的确认链接，原链接已失效。")
    return redirect("applications:members", pk=pk)


@login_required
@require_POST
def member_delete(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    application = application_for(request, pk)
    member = _member_of(request, application, member_pk)
    try:
        services.delete_member(member, by=request.user, ip=client_ip(request))
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
