"""The bureau's page to grant and list deadline extensions (one unit or one recommender per stage)."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from sciplan.accounts.models import Unit
from sciplan.accounts.roles import Role
from sciplan.calls.models import Call, Extension, Recommender, Stage
from sciplan.calls.services import grant_extension
from sciplan.core.errors import DomainError
from sciplan.core.http import client_ip


def _parse_local(raw: str) -> datetime | None:
    try:
        return timezone.make_aware(datetime.fromisoformat(raw.strip())) if raw.strip() else None
    except ValueError:
        return None


@login_required
def extensions(request: HttpRequest) -> HttpResponse:
    if getattr(request.user, "role", None) != Role.BUREAU:
        raise Http404
    calls = list(Call.objects.order_by("-opens_at"))
    errors: dict[str, str] = {}
    posted = {k: request.POST.get(k, "") for k in ("call", "stage", "unit", "recommender", "until", "reason")}
    status = 200
    if request.method == "POST":
        call = next((c for c in calls if str(c.pk) == posted["call"]), None)
        until = _parse_local(posted["until"])
        if call is None:
            errors["call"] = "请选择申报批次。"
        if posted["until"] and until is None:
            errors["until"] = "时间格式不正确。"
        unit = Unit.objects.filter(pk=posted["unit"]).first() if posted["unit"].isdigit() else None
        rec = (
            Recommender.objects.filter(pk=posted["recommender"]).first()
            if posted["recommender"].isdigit()
            else None
        )
        if posted["stage"] == Stage.APPLY:
            rec = None
        elif posted["stage"] == Stage.RECOMMEND:
            unit = None
        if call is not None and not errors:
            try:
                grant_extension(
                    call,
                    stage=posted["stage"],
                    until=until,
                    reason=posted["reason"],
                    by=request.user,
                    unit=unit,
                    recommender=rec,
                    ip=client_ip(request),
                )
            except DomainError as exc:
                errors = dict(exc.field_errors) or {"form": exc.message}
            else:
                messages.success(request, "延期已批准，并已记入审计日志。")
                return redirect("calls:extensions")
        status = 422
    context = {
        "calls": calls,
        "stages": [(Stage.APPLY, "网上申报（单位）"), (Stage.RECOMMEND, "推荐单位推荐")],
        "units": Unit.objects.filter(recommender__isnull=False).order_by("name"),
        "recommenders": Recommender.objects.all(),
        "items": Extension.objects.select_related("call", "unit", "recommender", "granted_by"),
        "errors": errors,
        "posted": posted,
    }
    return render(request, "calls/extensions.html", context, status=status)
