"""Health probes, language switching, the security baseline and the loading command."""

import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import override_settings

from framework.models import Article, Framework
from registry.models import Party

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.django_db


def test_healthz_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_is_ok_when_everything_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


def test_readyz_is_503_with_the_reason_when_the_broker_is_down(client):
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0"):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["broker"] == "failing"
    assert any(reason.startswith("broker:") for reason in body["reasons"])


def test_readyz_is_503_when_the_database_fails(client):
    with mock.patch("config.health.connection") as broken:
        broken.cursor.side_effect = RuntimeError("connection refused")
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "failing"


def test_browser_language_is_the_default(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert '<html lang="zh-Hans">' in html
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert '<html lang="en">' in html


def test_language_switch_keeps_the_page(client):
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/parties/"})
    assert response.status_code == 302 and response["Location"] == "/parties/"
    html = client.get("/parties/").content.decode()
    assert '<html lang="zh-Hans">' in html and "中国" in html


@pytest.mark.parametrize("path", ["/", "/frameworks/DEGD-2023/", "/parties/", "/account/login/"])
def test_every_page_has_a_strict_content_security_policy(client, path):
    policy = client.get(path)["Content-Security-Policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "script-src 'self'"):
        assert directive in policy


@pytest.mark.parametrize("path", ["/", "/frameworks/DEGD-2023/articles/1/", "/parties/", "/account/login/"])
def test_pages_load_nothing_from_other_origins(client, path):
    html = client.get(path).content.decode()
    assert "http://" not in html.replace("http://testserver", "") and "https://" not in html
    assert "<script>" not in html and " style=" not in html  # nothing inline for the CSP to allow


def _production_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="x" * 64 + "production-like-secret-for-the-check",
        DATABASE_URL="sqlite:////tmp/opl-deploy-check.sqlite3",
        ALLOWED_HOSTS="library.example.org",
        **extra,
    )
    return env


def test_production_settings_pass_the_deploy_check():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret():
    env = _production_env()
    del env["SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_bootstrap_twice_changes_nothing():
    history_before = (Framework.history.count(), Article.history.count(), Party.history.count())
    call_command("bootstrap", verbosity=0)
    assert (Framework.history.count(), Article.history.count(), Party.history.count()) == history_before


def test_bootstrap_updates_in_place():
    article = Article.objects.get(framework__code="DEGD-2023", number=31)
    original = article.text_en
    Article.objects.filter(pk=article.pk).update(text_en="edited by hand")
    Party.objects.get(code="KEN").frameworks.clear()
    call_command("bootstrap", verbosity=0)
    article.refresh_from_db()
    assert article.text_en == original
    assert article.pk == Article.objects.get(framework__code="DEGD-2023", number=31).pk
    assert Party.objects.get(code="KEN").frameworks.filter(code="DEGD-2023").exists()


@override_settings(DEBUG=True)
def test_bootstrap_demo_adds_logins_for_every_role():
    from registry.models import Role, User

    call_command("bootstrap", demo=True, verbosity=0)
    roles = set(User.objects.values_list("role", flat=True))
    assert {Role.OFFICER, Role.FOCAL_POINT, Role.COORDINATOR, Role.PARTNER_SYSTEM} <= roles
    assert User.objects.get(username="officer.ken").check_password("demo-library-2023")


def test_demo_data_is_refused_without_debug():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("bootstrap", demo=True, verbosity=0)
