"""IATI 2.03 activity export of the published projects (the schema is in projects/iati_schema/).

Only public projects (published, ongoing, completed) appear; restricted budgets and contacts
never do. Codes follow the IATI codelists: ActivityStatus, OrganisationRole, OrganisationType,
ISO 3166-1 alpha-2 countries, ISO 4217 currencies; SDG goals as tag vocabulary 2 and the
framework's articles as a vocabulary of our own (99, with a vocabulary-uri to the article page).
"""

from collections.abc import Callable, Iterable
from datetime import date

import pycountry
from django.conf import settings
from django.utils import timezone
from lxml import etree

from .choices import ParticipationRole, ParticipationStatus, ProjectStatus
from .models import Project

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
IATI_LANGUAGE = {"zh-hans": "zh", "en": "en"}

ACTIVITY_STATUS = {ProjectStatus.PUBLISHED: "1", ProjectStatus.ONGOING: "2", ProjectStatus.COMPLETED: "3"}
# OrganisationRole: 1 Funding, 2 Accountable, 3 Extending, 4 Implementing.
PARTICIPANT_ROLE = {ParticipationRole.LEAD: "2", ParticipationRole.PARTNER: "4", ParticipationRole.SUPPORTER: "3"}
# OrganisationType: 10 Government, 11 Local Government, 40 Multilateral, 70 Private Sector,
# 80 Academic/Training/Research, 90 Other.
PARTY_TYPE = {"country": "10", "international_organization": "40", "other": "90"}
ORGANIZATION_TYPE = {
    "ministry": "10",
    "local_government": "11",
    "enterprise": "70",
    "business_association": "90",
    "research_institution": "80",
    "international_organization": "40",
    "other": "90",
}


def _sub(parent, tag, attrib=None, text=None):
    element = etree.SubElement(parent, tag, {k: str(v) for k, v in (attrib or {}).items()})
    if text is not None:
        element.text = text
    return element


def _narratives(parent, tag, values: dict[str, str], attrib=None):
    element = _sub(parent, tag, attrib)
    for language, text in values.items():
        if text:
            _sub(element, "narrative", {XML_LANG: IATI_LANGUAGE[language]}, text)
    return element


def _both(obj, field):
    return {"zh-hans": getattr(obj, f"{field}_zh_hans", ""), "en": getattr(obj, f"{field}_en", "")}


def alpha2(alpha3: str) -> str | None:
    country = pycountry.countries.get(alpha_3=alpha3)
    return country.alpha_2 if country else None


def activities_queryset():
    return (
        Project.objects.public()
        .select_related("lead_party", "lead_organization")
        .prefetch_related("article_links__article__framework", "participations__party", "sdgs")
        .order_by("reference_code")
    )


def activity_element(project: Project, *, article_url: Callable[[object], str]):
    reporting_ref = settings.IATI_REPORTING_ORG_REF
    attrib = {
        "last-updated-datetime": project.updated_at.replace(microsecond=0).isoformat(),
        XML_LANG: IATI_LANGUAGE[project.language],
    }
    if project.budget_currency and not project.budget_restricted:
        attrib["default-currency"] = project.budget_currency
    activity = etree.Element("iati-activity", {k: str(v) for k, v in attrib.items()})
    _sub(activity, "iati-identifier", text=f"{reporting_ref}-{project.reference_code}")
    reporting = _sub(activity, "reporting-org", {"ref": reporting_ref, "type": settings.IATI_REPORTING_ORG_TYPE})
    _sub(reporting, "narrative", text=settings.IATI_REPORTING_ORG_NAME)
    _narratives(activity, "title", _both(project, "title"))
    _narratives(activity, "description", _both(project, "summary"), {"type": "1"})

    participants = [p for p in project.participations.all() if p.status == ParticipationStatus.ACTIVE]
    for participation in sorted(participants, key=lambda p: p.role != ParticipationRole.LEAD):
        role = PARTICIPANT_ROLE.get(participation.role)
        if role is None:
            continue  # beneficiaries appear as recipient countries, not as participating organisations
        party = participation.party
        _narratives(
            activity,
            "participating-org",
            _both(party, "name"),
            {"role": role, "type": PARTY_TYPE.get(party.kind, "90")},
        )
    if project.lead_organization:
        organization = project.lead_organization
        _narratives(
            activity,
            "participating-org",
            _both(organization, "name"),
            {"role": "4", "type": ORGANIZATION_TYPE.get(organization.kind, "90")},
        )

    _sub(activity, "activity-status", {"code": ACTIVITY_STATUS[project.status]})
    for kind, value in _activity_dates(project):
        _sub(activity, "activity-date", {"type": kind, "iso-date": value.isoformat()})
    for code in filter(None, (alpha2(c) for c in project.countries or [])):
        _sub(activity, "recipient-country", {"code": code})
    for sdg in project.sdgs.all():
        _sub(activity, "tag", {"vocabulary": "2", "code": sdg.number})
    for link in project.article_links.all():
        article = link.article
        tag = _sub(
            activity,
            "tag",
            {
                "vocabulary": "99",
                "vocabulary-uri": article_url(article),
                "code": f"{article.framework.code}:{article.number}",
            },
        )
        _sub(tag, "narrative", {XML_LANG: "en"}, f"{article.framework.code} Article {article.number}")
        _sub(tag, "narrative", {XML_LANG: "zh"}, f"{article.framework.code} 第{article.number}条")
    if project.budget_amount is not None and not project.budget_restricted and project.start_on:
        budget = _sub(activity, "budget", {"type": "1", "status": "1"})
        _sub(budget, "period-start", {"iso-date": project.start_on.isoformat()})
        _sub(budget, "period-end", {"iso-date": (project.end_on or project.start_on).isoformat()})
        _sub(
            budget,
            "value",
            {"currency": project.budget_currency, "value-date": project.start_on.isoformat()},
            f"{project.budget_amount:.2f}",
        )
    return activity


def _activity_dates(project) -> Iterable[tuple[str, date]]:
    """ActivityDateType: 1 planned start, 2 actual start, 3 planned end, 4 actual end."""
    today = timezone.localdate()
    start = project.start_on or (project.published_at.date() if project.published_at else today)
    yield "1", start
    if project.status in (ProjectStatus.ONGOING, ProjectStatus.COMPLETED) and start <= today:
        yield "2", start
    if project.end_on:
        yield "3", project.end_on
        if project.status == ProjectStatus.COMPLETED and project.end_on <= today:
            yield "4", project.end_on


def activities_document(projects: Iterable[Project], *, article_url) -> bytes:
    root = etree.Element(
        "iati-activities",
        {"version": "2.03", "generated-datetime": timezone.now().replace(microsecond=0).isoformat()},
    )
    for project in projects:
        root.append(activity_element(project, article_url=article_url))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
