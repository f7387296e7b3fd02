"""One application's panel: its seats and scores, every draw that seated anyone on it (replaced ones
included), replacing seats with a recorded reason, and reopening a submitted score.

The bureau acts here; the audit viewer reads the same record without the forms."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from sciplan.accounts.roles import Role
from sciplan.calls.models import Industry
from sciplan.core.errors import DomainError, NotFound
from sciplan.core.http import client_ip
from sciplan.review import panels, scoring
from sciplan.review.models import BUREAU_REDRAW_REASONS, GONE
from sciplan.review.views import bureau_only, draw_readers
from sciplan.review.views.bureau import pool_help


def _render(
    request: HttpRequest,
    pk: int,
    *,
    form: str = "",
    errors=None,
    status: int = 200,
    help_links=None,
    reopen_id: int | None = None,
):
    try:
        record = panels.panel_record(request.user, pk)
    except NotFound:
        raise Http404 from None
    names = dict(Industry.objects.values_list("code", "name"))
    for row in record.draws:
        row.field_name = names.get(row.draw.field, row.draw.field)
    data = request.POST if request.method == "POST" else QueryDict()
    seats = [s for s in record.seats if s.status not in GONE]
    context = {
        "application": record.application,
        "seats": seats,
        "any_locked": any(hasattr(s, "score") and not s.score.reopened for s in seats),
        "reopen_id": reopen_id,
        "gone": [s for s in record.seats if s.status in GONE],
        "draws": record.draws,
        "reopenings": record.reopenings,
        "reasons": [(r.value, r.label) for r in BUREAU_REDRAW_REASONS],
        "can_act": request.user.role == Role.BUREAU,
        "frozen": scoring.Ranking.objects.filter(call_id=record.application.call_id).exists(),
        "form": form,
        "errors": errors or {},
        "data": data,
        "picked": {int(v) for v in data.getlist("seats") if v.isdigit()} if form == "replace" else set(),
        "pool_help": help_links or [],
    }
    return render(request, "review/panel.html", context, status=status)


@draw_readers
def panel_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _render(request, pk)


@bureau_only
@require_POST
def replace_seats(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        application = panels.panel_record(request.user, pk).application
        draw = panels.replace_seats(
            application,
            assignment_ids=[int(v) for v in request.POST.getlist("seats") if v.isdigit()],
            reason_code=request.POST.get("reason_code", ""),
            reason=request.POST.get("reason", ""),
            by=request.user,
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
        errors = exc.field_errors or {"general": exc.message}
        return _render(request, pk, form="replace", errors=errors, status=422, help_links=pool_help(exc))
    messages.success(
        request, f"已替换{draw.size}名专家并重新抽取（抽取记录#{draw.pk}），被替换的专家已收到通知。"
    )
    return redirect("review:panel", pk=pk)


@bureau_only
@require_POST
def reopen_score(request: HttpRequest, pk: int, score_id: int) -> HttpResponse:
    try:
        score = scoring.get_score_for(request.user, pk, score_id)
        scoring.reopen_score(
            score, reason=request.POST.get("reason", ""), by=request.user, ip=client_ip(request)
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
        errors = {"reason": (exc.field_errors or {}).get("reason", exc.message)}
        return _render(request, pk, form="reopen", errors=errors, status=422, reopen_id=score_id)
    messages.success(request, "评分已退回，专家已收到通知；专家重新提交前，原评分仍计入。")
    return redirect("review:panel", pk=pk)
