"""The expert's pages: assignments (their home), the conflict declaration, the score sheet with its
review step, and the read-only text of the submitted application."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from sciplan.accounts.roles import Role
from sciplan.applications.queries import application_detail
from sciplan.applications.views.frame import human_size
from sciplan.applications.views.submission import snapshot_sections
from sciplan.core.errors import DomainError, NotFound
from sciplan.core.http import client_ip
from sciplan.review import panels, scoring
from sciplan.review.models import AssignmentStatus, Score


def _expert(request: HttpRequest) -> None:
    if request.user.role != Role.EXPERT:
        raise Http404


@login_required
def assignments(request: HttpRequest) -> HttpResponse:
    _expert(request)
    items = list(panels.assignments_for(request.user).prefetch_related("application__members"))
    return render(request, "review/assignments.html", {"items": items})


@login_required
@require_http_methods(["GET", "POST"])
def declare(request: HttpRequest, application_id: int) -> HttpResponse:
    """The declaration page: the units, the commitment and the primary action; recusal set apart."""
    _expert(request)
    try:
        assignment = panels.get_assignment_for(request.user, application_id)
    except NotFound:
        raise Http404 from None
    if assignment.status == AssignmentStatus.ACTIVE:
        return redirect("review:score", application_id=application_id)
    errors: dict = {}
    if request.method == "POST":
        conflict = request.POST.get("conflict") == "yes"
        try:
            panels.declare(
                assignment, conflict=conflict, reason=request.POST.get("reason", ""), by=request.user
            )
        except NotFound:
            raise Http404 from None
        except DomainError as exc:
            errors = exc.field_errors or {"general": exc.message}
            messages.error(request, exc.message)
        else:
            if conflict:
                messages.success(request, "已回避该申报书，系统已自动补抽其他专家。")
                return redirect("review:assignments")
            messages.success(request, "已声明无利益冲突，可以查看申报书并评分。")
            return redirect("review:score", application_id=application_id)
    context = {
        "assignment": assignment,
        "application": assignment.application,
        "members": list(assignment.application.members.order_by("id")),
        "commitment": panels.COMMITMENT,
        "errors": errors,
        "reason": request.POST.get("reason", ""),
    }
    return render(request, "review/declare.html", context, status=422 if errors else 200)


def _seat(request: HttpRequest, application_id: int):
    """The application (in the expert's scope: assigned and declared) and the expert's active seat."""
    _expert(request)
    try:
        application = application_detail(request.user, application_id)
        assignment = panels.get_assignment_for(request.user, application_id)
    except NotFound:
        raise Http404 from None
    if assignment.status != AssignmentStatus.ACTIVE:
        raise Http404
    return application, assignment


def _partial_total(rubric: list[dict], values: dict) -> Decimal:
    """The running total of what is filled in so far (the static script shows the same as one types)."""
    total = Decimal(0)
    for item in rubric:
        try:
            value = Decimal(str(values.get(item["code"], "")).strip())
        except InvalidOperation:
            continue
        if value.is_finite() and Decimal(0) <= value <= Decimal(item["max"]):
            total += value
    return total.quantize(scoring.TWO_PLACES)


@login_required
@require_http_methods(["GET", "POST"])
def score(request: HttpRequest, application_id: int) -> HttpResponse:
    """The score sheet. 404 unless assigned *and* declared no conflict (the application's own scope).

    A POST goes through a review step first (``step=review``: checked, nothing saved, each score and
    the weighted total shown); only ``step=confirm`` submits. Once submitted the sheet is locked."""
    application, assignment = _seat(request, application_id)
    rubric = scoring.rubric_of(application.call)
    own = Score.objects.filter(assignment=assignment).first()
    frozen = scoring.Ranking.objects.filter(call_id=application.call_id).exists()
    editable = not frozen and (own is None or own.reopened)
    errors: dict = {}
    values = own.values if own else {}
    comments = own.comments if own else {}
    step = request.POST.get("step", "") if request.method == "POST" else ""
    if step:
        values = {item["code"]: request.POST.get(f"score_{item['code']}", "") for item in rubric}
        comments = {item["code"]: request.POST.get(f"comment_{item['code']}", "") for item in rubric}
    if step in ("review", "confirm"):
        try:
            if step == "review":
                total = scoring.check_score(assignment, values=values, comments=comments, by=request.user)
            else:
                scoring.submit_score(
                    assignment, values=values, comments=comments, by=request.user, ip=client_ip(request)
                )
        except DomainError as exc:
            errors = exc.field_errors or {"general": exc.message}
            messages.error(request, exc.message)
        else:
            if step == "confirm":
                messages.success(request, "评分已提交并锁定。")
                return redirect("review:score", application_id=application_id)
            return render(
                request,
                "review/score_confirm.html",
                {"application": application, "rows": _rows(rubric, values, comments), "total": total},
            )
    context = {
        "application": application,
        "assignment": assignment,
        "rows": _rows(rubric, values, comments, errors),
        "own": own,
        "editable": editable,
        "reopening": own.reopenings.first() if own and own.reopened else None,
        "running_total": _partial_total(rubric, values),
        "max_total": sum(Decimal(item["max"]) for item in rubric),
        "errors": errors,
        "frozen": frozen,
        "result": scoring.panel_result_for_expert(assignment) if own else None,
    }
    return render(request, "review/score.html", context, status=422 if errors else 200)


def _rows(rubric: list[dict], values: dict, comments: dict, errors: dict | None = None) -> list[dict]:
    errors = errors or {}
    return [
        {
            **item,
            "value": values.get(item["code"], ""),
            "comment": comments.get(item["code"], ""),
            "error": errors.get(f"score_{item['code']}", ""),
            "comment_error": errors.get(f"comment_{item['code']}", ""),
        }
        for item in rubric
    ]


@login_required
def full_text(request: HttpRequest, application_id: int) -> HttpResponse:
    """The submitted version the expert reviews, read-only, with the way back to the score sheet."""
    application, _assignment = _seat(request, application_id)
    version = max(application.versions.all(), key=lambda v: v.number, default=None)
    if version is None:
        raise Http404
    snapshot = version.snapshot
    members_by_id = {m["id"]: m["name"] for m in snapshot.get("members", [])}
    files = [
        {
            **a,
            "human_size": human_size(a.get("size") or 0),
            "owner": members_by_id.get(a.get("member_id"), ""),
        }
        for a in snapshot.get("attachments", [])
    ]
    context = {
        "application": application,
        "version": version,
        "snapshot": snapshot,
        # Experts never need the contacts' phone numbers or e-mail addresses: masked.
        "sections": snapshot_sections(snapshot, show_pii=False),
        "members": snapshot.get("members", []),
        "files": files,
    }
    return render(request, "review/full_text.html", context)
