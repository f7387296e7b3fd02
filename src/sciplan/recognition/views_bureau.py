"""The bureau's pages: proposed list, publishing the notice, objections, recognition, the calendar and
the annual assessment (experts grade assessments too)."""

from __future__ import annotations

from datetime import date
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from sciplan.accounts.roles import Role
from sciplan.applications.models import Application
from sciplan.applications.workflow import Status
from sciplan.calls.models import Call
from sciplan.core import audit, clock, confirmation, storage
from sciplan.core.errors import DomainError, ValidationFailed
from sciplan.core.filetypes import MIME
from sciplan.core.http import client_ip
from sciplan.core.masking import mask_phone
from sciplan.recognition import assessment as assessment_services
from sciplan.recognition import calendar, confirmations, queries, services
from sciplan.recognition.models import Assessment, Decision, Grade, Recognition, WorkdayOverride


def role_required(*roles: str):
    """Signed-in users of other roles get 404: the page does not exist for them."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.user.role not in roles:
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


bureau_only = role_required(Role.BUREAU)


@bureau_only
def home(request: HttpRequest) -> HttpResponse:
    calls = Call.objects.order_by("-year", "-opens_at")
    return render(request, "recognition/bureau_home.html", {"calls": calls})


def _call_context(call: Call, *, asking: bool = False, **extra) -> dict:
    applications = list(queries.bureau_applications(call))
    today = clock.local(clock.now()).date()
    ranking = queries.confirmed_ranking(call)
    start = today
    context = {
        "call": call,
        "applications": applications,
        "ranking": ranking,
        "under_review": [a for a in applications if a.status == Status.UNDER_REVIEW],
        "proposed": [a for a in applications if a.status == Status.PROPOSED],
        "in_notice": [a for a in applications if a.status == Status.IN_PUBLIC_NOTICE],
        "decisions": Decision.objects.filter(call=call).select_related("minutes_file"),
        "notices": call.notices.order_by("-starts_on"),
        "objections": queries.objections(call=call),
        "default_start": start.isoformat(),
        "default_end": calendar.notice_end(start, call.public_notice_days),
        "calendar_warning": calendar.uncovered_warning(start, call.public_notice_days),
        "today": today.isoformat(),
        "data": {},
        "errors": {},
        "picked": [],
        **extra,
    }
    proposed = context["proposed"]
    question = confirmations.publish(call, proposed)
    context["publish_confirm"] = question.opened() if asking else question
    for a in applications:
        setattr(a, "decline_confirm", confirmations.decline(a))  # noqa: B010 (a row's own question for the template)
    return context


@bureau_only
def call_page(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(Call, pk=pk)
    return render(request, "recognition/call.html", _call_context(call))


@bureau_only
@require_POST
def propose(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(Call, pk=pk)
    upload = request.FILES.get("minutes_file")
    try:
        services.propose(
            call,
            application_ids=request.POST.getlist("applications"),
            meeting_date=request.POST.get("meeting_date"),
            attendees=request.POST.get("attendees", ""),
            minutes=request.POST.get("minutes", ""),
            minutes_file=upload,
            minutes_file_name=upload.name if upload else "",
            by=request.user,
            ip=client_ip(request),
        )
    except DomainError as exc:
        context = _call_context(
            call,
            data=request.POST,
            errors=exc.field_errors or {"applications": exc.message},
            picked=request.POST.getlist("applications"),
        )
        return render(request, "recognition/call.html", context, status=422)
    messages.success(request, "拟认定名单与决策会议已记录。")
    return redirect("recognition:call", pk=call.pk)


@bureau_only
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(Call, pk=pk)
    if not confirmation.confirmed(request):
        # Nothing is public yet: the page again, the dates kept, the question open.
        context = _call_context(call, data=request.POST, asking=True)
        return render(request, "recognition/call.html", context)
    try:
        notice = services.publish_notice(
            call,
            starts_on=request.POST.get("starts_on"),
            working_days=request.POST.get("working_days") or None,
            end_time=request.POST.get("end_time") or None,
            body=request.POST.get("body", ""),
            by=request.user,
            ip=client_ip(request),
        )
    except DomainError as exc:
        context = _call_context(
            call, data=request.POST, errors=exc.field_errors or {"starts_on": exc.message}
        )
        return render(request, "recognition/call.html", context, status=422)
    messages.success(request, f"公示已发布，截止时间：{clock.fmt(notice.ends_at)}。")
    return redirect("recognition:call", pk=call.pk)


@bureau_only
def minutes_file(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_object_or_404(
        Decision.objects.select_related("minutes_file"), pk=pk, minutes_file__isnull=False
    )
    stored = decision.minutes_file
    audit.record("recognition.minutes_downloaded", actor=request.user, obj=decision, ip=client_ip(request))
    return storage.attachment_response(
        stored.storage_key, filename=stored.original_name, content_type=MIME[stored.content_kind]
    )


@bureau_only
@require_http_methods(["GET", "POST"])
def objection(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(queries.objections(), pk=pk)
    errors: dict[str, str] = {}
    questions = confirmations.objection(item)
    outcome = request.POST.get("outcome", "")
    asking = (
        request.method == "POST"
        and not confirmation.confirmed(request)
        and outcome in questions
        and bool(request.POST.get("investigation", "").strip())
    )
    if request.method == "POST" and not asking:
        try:
            services.resolve_objection(
                item,
                outcome=request.POST.get("outcome", ""),
                investigation=request.POST.get("investigation", ""),
                by=request.user,
                ip=client_ip(request),
            )
        except DomainError as exc:
            errors = exc.field_errors or {"outcome": exc.message}
        else:
            messages.success(request, "异议处理结果已记录。")
            return redirect("recognition:call", pk=item.notice.call_id)
    # Bureau staff see the objector's identity in full; that view is audited (STANDARDS E25).
    audit.record("recognition.objection_viewed", actor=request.user, obj=item, ip=client_ip(request))
    context = {
        "o": item,
        "masked_mobile": mask_phone(item.objector_mobile),
        "data": request.POST,
        "errors": errors,
        "confirm": [(k, c.opened() if asking and k == outcome else c) for k, c in questions.items()],
    }
    return render(request, "recognition/objection_handle.html", context, status=422 if errors else 200)


@bureau_only
@require_http_methods(["GET", "POST"])
def recognize(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(Application.objects.select_related("call", "lead_unit"), pk=pk)
    errors: dict[str, str] = {}
    data = (
        request.POST
        if request.method == "POST"
        else {
            "official_name": application.consortium_name,
            "recognized_on": clock.local(clock.now()).date().isoformat(),
        }
    )
    question = confirmations.recognize(application)
    asking = (
        request.method == "POST"
        and not confirmation.confirmed(request)
        and all(str(data.get(k, "")).strip() for k in ("doc_number", "recognized_on", "official_name"))
    )
    if request.method == "POST" and not asking:
        try:
            services.recognize(
                application,
                doc_number=data.get("doc_number", ""),
                recognized_on=data.get("recognized_on"),
                official_name=data.get("official_name", ""),
                by=request.user,
                ip=client_ip(request),
            )
        except DomainError as exc:
            errors = exc.field_errors or {"doc_number": exc.message}
        else:
            messages.success(request, "已认定，认定通知已发送申报单位和推荐单位。")
            return redirect("recognition:call", pk=application.call_id)
    guard = services.public_notice_ended(application, request.user)
    context = {
        "a": application,
        "data": data,
        "errors": errors,
        "guard": guard,
        "confirm": question.opened() if asking else question,
    }
    return render(request, "recognition/recognize.html", context, status=422 if errors else 200)


@bureau_only
@require_POST
def decline(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(Application, pk=pk)
    if not confirmation.confirmed(request) and request.POST.get("reason", "").strip():
        context = _call_context(application.call, data=request.POST)
        for a in context["applications"]:
            if a.pk == application.pk:
                setattr(a, "decline_confirm", confirmations.decline(a).opened())  # noqa: B010
                setattr(a, "decline_reason", request.POST.get("reason", ""))  # noqa: B010
        return render(request, "recognition/call.html", context)
    try:
        services.decline(
            application, reason=request.POST.get("reason", ""), by=request.user, ip=client_ip(request)
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{application.consortium_name}：不予认定。")
    return redirect("recognition:call", pk=application.call_id)


@bureau_only
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    recognition = get_object_or_404(Recognition, pk=pk)
    assessment = Assessment.objects.filter(
        pk=request.POST.get("assessment") or 0, recognition=recognition
    ).first()
    try:
        reason = request.POST.get("reason", "")
        if assessment is not None:
            assessment_services.revoke_after_failure(
                assessment, reason=reason, by=request.user, ip=client_ip(request)
            )
        else:
            services.revoke(recognition, reason=reason, by=request.user, ip=client_ip(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已撤销对“{recognition.official_name}”的认定。")
    return redirect("recognition:register_detail", pk=recognition.pk)


def _save_override(request: HttpRequest) -> None:
    if request.POST.get("delete"):
        override = get_object_or_404(WorkdayOverride, pk=request.POST["delete"])
        services.delete_workday_override(override, by=request.user)
        return
    try:
        day = date.fromisoformat(request.POST.get("date", ""))
    except ValueError:
        raise ValidationFailed(
            "日期格式不正确。", field_errors={"date": "请填写日期（格式：2024-10-12）。"}
        ) from None
    services.set_workday_override(
        day=day,
        is_workday=request.POST.get("is_workday") == "1",
        note=request.POST.get("note", ""),
        by=request.user,
    )


def _save_year(request: HttpRequest) -> int:
    raw = request.POST.get("year", "")
    if not raw.isdigit():
        raise ValidationFailed("请填写年度。", field_errors={"year": "请填写4位年度，如2027。"})
    entry = services.confirm_workday_year(
        int(raw),
        holidays=request.POST.get("holidays", ""),
        workdays=request.POST.get("workdays", ""),
        source=request.POST.get("source", ""),
        by=request.user,
        ip=client_ip(request),
    )
    return entry.year


@role_required(Role.BUREAU, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def calendar_page(request: HttpRequest) -> HttpResponse:
    """Single-day corrections, and each year's arrangement entered or confirmed (``form=year``)."""
    errors: dict[str, str] = {}
    form = request.POST.get("form", "day")
    if request.method == "POST":
        try:
            if form == "year":
                year = _save_year(request)
                messages.success(request, f"{year}年工作日历已确认，公示期将按此安排计算。")
            else:
                _save_override(request)
                messages.success(request, "工作日历已更新。")
        except DomainError as exc:
            errors = dict(exc.field_errors) or {"year" if form == "year" else "date": exc.message}
        else:
            return redirect("recognition:calendar")
    today = clock.local(clock.now()).date()
    upcoming = calendar.calendar_days(today, 60)
    context = {
        "overrides": WorkdayOverride.objects.select_related("updated_by"),
        "upcoming": upcoming,
        "guessed_years": sorted({d["day"].year for d in upcoming if d["guessed"]}),
        "years": calendar.years_overview(today.year),
        "year_form": _year_form(request, form, errors, today.year),
        "data": request.POST if form == "day" else {},
        "errors": errors,
    }
    return render(request, "recognition/calendar.html", context, status=422 if errors else 200)


