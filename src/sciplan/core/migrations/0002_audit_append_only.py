"""The audit log is append-only in the database itself (STANDARDS E24).

PostgreSQL: a trigger refuses every UPDATE, and every DELETE unless the transaction opened the purge
guard (``SET LOCAL sciplan.audit_purge = 'purge'``) and the row is older than the retention (never less
than 180 days); TRUNCATE is refused unless the guard says ``flush`` (wiping a scratch database).
SQLite: triggers refuse UPDATE, and DELETE unless the connection's guard function allows it; a
connection that does not define that function (the sqlite3 shell) cannot delete at all.
"""

from django.db import migrations

PG_INSTALL = """
CREATE OR REPLACE FUNCTION sciplan_audit_guard() RETURNS trigger AS $$
DECLARE
    mode text := coalesce(current_setting('sciplan.audit_purge', true), '');
    days integer := greatest(coalesce(nullif(current_setting('sciplan.audit_retention_days', true), '')::integer, 180), 180);
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'core_auditevent is append-only: UPDATE refused' USING ERRCODE = 'insufficient_privilege';
    ELSIF TG_OP = 'TRUNCATE' THEN
        IF mode = 'flush' THEN RETURN NULL; END IF;
        RAISE EXCEPTION 'core_auditevent is append-only: TRUNCATE refused' USING ERRCODE = 'insufficient_privilege';
    ELSIF TG_OP = 'DELETE' THEN
        IF mode = 'flush' THEN RETURN OLD; END IF;
        IF mode = 'purge' AND OLD.at < now() - make_interval(days => days) THEN RETURN OLD; END IF;
        RAISE EXCEPTION 'core_auditevent is append-only: DELETE refused' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;
CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE OR DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION sciplan_audit_guard();
DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON core_auditevent;
CREATE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON core_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION sciplan_audit_guard();
"""

PG_REMOVE = """
DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;
DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON core_auditevent;
DROP FUNCTION IF EXISTS sciplan_audit_guard();
"""

SQLITE_INSTALL = [
    """CREATE TRIGGER IF NOT EXISTS core_auditevent_no_update BEFORE UPDATE ON core_auditevent
    BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER IF NOT EXISTS core_auditevent_no_delete BEFORE DELETE ON core_auditevent
    WHEN NOT sciplan_audit_delete_allowed(OLD.at)
    BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only: DELETE refused'); END;""",
]

SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_update;",
    "DROP TRIGGER IF EXISTS core_auditevent_no_delete;",
]


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_INSTALL)
    elif vendor == "sqlite":
        for statement in SQLITE_INSTALL:
            schema_editor.execute(statement)


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REMOVE)
    elif vendor == "sqlite":
        for statement in SQLITE_REMOVE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
