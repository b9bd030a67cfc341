from django.db.models import Prefetch
from rest_framework import viewsets

from framework.models import Article, Framework, Part, Pillar

from .filters import ArticleFilter, PillarFilter
from .serializers import ArticleSerializer, FrameworkDetailSerializer, FrameworkSummarySerializer, PillarSerializer


class FrameworkViewSet(viewsets.ReadOnlyModelViewSet):
    """The frameworks in the catalogue; one framework comes with its parts, pillars and articles."""

    lookup_field = "code"
    pagination_class = None

    def get_queryset(self):
        if self.action == "retrieve":
            return Framework.objects.prefetch_related(
                Prefetch("parts", queryset=Part.objects.order_by("number")),
                Prefetch("pillars", queryset=Pillar.objects.select_related("framework", "part").order_by("number")),
                Prefetch("articles", queryset=Article.objects.with_structure().order_by("number")),
            )
        return Framework.objects.all()

    def get_serializer_class(self):
        return FrameworkDetailSerializer if self.action == "retrieve" else FrameworkSummarySerializer


class PillarViewSet(viewsets.ReadOnlyModelViewSet):
    """Pillars of every framework (only DEGD-2023 has pillars), filterable by framework and part."""

    queryset = Pillar.objects.select_related("framework", "part").order_by("framework__code", "number")
    serializer_class = PillarSerializer
    filterset_class = PillarFilter


class ArticleViewSet(viewsets.ReadOnlyModelViewSet):
    """Articles of every framework, filterable by framework, part and pillar."""

    queryset = Article.objects.with_structure().order_by("framework__code", "number")
    serializer_class = ArticleSerializer
    filterset_class = ArticleFilter
