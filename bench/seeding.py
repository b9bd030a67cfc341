"""Seed a PostgreSQL database with many realistic projects, fast (COPY), for benchmarks.

Usage (the database must be migrated and bootstrapped: the DEGD-2023 catalogue, the 47 real
parties and the 17 SDGs are reused, never invented)::

    from bench.seeding import seed

    counts = seed("postgres://app:app@127.0.0.1:5432/bench", projects=100_000)
    # or, inside Django (a benchmark that called django.setup()):
    from django.db import connection
    counts = seed(connection, projects=100_000, tags_per_project=3, parties=200)
    print(counts)  # {"parties": 200, "projects": 100000, "article_tags": 300000, ...}

or from the shell: ``.venv/bin/python bench/seeding.py postgres://… 100000``.

What it writes (all in one transaction, with explicit ids taken after the current maximum, so
it adds to whatever is there and can be run again; identity sequences are moved past the new
ids at the end, and the tables are ANALYZEd):

- parties: the real ones, plus synthetic ones (codes ``SYN0001``…, kind "other", status
  participant) up to `parties`;
- projects: every status (mostly published/ongoing/completed, some drafts, reviews,
  withdrawals and cancellations), lead parties skewed towards a few big ones (Zipf-like), both
  languages, modes and types (a few drafts without), beneficiary groups, countries, dates
  (end never before start), published_at for what was published (2023-10 onwards), budgets in
  USD/CNY/EUR/KES/IDR for ~70 % (some restricted), ~8 % early harvest, reference codes
  (``DEGD-<year>-S<id>``, never clashing with the real ``DEGD-<year>-NNNN``) for published ones;
- article tags: exactly `tags_per_project` distinct DEGD-2023 articles each (skewed, so some
  articles are rare), exactly one primary;
- participations: 0–3 other parties per project, mixed statuses (active ones carry both
  consents, as the check constraint demands), roles partner/supporter/beneficiary;
- SDGs (1–3 each), themes (0–2 of a dozen names, created when missing), external ids
  (source ``seed-national-db``) for ~20 %.

Not written: history rows (django-simple-history), transitions, milestones, progress reports,
documents, users. Every DB constraint holds (unique, check, foreign keys). Deterministic for a
given `random_seed` and starting state. About 10 s per 100,000 projects on a laptop.

Caveat: the COPY lists the columns it knows; a later migration that adds a NOT NULL column
without a database default to one of these tables must be mirrored here.
"""

import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

STATUSES = [
    ("draft", 8),
    ("submitted", 4),
    ("returned", 2),
    ("resubmitted", 2),
    ("published", 20),
    ("ongoing", 38),
    ("completed", 18),
    ("withdrawn", 4),
    ("cancelled", 4),
]
PUBLISHED_ONCE = {"published", "ongoing", "completed", "cancelled"}
SUBMITTED_ONCE = PUBLISHED_ONCE | {"submitted", "returned", "resubmitted", "withdrawn"}
MODES = ["autonomous", "bilateral", "plurilateral", "collective"]
TYPES = [
    "investment",
    "technical_cooperation",
    "capacity_building",
    "joint_research",
    "pilot_zone",
    "policy_dialogue",
    "expo_trade_promotion",
    "other",
]
GROUPS = ["msme", "women", "youth", "rural", "other_vulnerable"]
CURRENCIES = [("USD", 50), ("CNY", 25), ("EUR", 12), ("KES", 7), ("IDR", 6)]
PARTICIPATION_STATUSES = [("active", 60), ("invited", 12), ("requested", 12), ("declined", 8), ("withdrawn", 8)]
ROLES = ["partner", "supporter", "beneficiary"]
THEMES = [
    "Cross-border e-commerce",
    "E-invoicing",
    "Single window",
    "Digital payments",
    "Green logistics",
    "Data centres",
    "Smart ports",
    "跨境电商",
    "数字贸易",
    "绿色低碳",
    "Paperless trade",
    "Digital skills",
]
COUNTRIES = ["CHN", "KEN", "IDN", "THA", "KHM", "LAO", "PAK", "SRB", "ARG", "CHL", "EGY", "ETH", "UZB", "KAZ"]
WORDS_EN = ["digital", "green", "trade", "platform", "logistics", "payments", "skills", "energy", "ports", "data"]
WORDS_ZH = ["数字", "绿色", "贸易", "平台", "物流", "支付", "技能", "能源", "港口", "数据"]
EPOCH = datetime(2023, 10, 18, tzinfo=UTC)
EXTERNAL_SOURCE = "seed-national-db"


