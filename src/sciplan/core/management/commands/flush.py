"""``flush`` that knows the audit log is append-only.

Wiping a whole database is for scratch databases only: the test suite between transactional tests, and
a demo setup. In production (demo mode off, not a test database) it is refused, so the audit log
cannot be emptied through ``manage.py`` either.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as DjangoFlush
from django.db import connections, transaction

from sciplan.core.audit import allow_delete


class Command(DjangoFlush):
    def handle(self, **options):
        database = options["database"]
        name = str(connections[database].settings_dict.get("NAME") or "")
        scratch = settings.DEMO_MODE or "test" in name or "memory" in name
        if not scratch:
            raise CommandError("生产环境不允许清空数据库（审计日志只可追加）。")
        with transaction.atomic(using=database), allow_delete("flush", using=database):
            return super().handle(**options)
