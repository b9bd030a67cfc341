"""The daily digest of held e-mails and the coordinators' weekly digest — each sent once only."""

from datetime import timedelta
from smtplib import SMTPException

import pytest
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from framework.models import Article
from notifications import digests, tasks
from notifications.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    EventKind,
    Frequency,
    Notification,
    NotificationPreference,
    OutboxEvent,
)
from projects.services import project_transition, review_comment_add
from tests.factories import UserFactory, party

pytestmark = pytest.mark.django_db
K = EventKind


def prefer(user, kind, frequency):
    NotificationPreference.objects.create(user=user, kind=kind, frequency=frequency)


@pytest.fixture
def comment(submitted, focal_point, django_capture_on_commit_callbacks):
    """A review comment for the lead party (CHN officers and focal point), delivered in-process."""

    def comment(text="Please add the budget breakdown."):
        with django_capture_on_commit_callbacks(execute=True):
            review_comment_add(project=submitted, actor=focal_point, text=text)
        return OutboxEvent.objects.filter(kind=K.REVIEW_COMMENT).latest("pk")

    return comment


def test_preferences_decide_immediate_digest_or_nothing(officer, chinese_officer, comment, mailoutbox):
    thai = UserFactory(role="officer", party=party("CHN"), username="officer_off")
    prefer(chinese_officer, K.REVIEW_COMMENT, Frequency.DIGEST)
    prefer(thai, K.REVIEW_COMMENT, Frequency.OFF)
    event = comment()
    assert [message.to for message in mailoutbox] == [[officer.email]]  # immediately: only the default one
    inbox = set(Notification.objects.filter(event=event).values_list("recipient__username", flat=True))
    assert inbox == {"officer_chn", "officer_chn_zh"}  # the digest reader still sees it in the inbox; "off" not
    assert not Delivery.objects.filter(recipient=thai).exists()
    held = Delivery.objects.get(recipient=chinese_officer, channel=Channel.EMAIL)
    assert held.status == DeliveryStatus.DIGEST
    event.refresh_from_db()
    assert event.delivered_at is not None  # a held e-mail does not keep the event pending


def test_the_daily_digest_is_one_e_mail_in_the_reader_language_sent_once(
    chinese_officer, officer, comment, mailoutbox, submitted
):
    prefer(chinese_officer, K.REVIEW_COMMENT, Frequency.DIGEST)
    prefer(officer, K.REVIEW_COMMENT, Frequency.DIGEST)
    comment("First.")
    comment("Second.")
    assert not mailoutbox
    assert digests.daily_digests_send() == 2
    by_person = {message.to[0]: message for message in mailoutbox}
    chinese, english = by_person[chinese_officer.email], by_person[officer.email]
    assert isinstance(english, EmailMultiAlternatives)
    assert english.subject.endswith("Your daily digest: 2 notifications")
    assert english.body.count(f"New review comment on “{submitted.title_en}”.") == 2
    assert f"/projects/{submitted.pk}/" in english.body
    html, mimetype = english.alternatives[0]
    assert mimetype == "text/html" and f'href="http://localhost:8000/projects/{submitted.pk}/"' in html
    assert "每日通知摘要：2 条通知" in chinese.subject and "您好" in chinese.body and "Hello" not in chinese.body
    assert set(Delivery.objects.filter(channel=Channel.EMAIL).values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert digests.daily_digests_send() == 0  # run again: nothing left
    assert tasks.send_daily_digests_task.apply().get() == 0
    assert len(mailoutbox) == 2


def test_a_later_event_goes_into_the_next_digest_only(officer, comment, mailoutbox):
    prefer(officer, K.REVIEW_COMMENT, Frequency.DIGEST)
    comment("First.")
    digests.daily_digests_send()
    comment("Second.")
    digests.daily_digests_send()
    assert [message.subject.split(": ")[-1] for message in mailoutbox] == ["1 notification", "1 notification"]


def test_a_digest_that_fails_stays_held_and_goes_next_time(officer, comment, mailoutbox, monkeypatch):
    prefer(officer, K.REVIEW_COMMENT, Frequency.DIGEST)
    comment()

    def broken(self, fail_silently=False):
        raise SMTPException("relay down")

    with monkeypatch.context() as patch:
        patch.setattr(EmailMultiAlternatives, "send", broken)
        assert digests.daily_digests_send() == 0
    held = Delivery.objects.get(channel=Channel.EMAIL)
    assert held.status == DeliveryStatus.DIGEST and "relay down" in held.last_error and held.attempts == 1
    assert digests.daily_digests_send() == 1
    assert len(mailoutbox) == 1


@pytest.fixture
def published(submitted, coordinator, django_capture_on_commit_callbacks):
    project = project_transition(project=submitted, actor=coordinator, action="publish")
    OutboxEvent.objects.update(delivered_at=timezone.now())
    return project


def test_the_weekly_digest_counts_new_projects_per_pillar_and_unserved_articles(published, officer):
    event = digests.weekly_digest_record()
    assert event.kind == K.WEEKLY_DIGEST and event.payload["framework"] == "DEGD-2023"
    assert event.payload["count"] == 1
    tagged = Article.objects.filter(framework__code="DEGD-2023", number__in=[5, 6])
    pillar_ids = set(tagged.values_list("pillar_id", flat=True))
    rows = {row["pillar"]: row["projects"] for row in event.payload["pillars"]}
    assert len(rows) >= 7 and all(rows[pk] == [published.pk] for pk in pillar_ids)
    assert all(projects == [] for pk, projects in rows.items() if pk not in pillar_ids)
    unserved = set(event.payload["articles_without_projects"])
    assert len(unserved) == 33 and not unserved & set(tagged.values_list("pk", flat=True))
    assert digests.weekly_digest_record() is None  # the same week: recorded once
    assert tasks.record_weekly_digest_task.apply().get() is False
    next_week = digests.weekly_digest_record(now=timezone.now() + timedelta(days=7))
    assert next_week.payload["count"] == 0  # published more than 7 days before


def test_the_weekly_digest_e_mail_goes_to_coordinators_in_their_language(
    published, coordinator, second_coordinator, officer, mailoutbox, django_capture_on_commit_callbacks
):
    second_coordinator.preferred_language = "zh-hans"
    second_coordinator.save()
    with django_capture_on_commit_callbacks(execute=True):
        event = digests.weekly_digest_record()
    told = set(Notification.objects.filter(event=event).values_list("recipient__username", flat=True))
    assert told == {coordinator.username, "coordinator_two"}  # coordinators only
    by_person = {message.to[0]: message for message in mailoutbox}
    english, chinese = by_person[coordinator.email], by_person[second_coordinator.email]
    assert "Weekly digest: 1 new project(s)" in english.subject
    assert "New projects per pillar (DEGD-2023, last 7 days)" in english.body
    assert published.title_en in english.body and f"/projects/{published.pk}/" in english.body
    assert "Articles still without projects (33)" in english.body
    assert "/frameworks/DEGD-2023/articles/1/" in english.body and "/articles/5/" not in english.body
    assert "各支柱新项目" in chinese.body and "尚无项目的条款（33）" in chinese.body and "支柱 " in chinese.body


def test_a_coordinator_who_turned_the_weekly_digest_off_gets_nothing(
    published, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    prefer(coordinator, K.WEEKLY_DIGEST, Frequency.OFF)
    with django_capture_on_commit_callbacks(execute=True):
        digests.weekly_digest_record()
    assert not mailoutbox and not Notification.objects.exists()
