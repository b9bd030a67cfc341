"""Filters of the public library, for the library page and the REST API alike.

Every value comes from a query string and is parsed by a form field: nothing the user types
becomes a lookup name. Relations with many rows per project (article tags, participations,
SDGs) are matched with EXISTS, so a project never appears twice and no DISTINCT is needed.
Pillars and articles are numbered within a framework: the one chosen, or the primary one
(DEGD-2023) when none is.
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_filters.fields import ModelChoiceField
from drf_spectacular.utils import extend_schema_field

from config.i18n import active_language, column_suffix
from framework.models import Article, Framework
from registry.models import Party

from .choices import PUBLIC_STATUSES, CooperationMode, ParticipationStatus, ProjectType
from .models import Health, Participation, Project, ProjectArticle, Sdg
from .search import search_projects

SORTS = {
    "relevance": _("Best match"),
    "recent": _("Most recently published"),
    "title": _("Title"),
    "start": _("Start date"),
    "reference": _("Reference code"),
}


class CodeChoiceField(ModelChoiceField):
    """A choice by code, whatever its case: `ken` is `KEN`."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if "\x00" in str(value):  # no code holds one, and PostgreSQL refuses it in a query
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})
        match = self.queryset.filter(**{f"{self.to_field_name}__iexact": str(value).strip()}).first()
        if match is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})
        return match


YES = {"yes", "true", "1", "on"}
NO = {"no", "false", "0", "off"}


class YesCheckbox(forms.CheckboxInput):
    """A checkbox sent as `…=yes`, so that the URL reads naturally."""

    def __init__(self, attrs=None):
        super().__init__(attrs, check_test=lambda value: value is True or str(value).lower() in YES)

    def format_value(self, value):
        return "yes"

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class YesNoField(forms.Field):
    widget = YesCheckbox

    def to_python(self, value):
        if value in self.empty_values or value is False:
            return None
        text = str(value).strip().lower()
        if text in YES:
            return True
        if text in NO:
            return False
        raise ValidationError(_("Use “yes”, “no”, or leave it out."), code="invalid")


class CodeChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = CodeChoiceField


class YesNoFilter(django_filters.BooleanFilter):
    field_class = YesNoField


def _api(kind: str, description: str):
    """The parameter as the OpenAPI schema shows it (choices here depend on the framework chosen)."""
    return extend_schema_field({"type": kind, "description": description})


def _tagged(**article_lookup):
    """EXISTS: the project is tagged to an article matching `article_lookup`."""
    return Exists(ProjectArticle.objects.filter(project=OuterRef("pk"), **article_lookup))


