"""Submitting (with an idempotency key), withdrawing, receipts and the frozen versions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from sciplan.applications import actions, budget, eligibility, forms, workflow
from sciplan.applications.models import Application, ApplicationVersion
from sciplan.applications.sections import SECTIONS
from sciplan.applications.views.frame import application_for, human_size, page_context, sees_personal_data
from sciplan.applications.workflow import Action, Status
from sciplan.calls.deadlines import deadline_for
from sciplan.calls.models import Stage
from sciplan.core import clock, masking
from sciplan.core.errors import DomainError, NotFound
from sciplan.core.http import client_ip


def _submit_action(application: Application) -> str:
    return Action.SUBMIT_CORRECTION if application.status == Status.CORRECTION else Action.SUBMIT


def _submit_page(request, application, *, error: str = "", status: int = 200) -> HttpResponse:
    action = _submit_action(application)
    refusal = workflow.check(application, action, by=request.user)
    results = eligibility.check_application(application)
    context = page_context(
        request,
        application,
        "submit",
        checked=results,
        refusal=refusal.message if refusal else "",
        error=error,
        hard_failed=[r for r in results if r.hard and not r.passed],
        idempotency_key=uuid.uuid4().hex,
        deadline=deadline_for(application.call, Stage.APPLY, unit=application.lead_unit),
        now=clock.now(),
        next_number=len(application.versions.all()) + 1,
        sections=SECTIONS,
        resubmit=application.status == Status.RETURNED,
    )
    return render(request, "applications/submit.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    application = application_for(request, pk)
    if request.method == "GET":
        return _submit_page(request, application)
    key = (request.POST.get("idempotency_key") or "").strip()[:64] or None
    try:
        actions.perform(
            application,
            _submit_action(application),
            by=request.user,
            idempotency_key=key,
            ip=client_ip(request),
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        fresh = application_for(request, pk)
        return _submit_page(request, fresh, error=exc.message, status=exc.status)
    version = ApplicationVersion.objects.filter(application_id=pk).order_by("-number").first()
    if version is None:  # a correction re-submission keeps its version history in the events
        return redirect("applications:detail", pk=pk)
    return redirect("applications:receipt", pk=pk, number=version.number)


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    application = application_for(request, pk)
    error = ""
    reason = request.POST.get("reason", "")
    if request.method == "POST":
        try:
            actions.perform(
                application, Action.WITHDRAW, by=request.user, reason=reason, ip=client_ip(request)
            )
        except NotFound:
            raise Http404 from None
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, "申报书已撤回。撤回后本申报不再进入推荐和评审。")
            return redirect("applications:detail", pk=pk)
    refusal = workflow.check(application, Action.WITHDRAW, by=request.user)
    context = page_context(
        request,
        application,
        "overview",
        refusal=refusal.message if refusal else "",
        error=error,
        reason=reason,
    )
    return render(request, "applications/withdraw.html", context, status=409 if error else 200)


# --- receipts and frozen versions ---------------------------------------------------------------------


def _version_of(application: Application, number: int) -> ApplicationVersion:
    for version in application.versions.all():
        if version.number == number:
            return version
    raise Http404


@login_required
def receipt(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    application = application_for(request, pk)
    version = _version_of(application, number)
    context = page_context(request, application, "overview", version=version)
    return render(request, "applications/receipt.html", context)


def snapshot_sections(snapshot: dict[str, Any], *, show_pii: bool) -> list[dict[str, Any]]:
    """The frozen fields grouped by section, labelled like the form, for reading."""
    values = snapshot.get("fields", {})
    rendered = []
    for section in SECTIONS:
        rows = []
        for name in section.fields:
            value = values.get(name, "")
            if name == "lead_standing_level":
                value = forms.standing_label(value)
            elif isinstance(value, list):
                value = "、".join(value)
            elif not show_pii and name.endswith("mobile"):
                value = masking.mask_phone(value)
            elif not show_pii and name.endswith("email"):
                value = masking.mask_email(value)
            rows.append({"label": forms.field_label(name), "value": value})
        rendered.append({"title": section.title, "rows": rows, "code": section.code})
    return rendered


def _snapshot_budget(snapshot: dict[str, Any]) -> dict[str, Any] | None:
    """The frozen budget table, or None for a version submitted before the budget table existed."""
    items = snapshot.get("budget")
    if not items:
        return None
    years = [item["year"] for item in sorted(items, key=lambda item: item["index"])]
    return {
        "years": [budget.year_label(i, years) for i in budget.YEARS],
        "rows": budget.printed_rows(budget.rows_from_snapshot(items)),
    }


def _iso_local(value: str | None) -> str:
    """A frozen ISO timestamp shown in Asia/Shanghai wall time, to the second."""
    if not value:
        return ""
    try:
        return clock.fmt(datetime.fromisoformat(value))
    except ValueError:
        return value


@login_required
def version_view(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    application = application_for(request, pk)
    version = _version_of(application, number)
    snapshot = version.snapshot
    members_by_id = {m["id"]: m["name"] for m in snapshot.get("members", [])}
    platforms_by_id = {p["id"]: p["name"] for p in snapshot.get("platforms", [])}
    files = [
        {
            **a,
            "human_size": human_size(a.get("size") or 0),
            "owner": members_by_id.get(a.get("member_id")) or platforms_by_id.get(a.get("platform_id")) or "",
        }
        for a in snapshot.get("attachments", [])
    ]
    members = [
        {**m, "confirmed_display": _iso_local(m.get("confirmed_at"))} for m in snapshot.get("members", [])
    ]
    context = page_context(
        request,
        application,
        "overview",
        version=version,
        snapshot=snapshot,
        sections=snapshot_sections(snapshot, show_pii=sees_personal_data(request.user, application)),
        budget_table=_snapshot_budget(snapshot),
        files=files,
        members=members,
        all_versions=sorted(application.versions.all(), key=lambda v: v.number),
    )
    return render(request, "applications/version.html", context)
