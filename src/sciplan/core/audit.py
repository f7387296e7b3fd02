"""Appending to the audit log. The only writer of :class:`AuditEvent`.

Rows are chained by SHA-256: each row's hash covers its own fields and the previous row's hash. On
PostgreSQL a transaction-scoped advisory lock serialises appends so two concurrent transactions cannot
both chain onto the same predecessor; SQLite serialises writers by itself.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from sciplan.core.models import AuditEvent, Outcome

_CHAIN_LOCK_KEY = 724_100_001
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_SENSITIVE_KEYS = {"password", "password1", "password2", "token", "otp", "otp_token", "sessionid", "secret"}


def scrub(value: Any) -> Any:
    """Make a value safe to log: drop secrets, escape control characters (STANDARDS E23)."""
    if isinstance(value, dict):
        return {str(k): ("***" if str(k).lower() in _SENSITIVE_KEYS else scrub(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        return _CONTROL_CHARS.sub(lambda m: f"\\x{ord(m.group()):02x}", value)[:2000]
    if value is None or isinstance(value, bool | int | float):
        return value
    return scrub(str(value))


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
    return event


def verify_chain() -> list[int]:
    """Return the ids of rows whose hash or link does not match; an empty list means intact."""
    broken: list[int] = []
    prev = ""
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        expected = row_hash(prev_hash=prev, fields=hashed_fields(event))
        if event.prev_hash != prev or event.hash != expected:
            broken.append(event.pk)
        prev = event.hash
    return broken
