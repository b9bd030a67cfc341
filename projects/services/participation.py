"""Joining projects. A party is active in a project only with both consents: the lead party's
acceptance and its own focal point's confirmation. No party is listed without its consent."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from feed.services import change_record
from notifications import events

from ..choices import ParticipationRole, ParticipationStatus
from ..models import Participation, Project

P = ParticipationStatus
JOINABLE_ROLES = (ParticipationRole.PARTNER, ParticipationRole.SUPPORTER, ParticipationRole.BENEFICIARY)


def _check_role(role):
    if role not in JOINABLE_ROLES:
        raise ValidationError({"role": [_("Choose partner, supporter or beneficiary.")]})


def _activate_if_agreed(participation):
    if participation.lead_accepted_at and participation.party_confirmed_at:
        participation.status = P.ACTIVE


@transaction.atomic
def participation_request(*, project: Project, actor, role: str, message: str = "") -> Participation:
    """Another party's officer (or focal point) asks to join a published project."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    if not actor.has_perm("projects.ask_to_join", project):
        raise PermissionDenied
    _check_role(role)
    participation = Participation.objects.filter(project=project, party_id=actor.party_id).first()
    if participation and participation.status in (P.ACTIVE, P.REQUESTED, P.INVITED):
        raise ValidationError(_("Your party already takes part in, or has a pending request for, this project."))
    participation = participation or Participation(project=project, party_id=actor.party_id)
    participation.role, participation.message, participation.status = role, message.strip(), P.REQUESTED
    participation.lead_accepted_at = None
    # A focal point's own request is the party's consent; an officer's still needs it.
    confirmed = actor.is_focal_point
    participation.party_confirmed_at = timezone.now() if confirmed else None
    participation.party_confirmed_by = actor if confirmed else None
    participation.save()
    events.record(events.EventKind.JOIN_REQUESTED, project=project, participation=participation, actor=actor)
    change_record(project_id=participation.project_id)
    return participation


@transaction.atomic
def participation_invite(*, project: Project, actor, party, role: str, message: str = "") -> Participation:
    """The lead party invites another party; that party's focal point accepts or declines."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    if not actor.has_perm("projects.manage_participants", project):
        raise PermissionDenied
    _check_role(role)
    if party.pk == project.lead_party_id:
        raise ValidationError({"party": [_("The lead party already takes part.")]})
    participation = Participation.objects.filter(project=project, party=party).first()
    if participation and participation.status in (P.ACTIVE, P.INVITED, P.REQUESTED):
        raise ValidationError({"party": [_("This party already takes part or has a pending invitation or request.")]})
    participation = participation or Participation(project=project, party=party)
    participation.role, participation.message, participation.status = role, message.strip(), P.INVITED
    participation.lead_accepted_at = timezone.now()
    participation.party_confirmed_at = participation.party_confirmed_by = None
    participation.save()
    events.record(events.EventKind.INVITATION, project=project, participation=participation, actor=actor)
    change_record(project_id=participation.project_id)
    return participation


@transaction.atomic
def participation_respond(*, participation: Participation, actor, accept: bool) -> Participation:
    """The lead party accepts or declines a request to join."""
    participation = Participation.objects.select_for_update().select_related("project").get(pk=participation.pk)
    if not actor.has_perm("projects.manage_participants", participation.project):
        raise PermissionDenied
    if participation.status != P.REQUESTED or participation.lead_accepted_at:
        raise ValidationError(_("There is no request waiting for the lead party's answer."))
    if accept:
        participation.lead_accepted_at = timezone.now()
        _activate_if_agreed(participation)
    else:
        participation.status = P.DECLINED
    participation.save()
    events.record_answer(participation, actor=actor, accept=accept, by="lead")
    change_record(project_id=participation.project_id)
    return participation


@transaction.atomic
def participation_confirm(*, participation: Participation, actor, accept: bool) -> Participation:
    """The party's own focal point consents (or not) to an invitation or to its officer's request."""
    participation = Participation.objects.select_for_update().get(pk=participation.pk)
    if not (actor.is_authenticated and actor.is_focal_point and actor.party_id == participation.party_id):
        raise PermissionDenied
    if participation.status not in (P.INVITED, P.REQUESTED) or participation.party_confirmed_at:
        raise ValidationError(_("There is nothing waiting for your party's confirmation."))
    if accept:
        participation.party_confirmed_at = timezone.now()
        participation.party_confirmed_by = actor
        _activate_if_agreed(participation)
    else:
        participation.status = P.DECLINED
    participation.save()
    events.record_answer(participation, actor=actor, accept=accept, by="party")
    change_record(project_id=participation.project_id)
    return participation


@transaction.atomic
def participation_withdraw(*, participation: Participation, actor) -> Participation:
    """A participating party (its focal point or officer) leaves a project; the lead cannot."""
    participation = Participation.objects.select_for_update().get(pk=participation.pk)
    own_party = actor.is_authenticated and actor.party_id == participation.party_id
    if not (own_party and (actor.is_focal_point or actor.is_officer)):
        raise PermissionDenied
    if participation.role == ParticipationRole.LEAD:
        raise ValidationError(_("The lead party cannot leave its own project; withdraw the project instead."))
    if participation.status not in (P.ACTIVE, P.INVITED, P.REQUESTED):
        raise ValidationError(_("Your party does not take part in this project."))
    participation.status = P.WITHDRAWN
    participation.save()
    change_record(project_id=participation.project_id)
    return participation
