"""The list of the unit's applications, creating one, the overview and the eligibility page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from sciplan.applications import eligibility, queries, services, workflow
from sciplan.applications.models import Application, StatusEvent
from sciplan.applications.views.frame import (
    ACTION_PAGES,
    application_for,
    fix_links,
    page_context,
    steps_of,
)
from sciplan.applications.workflow import Action, Status
from sciplan.calls.deadlines import deadline_for
from sciplan.calls.models import Call, Stage
from sciplan.core import clock
from sciplan.core.errors import DomainError
from sciplan.core.http import client_ip

# --- the list and creating ----------------------------------------------------------------------------


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    applications = list(queries.applications_for(request.user))
    now = clock.now()
    open_calls = list(Call.objects.listed().filter(opens_at__lte=now, closes_at__gt=now))
    # One active application per unit and call: offer to continue it instead of starting another.
    active = {a.call_id: a for a in applications if a.status not in workflow.FINAL}
    for call in open_calls:
        call.existing = active.get(call.pk)
    return render(request, "applications/list.html", {"applications": applications, "open_calls": open_calls})


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    try:
        call = Call.objects.public().get(pk=request.POST.get("call"))
        application = services.create_application(call=call, by=request.user, ip=client_ip(request))
    except (Call.DoesNotExist, ValueError):
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("applications:list")
    return redirect("applications:detail", pk=application.pk)


# --- the overview -------------------------------------------------------------------------------------


def _actions(application: Application, user) -> list[dict[str, Any]]:
    """What the user may do now, and why not when refused (the reason is asked for on the action's page)."""
    items = []
    for action in workflow.actions_for(application.status, user.role):
        refusal = workflow.check(application, action, by=user, reason="—")
        page = ACTION_PAGES.get(action)
        items.append(
            {
                "label": "修改后重新提交"
                if application.status == Status.RETURNED and action == Action.SUBMIT
                else Action(action).label,
                "url": reverse(f"applications:{page}", args=[application.pk]) if page else "",
                "refusal": refusal.message if refusal else "",
                "danger": action == Action.WITHDRAW,
            }
        )
    return items


def _remaining(deadline, now) -> str:
    seconds = max(int((deadline - now).total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    return f"{days}天{hours}小时{rest // 60}分" if days else f"{hours}小时{rest // 60}分{rest % 60}秒"


SEND_BACKS = {Action.RETURN, Action.FORMAL_RETURN, Action.FINANCE_REFUSE}


def _events(application: Application) -> list[StatusEvent]:
    events = list(application.events.select_related("actor").order_by("at", "id"))
    labels = dict(Action.choices)
    for event in events:
        event.action_label = labels.get(event.action, event.action)
        event.is_send_back = event.action in SEND_BACKS
    return events


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = application_for(request, pk)
    now = clock.now()
    deadline = deadline_for(application.call, Stage.APPLY, unit=application.lead_unit)
    # The pre-check is for the form while it can still change; once submitted, the status page (read most
    # often during the deadline surge) does not recompute it.
    editable = application.status in workflow.EDITABLE
    results = eligibility.check_application(application, at=now) if editable else []
    context = page_context(
        request,
        application,
        "overview",
        checked=results if editable else None,
        steps=steps_of(application.status),
        now=now,
        deadline=deadline,
        deadline_open=now < deadline,
        actions=_actions(application, request.user),
        hard_failed=[r for r in results if r.hard and not r.passed],
        hard_count=sum(1 for r in results if r.hard),
        soft=[r for r in results if not r.hard],
        show_eligibility=editable,
        remaining=_remaining(deadline, now),
        versions=application.versions.all(),
        events=_events(application),
    )
    return render(request, "applications/detail.html", context)


@login_required
def eligibility_page(request: HttpRequest, pk: int) -> HttpResponse:
    application = application_for(request, pk)
    results = eligibility.check_application(application)
    for r in results:
        r.links = fix_links(application, r.fix_targets, anchor="#budget" if r.code == "budget" else "")
    context = page_context(
        request,
        application,
        "eligibility",
        checked=results,
        hard=[r for r in results if r.hard],
        soft=[r for r in results if not r.hard],
        checked_at=clock.now(),
    )
    return render(request, "applications/eligibility.html", context)
