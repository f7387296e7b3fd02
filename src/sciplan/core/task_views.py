"""The bureau's page of background tasks that failed — notifications above all, so none is lost
silently — with a 重试 button (audited, ``core.tasks.retry``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from sciplan.accounts.roles import Role
from sciplan.core import tasks
from sciplan.core.http import client_ip
from sciplan.core.models import Job, JobState, Notification
from sciplan.core.notifications import CHANNELS

ROLES = {Role.BUREAU, Role.ADMIN}
SHOWN = 100


def _rows(jobs: list[Job]) -> list[dict]:
    """What each job was for, in two queries whatever the number of rows."""
    notification_ids = [job.args.get("notification") for job in jobs if job.name in CHANNELS]
    notes = Notification.objects.select_related("user").in_bulk([pk for pk in notification_ids if pk])
    rows = []
    for job in jobs:
        note = notes.get(job.args.get("notification")) if job.name in CHANNELS else None
        rows.append(
            {
                "job": job,
                "label": tasks.label_of(job.name),
                "subject": note.subject if note else "",
                "recipient": note.user.display_name if note else "",
            }
        )
    return rows


@login_required
def failed_tasks(request: HttpRequest) -> HttpResponse:
    if getattr(request.user, "role", None) not in ROLES:
        raise Http404
    failed = list(Job.objects.filter(state=JobState.FAILED).order_by("-finished_at", "-id")[:SHOWN])
    retrying = list(Job.objects.filter(state=JobState.RETRYING).order_by("run_after", "id")[:SHOWN])
    return render(
        request,
        "core/failed_tasks.html",
        {
            "failed": _rows(failed),
            "retrying": _rows(retrying),
            "failed_count": Job.objects.filter(state=JobState.FAILED).count(),
            "waiting_count": Job.objects.filter(state__in=(JobState.PENDING, JobState.RUNNING)).count(),
        },
    )


@login_required
@require_POST
def retry_task(request: HttpRequest, pk: int) -> HttpResponse:
    if getattr(request.user, "role", None) not in ROLES:
        raise Http404
    job = get_object_or_404(Job, pk=pk)
    if job.state != JobState.FAILED:
        messages.info(request, "该任务已不在失败列表中，无需重试。")
    else:
        tasks.retry(job, by=request.user, ip=client_ip(request))
        messages.success(request, f"已重新排队：{tasks.label_of(job.name)}（任务{job.pk}）。")
    return redirect("core:failed_tasks")
