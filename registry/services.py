"""Writes for the registry: security events and changes to who may do what."""

import logging
from collections import Counter
from datetime import date

from django.db import transaction

from config.upsert import upsert
from framework.models import Framework

from .models import Party, SecurityEvent, SecurityEventKind, User

security_log = logging.getLogger("opl.security")


def client_ip(request) -> str | None:
    """The client's address as django-axes sees it (honours PROXY_COUNT behind a proxy)."""
    if request is None:
        return None
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or None


def security_event_record(
    *, kind: str, request=None, user: User | None = None, username: str = "", detail: dict | None = None
) -> SecurityEvent:
    """Keep a security event in the database and in the `opl.security` log."""
    if user is not None and not username:
        username = user.get_username()
    event = SecurityEvent.objects.create(
        kind=kind, user=user, username=username[:150], ip_address=client_ip(request), detail=detail or {}
    )
    security_log.info(
        "security_event kind=%s user=%s ip=%s detail=%s", kind, username or "-", event.ip_address, detail or {}
    )
    return event


@transaction.atomic
def user_update_access(*, user: User, actor: User | None, request=None, **changes) -> User:
    """Change a user's role, party or organization, and record who changed what."""
    before = {"role": user.role, "party": user.party_id, "organization": user.organization_id}
    for field, value in changes.items():
        setattr(user, field, value)
    user.full_clean()
    user.save()
    after = {"role": user.role, "party": user.party_id, "organization": user.organization_id}
    access_changed_record(user=user, actor=actor, request=request, before=before, after=after)
    return user


def access_changed_record(*, user: User, actor: User | None, request, before: dict, after: dict) -> None:
    if before == after:
        return
    security_event_record(
        kind=SecurityEventKind.ROLE_CHANGED,
        request=request,
        user=user,
        detail={"before": before, "after": after, "by": actor.get_username() if actor else None},
    )


@transaction.atomic
def parties_load(*, data: list[dict]) -> Counter:
    """Create or update parties (and the frameworks they signed) from fixture data."""
    frameworks = {framework.code: framework for framework in Framework.objects.all()}
    outcomes: Counter = Counter()
    for item in data:
        party, outcome = upsert(
            Party,
            lookup={"code": item["code"]},
            values={
                "kind": item["kind"],
                "status": item["status"],
                "name_zh_hans": item["name"]["zh-hans"],
                "name_en": item["name"]["en"],
                "iso_alpha2": item.get("iso_alpha2") or "",
                "iso_numeric": item.get("iso_numeric") or "",
                "joined_on": date.fromisoformat(item["joined_on"]) if item.get("joined_on") else None,
            },
        )
        wanted = {frameworks[code].pk for code in item.get("frameworks", [])}
        current = set(party.frameworks.values_list("pk", flat=True))
        if wanted != current:
            party.frameworks.set(wanted)
            outcome = "updated" if outcome == "unchanged" else outcome
        outcomes[outcome] += 1
    return outcomes
