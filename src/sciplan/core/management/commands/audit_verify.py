"""Check the audit log's hash chain and report every row that no longer matches (STANDARDS E24)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from sciplan.core.audit import verify_chain
from sciplan.core.models import AuditEvent


class Command(BaseCommand):
    help = "Verify the audit log hash chain; exit status 1 and the broken row ids when it is broken."

    def handle(self, **options):
        total = AuditEvent.objects.count()
        broken = verify_chain()
        if broken:
            shown = ", ".join(str(pk) for pk in broken[:50])
            more = f" …（共{len(broken)}条）" if len(broken) > 50 else ""
            self.stderr.write(f"审计日志哈希链校验失败，以下记录被改动或链接断开：{shown}{more}")
            raise CommandError(f"broken rows: {len(broken)}")
        self.stdout.write(f"审计日志完整：{total}条记录，哈希链校验通过。")
