"""Creating and editing a project through the web form.

"Save draft" saves everything typed once all of it is valid; "Save and submit" saves, then submits
(or resubmits). The project, its milestones and the new document are saved in one transaction:
when a service refuses any of them, its messages go beside the fields, nothing is saved, and the
page comes back with everything typed. A saved draft that cannot be submitted yet stays a draft,
and its edit page shows what is missing (`?check=1`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from .. import selectors
from ..choices import EDITABLE_STATUSES, ProjectStatus
from ..forms import ProjectForms, add_service_error
from ..services import (
    document_add,
    milestone_delete,
    milestone_save,
    project_create,
    project_transition,
    project_update,
    submission_problems,
)


class _Rollback(Exception):
    """Raised inside the transaction once an error is on a form: undoes everything saved so far."""


@login_required
def create(request):
    user = request.user
    if not (user.is_officer or user.is_focal_point or user.is_coordinator):
        raise PermissionDenied
    return _form_page(request, None)


@login_required
def edit(request, pk):
    project = selectors.project_for_update(pk=pk, actor=request.user)
    if not request.user.has_perm("projects.change_project", project):
        raise PermissionDenied
    prefetch_related_objects([project], "article_links", "themes", "sdgs", "milestones", "documents")
    return _form_page(request, project)


def _form_page(request, project):
    user, posted = request.user, request.method == "POST"
    forms = ProjectForms(
        user=user,
        project=project,
        data=request.POST if posted else None,
        files=request.FILES if posted else None,
    )
    can_submit = _may_submit(user, project)
    if posted:
        submit = request.POST.get("action") == "submit"
        if submit and not can_submit:
            raise PermissionDenied
        if forms.is_valid():
            saved = _save(user, project, forms)
            if saved is not None:
                return _saved(request, saved, submit)
    checking = not posted and project is not None and bool(request.GET.get("check"))
    if checking:
        forms.show_problems(submission_problems(project))
    errors = forms.error_links()
    context = {
        "project": project,
        "form": forms.project,
        "milestones": forms.milestones,
        "document": forms.document,
        "article_frameworks": forms.project.article_frameworks(),
        "language_blocks": forms.project.language_blocks(),
        "errors": errors,
        "checking": checking,
        "file_lost": forms.file_chosen and bool(errors),
        "can_submit": can_submit,
        "editable": project is None or project.status in EDITABLE_STATUSES,
        "returned": project is not None and project.status == ProjectStatus.RETURNED,
        "documents": list(project.documents.all()) if project else [],
    }
    return render(request, "projects/form.html", context)


def _may_submit(user, project) -> bool:
    if project is None:  # a new project is led by the creator's party, unless a coordinator creates it
        return bool((user.is_officer or user.is_focal_point) and user.party_id)
    return user.has_perm("projects.submit_project", project)


def _save(user, project, forms):
    """The saved project, or None when a service refused something (its messages are on the forms)."""
    try:
        with transaction.atomic():
            saved = _save_project(user, project, forms.project)
            _save_milestones(user, saved, forms.milestones)
            _save_document(user, saved, forms.document)
    except _Rollback:
        return None
    return saved


def _save_project(user, project, form):
    content = {
        "fields": form.service_fields(),
        "article_tags": form.article_tags(),
        "theme_names": form.theme_names(),
        "sdg_numbers": form.sdg_numbers(),
    }
    try:
        if project is None:
            return project_create(actor=user, lead_party=form.chosen_lead_party(), **content)
        return project_update(project=project, actor=user, **content)
    except ValidationError as error:
        add_service_error(form, error)
        raise _Rollback from None


def _save_milestones(user, project, formset) -> None:
    """New and changed rows through `milestone_save`; rows ticked "Remove" are deleted."""
    existing = {milestone.pk: milestone for milestone in project.milestones.all()}
    failed = False
    for row in formset.forms:
        if not row.has_changed():
            continue
        data = row.cleaned_data
        milestone = existing.get(data.get("id"))
        if data.get("id") and milestone is None:
            row.add_error(None, _("This milestone no longer exists; reload the page."))
            failed = True
        elif data.get("DELETE"):
            if milestone is not None:
                milestone_delete(project=project, actor=user, milestone=milestone)
        else:
            fields = {name: data[name] for name in ("title", "due_on", "done_on")}
            try:
                milestone_save(project=project, actor=user, milestone=milestone, **fields)
            except ValidationError as error:
                add_service_error(row, error)
                failed = True
    if failed:
        raise _Rollback


def _save_document(user, project, form) -> None:
    if not form.upload:
        return
    try:
        document_add(
            project=project,
            actor=user,
            upload=form.upload,
            title=form.cleaned_data["title"],
            restricted=form.cleaned_data["restricted"],
        )
    except ValidationError as error:
        add_service_error(form, error)
        raise _Rollback from None


def _saved(request, project, submit: bool):
    if not submit:
        messages.success(request, _("The project has been saved."))
        return redirect(project)
    action = "resubmit" if project.status == ProjectStatus.RETURNED else "submit"
    try:
        project = project_transition(project=project, actor=request.user, action=action)
    except ValidationError as error:
        messages.warning(
            request,
            _("Your changes have been saved, but the project cannot be submitted yet: complete what is marked below."),
        )
        if not hasattr(error, "error_dict"):
            for message in error.messages:
                messages.error(request, message)
        return redirect(reverse("projects:edit", kwargs={"pk": project.pk}) + "?check=1")
    messages.success(request, _("The project has been saved and submitted for review."))
    return redirect(project)


urlpatterns = [
    path("projects/new/", create, name="create"),
    path("projects/<int:pk>/edit/", edit, name="edit"),
]
