"""Public pages (公示, 异议, the register) and the recognised consortium's own pages."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from sciplan.accounts.roles import Role
from sciplan.calls.models import Industry
from sciplan.core import clock
from sciplan.core.errors import DomainError, NotFound
from sciplan.core.http import client_ip
from sciplan.recognition import assessment as assessment_services
from sciplan.recognition import queries, services
from sciplan.recognition.models import Recognition

OBJECTION_FIELDS = (
    "objector_kind",
    "objector_name",
    "objector_mobile",
    "unit_name",
    "unit_uscc",
    "contact_name",
    "content",
    "application",
)


def notice_list(request: HttpRequest) -> HttpResponse:
    notices = queries.public_notices()
    return render(request, "recognition/notice_list.html", {"notices": notices, "now": clock.now()})


def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        notice = queries.public_notice(pk)
    except NotFound:
        raise Http404 from None
    return render(request, "recognition/notice_detail.html", {"notice": notice, "now": clock.now()})


@require_http_methods(["GET", "POST"])
def objection_new(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        notice = queries.public_notice(pk)
    except NotFound:
        raise Http404 from None
    errors: dict[str, str] = {}
    message = ""
    data = (
        {f: request.POST.get(f, "") for f in OBJECTION_FIELDS}
        if request.method == "POST"
        else {"application": request.GET.get("application", ""), "objector_kind": "person"}
    )
    # The form's token makes sending it twice file one objection (a retry, a double click).
    token = request.POST.get("idempotency_key", "") if request.method == "POST" else ""
    if request.method == "POST":
        try:
            objection = services.file_objection(notice, data, idempotency_key=token, ip=client_ip(request))
        except DomainError as exc:
            errors, message = exc.field_errors, exc.message
        else:
            # Post/redirect/get: reloading the answer shows it again and sends nothing.
            request.session[DONE_KEY] = objection.receipt_no
            return redirect("recognition:objection_done", pk=notice.pk)
    context = {
        "notice": notice,
        "data": data,
        "errors": errors,
        "message": message,
        "now": clock.now(),
        "token": token or secrets.token_urlsafe(24),
    }
    return render(request, "recognition/objection_form.html", context, status=422 if errors else 200)


DONE_KEY = "objection_filed"


def objection_done(request: HttpRequest, pk: int) -> HttpResponse:
    """The answer to a filed objection: its 受理编号, for this browser only (kept in its session)."""
    receipt = request.session.get(DONE_KEY, "")
    objection = queries.objection_by_receipt(receipt, notice_id=pk) if receipt else None
    if objection is None:
        return redirect("recognition:notice", pk=pk)
    return render(
        request, "recognition/objection_done.html", {"notice": objection.notice, "objection": objection}
    )


@require_http_methods(["GET", "POST"])
def objection_lookup(request: HttpRequest) -> HttpResponse:
    """A member of the public looks up how their objection stands: 受理编号 and the mobile number it was
    filed with (a unit: its 统一社会信用代码). Only the object, the dates and the outcome are shown."""
    data = {k: request.POST.get(k, "").strip() for k in ("receipt_no", "contact")}
    errors: dict[str, str] = {}
    found = None
    if request.method == "POST":
        if not data["receipt_no"]:
            errors["receipt_no"] = "请填写受理编号（提交异议后页面显示的编号，如 YY20240601AB12CD34）。"
        if not data["contact"]:
            errors["contact"] = "请填写提交异议时填写的手机号码；以单位名义提出的，填写统一社会信用代码。"
        if not errors:
            try:
                found = services.objection_status(data["receipt_no"], data["contact"])
            except NotFound:
                errors["receipt_no"] = "未查到与该受理编号和手机号码（或信用代码）相符的异议，请核对后重试。"
    context = {"data": data, "errors": errors, "found": found}
    return render(request, "recognition/objection_lookup.html", context, status=422 if errors else 200)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def register(request: HttpRequest) -> HttpResponse:
    year, industry = _int(request.GET.get("year")), _int(request.GET.get("industry"))
    context = {
        "recognitions": queries.recognized(year=year, industry=industry),
        "years": queries.recognized_years(),
        "industries": Industry.objects.filter(active=True),
        "year": year,
        "industry": industry,
    }
    return render(request, "recognition/register.html", context)


def register_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        recognition = queries.recognition_detail(pk)
    except NotFound:
        raise Http404 from None
    return render(request, "recognition/register_detail.html", {"r": recognition})


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    if request.user.role != Role.APPLICANT:
        raise Http404
    recognitions = queries.recognitions_of_unit(request.user)
    return render(request, "recognition/mine.html", {"recognitions": recognitions})


@login_required
@require_http_methods(["GET", "POST"])
def assessment_new(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        recognition = services.get_recognition_for_applicant(request.user, pk)
    except NotFound:
        raise Http404 from None
    errors: dict[str, str] = {}
    data = request.POST if request.method == "POST" else {"year": clock.local(clock.now()).year}
    if request.method == "POST":
        files = [(f, f.name) for f in request.FILES.getlist("attachments")]
        try:
            assessment_services.submit_assessment(
                recognition,
                year=data.get("year"),
                data=data,
                files=files,
                by=request.user,
                ip=client_ip(request),
            )
        except DomainError as exc:
            errors = exc.field_errors or {"progress": exc.message}
        else:
            messages.success(request, "年度考核材料已提交。")
            return redirect("recognition:mine")
    context = {"r": recognition, "data": data, "errors": errors}
    return render(request, "recognition/assessment_form.html", context, status=422 if errors else 200)


@login_required
def letter_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from sciplan.core import audit, storage
    from sciplan.documents.pdf import render_pdf

    recognition = (
        Recognition.objects.select_related(
            "application__lead_unit", "application__recommender", "call", "industry"
        )
        .filter(pk=pk)
        .first()
    )
    user = request.user
    allowed = recognition is not None and (
        user.role == Role.BUREAU
        or (user.role == Role.APPLICANT and user.unit_id == recognition.application.lead_unit_id)
    )
    if not allowed:
        raise Http404
    pdf = render_pdf(
        "recognition/letter_pdf.html", {"r": recognition, "members": recognition.application.members.all()}
    )
    audit.record("recognition.letter_downloaded", actor=user, obj=recognition, ip=client_ip(request))
    return storage.bytes_response(
        pdf, filename=f"认定通知-{recognition.official_name}.pdf", content_type="application/pdf"
    )
