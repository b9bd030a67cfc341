"""Bulk upsert through the real endpoint (`POST /api/v1/projects/external/bulk/`, test client).

Seeds its own database (migrate + bootstrap; use a database of its own, it is not cleaned),
makes a CHN partner key, then for each round sends a batch of new projects with article
tags, themes and SDGs (create), and the identical batch again (replay), and proves that
the replay moved no `updated_at` and added no history row. Prints milliseconds and
projects per second for each, the queries per batch, and the time Python's cyclic garbage
collector took during the request (included in the time: a full collection, every object of the
process, takes 30-70 ms and falls on about one request in four, a create or a replay as the
allocations fall). No assertions beyond that proof.

    .venv/bin/python bench/bulk_upsert.py [rounds] [size]     # postgres://app:app@127.0.0.1:5432/bench_bulk
    DATABASE_URL=postgres://… .venv/bin/python bench/bulk_upsert.py [rounds] [size]
"""

import gc
import json
import os
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://app:app@127.0.0.1:5432/bench_bulk")
os.environ.setdefault("API_KEY_RATE", "100000000/minute")  # measure the endpoint, not the throttle
os.makedirs(Path(__file__).resolve().parents[1] / "var" / "staticfiles", exist_ok=True)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Max  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from projects.models import Project  # noqa: E402
from registry.models import PartnerKey, Party, User  # noqa: E402

THEMES = ["Single window", "E-invoicing", "Paperless trade", "Data flows", "Green logistics", "Digital ID"]


def partner_secret() -> str:
    account, _created = User.objects.get_or_create(
        username="bench-partner-chn", defaults={"role": "partner_system", "party": Party.objects.get(code="CHN")}
    )
    _key, secret = PartnerKey.objects.create_key(
        name="bench", account=account, scope="read_write", expiry_date=timezone.now() + timedelta(days=1)
    )
    return secret


def batch(prefix: str, size: int) -> dict:
    items = []
    for n in range(size):
        items.append(
            {
                "source": "bench-db",
                "external_id": f"{prefix}-{n}",
                "project": {
                    "language": "en",
                    "title": {"en": f"Bench project {prefix} {n}", "zh-hans": f"基准项目 {n}"},
                    "summary": {"en": "A project sent in a batch by a partner system."},
                    "cooperation_mode": "bilateral",
                    "project_type": "pilot_zone",
                    "articles": [
                        {"number": 1 + n % 35, "primary": True},
                        {"number": 1 + (n + 7) % 35, "note": "Also serves this article."},
                    ],
                    "themes": [THEMES[n % len(THEMES)], THEMES[(n + 1) % len(THEMES)]],
                    "sdgs": [9, 1 + n % 17] if 1 + n % 17 != 9 else [9],
                    "countries": ["CHN", "KEN"],
                    "start_on": "2026-01-01",
                    "budget": {"amount": "100000.00", "currency": "USD"},
                },
            }
        )
    return {"items": items}


def post(client, auth, body: str):
    """(seconds, counts, queries, seconds spent in Python's cyclic garbage collector meanwhile)."""
    queries, collecting = [], []

    def record(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    def collector(phase, info):  # a full collection (every object of the process) takes 30-70 ms
        collecting.append(time.perf_counter() * (1 if phase == "stop" else -1))

    gc.callbacks.append(collector)
    try:
        with connection.execute_wrapper(record):
            started = time.perf_counter()
            response = client.post(
                "/api/v1/projects/external/bulk/", body, content_type="application/json", HTTP_AUTHORIZATION=auth
            )
            elapsed = time.perf_counter() - started
    finally:
        gc.callbacks.remove(collector)
    assert response.status_code == 200, response.content[:500]
    return elapsed, response.json()["counts"], len(queries), sum(collecting)


def state(prefix):
    projects = Project.objects.filter(external_ids__external_id__startswith=f"{prefix}-")
    return (
        projects.count(),
        projects.aggregate(last=Max("updated_at"))["last"],
        sorted(projects.values_list("pk", "updated_at")),
        Project.history.filter(id__in=projects.values("pk")).count(),
    )


def main(rounds: int = 5, size: int = 500) -> None:
    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("bootstrap", verbosity=0)
    auth = f"Api-Key {partner_secret()}"
    client = Client()
    post(client, auth, json.dumps(batch(f"warm-{uuid.uuid4().hex[:6]}", 20)))  # warm up
    if "--no-freeze" not in sys.argv:
        gc.freeze()  # as config/wsgi.py does once the application is loaded
    creates, replays, collected = [], [], []
    print(f"{connection.vendor}, {size} projects per batch (2 article tags, 2 themes, 1-2 SDGs each), {rounds} rounds")
    for round_number in range(rounds):
        prefix = uuid.uuid4().hex[:8]
        body = json.dumps(batch(prefix, size))
        create_time, counts, create_queries, create_gc = post(client, auth, body)
        assert counts["created"] == size, counts
        before = state(prefix)
        replay_time, counts, replay_queries, replay_gc = post(client, auth, body)
        assert counts["unchanged"] == size, counts
        assert state(prefix) == before, "the replay changed something"
        creates.append(create_time)
        replays.append(replay_time)
        collected.append(create_gc)
        print(
            f"round {round_number + 1}: create {1000 * create_time:7.1f} ms ({size / create_time:6.0f}/s, "
            f"{create_queries} queries, gc {1000 * create_gc:4.0f} ms)   replay {1000 * replay_time:7.1f} ms "
            f"({size / replay_time:6.0f}/s, {replay_queries} queries, gc {1000 * replay_gc:4.0f} ms; "
            "no updated_at moved, no history row)"
        )
    print(
        f"median: create {1000 * statistics.median(creates):.1f} ms, replay {1000 * statistics.median(replays):.1f} ms;"
        f" best: create {1000 * min(creates):.1f} ms, replay {1000 * min(replays):.1f} ms"
        f" (target: at most 250 ms per {size})"
    )
    # A full collection falls on one request in about four, on a create or a replay as it happens.
    quiet = [seconds for seconds, spent in zip(creates, collected, strict=True) if spent < 0.02]
    print(
        "of which Python's garbage collector during the creates: "
        f"median {1000 * statistics.median(collected):.1f} ms, most {1000 * max(collected):.1f} ms; "
        f"the {len(quiet)} creates without a full collection: "
        + (f"median {1000 * statistics.median(quiet):.1f} ms" if quiet else "none")
    )


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3] if not arg.startswith("--")))
