"""The database guard that keeps the audit log append-only (migration core 0002) and the one way to
open it for a single transaction: a retention purge, or wiping a scratch database."""

from __future__ import annotations

import threading
from datetime import UTC

from django.db import connections
from django.db.backends.signals import connection_created

MIN_RETENTION_DAYS = 180

# SQLite has no session settings: its trigger asks this function, registered on every connection
# Django opens. A connection without it (the sqlite3 shell) cannot delete at all.
_delete_mode = threading.local()


def _sqlite_delete_allowed(at: str | None) -> int:
    mode = getattr(_delete_mode, "mode", "")
    if mode == "flush":
        return 1
    if mode == "purge" and at is not None:
        return 1 if at < _delete_mode.cutoff else 0
    return 0


def install_sqlite_guard(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("sciplan_audit_delete_allowed", 1, _sqlite_delete_allowed)


class allow_delete:  # used like a function: ``with allow_delete("purge", cutoff=...)``
    """Open the database guard for this transaction only (retention purge, or wiping a scratch DB)."""

    def __init__(
        self, mode: str, *, cutoff=None, retention_days: int = MIN_RETENTION_DAYS, using: str = "default"
    ):
        self.mode = mode
        self.using = using
        self.cutoff = cutoff
        self.retention_days = retention_days

    def __enter__(self):
        _delete_mode.mode = self.mode
        if self.cutoff is not None:
            _delete_mode.cutoff = self.cutoff.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        db = connections[self.using]
        if db.vendor == "postgresql":
            with db.cursor() as cursor:
                cursor.execute("SELECT set_config('sciplan.audit_purge', %s, true)", [self.mode])
                cursor.execute(
                    "SELECT set_config('sciplan.audit_retention_days', %s, true)", [str(self.retention_days)]
                )
        return self

    def __exit__(self, exc_type, *rest) -> None:
        _delete_mode.mode = ""
        _delete_mode.cutoff = ""
        db = connections[self.using]
        if exc_type is None and db.vendor == "postgresql" and db.in_atomic_block:
            with db.cursor() as cursor:
                cursor.execute("SELECT set_config('sciplan.audit_purge', '', true)")


connection_created.connect(install_sqlite_guard, dispatch_uid="sciplan_audit_sqlite_guard")
