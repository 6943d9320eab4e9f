"""Refuse UPDATE and DELETE on the audit log at the database level (PostgreSQL only)."""
from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION voicemanager_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS voicemanager_audit_no_change ON voicemanager_auditevent;
CREATE TRIGGER voicemanager_audit_no_change BEFORE UPDATE OR DELETE ON voicemanager_auditevent
    FOR EACH ROW EXECUTE FUNCTION voicemanager_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS voicemanager_audit_no_change ON voicemanager_auditevent;
DROP FUNCTION IF EXISTS voicemanager_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("voicemanager", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
