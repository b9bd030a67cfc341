from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from config.i18n import active_language
from projects.selectors import health_of

register = template.Library()

HTML_LANG = {"zh-hans": "zh-Hans", "en": "en"}


@register.simple_tag
def translated(obj, field: str):
    """A bilingual project value in the active language, never a silent blank.

    When the active language's text is missing, the original is shown with its `lang`
    and a visible "not translated" note; a submitter-given translation is marked as such."""
    language = active_language()
    suffix = language.replace("-", "_")
    value = getattr(obj, f"{field}_{suffix}", "")
    original_language = getattr(obj, "language", "") or language
    if value:
        if original_language != language:
            return format_html(
                '<span lang="{}">{}</span> <span class="translation-note">{}</span>',
                HTML_LANG[language],
                value,
                _("translation provided by the submitter"),
            )
        return format_html('<span lang="{}">{}</span>', HTML_LANG[language], value)
    original = getattr(obj, f"{field}_{original_language.replace('-', '_')}", "")
    if not original:
        return format_html('<span class="missing">{}</span>', _("not given"))
    return format_html(
        '<span lang="{}">{}</span> <span class="translation-note translation-missing">{}</span>',
        HTML_LANG.get(original_language, "en"),
        original,
        _("not translated"),
    )


@register.simple_tag
def health_badge(project):
    health = health_of(project)
    if health is None:
        return ""
    from projects.models import Health

    return format_html('<span class="health health-{}">{}</span>', health, Health(health).label)


@register.filter
def status_badge(project):
    return format_html('<span class="status status-{}">{}</span>', project.status, project.get_status_display())
