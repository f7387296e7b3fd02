"""Appending to the audit log. The only writer of :class:`AuditEvent`.

Rows are chained by SHA-256: each row's hash covers its own fields and the previous row's hash. On
PostgreSQL a transaction-scoped advisory lock serialises appends so two concurrent transactions cannot
both chain onto the same predecessor; SQLite serialises writers by itself.

A chain cut at its end still links up, so the newest row is recorded from time to time as a signed
:class:`AuditHead` (``record_head``); ``verify_heads`` reports a head whose row is gone, i.e. a
truncated tail.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from array import array
from bisect import bisect_right
from contextvars import ContextVar, Token
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from sciplan.core.dbguard import MIN_RETENTION_DAYS, allow_delete
from sciplan.core.models import AuditEvent, AuditHead, Outcome
from sciplan.core.scrubbing import mask_personal, scrub

__all__ = [
    "MIN_RETENTION_DAYS",
    "PurgeRefused",
    "allow_delete",
    "mask_personal",
    "record",
    "record_head",
    "scrub",
    "verify_chain",
    "verify_heads",
]

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


def _lock_chain() -> None:
    """Serialise appends to the chain for the rest of the caller's transaction (PostgreSQL; SQLite
    serialises writers by itself)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


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
    key = getattr(_request.get(), "api_key", None)
    if key is not None:
        # Everything done in a request made with an integration account's API key names the key.
        detail = {**(detail or {}), "api_key": key.pk}
    with transaction.atomic():
        _lock_chain()
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


class PurgeRefused(Exception):
    """The database refused the purge: on PostgreSQL only the owner of the audit table may purge."""


def purge(*, retention_days: int | None = None, by_label: str = "audit_purge") -> int:
    """Delete rows older than the retention (never less than 180 days) and record the purge.

    PostgreSQL: the rows go through ``sciplan_audit_purge()``, which only the table's owner may run and
    which deletes only rows older than the retention; the application role gets :class:`PurgeRefused`.
    SQLite: the connection's guard function is opened for this transaction.
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
        if connection.vendor == "postgresql":
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SELECT sciplan_audit_purge(%s, %s)", [last_old, days])
            except DatabaseError as exc:
                raise PurgeRefused(str(exc).splitlines()[0]) from exc
        else:
            with allow_delete("purge", cutoff=cutoff, retention_days=days):
                doomed.delete()
        record_head()
    return count


# --- the signed head ---------------------------------------------------------------------------------


def _head_keys() -> list[str]:
    """The key heads are signed with, then the keys they may have been signed with before.

    ``AUDIT_HEAD_KEY`` when set (it is never rotated); else a key derived from ``SECRET_KEY``, and then
    heads signed before a rotation still verify under ``SECRET_KEY_FALLBACKS``, as Django's own
    signatures do.
    """
    if settings.AUDIT_HEAD_KEY:
        return [settings.AUDIT_HEAD_KEY]
    return [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]


def head_signature(*, at: str, last_id: int, last_hash: str, row_count: int, key: str | None = None) -> str:
    message = f"{at}|{last_id}|{last_hash}|{row_count}"
    secret = key or _head_keys()[0]
    return salted_hmac("sciplan.audit.head", message, secret=secret, algorithm="sha256").hexdigest()


def head_as_dict(head: AuditHead) -> dict[str, Any]:
    return {
        "at": head.at.isoformat(),
        "last_id": head.last_id,
        "last_hash": head.last_hash,
        "row_count": head.row_count,
        "signature": head.signature,
    }


def record_head() -> AuditHead:
    """Append a signed head: the newest row's id and hash, the number of rows, the time."""
    with transaction.atomic():
        _lock_chain()
        last = AuditEvent.objects.order_by("-id").values_list("id", "hash").first() or (0, "")
        head = AuditHead(at=timezone.now(), last_id=last[0], last_hash=last[1])
        head.row_count = AuditEvent.objects.count()
        head.signature = head_signature(
            at=head.at.isoformat(), last_id=head.last_id, last_hash=head.last_hash, row_count=head.row_count
        )
        head.save(force_insert=True)
    return head


def verify_heads(external: list[dict[str, Any]] | None = None) -> list[str]:
    """Compare the log with every recorded head (and heads exported elsewhere); return the problems.

    A head whose signature does not match was forged or altered. A head whose newest row is missing or
    has another hash, or whose row count is no longer there (less what later purges removed), means rows
    were deleted: a truncated tail when they were the newest.

    A head is recorded every few minutes, so the log is read a fixed number of times whatever the number
    of heads: the ids still present once (for the counts), the heads' rows in batches (for the hashes).
    """
    problems: list[str] = []
    heads = [head_as_dict(h) for h in AuditHead.objects.order_by("id")] + list(external or [])
    purges = list(
        AuditEvent.objects.filter(event_type=PURGE_EVENT).values_list("id", "detail").order_by("id")
    )
    purged_through = max((int(d.get("through_id", 0)) for _, d in purges), default=0)
    newest = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    checked = _signed_heads(heads, problems)
    wanted = sorted({last_id for _, last_id, _, _ in checked if last_id > purged_through})
    hashes_now: dict[int, str] = {}
    for start in range(0, len(wanted), 500):
        batch = wanted[start : start + 500]
        hashes_now.update(AuditEvent.objects.filter(id__in=batch).values_list("id", "hash"))
    up_to = wanted[-1] if wanted else 0
    # Rows are only ever removed, never renumbered: the ids present up to the newest head's row.
    present_ids = array(
        "q",
        AuditEvent.objects.filter(id__lte=up_to)
        .order_by("id")
        .values_list("id", flat=True)
        .iterator(chunk_size=10000),
    )
    for label, last_id, last_hash, row_count in checked:
        if last_id <= purged_through:
            continue  # the head's rows were purged (and verified then): nothing left to compare
        purged = sum(int(d.get("deleted", 0)) for pk, d in purges if pk > last_id)
        if last_id:
            row_hash_now = hashes_now.get(last_id)
            if row_hash_now is None:
                tail = "：其后的记录也已不存在，日志尾部被截断" if newest < last_id else ""
                problems.append(f"签名头（{label}）指向的记录已被删除{tail}。")
                continue
            if row_hash_now != last_hash:
                problems.append(f"签名头（{label}）记录的哈希与现存记录不符。")
                continue
        present = bisect_right(present_ids, last_id)
        if present != row_count - purged:
            problems.append(
                f"签名头（{label}）时共有{row_count}条记录（其后清理{purged}条），现存{present}条：有记录被删除。"
            )
    return problems


def _signed_heads(heads: list[dict[str, Any]], problems: list[str]) -> list[tuple[str, int, str, int]]:
    """The heads whose signature holds, as (label, last_id, last_hash, row_count); the others go to
    ``problems``."""
    checked = []
    for head in heads:
        try:
            fields = {
                "at": str(head["at"]),
                "last_id": int(head["last_id"]),
                "last_hash": str(head["last_hash"]),
                "row_count": int(head["row_count"]),
            }
        except (KeyError, TypeError, ValueError):
            problems.append(f"签名头格式不正确：{head!r}")
            continue
        signature = str(head.get("signature", ""))
        valid = any(hmac.compare_digest(head_signature(**fields, key=key), signature) for key in _head_keys())
        last_id, last_hash, row_count = fields["last_id"], fields["last_hash"], fields["row_count"]
        label = f"{head['at']} 记录的第{last_id}条"
        if not valid:
            problems.append(f"签名头（{label}）的签名不符，可能被伪造或改动。")
            continue
        checked.append((label, last_id, last_hash, row_count))
    return checked
