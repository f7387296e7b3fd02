"""Generating, caching and handing out documents. Plain functions taking the acting user (``by=``).

Documents of a submitted version are built from its frozen snapshot, never from the live form, so a
paper copy printed today and one printed next month are the same document with the same verification
code. Each is generated once per version, kind and layout revision and kept in private storage; a
cached file whose SHA-256 no longer matches is regenerated. Every download is audited.

A submission queues all its documents as background jobs (``queue_documents``, ``core.tasks``); a
download that comes before its document is ready raises :class:`NotReady` with the progress, and the
page or the API tells the user to wait (the page refreshes by itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from django.db import IntegrityError

from sciplan.accounts.roles import Role
from sciplan.applications import permissions, queries
from sciplan.applications.models import Application, ApplicationVersion
from sciplan.applications.snapshot import build_snapshot
from sciplan.core import audit, clock, storage, tasks
from sciplan.core.errors import NotFound
from sciplan.core.models import Job, JobState
from sciplan.documents import codes, content
from sciplan.documents.models import DocumentKind, GeneratedDocument

# Raise when a template or builder changes what a document looks like: cached copies are then rebuilt.
LAYOUT = 4

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Generated:
    data: bytes
    filename: str
    content_type: str


def _filename(version: ApplicationVersion, kind: str) -> str:
    name = version.snapshot["consortium_name"]
    extension = kind.rsplit("_", 1)[1]
    if kind == DocumentKind.RECEIPT_PDF:
        return f"提交回执_{version.receipt_no}.pdf"
    title = "申报书" if kind.startswith("application") else "实施方案"
    return f"{name}{title}_第{version.number}版.{extension}"


def render(version: ApplicationVersion, kind: str) -> bytes:
    """Build one document of a submitted version (no cache, no audit)."""
    from sciplan.documents import docx_builder, pdf_builder

    code = codes.code_for(version)
    if kind == DocumentKind.RECEIPT_PDF:
        return pdf_builder.receipt_pdf(receipt_context(version, code))
    document = content.build(
        version.snapshot,
        "application" if kind.startswith("application") else "plan",
        code=code,
        version_number=version.number,
        receipt_no=version.receipt_no,
        submitted_at=version.submitted_at,
    )
    if kind.endswith("_pdf"):
        return pdf_builder.document_pdf(document)
    return docx_builder.document_docx(document)


def receipt_context(version: ApplicationVersion, code: str) -> dict:
    snapshot = version.snapshot
    submitter = version.submitted_by
    return {
        "receipt_no": version.receipt_no,
        "call_title": snapshot["call"]["title"],
        "consortium_name": snapshot["consortium_name"],
        "lead_unit": snapshot["lead_unit"]["name"],
        "recommender": snapshot["recommender"]["name"],
        "version_number": version.number,
        "submitted_at_text": clock.fmt(version.submitted_at),
        "submitted_by": getattr(submitter, "display_name", "") or submitter.get_username(),
        "code": codes.display(code),
        "verify_url": content.verify_url(code),
        "content_hash": version.content_hash,
        "attachments": snapshot.get("attachments", []),
        "generated_at_text": clock.fmt(clock.now()),
    }


def _stored(version: ApplicationVersion, kind: str) -> GeneratedDocument | None:
    """The stored document if it is there and whole; a copy lost or changed in storage is forgotten."""
    row = GeneratedDocument.objects.filter(version=version, kind=kind, layout=LAYOUT).first()
    if row is None:
        return None
    try:
        if storage.stored_sha256(row.storage_key) == row.sha256:
            return row
    except OSError:
        pass  # lost from storage: rebuilt by the next generation
    GeneratedDocument.objects.filter(pk=row.pk).delete()
    return None


def cached_document(version: ApplicationVersion, kind: str) -> GeneratedDocument:
    """The stored document, generated if it is not there. Concurrent generations store one copy."""
    row = _stored(version, kind)
    if row is not None:
        return row
    data = render(version, kind)
    fileobj = BytesIO(data)
    digest = storage.sha256_of(fileobj)
    try:
        with storage.files_with_rows():
            key = storage.store_in_transaction(
                fileobj, prefix=f"documents/{version.application_id}", extension=kind.rsplit("_", 1)[1]
            )
            return GeneratedDocument.objects.create(
                version=version, kind=kind, layout=LAYOUT, storage_key=key, sha256=digest, size=len(data)
            )
    except IntegrityError:  # another worker stored it first; this copy was removed with its row
        return GeneratedDocument.objects.get(version=version, kind=kind, layout=LAYOUT)


# --- generation in the background (core.tasks) ---------------------------------------------------------

GENERATE = "documents.generate"


def _job_key(version_id: int, kind: str) -> str:
    return f"document:{version_id}:{kind}:{LAYOUT}"


def queue_documents(version: ApplicationVersion) -> list[Job]:
    """Queue every document of a newly submitted version (called inside the submission's transaction)."""
    return [
        tasks.enqueue(GENERATE, {"version": version.pk, "kind": kind}, key=_job_key(version.pk, kind))
        for kind in DocumentKind.values
    ]


def generate(args: dict) -> None:
    """The task: build and store one document. Idempotent: a stored, whole copy is kept as it is."""
    version = ApplicationVersion.objects.select_related("submitted_by").filter(pk=args["version"]).first()
    if version is not None:  # a version is never deleted, but an application's test data may be
        cached_document(version, args["kind"])


def register() -> None:
    tasks.register(GENERATE, generate, label="生成申报文档", max_attempts=4)


STATE_LABELS = {
    "ready": "已生成",
    JobState.PENDING: "排队等待生成",
    JobState.RUNNING: "正在生成",
    JobState.RETRYING: "生成出错，稍后自动重试",
    JobState.FAILED: "生成失败，已重新排队",
    JobState.DONE: "已生成",
}


@dataclass(frozen=True)
class Progress:
    """How far the documents of one version are: what a not-ready download shows."""

    kind: str
    state: str
    ready: int
    total: int
    items: list[dict]
    retry_after: int

    @property
    def label(self) -> str:
        return STATE_LABELS.get(self.state, "排队等待生成")


class NotReady(Exception):
    """The document is queued or being generated; the download should be tried again shortly."""

    def __init__(self, progress: Progress) -> None:
        super().__init__(progress.label)
        self.progress = progress


def _progress(version: ApplicationVersion, kind: str) -> Progress:
    stored = set(
        GeneratedDocument.objects.filter(version=version, layout=LAYOUT).values_list("kind", flat=True)
    )
    states = dict(
        Job.objects.filter(key__in=[_job_key(version.pk, k) for k in DocumentKind.values]).values_list(
            "key", "state"
        )
    )
    items = []
    for value, label in DocumentKind.choices:
        state = "ready" if value in stored else states.get(_job_key(version.pk, value), JobState.PENDING)
        items.append({"kind": value, "label": label, "state": state, "state_label": STATE_LABELS[state]})
    waiting = sum(1 for item in items if item["state"] != "ready")
    return Progress(
        kind=kind,
        state=next(item["state"] for item in items if item["kind"] == kind),
        ready=len(items) - waiting,
        total=len(items),
        items=items,
        # A typical document takes about a second to build, a large one three.
        retry_after=2 if waiting <= 2 else 3,
    )


def ready_document(version: ApplicationVersion, kind: str) -> GeneratedDocument:
    """The stored document of ``version``, or :class:`NotReady` with the progress of its generation.

    A document with no job yet (a version submitted before documents were queued), or whose stored copy
    was lost, is queued now; the embedded backends then build it at once, in this request (``eager``) or
    in the background thread (``thread``).
    """
    row = _stored(version, kind)
    if row is None:
        job = tasks.enqueue(GENERATE, {"version": version.pk, "kind": kind}, key=_job_key(version.pk, kind))
        if job.state in (JobState.DONE, JobState.FAILED):  # its copy is gone, or it gave up: build again
            job = tasks.requeue(job)
        tasks.kick(job)
        row = _stored(version, kind)
    if row is None:
        raise NotReady(_progress(version, kind))
    return row


def version_for(user, application_pk, number) -> ApplicationVersion:
    """A submitted version of an application ``user`` may see; 404 otherwise."""
    application = queries.get_application_for(user, application_pk)
    try:
        return application.versions.select_related("submitted_by").get(number=number)
    except (ApplicationVersion.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def document_for_download(
    application_pk, number, kind: str, *, by, ip: str | None = None
) -> tuple[GeneratedDocument, str, str]:
    """(stored document, file name, content type) of a submitted version, audited as a download.

    Raises :class:`NotReady` (with the progress) while the document is still being generated."""
    if kind not in DocumentKind.values:
        raise NotFound()
    version = version_for(by, application_pk, number)
    row = ready_document(version, kind)
    audit.record(
        "document.download",
        actor=by,
        obj=version,
        ip=ip,
        detail={"application": version.application_id, "version": version.number, "kind": kind},
    )
    return row, _filename(version, kind), PDF if kind.endswith("_pdf") else DOCX


def draft_preview(application_pk, *, document: str = "application", by, ip: str | None = None) -> Generated:
    """A watermarked 草稿 PDF of the live form, for the lead unit's own users only. Never cached and
    never given a verification code: it is not a submitted document."""
    from sciplan.documents import pdf_builder

    application = queries.get_application_for(by, application_pk)
    if getattr(by, "role", None) != Role.APPLICANT or not permissions.relates_to(by, application):
        raise NotFound()
    if document not in content.DOCUMENT_TITLES:
        raise NotFound()
    full = (
        Application.objects.select_related("call", "lead_unit", "recommender", "industry")
        .prefetch_related("finance_years", "platforms", "members", "attachments")
        .get(pk=application.pk)
    )
    snapshot = build_snapshot(full)
    data = pdf_builder.document_pdf(content.build(snapshot, document))
    audit.record(
        "document.download",
        actor=by,
        obj=application,
        ip=ip,
        detail={"application": application.pk, "kind": f"{document}_draft_pdf"},
    )
    title = "申报书" if document == "application" else "实施方案"
    return Generated(data, f"{snapshot['consortium_name']}{title}_草稿预览.pdf", PDF)


def documents_of(user, application: Application) -> list[dict]:
    """The submitted versions of ``application`` with their codes, newest first, for the documents block."""
    if not permissions.can_view(user, application):
        return []
    # ``all()`` uses the versions the page already fetched (without their snapshots) when it did.
    versions = sorted(application.versions.all(), key=lambda v: v.number, reverse=True)
    known = codes.ensure_codes(versions) if versions else {}
    return [
        {
            "number": v.number,
            "submitted_at": v.submitted_at,
            "receipt_no": v.receipt_no,
            "code": codes.display(known[v.pk]),
            "current": index == 0,
        }
        for index, v in enumerate(versions)
    ]