class ProjectFilter(django_filters.FilterSet):
    """Search, filters and sort order of the public library (pass it `Project.objects.public()`)."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_search", max_length=200, widget=forms.SearchInput)
    framework = CodeChoiceFilter(
        label=_("Framework"),
        queryset=Framework.objects.all(),
        to_field_name="code",
        method="filter_framework",
        empty_label=_("All frameworks"),
        error_messages={"invalid_choice": _("There is no framework with the code “%(value)s”.")},
    )
    pillar = django_filters.ChoiceFilter(
        label=_("Pillar"), method="filter_pillar", choices=[], empty_label=_("All pillars")
    )
    article = django_filters.ChoiceFilter(
        label=_("Article"), method="filter_article", choices=[], empty_label=_("All articles")
    )
    article_id = django_filters.ModelChoiceFilter(
        label=_("Article (library id)"),
        queryset=Article.objects.all(),
        method="filter_article_id",
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("There is no article with the id “%(value)s”.")},
    )
    party = CodeChoiceFilter(
        label=_("Party (lead or participant)"),
        queryset=Party.objects.all(),
        to_field_name="code",
        method="filter_party",
        empty_label=_("All parties"),
        error_messages={"invalid_choice": _("There is no party with the code “%(value)s”.")},
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=[(status.value, status.label) for status in PUBLIC_STATUSES], empty_label=_("Any")
    )
    cooperation_mode = django_filters.ChoiceFilter(
        label=_("Cooperation mode"), choices=CooperationMode.choices, empty_label=_("Any")
    )
    project_type = django_filters.ChoiceFilter(
        label=_("Project type"), choices=ProjectType.choices, empty_label=_("Any")
    )
    sdg = django_filters.ModelChoiceFilter(
        label=_("Sustainable Development Goal"),
        queryset=Sdg.objects.all(),
        method="filter_sdg",
        empty_label=_("Any"),
        error_messages={"invalid_choice": _("There is no SDG “%(value)s”: the goals are numbered 1 to 17.")},
    )
    early_harvest = YesNoFilter(label=_("Early harvest projects only"))
    health = django_filters.ChoiceFilter(
        label=_("Reporting health"), choices=Health.choices, method="filter_health", empty_label=_("Any")
    )
    published_from = django_filters.DateFilter(
        label=_("Published on or after"),
        field_name="published_at__date",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    published_to = django_filters.DateFilter(
        label=_("Published on or before"),
        field_name="published_at__date",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"), choices=list(SORTS.items()), method="filter_sort", empty_label=None
    )

    class Meta:
        model = Project
        fields = []

    @property
    def form(self):
        """The form, with pillar and article choices of the framework in question."""
        if not hasattr(self, "_form"):
            form = super().form
            framework, articles = self._structure()
            self.structure_framework = framework
            self.structure_articles = {article.number: article for article in articles}
            self.structure_pillars = {a.pillar.number: a.pillar for a in articles if a.pillar_id}
            code = framework.code if framework else ""
            form.fields["pillar"].choices = [
                (number, gettext("Pillar %(number)s · %(title)s") % {"number": number, "title": pillar.title})
                for number, pillar in sorted(self.structure_pillars.items())
            ]
            form.fields["pillar"].error_messages["invalid_choice"] = gettext(
                "There is no pillar %(value)s in %(framework)s."
            ).replace("%(framework)s", code)
            form.fields["article"].choices = [
                (number, gettext("Article %(number)s · %(text)s") % {"number": number, "text": _excerpt(article)})
                for number, article in sorted(self.structure_articles.items())
            ]
            form.fields["article"].error_messages["invalid_choice"] = gettext(
                "There is no article %(value)s in %(framework)s."
            ).replace("%(framework)s", code)
        return self._form

    def _structure(self):
        """The framework whose pillars and articles are offered, and its articles (two queries)."""
        code = str(self.data.get("framework") or "").strip().replace("\x00", "")  # refused by the form
        wanted = Q(is_primary=True) | Q(code__iexact=code) if code else Q(is_primary=True)
        candidates = list(Framework.objects.filter(wanted))
        chosen = [framework for framework in candidates if framework.code.casefold() == code.casefold()]
        framework = (chosen or [f for f in candidates if f.is_primary] or [None])[0]
        if framework is None:
            return None, []
        articles = Article.objects.filter(framework=framework).select_related("pillar").order_by("number")
        return framework, list(articles)

    @_api("string", "Words or a phrase (Chinese or English) that every result contains.")
    def filter_search(self, queryset, name, value):
        return search_projects(queryset, value)

    @_api("string", "Framework code, such as DEGD-2023: projects tagged to any of its articles.")
    def filter_framework(self, queryset, name, value):
        return queryset.filter(_tagged(article__framework=value))

    @_api("integer", "Pillar number within `framework` (DEGD-2023 when no framework is given).")
    def filter_pillar(self, queryset, name, value):
        return queryset.filter(_tagged(article__pillar=self.structure_pillars[int(value)]))

    @_api("integer", "Article number within `framework` (DEGD-2023 when no framework is given).")
    def filter_article(self, queryset, name, value):
        return queryset.filter(_tagged(article=self.structure_articles[int(value)]))

    @_api("integer", "Article id, as the framework API gives it.")
    def filter_article_id(self, queryset, name, value):
        return queryset.filter(_tagged(article=value))

    @_api("string", "Party code: projects it leads or actively takes part in.")
    def filter_party(self, queryset, name, value):
        """Led by the party, or with the party's active (both-sides consented) participation."""
        active = Participation.objects.filter(project=OuterRef("pk"), party=value, status=ParticipationStatus.ACTIVE)
        return queryset.filter(Q(lead_party=value) | Exists(active))

    @_api("integer", "Sustainable Development Goal number (1 to 17).")
    def filter_sdg(self, queryset, name, value):
        return queryset.filter(Exists(Project.sdgs.through.objects.filter(project_id=OuterRef("pk"), sdg=value)))

    def filter_health(self, queryset, name, value):
        return queryset.filter(pk__in=Project.objects.with_health(value).values("pk"))

    def filter_sort(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset, once the search is known

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        ranked = "search_rank" in queryset.query.annotations  # a search with at least one term
        return queryset.order_by(*self.ordering(ranked=ranked))

    def ordering(self, *, ranked: bool) -> list:
        sort = self.form.cleaned_data.get("sort") or "relevance"
        recent = [F("published_at").desc(nulls_last=True), "-pk"]
        if sort == "relevance":
            return [F("search_rank").desc(), *recent] if ranked else recent
        if sort == "title":
            return [_title_in_active_language().asc(), "pk"]
        if sort == "start":
            return [F("start_on").asc(nulls_last=True), "pk"]
        if sort == "reference":
            return [F("reference_code").asc(nulls_last=True), "pk"]
        return recent


def _title_in_active_language():
    """The title people see: the active language's, or the other one when it is missing."""
    mine = column_suffix(active_language())
    other = "en" if mine == "zh_hans" else "zh_hans"
    return Coalesce(NullIf(F(f"title_{mine}"), Value("")), F(f"title_{other}"))


def _excerpt(article) -> str:
    return article.title or Truncator(article.text).chars(48)
