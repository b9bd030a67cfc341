"""Tracking a running project: milestones, progress reports with indicators, documents.

The form pages keep everything typed when the service refuses it and show the errors beside
the fields; the project page embeds the same forms and posts to these addresses."""

import re
from pathlib import PurePosixPath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import selectors
from ..forms_workflow import (
    DocumentForm,
    IndicatorFormSet,
    MilestoneDoneForm,
    MilestoneForm,
    ProgressReportForm,
    add_service_errors,
    indicator_rows,
)
from ..models import Document, Milestone
from ..services import document_add, milestone_save, progress_report_add

UNSAFE_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')
TRACKING_PERMISSIONS = ("projects.track_project", "projects.change_project")


def _require(user, project, *permissions) -> None:
    """Form pages check up front so that nobody fills in a form the service will refuse."""
    if not any(user.has_perm(permission, project) for permission in permissions):
        raise PermissionDenied


def _back(project, anchor):
    return redirect(reverse("projects:detail", kwargs={"pk": project.pk}) + f"#{anchor}")


@login_required
def milestone_add(request, pk):
    project = selectors.project_for_update(pk=pk, actor=request.user)
    _require(request.user, project, *TRACKING_PERMISSIONS)
    form = MilestoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            milestone_save(project=project, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The milestone has been added."))
            return _back(project, "milestones")
    return render(request, "projects/detail_milestone_form.html", {"project": project, "form": form})


@require_POST
@login_required
def milestone_done(request, pk):
    milestone = get_object_or_404(Milestone, pk=pk)
    project = selectors.project_for_update(pk=milestone.project_id, actor=request.user)
    form = MilestoneDoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the date the milestone was done."))
        return _back(project, "milestones")
    try:
        milestone_save(
            project=project,
            actor=request.user,
            milestone=milestone,
            title=milestone.title,
            due_on=milestone.due_on,
            done_on=form.cleaned_data["done_on"],
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("“%(title)s” is marked as done.") % {"title": milestone.title})
    return _back(project, "milestones")


@login_required
def report_add(request, pk):
    project = selectors.project_for_update(pk=pk, actor=request.user)
    _require(request.user, project, "projects.report_progress")
    data = request.POST if request.method == "POST" else None
    initial = {"language": request.user.preferred_language or get_language(), "period_end": timezone.localdate()}
    form = ProgressReportForm(data, initial=initial)
    indicators = IndicatorFormSet(data, prefix="indicators")
    if data is not None and form.is_valid() and indicators.is_valid():
        try:
            progress_report_add(
                project=project, actor=request.user, indicators=indicator_rows(indicators), **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Your progress report has been added."))
            return _back(project, "reports")
    context = {"project": project, "form": form, "indicators": indicators}
    return render(request, "projects/report_form.html", context)


@login_required
def document_upload(request, pk):
    project = selectors.project_for_update(pk=pk, actor=request.user)
    _require(request.user, project, *TRACKING_PERMISSIONS)
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            document_add(
                project=project,
                actor=request.user,
                upload=form.cleaned_data["file"],
                title=form.cleaned_data["title"],
                restricted=form.cleaned_data["restricted"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The document has been uploaded."))
            return _back(project, "documents")
    return render(request, "projects/detail_document_form.html", {"project": project, "form": form})


def document_download(request, pk):
    """The file as an attachment, to those who may see it; 404 for everyone else (never reveal it exists)."""
    document = get_object_or_404(Document.objects.select_related("project"), pk=pk)
    project = document.project
    if not request.user.has_perm("projects.view_project", project):
        raise Http404
    if document.restricted and not selectors.can_see_restricted(request.user, project):
        raise Http404
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=download_name(document),
        content_type=document.content_type or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store" if document.restricted else "private"
    return response


def download_name(document) -> str:
    """The document's title with the stored file's extension (the stored name carries a timestamp,
    and the storage may add a suffix); characters that file systems refuse are replaced."""
    title = " ".join(UNSAFE_IN_FILE_NAMES.sub(" ", document.title).split()) or "document"
    return f"{title}{PurePosixPath(document.file.name).suffix.lower()}"


urlpatterns = [
    path("projects/<int:pk>/milestones/new/", milestone_add, name="milestone_add"),
    path("milestones/<int:pk>/done/", milestone_done, name="milestone_done"),
    path("projects/<int:pk>/reports/new/", report_add, name="report_add"),
    path("projects/<int:pk>/documents/new/", document_upload, name="document_add"),
    path("documents/<int:pk>/", document_download, name="document"),
]
