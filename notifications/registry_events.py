"""Events about the registry: a party joined the framework, a partner API key was created.

Parties change through the loader (`registry.services.parties_load`) and the admin, keys through
the admin; neither is ours to edit, so model signals record the events here, in the transaction
of the save (both the admin and the loader save inside one).

"Joined" means a party's status becomes participant, or a participant's joining date is set
where there was none. A party *created* as a participant counts only when its joining date is
recent (`JOINED_RECENTLY`) or missing: loading the catalogue into a new installation is not news.
Each event exists once per party and joining date, and once per key (`dedupe_key`).
"""

from datetime import timedelta

from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from registry.models import PartnerKey, Party, PartyStatus

from .models import EventKind
from .services import event_record_once

JOINED_RECENTLY = timedelta(days=30)


@receiver(pre_save, sender=Party, dispatch_uid="notifications_party_before")
def _remember_party_standing(sender, instance: Party, raw=False, **kwargs):
    if raw or instance.pk is None:
        instance._standing_before = None
        return
    instance._standing_before = Party.objects.filter(pk=instance.pk).values_list("status", "joined_on").first()


def party_has_joined(party: Party, before, *, created: bool) -> bool:
    if party.status != PartyStatus.PARTICIPANT:
        return False
    if created or before is None:
        return party.joined_on is None or party.joined_on >= timezone.localdate() - JOINED_RECENTLY
    old_status, old_joined_on = before
    return old_status != PartyStatus.PARTICIPANT or (old_joined_on is None and party.joined_on is not None)


@receiver(post_save, sender=Party, dispatch_uid="notifications_party_joined")
def _party_joined(sender, instance: Party, created: bool, raw=False, **kwargs):
    if raw or not party_has_joined(instance, getattr(instance, "_standing_before", None), created=created):
        return
    joined_on = instance.joined_on or timezone.localdate()
    with transaction.atomic():
        event_record_once(
            EventKind.PARTY_JOINED,
            dedupe_key=f"{EventKind.PARTY_JOINED}:party-{instance.pk}:{joined_on.isoformat()}",
            party=instance,
            payload={"due_on": joined_on.isoformat()},
        )


@receiver(post_save, sender=PartnerKey, dispatch_uid="notifications_key_created")
def _key_created(sender, instance: PartnerKey, created: bool, raw=False, **kwargs):
    if raw or not created:
        return
    payload = {"key": instance.name or instance.prefix, "prefix": instance.prefix}
    if instance.expiry_date:
        payload["due_on"] = timezone.localdate(instance.expiry_date).isoformat()
    with transaction.atomic():
        event_record_once(
            EventKind.API_KEY_CREATED,
            dedupe_key=f"{EventKind.API_KEY_CREATED}:key-{instance.prefix}",
            party=instance.account.party,
            payload=payload,
        )
