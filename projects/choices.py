"""The library's controlled vocabularies (labels in both languages through gettext)."""

import gettext
from functools import cache

import pycountry
from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _


class ProjectStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for changes")
    RESUBMITTED = "resubmitted", _("Resubmitted")
    PUBLISHED = "published", _("Published")
    ONGOING = "ongoing", _("Ongoing")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", pgettext_lazy("project status", "Withdrawn")
    CANCELLED = "cancelled", _("Cancelled")


PUBLIC_STATUSES = (ProjectStatus.PUBLISHED, ProjectStatus.ONGOING, ProjectStatus.COMPLETED)
IN_REVIEW_STATUSES = (ProjectStatus.SUBMITTED, ProjectStatus.RESUBMITTED)
EDITABLE_STATUSES = (ProjectStatus.DRAFT, ProjectStatus.RETURNED)
FINAL_STATUSES = (ProjectStatus.COMPLETED, ProjectStatus.WITHDRAWN, ProjectStatus.CANCELLED)


class CooperationMode(models.TextChoices):
    """The framework's own four modes (自主、双边、多方和集体行动)."""

    AUTONOMOUS = "autonomous", _("Autonomous")
    BILATERAL = "bilateral", _("Bilateral")
    PLURILATERAL = "plurilateral", _("Plurilateral")
    COLLECTIVE = "collective", _("Collective action")


class ProjectType(models.TextChoices):
    INVESTMENT = "investment", _("Investment")
    TECHNICAL_COOPERATION = "technical_cooperation", _("Technical cooperation")
    CAPACITY_BUILDING = "capacity_building", _("Capacity building and training")
    JOINT_RESEARCH = "joint_research", _("Joint research")
    PILOT_ZONE = "pilot_zone", _("Pilot or demonstration zone")
    POLICY_DIALOGUE = "policy_dialogue", _("Policy dialogue")
    EXPO_TRADE_PROMOTION = "expo_trade_promotion", _("Expo and trade promotion")
    OTHER = "other", _("Other")


class BeneficiaryGroup(models.TextChoices):
    MSME = "msme", _("Micro, small and medium-sized enterprises (MSMEs)")
    WOMEN = "women", _("Women")
    YOUTH = "youth", _("Youth")
    RURAL = "rural", _("Rural communities")
    OTHER_VULNERABLE = "other_vulnerable", _("Other vulnerable groups")


class ParticipationRole(models.TextChoices):
    LEAD = "lead", _("Lead")
    PARTNER = "partner", _("Partner")
    SUPPORTER = "supporter", _("Supporter")
    BENEFICIARY = "beneficiary", _("Beneficiary")


class ParticipationStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    REQUESTED = "requested", _("Requested to join")
    ACTIVE = "active", _("Active")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


def _pycountry_translation(domain: str):
    language = "zh_CN" if (get_language() or "en").startswith("zh") else None
    if language is None:
        return None
    return _translations(domain, language)


@cache
def _translations(domain: str, language: str):
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language], fallback=True)


def country_choices() -> list[tuple[str, str]]:
    """ISO 3166-1 alpha-3 codes with names in the active language."""
    translation = _pycountry_translation("iso3166-1")
    names = [(c.alpha_3, translation.gettext(c.name) if translation else c.name) for c in pycountry.countries]
    return sorted(names, key=lambda item: item[1])


def currency_choices() -> list[tuple[str, str]]:
    """ISO 4217 codes, labelled with the code and the name in the active language."""
    translation = _pycountry_translation("iso4217")
    return [
        (c.alpha_3, f"{c.alpha_3} — {translation.gettext(c.name) if translation else c.name}")
        for c in sorted(pycountry.currencies, key=lambda c: c.alpha_3)
    ]


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_3=code)
    if country is None:
        return code
    translation = _pycountry_translation("iso3166-1")
    return translation.gettext(country.name) if translation else country.name


def is_country(code: str) -> bool:
    return pycountry.countries.get(alpha_3=code) is not None


def is_currency(code: str) -> bool:
    return pycountry.currencies.get(alpha_3=code) is not None
