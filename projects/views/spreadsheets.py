"""Spreadsheet import (upload → preview → confirm) and export of a party's projects."""

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from registry.models import Party

from .. import spreadsheet
from ..models import ImportBatch, Project

CSV_TYPE = "text/csv; charset=utf-8"


def _is_coordinator(user) -> bool:
    return user.is_superuser or user.is_coordinator


def _may_import(user) -> bool:
    return _is_coordinator(user) or ((user.is_officer or user.is_focal_point) and bool(user.party_id))


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet"),
        help_text=gettext_lazy("An Excel workbook (.xlsx) or a CSV file (.csv, UTF-8), at most 5 MB."),
        widget=forms.FileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    party = forms.ModelChoiceField(
        label=gettext_lazy("Party the projects belong to"), queryset=Party.objects.order_by("code")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.content = b""
        if not _is_coordinator(user):
            del self.fields["party"]

    def describe(self) -> None:
        """Point each input at its help and its errors (read out by screen readers)."""
        for name in self.fields:
            bound = self[name]
            ids = [f"{bound.auto_id}_help"] if bound.help_text else []
            ids += [f"{bound.auto_id}_errors"] if bound.errors else []
            if ids:
                self.fields[name].widget.attrs["aria-describedby"] = " ".join(ids)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > spreadsheet.MAX_BYTES:
            raise ValidationError(_("The file is larger than 5 MB."))
        self.content = upload.read()
        try:
            spreadsheet.check_file(upload.name, self.content)
        except spreadsheet.SpreadsheetError as exc:
            raise ValidationError(str(exc)) from exc
        return upload


@login_required
def import_start(request):
    if not _may_import(request.user):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            batch = spreadsheet.import_batch_create(
                actor=request.user,
                filename=form.cleaned_data["file"].name,
                content=form.content,
                party=form.cleaned_data.get("party"),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect("projects:import_preview", pk=batch.pk)
    form.describe()
    context = {
        "form": form,
        "columns": spreadsheet.COLUMNS,
        "batches": ImportBatch.objects.filter(uploaded_by=request.user).select_related("party")[:10],
        "parties": Party.objects.order_by("code") if _is_coordinator(request.user) else None,
        "max_rows": spreadsheet.MAX_ROWS,
    }
    return render(request, "projects/import.html", context, status=400 if form.errors else 200)


@login_required
def import_preview(request, pk):
    batch = spreadsheet.import_batch_get(pk=pk, actor=request.user)
    report = None if batch.applied_at else spreadsheet.import_preview(batch=batch, actor=request.user)
    return render(request, "projects/import_preview.html", _preview_context(request, batch, report))


def _preview_context(request, batch, report) -> dict:
    """An applied batch shows the projects it wrote instead of a new preview."""
    written = [*batch.summary.get("created", []), *batch.summary.get("updated", [])] if batch.applied_at else []
    projects = (
        Project.objects.visible_to(request.user).filter(pk__in=written).select_related("lead_party").order_by("pk")
    )
    return {"batch": batch, "report": report, "written": projects if written else []}


@login_required
@require_POST
def import_confirm(request, pk):
    batch = spreadsheet.import_batch_get(pk=pk, actor=request.user)
    try:
        report = spreadsheet.import_apply(batch=batch, actor=request.user)
    except spreadsheet.AlreadyApplied:
        batch.refresh_from_db()
        messages.error(request, _("This file has already been imported; it cannot be imported twice."))
        return render(request, "projects/import_preview.html", _preview_context(request, batch, None), status=409)
    if not report.applied:
        messages.error(request, _("Nothing was imported: correct the errors below and upload the file again."))
        return render(request, "projects/import_preview.html", _preview_context(request, batch, report), status=400)
    counts = report.counts
    messages.success(
        request,
        _("Imported: %(add)s new drafts, %(update)s projects updated, %(unchanged)s unchanged.") % counts,
    )
    return redirect("projects:import_preview", pk=batch.pk)


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def template_xlsx(request):
    return _download(spreadsheet.write_xlsx([]), spreadsheet.XLSX_TYPE, "projects-template.xlsx")


@login_required
def template_csv(request):
    return _download(spreadsheet.write_csv([]), CSV_TYPE, "projects-template.csv")


def _export(request, suffix: str):
    party_code = re.sub(r"[^A-Z0-9-]", "", request.GET.get("party", "").upper())[:16]
    projects = spreadsheet.export_projects(actor=request.user, party_code=party_code)
    rows = spreadsheet.export_rows(projects, actor=request.user)
    scope = party_code if _is_coordinator(request.user) and party_code else None
    scope = scope or (request.user.party.code if request.user.party_id else "all")
    filename = f"projects-{scope}-{timezone.localdate():%Y%m%d}.{suffix}"
    if suffix == "csv":
        return _download(spreadsheet.write_csv(rows), CSV_TYPE, filename)
    return _download(spreadsheet.write_xlsx(rows), spreadsheet.XLSX_TYPE, filename)


@login_required
def export_xlsx(request):
    return _export(request, "xlsx")


@login_required
def export_csv(request):
    return _export(request, "csv")


urlpatterns = [
    path("projects/import/", import_start, name="import"),
    path("projects/import/template.xlsx", template_xlsx, name="import_template"),
    path("projects/import/template.csv", template_csv, name="import_template_csv"),
    path("projects/import/<int:pk>/", import_preview, name="import_preview"),
    path("projects/import/<int:pk>/confirm/", import_confirm, name="import_confirm"),
    path("projects/export.xlsx", export_xlsx, name="export_xlsx"),
    path("projects/export.csv", export_csv, name="export_csv"),
]
