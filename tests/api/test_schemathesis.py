"""Schemathesis against the running service: every operation of `/api/v1/schema/`, called with
generated valid and invalid input, never answers 5xx and always answers as the schema says.

The service is Django's live server (a real HTTP server in a thread, on the test database);
the caller is a read-write partner key of CHN, with one draft and one published project to
find. `st` is the schemathesis command line, run as a separate process as a partner would.
Its reports (JUnit and the failing cases as pytest code) are kept in test-artifacts/.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from projects.services import project_transition
from tests.api.conftest import partner_key
from tests.factories import draft_project

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "schemathesis"
CHECKS = "not_a_server_error,response_schema_conformance,content_type_conformance"
# Generated cases per operation. CI adds the coverage phase (boundary and invalid values of every
# parameter and field, about a minute and a half more); a laptop run fuzzes only.
MAX_EXAMPLES = 25
PHASES = "examples,coverage,fuzzing" if os.environ.get("CI") == "true" else "examples,fuzzing"


def schemathesis_command() -> str:
    local = Path(sys.executable).with_name("st")
    return str(local) if local.exists() else (shutil.which("st") or "st")


@pytest.mark.django_db(transaction=True)
def test_the_api_answers_as_its_schema_says(live_server, officer, focal_point, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    secret = partner_key("CHN", "read_write")
    draft_project(officer=officer, title_en="Schemathesis draft")
    published = draft_project(officer=officer, title_en="Schemathesis published")
    project_transition(project=published, actor=officer, action="submit")
    project_transition(project=published, actor=focal_point, action="publish")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    command = [
        schemathesis_command(),
        "run",
        f"{live_server.url}/api/v1/schema/",
        "--url",
        live_server.url,
        "--checks",
        CHECKS,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--phases",
        PHASES,
        "--workers",
        "1",
        "--seed",
        "2023",
        "--no-shrink",
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--header",
        f"Authorization: Api-Key {secret}",
        "--report",
        "junit,pytest",
        "--report-dir",
        str(ARTIFACTS),
        "--no-color",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    (ARTIFACTS / "output.txt").write_text(output)
    assert result.returncode == 0, output[-6000:]
    assert "passed" in output.lower()  # it did run operations, not an empty schema
