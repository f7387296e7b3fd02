"""STANDARDS B11, E22, E24: the audit log is complete, append-only in the database, hash-chained,
kept at least 180 days, viewable and exportable by bureau staff and audit viewers only."""

from __future__ import annotations

import io
import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sciplan.accounts.demo import DEMO_PASSWORD
from sciplan.accounts.models import User
from sciplan.accounts.roles import Role
from sciplan.api.auth import issue_token
from sciplan.core import audit
from sciplan.core.models import AuditEvent, AuditHead

pytestmark = pytest.mark.django_db


def _events(n: int, **kwargs) -> list[AuditEvent]:
    return [audit.record("test.event", detail={"n": i}, **kwargs) for i in range(n)]


SQLITE_NO_UPDATE = (
    "CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only: UPDATE refused'); END;"
)


SQLITE_NO_DELETE = (
    "CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent "
    "WHEN NOT sciplan_audit_delete_allowed(OLD.at) "
    "BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only: DELETE refused'); END;"
)
SQLITE_HEAD_NO_DELETE = (
    "CREATE TRIGGER core_audithead_no_delete BEFORE DELETE ON core_audithead "
    "WHEN NOT sciplan_audit_delete_allowed(NULL) "
    "BEGIN SELECT RAISE(ABORT, 'core_audithead is append-only: DELETE refused'); END;"
)


@contextmanager
def _dba_bypass():
    """What only a database administrator can do: write with the triggers off (for the tamper and
    retention tests). The application has no such path."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        else:
            cursor.execute("DROP TRIGGER core_auditevent_no_update")
            cursor.execute("DROP TRIGGER core_auditevent_no_delete")
            cursor.execute("DROP TRIGGER core_audithead_no_delete")
        try:
            yield cursor
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")
            else:
                cursor.execute(SQLITE_NO_UPDATE)
                cursor.execute(SQLITE_NO_DELETE)
                cursor.execute(SQLITE_HEAD_NO_DELETE)


def _backdate(event_ids, days: int) -> None:
    """Age rows for the retention tests and re-chain them, as if they had been written back then."""
    past = timezone.now() - timedelta(days=days)
    with _dba_bypass():
        AuditEvent.objects.filter(pk__in=event_ids).update(at=past)
        prev = ""
        for row in AuditEvent.objects.order_by("id"):
            new_hash = audit.row_hash(prev_hash=prev, fields=audit.hashed_fields(row))
            AuditEvent.objects.filter(pk=row.pk).update(prev_hash=prev, hash=new_hash)
            prev = new_hash


# --- append-only in the database -------------------------------------------------------------------


def test_database_refuses_update_of_an_audit_row():
    event = audit.record("test.event")

    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(outcome="failed")
    assert AuditEvent.objects.get(pk=event.pk).outcome == "ok"


def test_database_refuses_raw_sql_update_and_delete():
    event = audit.record("test.event")

    for sql in (
        "UPDATE core_auditevent SET event_type = 'x' WHERE id = %s",
        "DELETE FROM core_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, event_type="test.event").count() == 1


def test_orm_delete_is_refused():
    event = audit.record("test.event")

    with pytest.raises(DatabaseError), transaction.atomic():
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.postgres
def test_postgres_purge_guard_still_refuses_young_rows():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    event = audit.record("test.event")

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL sciplan.audit_purge = 'purge'")
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.postgres
def test_postgres_application_role_cannot_purge_even_with_the_session_variable():
    """A role that is not the table's owner, even with DELETE rights and the guard's session variable
    set, deletes nothing; the purge function is not executable by it; the purge service is refused."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    old = _events(2)
    _backdate([old[0].pk], days=400)
    role = f"sciplan_app_{uuid.uuid4().hex[:10]}"  # created and dropped with the test's transaction
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        cursor.execute(f"GRANT SELECT, INSERT, DELETE ON core_auditevent, core_audithead TO {role}")
        cursor.execute(f"GRANT USAGE ON SEQUENCE core_auditevent_id_seq, core_audithead_id_seq TO {role}")
        cursor.execute(f"SET LOCAL ROLE {role}")
    try:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('sciplan.audit_purge', 'purge', true)")
            cursor.execute("SELECT set_config('sciplan.audit_retention_days', '180', true)")
            cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [old[0].pk])
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT sciplan_audit_purge(%s, 180)", [old[0].pk])
        with pytest.raises(audit.PurgeRefused):
            audit.purge(retention_days=180)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert AuditEvent.objects.filter(pk=old[0].pk).exists()
    assert not AuditEvent.objects.filter(event_type=audit.PURGE_EVENT).exists()
    # The owner's purge command is the one path that works.
    call_command("audit_purge", "--days", "180")
    assert not AuditEvent.objects.filter(pk=old[0].pk).exists()
    assert audit.verify_chain() == [] and audit.verify_heads() == []


