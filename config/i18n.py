"""Bilingual model fields: each translatable value is stored once per language.

Chinese (`zh-hans`) is the original language of the framework texts; English (`en`) is
the working translation. A field `title` is stored as `title_zh_hans` and `title_en`, and
`TranslatedField` reads the one for the active language, falling back to the other so
that a page never shows a silent blank when one language is missing.
"""

from django.conf import settings
from django.utils.translation import get_language

LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)


def column_suffix(language_code: str) -> str:
    return language_code.replace("-", "_")


def active_language() -> str:
    language = (get_language() or settings.LANGUAGE_CODE).lower()
    return "zh-hans" if language.startswith("zh") else "en"


class TranslatedField:
    """Descriptor: `obj.title` is the active language's `title_<lang>` with a fallback."""

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        preferred = active_language()
        order = [preferred] + [code for code in LANGUAGE_CODES if code != preferred]
        for code in order:
            value = getattr(obj, f"{self.name}_{column_suffix(code)}", "")
            if value:
                return value
        return ""


def translations(obj, name: str) -> dict[str, str]:
    """`{"zh-hans": …, "en": …}` for the field `name` of `obj` (as the API represents it)."""
    return {code: getattr(obj, f"{name}_{column_suffix(code)}", "") or "" for code in LANGUAGE_CODES}
