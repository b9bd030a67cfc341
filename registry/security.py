"""Security plumbing: sign-in event logging and the progressive lockout cool-off."""

from datetime import timedelta

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from .models import SecurityEvent, SecurityEventKind
from .services import client_ip, security_event_record

BASE_COOL_OFF = timedelta(minutes=5)
MAX_COOL_OFF = timedelta(hours=24)


def progressive_cool_off(request=None) -> timedelta:
    """Lockouts last 5 minutes, doubling with each lockout of the same address in a day.

    Progressive rather than permanent: a mistyped password costs minutes, a sustained
    guessing attack from one address is slowed to one try a day.
    """
    ip = client_ip(request)
    if not ip:
        return BASE_COOL_OFF
    since = timezone.now() - timedelta(hours=24)
    earlier = SecurityEvent.objects.filter(kind=SecurityEventKind.LOCKED_OUT, ip_address=ip, at__gte=since).count()
    return min(BASE_COOL_OFF * (2 ** max(earlier - 1, 0)), MAX_COOL_OFF)


# Auth signals are Django's own extension point for sign-in events; they only log here.
@receiver(user_logged_in)
def _log_login(sender, request, user, **kwargs):
    security_event_record(kind=SecurityEventKind.LOGIN, request=request, user=user)


@receiver(user_logged_out)
def _log_logout(sender, request, user, **kwargs):
    if user is not None:
        security_event_record(kind=SecurityEventKind.LOGOUT, request=request, user=user)


@receiver(user_login_failed)
def _log_login_failed(sender, credentials, request=None, **kwargs):
    security_event_record(
        kind=SecurityEventKind.LOGIN_FAILED, request=request, username=str(credentials.get("username", ""))
    )


def _connect_axes_lockout():
    from axes.signals import user_locked_out

    @receiver(user_locked_out, weak=False)
    def _log_lockout(sender, request, username, ip_address, **kwargs):
        security_event_record(kind=SecurityEventKind.LOCKED_OUT, request=request, username=username or "")


_connect_axes_lockout()
