"""Appending to the audit log. The only writer of :class:`AuditEvent`.

Rows are chained by SHA-256: each row's hash covers its own fields and the previous row's hash. On
PostgreSQL a transaction-scoped advisory lock serialises appends so two concurrent transactions cannot
both chain onto the same predecessor; SQLite serialises writers by itself.
"""

from __future__ import annotations

import hashlib
import json
from contextvars import ContextVar, Token
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from sciplan.core.dbguard import MIN_RETENTION_DAYS, allow_delete
from sciplan.core.models import AuditEvent, Outcome
from sciplan.core.scrubbing import mask_personal, scrub

__all__ = ["MIN_RETENTION_DAYS", "allow_delete", "mask_personal", "record", "scrub", "verify_chain"]

_CHAIN_LOCK_KEY = 724_100_001

# The events recorded while one request is handled, so the request-level trail (core.middleware) adds
# its own record only when the view did not already record that download or refusal itself.
_request_events: ContextVar[list[tuple[str, str]] | None] = ContextVar("sciplan_audit_events", default=None)
_request: ContextVar[Any] = ContextVar("sciplan_audit_request", default=None)


def begin_request(request=None) -> tuple[Token, Token]:
    return _request_events.set([]), _request.set(request)


def end_request(tokens: tuple[Token, Token]) -> list[tuple[str, str]]:
    events = _request_events.get() or []
    _request_events.reset(tokens[0])
    _request.reset(tokens[1])
    return events


def current_request():
    """The request being handled (set by ``core.middleware.AuditTrailMiddleware``), or ``None``."""
    return _request.get()


def row_hash(*, prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}|{payload}".encode()).hexdigest()


def hashed_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "ip": event.ip,
        "event_type": event.event_type,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "outcome": event.outcome,
        "detail": event.detail,
    }


def record(
    event_type: str,
    *,
    actor: Any = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    outcome: str = Outcome.OK,
    ip: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Runs in the caller's transaction when there is one, else in its own."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or ""
        event = AuditEvent(
            at=timezone.now(),
            actor=user,
            actor_label=(user.get_username() if user else "")[:150],
            ip=ip,
            event_type=event_type,
            object_type=object_type,
            object_id=str(object_id)[:64],
            outcome=outcome,
            detail=scrub(detail or {}),
            prev_hash=last,
        )
        event.hash = row_hash(prev_hash=last, fields=hashed_fields(event))
        event.save(force_insert=True)
    seen = _request_events.get()
    if seen is not None:
        seen.append((event_type, outcome))
    return event


def verify_chain() -> list[int]:
    """Return the ids of rows whose hash or link does not match; an empty list means intact.

    After a retention purge the oldest remaining row links to a deleted one: that link is accepted only
    when an ``audit.purge`` event recorded exactly that hash as its anchor.
    """
    broken: list[int] = []
    prev: str | None = None
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if prev is None:
            prev = event.prev_hash if event.prev_hash and _is_purge_anchor(event.prev_hash) else ""
        expected = row_hash(prev_hash=prev, fields=hashed_fields(event))
        if event.prev_hash != prev or event.hash != expected:
            broken.append(event.pk)
        prev = event.hash
    return broken


def _is_purge_anchor(hash_value: str) -> bool:
    return AuditEvent.objects.filter(event_type=PURGE_EVENT, detail__anchor_prev_hash=hash_value).exists()


PURGE_EVENT = "audit.purge"


def purge(*, retention_days: int | None = None, by_label: str = "audit_purge") -> int:
    """Delete rows older than the retention (never less than 180 days) and record the purge.

    The database refuses the deletion unless this transaction opened the guard, and on PostgreSQL it
    refuses rows younger than the retention even then.
    """
    days = max(retention_days or settings.AUDIT_RETENTION_DAYS, MIN_RETENTION_DAYS)
    cutoff = timezone.now() - timedelta(days=days)
    with transaction.atomic():
        old = AuditEvent.objects.filter(at__lt=cutoff).order_by("id")
        last_old = old.values_list("id", flat=True).last()
        if last_old is None:
            return 0
        # Only a prefix of the chain may go: rows are appended in time order, so everything up to the
        # newest old row is old.
        doomed = AuditEvent.objects.filter(id__lte=last_old)
        anchor = AuditEvent.objects.filter(id__gt=last_old).order_by("id").values_list("prev_hash", flat=True)
        anchor_hash = anchor.first() or AuditEvent.objects.get(id=last_old).hash
        count = doomed.count()
        # The purge record is appended first so the anchor survives the deletion it describes.
        record(
            PURGE_EVENT,
            detail={
                "deleted": count,
                "through_id": last_old,
                "retention_days": days,
                "anchor_prev_hash": anchor_hash,
                "by": by_label,
            },
        )
        with allow_delete("purge", cutoff=cutoff, retention_days=days):
            doomed.delete()
    return count