def seed(database, projects=100_000, tags_per_project=3, parties=200, *, random_seed=2023, verbose=False):
    """Add `projects` projects (and their tags, participations, SDGs, themes, external ids) and
    top the parties up to `parties`; return the counts written. `database` is a PostgreSQL URL,
    a psycopg 3 connection, or Django's `connection` (its transaction is used as it stands)."""
    import psycopg

    own = isinstance(database, str)
    if own:
        conn = psycopg.connect(database.replace("postgres://", "postgresql://", 1))
    elif hasattr(database, "ensure_connection"):  # Django's connection wrapper
        database.ensure_connection()
        conn = database.connection
    else:
        conn = database
    started = time.perf_counter()
    try:
        with conn.transaction():
            counts = _seed(conn, projects, tags_per_project, parties, random.Random(random_seed), verbose)
        if own:
            conn.commit()
    finally:
        if own:
            conn.close()
    if verbose:
        print(f"seeded {counts} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return counts


def _weighted(rng, pairs, k):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights, k=k)


def _seed(conn, n_projects, tags_per_project, n_parties, rng, verbose=False):
    clock = [time.perf_counter()]

    def phase(name):
        if verbose:
            now = time.perf_counter()
            print(f"  {name}: {now - clock[0]:.1f} s", file=sys.stderr)
            clock[0] = now

    with conn.cursor() as cur:
        party_ids = _parties(cur, n_parties)
        cur.execute(
            "SELECT a.id FROM framework_article a JOIN framework_framework f ON f.id = a.framework_id "
            "WHERE f.code = 'DEGD-2023' ORDER BY a.number"
        )
        article_ids = [row[0] for row in cur.fetchall()]
        if not article_ids:
            raise RuntimeError("No DEGD-2023 articles: run `manage.py migrate` and `manage.py bootstrap` first.")
        if tags_per_project > len(article_ids):
            raise ValueError(f"At most {len(article_ids)} tags per project.")
        cur.execute("SELECT number FROM projects_sdg ORDER BY number")
        sdgs = [row[0] for row in cur.fetchall()] or [None]
        theme_ids = _themes(cur)
        start = _next_id(cur, "projects_project")
        ids = range(start, start + n_projects)

        # Zipf-like weights: a few parties lead many projects, most lead a few.
        party_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(party_ids))]
        leads = rng.choices(party_ids, weights=party_weights, k=n_projects)
        statuses = _weighted(rng, STATUSES, n_projects)
        article_weights = [1 / (rank + 1) ** 0.6 for rank in range(len(article_ids))]
        shuffled_articles = article_ids[:]
        rng.shuffle(shuffled_articles)

        with cur.copy(
            "COPY projects_project (id, reference_code, language, title_zh_hans, title_en, summary_zh_hans,"
            " summary_en, status, contact_name, contact_email, contact_phone, contact_restricted,"
            " cooperation_mode, project_type, beneficiary_groups, early_harvest, countries, places, start_on,"
            " end_on, budget_amount, budget_currency, budget_restricted, funding_sources, search_document,"
            " created_at, updated_at, submitted_at, published_at, lead_party_id) FROM STDIN"
        ) as copy:
            for pk, status, lead in zip(ids, statuses, leads, strict=True):
                copy.write_row(_project_row(rng, pk, status, lead))

        phase("projects")
        n_tags = 0
        tag_id = _next_id(cur, "projects_projectarticle")  # never a query while a COPY is open
        with cur.copy("COPY projects_projectarticle (id, is_primary, note, article_id, project_id) FROM STDIN") as copy:
            for pk in ids:
                chosen = set()
                while len(chosen) < tags_per_project:
                    chosen.add(rng.choices(shuffled_articles, weights=article_weights)[0])
                for position, article in enumerate(sorted(chosen, key=lambda _a: rng.random())):
                    copy.write_row((tag_id, position == 0, "", article, pk))
                    tag_id += 1
                    n_tags += 1

        phase("article tags")
        n_participations = 0
        participation_statuses = _weighted(rng, PARTICIPATION_STATUSES, n_projects * 3)
        part_id = _next_id(cur, "projects_participation")
        with cur.copy(
            "COPY projects_participation (id, role, status, message, lead_accepted_at, party_confirmed_at,"
            " created_at, updated_at, party_id, project_id) FROM STDIN"
        ) as copy:
            for index, (pk, lead) in enumerate(zip(ids, leads, strict=True)):
                others = set(rng.choices(party_ids, weights=party_weights, k=rng.choice((0, 1, 1, 2, 2, 3)))) - {lead}
                for offset, party in enumerate(sorted(others)):
                    status = participation_statuses[index * 3 + offset]
                    at = EPOCH + timedelta(days=rng.randrange(1000))
                    active = status == "active"
                    copy.write_row(
                        (part_id, rng.choice(ROLES), status, "", at if active or status == "invited" else None,
                         at if active else None, at, at, party, pk)
                    )  # fmt: skip
                    part_id += 1
                    n_participations += 1

        phase("participations")
        n_sdgs = n_themes = n_external = 0
        link_id = _next_id(cur, "projects_project_sdgs")
        with cur.copy("COPY projects_project_sdgs (id, project_id, sdg_id) FROM STDIN") as copy:
            for pk in ids:
                if sdgs[0] is None:
                    break
                for sdg in set(rng.choices(sdgs, k=rng.randint(1, 3))):
                    copy.write_row((link_id, pk, sdg))
                    link_id += 1
                    n_sdgs += 1
        link_id = _next_id(cur, "projects_project_themes")
        with cur.copy("COPY projects_project_themes (id, project_id, theme_id) FROM STDIN") as copy:
            for pk in ids:
                for theme in set(rng.choices(theme_ids, k=rng.choice((0, 0, 1, 1, 2)))):
                    copy.write_row((link_id, pk, theme))
                    link_id += 1
                    n_themes += 1
        link_id = _next_id(cur, "projects_externalid")
        with cur.copy("COPY projects_externalid (id, source, external_id, project_id) FROM STDIN") as copy:
            for pk in ids:
                if rng.random() < 0.2:
                    copy.write_row((link_id, EXTERNAL_SOURCE, f"S-{pk}", pk))
                    link_id += 1
                    n_external += 1

        phase("SDGs, themes, external ids")
        for table in (
            "registry_party",
            "projects_project",
            "projects_projectarticle",
            "projects_participation",
            "projects_project_sdgs",
            "projects_project_themes",
            "projects_externalid",
        ):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
            cur.execute(f"ANALYZE {table}")
    return {
        "parties": len(party_ids),
        "projects": n_projects,
        "article_tags": n_tags,
        "participations": n_participations,
        "sdg_links": n_sdgs,
        "theme_links": n_themes,
        "external_ids": n_external,
    }


