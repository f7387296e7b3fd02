"""Delete audit rows older than the retention period (settings.AUDIT_RETENTION_DAYS, at least 180 days).

On PostgreSQL run it with the owner's DATABASE_URL (the role that runs migrations): the application role
is refused by the database.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sciplan.core.audit import MIN_RETENTION_DAYS, PurgeRefused, purge


class Command(BaseCommand):
    help = (
        "Purge audit rows older than the retention (never less than 180 days); the purge is itself audited."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=settings.AUDIT_RETENTION_DAYS)

    def handle(self, **options):
        days = options["days"]
        if days < MIN_RETENTION_DAYS:
            raise CommandError(f"审计日志至少保留{MIN_RETENTION_DAYS}天，不能设为{days}天。")
        try:
            deleted = purge(retention_days=days)
        except PurgeRefused as exc:
            raise CommandError(
                f"数据库拒绝清理审计日志：只有审计表的所有者（执行迁移的数据库角色）可以清理。{exc}"
            ) from exc
        self.stdout.write(f"已清理保留期（{days}天）以前的审计记录{deleted}条。")
