"""The signed audit head, and purging only by the database owner (STANDARDS E24).

PostgreSQL: the guard now opens DELETE/TRUNCATE only when the current role owns the table, so the
application role (which must not own it, see docs/deployment.md) cannot open it by setting
``sciplan.audit_purge`` itself. A retention purge goes through ``sciplan_audit_purge()``, a SECURITY
DEFINER function that nobody but its owner may execute; it still deletes only rows older than the
retention. ``core_audithead`` gets the same protection (never purged, emptied only by a flush).
SQLite: the head table gets the log's triggers; its rows can be deleted only while flushing.
"""

from django.db import migrations, models

PG_GUARD = """
CREATE OR REPLACE FUNCTION sciplan_audit_guard() RETURNS trigger AS $$
DECLARE
    mode text := coalesce(current_setting('sciplan.audit_purge', true), '');
    days integer := greatest(coalesce(nullif(current_setting('sciplan.audit_retention_days', true), '')::integer, 180), 180);
    is_owner boolean := current_user = (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = TG_RELID);
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only: UPDATE refused', ERRCODE = 'insufficient_privilege';
    ELSIF TG_OP = 'TRUNCATE' THEN
        IF mode = 'flush' AND is_owner THEN RETURN NULL; END IF;
        RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only: TRUNCATE refused', ERRCODE = 'insufficient_privilege';
    ELSIF TG_OP = 'DELETE' THEN
        IF mode = 'flush' AND is_owner THEN RETURN OLD; END IF;
        IF mode = 'purge' AND is_owner AND TG_TABLE_NAME = 'core_auditevent'
                AND OLD.at < now() - make_interval(days => days) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only: DELETE refused', ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS core_audithead_append_only ON core_audithead;
CREATE TRIGGER core_audithead_append_only BEFORE UPDATE OR DELETE ON core_audithead
    FOR EACH ROW EXECUTE FUNCTION sciplan_audit_guard();
DROP TRIGGER IF EXISTS core_audithead_no_truncate ON core_audithead;
CREATE TRIGGER core_audithead_no_truncate BEFORE TRUNCATE ON core_audithead
    FOR EACH STATEMENT EXECUTE FUNCTION sciplan_audit_guard();
"""

PG_PURGE = """
CREATE OR REPLACE FUNCTION sciplan_audit_purge(through_id bigint, retention_days integer) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    deleted bigint;
BEGIN
    PERFORM set_config('sciplan.audit_purge', 'purge', true);
    PERFORM set_config('sciplan.audit_retention_days', greatest(retention_days, 180)::text, true);
    DELETE FROM core_auditevent WHERE id <= through_id;
    GET DIAGNOSTICS deleted = ROW_COUNT;
    PERFORM set_config('sciplan.audit_purge', '', true);
    RETURN deleted;
END;
$$;
REVOKE ALL ON FUNCTION sciplan_audit_purge(bigint, integer) FROM PUBLIC;
"""

PG_REMOVE = """
DROP FUNCTION IF EXISTS sciplan_audit_purge(bigint, integer);
DROP TRIGGER IF EXISTS core_audithead_append_only ON core_audithead;
DROP TRIGGER IF EXISTS core_audithead_no_truncate ON core_audithead;
"""

SQLITE_INSTALL = [
    """CREATE TRIGGER IF NOT EXISTS core_audithead_no_update BEFORE UPDATE ON core_audithead
    BEGIN SELECT RAISE(ABORT, 'core_audithead is append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER IF NOT EXISTS core_audithead_no_delete BEFORE DELETE ON core_audithead
    WHEN NOT sciplan_audit_delete_allowed(NULL)
    BEGIN SELECT RAISE(ABORT, 'core_audithead is append-only: DELETE refused'); END;""",
]

SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS core_audithead_no_update;",
    "DROP TRIGGER IF EXISTS core_audithead_no_delete;",
]


def install(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute(PG_GUARD)
        with connection.cursor() as cursor:
            cursor.execute("SELECT quote_ident(current_schema())")
            schema = cursor.fetchone()[0]
        schema_editor.execute(PG_PURGE.replace("{schema}", schema))
    elif connection.vendor == "sqlite":
        for statement in SQLITE_INSTALL:
            schema_editor.execute(statement)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_REMOVE)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_REMOVE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_audit_append_only"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditHead",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField()),
                ("last_id", models.BigIntegerField()),
                ("last_hash", models.CharField(blank=True, max_length=64)),
                ("row_count", models.BigIntegerField()),
                ("signature", models.CharField(max_length=64)),
            ],
            options={
                "verbose_name": "审计日志签名头",
                "verbose_name_plural": "审计日志签名头",
                "ordering": ["-id"],
            },
        ),
        migrations.RunPython(install, remove),
    ]
