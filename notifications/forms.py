from django import forms

from .models import EventKind, Frequency


class PreferencesForm(forms.Form):
    """One choice per event kind."""

    def __init__(self, *args, initial_frequencies=None, **kwargs):
        super().__init__(*args, **kwargs)
        initial_frequencies = initial_frequencies or {}
        for kind in EventKind:
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label,
                choices=Frequency.choices,
                initial=initial_frequencies.get(kind.value, Frequency.IMMEDIATE),
                widget=forms.RadioSelect,
            )
