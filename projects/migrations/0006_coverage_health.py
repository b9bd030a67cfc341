"""Reporting health and early harvest in the dashboard's aggregate store; the export's kept cells.

The snapshot keeps each project's early-harvest flag and, for ongoing projects, the inputs of its
reporting health (the last report or else the start date, the first milestone not done) and the
health they give on `projects_coverage_state.health_day`; the cube then holds the health and
early-harvest counts like every other figure, and the dashboard lists only the first overdue
projects (the longest without a report first, from the partial index below). The state row is
removed: the next refresh (or `manage.py coverage_refresh --full`) rebuilds the store with them,
and fills `projects_export_cell` (see `projects.exports.cells`).
"""

from django.db import migrations

CREATE = [
    "ALTER TABLE projects_coverage_project ADD COLUMN early_harvest boolean NOT NULL DEFAULT false",
    "ALTER TABLE projects_coverage_project ADD COLUMN health varchar(8) NOT NULL DEFAULT ''",
    "ALTER TABLE projects_coverage_project ADD COLUMN health_ref date NULL",
    "ALTER TABLE projects_coverage_project ADD COLUMN due_first date NULL",
    "ALTER TABLE projects_coverage_state ADD COLUMN health_day varchar(10) NOT NULL DEFAULT ''",
    "CREATE INDEX projects_coverage_project_red ON projects_coverage_project (health_ref, id) WHERE health = 'red'",
    # The export's multi-valued cells, kept by the same refresh (projects.exports.cells).
    """CREATE TABLE projects_export_cell (
        project_id bigint NOT NULL PRIMARY KEY, articles_en text NULL, participants_en text NULL,
        articles_zh_hans text NULL, participants_zh_hans text NULL, themes text NULL, sdgs text NULL)""",
    "DELETE FROM projects_coverage_state",
]
DROP = [
    "DROP TABLE projects_export_cell",
    "DROP INDEX projects_coverage_project_red",
    "ALTER TABLE projects_coverage_state DROP COLUMN health_day",
    *(f"ALTER TABLE projects_coverage_project DROP COLUMN {name}" for name in ("due_first", "health_ref", "health")),
    "ALTER TABLE projects_coverage_project DROP COLUMN early_harvest",
    "DELETE FROM projects_coverage_state",
]


class Migration(migrations.Migration):
    dependencies = [("projects", "0005_coverage_aggregates")]

    operations = [migrations.RunSQL(CREATE, DROP)]
