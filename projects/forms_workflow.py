"""Forms of the project page: review workflow, joining, and tracking (milestones, reports, documents).

They only parse input; the services decide what is allowed and raise with field-keyed messages,
which the views put back on these forms (`add_service_errors`)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models import Party

from .choices import Language, ParticipationRole, ParticipationStatus
from .services.participation import JOINABLE_ROLES

TAKING_PART = (ParticipationStatus.ACTIVE, ParticipationStatus.INVITED, ParticipationStatus.REQUESTED)
ROLE_CHOICES = [(role.value, ParticipationRole(role).label) for role in JOINABLE_ROLES]


def add_service_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError beside the form's fields (non-field errors otherwise)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class TransitionForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ReviewCommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class JoinForm(forms.Form):
    role = forms.ChoiceField(label=_("Your party's role"), choices=ROLE_CHOICES)
    message = forms.CharField(
        label=_("Message to the lead party"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class InviteForm(forms.Form):
    party = forms.ModelChoiceField(label=_("Party"), queryset=Party.objects.none(), empty_label=_("Choose a party"))
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)
    message = forms.CharField(
        label=_("Message to the party"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = invitable_parties(project)
        self.fields["party"].label_from_instance = lambda party: f"{party.name} ({party.code})"


def invitable_parties(project):
    """Parties that neither lead nor take part in the project, nor have a pending invitation or request."""
    taking_part = [p.party_id for p in project.participations.all() if p.status in TAKING_PART]
    return Party.objects.exclude(pk=project.lead_party_id).exclude(pk__in=taking_part).order_by("code")


class DecisionForm(forms.Form):
    """Accept or decline: the two submit buttons of one form carry `decision`."""

    decision = forms.ChoiceField(choices=[("accept", _("Accept")), ("decline", _("Decline"))])

    @property
    def accepted(self) -> bool:
        return self.cleaned_data["decision"] == "accept"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Milestone"), max_length=300)
    due_on = forms.DateField(label=_("Due date"), widget=DateInput())
    done_on = forms.DateField(label=_("Done on"), required=False, widget=DateInput())


class MilestoneDoneForm(forms.Form):
    done_on = forms.DateField(label=_("Done on"), widget=DateInput(), initial=timezone.localdate)


class ProgressReportForm(forms.Form):
    period_start = forms.DateField(label=_("Period from"), widget=DateInput())
    period_end = forms.DateField(label=_("Period to"), widget=DateInput())
    percent_complete = forms.IntegerField(
        label=_("Percent complete"), min_value=0, max_value=100, help_text=_("Of the whole project, 0 to 100.")
    )
    language = forms.ChoiceField(label=_("Language of the report"), choices=Language.choices)
    narrative = forms.CharField(
        label=_("Progress"),
        help_text=_("What was done in the period, what comes next, and any difficulties."),
        widget=forms.Textarea(attrs={"rows": 8}),
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The end of the period cannot be before its start."))
        return cleaned


class IndicatorForm(forms.Form):
    name = forms.CharField(label=_("Indicator"), max_length=200)
    unit = forms.CharField(label=_("Unit"), max_length=40, required=False)
    baseline = forms.DecimalField(label=_("Baseline"), max_digits=18, decimal_places=2, required=False)
    target = forms.DecimalField(label=_("Target"), max_digits=18, decimal_places=2, required=False)
    actual = forms.DecimalField(label=_("Actual"), max_digits=18, decimal_places=2, required=False)


IndicatorFormSet = forms.formset_factory(IndicatorForm, extra=3, max_num=30, validate_max=True)


def indicator_rows(formset) -> list[dict]:
    """The filled rows of the indicators formset, as the service takes them (empty rows skipped)."""
    return [form.cleaned_data for form in formset.forms if form.has_changed() and form.cleaned_data]


class DocumentForm(forms.Form):
    title = forms.CharField(
        label=_("Title"), max_length=200, required=False, help_text=_("The file name is used when left empty.")
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, Office or OpenDocument files, or images (PNG, JPEG, WebP); at most 20 MB."),
    )
    restricted = forms.BooleanField(
        label=_("For participants and coordinators only"),
        required=False,
        help_text=_("Restricted documents are not shown to the public or to other parties."),
    )
