"""The system administrator's account pages (SPEC §2): list, create, edit, and the account actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import PasswordResetConfirmView
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods, require_POST

from sciplan.accounts import api_keys as keys
from sciplan.accounts import user_admin
from sciplan.accounts.forms import SciplanSetPasswordForm
from sciplan.accounts.models import ApiKeyScope
from sciplan.accounts.roles import Role
from sciplan.calls.models import Recommender
from sciplan.core.errors import DomainError, NotFound
from sciplan.core.http import client_ip

FILTERS = ("q", "role", "unit", "recommender", "active", "locked")


def _admin(request: HttpRequest) -> None:
    if request.user.role != Role.ADMIN:
        raise Http404


def _choices() -> dict:
    roles = [(r, Role(r).label) for r in user_admin.OFFICIAL_ROLES]
    return {"roles": roles, "all_roles": Role.choices, "recommenders": Recommender.objects.all()}


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    _admin(request)
    filters = {key: request.GET.get(key, "").strip() for key in FILTERS}
    page = Paginator(user_admin.user_list(by=request.user, **filters), 30).get_page(request.GET.get("page"))
    return render(request, "accounts/admin/users.html", {"page": page, "filters": filters, **_choices()})


@login_required
@require_http_methods(["GET", "POST"])
def user_new(request: HttpRequest) -> HttpResponse:
    _admin(request)
    errors: dict = {}
    if request.method == "POST":
        try:
            user = user_admin.create_user(request.POST.dict(), by=request.user, ip=client_ip(request))
        except DomainError as exc:
            errors = exc.field_errors or {"general": exc.message}
            messages.error(request, exc.message)
        else:
            if user.is_integration:
                messages.success(request, f"已开设接口集成账号“{user.username}”，请为其创建接口密钥。")
                return redirect("accounts:api_keys", pk=user.pk)
            messages.success(request, f"已开设账号“{user.username}”，设置密码的链接已发送到{user.email}。")
            return redirect("accounts:user_edit", pk=user.pk)
    bindings = {r: user_admin.binding_for(r) for r in user_admin.OFFICIAL_ROLES if user_admin.binding_for(r)}
    context = {
        "data": request.POST,
        "errors": errors,
        "bindings": [(r, b.label, b.choices(None)) for r, b in bindings.items()],
        **_choices(),
    }
    return render(request, "accounts/admin/user_form.html", context, status=422 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request)
    try:
        target = user_admin.get_user_for(request.user, pk)
    except NotFound:
        raise Http404 from None
    errors: dict = {}
    if request.method == "POST":
        try:
            user_admin.update_user(target, request.POST.dict(), by=request.user, ip=client_ip(request))
        except DomainError as exc:
            errors = exc.field_errors or {"general": exc.message}
            messages.error(request, exc.message)
        else:
            messages.success(request, "账号信息已保存。")
            return redirect("accounts:user_edit", pk=target.pk)
    context = {"target": target, "data": request.POST or None, "errors": errors, **_choices()}
    return render(request, "accounts/admin/user_edit.html", context, status=422 if errors else 200)


ACTIONS = {
    "deactivate": (lambda u, by, ip: user_admin.set_active(u, active=False, by=by, ip=ip), "账号已停用。"),
    "activate": (lambda u, by, ip: user_admin.set_active(u, active=True, by=by, ip=ip), "账号已启用。"),
    "reset_password": (
        lambda u, by, ip: user_admin.reset_password(u, by=by, ip=ip),
        "原密码已失效，设置密码的链接已发送。",
    ),
    "reset_otp": (
        lambda u, by, ip: user_admin.reset_authenticator(u, by=by, ip=ip),
        "已移除身份验证器，下次登录时重新绑定。",
    ),
    "unlock": (lambda u, by, ip: user_admin.unlock(by=by, username=u.username, ip=ip), "已解除登录锁定。"),
}


@login_required
@require_POST
def user_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _admin(request)
    if action not in ACTIONS:
        raise Http404
    try:
        target = user_admin.get_user_for(request.user, pk)
        run, message = ACTIONS[action]
        run(target, request.user, client_ip(request))
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, message)
    return redirect("accounts:user_edit", pk=pk)


@login_required
@require_POST
def unlock_address(request: HttpRequest) -> HttpResponse:
    _admin(request)
    try:
        user_admin.unlock(
            by=request.user,
            username=request.POST.get("username", ""),
            ip_address=request.POST.get("ip_address", ""),
            ip=client_ip(request),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已解除登录锁定。")
    return redirect("accounts:user_list")


@login_required
@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest, pk: int) -> HttpResponse:
    """The keys of an integration account, and the form that issues one; a new key is shown once,
    on the answer to the POST that created it, never again."""
    _admin(request)
    try:
        target = keys.integration_account_for(request.user, pk)
    except NotFound:
        raise Http404 from None
    errors: dict = {}
    created = None
    if request.method == "POST":
        try:
            created = keys.create_key(target, request.POST.dict(), by=request.user, ip=client_ip(request))
        except DomainError as exc:
            errors = exc.field_errors or {"general": exc.message}
            messages.error(request, exc.message)
    rows = [(k, keys.key_state(k)) for k in keys.key_list(target, by=request.user)]
    context = {
        "target": target,
        "rows": rows,
        "state_labels": keys.STATE_LABELS,
        "revoke_reasons": keys.REVOKE_REASONS,
        "scopes": ApiKeyScope.choices,
        "data": request.POST if errors else {},
        "errors": errors,
        "created": created,
        "default_days": keys.DEFAULT_DAYS,
        "max_days": keys.MAX_DAYS,
    }
    response = render(request, "accounts/admin/api_keys.html", context, status=422 if errors else 200)
    response["Cache-Control"] = "no-store"  # the page may hold a key in clear
    return response


@login_required
@require_POST
def api_key_revoke(request: HttpRequest, pk: int, key_pk: int) -> HttpResponse:
    _admin(request)
    try:
        target = keys.integration_account_for(request.user, pk)
        key = keys.get_key_for(request.user, target, key_pk)
        keys.revoke_key(key, by=request.user, ip=client_ip(request))
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"密钥“{key.name}”已吊销，之后用它的请求一律被拒绝。")
    return redirect("accounts:api_keys", pk=pk)


class SetPasswordView(PasswordResetConfirmView):
    """The one-time link: Django's own token check; the new password counts as a fresh change."""

    template_name = "accounts/set_password.html"
    form_class = SciplanSetPasswordForm
    success_url = reverse_lazy("accounts:login")
    post_reset_login = False

    def form_valid(self, form):
        response = super().form_valid(form)
        user_admin.password_set_by_link(form.user, ip=client_ip(self.request))
        messages.success(self.request, "密码已设置，请用新密码登录。")
        return response
