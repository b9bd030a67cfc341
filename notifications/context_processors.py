from django.utils.functional import SimpleLazyObject

from . import selectors


def unread_count(request):
    """The header's unread count, counted only when a page shows it."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: selectors.unread_count(actor=user))}