def _next_id(cur, table):
    cur.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
    return cur.fetchone()[0]


def _parties(cur, wanted):
    """Every party's id, after adding synthetic ones up to `wanted`."""
    cur.execute("SELECT id, code FROM registry_party ORDER BY id")
    rows = cur.fetchall()
    codes = {code for _id, code in rows}
    missing = wanted - len(rows)
    if missing > 0:
        next_id = _next_id(cur, "registry_party")
        new, number = [], 1
        while len(new) < missing:
            code = f"SYN{number:04d}"
            number += 1
            if code not in codes:
                new.append(code)
        with cur.copy(
            "COPY registry_party (id, code, kind, status, name_zh_hans, name_en, iso_alpha2, iso_numeric, joined_on)"
            " FROM STDIN"
        ) as copy:
            for offset, code in enumerate(new):
                copy.write_row(
                    (next_id + offset, code, "other", "participant", f"合成方 {code}", f"Synthetic party {code}", "",
                     "", date(2024, 1, 1))
                )  # fmt: skip
        cur.execute("SELECT id, code FROM registry_party ORDER BY id")
        rows = cur.fetchall()
    return [pk for pk, _code in rows]


def _themes(cur):
    cur.execute("SELECT id, name FROM projects_theme")
    existing = {name.casefold(): pk for pk, name in cur.fetchall()}
    for name in THEMES:
        if name.casefold() not in existing:
            cur.execute("INSERT INTO projects_theme (name) VALUES (%s) RETURNING id", [name])
            existing[name.casefold()] = cur.fetchone()[0]
    return [existing[name.casefold()] for name in THEMES]


