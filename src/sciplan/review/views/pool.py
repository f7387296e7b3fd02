"""The expert pool pages: list, create, edit, import from XLSX, the import template."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from sciplan.core import audit, storage
from sciplan.core.errors import DomainError, NotFound
from sciplan.core.http import client_ip, safe_next
from sciplan.review import experts as pool
from sciplan.review import invitations
from sciplan.review.models import Expert
from sciplan.review.views import bureau_only

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


ACCOUNT_FILTERS = {
    "ok": ("可登录", Q(user__isnull=False, user__is_active=True)),
    "unusable": ("无可用账号（未开设或已停用）", Q(user__isnull=True) | Q(user__is_active=False)),
    "none": ("未开设账号", Q(user__isnull=True)),
    "inactive": ("账号已停用", Q(user__isnull=False, user__is_active=False)),
}


@bureau_only
def expert_list(request: HttpRequest) -> HttpResponse:
    filters = {key: request.GET.get(key, "").strip() for key in ("q", "field", "account")}
    qs = Expert.objects.select_related("user").order_by("id")
    if filters["q"]:
        qs = qs.filter(Q(name__icontains=filters["q"]) | Q(organisation__icontains=filters["q"]))
    if filters["account"] in ACCOUNT_FILTERS:
        qs = qs.filter(ACCOUNT_FILTERS[filters["account"]][1])
    names = pool.industry_names()
    if filters["field"] in names:
        qs = pool.in_field(qs, filters["field"])
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    for expert in page:
        expert.field_names = [names.get(code, code) for code in expert.fields]
        expert.contact = pool.contact_for(request.user, expert)
    audit.record(
        "review.expert_contacts_view",
        actor=request.user,
        object_type="review.expert",
        detail={"page": page.number},
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "q": filters["q"],
        "filters": filters,
        "query": query.urlencode(),
        "industries": names.items(),
        "accounts": [(key, label) for key, (label, _) in ACCOUNT_FILTERS.items()],
    }
    return render(request, "review/experts.html", context)


@bureau_only
@require_POST
def expert_invite(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        expert = pool.get_expert_for(request.user, pk)
        invitation = invitations.invite_expert(expert, by=request.user, ip=client_ip(request))
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        verb = "已开设账号" if invitation.created else "已重新发送"
        messages.success(
            request,
            f"{verb}：专家“{expert.name}”（登录名 {invitation.user.username}）的密码设置链接已发送到{expert.email}。",
        )
    return redirect(safe_next(request, reverse("review:expert_edit", args=[pk])))


def _form(request, expert: Expert | None) -> HttpResponse:
    errors: dict = {}
    if expert is not None:
        data = {
            "name": expert.name,
            "organisation": expert.organisation,
            "organisation_uscc": expert.organisation_uscc,
            "fields": expert.fields,
            "title": expert.title,
            "phone": expert.phone,
            "email": expert.email,
            "active": expert.active,
            "user": expert.user.username if expert.user else "",
        }
    else:
        data = {"fields": [], "active": True}
    if request.method == "POST":
        data = {
            key: request.POST.get(key, "")
            for key in ("name", "organisation", "organisation_uscc", "title", "phone", "email", "user")
        }
        data["fields"] = request.POST.getlist("fields")
        data["active"] = request.POST.get("active") == "on"
        try:
            if expert is None:
                expert = pool.create_expert(data, by=request.user)
            else:
                pool.update_expert(expert, data, by=request.user)
        except DomainError as exc:
            errors = exc.field_errors or {"general": exc.message}
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已保存专家“{expert.name}”。")
            return redirect("review:experts")
    context = {"expert": expert, "data": data, "errors": errors, "industries": pool.industry_names().items()}
    return render(request, "review/expert_form.html", context, status=422 if errors else 200)


@bureau_only
def expert_new(request: HttpRequest) -> HttpResponse:
    return _form(request, None)


@bureau_only
def expert_edit(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        expert = pool.get_expert_for(request.user, pk)
    except NotFound:
        raise Http404 from None
    return _form(request, expert)


@bureau_only
def expert_import(request: HttpRequest) -> HttpResponse:
    result = None
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = "请选择要导入的XLSX文件。"
        else:
            try:
                result = pool.import_experts(
                    upload,
                    by=request.user,
                    import_valid_rows=request.POST.get("import_valid_rows") == "on",
                    invite=request.POST.get("invite") == "on",
                    ip=client_ip(request),
                )
            except DomainError as exc:
                error = exc.field_errors.get("file", exc.message)
        if result is not None and result.imported:
            messages.success(request, _imported_message(result))
            if result.not_invited:
                messages.warning(request, "以下专家未发送账号邀请：" + "、".join(result.not_invited) + "。")
            if not result.errors:
                return redirect("review:experts")
    context = {"result": result, "error": error}
    status = 422 if error or (result is not None and result.errors) else 200
    return render(request, "review/expert_import.html", context, status=status)


def _imported_message(result: pool.ImportResult) -> str:
    text = f"已导入{result.imported}名专家。"
    if result.invited:
        text += f"已向其中{result.invited}名发送账号邀请（密码设置链接）。"
    return text


@bureau_only
def expert_template(request: HttpRequest) -> HttpResponse:
    return storage.bytes_response(pool.template_xlsx(), filename="专家导入模板.xlsx", content_type=XLSX)
