"""Background work: the one module services call to have something done after their transaction commits.

``enqueue(name, args, key=…)`` writes a :class:`~sciplan.core.models.Job` row in the caller's
transaction and hands its id to the backend on commit. A rolled-back change takes its row with it, so
nothing is sent; a committed row whose hand-over was lost (broker down, process killed between commit
and publish) is handed over again by ``sweep()``. The broker never holds the only copy of a task.

A job runs through ``run_job(id)``, which claims the row with one conditional UPDATE (so a message
delivered twice runs the handler once), calls the handler registered under its name, and records the
outcome: done; or, on an exception, a retry after an exponential backoff; or, after ``max_attempts``,
failed — kept with its last error for the bureau's page of failed tasks (``retry()`` puts one back).
Handlers must be idempotent: a worker that dies mid-run leaves the row ``running`` until ``sweep()``
gives it back.

Backends (``settings.TASK_BACKEND``):

- ``thread`` — the embedded default: jobs run in a background thread of the web process after commit;
  no broker, no worker (``make run``).
- ``eager`` — jobs run synchronously after commit in the calling thread (the test suite).
- ``celery`` — jobs go to Celery (``sciplan.worker``) on ``SCIPLAN_CELERY_BROKER`` and run in
  ``celery -A sciplan.worker worker``; the periodic schedule is Celery beat's.

Handlers are registered by the app that owns the work (``tasks.register("documents.generate", fn)`` in
``AppConfig.ready()``), so a service queues work by name without importing the app that does it.
"""

from __future__ import annotations

import logging
import queue
import threading
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from sciplan.core import audit
from sciplan.core.models import Job, JobState

logger = logging.getLogger("sciplan.tasks")

# A job still ``running`` this long after it started belongs to a worker that died: run it again.
RUNNING_TIMEOUT = timedelta(minutes=15)
# A job handed over this long ago and still waiting was lost on its way: hand it over again.
REDISPATCH_AFTER = timedelta(minutes=2)
SWEEP_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class TaskSpec:
    name: str
    handler: Callable[[dict[str, Any]], object]
    label: str
    max_attempts: int = 5
    queue: str = "default"  # the Celery queue; ``owner`` is consumed by a worker with the owner's role


_REGISTRY: dict[str, TaskSpec] = {}


def register(
    name: str,
    handler: Callable[[dict[str, Any]], object],
    *,
    label: str,
    max_attempts: int = 5,
    queue: str = "default",
) -> None:
    """Register the handler of ``name``; ``label`` is what the page of failed tasks calls it."""
    _REGISTRY[name] = TaskSpec(name, handler, label, max_attempts, queue)


def label_of(name: str) -> str:
    return _REGISTRY[name].label if name in _REGISTRY else name


def spec(name: str) -> TaskSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise LookupError(f"no task registered as {name!r}") from None


def backoff(attempts: int) -> timedelta:
    """The wait before attempt ``attempts + 1``: base, 4×base, 16×base … (30 s, 2 min, 8 min, 32 min)."""
    return timedelta(seconds=settings.TASK_RETRY_BASE_SECONDS * 4 ** max(attempts - 1, 0))


# --- queueing -----------------------------------------------------------------------------------------


