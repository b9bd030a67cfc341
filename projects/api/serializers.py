"""Representations of projects for partner systems, and the payload they write.

Reads are built by `attach_related`: the page of projects (one query, with the lead party,
lead organization and reporting inputs), their participations (one query) and every other
relation (article tags, themes, SDGs, external ids) in a single UNION query, whatever the
page size. Disclosure follows the web: contact and restricted budget only for those allowed.
"""

from collections import defaultdict

from django.db.models import CharField, F, Prefetch, Value, prefetch_related_objects
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.fields import TranslatedJSONField
from framework.models import Article
from projects import selectors
from projects.choices import (
    BeneficiaryGroup,
    CooperationMode,
    Language,
    ParticipationRole,
    ParticipationStatus,
    ProjectStatus,
    ProjectType,
)
from projects.models import (
    Document,
    ExternalId,
    Health,
    Indicator,
    Milestone,
    Participation,
    ProgressReport,
    Project,
    ProjectArticle,
)
from projects.services import TRANSITIONS
from projects.services.editing import ArticleTag
from registry.models import Organization

TRUE_TEXT = {"1", "true", "t"}
TRANSITION_CHOICES = [(name, step.label) for name, step in TRANSITIONS.items()]


def _text(expression):
    return Cast(expression, output_field=CharField())


def _null():
    return Cast(Value(None), output_field=CharField())


def _related_rows(ids):
    """(kind, project_id, a, b, c, d, e) rows of every many-valued relation, in one UNION query."""
    links = ProjectArticle.objects.filter(project_id__in=ids).order_by()
    links = links.values_list(
        _text(Value("article")),
        "project_id",
        _text(F("article__framework__code")),
        _text(F("article__number")),
        _text(F("article__pillar__number")),
        _text(F("is_primary")),
        _text(F("note")),
    )
    themes = Project.themes.through.objects.filter(project_id__in=ids).order_by()
    themes = themes.values_list(
        _text(Value("theme")), "project_id", _text(F("theme__name")), _null(), _null(), _null(), _null()
    )
    sdgs = Project.sdgs.through.objects.filter(project_id__in=ids).order_by()
    sdgs = sdgs.values_list(_text(Value("sdg")), "project_id", _text(F("sdg_id")), _null(), _null(), _null(), _null())
    external = ExternalId.objects.filter(project_id__in=ids).order_by()
    external = external.values_list(
        _text(Value("external")), "project_id", _text(F("source")), _text(F("external_id")), _null(), _null(), _null()
    )
    return links.union(themes, sdgs, external, all=True)


def attach_related(projects: list[Project]) -> list[Project]:
    """Load what the representation needs for `projects` in two queries (participations, the rest)."""
    if not projects:
        return projects
    # As `selectors.participations_prefetch()`, with a tie-breaker: the order is part of the representation.
    participations = Participation.objects.select_related("party").order_by("-role", "pk")
    prefetch_related_objects(projects, Prefetch("participations", queryset=participations))
    by_project = defaultdict(lambda: defaultdict(list))
    for kind, project_id, a, b, c, d, e in _related_rows([project.pk for project in projects]):
        by_project[project_id][kind].append((a, b, c, d, e))
    for project in projects:
        rows = by_project[project.pk]
        articles = [
            {"framework": a, "number": int(b), "pillar": int(c) if c else None, "primary": d in TRUE_TEXT, "note": e}
            for a, b, c, d, e in rows["article"]
        ]
        articles.sort(key=lambda tag: (not tag["primary"], tag["framework"], tag["number"]))
        project.api_articles = articles
        project.api_pillars = sorted({tag["pillar"] for tag in articles if tag["pillar"] is not None})
        project.api_themes = sorted((row[0] for row in rows["theme"]), key=str.casefold)
        project.api_sdgs = sorted(int(row[0]) for row in rows["sdg"])
        project.api_external_ids = sorted(({"source": a, "external_id": b} for a, b, *_ in rows["external"]), key=str)
    return projects


# --- Read ---------------------------------------------------------------------------------