@pytest.mark.postgres
def test_postgres_truncate_is_refused():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    audit.record("test.event")

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE core_auditevent CASCADE")
    assert AuditEvent.objects.count() >= 1


# --- hash chain ----------------------------------------------------------------------------------


def test_chain_of_untouched_log_verifies(capsys):
    _events(5)

    call_command("audit_verify")

    assert audit.verify_chain() == []
    assert "哈希链校验通过" in capsys.readouterr().out


def test_row_edited_behind_the_applications_back_is_reported():
    events = _events(4)
    victim = events[1]
    # A DBA-level edit (trigger bypassed) changes the detail of one row.
    with _dba_bypass():
        AuditEvent.objects.filter(pk=victim.pk).update(detail={"n": 999})
    with pytest.raises(CommandError):
        call_command("audit_verify")
    assert audit.verify_chain() == [victim.pk]


def _verify_fails(capsys, *args) -> str:
    capsys.readouterr()
    with pytest.raises(CommandError):
        call_command("audit_verify", *args)
    return capsys.readouterr().err


def test_deleting_the_newest_rows_is_reported_as_a_truncated_tail(capsys):
    _events(6)
    audit.record_head()
    newest = list(AuditEvent.objects.order_by("-id").values_list("id", flat=True)[:3])
    with _dba_bypass():  # as the database superuser, triggers off: the chain that is left still links
        AuditEvent.objects.filter(pk__in=newest).delete()

    assert audit.verify_chain() == []
    err = _verify_fails(capsys)
    assert "日志尾部被截断" in err
    assert f"第{newest[0]}条" in err


def test_deleting_rows_before_the_head_is_reported_by_the_row_count(capsys):
    events = _events(5)
    audit.record_head()
    with _dba_bypass():  # the first rows, as if purged without the purge function
        AuditEvent.objects.filter(pk__in=[e.pk for e in events[:2]]).delete()

    assert "有记录被删除" in _verify_fails(capsys)


def test_verifying_many_heads_reads_the_log_a_fixed_number_of_times():
    for _ in range(12):
        _events(1)
        audit.record_head()
    with CaptureQueriesContext(connection) as few:
        assert audit.verify_heads() == []
    for _ in range(12):
        _events(1)
        audit.record_head()
    with _dba_bypass():  # one row in the middle goes: every later head sees one row too few
        AuditEvent.objects.filter(pk=AuditEvent.objects.order_by("id")[5].pk).delete()

    with CaptureQueriesContext(connection) as many:
        problems = audit.verify_heads()

    assert len(many) == len(few)
    assert sum("有记录被删除" in p for p in problems) == 24 - 6
    assert sum("指向的记录已被删除" in p for p in problems) == 1


def test_a_clean_verification_records_a_head_and_rows_after_it_verify(capsys):
    _events(3)
    call_command("audit_verify")
    head = AuditHead.objects.get()
    _events(2)

    call_command("audit_verify")

    assert (head.last_id, head.row_count) == (AuditEvent.objects.order_by("-id")[2].pk, 3)
    assert AuditHead.objects.count() == 2
    assert "哈希链校验通过，签名头一致" in capsys.readouterr().out


def test_a_head_written_without_the_key_is_reported(capsys):
    _events(2)
    last = AuditEvent.objects.order_by("-id").first()
    AuditHead.objects.create(  # the application role can insert a head, but cannot sign one
        at=timezone.now(), last_id=last.pk, last_hash=last.hash, row_count=1, signature="0" * 64
    )

    assert "签名不符" in _verify_fails(capsys)


