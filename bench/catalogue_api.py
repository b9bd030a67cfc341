"""Catalogue API throughput, in-process (Django test client): requests/s and queries/request.

Seeds its own database (the real catalogue and parties via `bootstrap`) and prints one line
per endpoint. No assertions: the figures go into the issue notes."""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "sqlite://:memory:")
os.environ.setdefault("API_ANON_RATE", "100000000/minute")  # measure the endpoint, not the throttle
os.makedirs(Path(__file__).resolve().parents[1] / "var" / "staticfiles", exist_ok=True)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

ENDPOINTS = [
    "/api/v1/frameworks/",
    "/api/v1/frameworks/DEGD-2023/",
    "/api/v1/articles/?page_size=100",
    "/api/v1/articles/?framework=DEGD-2023&pillar=2",
    "/api/v1/parties/?page_size=100",
]


def count_queries(client, url) -> list[str]:
    queries = []

    def record(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        client.get(url)
    return queries


def main(rounds: int = 200) -> None:
    setup_test_environment()
    call_command("migrate", verbosity=0, run_syncdb=True)
    call_command("bootstrap", verbosity=0)
    client = Client()
    print(f"{'endpoint':<48} {'req/s':>8} {'ms/req':>8} {'queries':>8}  ({connection.vendor}, {rounds} rounds)")
    for url in ENDPOINTS:
        client.get(url)  # warm up
        queries = count_queries(client, url)
        started = time.perf_counter()
        for _ in range(rounds):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        elapsed = time.perf_counter() - started
        print(f"{url:<48} {rounds / elapsed:>8.0f} {1000 * elapsed / rounds:>8.2f} {len(queries):>8}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
