"""Document downloads, the applicant's draft preview, the public verification page and the bureau's
exports. Views parse the request, call one service, and answer; permission lives in the services."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sciplan.calls.models import Call
from sciplan.core import storage
from sciplan.core.errors import NotFound
from sciplan.core.http import client_ip
from sciplan.documents import codes, exports, services
from sciplan.documents.models import DocumentKind
from sciplan.documents.xlsx import XLSX_CONTENT_TYPE


def _download(request: HttpRequest, pk: int, number: int, kind: str) -> HttpResponse:
    try:
        row, filename, content_type = services.document_for_download(
            pk, number, kind, by=request.user, ip=client_ip(request)
        )
    except NotFound:
        raise Http404 from None
    except services.NotReady as pending:
        # 202: accepted, not there yet. The page refreshes itself (a meta refresh: no script, so the
        # Content-Security-Policy stays as it is) and the refresh that finds the file downloads it.
        response = render(
            request,
            "documents/preparing.html",
            {
                "progress": pending.progress,
                "title": dict(DocumentKind.choices)[kind],
                "number": number,
                "application_id": pk,
            },
            status=202,
        )
        response["Retry-After"] = str(pending.progress.retry_after)
        response["Cache-Control"] = "no-store"
        return response
    return storage.attachment_response(row.storage_key, filename=filename, content_type=content_type)


def download_view(kind: str):
    @login_required
    @require_GET
    def view(request: HttpRequest, pk: int, number: int) -> HttpResponse:
        return _download(request, pk, number, kind)

    view.__name__ = kind
    return view


@login_required
@require_GET
def draft_preview(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        result = services.draft_preview(
            pk, document=request.GET.get("document", "application"), by=request.user, ip=client_ip(request)
        )
    except NotFound:
        raise Http404 from None
    return storage.bytes_response(result.data, filename=result.filename, content_type=result.content_type)


@login_required
@require_GET
def application_documents(request: HttpRequest, pk: int) -> HttpResponse:
    from sciplan.applications import queries

    try:
        application = queries.get_application_for(request.user, pk)
    except NotFound:
        raise Http404 from None
    return render(request, "documents/application_documents.html", {"application": application})


@require_GET
def verify(request: HttpRequest) -> HttpResponse:
    """Public: what a code printed on a paper copy stands for (SPEC §10). No login."""
    typed = request.GET.get("code", "")
    context: dict = {"typed": typed[:40]}
    if "code" in request.GET:
        try:
            context["result"] = codes.verify(typed)
        except codes.CodeError as exc:
            context["error"] = str(exc)
        except codes.UnknownCode:
            context["unknown"] = True
    return render(request, "documents/verify.html", context)


@login_required
@require_GET
def exports_page(request: HttpRequest) -> HttpResponse:
    if getattr(request.user, "role", None) != "bureau":
        raise Http404
    calls = Call.objects.order_by("-year", "-opens_at")
    return render(request, "documents/exports.html", {"calls": calls, "kinds": exports.EXPORT_KINDS})


def export_view(kind: str):
    @login_required
    @require_GET
    def view(request: HttpRequest) -> HttpResponse:
        call_id = request.GET.get("call") or None
        try:
            data, filename = exports.export(
                kind,
                by=request.user,
                call_id=int(call_id) if call_id and call_id.isdigit() else None,
                ip=client_ip(request),
            )
        except NotFound:
            raise Http404 from None
        return storage.bytes_response(data, filename=filename, content_type=XLSX_CONTENT_TYPE)

    view.__name__ = f"export_{kind}"
    return view
