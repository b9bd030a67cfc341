"""Daily reminders: milestones, progress reports and API keys — each recorded once per due date."""

import threading
import time
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from notifications import reminders, services, tasks
from notifications.models import EventKind, Notification, OutboxEvent
from projects.choices import ProjectStatus
from projects.models import Milestone, ProgressReport, Project
from registry.models import PartnerKey
from tests.factories import UserFactory, party

pytestmark = pytest.mark.django_db
K = EventKind


def inbox_of(event):
    return set(Notification.objects.filter(event=event).values_list("recipient__username", flat=True))


@pytest.fixture
def ongoing(submitted):
    Project.objects.filter(pk=submitted.pk).update(status=ProjectStatus.ONGOING, start_on=date(2026, 5, 1))
    submitted.refresh_from_db()
    return submitted


@pytest.fixture
def staff(officer, chinese_officer, focal_point, other_officer, other_focal_point, coordinator):
    """Everyone who might be told: the lead party (CHN) and others."""


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run the reminders at `now` and deliver what they record, in-process."""

    def run(now=None):
        with django_capture_on_commit_callbacks(execute=True):
            return reminders.reminders_run(now=now)

    return run


def at(day: date):
    return timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 6))


TODAY = date(2026, 6, 1)


def milestone(project, due_on, **extra):
    extra.setdefault("title", "Customs data exchange live")
    return Milestone.objects.create(project=project, due_on=due_on, **extra)


def report(project, officer, on):
    return ProgressReport.objects.create(
        project=project,
        party=party("CHN"),
        author=officer,
        period_start=on - timedelta(days=90),
        period_end=on,
        narrative="Pilot running.",
        language="en",
        percent_complete=40,
        submitted_on=on,
    )


def test_a_milestone_due_within_a_week_reminds_the_lead_party_in_their_language(
    ongoing, staff, run, mailoutbox, chinese_officer
):
    milestone(ongoing, TODAY + timedelta(days=7))
    milestone(ongoing, TODAY + timedelta(days=8), title="Later")  # outside the notice: nothing yet
    assert run(at(TODAY)) == {K.MILESTONE_DUE_SOON: 1}
    event = OutboxEvent.objects.get(kind=K.MILESTONE_DUE_SOON)
    assert event.payload["due_on"] == "2026-06-08"
    assert inbox_of(event) == {"officer_chn", "officer_chn_zh", "focal_chn"}  # not Kenya, not coordinators
    by_person = {message.to[0].split("@")[0]: message for message in mailoutbox}
    assert set(by_person) == {"officer_chn", "officer_chn_zh", "focal_chn"}
    english, chinese = by_person["officer_chn"], by_person["officer_chn_zh"]
    assert "“Customs data exchange live”" in english.subject and "is due on June 8, 2026" in english.subject
    assert "record the date it was done" in english.body and f"/projects/{ongoing.pk}/" in english.body
    assert "2026年6月8日" in chinese.subject and "里程碑完成后" in chinese.body and "Hello" not in chinese.body


def test_running_the_reminders_twice_records_and_sends_each_reminder_once(ongoing, staff, run, mailoutbox):
    milestone(ongoing, TODAY + timedelta(days=3))
    assert run(at(TODAY)) == {K.MILESTONE_DUE_SOON: 1}
    sent = len(mailoutbox)
    assert run(at(TODAY)) == {}
    assert run(at(TODAY + timedelta(days=1))) == {}  # the next day: still the same due date
    assert OutboxEvent.objects.filter(kind=K.MILESTONE_DUE_SOON).count() == 1
    assert len(mailoutbox) == sent == 3


def test_the_daily_task_records_today_s_reminders_once(ongoing, staff, django_capture_on_commit_callbacks):
    milestone(ongoing, timezone.localdate() + timedelta(days=3))
    Project.objects.filter(pk=ongoing.pk).update(start_on=timezone.localdate())
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_reminders_task.apply().get() == {"milestone_due_soon": 1}
        assert tasks.send_reminders_task.apply().get() == {}
    assert Notification.objects.count() == 3


def test_an_overdue_milestone_is_reminded_once_per_due_date(ongoing, staff, run):
    late = milestone(ongoing, TODAY - timedelta(days=1))
    milestone(ongoing, TODAY - timedelta(days=30), done_on=TODAY - timedelta(days=31))  # done: no reminder
    assert run(at(TODAY)) == {K.MILESTONE_OVERDUE: 1}
    assert run(at(TODAY + timedelta(days=5))) == {}
    late.due_on = TODAY + timedelta(days=2)  # rescheduled: the new date gets its own reminders
    late.save()
    assert run(at(TODAY + timedelta(days=5))) == {K.MILESTONE_OVERDUE: 1}
    assert sorted(OutboxEvent.objects.filter(kind=K.MILESTONE_OVERDUE).values_list("payload__due_on", flat=True)) == [
        "2026-05-31",
        "2026-06-03",
    ]


def test_milestones_of_drafts_and_finished_projects_are_not_reminded(draft, staff, run):
    milestone(draft, TODAY + timedelta(days=1))
    assert run(at(TODAY)) == {}
    assert not OutboxEvent.objects.exists()


def test_progress_reports_follow_the_reporting_health(ongoing, officer, staff, run):
    Project.objects.filter(pk=ongoing.pk).update(start_on=date(2025, 1, 1))
    # Started on 2025-01-01 and never reported: amber after 6 months, red after 12.
    assert run(at(date(2025, 6, 1))) == {}
    assert run(at(date(2025, 8, 1))) == {K.REPORT_DUE_SOON: 1}
    assert run(at(date(2025, 9, 1))) == {}  # still the same due date
    assert run(at(date(2026, 1, 5))) == {K.REPORT_OVERDUE: 1}
    due_soon, overdue = OutboxEvent.objects.filter(kind__in=[K.REPORT_DUE_SOON, K.REPORT_OVERDUE]).order_by("pk")
    assert due_soon.payload["due_on"] == overdue.payload["due_on"] == "2026-01-01"
    assert inbox_of(overdue) == {"officer_chn", "officer_chn_zh", "focal_chn"}
    assert "is overdue: it was due by Jan. 1, 2026" in services.describe(overdue)
    report(ongoing, officer, date(2026, 1, 10))  # a report: current again, next one due a year later
    assert run(at(date(2026, 3, 1))) == {}
    assert run(at(date(2026, 7, 20))) == {K.REPORT_DUE_SOON: 1}
    assert OutboxEvent.objects.filter(kind=K.REPORT_DUE_SOON).latest("pk").payload["due_on"] == "2027-01-10"


def test_only_ongoing_projects_are_reminded_to_report(submitted, staff, run):
    Project.objects.filter(pk=submitted.pk).update(status=ProjectStatus.COMPLETED, start_on=date(2024, 1, 1))
    assert run(at(TODAY)) == {}


@pytest.fixture
def kenya_system(db):
    return UserFactory(role="partner_system", party=party("KEN"), username="kenya-projects-db")


def test_a_key_about_to_expire_is_reminded_once_to_coordinators_and_its_party_focal_points(
    kenya_system, staff, coordinator, run, mailoutbox
):
    now = timezone.now()
    key, _secret = PartnerKey.objects.create_key(
        name="Kenya DB", account=kenya_system, expiry_date=now + timedelta(days=10)
    )
    PartnerKey.objects.create_key(name="Later", account=kenya_system, expiry_date=now + timedelta(days=20))
    PartnerKey.objects.create_key(name="Gone", account=kenya_system, expiry_date=now + timedelta(days=5), revoked=True)
    OutboxEvent.objects.all().delete()  # the "created" events are tested elsewhere
    assert run(now) == {K.API_KEY_EXPIRING: 1}
    assert run(now + timedelta(days=1)) == {}
    event = OutboxEvent.objects.get(kind=K.API_KEY_EXPIRING)
    assert event.party == party("KEN") and event.payload["prefix"] == key.prefix
    assert inbox_of(event) == {"focal_ken", coordinator.username}  # not the partner system, not China
    message = next(message for message in mailoutbox if message.to == ["focal_ken@example.org"])
    assert "The API key “Kenya DB” of Kenya" in message.subject and "issues a new key" in message.body


def test_the_dedupe_key_is_unique(db):
    services.event_record_once(K.WEEKLY_DIGEST, dedupe_key="x")
    assert services.event_record_once(K.WEEKLY_DIGEST, dedupe_key="x") is None
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboxEvent.objects.create(kind=K.WEEKLY_DIGEST, dedupe_key="x")
    OutboxEvent.objects.create(kind=K.PROJECT_PUBLISHED)  # events without a key: as many as happen
    OutboxEvent.objects.create(kind=K.PROJECT_PUBLISHED)
    assert OutboxEvent.objects.filter(dedupe_key__isnull=True).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_recorders_of_one_reminder_record_it_once():
    """The second insert waits for the first transaction on the unique index, then finds its row."""
    inserted, results = threading.Event(), {}

    def first():
        try:
            with transaction.atomic():
                results["first"] = services.event_record_once(K.REPORT_DUE_SOON, dedupe_key="race")
                inserted.set()
                time.sleep(0.5)  # the second one starts meanwhile and must wait for this commit
        finally:
            connection.close()

    def second():
        try:
            inserted.wait(5)
            with transaction.atomic():
                results["second"] = services.event_record_once(K.REPORT_DUE_SOON, dedupe_key="race")
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results["first"] is not None and results["second"] is None
    assert OutboxEvent.objects.filter(dedupe_key="race").count() == 1
