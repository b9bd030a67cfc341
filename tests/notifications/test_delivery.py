"""Fan-out to the right people, in their language, once — however often the task runs."""

from datetime import timedelta
from smtplib import SMTPException

import pytest
from django.core.mail import EmailMessage
from django.utils import timezone, translation

from notifications import services, tasks
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


def inbox_of(event):
    return set(Notification.objects.filter(event=event).values_list("recipient__username", flat=True))


def publish(project, actor, capture):
    with capture(execute=True):
        project_transition(project=project, actor=actor, action="publish")
    return OutboxEvent.objects.get(kind=EventKind.PROJECT_PUBLISHED)


@pytest.fixture
def everyone(officer, chinese_officer, focal_point, other_officer, other_focal_point, coordinator, second_coordinator):
    thailand = UserFactory(role="officer", party=party("THA"), username="officer_tha")  # not in the project
    return locals()


@pytest.fixture
def spoken(monkeypatch):
    """The language active whenever an event is put into words."""
    languages = []
    describe = services.describe

    def spy(event):
        languages.append(translation.get_language())
        return describe(event)

    monkeypatch.setattr(services, "describe", spy)
    return languages


def test_publishing_tells_the_participating_officers_and_the_coordinators(
    submitted, kenya_joins, everyone, coordinator, mailoutbox, spoken, django_capture_on_commit_callbacks
):
    event = publish(submitted, coordinator, django_capture_on_commit_callbacks)
    expected = {"officer_chn", "officer_chn_zh", "officer_ken", "coordinator_two"}
    assert inbox_of(event) == expected  # not the focal points, not Thailand, not the publishing coordinator
    assert {message.to[0].split("@")[0] for message in mailoutbox} == expected
    subjects = {message.to[0].split("@")[0]: message.subject for message in mailoutbox}
    chinese = subjects.pop("officer_chn_zh")
    assert all(subject.endswith(f"“{submitted.title_en}” was published.") for subject in subjects.values())
    assert chinese.startswith("[开放式项目库]")  # the Chinese reader gets the Chinese message
    event.refresh_from_db()
    assert event.delivered_at is not None
    assert set(Delivery.objects.filter(event=event).values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert sorted(spoken) == ["en", "en", "en", "zh-hans"]


def test_each_e_mail_uses_the_recipient_language_template(
    submitted, chinese_officer, officer, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    publish(submitted, coordinator, django_capture_on_commit_callbacks)
    by_person = {message.to[0]: message for message in mailoutbox}
    chinese, english = by_person[chinese_officer.email], by_person[officer.email]
    assert "您好" in chinese.body and "开放项目库" in chinese.body and "Hello" not in chinese.body
    assert "Hello officer_chn" in english.body and "您好" not in english.body
    assert f"/projects/{submitted.pk}/" in english.body
    assert translation.get_language() == "en"  # the override did not leak


def test_running_the_delivery_task_again_sends_nothing_twice(
    submitted, everyone, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    event = publish(submitted, coordinator, django_capture_on_commit_callbacks)
    sent, inbox = len(mailoutbox), Notification.objects.count()
    assert sent == 3
    tasks.deliver_event_task.apply(args=[event.pk])  # a duplicate message
    OutboxEvent.objects.filter(pk=event.pk).update(delivered_at=None)  # as if the worker died before the end
    tasks.deliver_event_task.apply(args=[event.pk])
    for delivery in Delivery.objects.filter(channel=Channel.EMAIL):
        assert services.email_send(delivery_id=delivery.pk)
    assert len(mailoutbox) == sent
    assert Notification.objects.count() == inbox
    assert Delivery.objects.filter(event=event).count() == 2 * 3


def test_the_sweeper_redispatches_a_pending_event_after_the_grace_period(
    submitted, officer, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # the broker was down: nothing ran
        project_transition(project=submitted, actor=coordinator, action="publish")
    event = OutboxEvent.objects.get(kind=EventKind.PROJECT_PUBLISHED)
    assert not mailoutbox and event.delivered_at is None
    with django_capture_on_commit_callbacks(execute=True):
        assert services.outbox_sweep() == []  # its own commit may still be queueing it (NOT_QUEUED_GRACE)
    later = timezone.now() + timedelta(minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep_outbox_task.apply().get() == 0
        assert services.outbox_sweep(now=later) == [event.pk]
    assert [message.to for message in mailoutbox] == [[officer.email]]
    event.refresh_from_db()
    assert event.delivered_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert services.outbox_sweep(now=later + timedelta(minutes=5)) == []  # delivered: left alone
    assert len(mailoutbox) == 1


def test_the_actor_is_not_told_about_their_own_action(
    submitted, officer, focal_point, mailoutbox, django_capture_on_commit_callbacks
):
    second_focal = UserFactory(role="focal_point", party=party("CHN"), username="focal_chn_two")
    with django_capture_on_commit_callbacks(execute=True):
        review_comment_add(project=submitted, actor=focal_point, text="Looks good.")
    event = OutboxEvent.objects.get(kind=EventKind.REVIEW_COMMENT)
    assert inbox_of(event) == {"officer_chn", second_focal.username}
    assert focal_point.email not in [message.to[0] for message in mailoutbox]


def test_submission_tells_the_lead_party_focal_points_only(
    draft, officer, focal_point, other_focal_point, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        project_transition(project=draft, actor=officer, action="submit")
    assert inbox_of(OutboxEvent.objects.get()) == {"focal_chn"}
    assert [message.to for message in mailoutbox] == [[focal_point.email]]


def test_preferences_off_suppress_and_digest_holds_the_e_mail(
    submitted, officer, chinese_officer, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    NotificationPreference.objects.create(user=officer, kind=EventKind.PROJECT_PUBLISHED, frequency=Frequency.OFF)
    NotificationPreference.objects.create(
        user=chinese_officer, kind=EventKind.PROJECT_PUBLISHED, frequency=Frequency.DIGEST
    )
    event = publish(submitted, coordinator, django_capture_on_commit_callbacks)
    assert mailoutbox == []
    assert inbox_of(event) == {"officer_chn_zh"}  # the digest reader still sees it in the inbox
    assert not Delivery.objects.filter(recipient=officer).exists()
    assert Delivery.objects.get(recipient=chinese_officer, channel=Channel.EMAIL).status == DeliveryStatus.DIGEST


def test_a_failing_mail_is_retried_then_marked_dead_and_can_be_retried(
    submitted, officer, coordinator, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        project_transition(project=submitted, actor=coordinator, action="publish")
    event = OutboxEvent.objects.get(kind=EventKind.PROJECT_PUBLISHED)

    def refuse(self, fail_silently=False):
        raise SMTPException("mail server down")

    monkeypatch.setattr(EmailMessage, "send", refuse)
    with pytest.raises(services.DeliveryError):
        services.event_deliver(event=event)
    delivery = Delivery.objects.get(channel=Channel.EMAIL)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert "mail server down" in delivery.last_error
    assert Notification.objects.filter(recipient=officer).count() == 1  # the inbox did not wait

    tasks.deliver_event_task.apply(args=[event.pk], retries=tasks.MAX_RETRIES)  # the last retry
    delivery.refresh_from_db()
    event.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DEAD, 2)
    assert event.delivered_at is not None  # nothing left to try automatically
    assert mailoutbox == []

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.deliveries_retry(deliveries=[delivery]) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert [message.to for message in mailoutbox] == [[officer.email]]
    assert Notification.objects.filter(recipient=officer).count() == 1


def test_a_mail_outage_does_not_fail_the_change(
    submitted, officer, coordinator, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(EmailMessage, "send", lambda self, fail_silently=False: (_ for _ in ()).throw(SMTPException()))
    with django_capture_on_commit_callbacks(execute=True):
        project_transition(project=submitted, actor=coordinator, action="publish")
    submitted.refresh_from_db()
    assert submitted.status == "published"
    delivery = Delivery.objects.get(channel=Channel.EMAIL)
    assert delivery.status in (DeliveryStatus.PENDING, DeliveryStatus.DEAD)
    assert mailoutbox == []


def test_a_waiting_retry_keeps_the_sweeper_off_and_attempts_are_capped(
    submitted, officer, coordinator, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(EmailMessage, "send", lambda self, fail_silently=False: (_ for _ in ()).throw(SMTPException()))
    with django_capture_on_commit_callbacks(execute=True):
        project_transition(project=submitted, actor=coordinator, action="publish")
    event = OutboxEvent.objects.get(kind=EventKind.PROJECT_PUBLISHED)
    assert event.dispatched_at > timezone.now()  # the retry's backoff
    delivery = Delivery.objects.get(channel=Channel.EMAIL)
    for _attempt in range(services.MAX_ATTEMPTS):  # the sweeper keeps trying, but not for ever
        later = timezone.now() + timedelta(hours=2)
        with django_capture_on_commit_callbacks(execute=True):
            services.outbox_sweep(now=later)
        OutboxEvent.objects.filter(pk=event.pk).update(dispatched_at=None)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DEAD, services.MAX_ATTEMPTS)
    event.refresh_from_db()
    assert event.delivered_at is not None
    assert mailoutbox == []
