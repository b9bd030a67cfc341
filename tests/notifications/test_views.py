"""The inbox: only the recipient sees and changes their notifications."""

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import EventKind, Frequency, Notification, NotificationPreference, OutboxEvent
from tests.conftest import verify_two_factor

pytestmark = pytest.mark.django_db
INBOX = "/notifications/"


def notify(user, project, *, kind=EventKind.PROJECT_PUBLISHED, actor=None, read=False):
    event = OutboxEvent.objects.create(kind=kind, project=project, actor=actor)
    return Notification.objects.create(recipient=user, event=event, read_at=timezone.now() if read else None)


def test_anonymous_visitors_are_sent_to_sign_in(client, draft, officer):
    mine = notify(officer, draft)
    for response in (
        client.get(INBOX),
        client.post(reverse("notifications:mark_read", args=[mine.pk])),
        client.post(reverse("notifications:mark_all_read")),
        client.get(reverse("notifications:preferences")),
    ):
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    mine.refresh_from_db()
    assert mine.read_at is None


def test_the_inbox_lists_only_my_notifications_newest_first(client, draft, officer, other_officer):
    older = notify(officer, draft, kind=EventKind.PROJECT_SUBMITTED)
    newer = notify(officer, draft, kind=EventKind.PROJECT_PUBLISHED)
    notify(other_officer, draft, kind=EventKind.REVIEW_COMMENT)
    client.force_login(officer)
    response = client.get(INBOX)
    assert response.status_code == 200
    assert list(response.context["notifications"]) == [newer, older]
    content = response.content.decode()
    assert f"“{draft.title_en}” was published." in content
    assert "New review comment" not in content
    assert f'href="{draft.get_absolute_url()}"' in content


def test_the_header_shows_the_unread_count(client, draft, officer):
    notify(officer, draft)
    notify(officer, draft)
    notify(officer, draft, read=True)
    client.force_login(officer)
    content = client.get("/").content.decode()
    assert f'href="{INBOX}"' in content
    assert '<span class="badge">2<span class="visually-hidden">' in content


def test_marking_as_read(client, draft, officer):
    mine = notify(officer, draft)
    client.force_login(officer)
    response = client.post(reverse("notifications:mark_read", args=[mine.pk]), {"next": "https://evil.example/"})
    assert response.status_code == 302 and response.url == INBOX  # no open redirect
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_another_user_cannot_read_or_mark_my_notification(client, draft, officer, other_officer):
    mine = notify(officer, draft)
    client.force_login(other_officer)
    response = client.post(reverse("notifications:mark_read", args=[mine.pk]))
    assert response.status_code == 404
    mine.refresh_from_db()
    assert mine.read_at is None
    assert mine not in client.get(INBOX).context["notifications"]


def test_marking_all_as_read_touches_only_mine(client, draft, officer, other_officer):
    mine = [notify(officer, draft), notify(officer, draft)]
    theirs = notify(other_officer, draft)
    client.force_login(officer)
    response = client.post(reverse("notifications:mark_all_read"), {"next": INBOX + "?page=1"})
    assert response.status_code == 302 and response.url == INBOX + "?page=1"
    assert all(Notification.objects.get(pk=n.pk).read_at for n in mine)
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_a_get_does_not_mark_anything(client, draft, officer):
    mine = notify(officer, draft)
    client.force_login(officer)
    assert client.get(reverse("notifications:mark_read", args=[mine.pk])).status_code == 405
    mine.refresh_from_db()
    assert mine.read_at is None


def test_inbox_queries_do_not_grow_with_the_notifications(client, draft, officer, django_assert_max_num_queries):
    client.force_login(officer)
    notify(officer, draft)
    with django_assert_max_num_queries(8) as few:
        client.get(INBOX)
    for _ in range(30):
        notify(officer, draft, actor=officer, kind=EventKind.JOIN_REQUESTED)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(INBOX + "?page=2")
    assert len(response.context["notifications"]) == 6


def test_preferences_are_saved_per_event_kind(client, officer, other_officer):
    client.force_login(officer)
    page = client.get(reverse("notifications:preferences"))
    assert page.status_code == 200
    assert "<legend>Project published</legend>" in page.content.decode()
    choices = {kind: Frequency.IMMEDIATE for kind in EventKind.values}
    choices.update({EventKind.PROJECT_PUBLISHED: Frequency.OFF, EventKind.REVIEW_COMMENT: Frequency.DIGEST})
    response = client.post(reverse("notifications:preferences"), choices)
    assert response.status_code == 302
    saved = dict(NotificationPreference.objects.filter(user=officer).values_list("kind", "frequency"))
    assert saved == {EventKind.PROJECT_PUBLISHED: Frequency.OFF, EventKind.REVIEW_COMMENT: Frequency.DIGEST}
    assert not NotificationPreference.objects.filter(user=other_officer).exists()
    choices[EventKind.PROJECT_PUBLISHED] = "loud"
    response = client.post(reverse("notifications:preferences"), choices)
    assert response.status_code == 200  # refused beside the field, nothing changed
    assert NotificationPreference.objects.get(user=officer, kind=EventKind.PROJECT_PUBLISHED).frequency == "off"


def test_pages_work_in_chinese(client, draft, officer):
    notify(officer, draft)
    client.force_login(officer)
    client.cookies["opl_language"] = "zh-hans"
    assert client.get(INBOX).status_code == 200
    assert client.get(reverse("notifications:preferences")).status_code == 200


def test_coordinators_see_dead_deliveries_and_can_retry_them(
    client, draft, officer, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    from notifications.models import Channel, Delivery, DeliveryStatus

    event = OutboxEvent.objects.create(kind=EventKind.PROJECT_PUBLISHED, project=draft, delivered_at=timezone.now())
    dead = Delivery.objects.create(
        event=event, recipient=officer, channel=Channel.EMAIL, status=DeliveryStatus.DEAD, last_error="timeout"
    )
    verify_two_factor(client, coordinator)
    changelist = reverse("admin:notifications_delivery_changelist")
    response = client.get(changelist, {"status__exact": "dead"})
    assert response.status_code == 200
    assert "timeout" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(changelist, {"action": "retry", "_selected_action": [dead.pk]})
    assert response.status_code == 302
    dead.refresh_from_db()
    assert dead.status == DeliveryStatus.SENT
    assert [message.to for message in mailoutbox] == [[officer.email]]


def test_officers_cannot_open_the_deliveries_admin(client, officer):
    client.force_login(officer)
    assert client.get(reverse("admin:notifications_delivery_changelist")).status_code == 403
