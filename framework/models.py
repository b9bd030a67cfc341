"""The catalogue of frameworks: framework → parts → pillars → articles, in both languages."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from config.i18n import TranslatedField


class Framework(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True, help_text=_("For example DEGD-2023."))
    title_zh_hans = models.CharField(_("title (Chinese)"), max_length=255)
    title_en = models.CharField(_("title (English)"), max_length=255)
    short_title_zh_hans = models.CharField(_("short title (Chinese)"), max_length=120, blank=True)
    short_title_en = models.CharField(_("short title (English)"), max_length=120, blank=True)
    adopted_on = models.DateField(_("adopted on"))
    source_document = models.CharField(_("source document"), max_length=255, blank=True)
    preamble_zh_hans = models.TextField(_("preamble (Chinese)"), blank=True)
    preamble_en = models.TextField(_("preamble (English)"), blank=True)
    is_primary = models.BooleanField(
        _("primary framework"), default=False, help_text=_("The framework the library serves first.")
    )
    history = HistoricalRecords()

    title = TranslatedField()
    short_title = TranslatedField()
    preamble = TranslatedField()

    class Meta:
        ordering = ["-is_primary", "-adopted_on", "code"]
        verbose_name = _("framework")
        verbose_name_plural = _("frameworks")

    def __str__(self):
        return f"{self.code} — {self.short_title or self.title}"

    def get_absolute_url(self):
        return reverse("framework:detail", kwargs={"code": self.code})


class Part(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="parts")
    number = models.PositiveSmallIntegerField(_("number"))
    title_zh_hans = models.CharField(_("title (Chinese)"), max_length=255)
    title_en = models.CharField(_("title (English)"), max_length=255)
    history = HistoricalRecords()

    title = TranslatedField()

    class Meta:
        ordering = ["framework", "number"]
        constraints = [models.UniqueConstraint(fields=["framework", "number"], name="part_unique_number")]
        verbose_name = _("part")
        verbose_name_plural = _("parts")

    def __str__(self):
        return f"{self.framework.code} {_('Part')} {self.number}"


class Pillar(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="pillars")
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="pillars")
    number = models.PositiveSmallIntegerField(_("number"))
    title_zh_hans = models.CharField(_("title (Chinese)"), max_length=255)
    title_en = models.CharField(_("title (English)"), max_length=255)
    history = HistoricalRecords()

    title = TranslatedField()

    class Meta:
        ordering = ["framework", "number"]
        constraints = [models.UniqueConstraint(fields=["framework", "number"], name="pillar_unique_number")]
        verbose_name = _("pillar")
        verbose_name_plural = _("pillars")

    def __str__(self):
        return f"{self.framework.code} {_('Pillar')} {self.number}: {self.title}"


class ArticleQuerySet(models.QuerySet):
    def with_structure(self):
        return self.select_related("framework", "part", "pillar")


class Article(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="articles")
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="articles", null=True, blank=True)
    pillar = models.ForeignKey(
        Pillar,
        on_delete=models.PROTECT,
        related_name="articles",
        null=True,
        blank=True,
        help_text=_("Empty for articles outside the pillars (capacity building, implementation)."),
    )
    number = models.PositiveSmallIntegerField(_("number"))
    title_zh_hans = models.CharField(_("title (Chinese)"), max_length=255, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=255, blank=True)
    text_zh_hans = models.TextField(_("text (Chinese)"))
    text_en = models.TextField(_("text (English)"))
    history = HistoricalRecords()

    title = TranslatedField()
    text = TranslatedField()

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["framework", "number"]
        constraints = [models.UniqueConstraint(fields=["framework", "number"], name="article_unique_number")]
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self):
        return f"{self.framework.code} {_('Article')} {self.number}"

    def get_absolute_url(self):
        return reverse("framework:article", kwargs={"code": self.framework.code, "number": self.number})
