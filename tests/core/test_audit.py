from __future__ import annotations

import pytest

from sciplan.core import audit
from sciplan.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_audit_chain_links_every_row_to_the_one_before():
    events = [audit.record(f"test.{n}", detail={"n": n}) for n in range(3)]

    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:2]]
    assert audit.verify_chain() == []


def test_audit_scrubs_secrets_and_control_characters():
    event = audit.record("test.scrub", detail={"password": "S3cret!", "note": "a\x00b\nc"})

    stored = AuditEvent.objects.get(pk=event.pk).detail
    assert stored == {"password": "***", "note": "a\\x00b\\x0ac"}
