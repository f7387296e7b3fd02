"""What the registration tests upload."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from sciplan.applications.demo import sample_pdf


def licence_scan(name: str = "营业执照.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, sample_pdf(), content_type="application/pdf")