def _year_form(request: HttpRequest, form: str, errors: dict[str, str], this_year: int) -> dict:
    """What the year form shows: what was posted, else the chosen year (``?year=``) prefilled."""
    if request.method == "POST" and form == "year":
        return {k: request.POST.get(k, "") for k in ("year", "holidays", "workdays", "source")}
    raw = request.GET.get("year", "")
    year = int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else this_year + 1
    return calendar.year_form_initial(year)


@role_required(Role.BUREAU, Role.EXPERT)
@require_http_methods(["GET", "POST"])
def assessments(request: HttpRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    year = request.GET.get("year")
    if request.method == "POST" and request.user.role == Role.BUREAU:
        try:
            notice = assessment_services.publish_assessment_notice(
                year=int(request.POST.get("year") or 0),
                starts_on=request.POST.get("starts_on"),
                by=request.user,
                ip=client_ip(request),
            )
        except DomainError as exc:
            errors = exc.field_errors or {"starts_on": exc.message}
        else:
            messages.success(request, f"考核结果公示已发布，截止时间：{clock.fmt(notice.ends_at)}。")
            return redirect("recognition:assessments")
    context = {
        "assessments": queries.assessments_for_bureau(year=int(year) if year and year.isdigit() else None),
        "data": request.POST,
        "errors": errors,
        "today": clock.local(clock.now()).date().isoformat(),
        "this_year": clock.local(clock.now()).year,
    }
    return render(request, "recognition/assessments.html", context, status=422 if errors else 200)


@role_required(Role.BUREAU, Role.EXPERT)
@require_http_methods(["GET", "POST"])
def assessment(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(
        queries.assessments_for_bureau().prefetch_related("attachments", "notice_entries__notice"), pk=pk
    )
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            assessment_services.grade_assessment(
                item,
                grade=request.POST.get("grade", ""),
                comment=request.POST.get("grade_comment", ""),
                by=request.user,
                ip=client_ip(request),
            )
        except DomainError as exc:
            errors = exc.field_errors or {"grade": exc.message}
        else:
            messages.success(request, "考核等次已记录。")
            return redirect("recognition:assessment", pk=item.pk)
    entry = next(iter(item.notice_entries.all()), None)
    context = {
        "a": item,
        "data": request.POST,
        "errors": errors,
        "grades": Grade.choices,
        "notice": entry.notice if entry else None,
        "now": clock.now(),
    }
    return render(request, "recognition/assessment.html", context, status=422 if errors else 200)


@role_required(Role.BUREAU, Role.EXPERT, Role.APPLICANT)
def assessment_file(request: HttpRequest, pk: int) -> HttpResponse:
    qs = Assessment.objects.filter(attachments__pk=pk)
    if request.user.role == Role.APPLICANT:
        qs = qs.filter(recognition__application__lead_unit_id=request.user.unit_id)
    item = qs.first()
    if item is None:
        raise Http404
    stored = item.attachments.get(pk=pk)
    audit.record(
        "assessment.file_downloaded", actor=request.user, obj=item, ip=client_ip(request), detail={"file": pk}
    )
    return storage.attachment_response(
        stored.storage_key, filename=stored.original_name, content_type=MIME[stored.content_kind]
    )
