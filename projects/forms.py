"""The project form (create and edit): it only parses what officers type.

The services decide and validate; their field-keyed errors are put back beside these fields
(`ProjectForms.add_service_error`). The form repeats the few cheap checks of the services (dates
in order, one primary article…) so that every mistake shows at once, not one per round trip."""

import re
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.i18n import active_language
from framework.models import Article
from registry.models import Organization, Party

from .choices import BeneficiaryGroup, CooperationMode, Language, ProjectType, country_choices, currency_choices
from .models import Milestone, Project, ProjectArticle, Sdg
from .services import document_check
from .services.editing import CONTENT_FIELDS, ArticleTag

THEME_SEPARATORS = re.compile(r"[,，、;；\n]+")
MAX_MILESTONES = 100
NOTE_MAX_LENGTH = ProjectArticle._meta.get_field("note").max_length


def _label(model, name):
    return capfirst(model._meta.get_field(name).verbose_name)


def _text(name, *, rows=None, lang=None, **kwargs):
    """A project text field labelled with the model's (translatable) verbose name."""
    attrs = {"lang": lang} if lang else {}
    widget = forms.Textarea(attrs={"rows": rows, **attrs}) if rows else forms.TextInput(attrs=attrs)
    max_length = Project._meta.get_field(name).max_length
    return forms.CharField(label=_label(Project, name), required=False, max_length=max_length, widget=widget, **kwargs)


