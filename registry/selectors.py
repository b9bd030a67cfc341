"""Reads of the registry."""

from django.db.models import Count, Q

from .filters import PartyFilter
from .models import Party, PartyStatus


def party_list(*, filters=None):
    """Parties, filtered by kind, status and framework code; invalid filters match nothing."""
    queryset = Party.objects.prefetch_related("frameworks").order_by("code")
    filterset = PartyFilter(data=filters or {}, queryset=queryset)
    return filterset.qs.distinct() if filterset.is_valid() else queryset.none()


def party_counts() -> dict:
    return Party.objects.aggregate(
        participants=Count("pk", filter=Q(status=PartyStatus.PARTICIPANT)),
        supporters=Count("pk", filter=Q(status=PartyStatus.SUPPORTER)),
        applicants=Count("pk", filter=Q(status=PartyStatus.APPLICANT)),
    )
