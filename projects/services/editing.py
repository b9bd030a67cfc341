"""Creating and editing a project's content (title, articles, partners, place, budget…)."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from feed.services import change_record
from framework.models import Article
from registry.models import Party

from ..choices import BeneficiaryGroup, ParticipationRole, ParticipationStatus, is_country, is_currency
from ..models import Participation, Project, ProjectArticle, Sdg, Theme

CONTENT_FIELDS = {
    "language",
    "title_zh_hans",
    "title_en",
    "summary_zh_hans",
    "summary_en",
    "lead_organization",
    "contact_name",
    "contact_email",
    "contact_phone",
    "contact_restricted",
    "cooperation_mode",
    "project_type",
    "beneficiary_groups",
    "early_harvest",
    "countries",
    "places",
    "start_on",
    "end_on",
    "budget_amount",
    "budget_currency",
    "budget_restricted",
    "funding_sources",
}


@dataclass(frozen=True)
class ArticleTag:
    article: Article
    is_primary: bool = False
    note: str = ""


def project_create(
    *,
    actor,
    fields: dict,
    article_tags: list[ArticleTag] | None = None,
    theme_names: list[str] | None = None,
    sdg_numbers: list[int] | None = None,
    lead_party: Party | None = None,
) -> Project:
    """A new draft led by the actor's party (a coordinator may name the lead party).

    Partner-system accounts (API keys) create for their own party only: `lead_party` is ignored for them."""
    partner_system = getattr(actor, "role", None) == "partner_system"
    if not actor.is_authenticated or not (
        actor.is_officer or actor.is_focal_point or actor.is_coordinator or partner_system
    ):
        raise PermissionDenied
    if actor.is_coordinator and lead_party is not None:
        party = lead_party
    elif actor.party_id:
        party = actor.party
    else:
        raise ValidationError({"lead_party": _("Choose the lead party.")})
    with transaction.atomic():
        project = Project(lead_party=party, created_by=actor)
        _apply(project, fields, article_tags or [], theme_names or [], sdg_numbers or [])
        now = timezone.now()
        Participation.objects.create(
            project=project,
            party=party,
            role=ParticipationRole.LEAD,
            status=ParticipationStatus.ACTIVE,
            lead_accepted_at=now,
            party_confirmed_at=now,
            party_confirmed_by=actor,
        )
        change_record(project_id=project.pk)
    return project


def project_update(
    *,
    project: Project,
    actor,
    fields: dict,
    article_tags: list[ArticleTag] | None = None,
    theme_names: list[str] | None = None,
    sdg_numbers: list[int] | None = None,
) -> Project:
    """Change a draft or returned project (coordinators may change any). `None` keeps a relation as it is."""
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        if not actor.has_perm("projects.change_project", project):
            raise PermissionDenied
        _apply(project, fields, article_tags, theme_names, sdg_numbers)
        change_record(project_id=project.pk)
    return project


def _apply(project, fields, article_tags, theme_names, sdg_numbers):
    unknown = set(fields) - CONTENT_FIELDS
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in sorted(unknown)})
    for name, value in fields.items():
        setattr(project, name, value)
    errors = _content_errors(project)
    if article_tags is not None:
        errors.update(_article_tag_errors(article_tags))
    try:
        # The check constraints are reported per field above, in the user's words.
        project.full_clean(exclude=["reference_code"], validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, messages)
    if errors:
        raise ValidationError(errors)
    project.search_document = ""  # refreshed below, once the themes are known
    project.save()
    if article_tags is not None:
        _replace_article_tags(project, article_tags)
    if theme_names is not None:
        project.themes.set(_themes(theme_names))
    if sdg_numbers is not None:
        project.sdgs.set(Sdg.objects.filter(number__in=sdg_numbers))
    project.search_document = search_document(project)
    Project.objects.filter(pk=project.pk).update(search_document=project.search_document)


def _content_errors(project) -> dict:
    errors = {}
    suffix = (project.language or "").replace("-", "_")
    if suffix and not getattr(project, f"title_{suffix}", ""):
        errors[f"title_{suffix}"] = [_("Give the title in the language you write in.")]
    bad_countries = [code for code in project.countries or [] if not is_country(code)]
    if bad_countries:
        errors["countries"] = [_("Unknown country code: %(codes)s.") % {"codes": ", ".join(bad_countries)}]
    if project.budget_currency and not is_currency(project.budget_currency):
        errors["budget_currency"] = [_("Use an ISO 4217 currency code, such as USD or CNY.")]
    if project.budget_amount is not None and not project.budget_currency:
        errors["budget_currency"] = [_("Give the currency of the budget.")]
    if project.start_on and project.end_on and project.end_on < project.start_on:
        errors["end_on"] = [_("The end date cannot be before the start date.")]
    valid_groups = set(BeneficiaryGroup.values)
    if any(group not in valid_groups for group in project.beneficiary_groups or []):
        errors["beneficiary_groups"] = [_("Choose beneficiary groups from the list.")]
    if project.lead_organization_id and project.lead_organization.party_id != project.lead_party_id:
        errors["lead_organization"] = [_("The lead organization must belong to the lead party.")]
    return errors


def _article_tag_errors(tags: list[ArticleTag]) -> dict:
    if not tags:
        return {}
    articles = [tag.article.pk for tag in tags]
    if len(articles) != len(set(articles)):
        return {"articles": [_("Each article can be tagged only once.")]}
    primaries = sum(1 for tag in tags if tag.is_primary)
    if primaries != 1:
        return {"articles": [_("Mark exactly one article as the primary one.")]}
    return {}


def _replace_article_tags(project, tags):
    wanted = {tag.article.pk: tag for tag in tags}
    existing = {link.article_id: link for link in project.article_links.all()}
    for article_id, link in existing.items():
        if article_id not in wanted:
            link.delete()
    # Clear the old primary first so the one-primary constraint holds at every step.
    for article_id, link in existing.items():
        tag = wanted.get(article_id)
        if tag and link.is_primary and not tag.is_primary:
            link.is_primary = False
            link.save(update_fields=["is_primary"])
    for article_id, tag in wanted.items():
        link = existing.get(article_id)
        if link is None:
            ProjectArticle.objects.create(
                project=project, article=tag.article, is_primary=tag.is_primary, note=tag.note
            )
        elif (link.is_primary, link.note) != (tag.is_primary, tag.note):
            link.is_primary, link.note = tag.is_primary, tag.note
            link.save(update_fields=["is_primary", "note"])


def _themes(names):
    cleaned = []
    for name in names:
        name = " ".join(name.split())[:80]
        if name and name.casefold() not in {c.casefold() for c in cleaned}:
            cleaned.append(name)
    themes = []
    for name in cleaned:
        theme = Theme.objects.filter(name__iexact=name).first() or Theme.objects.create(name=name)
        themes.append(theme)
    return themes


def search_document(project) -> str:
    parts = [
        project.reference_code or "",
        project.title_zh_hans,
        project.title_en,
        project.summary_zh_hans,
        project.summary_en,
        project.places,
        *project.themes.values_list("name", flat=True),
    ]
    return "\n".join(part for part in parts if part).casefold()


def submission_problems(project) -> dict[str, list[str]]:
    """What still stops a draft from being submitted for review (empty when it is ready)."""
    problems = {}
    suffix = (project.language or "en").replace("-", "_")
    if not getattr(project, f"title_{suffix}"):
        problems[f"title_{suffix}"] = [_("Give the title in the language you write in.")]
    if not getattr(project, f"summary_{suffix}"):
        problems[f"summary_{suffix}"] = [_("Write a summary of the project.")]
    if not project.cooperation_mode:
        problems["cooperation_mode"] = [_("Choose the cooperation mode.")]
    if not project.project_type:
        problems["project_type"] = [_("Choose the project type.")]
    links = list(project.article_links.all())
    if not links:
        problems["articles"] = [_("Tag the project to at least one article of the framework.")]
    elif sum(1 for link in links if link.is_primary) != 1:
        problems["articles"] = [_("Mark exactly one article as the primary one.")]
    if not project.start_on:
        problems["start_on"] = [_("Give the start date.")]
    return problems
