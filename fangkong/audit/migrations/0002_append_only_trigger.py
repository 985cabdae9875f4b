"""The database itself refuses updates of audit entries, whatever code path tries them."""

from django.db import migrations

SQLITE = """
CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_auditentry
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
"""
POSTGRES = """
CREATE OR REPLACE FUNCTION audit_entry_no_update() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'audit entries are append-only'; END; $$ LANGUAGE plpgsql;
CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_auditentry
FOR EACH ROW EXECUTE FUNCTION audit_entry_no_update();
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE)
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRES)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    schema_editor.execute("DROP TRIGGER IF EXISTS audit_entry_no_update" + (" ON audit_auditentry" if vendor == "postgresql" else ""))


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
