"""R&D platforms: add, edit (with its version), delete; certificates are uploaded through ``files``."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from sciplan.applications import forms, services
from sciplan.applications.models import Application, Attachment, AttachmentKind, RdPlatform
from sciplan.applications.views.frame import accept_attr, application_for, page_context, pop_upload_error
from sciplan.core import filetypes
from sciplan.core.errors import DomainError


def _platforms_page(request, application, *, add=None, edits=None, status=200) -> HttpResponse:
    add_values, add_errors = add or ({}, {})
    edits = edits or {}
    upload_errors = pop_upload_error(request)
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
    context = page_context(
        request,
        application,
        "platforms",
        platforms=platforms,
        add_fields=forms.platform_fields(values=add_values, errors=add_errors, prefix="new-"),
        add_open=bool(add_errors),
        accepted=filetypes.describe(services.ALLOWED_TYPES[AttachmentKind.PLATFORM_CERTIFICATE]),
        accept_attr=accept_attr(AttachmentKind.PLATFORM_CERTIFICATE),
        max_mb=settings.UPLOAD_MAX_BYTES // 1048576,
    )
    return render(request, "applications/platforms.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def platforms(request: HttpRequest, pk: int) -> HttpResponse:
    application = application_for(request, pk)
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
    application = application_for(request, pk)
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
    application = application_for(request, pk)
    platform = _platform_of(application, platform_pk)
    try:
        services.delete_platform(platform, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已删除研发平台“{platform.name}”及其证书。")
    return redirect("applications:platforms", pk=pk)
