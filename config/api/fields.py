from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.i18n import translations

TRANSLATED_SCHEMA = {
    "type": "object",
    "description": "The value in each language, keyed by language code (zh-hans is the original).",
    "properties": {"zh-hans": {"type": "string"}, "en": {"type": "string"}},
    "required": ["zh-hans", "en"],
    "example": {"zh-hans": "营造开放安全的环境", "en": "Fostering an open and secure environment"},
}


@extend_schema_field(TRANSLATED_SCHEMA)
class TranslatedJSONField(serializers.Field):
    """Reads `<name>_zh_hans` and `<name>_en` and represents them as one object."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        kwargs.setdefault("source", "*")
        super().__init__(**kwargs)

    def bind(self, field_name, parent):
        super().bind(field_name, parent)
        self.translated_name = field_name

    def to_representation(self, obj):
        return translations(obj, self.translated_name)
