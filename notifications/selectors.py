from .models import Frequency, Notification, NotificationPreference


def inbox(*, actor):
    """The person's notifications, newest first, with what the list shows joined in."""
    return Notification.objects.filter(recipient=actor).select_related(
        "event__project", "event__participation__party", "event__actor"
    )


def unread_count(*, actor) -> int:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).count()


def frequencies(*, actor) -> dict[str, str]:
    chosen = dict(NotificationPreference.objects.filter(user=actor).values_list("kind", "frequency"))
    return {"default": Frequency.IMMEDIATE, **chosen}
