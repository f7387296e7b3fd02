"""The system administrator's dictionary pages: industries (1+3+X) and recommending units — list,
create, edit, deactivate and reactivate. Expert fields are the industries; the working-day calendar has
its own page in the recognition app and is linked from the index."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods, require_POST

from sciplan.calls import dictionaries
from sciplan.calls.models import IndustryGroup, RecommenderKind
from sciplan.core.errors import DomainError, NotFound
from sciplan.core.http import client_ip

TEMPLATES = "calls/dictionaries"
LIST_URL = {"industries": "calls:industry_list", "recommenders": "calls:recommender_list"}


def admin_only(view):
    """Signed-in users of other roles get 404: the dictionary pages do not exist for them."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            dictionaries.ensure_editor(request.user)
        except NotFound:
            raise Http404 from None
        return view(request, *args, **kwargs)

    return wrapped


def _choices(kind: str) -> dict:
    if kind == "industries":
        return {"groups": IndustryGroup.choices}
    return {"recommender_kinds": RecommenderKind.choices}


@admin_only
def index(request: HttpRequest) -> HttpResponse:
    context = {
        "industry_count": dictionaries.INDUSTRIES.model.objects.count(),
        "recommender_count": dictionaries.RECOMMENDERS.model.objects.count(),
        "expert_fields": dictionaries.INDUSTRIES.model.objects.active(),
    }
    return render(request, f"{TEMPLATES}/index.html", context)


@admin_only
def entry_list(request: HttpRequest, kind: str) -> HttpResponse:
    rows = (
        dictionaries.industries_with_use() if kind == "industries" else dictionaries.recommenders_with_use()
    )
    return render(request, f"{TEMPLATES}/{kind}.html", {"rows": rows, "kind": kind})


@admin_only
@require_http_methods(["GET", "POST"])
def entry_form(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    spec = dictionaries.KINDS[kind]
    try:
        entry = dictionaries.get_entry_for(request.user, spec, pk) if pk is not None else None
    except NotFound:
        raise Http404 from None
    errors: dict[str, str] = {}
    data = request.POST if request.method == "POST" else _initial(spec, entry)
    if request.method == "POST":
        try:
            if entry is None:
                dictionaries.create_entry(spec, data=request.POST, by=request.user, ip=client_ip(request))
            else:
                dictionaries.update_entry(entry, data=request.POST, by=request.user, ip=client_ip(request))
        except DomainError as exc:
            errors = exc.field_errors or {"general": exc.message}
        else:
            messages.success(request, f"{spec.label}“{request.POST.get('name', '').strip()}”已保存。")
            return redirect(LIST_URL[kind])
    context = {"kind": kind, "spec": spec, "entry": entry, "data": data, "errors": errors, **_choices(kind)}
    return render(request, f"{TEMPLATES}/form.html", context, status=422 if errors else 200)


def _initial(spec, entry) -> dict:
    if entry is None:
        return {"needs_finance_cosign": "", "pending_confirmation": ""}
    return {name: getattr(entry, name) for name in spec.fields}


@admin_only
@require_POST
def entry_active(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    spec = dictionaries.KINDS[kind]
    try:
        entry = dictionaries.get_entry_for(request.user, spec, pk)
    except NotFound:
        raise Http404 from None
    active = request.POST.get("active") == "1"
    dictionaries.set_active(entry, active=active, by=request.user, ip=client_ip(request))
    if active:
        messages.success(request, f"{spec.label}“{entry.name}”已重新启用。")
    else:
        messages.success(
            request, f"{spec.label}“{entry.name}”已停用：不再供新的申报批次和注册选择，历史记录照常显示。"
        )
    return redirect(LIST_URL[kind])


def _routes(kind: str, singular: str) -> list:
    k = {"kind": kind}
    return [
        path(f"{kind}/", entry_list, k, name=f"{singular}_list"),
        path(f"{kind}/new/", entry_form, k, name=f"{singular}_new"),
        path(f"{kind}/<int:pk>/", entry_form, k, name=f"{singular}_edit"),
        path(f"{kind}/<int:pk>/active/", entry_active, k, name=f"{singular}_active"),
    ]


# Included by ``calls.urls`` under ``dictionaries/``.
urls = [
    path("", index, name="dictionaries"),
    *_routes("industries", "industry"),
    *_routes("recommenders", "recommender"),
]
