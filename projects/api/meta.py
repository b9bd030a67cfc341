"""`GET /api/v1/meta/`: every choice field's allowed values with labels in both languages,
so partner systems can build their forms and validate before they send."""

import pycountry
from django.utils import translation
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from config.i18n import LANGUAGE_CODES
from projects import choices
from projects.models import Sdg
from registry.models import OrganizationKind, PartyKind, PartyStatus

CHOICE_FIELDS = {
    "project_status": choices.ProjectStatus,
    "cooperation_mode": choices.CooperationMode,
    "project_type": choices.ProjectType,
    "beneficiary_group": choices.BeneficiaryGroup,
    "participation_role": choices.ParticipationRole,
    "participation_status": choices.ParticipationStatus,
    "language": choices.Language,
    "party_kind": PartyKind,
    "party_status": PartyStatus,
    "organization_kind": OrganizationKind,
}

VALUE = inline_serializer(
    "MetaValue",
    {
        "value": serializers.CharField(help_text="The value to send."),
        "label": serializers.DictField(child=serializers.CharField(), help_text="Label keyed by language."),
    },
)
SDG_VALUE = inline_serializer(
    "MetaSdgValue",
    {
        "value": serializers.IntegerField(help_text="The goal's number (1 to 17), as sent in `sdgs`."),
        "label": serializers.DictField(child=serializers.CharField(), help_text="Label keyed by language."),
    },
)


def _labelled(values_and_labels) -> list[dict]:
    """[(value, lazy label)] → [{"value": …, "label": {"zh-hans": …, "en": …}}]."""
    result = []
    for value, label in values_and_labels:
        labels = {}
        for language in LANGUAGE_CODES:
            with translation.override(language):
                labels[language] = str(label)
        result.append({"value": value, "label": labels})
    return result


def _currencies() -> list[dict]:
    return [{"value": code, "label": labels} for code, labels in _currency_names().items()]


def _currency_names() -> dict[str, dict[str, str]]:
    names: dict[str, dict[str, str]] = {}
    for language in LANGUAGE_CODES:
        with translation.override(language):
            for code, label in choices.currency_choices():
                names.setdefault(code, {})[language] = label.split(" — ", 1)[1]
    return names


@extend_schema(
    summary="Allowed values of every choice field",
    responses=inline_serializer(
        "Meta",
        {
            **{name: VALUE.__class__(many=True) for name in CHOICE_FIELDS},
            "sdg": SDG_VALUE.__class__(many=True),
            "currency": VALUE.__class__(many=True),
            "country": VALUE.__class__(many=True),
        },
    ),
)
@api_view(["GET"])
@permission_classes([AllowAny])
def meta(request):
    body = {name: _labelled(enum.choices) for name, enum in CHOICE_FIELDS.items()}
    body["sdg"] = [
        {"value": sdg.number, "label": {"zh-hans": sdg.title_zh_hans, "en": sdg.title_en}} for sdg in Sdg.objects.all()
    ]
    body["currency"] = _currencies()
    body["country"] = [
        {"value": country.alpha_3, "label": _country_labels(country.alpha_3)} for country in pycountry.countries
    ]
    return Response(body)


def _country_labels(code: str) -> dict[str, str]:
    labels = {}
    for language in LANGUAGE_CODES:
        with translation.override(language):
            labels[language] = choices.country_name(code)
    return labels
