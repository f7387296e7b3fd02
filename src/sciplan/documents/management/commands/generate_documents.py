"""Generate and cache the documents of submitted versions ahead of their first download.

Each submission queues its own documents (``documents.services.queue_documents``); this command is
for versions submitted before that, or after raising the layout revision, so nobody waits for
WeasyPrint when the recommenders and the bureau start printing. Already cached documents are skipped.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from sciplan.applications.models import ApplicationVersion
from sciplan.documents.models import DocumentKind, GeneratedDocument
from sciplan.documents.services import LAYOUT, cached_document


class Command(BaseCommand):
    help = "为提交版本预先生成并缓存申报书、实施方案和回执（已缓存的跳过）。"

    def add_arguments(self, parser):
        parser.add_argument("--call", type=int, help="只处理该申报批次")
        parser.add_argument("--all-versions", action="store_true", help="包括已被取代的旧版本")

    def handle(self, *args, call=None, all_versions=False, **options):
        versions = ApplicationVersion.objects.select_related("submitted_by").order_by(
            "application_id", "-number"
        )
        if call:
            versions = versions.filter(application__call_id=call)
        done = set(GeneratedDocument.objects.filter(layout=LAYOUT).values_list("version_id", "kind"))
        seen, generated = set(), 0
        for version in versions.iterator():
            if not all_versions and version.application_id in seen:
                continue
            seen.add(version.application_id)
            for kind in DocumentKind.values:
                if (version.pk, kind) not in done:
                    cached_document(version, kind)
                    generated += 1
        self.stdout.write(f"已生成 {generated} 份文档（{len(seen)} 份申报书）。")
