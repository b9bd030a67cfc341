"""Cooperation projects: the open project library proposed by article 31 of DEGD-2023."""

from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from config.i18n import TranslatedField

from .choices import (
    PUBLIC_STATUSES,
    CooperationMode,
    Language,
    ParticipationRole,
    ParticipationStatus,
    ProjectStatus,
    ProjectType,
)


class Sdg(models.Model):
    """One of the 17 UN Sustainable Development Goals."""

    number = models.PositiveSmallIntegerField(primary_key=True)
    title_zh_hans = models.CharField(max_length=120)
    title_en = models.CharField(max_length=120)

    title = TranslatedField()

    class Meta:
        ordering = ["number"]
        verbose_name = _("Sustainable Development Goal")
        verbose_name_plural = _("Sustainable Development Goals")

    def __str__(self):
        return f"SDG {self.number}: {self.title}"


class Theme(models.Model):
    """A free tag (cross-border e-commerce, e-invoicing, single window…), in any language."""

    name = models.CharField(_("name"), max_length=80, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")

    def __str__(self):
        return self.name


class ProjectQuerySet(models.QuerySet):
    def public(self):
        return self.filter(status__in=PUBLIC_STATUSES)

    def visible_to(self, user):
        """Projects `user` may open: public ones, plus their own party's and those their party takes part in."""
        if user.is_authenticated and (user.is_superuser or user.is_coordinator):
            return self.all()
        visible = Q(status__in=PUBLIC_STATUSES)
        if user.is_authenticated and user.party_id:
            visible |= Q(lead_party_id=user.party_id)
            visible |= Q(
                participations__party_id=user.party_id,
                participations__status__in=(ParticipationStatus.ACTIVE, ParticipationStatus.INVITED),
            )
        return self.filter(visible).distinct()

    def with_health(self, health: str):
        """The ongoing projects whose reporting health is `health` today, decided in SQL as
        `reporting_health` decides it for one project."""
        today = timezone.localdate()
        last = ProgressReport.objects.filter(project=OuterRef("pk")).order_by("-submitted_on").values("submitted_on")
        overdue = Milestone.objects.filter(project=OuterRef("pk"), done_on__isnull=True, due_on__lt=today)
        ongoing = self.filter(status=ProjectStatus.ONGOING).alias(
            health_ref=Coalesce(Subquery(last[:1]), "start_on"), milestone_overdue=Exists(overdue)
        )
        red = Q(milestone_overdue=True) | Q(health_ref__isnull=True) | Q(health_ref__lt=today - HEALTH_RED_AFTER)
        if health == Health.RED:
            return ongoing.filter(red)
        current = Q(milestone_overdue=False) & Q(health_ref__gte=today - HEALTH_RED_AFTER)
        if health == Health.AMBER:
            return ongoing.filter(current, health_ref__lt=today - HEALTH_AMBER_AFTER)
        return ongoing.filter(current, health_ref__gte=today - HEALTH_AMBER_AFTER)

    def with_reporting(self):
        """Annotate `last_report_on` and `has_overdue_milestone` (reporting health inputs)."""
        today = timezone.localdate()
        overdue = Milestone.objects.filter(project=OuterRef("pk"), done_on__isnull=True, due_on__lt=today)
        return self.annotate(
            last_report_on=Max("progress_reports__submitted_on"),
            has_overdue_milestone=Exists(overdue),
        )


class Project(models.Model):
    # Identity
    reference_code = models.CharField(_("reference code"), max_length=32, unique=True, null=True, blank=True)
    language = models.CharField(
        _("language written in"),
        max_length=8,
        choices=Language.choices,
        help_text=_("The language the submitter wrote in; the other language is a translation or missing."),
    )
    title_zh_hans = models.CharField(_("title (Chinese)"), max_length=300, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    summary_zh_hans = models.TextField(_("summary (Chinese)"), blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.DRAFT, db_index=True
    )

    # Who
    lead_party = models.ForeignKey(
        "registry.Party", on_delete=models.PROTECT, related_name="led_projects", verbose_name=_("lead party")
    )
    lead_organization = models.ForeignKey(
        "registry.Organization",
        on_delete=models.PROTECT,
        related_name="led_projects",
        null=True,
        blank=True,
        verbose_name=_("lead organization"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact telephone"), max_length=40, blank=True)
    contact_restricted = models.BooleanField(
        _("contact for participants and coordinators only"),
        default=True,
        help_text=_("The contact is never public; this also hides it from other parties."),
    )

    # What
    articles = models.ManyToManyField("framework.Article", through="ProjectArticle", related_name="projects")
    cooperation_mode = models.CharField(
        _("cooperation mode"), max_length=16, choices=CooperationMode.choices, blank=True
    )
    project_type = models.CharField(_("project type"), max_length=32, choices=ProjectType.choices, blank=True)
    themes = models.ManyToManyField(Theme, related_name="projects", blank=True, verbose_name=_("themes"))
    sdgs = models.ManyToManyField(Sdg, related_name="projects", blank=True, verbose_name=_("SDGs"))
    beneficiary_groups = models.JSONField(_("beneficiary groups"), default=list, blank=True)
    early_harvest = models.BooleanField(_("early harvest"), default=False)

    # Where and when
    countries = models.JSONField(_("countries"), default=list, blank=True, help_text=_("ISO 3166-1 alpha-3 codes."))
    places = models.CharField(_("places"), max_length=300, blank=True)
    start_on = models.DateField(_("start date"), null=True, blank=True)
    end_on = models.DateField(_("end date"), null=True, blank=True)
    budget_amount = models.DecimalField(
        _("budget"), max_digits=18, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    budget_currency = models.CharField(_("currency"), max_length=3, blank=True, help_text=_("ISO 4217 code."))
    budget_restricted = models.BooleanField(_("budget for participants and coordinators only"), default=False)
    funding_sources = models.TextField(_("funding sources"), blank=True)

    # Bookkeeping
    search_document = models.TextField(editable=False, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["search_document", "updated_at"], m2m_fields=[themes, sdgs])

    title = TranslatedField()
    summary = TranslatedField()

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("cooperation project")
        verbose_name_plural = _("cooperation projects")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_on__isnull=True) | Q(start_on__isnull=True) | Q(end_on__gte=models.F("start_on")),
                name="project_end_not_before_start",
            ),
            models.CheckConstraint(
                condition=Q(budget_amount__isnull=True) | ~Q(budget_currency=""),
                name="project_budget_has_currency",
            ),
            models.CheckConstraint(condition=~Q(title_zh_hans="", title_en=""), name="project_has_a_title"),
        ]

    def __str__(self):
        return self.reference_code or self.title or f"#{self.pk}"

    def get_absolute_url(self):
        return reverse("projects:detail", kwargs={"pk": self.pk})

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    @property
    def primary_article(self):
        link = next((link for link in self.article_links.all() if link.is_primary), None)
        return link.article if link else None

    @property
    def pillars(self):
        """Pillars follow from the tagged articles; never stored."""
        seen = {}
        for link in self.article_links.all():
            pillar = link.article.pillar
            if pillar is not None:
                seen.setdefault(pillar.pk, pillar)
        return sorted(seen.values(), key=lambda pillar: pillar.number)

    def translation_state(self, field: str, language: str) -> str:
        """'original', 'translation' (given by the submitter) or 'missing' for one field in one language."""
        if language == self.language:
            return "original"
        return "translation" if getattr(self, f"{field}_{language.replace('-', '_')}") else "missing"


class ProjectArticle(models.Model):
    """A tag of a project against one article; one tag per project is the primary one."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="article_links")
    article = models.ForeignKey("framework.Article", on_delete=models.PROTECT, related_name="project_links")
    is_primary = models.BooleanField(_("primary article"), default=False)
    note = models.CharField(_("how the project serves this article"), max_length=500, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-is_primary", "article__framework_id", "article__number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "article"], name="project_article_once"),
            models.UniqueConstraint(
                fields=["project"], condition=Q(is_primary=True), name="project_one_primary_article"
            ),
        ]
        verbose_name = _("article tag")
        verbose_name_plural = _("article tags")

    def __str__(self):
        return f"{self.project} → {self.article}"


class ExternalId(models.Model):
    """A partner system's own id for a project (unique per source system)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="external_ids")
    source = models.SlugField(_("source system"), max_length=64)
    external_id = models.CharField(_("external id"), max_length=128)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="external_id_unique_per_source")]
        verbose_name = _("external id")
        verbose_name_plural = _("external ids")

    def __str__(self):
        return f"{self.source}:{self.external_id}"


