"""Writes to the framework catalogue: loading the fixtures taken from the source texts."""

import json
from collections import Counter
from datetime import date
from pathlib import Path

from django.db import transaction

from config.upsert import upsert

from .models import Article, Framework, Part, Pillar

PRIMARY_FRAMEWORK_CODE = "DEGD-2023"


def _i18n(prefix: str, values: dict | None) -> dict:
    values = values or {}
    return {f"{prefix}_zh_hans": values.get("zh-hans") or "", f"{prefix}_en": values.get("en") or ""}


@transaction.atomic
def framework_load(*, data: dict) -> Counter:
    """Create or update one framework, its parts, pillars and articles from fixture data."""
    outcomes: Counter = Counter()
    framework, outcome = upsert(
        Framework,
        lookup={"code": data["code"]},
        values={
            **_i18n("title", data["title"]),
            **_i18n("short_title", data.get("short_title")),
            **_i18n("preamble", data.get("preamble")),
            "adopted_on": date.fromisoformat(data["adopted_on"]),
            "source_document": data.get("source_document", ""),
            "is_primary": data["code"] == PRIMARY_FRAMEWORK_CODE,
        },
    )
    outcomes[outcome] += 1
    parts = {}
    for item in data.get("parts", []):
        parts[item["number"]], outcome = upsert(
            Part, lookup={"framework": framework, "number": item["number"]}, values=_i18n("title", item["title"])
        )
        outcomes[outcome] += 1
    pillars = {}
    for item in data.get("pillars", []):
        pillars[item["number"]], outcome = upsert(
            Pillar,
            lookup={"framework": framework, "number": item["number"]},
            values={"part": parts[item["part"]], **_i18n("title", item["title"])},
        )
        outcomes[outcome] += 1
    for item in data["articles"]:
        _article, outcome = upsert(
            Article,
            lookup={"framework": framework, "number": item["number"]},
            values={
                "part": parts.get(item.get("part")),
                "pillar": pillars.get(item.get("pillar")),
                **_i18n("title", item.get("title")),
                **_i18n("text", item["text"]),
            },
        )
        outcomes[outcome] += 1
    return outcomes


def framework_catalogue_load(*, directory: Path) -> Counter:
    """Load every `*.json` framework fixture in `directory`."""
    outcomes: Counter = Counter()
    for path in sorted(directory.glob("*.json")):
        outcomes.update(framework_load(data=json.loads(path.read_text(encoding="utf-8"))))
    return outcomes
