"""Applicant pages: the list of the unit's applications, creating one, and its overview."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from sciplan.applications import queries, services
from sciplan.calls.models import Call
from sciplan.core import clock
from sciplan.core.errors import DomainError, NotFound


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    applications = queries.applications_for(request.user)
    open_calls = Call.objects.filter(opens_at__lte=clock.now(), closes_at__gt=clock.now())
    return render(request, "applications/list.html", {"applications": applications, "open_calls": open_calls})


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    try:
        call = Call.objects.get(pk=request.POST.get("call"))
        application = services.create_application(call=call, by=request.user)
    except (Call.DoesNotExist, ValueError):
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("applications:list")
    return redirect("applications:detail", pk=application.pk)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        application = queries.application_detail(request.user, pk)
    except NotFound:
        raise Http404 from None
    return render(request, "applications/detail.html", {"application": application})
