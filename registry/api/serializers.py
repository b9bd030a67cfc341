from rest_framework import serializers

from config.api.fields import TranslatedJSONField
from registry.models import Party


class PartySerializer(serializers.ModelSerializer):
    name = TranslatedJSONField(help_text="Name in each language.")
    frameworks = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True, help_text="Codes of the frameworks the party signed."
    )

    class Meta:
        model = Party
        fields = ["code", "kind", "status", "name", "joined_on", "iso_alpha2", "iso_numeric", "frameworks"]
