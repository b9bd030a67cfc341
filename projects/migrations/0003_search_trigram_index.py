"""Trigram index for the library's search on PostgreSQL (works for Chinese and English substrings).

SQLite has no trigram index: the library falls back to a plain substring match there."""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS project_search_trgm ON projects_project USING gin (search_document gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS project_search_trgm"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in CREATE:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("projects", "0002_import_batch")]

    operations = [migrations.RunPython(forwards, backwards)]