def enqueue(name: str, args: dict[str, Any] | None = None, *, key: str | None = None) -> Job:
    """Queue ``name(args)`` to run after the current transaction commits (at once outside one).

    With ``key``, queueing is idempotent: a job already queued under that key is returned as it is
    (a failed one is left for ``retry()``), and no second row is written.
    """
    task = spec(name)
    if key is not None:
        existing = Job.objects.filter(key=key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():  # a savepoint: a concurrent insert of the same key keeps the caller's
            job = Job.objects.create(
                name=name, args=args or {}, key=key, max_attempts=task.max_attempts, run_after=timezone.now()
            )
    except IntegrityError:
        if key is None:
            raise
        return Job.objects.get(key=key)
    transaction.on_commit(lambda: dispatch([job.pk]))
    return job


def kick(job: Job) -> None:
    """Hand a committed, waiting job to the backend now if it looks lost (never handed over, or long
    ago) — a download that finds its document not ready. The embedded ``eager`` backend runs it at once.
    A job running or finished is left alone; a duplicate message is harmless, as ``run_job`` claims the
    row once."""
    job.refresh_from_db(fields=["state", "run_after", "dispatched_at"])
    now = timezone.now()
    if job.state not in (JobState.PENDING, JobState.RETRYING) or job.run_after > now:
        return
    stale = job.dispatched_at is None or job.dispatched_at < now - REDISPATCH_AFTER
    if stale or settings.TASK_BACKEND == "eager":
        dispatch([job.pk])


def requeue(job: Job) -> Job:
    """Put a finished or failed job back in the queue with fresh attempts (its work must be done again:
    a generated file lost from storage). The caller hands it over (``kick``) or lets the sweeper."""
    Job.objects.filter(pk=job.pk, state__in=(JobState.DONE, JobState.FAILED)).update(
        state=JobState.PENDING, attempts=0, run_after=timezone.now(), finished_at=None, dispatched_at=None
    )
    job.refresh_from_db()
    return job


def retry(job: Job, *, by, ip: str | None = None) -> Job:
    """Put a failed job back in the queue with a fresh set of attempts (the bureau's 重试). Audited."""
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.state != JobState.FAILED:
            return locked
        audit.record(
            "task.retry",
            actor=by,
            obj=locked,
            ip=ip,
            detail={"name": locked.name, "attempts": locked.attempts, "last_error": locked.last_error[-300:]},
        )
        requeue(locked)
        transaction.on_commit(lambda: dispatch([locked.pk]))
    return locked


def dispatch(job_ids: Iterable[int], *, countdown: float = 0) -> None:
    """Hand jobs to the configured backend. Never raises: a job that cannot be handed over stays in its
    table and ``sweep()`` tries again."""
    ids = list(job_ids)
    if not ids:
        return
    try:
        _BACKENDS[settings.TASK_BACKEND](ids, countdown)
    except Exception:
        logger.exception("could not hand jobs %s to the %s backend", ids, settings.TASK_BACKEND)
        return
    Job.objects.filter(pk__in=ids).update(dispatched_at=timezone.now())


# --- running ------------------------------------------------------------------------------------------


def run_job(job_id: int) -> str:
    """Run one job if it is due and nobody else runs it; returns the state it was left in."""
    now = timezone.now()
    claimed = Job.objects.filter(
        pk=job_id, state__in=(JobState.PENDING, JobState.RETRYING), run_after__lte=now
    ).update(state=JobState.RUNNING, started_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return Job.objects.filter(pk=job_id).values_list("state", flat=True).first() or "missing"
    job = Job.objects.get(pk=job_id)
    try:
        spec(job.name).handler(job.args)
    except Exception as exc:
        return _failed(job, exc)
    Job.objects.filter(pk=job.pk).update(state=JobState.DONE, finished_at=timezone.now(), last_error="")
    return JobState.DONE


def _failed(job: Job, exc: Exception) -> str:
    error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[-2000:]
    logger.warning("job %s (%s) attempt %s failed: %s", job.pk, job.name, job.attempts, error)
    now = timezone.now()
    if job.attempts >= job.max_attempts:
        Job.objects.filter(pk=job.pk).update(state=JobState.FAILED, finished_at=now, last_error=error)
        logger.error("job %s (%s) failed after %s attempts", job.pk, job.name, job.attempts)
        return JobState.FAILED
    wait = backoff(job.attempts)
    Job.objects.filter(pk=job.pk).update(state=JobState.RETRYING, run_after=now + wait, last_error=error)
    dispatch([job.pk], countdown=wait.total_seconds())
    return JobState.RETRYING


def sweep(*, limit: int = 500) -> int:
    """Give back jobs of dead workers and hand over again jobs that are due but were never (or too long
    ago) handed over. Run every minute by the periodic schedule; returns how many were handed over."""
    now = timezone.now()
    Job.objects.filter(state=JobState.RUNNING, started_at__lt=now - RUNNING_TIMEOUT).update(
        state=JobState.RETRYING, run_after=now, last_error="执行超时（处理进程可能已中断），已重新排队"
    )
    due = list(
        Job.objects.filter(state__in=(JobState.PENDING, JobState.RETRYING), run_after__lte=now)
        .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - REDISPATCH_AFTER))
        .order_by("run_after", "id")
        .values_list("pk", flat=True)[:limit]
    )
    if settings.TASK_BACKEND == "eager":
        # Synchronous: run them here, whatever their last hand-over time.
        due = list(
            Job.objects.filter(state__in=(JobState.PENDING, JobState.RETRYING), run_after__lte=now)
            .order_by("run_after", "id")
            .values_list("pk", flat=True)[:limit]
        )
    dispatch(due)
    return len(due)


# --- backends -----------------------------------------------------------------------------------------


def _eager(ids: list[int], countdown: float) -> None:
    if countdown > 0:
        return  # a retry waits for its backoff: the sweeper runs it when it is due
    for job_id in ids:
        run_job(job_id)


class _Runner:
    """The embedded default's worker: one daemon thread of the web process, started on first use."""

    def __init__(self) -> None:
        self.queue: queue.Queue[int] = queue.Queue()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def submit(self, ids: list[int], countdown: float) -> None:
        if countdown > 0:
            timer = threading.Timer(countdown, self.submit, args=(ids, 0))
            timer.daemon = True
            timer.start()
            return
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._loop, name="sciplan-tasks", daemon=True)
                self.thread.start()
        for job_id in ids:
            self.queue.put(job_id)

    def _loop(self) -> None:
        # The sweeper's work too, as no beat runs here: at start (jobs a previous process left, such as
        # those of `seed_demo` or of a runserver reload) and whenever the queue was idle for a minute.
        self._sweep()
        while True:
            try:
                job_id = self.queue.get(timeout=SWEEP_EVERY.total_seconds())
            except queue.Empty:
                self._sweep()
                continue
            try:
                run_job(job_id)
            except Exception:  # the row stays waiting; the next sweep or download hands it over again
                logger.exception("job %s could not be run", job_id)
            finally:
                close_old_connections()
                self.queue.task_done()

    def _sweep(self) -> None:
        try:
            sweep()
        except Exception:
            logger.exception("sweep failed")
        finally:
            close_old_connections()


runner = _Runner()


def _celery(ids: list[int], countdown: float) -> None:
    from sciplan.worker import app

    names = dict(Job.objects.filter(pk__in=ids).values_list("pk", "name"))
    for job_id in ids:
        queue_name = _REGISTRY[names[job_id]].queue if names.get(job_id) in _REGISTRY else "default"
        app.send_task("sciplan.run_job", args=[job_id], queue=queue_name, countdown=countdown or None)


_BACKENDS: dict[str, Callable[[list[int], float], None]] = {
    "eager": _eager,
    "thread": runner.submit,
    "celery": _celery,
}