def test_heads_survive_a_secret_key_rotation_but_not_a_changed_head_key(settings):
    _events(2)
    settings.AUDIT_HEAD_KEY = ""
    audit.record_head()
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "rotated-" + "k" * 50, [old_key]

    assert audit.verify_heads() == []  # signed with the old SECRET_KEY, verified through the fallbacks

    settings.AUDIT_HEAD_KEY = "a-separate-head-key-" + "h" * 40
    assert ["签名不符" in p for p in audit.verify_heads()] == [True]


def test_heads_are_append_only_in_the_database():
    head = audit.record_head()

    for sql in (
        "UPDATE core_audithead SET row_count = 0 WHERE id = %s",
        "DELETE FROM core_audithead WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [head.pk])
    assert AuditHead.objects.get(pk=head.pk).row_count == head.row_count


def test_exported_heads_reveal_a_tail_deleted_together_with_its_heads(tmp_path, capsys):
    exported = tmp_path / "audit-heads.jsonl"
    _events(4)
    call_command("audit_head", "--output", str(exported))
    newest = AuditEvent.objects.order_by("-id").first()
    with _dba_bypass():  # the owner removes the newest row and every head in the database
        AuditEvent.objects.filter(pk=newest.pk).delete()
        AuditHead.objects.all().delete()

    call_command("audit_verify")  # what is left in the database is self-consistent
    assert "日志尾部被截断" in _verify_fails(capsys, "--heads", str(exported))


# --- retention -----------------------------------------------------------------------------------


def test_purge_keeps_180_days_and_the_chain_stays_verifiable(settings):
    old = _events(3)
    young = _events(2)
    _backdate([e.pk for e in old], days=200)

    call_command("audit_purge", "--days", "180")

    remaining = set(AuditEvent.objects.values_list("event_type", flat=True))
    assert AuditEvent.objects.filter(pk__in=[e.pk for e in old]).count() == 0
    assert AuditEvent.objects.filter(pk__in=[e.pk for e in young]).count() == 2
    assert "audit.purge" in remaining
    assert audit.verify_chain() == []


def test_purge_refuses_a_retention_shorter_than_180_days():
    with pytest.raises(CommandError):
        call_command("audit_purge", "--days", "30")


def test_purge_leaves_rows_younger_than_the_retention():
    rows = _events(2)
    _backdate([rows[0].pk], days=100)

    call_command("audit_purge", "--days", "180")

    assert AuditEvent.objects.filter(pk__in=[e.pk for e in rows]).count() == 2


def test_retention_setting_is_at_least_180_days(settings):
    assert settings.AUDIT_RETENTION_DAYS >= 180


# --- the bureau page, the export, the API ---------------------------------------------------------


def test_audit_page_filters_and_paginates_in_constant_queries(personas, client_for):
    client = client_for("bureau")
    _events(3, actor=personas.county)
    client.get("/accounts/audit/")  # warm the session
    with CaptureQueriesContext(connection) as few:
        first = client.get("/accounts/audit/", {"type": "test.", "user": "county"})
    _events(120, actor=personas.county)
    with CaptureQueriesContext(connection) as many:
        second = client.get("/accounts/audit/", {"type": "test.", "user": "county", "page": "2"})

    assert first.status_code == second.status_code == 200
    assert first.context["page"].paginator.count == 3
    assert second.context["page"].paginator.count == 123
    assert len(second.context["page"].object_list) == 50
    assert len(many.captured_queries) == len(few.captured_queries)


def test_audit_page_filters_by_date(personas, client_for):
    _events(2)
    today = timezone.localdate().isoformat()

    response = client_for("bureau").get("/accounts/audit/", {"since": today, "until": today, "type": "test."})
    bad = client_for("bureau").get("/accounts/audit/", {"since": "2024-13-40"})

    assert response.context["page"].paginator.count == 2
    assert bad.context["errors"] == {"since": "日期格式应为 2024-08-04。"}


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_audit_export_is_a_download_and_is_itself_audited(personas, client_for, fmt):
    _events(3, actor=personas.county)

    response = client_for("bureau").get("/accounts/audit/export/", {"format": fmt, "type": "test."})

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
    body = b"".join(response.streaming_content)
    if fmt == "xlsx":
        from openpyxl import load_workbook

        rows = list(load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))
        assert len(rows) == 4
        assert rows[0][0] == "编号"
    else:
        assert body.decode("utf-8-sig").count("test.event") == 3
    assert AuditEvent.objects.filter(event_type="audit.export", actor=personas.bureau).count() == 1
    assert AuditEvent.objects.filter(event_type="export.download").count() == 0  # one record, not two