def _flag(name, **kwargs):
    return forms.BooleanField(label=_label(Project, name), required=False, **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


@dataclass
class Catalogue:
    """The choices the form offers, each read once per request."""

    articles: list
    sdgs: list
    organizations: list
    parties: list | None  # only when a coordinator creates a project and names its lead party


def load_catalogue(*, user, project=None) -> Catalogue:
    articles = list(
        Article.objects.with_structure().order_by(
            "-framework__is_primary", "-framework__adopted_on", "framework__code", "number"
        )
    )
    organizations = Organization.objects.select_related("party").order_by("party__code", "name_en", "name_zh_hans")
    parties = None
    if project is not None:
        organizations = organizations.filter(party_id=project.lead_party_id)
    elif user.is_coordinator:
        parties = list(Party.objects.order_by("code"))
    else:
        organizations = organizations.filter(party_id=user.party_id)
    return Catalogue(articles, list(Sdg.objects.all()), list(organizations), parties)


class ProjectForm(forms.Form):
    language = forms.ChoiceField(
        label=_label(Project, "language"),
        choices=Language.choices,
        widget=forms.RadioSelect,
        help_text=_("Give the title in this language; the other language is an optional translation."),
    )
    title_zh_hans = _text("title_zh_hans", lang="zh-Hans")
    summary_zh_hans = _text("summary_zh_hans", rows=6, lang="zh-Hans")
    title_en = _text("title_en", lang="en")
    summary_en = _text("summary_en", rows=6, lang="en")
    lead_party = forms.TypedChoiceField(label=_("Lead party"), coerce=int)
    lead_organization = forms.TypedChoiceField(
        label=_label(Project, "lead_organization"), coerce=int, required=False, empty_value=None
    )
    cooperation_mode = forms.ChoiceField(
        label=_label(Project, "cooperation_mode"),
        required=False,
        choices=[("", _("Not chosen yet")), *CooperationMode.choices],
        help_text=_("Needed before you submit."),
    )
    project_type = forms.ChoiceField(
        label=_label(Project, "project_type"),
        required=False,
        choices=[("", _("Not chosen yet")), *ProjectType.choices],
        help_text=_("Needed before you submit."),
    )
    early_harvest = _flag("early_harvest", help_text=_("A result the parties can show early, as the framework asks."))
    beneficiary_groups = forms.MultipleChoiceField(
        label=_label(Project, "beneficiary_groups"),
        required=False,
        choices=BeneficiaryGroup.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    sdgs = forms.TypedMultipleChoiceField(
        label=_("Sustainable Development Goals"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    themes = forms.CharField(
        label=_label(Project, "themes"),
        required=False,
        max_length=2000,
        help_text=_("Free tags, separated by commas: for example paperless trade, single window, e-invoices."),
    )
    articles = forms.TypedMultipleChoiceField(label=_("Articles"), coerce=int, required=False)
    primary_article = forms.TypedChoiceField(label=_("Primary article"), coerce=int, required=False, empty_value=None)
    contact_name = _text("contact_name")
    contact_email = forms.EmailField(label=_label(Project, "contact_email"), required=False, max_length=254)
    contact_phone = _text("contact_phone")
    contact_restricted = _flag("contact_restricted", help_text=Project._meta.get_field("contact_restricted").help_text)
    countries = forms.MultipleChoiceField(
        label=_label(Project, "countries"),
        required=False,
        choices=country_choices,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Where the project takes place. Hold Ctrl (⌘ on a Mac) to choose several."),
    )
    places = _text("places", help_text=_("Cities, provinces, ports or zones."))
    start_on = forms.DateField(
        label=_label(Project, "start_on"), required=False, widget=DateInput(), help_text=_("Needed before you submit.")
    )
    end_on = forms.DateField(label=_label(Project, "end_on"), required=False, widget=DateInput())
    budget_amount = forms.DecimalField(
        label=_label(Project, "budget_amount"), required=False, min_value=0, max_digits=18, decimal_places=2
    )
    budget_currency = forms.ChoiceField(
        label=_label(Project, "budget_currency"),
        required=False,
        choices=lambda: [("", gettext("No currency")), *currency_choices()],
    )
    budget_restricted = _flag("budget_restricted")
    funding_sources = _text("funding_sources", rows=3)

    def __init__(self, data=None, *, catalogue: Catalogue, **kwargs):
        super().__init__(data, **kwargs)
        self.catalogue = catalogue
        self.articles_by_pk = {article.pk: article for article in catalogue.articles}
        article_choices = [(article.pk, str(article)) for article in catalogue.articles]
        self.fields["articles"].choices = article_choices
        self.fields["primary_article"].choices = [("", _("None yet")), *article_choices]
        for article in catalogue.articles:
            self.fields[f"note_{article.pk}"] = forms.CharField(
                label=gettext("Note on %(article)s") % {"article": article},
                required=False,
                max_length=NOTE_MAX_LENGTH,
            )
        self.fields["sdgs"].choices = [
            (sdg.number, gettext("SDG %(number)s: %(title)s") % {"number": sdg.number, "title": sdg.title})
            for sdg in catalogue.sdgs
        ]
        self.fields["lead_organization"].choices = _organization_choices(catalogue)
        if not catalogue.organizations:
            self.fields["lead_organization"].help_text = _(
                "No organizations of the lead party are registered yet; the secretariat adds them."
            )
        if catalogue.parties is None:
            del self.fields["lead_party"]
        else:
            self.fields["lead_party"].choices = [("", gettext("Choose a party"))] + [
                (party.pk, str(party)) for party in catalogue.parties
            ]

    def clean(self):
        data = super().clean()
        language = data.get("language")
        if language and not data.get(f"title_{language.replace('-', '_')}"):
            self.add_error(f"title_{language.replace('-', '_')}", _("Give the title in the language you write in."))
        if data.get("start_on") and data.get("end_on") and data["end_on"] < data["start_on"]:
            self.add_error("end_on", _("The end date cannot be before the start date."))
        if data.get("budget_amount") is not None and not data.get("budget_currency") and "budget_currency" in data:
            self.add_error("budget_currency", _("Give the currency of the budget."))
        tagged, primary = data.get("articles"), data.get("primary_article")
        if tagged is not None and "primary_article" in data:
            if primary is not None and primary not in tagged:
                tagged.append(primary)  # marking an article primary tags it
            if tagged and primary is None:
                self.add_error("articles", _("Mark exactly one article as the primary one."))
        return data

    # --- What the services take -------------------------------------------------------------

    def service_fields(self) -> dict:
        fields = {name: self.cleaned_data[name] for name in CONTENT_FIELDS if name != "lead_organization"}
        organization = self.cleaned_data["lead_organization"]
        fields["lead_organization"] = next((o for o in self.catalogue.organizations if o.pk == organization), None)
        return fields

    def article_tags(self) -> list[ArticleTag]:
        primary = self.cleaned_data["primary_article"]
        return [
            ArticleTag(self.articles_by_pk[pk], is_primary=pk == primary, note=self.cleaned_data[f"note_{pk}"].strip())
            for pk in self.cleaned_data["articles"]
        ]

    def theme_names(self) -> list[str]:
        return [name.strip() for name in THEME_SEPARATORS.split(self.cleaned_data["themes"]) if name.strip()]

    def sdg_numbers(self) -> list[int]:
        return self.cleaned_data["sdgs"]

    def chosen_lead_party(self):
        if "lead_party" not in self.fields:
            return None
        return next(party for party in self.catalogue.parties if party.pk == self.cleaned_data["lead_party"])

    # --- The article picker -----------------------------------------------------------------

    def article_frameworks(self) -> list[dict]:
        """The primary framework's articles by pillar (by part outside the pillars), then each other
        framework's articles in one group; every article with its tag, primary mark and note."""
        tagged = {str(value) for value in self["articles"].value() or []}
        primary = str(self["primary_article"].value() or "")
        frameworks = []
        for article in self.catalogue.articles:
            framework = article.framework
            if not frameworks or frameworks[-1]["framework"] != framework:
                frameworks.append({"framework": framework, "groups": [], "selected": 0})
            groups = frameworks[-1]["groups"]
            kind, heading = _article_group(article)
            if not groups or groups[-1]["heading"] != heading:
                groups.append({"kind": kind, "heading": heading, "options": []})
            option = {
                "article": article,
                "tagged": str(article.pk) in tagged or str(article.pk) == primary,
                "primary": str(article.pk) == primary,
                "note": self[f"note_{article.pk}"],
            }
            groups[-1]["options"].append(option)
            frameworks[-1]["selected"] += option["tagged"]
        return frameworks

    def language_blocks(self) -> list[dict]:
        """The title and summary in each language; the one written in is the original."""
        written = self["language"].value()
        return [
            {
                "code": code,
                "lang": "zh-Hans" if code == "zh-hans" else code,
                "name": name,
                "original": code == written,
                "title": self[f"title_{code.replace('-', '_')}"],
                "summary": self[f"summary_{code.replace('-', '_')}"],
            }
            for code, name in Language.choices
        ]


def _article_group(article) -> tuple[str, object]:
    """Pillars of the primary framework, its parts outside the pillars; one group for other frameworks."""
    if article.framework.is_primary and article.pillar_id:
        return "pillar", article.pillar
    if article.framework.is_primary and article.part_id:
        return "part", article.part
    return "framework", article.framework


def _organization_choices(catalogue: Catalogue) -> list:
    """The lead party's organizations; grouped by party when a coordinator has not chosen it yet."""
    none = [("", gettext("None chosen"))]
    if catalogue.parties is None:
        return none + [(organization.pk, organization.name) for organization in catalogue.organizations]
    grouped = {}
    for organization in catalogue.organizations:
        grouped.setdefault(str(organization.party), []).append((organization.pk, organization.name))
    return none + list(grouped.items())


def project_initial(project: Project | None, *, user) -> dict:
    """The form's starting values: the saved project, or sensible defaults for a new one."""
    if project is None:
        organization = user.organization_id if user.organization_id and not user.is_coordinator else None
        return {
            "language": active_language(),
            "contact_name": user.get_full_name(),
            "contact_email": user.email,
            "contact_restricted": True,
            "lead_organization": organization,
        }
    initial = {name: getattr(project, name) for name in CONTENT_FIELDS if name != "lead_organization"}
    initial["lead_organization"] = project.lead_organization_id
    links = list(project.article_links.all())
    initial["articles"] = [link.article_id for link in links]
    initial["primary_article"] = next((link.article_id for link in links if link.is_primary), None)
    initial.update({f"note_{link.article_id}": link.note for link in links})
    initial["themes"] = ", ".join(theme.name for theme in project.themes.all())
    initial["sdgs"] = [sdg.number for sdg in project.sdgs.all()]
    return initial


# --- Milestones -----------------------------------------------------------------------------


class MilestoneRowForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(label=_label(Milestone, "title"), max_length=300)
    due_on = forms.DateField(label=_label(Milestone, "due_on"), widget=DateInput())
    done_on = forms.DateField(label=_label(Milestone, "done_on"), required=False, widget=DateInput())


class BaseMilestoneFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["DELETE"].label = _("Remove")


MilestoneFormSet = forms.formset_factory(
    MilestoneRowForm,
    formset=BaseMilestoneFormSet,
    extra=1,
    can_delete=True,
    max_num=MAX_MILESTONES,
    validate_max=True,
)


def milestone_initial(project: Project | None) -> list[dict]:
    if project is None:
        return []
    return [{"id": m.pk, "title": m.title, "due_on": m.due_on, "done_on": m.done_on} for m in project.milestones.all()]


# --- Documents ------------------------------------------------------------------------------


class ProjectDocumentForm(forms.Form):
    """One new document per save; uploading is optional."""

    title = forms.CharField(
        label=_("Document title"),
        max_length=200,
        required=False,
        help_text=_("The file name is used when left empty."),
    )
    file = forms.FileField(
        label=_("File"),
        required=False,
        help_text=_("PDF, Office or OpenDocument files, or images (PNG, JPEG, WebP); at most 20 MB."),
    )
    restricted = forms.BooleanField(
        label=_("For participants and coordinators only"),
        required=False,
        help_text=_("Restricted documents are not shown to the public or to other parties."),
    )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload:
            try:
                document_check(upload)
            except ValidationError as error:
                raise ValidationError(error.messages) from None
        return upload

    def clean(self):
        data = super().clean()
        if data.get("title") and not data.get("file") and "file" not in self.errors:
            self.add_error("file", _("Choose the file to upload, or leave the document title empty."))
        return data

    @property
    def upload(self):
        return self.cleaned_data.get("file")


# --- The page's forms together --------------------------------------------------------------


class ProjectForms:
    """The project form, the milestone rows and the new document, validated and shown together."""

    def __init__(self, *, user, project=None, data=None, files=None):
        catalogue = load_catalogue(user=user, project=project)
        self.project = ProjectForm(data, catalogue=catalogue, initial=project_initial(project, user=user))
        self.milestones = MilestoneFormSet(data, prefix="milestones", initial=milestone_initial(project))
        self.document = ProjectDocumentForm(data, files, prefix="document")
        self.file_chosen = bool(files)

    def is_valid(self) -> bool:
        results = [self.project.is_valid(), self.milestones.is_valid(), self.document.is_valid()]
        return all(results)

    def show_problems(self, problems: dict) -> None:
        """Show what still stops submission beside the fields of the (unbound) form."""
        form = self.project
        form.cleaned_data = {}  # add_error expects it; an unbound form never has one
        add_service_error(form, ValidationError(problems))

    def error_links(self) -> list[dict]:
        """Every error, in page order, with the id of the field it belongs to (for the summary)."""
        links = [{"text": error} for error in self.project.non_field_errors()]
        for field in self.project:
            href = "article-picker" if field.name in ("articles", "primary_article") else _field_id(field)
            links += [{"href": href, "text": _labelled(field.label, error)} for error in field.errors]
        links += [{"text": error} for error in self.milestones.non_form_errors()]
        for number, row in enumerate(self.milestones.forms, 1):
            links += [{"text": error} for error in row.non_field_errors()]
            for field in row:
                label = gettext("Milestone %(number)s, %(label)s") % {"number": number, "label": field.label}
                links += [{"href": _field_id(field), "text": _labelled(label, error)} for error in field.errors]
        links += [{"text": error} for error in self.document.non_field_errors()]
        for field in self.document:
            links += [{"href": _field_id(field), "text": _labelled(field.label, error)} for error in field.errors]
        return links


def _labelled(label, error) -> str:
    return gettext("%(label)s: %(error)s") % {"label": label, "error": error}


def _field_id(field) -> str:
    """Checkbox and radio groups have no single label target: point at their first option."""
    return field.id_for_label or f"{field.auto_id}_0"


def add_service_error(form, error: ValidationError) -> None:
    """A service's field-keyed messages beside the fields (at the top otherwise), without repeats."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages in error.message_dict.items():
        target = field if field in form.fields else None
        shown = form.errors.get(target or "__all__", [])
        new = [message for message in messages if message not in shown]
        if new:
            form.add_error(target, new)
