"""The Celery application of the production task queue (``SCIPLAN_TASK_BACKEND=celery``).

    celery -A sciplan.worker worker --concurrency=2 --queues=default   # runs the jobs of core.tasks
    celery -A sciplan.worker beat                                      # the periodic schedule (one only)

Messages carry only a :class:`~sciplan.core.models.Job` id; the job itself, its attempts and its last
error live in the database (see ``core.tasks``), so a message lost by the broker is sent again by the
sweeper and a message delivered twice runs once. Celery's own retry machinery is not used: the backoff is
``core.tasks.backoff``, the same in every backend.

The periodic schedule replaces the cron lines of docs/deployment.md: each entry queues a job with a key
naming its period (``scheduled.audit_verify:2026-12-03``), so a beat restarted in the middle of a day,
or two beats started by mistake, still run a daily job once.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sciplan.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import close_old_connections  # noqa: E402

from sciplan.core import tasks  # noqa: E402

app = Celery("sciplan")
app.conf.update(
    broker_url=settings.CELERY_BROKER_URL,
    broker_connection_retry_on_startup=True,
    task_default_queue="default",
    task_ignore_result=True,
    # A job's message is acknowledged after it ran: a worker killed mid-run leaves it to the broker to
    # deliver again (and to the sweeper, if the broker lost it too).
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    timezone=settings.TIME_ZONE,
    enable_utc=True,
    beat_schedule={
        "sweep": {"task": "sciplan.sweep", "schedule": 60.0},
        **{
            f"scheduled.{name}": {"task": "sciplan.scheduled", "schedule": schedule, "args": [name]}
            for name, schedule in (
                ("audit_head", crontab(minute="*/5")),
                ("audit_verify", crontab(minute=30, hour=1)),
                ("verify_files", crontab(minute=0, hour=2)),
                ("audit_purge", crontab(minute=0, hour=3, day_of_month=1)),
            )
        },
    },
)


@app.task(name="sciplan.run_job")
def run_job(job_id: int) -> str:
    try:
        return tasks.run_job(job_id)
    finally:
        close_old_connections()


@app.task(name="sciplan.sweep")
def sweep() -> int:
    try:
        return tasks.sweep()
    finally:
        close_old_connections()


@app.task(name="sciplan.scheduled")
def scheduled(name: str) -> int | None:
    from sciplan.core.schedule import queue_scheduled

    try:
        job = queue_scheduled(name)
        return job.pk if job else None
    finally:
        close_old_connections()
