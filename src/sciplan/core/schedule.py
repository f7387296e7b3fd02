"""The scheduled jobs of docs/deployment.md as tasks: each is the management command of the same name,
queued once per period by the periodic schedule (Celery beat, ``sciplan.worker``).

A failing check (``audit_verify``'s broken rows, ``verify_files``' changed files) makes its job fail:
it is retried, then kept as failed with the command's message on the bureau's page of failed tasks, and
the command's own audit events say what was found.
"""

from __future__ import annotations

from datetime import datetime
from io import StringIO

from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from sciplan.core import tasks
from sciplan.core.models import Job

# name → (period of the idempotency key, queue). ``audit_purge`` deletes through a function only the
# owner of the audit tables may execute, so it goes to the queue of the worker that runs as the owner.
SCHEDULED: dict[str, tuple[str, str]] = {
    "audit_head": ("%Y-%m-%dT%H:%M", "default"),
    "audit_verify": ("%Y-%m-%d", "default"),
    "verify_files": ("%Y-%m-%d", "default"),
    "audit_purge": ("%Y-%m", "owner"),
}

LABELS = {
    "audit_head": "记录审计日志签名头",
    "audit_verify": "审计日志完整性校验",
    "verify_files": "存储文件校验",
    "audit_purge": "清理过期审计日志",
}


def _options(name: str) -> dict[str, str]:
    heads = settings.AUDIT_HEADS_FILE
    if name == "audit_head" and heads:
        return {"output": heads}
    if name == "audit_verify" and heads:
        return {"heads": heads}
    return {}


def run_scheduled(args: dict) -> str:
    out = StringIO()
    call_command(args["command"], stdout=out, stderr=out, **_options(args["command"]))
    return out.getvalue()


def queue_scheduled(name: str, *, at: datetime | None = None) -> Job | None:
    """Queue this period's run of ``name`` (once per period, however often the schedule fires)."""
    if name not in SCHEDULED:
        raise LookupError(name)
    period, _queue = SCHEDULED[name]
    moment = timezone.localtime(at or timezone.now())
    if name == "audit_head":  # every five minutes
        moment = moment.replace(minute=moment.minute - moment.minute % 5)
    return tasks.enqueue(
        f"scheduled.{name}", {"command": name}, key=f"scheduled.{name}:{moment.strftime(period)}"
    )


def register() -> None:
    for name, (_period, queue) in SCHEDULED.items():
        tasks.register(f"scheduled.{name}", run_scheduled, label=LABELS[name], max_attempts=3, queue=queue)
