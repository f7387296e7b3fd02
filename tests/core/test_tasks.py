"""The task queue's guarantees on the in-process backends (``core.tasks``): nothing is sent for a
rolled-back change, nothing committed is lost, failures are retried with backoff and, when they keep
failing, shown to the bureau with an audited 重试."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from sciplan.core import schedule, tasks
from sciplan.core.models import AuditEvent, Job, Notification
from sciplan.core.notifications import notify
from tests.core import flaky


@pytest.fixture
def flaky_sms(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("SCIPLAN_TEST_SMS_FILE", str(tmp_path / "sms.json"))
    settings.SMS_BACKEND = "tests.core.flaky.FlakySms"
    flaky.reset(fail=0)
    return flaky


@pytest.fixture
def recipient(personas):
    user = personas.applicant
    user.mobile = "13812345678"
    user.save(update_fields=["mobile"])
    return user


class Boom(Exception):
    pass


def test_notify_in_rolled_back_change_queues_and_sends_nothing(
    recipient, flaky_sms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Boom), transaction.atomic():
        notify([recipient], subject="不应发出", body="该操作已回滚", sms=True)
        raise Boom

    assert (Job.objects.count(), Notification.objects.count(), len(mail.outbox), flaky_sms.sent()) == (
        0,
        0,
        0,
        [],
    )


def test_notify_committed_sends_each_channel_once_even_if_delivered_twice(
    recipient, flaky_sms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notify([recipient], subject="材料已受理", body="请留意后续通知。", link="/applications/", sms=True)
    jobs = list(Job.objects.order_by("name").values_list("name", "state", "attempts"))

    tasks.dispatch(Job.objects.values_list("pk", flat=True))  # the broker delivers every message again

    assert jobs == [("notifications.email", "done", 1), ("notifications.sms", "done", 1)]
    assert (len(mail.outbox), mail.outbox[0].to, len(flaky_sms.sent())) == (1, [recipient.email], 1)
    assert mail.outbox[0].body.endswith("/applications/")


def test_task_failing_twice_is_retried_with_backoff_then_succeeds(
    recipient, flaky_sms, django_capture_on_commit_callbacks
):
    flaky_sms.reset(fail=2)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            notify([recipient], subject="请补正材料", body="……", sms=True)
        job = Job.objects.get(name="notifications.sms")
        states = [(job.state, job.attempts, job.run_after - start)]

        tasks.sweep()  # not due yet: nothing runs before the backoff has passed
        job.refresh_from_db()
        states.append((job.state, job.attempts, job.run_after - start))

        clock.shift(timedelta(seconds=31))
        tasks.sweep()
        job.refresh_from_db()
        states.append((job.state, job.attempts, job.run_after - start))

        clock.shift(timedelta(seconds=121))
        tasks.sweep()
        job.refresh_from_db()

    assert states == [
        ("retrying", 1, timedelta(seconds=30)),
        ("retrying", 1, timedelta(seconds=30)),
        ("retrying", 2, timedelta(seconds=31 + 120)),
    ]
    assert (job.state, job.attempts, job.last_error) == ("done", 3, "")
    assert flaky_sms.sent() == [["13812345678", "【科管系统】请补正材料"]]


def _fail_for_good(settings, flaky_sms, recipient, capture):
    settings.TASK_RETRY_BASE_SECONDS = 0  # retries follow at once, so the test reaches the last attempt
    flaky_sms.reset(fail=99)
    with capture(execute=True):
        notify([recipient], subject="专家评审会议通知", body="……", sms=True)
    return Job.objects.get(name="notifications.sms")


def test_notification_that_keeps_failing_is_listed_for_the_bureau(
    client, settings, personas, recipient, flaky_sms, django_capture_on_commit_callbacks
):
    job = _fail_for_good(settings, flaky_sms, recipient, django_capture_on_commit_callbacks)
    client.force_login(personas.bureau)

    body = client.get(reverse("core:failed_tasks")).content.decode()

    assert (job.state, job.attempts, "短信网关无响应" in job.last_error) == ("failed", 5, True)
    for text in ("通知短信", "专家评审会议通知", recipient.display_name, "短信网关无响应", "重试"):
        assert text in body, text
    assert flaky_sms.sent() == []


def test_retry_of_a_failed_notification_is_audited_and_sends_it(
    client, settings, personas, recipient, flaky_sms, django_capture_on_commit_callbacks
):
    job = _fail_for_good(settings, flaky_sms, recipient, django_capture_on_commit_callbacks)
    flaky_sms.reset(fail=0)  # the gateway is back
    client.force_login(personas.bureau)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("core:retry_task", args=[job.pk]), follow=True)
    job.refresh_from_db()

    event = AuditEvent.objects.filter(event_type="task.retry").get()
    assert (job.state, job.attempts, flaky_sms.sent()) == (
        "done",
        1,
        [["13812345678", "【科管系统】专家评审会议通知"]],
    )
    assert (event.actor_id, event.object_id, event.detail["attempts"]) == (personas.bureau.pk, str(job.pk), 5)
    assert "已重新排队" in response.content.decode()


@pytest.mark.parametrize("persona", ["applicant", "applicant_b", "county", "finance", "park"])
def test_failed_tasks_page_is_only_for_the_bureau_and_admin(client, personas, persona):
    client.force_login(personas[persona])

    answers = (
        client.get(reverse("core:failed_tasks")).status_code,
        client.post(reverse("core:retry_task", args=[1])).status_code,
    )

    assert answers == (404, 404)


def test_failed_tasks_page_query_count_does_not_grow_with_rows(
    client,
    settings,
    personas,
    recipient,
    flaky_sms,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    _fail_for_good(settings, flaky_sms, recipient, django_capture_on_commit_callbacks)
    client.force_login(personas.admin)
    with django_assert_max_num_queries(40) as one:
        client.get(reverse("core:failed_tasks"))
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            notify([recipient], subject="又一条", body="……", sms=True)

    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("core:failed_tasks"))

    assert response.content.decode().count("又一条") == 5


def test_scheduled_job_runs_its_command_once_per_period(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = schedule.queue_scheduled("verify_files")
        again = schedule.queue_scheduled("verify_files")
    first.refresh_from_db()

    assert (first.pk == again.pk, first.state, first.key) == (
        True,
        "done",
        f"scheduled.verify_files:{timezone.localdate():%Y-%m-%d}",
    )


@pytest.mark.django_db(transaction=True)
def test_thread_backend_runs_the_job_after_commit(settings, personas):
    settings.TASK_BACKEND = "thread"

    notify([personas.applicant], subject="线程执行", body="……")  # autocommit: queued as it commits
    tasks.runner.queue.join()

    job = Job.objects.get(name="notifications.email")
    assert (job.state, [m.subject for m in mail.outbox]) == ("done", ["线程执行"])