class Participation(models.Model):
    """A party's part in a project. Active only with the lead's acceptance and the party's own consent."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="participations")
    party = models.ForeignKey("registry.Party", on_delete=models.PROTECT, related_name="participations")
    role = models.CharField(_("role"), max_length=16, choices=ParticipationRole.choices)
    status = models.CharField(_("status"), max_length=16, choices=ParticipationStatus.choices)
    message = models.TextField(_("message"), blank=True)
    lead_accepted_at = models.DateTimeField(null=True, blank=True)
    party_confirmed_at = models.DateTimeField(null=True, blank=True)
    party_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "-role", "party__code"]
        constraints = [
            models.UniqueConstraint(fields=["project", "party"], name="participation_once_per_party"),
            models.CheckConstraint(
                condition=~Q(status=ParticipationStatus.ACTIVE)
                | Q(lead_accepted_at__isnull=False, party_confirmed_at__isnull=False),
                name="participation_active_needs_both_consents",
            ),
        ]
        # "Led by or active in party X" (the library's, the API's and the dashboard's party filter):
        # the projects of a party's active participations from the index alone.
        indexes = [models.Index(fields=["party", "status", "project"], name="participation_party_status")]
        verbose_name = _("participation")
        verbose_name_plural = _("participations")

    def __str__(self):
        return f"{self.party.code} in {self.project} ({self.status})"


class Transition(models.Model):
    """One step of a project's lifecycle: who, when, from, to, why."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=16, choices=ProjectStatus.choices)
    to_status = models.CharField(max_length=16, choices=ProjectStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("lifecycle transition")
        verbose_name_plural = _("lifecycle transitions")

    def __str__(self):
        return f"{self.project}: {self.from_status} → {self.to_status}"


class ReviewComment(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="review_comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("review comment")
        verbose_name_plural = _("review comments")

    def __str__(self):
        return self.text[:60]


class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("milestone"), max_length=300)
    due_on = models.DateField(_("due date"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self):
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.done_on is None and self.due_on < timezone.localdate()


class ProgressReport(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="progress_reports")
    party = models.ForeignKey("registry.Party", on_delete=models.PROTECT, related_name="progress_reports")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    narrative = models.TextField(_("progress"))
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    percent_complete = models.PositiveSmallIntegerField(
        _("percent complete"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    submitted_on = models.DateField(_("reported on"), default=timezone.localdate)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-submitted_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="report_period_order"),
            models.CheckConstraint(condition=Q(percent_complete__lte=100), name="report_percent_at_most_100"),
        ]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")

    def __str__(self):
        return f"{self.project} {self.period_start}–{self.period_end}"


class Indicator(models.Model):
    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="indicators")
    name = models.CharField(_("indicator"), max_length=200)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    baseline = models.DecimalField(_("baseline"), max_digits=18, decimal_places=2, null=True, blank=True)
    target = models.DecimalField(_("target"), max_digits=18, decimal_places=2, null=True, blank=True)
    actual = models.DecimalField(_("actual"), max_digits=18, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self):
        return self.name


def document_path(instance, filename):
    return f"projects/{instance.project_id}/{timezone.now():%Y%m%d%H%M%S}-{filename}"


class Document(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=document_path)
    content_type = models.CharField(max_length=120, editable=False)
    size = models.PositiveIntegerField(editable=False)
    restricted = models.BooleanField(_("participants and coordinators only"), default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self):
        return self.title


class ReferenceSequence(models.Model):
    """The last reference number handed out per prefix and year (DEGD-2025-0042)."""

    prefix = models.CharField(max_length=16)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="reference_sequence_unique")]

    def __str__(self):
        return f"{self.prefix}-{self.year}: {self.last}"


