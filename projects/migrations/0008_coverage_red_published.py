"""The dashboard's reporting-overdue list under a date range: the snapshot's red projects by
publication time, so that the range's first ones are found without walking every red project."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("projects", "0007_participation_party_index")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX projects_coverage_project_red_published ON projects_coverage_project (published_at) "
            "WHERE health = 'red'",
            "DROP INDEX projects_coverage_project_red_published",
        )
    ]