class ProjectArticleTagSerializer(serializers.Serializer):
    framework = serializers.CharField(help_text="Framework code, such as DEGD-2023.")
    number = serializers.IntegerField(help_text="Article number within the framework.")
    primary = serializers.BooleanField(help_text="The project's primary article (exactly one per project).")
    note = serializers.CharField(allow_blank=True, help_text="How the project serves this article.")


class ProjectExternalIdSerializer(serializers.Serializer):
    source = serializers.CharField(help_text="The partner system that gave the id.")
    external_id = serializers.CharField(help_text="The project's id in that system.")


class ProjectBudgetSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, help_text="Total budget.")
    currency = serializers.CharField(help_text="ISO 4217 currency code.")


class ProjectContactSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True, help_text="Contact person.")
    email = serializers.EmailField(allow_blank=True, help_text="Contact e-mail.")
    phone = serializers.CharField(allow_blank=True, help_text="Contact telephone.")
    restricted = serializers.BooleanField(help_text="Shown to participants and coordinators only.")


class ProjectParticipationSerializer(serializers.Serializer):
    party = serializers.CharField(source="party.code", help_text="Party code.")
    role = serializers.ChoiceField(choices=ParticipationRole.choices, help_text="The party's role.")
    status = serializers.ChoiceField(
        choices=ParticipationStatus.choices, help_text="Active once the lead and the party have both consented."
    )


class ProjectOrganizationSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="Organization id.")
    name = TranslatedJSONField(help_text="Name in each language.")

    class Meta:
        model = Organization
        fields = ["id", "name"]


def _actor(serializer):
    request = serializer.context.get("request")
    return request.user if request is not None else None


class ProjectListSerializer(serializers.Serializer):
    """A project as partner systems receive it (needs `attach_related` first)."""

    id = serializers.IntegerField(read_only=True, help_text="Library id of the project.")
    reference_code = serializers.CharField(
        allow_null=True, read_only=True, help_text="Reference code, given at publication (DEGD-2025-0042)."
    )
    status = serializers.ChoiceField(choices=ProjectStatus.choices, help_text="Lifecycle status.")
    language = serializers.ChoiceField(choices=Language.choices, help_text="The language the submitter wrote in.")
    title = TranslatedJSONField(help_text="Title in each language (empty where not translated).")
    summary = TranslatedJSONField(help_text="Summary in each language (empty where not translated).")
    lead_party = serializers.CharField(source="lead_party.code", help_text="Code of the lead party.")
    lead_organization = ProjectOrganizationSerializer(
        allow_null=True, read_only=True, help_text="The lead organization, or null."
    )
    cooperation_mode = serializers.ChoiceField(
        choices=CooperationMode.choices, allow_blank=True, help_text="Cooperation mode (empty when not given)."
    )
    project_type = serializers.ChoiceField(
        choices=ProjectType.choices, allow_blank=True, help_text="Project type (empty when not given)."
    )
    articles = ProjectArticleTagSerializer(
        source="api_articles", many=True, read_only=True, help_text="Article tags, the primary one first."
    )
    pillars = serializers.ListField(
        source="api_pillars",
        child=serializers.IntegerField(),
        read_only=True,
        help_text="Pillar numbers, derived from the tagged articles.",
    )
    themes = serializers.ListField(
        source="api_themes", child=serializers.CharField(), read_only=True, help_text="Free theme tags."
    )
    sdgs = serializers.ListField(
        source="api_sdgs", child=serializers.IntegerField(), read_only=True, help_text="SDG numbers (1 to 17)."
    )
    beneficiary_groups = serializers.ListField(
        child=serializers.ChoiceField(choices=BeneficiaryGroup.choices), help_text="Beneficiary groups."
    )
    early_harvest = serializers.BooleanField(help_text="An early harvest project.")
    countries = serializers.ListField(child=serializers.CharField(), help_text="ISO 3166-1 alpha-3 country codes.")
    places = serializers.CharField(allow_blank=True, help_text="Places, in free text.")
    start_on = serializers.DateField(allow_null=True, help_text="Start date.")
    end_on = serializers.DateField(allow_null=True, help_text="End date.")
    budget = serializers.SerializerMethodField(
        help_text="Budget, or null when there is none or it is restricted and the caller may not see it."
    )
    contact = serializers.SerializerMethodField(
        help_text="Contact, or null: never for anonymous callers, and when restricted only for those allowed."
    )
    participations = serializers.SerializerMethodField(
        help_text="Participating parties: active ones only, unless the caller is the lead party or a coordinator."
    )
    reporting_health = serializers.SerializerMethodField(
        help_text="Reporting health of an ongoing project (green, amber, red), null otherwise."
    )
    external_ids = ProjectExternalIdSerializer(
        source="api_external_ids", many=True, read_only=True, help_text="Partner systems' own ids."
    )
    created_at = serializers.DateTimeField(read_only=True, help_text="When the project was created.")
    updated_at = serializers.DateTimeField(read_only=True, help_text="When the project last changed.")

    def _restricted_visible(self, project) -> bool:
        actor = _actor(self)
        return actor is not None and selectors.can_see_restricted(actor, project)

    @extend_schema_field(ProjectBudgetSerializer(allow_null=True))
    def get_budget(self, project):
        if project.budget_amount is None:
            return None
        if project.budget_restricted and not self._restricted_visible(project):
            return None
        return ProjectBudgetSerializer({"amount": project.budget_amount, "currency": project.budget_currency}).data

    @extend_schema_field(ProjectContactSerializer(allow_null=True))
    def get_contact(self, project):
        actor = _actor(self)
        if actor is None or not actor.is_authenticated:
            return None
        if project.contact_restricted and not self._restricted_visible(project):
            return None
        return {
            "name": project.contact_name,
            "email": project.contact_email,
            "phone": project.contact_phone,
            "restricted": project.contact_restricted,
        }

    @extend_schema_field(ProjectParticipationSerializer(many=True))
    def get_participations(self, project):
        actor = _actor(self)
        everyone = actor is not None and (
            actor.has_perm("projects.view_history", project)  # the lead party or a coordinator
        )
        rows = project.participations.all() if everyone else selectors.active_participations(project)
        return ProjectParticipationSerializer(rows, many=True).data

    @extend_schema_field(serializers.ChoiceField(choices=Health.choices, allow_null=True))
    def get_reporting_health(self, project):
        health = selectors.health_of(project)
        return str(health) if health else None


