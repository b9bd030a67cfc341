"""The registry's events: a party joined the framework, an API key created; texts of the new kinds."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from notifications import services
from notifications.models import EventKind, Notification, OutboxEvent
from registry.models import PartnerKey, Party, PartyStatus
from registry.services import parties_load
from tests.factories import UserFactory, party

pytestmark = pytest.mark.django_db
K = EventKind


def inbox_of(event):
    return set(Notification.objects.filter(event=event).values_list("recipient__username", flat=True))


@pytest.fixture
def people(officer, focal_point, other_officer, other_focal_point, coordinator):
    UserFactory(role="coordinator", party=None, username="coordinator_zh", preferred_language="zh-hans")
    UserFactory(role="focal_point", party=party("THA"), username="focal_tha", is_active=False)
    return {"coordinator": coordinator.username}


def fixture_item(code, **changes):
    """One party as the bootstrap fixture describes it, with `changes`."""
    item = {
        "code": code,
        "kind": "country",
        "status": "participant",
        "name": {"zh-hans": "测试国", "en": "Testland"},
        "joined_on": timezone.localdate().isoformat(),
        "frameworks": [],
    }
    return {**item, **changes}


def test_loading_the_catalogue_again_records_no_event(db):
    call_command("bootstrap", verbosity=0)
    assert not OutboxEvent.objects.exists()


def test_a_party_becoming_participant_tells_coordinators_and_focal_points_in_their_language(
    people, mailoutbox, django_capture_on_commit_callbacks
):
    parties_load(data=[fixture_item("ZZA", status="applicant", joined_on=None)])
    assert not OutboxEvent.objects.exists()  # applying is not joining
    with django_capture_on_commit_callbacks(execute=True):
        parties_load(data=[fixture_item("ZZA")])
    event = OutboxEvent.objects.get(kind=K.PARTY_JOINED)
    assert event.party == Party.objects.get(code="ZZA") and event.project is None
    assert inbox_of(event) == {people["coordinator"], "coordinator_zh", "focal_chn", "focal_ken"}  # no officers
    subjects = {message.to[0].split("@")[0]: message.subject for message in mailoutbox}
    assert subjects["focal_ken"].endswith("Testland joined the framework.")
    assert "测试国" in subjects["coordinator_zh"] and "Testland" not in subjects["coordinator_zh"]
    with django_capture_on_commit_callbacks(execute=True):
        parties_load(data=[fixture_item("ZZA")])  # loaded again: unchanged
        Party.objects.get(code="ZZA").save()  # saved again: still the same party that joined
    assert OutboxEvent.objects.filter(kind=K.PARTY_JOINED).count() == 1
    assert len(mailoutbox) == 4


def test_setting_the_joining_date_of_a_participant_is_joining(people):
    kenya = party("KEN")
    Party.objects.filter(pk=kenya.pk).update(joined_on=None)
    kenya.refresh_from_db()
    kenya.joined_on = timezone.localdate()
    kenya.save()
    assert OutboxEvent.objects.get(kind=K.PARTY_JOINED).party == kenya


def test_a_party_created_with_an_old_joining_date_is_not_news(people):
    parties_load(data=[fixture_item("ZZB", joined_on="2023-11-23")])
    parties_load(data=[fixture_item("ZZC", status="non_participant", joined_on=None)])
    assert not OutboxEvent.objects.exists()
    Party.objects.create(code="ZZD", kind="country", status=PartyStatus.PARTICIPANT, name_en="New", name_zh_hans="新")
    assert OutboxEvent.objects.filter(kind=K.PARTY_JOINED).count() == 1  # created without a date: joined now


@pytest.fixture
def kenya_system(db):
    return UserFactory(role="partner_system", party=party("KEN"), username="kenya-projects-db")


def test_a_new_api_key_tells_the_coordinators_and_its_party_focal_points(
    people, kenya_system, mailoutbox, django_capture_on_commit_callbacks
):
    expiry = timezone.now() + timedelta(days=90)
    with django_capture_on_commit_callbacks(execute=True):
        key, secret = PartnerKey.objects.create_key(name="Kenya DB", account=kenya_system, expiry_date=expiry)
    event = OutboxEvent.objects.get(kind=K.API_KEY_CREATED)
    assert event.party == party("KEN") and event.payload["prefix"] == key.prefix
    assert key.hashed_key not in str(event.payload) and key.pk not in str(event.payload)
    assert inbox_of(event) == {people["coordinator"], "coordinator_zh", "focal_ken"}  # not the system, not China
    assert all(secret not in message.body and secret not in message.subject for message in mailoutbox)
    english = next(message for message in mailoutbox if message.to == ["focal_ken@example.org"])
    assert "An API key “Kenya DB” was created for Kenya" in english.subject
    assert "never sent by e-mail" in english.body
    key.name = "Renamed"
    key.save()  # a change is not a creation
    assert OutboxEvent.objects.filter(kind=K.API_KEY_CREATED).count() == 1


def test_a_key_created_in_the_admin_records_the_event(coordinator_client, coordinator, kenya_system, focal_point):
    response = coordinator_client.post(
        "/admin/registry/partnerkey/add/",
        {
            "name": "Kenya DB",
            "account": kenya_system.pk,
            "scope": "read",
            "expiry_date_0": (timezone.now() + timedelta(days=30)).strftime("%Y-%m-%d"),
            "expiry_date_1": "12:00:00",
        },
    )
    assert response.status_code == 302
    event = OutboxEvent.objects.get(kind=K.API_KEY_CREATED)
    assert event.payload["prefix"] == PartnerKey.objects.get().prefix


@pytest.mark.parametrize(
    ("kind", "payload", "english", "chinese"),
    [
        (K.MILESTONE_DUE_SOON, {"milestone": "M1", "due_on": "2026-06-08"}, "is due on June 8, 2026", "2026年6月8日"),
        (K.MILESTONE_OVERDUE, {"milestone": "M1", "due_on": "2026-06-08"}, "and is not done", "2026年6月8日"),
        (K.REPORT_DUE_SOON, {"due_on": "2027-01-10"}, "is due by Jan. 10, 2027", "2027年1月10日"),
        (K.REPORT_OVERDUE, {"due_on": "2027-01-10"}, "is overdue", "2027年1月10日"),
    ],
)
def test_reminder_texts_in_both_languages(submitted, kind, payload, english, chinese):
    event = OutboxEvent.objects.create(kind=kind, project=submitted, payload=payload)
    with translation.override("en"):
        assert english in services.describe(event) and submitted.title_en in services.describe(event)
    with translation.override("zh-hans"):
        assert chinese in services.describe(event)


def test_party_and_key_texts_name_the_party_in_the_reader_language(db):
    kenya = party("KEN")
    joined = OutboxEvent.objects.create(kind=K.PARTY_JOINED, party=kenya)
    expiring = OutboxEvent.objects.create(
        kind=K.API_KEY_EXPIRING, party=kenya, payload={"key": "Kenya DB", "due_on": "2026-12-01"}
    )
    with translation.override("en"):
        assert services.describe(joined) == "Kenya joined the framework."
        assert services.describe(expiring) == "The API key “Kenya DB” of Kenya expires on Dec. 1, 2026."
    with translation.override("zh-hans"):
        assert kenya.name_zh_hans in services.describe(joined)
