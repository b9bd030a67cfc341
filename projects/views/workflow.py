"""The review workflow and joining a project: POST-only actions that go back to the project page
with a message. The services decide what is allowed: their refusals become 403, their
validation errors become error messages (in the user's language), and nothing changes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import selectors
from ..choices import ParticipationStatus as P
from ..forms_workflow import DecisionForm, InviteForm, JoinForm, ReviewCommentForm, TransitionForm
from ..models import Participation, Project
from ..services import (
    TRANSITIONS,
    participation_confirm,
    participation_invite,
    participation_request,
    participation_respond,
    participation_withdraw,
    project_transition,
    review_comment_add,
)


def _back(project, anchor=""):
    return redirect(reverse("projects:detail", kwargs={"pk": project.pk}) + (f"#{anchor}" if anchor else ""))


def _error_messages(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _form_error_messages(request, form) -> None:
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


@require_POST
@login_required
def transition(request, pk, action):
    project = selectors.project_for_update(pk=pk, actor=request.user)
    form = TransitionForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        project = project_transition(project=project, actor=request.user, action=action, comment=comment)
    except ValidationError as error:
        step = TRANSITIONS.get(action)
        if step is not None:
            messages.error(request, _("“%(action)s” was not done:") % {"action": step.label})
        _error_messages(request, error)
        return _back(project, "workflow")
    messages.success(
        request,
        _("Done: %(action)s. The project is now “%(status)s”.")
        % {"action": TRANSITIONS[action].label, "status": project.get_status_display()},
    )
    return _back(project)


@require_POST
@login_required
def comment_add(request, pk):
    project = selectors.project_for_update(pk=pk, actor=request.user)
    form = ReviewCommentForm(request.POST)
    if not form.is_valid():
        _form_error_messages(request, form)
        return _back(project, "review")
    try:
        review_comment_add(project=project, actor=request.user, text=form.cleaned_data["text"])
    except ValidationError as error:
        _error_messages(request, error)
    else:
        messages.success(request, _("Your comment has been added."))
    return _back(project, "review")


@require_POST
@login_required
def join(request, pk):
    project = selectors.project_for_update(pk=pk, actor=request.user)
    form = JoinForm(request.POST)
    if not form.is_valid():
        _form_error_messages(request, form)
        return _back(project, "participants")
    try:
        participation = participation_request(project=project, actor=request.user, **form.cleaned_data)
    except ValidationError as error:
        _error_messages(request, error)
    else:
        if participation.party_confirmed_at:
            messages.success(request, _("Your request to join has been sent to the lead party."))
        else:
            messages.success(
                request,
                _("Your request to join has been sent. The lead party and your party's focal point must both agree."),
            )
    return _back(project, "participants")


@require_POST
@login_required
def invite(request, pk):
    project = selectors.project_for_update(pk=pk, actor=request.user)
    form = InviteForm(request.POST, project=project)
    if not form.is_valid():
        _form_error_messages(request, form)
        return _back(project, "participants")
    try:
        participation = participation_invite(project=project, actor=request.user, **form.cleaned_data)
    except ValidationError as error:
        _error_messages(request, error)
    else:
        messages.success(
            request,
            _("%(party)s has been invited. It takes part once its focal point accepts.")
            % {"party": participation.party.name},
        )
    return _back(project, "participants")


def _participation(request, pk) -> Participation:
    """404 unless the user may see the project or belongs to the participation's own party."""
    participation = get_object_or_404(Participation.objects.select_related("project", "party"), pk=pk)
    own_party = request.user.party_id and request.user.party_id == participation.party_id
    if not (own_party or request.user.has_perm("projects.view_project", participation.project)):
        raise Http404
    return participation


def _decision(request):
    form = DecisionForm(request.POST)
    if not form.is_valid():
        _form_error_messages(request, form)
        return None
    return form.accepted


@require_POST
@login_required
def respond(request, pk):
    """The lead party answers a request to join."""
    participation = _participation(request, pk)
    accept = _decision(request)
    if accept is not None:
        try:
            participation = participation_respond(participation=participation, actor=request.user, accept=accept)
        except ValidationError as error:
            _error_messages(request, error)
        else:
            messages.success(request, _answer_message(participation, waiting_for=_("its focal point")))
    return _back(participation.project, "participants")


@require_POST
@login_required
def confirm(request, pk):
    """The invited or requesting party's focal point gives (or refuses) the party's consent."""
    participation = _participation(request, pk)
    accept = _decision(request)
    if accept is not None:
        try:
            participation = participation_confirm(participation=participation, actor=request.user, accept=accept)
        except ValidationError as error:
            _error_messages(request, error)
        else:
            messages.success(request, _answer_message(participation, waiting_for=_("the lead party")))
    return _after_participation_change(request, participation)


def _answer_message(participation, *, waiting_for) -> str:
    names = {"party": participation.party.name, "waiting_for": waiting_for}
    if participation.status == P.ACTIVE:
        return _("%(party)s now takes part in the project.") % names
    if participation.status == P.DECLINED:
        return _("Declined: %(party)s does not take part in the project.") % names
    return _("Agreed. %(party)s takes part once %(waiting_for)s agrees too.") % names


@require_POST
@login_required
def withdraw(request, pk):
    """A participating party leaves the project (or takes back its request)."""
    participation = _participation(request, pk)
    try:
        participation = participation_withdraw(participation=participation, actor=request.user)
    except ValidationError as error:
        _error_messages(request, error)
    else:
        messages.success(request, _("Your party no longer takes part in this project."))
    return _after_participation_change(request, participation)


def _after_participation_change(request, participation):
    """Back to the project page, or to the party's projects when the page is no longer visible to the user."""
    if Project.objects.visible_to(request.user).filter(pk=participation.project_id).exists():
        return _back(participation.project, "participants")
    return redirect("projects:party_projects")


urlpatterns = [
    path("projects/<int:pk>/transitions/<slug:action>/", transition, name="transition"),
    path("projects/<int:pk>/comments/", comment_add, name="comment_add"),
    path("projects/<int:pk>/join/", join, name="join"),
    path("projects/<int:pk>/invite/", invite, name="invite"),
    path("participations/<int:pk>/respond/", respond, name="respond"),
    path("participations/<int:pk>/confirm/", confirm, name="confirm"),
    path("participations/<int:pk>/withdraw/", withdraw, name="withdraw"),
]
