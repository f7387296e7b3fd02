"""Sign-in, registration of applicant units and their approval by the region's recommender."""

from __future__ import annotations

from datetime import timedelta

from axes.helpers import get_client_username, get_cool_off
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, PasswordChangeView
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from sciplan.accounts import confirmations, services, user_admin
from sciplan.accounts.forms import LoginForm, SciplanPasswordChangeForm
from sciplan.accounts.roles import Role
from sciplan.calls.models import Recommender
from sciplan.core import audit, authority, clock, storage
from sciplan.core.confirmation import confirmed, open_only
from sciplan.core.errors import DomainError
from sciplan.core.filetypes import MIME
from sciplan.core.http import client_ip, safe_next


class SciplanLoginView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["timed_out"] = self.request.session.pop("timed_out", False)
        return context


class SciplanPasswordChangeView(PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = SciplanPasswordChangeForm
    success_url = reverse_lazy("core:home")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["expired"] = bool(self.request.session.get("password_expired"))
        return context

    def form_valid(self, form):
        from sciplan.core import audit, clock

        response = super().form_valid(form)
        self.request.user.password_changed_at = clock.now()
        self.request.user.save(update_fields=["password_changed_at"])
        self.request.session.pop("password_expired", None)
        audit.record("user.password_change", actor=self.request.user, ip=client_ip(self.request))
        messages.success(self.request, "密码已修改。")
        return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("core:home")


def lockout_response(request, *args, **kwargs) -> HttpResponse:
    """Shown when too many sign-in failures locked an account at this address (STANDARDS A2).

    The lock holds one account at one client address (settings ``AXES_LOCKOUT_PARAMETERS``): the page
    says when it lifts, that other networks are not affected, and who can lift it sooner.
    """
    credentials = kwargs.get("credentials") or (args[-1] if args and isinstance(args[-1], dict) else None)
    cool_off = get_cool_off(request) or timedelta(minutes=15)
    retry_at = user_admin.lockout_lifts_at(
        username=get_client_username(request, credentials) or "",
        ip_address=client_ip(request),
        cool_off=cool_off,
    )
    now = clock.now()
    seconds = max(int((retry_at - now).total_seconds()), 1)
    context = {
        "minutes": max(round(cool_off.total_seconds() / 60), 1),
        "retry_at": timezone.localtime(retry_at),
        "wait_minutes": max((seconds + 59) // 60, 1),
        "issuer": authority.current(),
    }
    response = render(request, "accounts/locked.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    data = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            upload = request.FILES.get("licence")
            services.register_unit(
                request.POST.dict(),
                licence=upload,
                licence_name=(upload.name or "") if upload else "",
                licence_required=True,
                ip=client_ip(request),
            )
        except DomainError as exc:
            errors = exc.field_errors
            messages.error(request, exc.message)
        else:
            return redirect("accounts:register_done")
    return render(
        request,
        "accounts/register.html",
        {"data": data, "errors": errors, "recommenders": Recommender.objects.active()},
        status=422 if errors else 200,
    )


def register_done(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/register_done.html", {"review_days": services.REVIEW_WORKING_DAYS})


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {"status": 404, "title": "未找到", "message": "页面不存在，或您无权查看。"},
        status=404,
    )


def _unit_page(request: HttpRequest, unit, *, asking: str = "", errors=None, status: int = 200):
    questions = confirmations.unit_review(unit)
    if asking:
        questions = open_only(questions, asking)
    context = {
        "unit": unit,
        "admin": unit.users.filter(is_unit_admin=True).order_by("id").first(),
        "licence": services.licence_of(unit),
        "confirm": questions,
        "reason": request.POST.get("reason", "") if request.method == "POST" else "",
        "errors": errors or {},
    }
    return render(request, "accounts/unit_review.html", context, status=status)


@login_required
def unit_licence(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The licence scan of a unit, for its reviewer (the region's recommender or the bureau) only."""
    try:
        unit = services.get_unit_for_review(request.user, pk)
    except DomainError:
        raise Http404 from None
    item = services.licence_of(unit)
    if item is None:
        raise Http404
    audit.record("unit.licence_download", actor=request.user, obj=item, ip=client_ip(request))
    return storage.attachment_response(
        item.storage_key,
        filename=item.original_name,
        content_type=MIME.get(item.content_kind, "application/octet-stream"),
        sha256=item.sha256,
        actor=request.user,
        obj=item,
        ip=client_ip(request),
    )


@login_required
def unit_review(request: HttpRequest, pk: int) -> HttpResponse:
    """A registration in full (contact, address, licence) before it is approved or rejected."""
    try:
        unit = services.get_unit_for_review(request.user, pk)
    except DomainError:
        return _not_found(request)
    audit.record("unit.review_view", actor=request.user, obj=unit, ip=client_ip(request))
    return _unit_page(request, unit)


@login_required
def pending_units(request: HttpRequest) -> HttpResponse:
    if request.user.role not in (Role.RECOMMENDER, Role.BUREAU):
        return _not_found(request)
    units = services.units_pending_for(request.user)
    return render(request, "accounts/pending_units.html", {"units": units})


@login_required
@require_POST
def review_unit(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        unit = services.get_unit_for_review(request.user, pk)
        approve = request.POST.get("decision") == "approve"
        reason = request.POST.get("reason", "")
        if not confirmed(request) and (approve or reason.strip()):
            # Nothing is decided yet: the unit's page with the question open and the reason kept.
            return _unit_page(request, unit, asking="approve" if approve else "reject")
        services.approve_unit(
            unit,
            by=request.user,
            approve=approve,
            reason=request.POST.get("reason", ""),
            ip=client_ip(request),
        )
        messages.success(request, f"已{'通过' if approve else '退回'}“{unit.name}”的注册，并已通知该单位。")
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from None
        if exc.field_errors:
            return _unit_page(request, unit, errors=exc.field_errors, status=exc.status)
        messages.error(request, exc.message)
    return redirect(safe_next(request, reverse("accounts:pending_units")))


@login_required
@require_http_methods(["GET", "POST"])
def unit_users(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.role != Role.APPLICANT:
        return render(
            request,
            "core/error.html",
            {"status": 404, "title": "未找到", "message": "页面不存在，或您无权查看。"},
            status=404,
        )
    errors: dict[str, str] = {}
    data = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            services.add_unit_user(
                by=user,
                username=request.POST.get("username", "").strip(),
                name=request.POST.get("name", "").strip(),
                mobile=request.POST.get("mobile", ""),
                email=request.POST.get("email", "").strip(),
                password=request.POST.get("password", ""),
            )
            messages.success(request, "已添加填报人。")
            return redirect("accounts:unit_users")
        except DomainError as exc:
            errors = exc.field_errors
            messages.error(request, exc.message)
    return render(
        request,
        "accounts/unit_users.html",
        {"members": user.unit.users.all(), "errors": errors, "data": data},
    )


@login_required
@require_http_methods(["GET", "POST"])
def uscc_overrides(request: HttpRequest) -> HttpResponse:
    """The bureau accepts one unified social credit code that fails an overridable rule (SPEC §9)."""
    try:
        overrides = services.uscc_overrides_for(request.user)
    except DomainError:
        raise Http404 from None
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            override = services.override_uscc(
                code=request.POST.get("uscc", ""),
                unit_name=request.POST.get("unit_name", ""),
                reason=request.POST.get("reason", ""),
                by=request.user,
                ip=client_ip(request),
            )
        except DomainError as exc:
            errors = exc.field_errors or {"uscc": exc.message}
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已豁免“{override.unit_name}”的统一社会信用代码{override.uscc}。")
            return redirect("accounts:uscc_overrides")
    context = {"overrides": overrides, "data": request.POST, "errors": errors}
    return render(request, "accounts/uscc_overrides.html", context, status=422 if errors else 200)
