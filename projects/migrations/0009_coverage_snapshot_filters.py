"""The aggregate store's snapshot serves what the cube holds no row for (a combination of
filters, `aggregates.snapshot_projects`) and the dashboard's lists: indexes to find the projects
of a party, an SDG, a framework, and the latest published early-harvest ones.

The store's state also gets a version, raised by every refresh that changes the store: a
dashboard response computed from one version is that version's answer
(`projects.api.coverage`). The cube gains the publication day as a dimension (a date range is
read as its years, months and days): the state is removed, so the next refresh (or
`manage.py coverage_refresh --full`) builds the store again."""

from django.db import migrations

INDEXES = {
    "projects_coverage_pair_party": "projects_coverage_pair (party_id, project_id)",
    "projects_coverage_sdg_sdg": "projects_coverage_sdg (sdg_id, project_id)",
    "projects_coverage_tag_framework": "projects_coverage_tag (framework_id, project_id)",
}


def _early_index_create(apps, schema_editor):
    # SQLite puts NULLs last in a descending order already, and takes no NULLS LAST in an index.
    nulls = " NULLS LAST" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        "CREATE INDEX projects_coverage_project_early ON projects_coverage_project "
        f"(published_at DESC{nulls}, id DESC) WHERE early_harvest"
    )


def _early_index_drop(apps, schema_editor):
    schema_editor.execute("DROP INDEX projects_coverage_project_early")


class Migration(migrations.Migration):
    dependencies = [("projects", "0008_coverage_red_published")]

    operations = [
        *(migrations.RunSQL(f"CREATE INDEX {name} ON {on}", f"DROP INDEX {name}") for name, on in INDEXES.items()),
        migrations.RunPython(_early_index_create, _early_index_drop),
        migrations.RunSQL(
            "ALTER TABLE projects_coverage_state ADD COLUMN version bigint NOT NULL DEFAULT 0",
            "ALTER TABLE projects_coverage_state DROP COLUMN version",
        ),
        migrations.RunSQL("DELETE FROM projects_coverage_state", "DELETE FROM projects_coverage_state"),
    ]
