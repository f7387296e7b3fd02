"""Generating, caching and handing out documents. Plain functions taking the acting user (``by=``).

Documents of a submitted version are built from its frozen snapshot, never from the live form, so a
paper copy printed today and one printed next month are the same document with the same verification
code. Each is generated once per version, kind and layout revision and kept in private storage; a
cached file whose SHA-256 no longer matches is regenerated. Every download is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from django.db import IntegrityError

from sciplan.accounts.roles import Role
from sciplan.applications import permissions, queries
from sciplan.applications.models import Application, ApplicationVersion
from sciplan.applications.snapshot import build_snapshot
from sciplan.core import audit, clock, storage
from sciplan.core.errors import NotFound
from sciplan.documents import codes, content
from sciplan.documents.models import DocumentKind, GeneratedDocument

# Raise when a template or builder changes what a document looks like: cached copies are then rebuilt.
LAYOUT = 3

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


def cached_document(version: ApplicationVersion, kind: str) -> GeneratedDocument:
    """The stored document, generated on first use. Concurrent first uses store one copy."""
    row = GeneratedDocument.objects.filter(version=version, kind=kind, layout=LAYOUT).first()
    if row is not None:
        try:
            if storage.stored_sha256(row.storage_key) == row.sha256:
                return row
        except OSError:
            pass  # lost from storage: rebuild below
        GeneratedDocument.objects.filter(pk=row.pk).delete()
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
    except IntegrityError:  # another request stored it first; this copy was removed with its row
        return GeneratedDocument.objects.get(version=version, kind=kind, layout=LAYOUT)


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
    """(stored document, file name, content type) of a submitted version, audited as a download."""
    if kind not in DocumentKind.values:
        raise NotFound()
    version = version_for(by, application_pk, number)
    row = cached_document(version, kind)
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
