"""Documents are queued at submission; a download that comes before its document is ready answers with
the progress (a self-refreshing page, or 202 + Retry-After in the API), and the file once it is ready."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from sciplan.api.auth import issue_token
from sciplan.core import tasks
from sciplan.core.models import AuditEvent, Job
from sciplan.documents.models import DocumentKind, GeneratedDocument


def _claimed_by_a_worker(version, kind) -> Job:
    """The job of ``kind`` as a busy worker leaves it while it builds the document."""
    job = Job.objects.get(name="documents.generate", args__version=version.pk, args__kind=kind)
    Job.objects.filter(pk=job.pk).update(state="running", started_at=timezone.now(), attempts=1)
    return job


def _worker_finishes(job: Job) -> None:
    Job.objects.filter(pk=job.pk).update(state="pending")
    assert tasks.run_job(job.pk) == "done"


def test_submission_queues_every_document_of_the_version(version):
    jobs = sorted(Job.objects.filter(name="documents.generate").values_list("args", "state"), key=str)

    assert jobs == sorted(
        (({"version": version.pk, "kind": kind}, "pending") for kind in DocumentKind.values), key=str
    )


def test_download_not_ready_shows_a_page_that_refreshes_itself_then_the_file(client, personas, version):
    job = _claimed_by_a_worker(version, "application_pdf")
    url = reverse("documents:application_pdf", args=[version.application_id, version.number])
    client.force_login(personas.county)

    waiting = client.get(url)
    body = waiting.content.decode()
    _worker_finishes(job)
    ready = client.get(url)

    assert (waiting.status_code, waiting["Retry-After"], waiting["Cache-Control"]) == (202, "3", "no-store")
    for text in (
        '<meta http-equiv="refresh" content="3">',
        "文档正在生成",
        "正在生成",
        '<progress max="5" value="0">',
    ):
        assert text in body, text
    assert "<script>" not in body  # the Content-Security-Policy allows no inline script
    assert (ready.status_code, b"".join(ready.streaming_content)[:5]) == (200, b"%PDF-")
    downloads = AuditEvent.objects.filter(event_type="document.download").count()
    assert downloads == 1  # the waiting page is not a download


def test_api_download_not_ready_is_202_with_retry_after_and_progress(client, personas, version):
    job = _claimed_by_a_worker(version, "plan_docx")
    token, _ = issue_token(personas.applicant)
    url = f"/api/v1/applications/{version.application_id}/versions/{version.number}/documents/plan_docx"

    waiting = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    _worker_finishes(job)
    ready = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")

    answer = waiting.json()
    assert (waiting.status_code, waiting["Retry-After"]) == (202, "3")
    assert (answer["code"], answer["state"], answer["ready"], answer["total"], answer["retry_after"]) == (
        "not_ready",
        "running",
        0,
        5,
        3,
    )
    assert answer["detail"] == "文档正在生成（正在生成），请3秒后重试。"
    assert [d["kind"] for d in answer["documents"]] == list(DocumentKind.values)
    assert (ready.status_code, b"".join(ready.streaming_content)[:4]) == (200, b"PK\x03\x04")


def test_download_of_a_document_whose_generation_failed_queues_it_again(client, personas, version):
    job = Job.objects.get(name="documents.generate", args__version=version.pk, args__kind="receipt_pdf")
    Job.objects.filter(pk=job.pk).update(state="failed", attempts=4, last_error="OSError: 磁盘已满")
    client.force_login(personas.applicant)

    response = client.get(reverse("documents:receipt_pdf", args=[version.application_id, version.number]))
    job.refresh_from_db()

    assert (response.status_code, job.state, job.attempts) == (200, "done", 1)
    assert GeneratedDocument.objects.filter(version=version, kind="receipt_pdf").count() == 1


@pytest.mark.parametrize("persona", ["applicant_b", "county_b"])
def test_download_not_ready_by_persona_of_another_unit_is_404(client, personas, version, persona):
    _claimed_by_a_worker(version, "application_pdf")
    client.force_login(personas[persona])

    response = client.get(reverse("documents:application_pdf", args=[version.application_id, version.number]))

    assert response.status_code == 404
