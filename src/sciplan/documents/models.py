"""Verification codes of submitted versions and the cache of generated documents."""

from __future__ import annotations

from django.db import models

from sciplan.applications.models import ApplicationVersion


class VersionCode(models.Model):
    """The verification code printed on every document of one submitted version.

    The code is derived from the version's content hash (``codes.derive``), so it carries no secret and
    is the same every time; it is stored only so a typed code can be looked up by index.
    """

    version = models.OneToOneField(
        ApplicationVersion, on_delete=models.CASCADE, related_name="verification", verbose_name="提交版本"
    )
    code = models.CharField("校验码", max_length=12, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "校验码"
        verbose_name_plural = "校验码"

    def __str__(self) -> str:
        return self.code


class DocumentKind(models.TextChoices):
    APPLICATION_DOCX = "application_docx", "申报书（Word）"
    APPLICATION_PDF = "application_pdf", "申报书（PDF）"
    PLAN_DOCX = "plan_docx", "实施方案（Word）"
    PLAN_PDF = "plan_pdf", "实施方案（PDF）"
    RECEIPT_PDF = "receipt_pdf", "提交回执（PDF）"


class GeneratedDocument(models.Model):
    """A document generated once per version and kind, kept in private storage.

    ``layout`` is the revision of the templates that produced it: a layout change regenerates old copies
    on their next download (the content, frozen in the version, stays the same).
    """

    version = models.ForeignKey(
        ApplicationVersion, on_delete=models.CASCADE, related_name="documents", verbose_name="提交版本"
    )
    kind = models.CharField("文档类型", max_length=20, choices=DocumentKind.choices)
    layout = models.PositiveSmallIntegerField("版式修订号")
    storage_key = models.CharField(max_length=255, unique=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField("大小（字节）")
    created_at = models.DateTimeField("生成时间", auto_now_add=True)

    class Meta:
        verbose_name = "已生成文档"
        verbose_name_plural = "已生成文档"
        constraints = [
            models.UniqueConstraint(fields=["version", "kind", "layout"], name="one_document_per_layout")
        ]

    def __str__(self) -> str:
        return f"{self.version_id}:{self.kind}"
