"""The dashboard's lists under a date range: the snapshot's red projects and the early-harvest
projects by publication time, so that the range's first ones are found without walking them all."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("projects", "0007_participation_party_index")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX projects_coverage_project_red_published ON projects_coverage_project (published_at) "
            "WHERE health = 'red'",
            "DROP INDEX projects_coverage_project_red_published",
        ),
        # The early-harvest list: the latest published first (replaces the index by reference code).
        migrations.RunSQL(
            "CREATE INDEX projects_project_early_published ON projects_project (published_at, id) WHERE early_harvest",
            "DROP INDEX projects_project_early_published",
        ),
        migrations.RunSQL(
            "DROP INDEX projects_project_early_harvest",
            "CREATE INDEX projects_project_early_harvest ON projects_project (reference_code, id) WHERE early_harvest",
        ),
    ]
