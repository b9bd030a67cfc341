"""The secretariat's view: every endpoint and the delivery log, re-enable and replay."""

import pytest
from django.utils import timezone

from notifications.models import EventKind, OutboxEvent
from webhooks.models import DisabledReason, MessageStatus, WebhookEndpoint, WebhookMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def dead(draft, chn_system, make_endpoint, receiver):
    endpoint, _ = make_endpoint(chn_system, receiver.url)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False, disabled_reason=DisabledReason.FAILING, disabled_at=timezone.now(), consecutive_failures=5
    )
    event = OutboxEvent.objects.create(kind=EventKind.REVIEW_COMMENT, project=draft)
    return WebhookMessage.objects.create(
        endpoint=endpoint, event=event, event_type=event.kind, body="{}", status=MessageStatus.DEAD, attempts=10
    )


def test_coordinators_see_the_log(coordinator_client, dead, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        response = coordinator_client.get("/admin/webhooks/webhookmessage/")
    assert response.status_code == 200 and dead.msg_id in response.content.decode()
    assert coordinator_client.get(f"/admin/webhooks/webhookmessage/{dead.pk}/change/").status_code == 200
    assert coordinator_client.get("/admin/webhooks/webhookendpoint/").status_code == 200


def test_re_enable_then_replay(coordinator_client, dead, receiver, django_capture_on_commit_callbacks):
    response = coordinator_client.post(
        "/admin/webhooks/webhookendpoint/", {"action": "enable", "_selected_action": [dead.endpoint_id]}
    )
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.is_active and endpoint.consecutive_failures == 0 and endpoint.disabled_reason == ""
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator_client.post(
            "/admin/webhooks/webhookmessage/", {"action": "replay", "_selected_action": [dead.pk]}
        )
    assert response.status_code == 302
    dead.refresh_from_db()
    assert dead.status == MessageStatus.SENT and len(receiver.requests) == 1


def test_officers_are_kept_out(client, officer, dead):
    client.force_login(officer)
    response = client.post("/admin/webhooks/webhookmessage/", {"action": "replay", "_selected_action": [dead.pk]})
    assert response.status_code == 403
    dead.refresh_from_db()
    assert dead.status == MessageStatus.DEAD and not WebhookEndpoint.objects.get().is_active


def test_anonymous_is_sent_to_the_login(client, dead):
    response = client.get("/admin/webhooks/webhookmessage/")
    assert response.status_code == 302 and "login" in response["Location"]
