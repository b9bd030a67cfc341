"""The project-list export's form: the library's filters (every status for coordinators) and
the columns, as checkboxes (no JavaScript needed)."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from ..choices import PUBLIC_STATUSES, ProjectStatus
from ..filters import ProjectFilter
from .columns import COLUMNS, DEFAULT_COLUMNS


def _coordinator(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.is_coordinator))


class ExportFilter(ProjectFilter):
    """The library's filters; `status` offers every status to coordinators, the public ones to others."""

    status = django_filters.ChoiceFilter(label=_("Status"), choices=ProjectStatus.choices, empty_label=_("Any"))

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            if not _coordinator(self.request.user):
                form.fields["status"].choices = [form.fields["status"].choices[0]] + [
                    (status.value, status.label) for status in PUBLIC_STATUSES
                ]
        return self._form


class ColumnsForm(forms.Form):
    columns = forms.MultipleChoiceField(
        label=_("Columns"),
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Budget and contact cells are filled only for projects whose restricted values you may see."),
    )

    def __init__(self, data, **kwargs):
        # Nothing chosen yet (first visit, or a link from the library): the usual columns.
        if "columns" not in data:
            data = data.copy()
            data.setlist("columns", DEFAULT_COLUMNS)
        super().__init__(data, **kwargs)
        self.fields["columns"].choices = [(name, column.label) for name, column in COLUMNS.items()]

    def chosen(self) -> list:
        """The chosen columns in the table's order (not the order they were sent in)."""
        chosen = set(self.cleaned_data["columns"])
        return [name for name in COLUMNS if name in chosen]
