"""Reference data of the library loaded by `bootstrap`: the 17 SDGs."""

from collections import Counter

from django.db import transaction

from config.upsert import upsert

from .models import Sdg


@transaction.atomic
def sdgs_load(*, data: list[dict]) -> Counter:
    outcomes: Counter = Counter()
    for item in data:
        _sdg, outcome = upsert(
            Sdg,
            lookup={"number": item["number"]},
            values={"title_zh_hans": item["title"]["zh-hans"], "title_en": item["title"]["en"]},
        )
        outcomes[outcome] += 1
    return outcomes
