"""The public call pages: list and notice with windows and deadlines (drafts only for bureau staff)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from sciplan.calls import queries
from sciplan.core import clock
from sciplan.core.errors import NotFound


def call_list(request: HttpRequest) -> HttpResponse:
    calls = queries.calls_listed_for(request.user).order_by("-opens_at")
    return render(request, "calls/list.html", {"calls": calls, "now": clock.now()})


def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        call = queries.get_public_call(request.user, pk)
    except NotFound:
        raise Http404 from None
    return render(request, "calls/detail.html", {"call": call, "now": clock.now()})