class ProjectDetailSerializer(ProjectListSerializer):
    """One project: the list representation plus its funding sources and web page."""

    funding_sources = serializers.SerializerMethodField(
        help_text="Funding sources; empty when the budget is restricted and the caller may not see it."
    )
    web_url = serializers.SerializerMethodField(help_text="The project's page in the library.")

    def get_funding_sources(self, project) -> str:
        if project.budget_restricted and not self._restricted_visible(project):
            return ""
        return project.funding_sources

    @extend_schema_field(serializers.URLField())
    def get_web_url(self, project) -> str:
        request = self.context.get("request")
        path = project.get_absolute_url()
        return request.build_absolute_uri(path) if request else path


class MilestoneSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="Milestone id.")
    title = serializers.CharField(help_text="What is to be achieved.")
    due_on = serializers.DateField(help_text="Due date.")
    done_on = serializers.DateField(allow_null=True, help_text="When it was achieved, or null.")
    overdue = serializers.BooleanField(source="is_overdue", read_only=True, help_text="Past due and not done.")

    class Meta:
        model = Milestone
        fields = ["id", "title", "due_on", "done_on", "overdue"]


class IndicatorSerializer(serializers.ModelSerializer):
    name = serializers.CharField(help_text="Indicator.")
    unit = serializers.CharField(allow_blank=True, help_text="Unit of measure.")
    baseline = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True, help_text="Baseline.")
    target = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True, help_text="Target.")
    actual = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True, help_text="Actual value.")

    class Meta:
        model = Indicator
        fields = ["name", "unit", "baseline", "target", "actual"]


class ProgressReportSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="Report id.")
    party = serializers.CharField(source="party.code", help_text="Code of the reporting party.")
    period_start = serializers.DateField(help_text="Start of the period reported on.")
    period_end = serializers.DateField(help_text="End of the period reported on.")
    narrative = serializers.CharField(help_text="Progress in the period.")
    language = serializers.ChoiceField(choices=Language.choices, help_text="Language of the narrative.")
    percent_complete = serializers.IntegerField(help_text="Percent complete (0 to 100).")
    submitted_on = serializers.DateField(help_text="When it was reported.")
    indicators = IndicatorSerializer(many=True, read_only=True, help_text="Indicators measured.")

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "party",
            "period_start",
            "period_end",
            "narrative",
            "language",
            "percent_complete",
            "submitted_on",
            "indicators",
        ]


class DocumentMetadataSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="Document id.")
    title = serializers.CharField(help_text="Title.")
    content_type = serializers.CharField(help_text="Media type of the file.")
    size = serializers.IntegerField(help_text="Size in bytes.")
    restricted = serializers.BooleanField(help_text="For participants and coordinators only.")
    uploaded_at = serializers.DateTimeField(help_text="When it was uploaded.")
    download_url = serializers.SerializerMethodField(
        help_text="The file in the web library (a signed-in session that may see it is needed)."
    )

    class Meta:
        model = Document
        fields = ["id", "title", "content_type", "size", "restricted", "uploaded_at", "download_url"]

    @extend_schema_field(serializers.URLField())
    def get_download_url(self, document) -> str:
        from django.urls import reverse

        path = reverse("projects:document", kwargs={"pk": document.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


# --- Write --------------------------------------------------------------------------------


class TranslatedTextInputSerializer(serializers.Serializer):
    """`{"zh-hans": …, "en": …}`; a language left out keeps its current text on PATCH, and is emptied on PUT."""

    def get_fields(self):
        return {
            "zh-hans": serializers.CharField(required=False, allow_blank=True, help_text="Chinese text."),
            "en": serializers.CharField(required=False, allow_blank=True, help_text="English text."),
        }


class ArticleTagInputSerializer(serializers.Serializer):
    framework = serializers.CharField(default="DEGD-2023", help_text="Framework code (DEGD-2023 when left out).")
    number = serializers.IntegerField(min_value=1, help_text="Article number within the framework.")
    primary = serializers.BooleanField(default=False, help_text="Exactly one tag must be the primary one.")
    note = serializers.CharField(
        default="", allow_blank=True, max_length=500, help_text="How the project serves the article."
    )


class BudgetInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0, help_text="Total budget.")
    currency = serializers.CharField(max_length=3, help_text="ISO 4217 currency code.")


class ContactInputSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="Contact person.")
    email = serializers.EmailField(required=False, allow_blank=True, help_text="Contact e-mail.")
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40, help_text="Contact telephone.")
    restricted = serializers.BooleanField(required=False, help_text="For participants and coordinators only.")


# What PUT (a full replacement) sets for every field the payload leaves out: each model default.
REPLACED_FIELDS = {
    "title_zh_hans": "",
    "title_en": "",
    "summary_zh_hans": "",
    "summary_en": "",
    "lead_organization": None,
    "cooperation_mode": "",
    "project_type": "",
    "beneficiary_groups": [],
    "early_harvest": False,
    "countries": [],
    "places": "",
    "start_on": None,
    "end_on": None,
    "budget_amount": None,
    "budget_currency": "",
    "budget_restricted": False,
    "funding_sources": "",
    "contact_name": "",
    "contact_email": "",
    "contact_phone": "",
    "contact_restricted": True,
}