def test_audit_api_lists_events_for_bureau_only(personas):
    _events(3, actor=personas.county)
    answers = {}
    for name in ("bureau", "admin", "county", "applicant"):
        raw, _ = issue_token(personas[name])
        answers[name] = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get(
            "/api/v1/audit/events", {"event_type": "test.", "page_size": 2}
        )

    assert {k: v.status_code for k, v in answers.items()} == {
        "bureau": 200,
        "admin": 403,
        "county": 403,
        "applicant": 403,
    }
    body = answers["bureau"].json()
    assert (body["count"], len(body["items"]), body["items"][0]["actor"]) == (3, 2, "county")


def test_audit_api_query_count_is_constant(personas):
    raw, _ = issue_token(personas.bureau)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.get("/api/v1/audit/events")
    _events(2)
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/audit/events", {"event_type": "test."})
    _events(60)
    with CaptureQueriesContext(connection) as many:
        client.get("/api/v1/audit/events", {"event_type": "test."})

    assert len(many.captured_queries) == len(few.captured_queries)


# --- separation of duties (B11) -------------------------------------------------------------------


def test_no_route_lets_anyone_change_or_delete_audit_rows(personas):
    """Every route, as every persona, with every method: the audit rows written before are unchanged."""
    from tests.security.routes import all_routes, url_for

    _events(3)
    before = list(AuditEvent.objects.order_by("id").values_list("id", "hash"))
    for name in ("admin", "bureau"):
        client = Client()
        client.force_login(personas[name])
        for route in all_routes():
            if route.name.startswith("accounts:") and route.name in ("accounts:logout",):
                continue
            if not route.api:
                client.post(url_for(route), {"id": before[0][0], "event_type": "x"})

    after = list(AuditEvent.objects.order_by("id").values_list("id", "hash"))
    assert after[: len(before)] == before
    assert audit.verify_chain() == []


def test_system_admin_cannot_read_the_audit_log(client_for):
    assert client_for("admin").get("/accounts/audit/").status_code == 403


def test_audit_viewer_sees_only_the_log(personas):
    from tests.security.routes import all_routes, url_for

    viewer = User.objects.create(username="auditor1", role=Role.AUDITOR, name="审计员")
    client = Client()
    client.force_login(viewer)
    reached = []
    for route in all_routes():
        if route.api or route.kwargs:
            continue
        response = client.get(url_for(route))
        if response.status_code == 200:
            reached.append(route.name)

    allowed_public = {
        "core:home",
        "core:healthz",
        "accounts:register_done",
        "calls:list",
        "recognition:notices",
        "recognition:register",
        "documents:verify",
        "accounts:register",
    }
    assert sorted(set(reached) - allowed_public) == [
        "accounts:audit_export",
        "accounts:audit_log",
        "accounts:otp_setup",
        "accounts:password_change",
        "core:notifications",
        "review:draws",  # the record of every expert draw, replaced ones included (issue: no re-rolling)
    ]


def test_role_change_is_audited(personas):
    from sciplan.accounts.services import change_role

    change_role(personas.county_b, role=Role.BUREAU, by=personas.admin, ip="10.0.0.9")

    event = AuditEvent.objects.filter(event_type="user.role_change").latest("id")
    assert (event.actor_id, event.object_id, event.detail) == (
        personas.admin.pk,
        str(personas.county_b.pk),
        {"from": "recommender", "to": "bureau"},
    )


def test_every_security_event_has_time_type_outcome_and_ip(personas):
    client = Client(REMOTE_ADDR="10.5.5.5")
    client.post("/accounts/login/", {"username": "applicant", "password": "Wrong-1-pass"})
    client.post("/accounts/login/", {"username": "applicant", "password": DEMO_PASSWORD})

    rows = list(AuditEvent.objects.filter(event_type__startswith="auth.").order_by("id"))
    assert [(r.event_type, r.outcome, r.ip) for r in rows] == [
        ("auth.login_failed", "failed", "10.5.5.5"),
        ("auth.login", "ok", "10.5.5.5"),
    ]
    assert all(r.at is not None for r in rows)
