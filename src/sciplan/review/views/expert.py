"""The expert's pages: assignments (their home), the conflict declaration, and the score sheet."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from sciplan.accounts.roles import Role
from sciplan.applications.queries import application_detail
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
@require_POST
def declare(request: HttpRequest, application_id: int) -> HttpResponse:
    _expert(request)
    try:
        assignment = panels.get_assignment_for(request.user, application_id)
        conflict = request.POST.get("conflict") == "yes"
        panels.declare(assignment, conflict=conflict, reason=request.POST.get("reason", ""), by=request.user)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("review:assignments")
    if conflict:
        messages.success(request, "已回避该申报书，系统已自动补抽专家。")
        return redirect("review:assignments")
    messages.success(request, "已声明无利益冲突，可以查看申报书并评分。")
    return redirect("review:score", application_id=application_id)


@login_required
def score(request: HttpRequest, application_id: int) -> HttpResponse:
    """The score sheet. 404 unless assigned *and* declared no conflict (the application's own scope)."""
    _expert(request)
    try:
        application = application_detail(request.user, application_id)
        assignment = panels.get_assignment_for(request.user, application_id)
    except NotFound:
        raise Http404 from None
    if assignment.status != AssignmentStatus.ACTIVE:
        raise Http404
    rubric = scoring.rubric_of(application.call)
    own = Score.objects.filter(assignment=assignment).first()
    errors: dict = {}
    values = own.values if own else {}
    comments = own.comments if own else {}
    if request.method == "POST":
        values = {item["code"]: request.POST.get(f"score_{item['code']}", "") for item in rubric}
        comments = {item["code"]: request.POST.get(f"comment_{item['code']}", "") for item in rubric}
        try:
            scoring.submit_score(
                assignment, values=values, comments=comments, by=request.user, ip=client_ip(request)
            )
        except DomainError as exc:
            errors = exc.field_errors or {"general": exc.message}
            messages.error(request, exc.message)
        else:
            messages.success(request, "评分已提交。")
            return redirect("review:score", application_id=application_id)
    rows = [
        {
            **item,
            "value": values.get(item["code"], ""),
            "comment": comments.get(item["code"], ""),
            "error": errors.get(f"score_{item['code']}", ""),
            "comment_error": errors.get(f"comment_{item['code']}", ""),
        }
        for item in rubric
    ]
    # Other experts' scores only after one's own is in, so nobody anchors on a colleague's numbers.
    others = (
        list(
            Score.objects.filter(assignment__application=application)
            .exclude(assignment=assignment)
            .select_related("assignment__expert")
            .order_by("assignment_id")
        )
        if own
        else []
    )
    context = {
        "application": application,
        "assignment": assignment,
        "rows": rows,
        "own": own,
        "others": others,
        "max_total": sum(Decimal(item["max"]) for item in rubric),
        "errors": errors,
        "frozen": scoring.Ranking.objects.filter(call_id=application.call_id).exists(),
    }
    return render(request, "review/score.html", context, status=422 if errors else 200)
