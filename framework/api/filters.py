import django_filters

from framework.models import Article, Pillar


class PillarFilter(django_filters.FilterSet):
    framework = django_filters.CharFilter(field_name="framework__code", help_text="Framework code.")
    part = django_filters.NumberFilter(field_name="part__number", help_text="Part number.")

    class Meta:
        model = Pillar
        fields = ["framework", "part"]


class ArticleFilter(django_filters.FilterSet):
    framework = django_filters.CharFilter(field_name="framework__code", help_text="Framework code.")
    part = django_filters.NumberFilter(field_name="part__number", help_text="Part number.")
    pillar = django_filters.NumberFilter(field_name="pillar__number", help_text="Pillar number.")

    class Meta:
        model = Article
        fields = ["framework", "part", "pillar"]
