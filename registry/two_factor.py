"""Two-factor sign-in with django-otp: a TOTP device plus single-use recovery codes."""

import secrets

from django.db import transaction
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODE_COUNT = 10


def has_confirmed_device(user) -> bool:
    return any(True for _device in devices_for_user(user, confirmed=True))


def pending_totp_device(user) -> TOTPDevice:
    """The unconfirmed authenticator device being set up (created on first visit)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


@transaction.atomic
def two_factor_enroll(*, user, device: TOTPDevice) -> list[str]:
    """Confirm the authenticator and issue fresh recovery codes (shown once)."""
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    static, _created = StaticDevice.objects.get_or_create(user=user, name="recovery codes")
    static.confirmed = True
    static.save(update_fields=["confirmed"])
    static.token_set.all().delete()
    codes = [f"{secrets.randbelow(10**10):010d}" for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return codes


def match_token(user, token: str):
    """The confirmed device (authenticator or recovery code) that accepts `token`, or None."""
    token = "".join(token.split())
    for device in devices_for_user(user, confirmed=True):
        if device.verify_token(token):
            return device
    return None
