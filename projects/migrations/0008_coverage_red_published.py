"""The dashboard's lists under a date range: the snapshot's red projects and the early-harvest
projects by publication time, so that the range's first ones are found without walking them all."""

from django.db import migrations


def _early_index_create(apps, schema_editor):
    # SQLite puts NULLs last in a descending order already, and takes no NULLS LAST in an index.
    nulls = " NULLS LAST" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f"CREATE INDEX projects_project_early_published ON projects_project (published_at DESC{nulls}, id DESC) "
        "WHERE early_harvest"
    )


def _early_index_drop(apps, schema_editor):
    schema_editor.execute("DROP INDEX projects_project_early_published")


class Migration(migrations.Migration):
    dependencies = [("projects", "0007_participation_party_index")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX projects_coverage_project_red_published ON projects_coverage_project (published_at) "
            "WHERE health = 'red'",
            "DROP INDEX projects_coverage_project_red_published",
        ),
        # The early-harvest list: the latest published first (replaces the index by reference code).
        migrations.RunPython(_early_index_create, _early_index_drop),
        migrations.RunSQL(
            "DROP INDEX projects_project_early_harvest",
            "CREATE INDEX projects_project_early_harvest ON projects_project (reference_code, id) WHERE early_harvest",
        ),
    ]