def _project_row(rng, pk, status, lead):
    created = EPOCH + timedelta(days=rng.randrange(1100), seconds=rng.randrange(86400))
    submitted = created + timedelta(days=rng.randrange(1, 30)) if status in SUBMITTED_ONCE else None
    published = submitted + timedelta(days=rng.randrange(1, 60)) if status in PUBLISHED_ONCE else None
    updated = (published or submitted or created) + timedelta(days=rng.randrange(0, 90))
    language = "zh-hans" if rng.random() < 0.6 else "en"
    words = rng.sample(range(len(WORDS_EN)), 3)
    title_en = " ".join(WORDS_EN[w] for w in words).capitalize() + f" project {pk}"
    title_zh = "".join(WORDS_ZH[w] for w in words) + f"合作项目{pk}"
    if language == "en" and rng.random() < 0.3:
        title_zh = ""
    if language == "zh-hans" and rng.random() < 0.3:
        title_en = ""
    summary_en = f"{title_en or 'Project'}: cooperation on {WORDS_EN[words[0]]} and {WORDS_EN[words[1]]}."
    summary_zh = f"{title_zh or '项目'}：开展{WORDS_ZH[words[0]]}和{WORDS_ZH[words[1]]}合作。"
    draftish = status == "draft" and rng.random() < 0.3
    mode = "" if draftish else rng.choice(MODES)
    project_type = "" if draftish else rng.choice(TYPES)
    start = None if draftish else (created + timedelta(days=rng.randrange(-60, 200))).date()
    end = start + timedelta(days=rng.randrange(90, 1500)) if start and rng.random() < 0.85 else None
    if rng.random() < 0.7:
        currency = _weighted(rng, CURRENCIES, 1)[0]
        amount = Decimal(rng.randrange(10_000, 50_000_000_00)) / 100
    else:
        currency, amount = "", None
    year = published.year if published else None
    reference = f"DEGD-{year}-S{pk}" if published else None
    countries = sorted(set(rng.choices(COUNTRIES, k=rng.randint(1, 3))))
    groups = sorted(set(rng.choices(GROUPS, k=rng.randint(0, 2))))
    search = "\n".join(part for part in (reference or "", title_zh, title_en, summary_zh, summary_en) if part)
    return (
        pk, reference, language, title_zh, title_en, summary_zh, summary_en, status,
        "Contact person", f"contact{pk}@example.org", "", True,
        mode, project_type, _json(groups), rng.random() < 0.08, _json(countries), "", start,
        end, amount, currency, amount is not None and rng.random() < 0.15, "", search.casefold(),
        created, updated, submitted, published, lead,
    )  # fmt: skip


def _json(values):
    return "[" + ", ".join(f'"{value}"' for value in values) + "]"


if __name__ == "__main__":
    url = sys.argv[1] if len(sys.argv) > 1 else "postgres://app:app@127.0.0.1:5432/bench"
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    print(seed(url, projects=size, verbose=True))