class ProjectWriteSerializer(serializers.Serializer):
    """What a partner system sends to create or change a project. On PATCH fields left out keep
    their value; on PUT (a full replacement) they are reset to their defaults (empty text, empty
    lists, null dates and budget, a restricted contact). Lists replace the stored list."""

    lead_party = serializers.CharField(
        required=False,
        help_text="Code of the lead party. It always comes from the caller: another party's code is refused.",
    )
    language = serializers.ChoiceField(choices=Language.choices, help_text="The language you write in.")
    title = TranslatedTextInputSerializer(help_text="Title in each language; required in `language`.")
    summary = TranslatedTextInputSerializer(required=False, help_text="Summary in each language.")
    lead_organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(),
        required=False,
        allow_null=True,
        help_text="Id of the lead organization (of the lead party).",
    )
    cooperation_mode = serializers.ChoiceField(
        choices=CooperationMode.choices, required=False, allow_blank=True, help_text="Cooperation mode."
    )
    project_type = serializers.ChoiceField(
        choices=ProjectType.choices, required=False, allow_blank=True, help_text="Project type."
    )
    articles = ArticleTagInputSerializer(many=True, required=False, help_text="Article tags; exactly one primary.")
    themes = serializers.ListField(
        child=serializers.CharField(max_length=80), required=False, max_length=50, help_text="Free theme tags."
    )
    sdgs = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=17),
        required=False,
        max_length=17,
        help_text="SDG numbers.",
    )
    beneficiary_groups = serializers.ListField(
        child=serializers.ChoiceField(choices=BeneficiaryGroup.choices), required=False, help_text="Beneficiaries."
    )
    early_harvest = serializers.BooleanField(required=False, help_text="An early harvest project.")
    countries = serializers.ListField(
        child=serializers.CharField(max_length=3), required=False, help_text="ISO 3166-1 alpha-3 codes."
    )
    places = serializers.CharField(required=False, allow_blank=True, max_length=300, help_text="Places.")
    start_on = serializers.DateField(required=False, allow_null=True, help_text="Start date.")
    end_on = serializers.DateField(required=False, allow_null=True, help_text="End date.")
    budget = BudgetInputSerializer(required=False, allow_null=True, help_text="Budget, or null for none.")
    budget_restricted = serializers.BooleanField(
        required=False, help_text="Budget for participants and coordinators only."
    )
    funding_sources = serializers.CharField(required=False, allow_blank=True, help_text="Funding sources.")
    contact = ContactInputSerializer(required=False, help_text="Contact (never shown publicly).")

    def validate(self, attrs):
        """Unknown keys are refused rather than ignored (a partner sending `status` must learn it does nothing)."""
        unknown = sorted(set(getattr(self, "initial_data", {}) or {}) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: [_("This field cannot be set here.")] for name in unknown})
        return attrs

    def validate_articles(self, tags):
        # On PATCH the nested tags are partial too: DRF neither requires `number` nor fills the defaults.
        if any("number" not in tag for tag in tags):
            raise serializers.ValidationError(_("Give the number of every article."))
        tags = [{"framework": "DEGD-2023", "primary": False, "note": "", **tag} for tag in tags]
        wanted = {(tag["framework"].upper(), tag["number"]) for tag in tags}
        found = {
            (article.framework.code.upper(), article.number): article
            for article in Article.objects.select_related("framework").filter(number__in={n for _f, n in wanted})
            if (article.framework.code.upper(), article.number) in wanted
        }
        missing = sorted(f"{code} {number}" for code, number in wanted - set(found))
        if missing:
            raise serializers.ValidationError(_("Unknown article: %(articles)s.") % {"articles": ", ".join(missing)})
        return [
            ArticleTag(found[(tag["framework"].upper(), tag["number"])], is_primary=tag["primary"], note=tag["note"])
            for tag in tags
        ]

    def service_arguments(self, *, replace: bool = False) -> dict:
        """The validated payload as `project_create` / `project_update` keyword arguments;
        with `replace` (PUT), every field and relation left out is reset to its default."""
        data = dict(self.validated_data)
        fields = dict(REPLACED_FIELDS) if replace else {}
        for name in ("title", "summary"):
            for code, text in (data.pop(name, None) or {}).items():
                fields[f"{name}_{code.replace('-', '_')}"] = text
        if "budget" in data:
            budget = data.pop("budget")
            fields["budget_amount"] = budget["amount"] if budget else None
            fields["budget_currency"] = budget["currency"].upper() if budget else ""
        for key, value in (data.pop("contact", None) or {}).items():
            fields[f"contact_{key}"] = value
        data.pop("lead_party", None)
        left_out = [] if replace else None
        arguments = {
            "article_tags": data.pop("articles", left_out),
            "theme_names": data.pop("themes", left_out),
            "sdg_numbers": data.pop("sdgs", left_out),
        }
        if "countries" in data:
            data["countries"] = [code.upper() for code in data["countries"]]
        fields.update(data)
        return {"fields": fields, **arguments}


class TransitionInputSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=TRANSITION_CHOICES,
        help_text="The lifecycle action, with the same rules as the web.",
    )
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Why (required to return or cancel)."
    )
