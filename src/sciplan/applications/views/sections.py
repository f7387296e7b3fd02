"""The form sections (sections.SECTIONS): render, save explicitly or by autosave, show conflicts.

Autosave posts the same form with ``X-Autosave: 1`` and gets JSON back; a stale base version answers
409 with both texts so the page can put them side by side.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from sciplan.applications import budget, forms, services
from sciplan.applications.models import Application
from sciplan.applications.sections import BY_CODE
from sciplan.applications.views.frame import application_for, page_context, wants_json
from sciplan.core import clock
from sciplan.core.errors import Conflict, DomainError


def _conflict_fields(application: Application, exc: Conflict, data: dict[str, Any]) -> list[dict]:
    theirs = exc.current.get("fields", {})
    years = budget.plan_years(application.start_date, application.call.year)
    return [
        {
            "name": name,
            "label": forms.field_label(name, years=years),
            "mine": forms.display_value(application, name, data.get(name)),
            "mine_raw": data.get(name, ""),
            "theirs": forms.display_value(application, name, value),
            "theirs_raw": value,
        }
        for name, value in theirs.items()
    ]


def _section_context(request, application, section, *, values=None, errors=None, **extra) -> dict:
    finance = forms.finance_rows(application, values=values, errors=errors) if section.code == "lead" else []
    fields = forms.section_fields(application, section, values=values, errors=errors)
    table = None
    if section.code == "plan":
        table = forms.budget_table(application, fields, values=values, errors=errors)
    return page_context(
        request,
        application,
        section.code,
        section=section,
        fields=fields,
        finance=finance,
        budget=table,
        base_version=extra.pop("base_version", application.version),
        **extra,
    )


@login_required
@require_http_methods(["GET", "POST"])
def section(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    spec = BY_CODE.get(code)
    if spec is None:
        raise Http404
    application = application_for(request, pk)
    if request.method == "GET":
        return render(request, "applications/section.html", _section_context(request, application, spec))
    data = forms.section_data(request.POST, spec, application)
    try:
        # "Keep mine" after a conflict re-saves on the version the conflict reported.
        base = int(request.POST.get("keep_mine_version") or request.POST.get("base_version") or 0)
        result = services.save_section(
            application, code, data, base_version=base, by=request.user, partial_ok=True
        )
    except ValueError:
        return _section_refused(request, application, spec, data, "页面版本信息缺失，请刷新后重试。", 400)
    except Conflict as exc:
        if exc.code != "stale":
            return _section_refused(request, application, spec, data, exc.message, exc.status)
        return _conflict_response(request, application, spec, data, exc, base)
    except DomainError as exc:
        return _section_refused(request, application, spec, data, exc.message, exc.status)
    return _saved_response(request, spec, data, result)


def _saved_response(request, section, data, result: services.SaveResult) -> HttpResponse:
    saved = result.application
    if wants_json(request):
        return JsonResponse(
            {
                "ok": not result.errors,
                "version": saved.version,
                "saved": result.saved,
                "errors": result.errors,
                "saved_at": clock.local(clock.now()).strftime("%H:%M:%S"),
                "consortium_name": saved.consortium_name,
            }
        )
    if not result.errors:
        messages.success(request, f"已保存“{section.title}”（{clock.fmt(clock.now())}）。")
        return redirect("applications:section", pk=saved.pk, code=section.code)
    # The valid fields are saved; the invalid ones come back as typed, each with its message.
    fresh = application_for(request, saved.pk)
    typed = {n: v for n, v in data.items() if n in result.errors}
    context = _section_context(request, fresh, section, values=typed, errors=result.errors, has_errors=True)
    return render(request, "applications/section.html", context, status=422)


def _conflict_response(request, application, section, data, exc: Conflict, base: int) -> HttpResponse:
    conflicts = _conflict_fields(application, exc, data)
    version = exc.current.get("version")
    if wants_json(request):
        body = {"ok": False, "conflict": True, "message": exc.message, "version": version}
        return JsonResponse({**body, "fields": conflicts}, status=409)
    context = _section_context(
        request,
        application,
        section,
        values=data,
        conflicts=conflicts,
        conflict_version=version,
        conflict_message=exc.message,
        base_version=base,
    )
    return render(request, "applications/section.html", context, status=409)


def _section_refused(request, application, section, data, message: str, status: int) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"ok": False, "message": message}, status=status)
    context = _section_context(request, application, section, values=data, refusal=message)
    return render(request, "applications/section.html", context, status=status)
