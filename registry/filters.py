import django_filters

from .models import Party, PartyKind, PartyStatus


class PartyFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=PartyKind.choices)
    status = django_filters.ChoiceFilter(choices=PartyStatus.choices)
    framework = django_filters.CharFilter(
        field_name="frameworks__code", label="framework", help_text="Framework code, e.g. DEGD-2023."
    )

    class Meta:
        model = Party
        fields = ["kind", "status", "framework"]