class Health(models.TextChoices):
    GREEN = "green", _("Reporting is current")
    AMBER = "amber", _("Report due (6–12 months)")
    RED = "red", _("Reporting overdue")


HEALTH_AMBER_AFTER = timedelta(days=183)
HEALTH_RED_AFTER = timedelta(days=365)


def reporting_health(*, status, last_report_on, has_overdue_milestone, started_on=None, today=None):
    """Green: a report within 6 months; amber: 6–12 months; red: none for 12 months or a milestone overdue.

    Only ongoing projects have a health. Without any report yet, the clock runs from the project start.
    """
    if status != ProjectStatus.ONGOING:
        return None
    today = today or timezone.localdate()
    if has_overdue_milestone:
        return Health.RED
    reference = last_report_on or started_on
    if reference is None:
        return Health.RED
    age = today - reference
    if age > HEALTH_RED_AFTER:
        return Health.RED
    if age > HEALTH_AMBER_AFTER:
        return Health.AMBER
    return Health.GREEN


class ImportBatch(models.Model):
    """An uploaded spreadsheet between its preview and its confirmation (applied whole or not at all)."""

    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    party = models.ForeignKey("registry.Party", on_delete=models.CASCADE, related_name="+", null=True, blank=True)
    filename = models.CharField(max_length=255)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("spreadsheet import")
        verbose_name_plural = _("spreadsheet imports")

    def __str__(self):
        return self.filename


class ExchangeRate(models.Model):
    """What one unit of `currency` was worth in the reference currency (USD) from `valid_on`.

    Coordinators keep the table in the admin. The dashboard converts a budget with the latest
    rate on or before the date chosen, and says which date that was; currencies without such a
    rate are listed, not guessed."""

    REFERENCE_CURRENCY = "USD"

    currency = models.CharField(_("currency"), max_length=3, help_text=_("ISO 4217 code, such as CNY."))
    valid_on = models.DateField(_("valid from"))
    rate = models.DecimalField(
        _("value in US dollars"),
        max_digits=20,
        decimal_places=10,
        validators=[MinValueValidator(0)],
        help_text=_("What one unit of the currency is worth in US dollars."),
    )
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        ordering = ["currency", "-valid_on"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "valid_on"], name="exchange_rate_once_per_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchange_rate_positive"),
        ]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")

    def __str__(self):
        return f"{self.currency} {self.valid_on}: {self.rate} {self.REFERENCE_CURRENCY}"

    def clean(self):
        from django.core.exceptions import ValidationError

        from .choices import is_currency

        self.currency = (self.currency or "").strip().upper()
        if not is_currency(self.currency):
            raise ValidationError({"currency": _("Use an ISO 4217 currency code, such as CNY or EUR.")})
