from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.fields import TranslatedJSONField
from framework.models import Article, Framework, Part, Pillar


class FrameworkSummarySerializer(serializers.ModelSerializer):
    title = TranslatedJSONField(help_text="Full title in each language.")
    short_title = TranslatedJSONField(help_text="Short title in each language.")
    url = serializers.HyperlinkedIdentityField(
        view_name="api:framework-detail", lookup_field="code", help_text="This framework in the API."
    )

    class Meta:
        model = Framework
        fields = ["code", "title", "short_title", "adopted_on", "is_primary", "url"]


class PartSerializer(serializers.ModelSerializer):
    title = TranslatedJSONField()

    class Meta:
        model = Part
        fields = ["number", "title"]


class PillarSerializer(serializers.ModelSerializer):
    framework = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Framework code.")
    part = serializers.SlugRelatedField(slug_field="number", read_only=True, help_text="Part number.")
    title = TranslatedJSONField()

    class Meta:
        model = Pillar
        fields = ["framework", "number", "part", "title"]


class ArticleSerializer(serializers.ModelSerializer):
    framework = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Framework code.")
    part = serializers.SlugRelatedField(
        slug_field="number", read_only=True, allow_null=True, help_text="Part number, or null."
    )
    pillar = serializers.SlugRelatedField(
        slug_field="number",
        read_only=True,
        allow_null=True,
        help_text="Pillar number, or null for articles outside the pillars.",
    )
    title = TranslatedJSONField(help_text="Heading sentence, where the text has one (else empty strings).")
    text = TranslatedJSONField(help_text="Full text in each language.")
    web_url = serializers.SerializerMethodField(help_text="The article's page.")

    class Meta:
        model = Article
        fields = ["framework", "number", "part", "pillar", "title", "text", "web_url"]

    @extend_schema_field(serializers.URLField())
    def get_web_url(self, article) -> str:
        request = self.context.get("request")
        path = article.get_absolute_url()
        return request.build_absolute_uri(path) if request else path


class FrameworkDetailSerializer(FrameworkSummarySerializer):
    preamble = TranslatedJSONField()
    parts = PartSerializer(many=True, read_only=True)
    pillars = PillarSerializer(many=True, read_only=True)
    articles = ArticleSerializer(many=True, read_only=True)

    class Meta(FrameworkSummarySerializer.Meta):
        fields = [
            *FrameworkSummarySerializer.Meta.fields,
            "source_document",
            "preamble",
            "parts",
            "pillars",
            "articles",
        ]
