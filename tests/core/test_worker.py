"""The production path for real: a Celery worker process on Redis runs the jobs of ``core.tasks``
against the test database (a file on SQLite, the test database on PostgreSQL), committed by this test.

Covers the submission's documents built by the worker, a notification that fails twice and is retried
with backoff, a rolled-back change that queues nothing, and a message lost on its way to the broker
that the sweeper hands over again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from sciplan.core import tasks
from sciplan.core.models import Job
from sciplan.core.notifications import notify
from sciplan.documents.models import DocumentKind, GeneratedDocument
from tests.core import flaky

BROKER = "redis://127.0.0.1:6379/13"
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True)


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def start_worker(settings, tmp_path, monkeypatch):
    """Starts a ``celery -A sciplan.worker worker`` process sharing this test's database and files."""
    try:
        redis.Redis.from_url(BROKER).flushdb()
    except redis.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    from sciplan.worker import app

    monkeypatch.setenv("SCIPLAN_TEST_SMS_FILE", str(tmp_path / "sms.json"))
    flaky.reset(fail=0)
    settings.TASK_BACKEND = "celery"
    settings.SMS_BACKEND = "tests.core.flaky.FlakySms"
    # The test process's producer: only these tests send through Celery, so it keeps this broker.
    app.conf.broker_url = BROKER
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith("SCIPLAN_") or k == "SCIPLAN_TEST_SMS_FILE"
        },
        "DATABASE_URL": _database_url(),
        "SCIPLAN_CELERY_BROKER": BROKER,
        "SCIPLAN_PRIVATE_STORAGE": str(settings.PRIVATE_STORAGE_ROOT),
        "SCIPLAN_SMS_BACKEND": "tests.core.flaky.FlakySms",
        "SCIPLAN_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "SCIPLAN_TASK_RETRY_BASE_SECONDS": "0.5",
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
    }
    processes = []

    def start():
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "sciplan.worker",
                    "worker",
                    "--pool=solo",
                    "--queues=default",
                    "--loglevel=WARNING",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                cwd=ROOT,
                env=env,
            )
        )
        return processes[-1]

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def worker(start_worker):
    return start_worker()


def _wait(predicate, *, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("the worker did not finish in time")


def test_worker_builds_the_documents_of_a_submission(worker, complete_application, personas):
    from sciplan.applications.services import submit_application

    version = submit_application(complete_application, by=personas.applicant)

    _wait(lambda: GeneratedDocument.objects.filter(version=version).count() == len(DocumentKind.values))
    states = set(Job.objects.filter(name="documents.generate").values_list("state", flat=True))
    assert (states, worker.poll()) == ({"done"}, None)


def test_worker_retries_a_failing_notification_then_sends_it(worker, personas):
    flaky.reset(fail=2)

    notify([personas.county], subject="请审核推荐", body="……", sms=True)

    job = _wait(lambda: Job.objects.filter(name="notifications.sms", state="done").first())
    assert (job.attempts, flaky.sent()) == (3, [[personas.county.mobile, "【科管系统】请审核推荐"]])


def test_worker_gets_nothing_from_a_rolled_back_change(worker, personas):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify([personas.county], subject="不应发出", body="……", sms=True)
        raise RuntimeError("rolled back")
    notify([personas.finance], subject="应当发出", body="……", sms=True)

    _wait(lambda: Job.objects.filter(name="notifications.sms", state="done").exists())
    assert (Job.objects.filter(name="notifications.sms").count(), [text for _, text in flaky.sent()]) == (
        1,
        ["【科管系统】应当发出"],
    )


def test_job_whose_message_the_broker_lost_is_handed_over_by_the_sweeper(start_worker, personas):
    notify([personas.county], subject="断线期间的通知", body="……", sms=True)
    job = Job.objects.get(name="notifications.sms")
    redis.Redis.from_url(BROKER).flushdb()  # the broker restarted and kept nothing (Redis without disk)
    start_worker()
    time.sleep(2)
    job.refresh_from_db()
    assert (job.state, job.dispatched_at is not None, flaky.sent()) == ("pending", True, [])

    with time_machine.travel(timezone.now() + tasks.REDISPATCH_AFTER + timedelta(seconds=1)):
        handed_over = tasks.sweep()

    _wait(lambda: set(Job.objects.values_list("state", flat=True)) == {"done"})
    assert (handed_over, [text for _, text in flaky.sent()]) == (
        2,
        ["【科管系统】断线期间的通知"],
    )  # e-mail, SMS
