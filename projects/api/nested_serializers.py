"""What partner systems send to write a project's nested resources.

These only parse: the services decide what is allowed (and raise with field-keyed messages)."""

from django.utils.translation import gettext as _
from rest_framework import serializers

from projects.choices import Language, ParticipationRole
from projects.services.participation import JOINABLE_ROLES
from projects.services.tracking import MAX_DOCUMENT_BYTES
from registry.models import Party

JOINABLE_CHOICES = [(role.value, ParticipationRole(role).label) for role in JOINABLE_ROLES]
DECISION_CHOICES = [("accept", "Accept"), ("decline", "Decline")]


class JoinInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=JOINABLE_CHOICES, help_text="The role your party asks for.")
    message = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000, help_text="Message to the lead party."
    )


class InviteInputSerializer(JoinInputSerializer):
    party = serializers.CharField(max_length=8, help_text="Code of the party invited (ISO 3166-1 alpha-3).")
    role = serializers.ChoiceField(choices=JOINABLE_CHOICES, help_text="The role offered to the party.")
    message = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000, help_text="Message to the invited party."
    )

    def validate_party(self, code):
        party = Party.objects.filter(code__iexact=code.strip()).first()
        if party is None:
            raise serializers.ValidationError(_("There is no party with this code."))
        return party


class DecisionInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=DECISION_CHOICES, help_text="`accept` or `decline`.")


class MilestoneInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300, help_text="What is to be achieved.")
    due_on = serializers.DateField(help_text="Due date (ISO 8601).")
    done_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="When it was achieved, or null."
    )


class IndicatorInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, help_text="Indicator.")
    unit = serializers.CharField(required=False, allow_blank=True, default="", max_length=40, help_text="Unit.")
    baseline = serializers.DecimalField(
        max_digits=18, decimal_places=2, required=False, allow_null=True, default=None, help_text="Baseline."
    )
    target = serializers.DecimalField(
        max_digits=18, decimal_places=2, required=False, allow_null=True, default=None, help_text="Target."
    )
    actual = serializers.DecimalField(
        max_digits=18, decimal_places=2, required=False, allow_null=True, default=None, help_text="Actual value."
    )


class ProgressReportInputSerializer(serializers.Serializer):
    period_start = serializers.DateField(help_text="Start of the period reported on.")
    period_end = serializers.DateField(help_text="End of the period reported on.")
    percent_complete = serializers.IntegerField(min_value=0, max_value=100, help_text="Percent complete (0 to 100).")
    language = serializers.ChoiceField(choices=Language.choices, help_text="Language of the narrative.")
    narrative = serializers.CharField(max_length=20000, help_text="Progress in the period.")
    indicators = IndicatorInputSerializer(
        many=True, required=False, default=list, max_length=30, help_text="Indicators measured (at most 30)."
    )


class DocumentInputSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=(
            f"PDF, Office or OpenDocument file, or image (PNG, JPEG, WebP); at most {MAX_DOCUMENT_BYTES // 2**20} MB. "
            "Its first bytes must match its extension."
        )
    )
    title = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200, help_text="Title (the file name when empty)."
    )
    restricted = serializers.BooleanField(
        required=False, default=False, help_text="For participants and coordinators only."
    )
