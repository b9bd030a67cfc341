"""The dashboard's aggregate store (issue 4): plain tables, no models (see projects/aggregates.py).

`projects_coverage_cube`: every figure summed per filter dimension value and status (what the
dashboard reads); `projects_coverage_project`, `_pair`, `_tag`, `_sdg`, `_theme`: the snapshot of
the facts the cube was computed from (a refresh takes a changed project's old figures out with
them); `projects_coverage_state`: one row, when and up to which sync-feed change it was
refreshed. The same DDL runs on PostgreSQL and SQLite. Also a partial index for the dashboard's
early-harvest list.
"""

from django.db import migrations

CREATE = [
    """CREATE TABLE projects_coverage_cube (
        dim varchar(16) NOT NULL, value varchar(64) NOT NULL, figure varchar(16) NOT NULL,
        status varchar(16) NOT NULL, k1 bigint NOT NULL, k2 bigint NOT NULL, s varchar(64) NOT NULL,
        n bigint NOT NULL, amount numeric(26, 2) NOT NULL)""",
    "CREATE UNIQUE INDEX projects_coverage_cube_key ON projects_coverage_cube (dim, value, figure, status, k1, k2, s)",
    # Rows a refresh emptied (their projects changed or left), found without reading the cube.
    "CREATE INDEX projects_coverage_cube_empty ON projects_coverage_cube (dim) WHERE n = 0",
    """CREATE TABLE projects_coverage_project (
        id bigint NOT NULL PRIMARY KEY, status varchar(16) NOT NULL, lead_party_id bigint NOT NULL,
        cooperation_mode varchar(32) NOT NULL, project_type varchar(32) NOT NULL,
        published_at timestamp with time zone NULL, budget_amount numeric(26, 2) NULL,
        budget_currency varchar(3) NOT NULL, budget_restricted boolean NOT NULL)""",
    "CREATE TABLE projects_coverage_pair (project_id bigint NOT NULL, party_id bigint NOT NULL)",
    "CREATE INDEX projects_coverage_pair_project ON projects_coverage_pair (project_id)",
    """CREATE TABLE projects_coverage_tag (
        project_id bigint NOT NULL, article_id bigint NOT NULL, pillar_id bigint NULL, framework_id bigint NOT NULL)""",
    "CREATE INDEX projects_coverage_tag_project ON projects_coverage_tag (project_id)",
    "CREATE TABLE projects_coverage_sdg (project_id bigint NOT NULL, sdg_id bigint NOT NULL)",
    "CREATE INDEX projects_coverage_sdg_project ON projects_coverage_sdg (project_id)",
    "CREATE TABLE projects_coverage_theme (project_id bigint NOT NULL, theme_id bigint NOT NULL)",
    "CREATE INDEX projects_coverage_theme_project ON projects_coverage_theme (project_id)",
    """CREATE TABLE projects_coverage_state (
        id integer NOT NULL PRIMARY KEY, refreshed_at double precision NOT NULL,
        full_at double precision NOT NULL, last_change_id bigint NOT NULL, duration_ms double precision NOT NULL)""",
    "CREATE INDEX projects_project_early_harvest ON projects_project (reference_code, id) WHERE early_harvest",
]
DROP = [
    "DROP INDEX projects_project_early_harvest",
    "DROP INDEX projects_coverage_cube_empty",
    *(f"DROP TABLE projects_coverage_{name}" for name in ("state", "theme", "sdg", "tag", "pair", "project", "cube")),
]


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0004_exchange_rates"),
        ("feed", "0002_seed_audiences"),
    ]

    operations = [migrations.RunSQL(CREATE, DROP)]
