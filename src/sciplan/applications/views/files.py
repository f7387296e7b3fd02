"""Attachments: the list per kind, uploads (checked by content), removal and the permission-checked
download.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from sciplan.applications import queries, services
from sciplan.applications.models import Attachment, AttachmentKind
from sciplan.applications.views.frame import (
    accept_attr,
    application_for,
    human_size,
    page_context,
    pop_upload_error,
)
from sciplan.core import audit, filetypes, storage
from sciplan.core.errors import DomainError, NotFound
from sciplan.core.http import client_ip, safe_next


@login_required
@require_http_methods(["GET"])
def attachments(request: HttpRequest, pk: int) -> HttpResponse:
    application = application_for(request, pk)
    files = (
        Attachment.objects.filter(application=application, removed_at__isnull=True)
        .select_related("uploaded_by", "member", "platform")
        .order_by("kind", "id")
    )
    upload_errors = pop_upload_error(request)
    required = set(application.call.required_attachments)
    kinds = []
    for kind in AttachmentKind:
        rows = [f for f in files if f.kind == kind]
        for f in rows:
            f.human_size = human_size(f.size)
            f.owner = f.member.name if f.member else f.platform.name if f.platform else ""
        kinds.append(
            {
                "code": kind.value,
                "label": kind.label,
                "files": rows,
                "required": kind.value in required,
                "accepted": filetypes.describe(services.ALLOWED_TYPES[kind]),
                "accept_attr": accept_attr(kind),
                "error": upload_errors.get(f"kind-{kind.value}", ""),
            }
        )
    context = page_context(
        request,
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
    application = application_for(request, pk)
    back = safe_next(request, reverse("applications:attachments", args=[pk]))
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
            ip=client_ip(request),
        )
    except ValueError:
        raise Http404 from None
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        message = next(iter(exc.field_errors.values()), exc.message)
        request.session["upload_error"] = {"form": form_id, "message": message}
        return redirect(back)
    messages.success(request, f"已上传“{attachment.original_name}”（{human_size(attachment.size)}）。")
    return redirect(back)


@login_required
@require_POST
def attachment_delete(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    application = application_for(request, pk)
    try:
        attachment = application.attachments.get(pk=attachment_pk, removed_at__isnull=True)
    except Attachment.DoesNotExist:
        raise Http404 from None
    try:
        services.delete_attachment(attachment, by=request.user, ip=client_ip(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已删除“{attachment.original_name}”。")
    return redirect(safe_next(request, reverse("applications:attachments", args=[pk])))


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
