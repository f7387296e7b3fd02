"""The public call pages: list and notice with windows and deadlines."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from sciplan.calls.models import Call
from sciplan.core import clock


def call_list(request: HttpRequest) -> HttpResponse:
    calls = Call.objects.order_by("-opens_at")
    return render(request, "calls/list.html", {"calls": calls, "now": clock.now()})


def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        call = Call.objects.prefetch_related("industries", "recommenders").get(pk=pk)
    except Call.DoesNotExist:
        raise Http404 from None
    return render(request, "calls/detail.html", {"call": call, "now": clock.now()})
