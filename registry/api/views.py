from rest_framework import viewsets

from registry.filters import PartyFilter
from registry.models import Party

from .serializers import PartySerializer


class PartyViewSet(viewsets.ReadOnlyModelViewSet):
    """Participating parties, supporting organizations and signatories of related initiatives."""

    queryset = Party.objects.prefetch_related("frameworks").order_by("code")
    serializer_class = PartySerializer
    filterset_class = PartyFilter
    lookup_field = "code"

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset).distinct()
